/* Target computation: which tracks each child playlist holds (contract in target.h). */
#include "services/rules/target_internal.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/app_err.h"
#include "lib/buf.h"
#include "lib/hash.h"


/* ---- computing targets ----------------------------------------------------------- */

/* Track id -> its first track (the first entry of a duplicated id wins). */
static int idmap_build(struct hash *m, struct arena *a, const struct track *tracks, size_t n)
{
    bool created;
    if (hash_init(m, n, 0, a) != 0)
        return ERR_NOMEM;
    for (size_t i = 0; i < n; i++) {
        struct hash_slot *s;
        if (!tracks[i].id)
            continue;
        if (!(s = hash_insert(m, tracks[i].id, strlen(tracks[i].id), &created)))
            return ERR_NOMEM;
        if (created)
            s->value = (void *)&tracks[i];
    }
    return 0;
}

static bool idmap_get(const struct hash *m, const struct track *tracks, const char *id,
                      size_t *out)
{
    const struct track *t = hash_get(m, id, strlen(id));
    if (!t)
        return false;
    *out = (size_t)(t - tracks);
    return true;
}

struct vec {
    size_t *v;
    size_t n, cap;
};

static int vec_push(struct vec *v, size_t x)
{
    if (v->n == v->cap) {
        size_t cap = v->cap ? v->cap * 2 : 64;
        size_t *p = realloc(v->v, cap * sizeof *p);
        if (!p)
            return ERR_NOMEM;
        v->v = p;
        v->cap = cap;
    }
    v->v[v->n++] = x;
    return 0;
}

enum { MARK_PIN = 1, MARK_BAN = 2 };

struct compute_ctx {
    const struct track *tracks;
    size_t n_tracks;
    struct hash ids; /* track id -> its first track, in `scratch` */
    unsigned char *mark; /* per track, MARK_* of the child being finished; all 0 between */
    struct arena *scratch;
};

struct sort_key {
    size_t idx;
    bool missing;
    double num;
    int64_t a, b;
    const char *s;
    size_t len;
};

static int cmp_sort_key(const void *x, const void *y, void *arg)
{
    const struct sort_key *p = x, *q = y;
    bool desc = *(const bool *)arg;
    int d = 0;
    if (p->missing != q->missing)
        return p->missing ? 1 : -1; /* missing values last, whatever the order */
    if (!p->missing) {
        if (p->s || q->s) {
            size_t n = p->len < q->len ? p->len : q->len;
            d = memcmp(p->s, q->s, n);
            if (!d)
                d = (p->len > q->len) - (p->len < q->len);
        } else {
            d = (p->num > q->num) - (p->num < q->num);
            if (!d)
                d = (p->a > q->a) - (p->a < q->a);
            if (!d)
                d = (p->b > q->b) - (p->b < q->b);
        }
        if (desc)
            d = -d;
    }
    if (!d) /* stable: ties keep base order */
        d = (p->idx > q->idx) - (p->idx < q->idx);
    return d;
}

static int make_key(struct compute_ctx *x, const struct rule_field *f, size_t idx,
                    struct sort_key *k)
{
    const struct track *t = &x->tracks[idx];
    memset(k, 0, sizeof *k);
    k->idx = idx;
    k->missing = true;
    switch (f->type) {
    case RULE_TYPE_STRING:
    case RULE_TYPE_STRINGS: {
        const char *const *vals;
        size_t n = rule_field_strings(f->id, t, &vals);
        for (size_t i = 0; i < n; i++) {
            if (!vals[i] || !vals[i][0]) /* no value, as in rules */
                continue;
            /* API.md: sort compares strings ignoring case; ids too (the sort sentence
             * names no exception, and ids differ in more than case anyway). */
            k->missing = false;
            k->len = strlen(vals[i]);
            char *s = arena_strndup(x->scratch, vals[i], k->len);
            if (!s)
                return ERR_NOMEM;
            rule_fold(s, k->len, s);
            k->s = s;
            break;
        }
        break;
    }
    case RULE_TYPE_NUMBER:
        k->missing = !rule_field_number(f->id, t, &k->num);
        break;
    case RULE_TYPE_DATE:
        if (f->id == RULE_FIELD_ADDED_AT) {
            k->missing = !(t->has & TRACK_HAS_ADDED_AT);
            k->a = t->added_at;
        } else { /* a period sorts by its first day */
            k->missing = !rule_field_period(f->id, t, &k->a, &k->b);
            k->b = 0;
        }
        break;
    case RULE_TYPE_BOOL: {
        bool b = false;
        k->missing = !rule_field_bool(f->id, t, &b);
        k->num = b;
        break;
    }
    }
    return 0;
}

static int sort_list(struct compute_ctx *x, const struct target_child *c, size_t *list, size_t n)
{
    const struct rule_field *f = rule_field_by_id(c->sort_field);
    struct sort_key *keys = malloc((n ? n : 1) * sizeof *keys);
    int rc = 0;
    if (!keys)
        return ERR_NOMEM;
    for (size_t i = 0; i < n && rc == 0; i++)
        rc = make_key(x, f, list[i], &keys[i]);
    if (rc == 0) {
        bool desc = c->sort_desc;
        qsort_r(keys, n, sizeof *keys, cmp_sort_key, &desc);
        for (size_t i = 0; i < n; i++)
            list[i] = keys[i].idx;
    }
    free(keys);
    return rc;
}

static int cmp_size(const void *a, const void *b)
{
    size_t x = *(const size_t *)a, y = *(const size_t *)b;
    return (x > y) - (x < y);
}

/* Sets `bit` in mark[] for every id of ids[] present in the base; the sorted indices
 * go to *out (caller frees). */
static int mark_ids(struct compute_ctx *x, const char *const *ids, size_t n, unsigned char bit,
                    size_t **out, size_t *n_out)
{
    size_t *v = malloc((n ? n : 1) * sizeof *v), k = 0, idx;
    if (!v)
        return ERR_NOMEM;
    for (size_t i = 0; i < n; i++) {
        if (idmap_get(&x->ids, x->tracks, ids[i], &idx) && !(x->mark[idx] & bit)) {
            x->mark[idx] |= bit;
            v[k++] = idx;
        }
    }
    qsort(v, k, sizeof *v, cmp_size);
    *out = v;
    *n_out = k;
    return 0;
}

/* Steps 1-3 of target.h for one child whose rule candidates `cand` (ascending) are
 * known: add pins, drop bans, order, limit. Fills *out (owned by the result). */
static int finish_child(struct compute_ctx *x, const struct target_child *c, const size_t *cand,
                        size_t n_cand, struct target_list *out)
{
    size_t *pins = NULL, *bans = NULL, n_pins = 0, n_bans = 0, n = 0;
    size_t *list = NULL;
    int rc = mark_ids(x, c->pinned, c->n_pinned, MARK_PIN, &pins, &n_pins);
    if (rc == 0)
        rc = mark_ids(x, c->banned, c->n_banned, MARK_BAN, &bans, &n_bans);
    if (rc == 0 && !(list = malloc((n_cand + n_pins + 1) * sizeof *list)))
        rc = ERR_NOMEM;
    if (rc != 0)
        goto done;

    /* merge two ascending lists, dropping duplicates and banned tracks */
    size_t i = 0, j = 0;
    while (i < n_cand || j < n_pins) {
        size_t v;
        if (j == n_pins || (i < n_cand && cand[i] < pins[j]))
            v = cand[i++];
        else if (i == n_cand || pins[j] < cand[i])
            v = pins[j++];
        else
            v = (i++, pins[j++]);
        if (!(x->mark[v] & MARK_BAN))
            list[n++] = v;
    }
    if (c->has_sort && (rc = sort_list(x, c, list, n)) != 0)
        goto done;
    if (c->has_limit && n > c->limit) {
        size_t pinned = 0;
        for (size_t k = 0; k < n; k++)
            pinned += (x->mark[list[k]] & MARK_PIN) != 0;
        size_t keep_p = pinned < c->limit ? pinned : c->limit, keep_o = c->limit - keep_p;
        size_t w = 0;
        for (size_t k = 0; k < n; k++) {
            bool pin = (x->mark[list[k]] & MARK_PIN) != 0;
            if (pin ? keep_p > 0 : keep_o > 0) {
                list[w++] = list[k];
                if (pin)
                    keep_p--;
                else
                    keep_o--;
            }
        }
        n = w;
    }
    out->idx = list;
    out->n = n;
    list = NULL;
done:
    for (size_t k = 0; k < n_pins; k++)
        x->mark[pins[k]] = 0;
    for (size_t k = 0; k < n_bans; k++)
        x->mark[bans[k]] = 0;
    free(pins);
    free(bans);
    free(list);
    return rc;
}

void target_result_free(struct target_result *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->n_children; i++)
        free(r->lists[i].idx);
    free(r->lists);
    free(r);
}

int target_compute(const struct track *tracks, size_t n_tracks, enum target_routing routing,
                   const struct target_child *const *children, size_t n_children, int32_t today,
                   struct target_result **out)
{
    return target_compute_until(tracks, n_tracks, routing, children, n_children, today, NULL, out);
}

/* Every TARGET_CANCEL_EVERY tracks: whether the caller asks to stop. */
static bool stop_at(const struct cancel *cancel, size_t i)
{
    return i % TARGET_CANCEL_EVERY == 0 && cancel_requested(cancel);
}

int target_compute_until(const struct track *tracks, size_t n_tracks, enum target_routing routing,
                         const struct target_child *const *children, size_t n_children,
                         int32_t today, const struct cancel *cancel, struct target_result **out)
{
    struct compute_ctx x = {.tracks = tracks, .n_tracks = n_tracks};
    struct target_result *res = NULL;
    struct vec *cand = NULL;
    unsigned char *held = NULL;
    size_t catch_all = (size_t)-1;
    int rc = 0;
    *out = NULL;

    for (size_t c = 0; c < n_children; c++) {
        if (!children[c]->catch_all)
            continue;
        if (catch_all != (size_t)-1)
            return ERR_VALIDATION; /* at most one catch-all child per base */
        catch_all = c;
    }
    if (!(res = calloc(1, sizeof *res)) ||
        !(res->lists = calloc(n_children ? n_children : 1, sizeof *res->lists)) ||
        !(cand = calloc(n_children ? n_children : 1, sizeof *cand)) ||
        !(x.mark = calloc(n_tracks ? n_tracks : 1, 1)) ||
        !(held = calloc(n_tracks ? n_tracks : 1, 1)) || !(x.scratch = arena_new())) {
        rc = ERR_NOMEM;
        goto done;
    }
    res->n_children = n_children;
    if ((rc = idmap_build(&x.ids, x.scratch, tracks, n_tracks)) != 0)
        goto done;

    /* Track-major: a track is read once while the (small) rules stay in cache. */
    for (size_t i = 0; i < n_tracks && rc == 0; i++) {
        if (stop_at(cancel, i)) {
            rc = ERR_UNAVAILABLE;
            break;
        }
        for (size_t c = 0; c < n_children; c++) {
            if (c == catch_all || !rule_eval(children[c]->rule, &tracks[i], today))
                continue;
            if ((rc = vec_push(&cand[c], i)) != 0 || routing == TARGET_ROUTING_FIRST_MATCH)
                break;
        }
    }
    for (size_t c = 0; c < n_children && rc == 0; c++) {
        if (c == catch_all)
            continue;
        rc = finish_child(&x, children[c], cand[c].v, cand[c].n, &res->lists[c]);
        for (size_t k = 0; rc == 0 && k < res->lists[c].n; k++)
            held[res->lists[c].idx[k]] = 1;
    }
    if (rc == 0 && catch_all != (size_t)-1) {
        const struct target_child *ca = children[catch_all];
        for (size_t i = 0; i < n_tracks && rc == 0; i++)
            if (stop_at(cancel, i))
                rc = ERR_UNAVAILABLE;
            else if (!held[i] && rule_eval(ca->rule, &tracks[i], today))
                rc = vec_push(&cand[catch_all], i);
        if (rc == 0)
            rc = finish_child(&x, ca, cand[catch_all].v, cand[catch_all].n, &res->lists[catch_all]);
    }
done:
    if (cand)
        for (size_t c = 0; c < n_children; c++)
            free(cand[c].v);
    free(cand);
    free(x.mark);
    free(held);
    arena_free(x.scratch);
    if (rc != 0) {
        target_result_free(res);
        return rc;
    }
    *out = res;
    return 0;
}

/* ---- explain --------------------------------------------------------------------- */

static bool id_listed(const char *const *ids, size_t n, const char *id)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(ids[i], id) == 0)
            return true;
    return false;
}

static bool list_has(const struct target_list *l, size_t idx)
{
    for (size_t k = 0; k < l->n; k++)
        if (l->idx[k] == idx)
            return true;
    return false;
}

int target_explain(const struct track *tracks, size_t n_tracks, enum target_routing routing,
                   const struct target_child *const *children, size_t n_children, int32_t today,
                   const struct target_result *res, const char *track_id, struct arena *a,
                   struct target_explain *out)
{
    size_t idx = n_tracks;
    struct buf path = BUF_INIT;
    int rc = 0;
    assert(res->n_children == n_children);
    for (size_t i = 0; i < n_tracks && track_id; i++) {
        if (tracks[i].id && strcmp(tracks[i].id, track_id) == 0) {
            idx = i;
            break;
        }
    }
    for (size_t c = 0; c < n_children; c++) {
        const struct target_child *ch = children[c];
        struct target_explain *e = &out[c];
        bool m;
        const char *reason;
        *e = (struct target_explain){false, NULL, NULL, -1, NULL};
        if (idx == n_tracks) {
            e->reason = "not_in_base";
            continue;
        }
        const struct track *t = e->track = &tracks[idx];
        bool in_target = list_has(&res->lists[c], idx);
        if (id_listed(ch->banned, ch->n_banned, track_id)) {
            e->reason = "banned";
            continue;
        }
        e->matched = in_target;
        bool pinned = id_listed(ch->pinned, ch->n_pinned, track_id);
        if (pinned) {
            e->reason = in_target ? "pinned" : "limit";
            continue;
        }
        if ((rc = rule_explain(ch->rule, t, today, &m, &path, &reason)) != 0)
            goto done;
        if (ch->catch_all && !in_target) {
            bool held = false;
            for (size_t o = 0; o < n_children && !held; o++)
                held = o != c && !children[o]->catch_all && list_has(&res->lists[o], idx);
            if (held) { /* the catch-all comes after every other child */
                e->reason = "matched_earlier_child";
                continue;
            }
        }
        if (!in_target && m) {
            bool earlier = false;
            for (size_t o = 0;
                 routing == TARGET_ROUTING_FIRST_MATCH && !ch->catch_all && o < c && !earlier; o++)
                earlier = !children[o]->catch_all && rule_eval(children[o]->rule, t, today);
            e->reason = earlier ? "matched_earlier_child" : "limit";
            continue;
        }
        /* the rule decided */
        e->reason = reason;
        e->field = rule_field_at(ch->rule, path.data);
        if (!(e->path = arena_strdup(a, path.data))) {
            rc = ERR_NOMEM;
            goto done;
        }
    }
done:
    buf_release(&path);
    return rc;
}
