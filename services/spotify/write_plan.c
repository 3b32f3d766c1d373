#include "services/spotify/write_plan.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/app_err.h"
#include "lib/hash.h"

#define NONE SIZE_MAX

/* ---- What is known of each distinct uri ---------------------------------------- */

struct uri_info {
    const char *uri;
    size_t tidx;  /* index in target, or NONE */
    size_t count; /* occurrences in current */
    bool listed;  /* already in the removal list */
};

/* uri -> its uri_info in infos[0..n), room for cap distinct uris (lib/hash.h). */
struct uri_map {
    struct hash index;
    struct uri_info *infos;
    size_t n;
};

static int uri_map_init(struct uri_map *m, size_t cap)
{
    m->n = 0;
    m->infos = malloc((cap ? cap : 1) * sizeof *m->infos);
    if (!m->infos || hash_init(&m->index, cap, 0, NULL) != 0)
        return ERR_NOMEM;
    return 0;
}

static void uri_map_release(struct uri_map *m)
{
    hash_release(&m->index);
    free(m->infos);
}

/* The info of uri: created (tidx NONE, count 0) when absent and `create`, else NULL.
 * The map was sized for every uri, so creating never allocates. */
static struct uri_info *uri_info(struct uri_map *m, const char *uri, bool create)
{
    bool created;
    struct hash_slot *s;
    if (!create)
        return hash_get(&m->index, uri, strlen(uri));
    s = hash_insert(&m->index, uri, strlen(uri), &created);
    if (created) {
        struct uri_info *in = &m->infos[m->n++];
        *in = (struct uri_info){.uri = uri, .tidx = NONE};
        s->value = in;
    }
    return s->value;
}

/* ---- Helpers ---------------------------------------------------------------------- */

static size_t chunks(size_t n)
{
    return (n + WRITE_PLAN_CHUNK - 1) / WRITE_PLAN_CHUNK;
}

static size_t replace_cost(size_t n_target)
{
    return n_target == 0 ? 1 : chunks(n_target);
}

static bool lists_equal(const char *const *a, size_t na, const char *const *b, size_t nb)
{
    if (na != nb)
        return false;
    for (size_t i = 0; i < na; i++)
        if (!a[i] || !b[i] || strcmp(a[i], b[i]) != 0)
            return false;
    return true;
}

/* POSTs needed to insert every target index whose `present` flag is clear: one per
 * 100 of each run of adjacent missing indices. */
static size_t insert_cost(const bool *present, size_t n)
{
    size_t cost = 0;
    for (size_t j = 0; j < n;) {
        if (present[j]) {
            j++;
            continue;
        }
        size_t start = j;
        while (j < n && !present[j])
            j++;
        cost += chunks(j - start);
    }
    return cost;
}

/* Marks in stay[] the longest strictly increasing subsequence of v[0..k)
 * (patience sorting with predecessor links, O(k log k)). */
static int mark_lis(const size_t *v, size_t k, bool *stay)
{
    if (k == 0)
        return 0;
    size_t *tails = malloc(k * sizeof(*tails)); /* index in v of the tail of each length */
    size_t *prev = malloc(k * sizeof(*prev));
    if (!tails || !prev) {
        free(tails);
        free(prev);
        return ERR_NOMEM;
    }
    size_t len = 0;
    for (size_t i = 0; i < k; i++) {
        size_t lo = 0, hi = len;
        while (lo < hi) {
            size_t mid = lo + (hi - lo) / 2;
            if (v[tails[mid]] < v[i])
                lo = mid + 1;
            else
                hi = mid;
        }
        prev[i] = lo > 0 ? tails[lo - 1] : NONE;
        tails[lo] = i;
        if (lo == len)
            len++;
    }
    for (size_t i = tails[len - 1]; i != NONE; i = prev[i])
        stay[i] = true;
    free(tails);
    free(prev);
    return 0;
}

/* ---- Building the ops --------------------------------------------------------------- */

struct builder {
    struct write_op *ops;
    size_t n, cap;
    const char **store;
    size_t store_len, store_cap;
};

static struct write_op *push_op(struct builder *b)
{
    if (b->n == b->cap) {
        size_t cap = b->cap ? 2 * b->cap : 16;
        struct write_op *ops = realloc(b->ops, cap * sizeof(*ops));
        if (!ops)
            return NULL;
        b->ops = ops;
        b->cap = cap;
    }
    struct write_op *op = &b->ops[b->n++];
    memset(op, 0, sizeof(*op));
    return op;
}

/* Copies uris into the store (sized up front, so pointers into it stay valid). */
static const char *const *store_put(struct builder *b, const char *const *uris, size_t n)
{
    const char **dst = b->store + b->store_len;
    if (n)
        memcpy(dst, uris, n * sizeof(*uris));
    b->store_len += n;
    return dst;
}

static int emit_removes(struct builder *b, const char *const *uris, size_t n)
{
    const char *const *stored = store_put(b, uris, n);
    for (size_t i = 0; i < n; i += WRITE_PLAN_CHUNK) {
        struct write_op *op = push_op(b);
        if (!op)
            return ERR_NOMEM;
        op->kind = WRITE_OP_REMOVE;
        op->uris = stored + i;
        op->n_uris = n - i < WRITE_PLAN_CHUNK ? n - i : WRITE_PLAN_CHUNK;
    }
    return 0;
}

/* One ADD per 100 of each run of missing target indices, runs left to right: when the
 * run starting at j is inserted, target[0..j) is in the list in order, so j is its
 * final index. */
static int emit_inserts(struct builder *b, const char *const *tstore, const bool *present,
                        size_t n)
{
    for (size_t j = 0; j < n;) {
        if (present[j]) {
            j++;
            continue;
        }
        size_t start = j;
        while (j < n && !present[j])
            j++;
        for (size_t i = start; i < j; i += WRITE_PLAN_CHUNK) {
            struct write_op *op = push_op(b);
            if (!op)
                return ERR_NOMEM;
            op->kind = WRITE_OP_ADD;
            op->uris = tstore + i;
            op->n_uris = j - i < WRITE_PLAN_CHUNK ? j - i : WRITE_PLAN_CHUNK;
            op->position = i;
        }
    }
    return 0;
}

static int emit_replace(struct builder *b, const char *const *tstore, size_t n)
{
    struct write_op *op = push_op(b);
    if (!op)
        return ERR_NOMEM;
    op->kind = WRITE_OP_REPLACE;
    op->uris = tstore;
    op->n_uris = n < WRITE_PLAN_CHUNK ? n : WRITE_PLAN_CHUNK;
    for (size_t i = WRITE_PLAN_CHUNK; i < n; i += WRITE_PLAN_CHUNK) {
        if (!(op = push_op(b)))
            return ERR_NOMEM;
        op->kind = WRITE_OP_ADD;
        op->uris = tstore + i;
        op->n_uris = n - i < WRITE_PLAN_CHUNK ? n - i : WRITE_PLAN_CHUNK;
        op->position = i;
    }
    return 0;
}


static int cmp_block_desc(const void *x, const void *y)
{
    const size_t *a = x, *b = y; /* {first rank, length} pairs */
    return a[0] < b[0] ? 1 : a[0] > b[0] ? -1 : 0;
}

/* Moves w[s..s+len) before index `before` (as WRITE_OP_REORDER does) and updates
 * pos[] (rank -> index) for the entries that moved. */
static void move_block(size_t *w, size_t *pos, size_t *tmp, size_t s, size_t len, size_t before)
{
    size_t lo, hi;
    memcpy(tmp, w + s, len * sizeof(*w));
    if (before < s) {
        memmove(w + before + len, w + before, (s - before) * sizeof(*w));
        memcpy(w + before, tmp, len * sizeof(*w));
        lo = before;
        hi = s + len;
    } else {
        memmove(w + s, w + s + len, (before - s - len) * sizeof(*w));
        memcpy(w + before - len, tmp, len * sizeof(*w));
        lo = s;
        hi = before;
    }
    for (size_t i = lo; i < hi; i++)
        pos[w[i]] = i;
}

/* Strategy B's reorders. w_in[0..k) holds distinct target indices (< n), stay[] marks
 * its LIS. Movers adjacent in w whose ranks (positions in sorted order) are consecutive
 * form a block; blocks are placed from the highest rank down, each just before the
 * entry of the next rank (or at the end). Invariant: after placing the block starting
 * at rank r, every entry of rank >= r is in sorted order; stayers are sorted among
 * themselves, so at the end the whole list is. Appends one REORDER per block that
 * actually moves to *b. */
static int plan_reorders(const size_t *w_in, const bool *stay, size_t k, size_t n,
                         struct builder *b)
{
    int rc = ERR_NOMEM;
    size_t one = k ? k : 1;
    size_t *rank = malloc((n ? n : 1) * sizeof(*rank));
    size_t *w = malloc(one * sizeof(*w));
    size_t *pos = malloc(one * sizeof(*pos));
    size_t *tmp = malloc(one * sizeof(*tmp));
    size_t *blocks = malloc(2 * one * sizeof(*blocks));
    bool *mover = calloc(one, sizeof(*mover));
    size_t nblk = 0;
    if (!rank || !w || !pos || !tmp || !blocks || !mover)
        goto done;

    for (size_t j = 0; j < n; j++)
        rank[j] = NONE;
    for (size_t i = 0; i < k; i++)
        rank[w_in[i]] = 0;
    for (size_t j = 0, r = 0; j < n; j++)
        if (rank[j] != NONE)
            rank[j] = r++;
    for (size_t i = 0; i < k; i++) {
        w[i] = rank[w_in[i]];
        pos[w[i]] = i;
        mover[w[i]] = !stay[i];
    }
    for (size_t i = 0; i < k;) {
        if (!mover[w[i]]) {
            i++;
            continue;
        }
        size_t len = 1;
        while (i + len < k && mover[w[i + len]] && w[i + len] == w[i] + len)
            len++;
        blocks[2 * nblk] = w[i];
        blocks[2 * nblk + 1] = len;
        nblk++;
        i += len;
    }
    qsort(blocks, nblk, 2 * sizeof(*blocks), cmp_block_desc);
    for (size_t bi = 0; bi < nblk; bi++) {
        size_t r = blocks[2 * bi], len = blocks[2 * bi + 1];
        size_t s = pos[r];
        size_t before = r + len < k ? pos[r + len] : k;
        if (before >= s && before <= s + len)
            continue; /* already in place */
        struct write_op *op = push_op(b);
        if (!op)
            goto done;
        op->kind = WRITE_OP_REORDER;
        op->range_start = s;
        op->range_length = len;
        op->insert_before = before;
        move_block(w, pos, tmp, s, len, before);
    }
    rc = 0;
done:
    free(rank);
    free(w);
    free(pos);
    free(tmp);
    free(blocks);
    free(mover);
    return rc;
}

static bool is_local_uri(const char *uri)
{
    return strncmp(uri, "spotify:local:", 14) == 0;
}

int write_plan_build(const char *const *current, size_t n_current, const char *const *target,
                     size_t n_target, struct write_plan *out)
{
    int rc = 0;
    struct uri_map map = {.index = HASH_INIT};
    const char **dlist = NULL; /* uris to remove (first-occurrence order), then movers */
    size_t *kseq = NULL;       /* target indices of the survivors, in current order */
    bool *stay = NULL, *present = NULL;
    struct builder fin = {0}, reord = {0};
    size_t m = n_current, n = n_target, nd = 0, k = 0, nm = 0;
    bool force_replace = false;

    write_plan_release(out);
    if ((n && !target) || (m && !current))
        return ERR_VALIDATION;
    if ((rc = uri_map_init(&map, m + n)) != 0)
        goto done;
    for (size_t j = 0; j < n; j++) {
        if (!target[j]) {
            rc = ERR_VALIDATION;
            goto done;
        }
        struct uri_info *sl = uri_info(&map, target[j], true);
        if (sl->tidx != NONE) {
            rc = ERR_VALIDATION; /* duplicate in target */
            goto done;
        }
        sl->tidx = j;
    }
    for (size_t i = 0; i < m; i++) {
        if (!current[i])
            force_replace = true; /* an entry without uri cannot be removed by uri */
        else
            uri_info(&map, current[i], true)->count++;
    }
    for (size_t s = 0; s < map.n; s++) {
        const struct uri_info *sl = &map.infos[s];
        if (sl->tidx != NONE && sl->count == 0)
            out->added++;
        else if (sl->tidx == NONE && sl->count > 0)
            out->removed++;
    }
    if (lists_equal(current, m, target, n)) {
        out->strategy = WRITE_PLAN_NONE;
        goto done;
    }

    dlist = malloc((m ? m : 1) * sizeof(*dlist));
    kseq = malloc((m ? m : 1) * sizeof(*kseq));
    stay = calloc(m ? m : 1, sizeof(*stay));
    present = calloc(n ? n : 1, sizeof(*present));
    if (!dlist || !kseq || !stay || !present) {
        rc = ERR_NOMEM;
        goto done;
    }
    for (size_t i = 0; i < m; i++) {
        if (!current[i])
            continue;
        struct uri_info *sl = uri_info(&map, current[i], false);
        if (sl->tidx != NONE && sl->count == 1) {
            kseq[k++] = sl->tidx;
            continue;
        }
        if (!sl->listed) {
            sl->listed = true;
            dlist[nd++] = sl->uri;
            if (is_local_uri(sl->uri))
                force_replace = true; /* Spotify does not reliably remove local files */
        }
    }
    if ((rc = mark_lis(kseq, k, stay)) != 0)
        goto done;
    for (size_t i = 0; i < k; i++)
        nm += !stay[i];

    /* Costs. A: movers deleted and re-inserted. B: movers reordered. R: replace. */
    size_t cost_r = replace_cost(n), cost_a, cost_b = SIZE_MAX;
    for (size_t i = 0; i < k; i++)
        present[kseq[i]] = stay[i];
    cost_a = chunks(nd + nm) + insert_cost(present, n);
    if (nm > 0 && nm <= WRITE_PLAN_MAX_MOVERS && !force_replace) {
        for (size_t i = 0; i < k; i++)
            present[kseq[i]] = true;
        size_t base_b = chunks(nd) + insert_cost(present, n);
        if (base_b + 1 <= (cost_a < cost_r ? cost_a : cost_r)) {
            if ((rc = plan_reorders(kseq, stay, k, n, &reord)) != 0)
                goto done;
            cost_b = base_b + reord.n;
        }
    }

    fin.store = malloc((m + n + 1) * sizeof(*fin.store));
    if (!fin.store) {
        rc = ERR_NOMEM;
        goto done;
    }
    const char *const *tstore = store_put(&fin, target, n);
    if (force_replace || (cost_r < cost_a && cost_r < cost_b)) {
        out->strategy = WRITE_PLAN_REPLACE;
        rc = emit_replace(&fin, tstore, n);
    } else if (cost_b <= cost_a) {
        out->strategy = WRITE_PLAN_REORDER;
        if ((rc = emit_removes(&fin, dlist, nd)) != 0)
            goto done;
        for (size_t i = 0; i < reord.n && rc == 0; i++) {
            struct write_op *op = push_op(&fin);
            if (!op)
                rc = ERR_NOMEM;
            else
                *op = reord.ops[i];
        }
        for (size_t i = 0; i < k; i++)
            present[kseq[i]] = true;
        if (rc == 0)
            rc = emit_inserts(&fin, tstore, present, n);
    } else {
        out->strategy = WRITE_PLAN_DELETE_INSERT;
        for (size_t i = 0; i < k; i++) {
            present[kseq[i]] = stay[i];
            if (!stay[i])
                dlist[nd++] = target[kseq[i]];
        }
        if ((rc = emit_removes(&fin, dlist, nd)) == 0)
            rc = emit_inserts(&fin, tstore, present, n);
    }
    if (rc != 0)
        goto done;
    out->ops = fin.ops;
    out->n_ops = fin.n;
    out->store = fin.store;
    out->store_len = fin.store_len;
    fin.ops = NULL;
    fin.store = NULL;
done:
    uri_map_release(&map);
    free(dlist);
    free(kseq);
    free(stay);
    free(present);
    free(fin.ops);
    free(fin.store);
    free(reord.ops);
    if (rc != 0)
        write_plan_release(out);
    return rc;
}

void write_plan_release(struct write_plan *p)
{
    if (!p)
        return;
    free(p->ops);
    free(p->store);
    *p = (struct write_plan)WRITE_PLAN_INIT;
}

size_t write_plan_bound(const char *const *current, size_t n_current, const char *const *target,
                        size_t n_target)
{
    if (lists_equal(current, n_current, target, n_target))
        return 0;
    return replace_cost(n_target);
}

/* ---- Simulation --------------------------------------------------------------------- */

static bool op_has_uri(const struct write_op *op, const char *uri)
{
    for (size_t i = 0; i < op->n_uris; i++)
        if (strcmp(op->uris[i], uri) == 0)
            return true;
    return false;
}

int write_plan_apply_op(const struct write_op *op, const char ***list, size_t *n)
{
    const char **l = *list;
    size_t len = *n;

    switch (op->kind) {
    case WRITE_OP_REPLACE: {
        const char **nl = malloc((op->n_uris ? op->n_uris : 1) * sizeof(*nl));
        if (!nl)
            return ERR_NOMEM;
        if (op->n_uris)
            memcpy(nl, op->uris, op->n_uris * sizeof(*nl));
        free(l);
        *list = nl;
        *n = op->n_uris;
        return 0;
    }
    case WRITE_OP_ADD: {
        if (op->position > len)
            return ERR_VALIDATION;
        const char **nl = realloc(l, (len + op->n_uris + 1) * sizeof(*nl));
        if (!nl)
            return ERR_NOMEM;
        memmove(nl + op->position + op->n_uris, nl + op->position,
                (len - op->position) * sizeof(*nl));
        if (op->n_uris)
            memcpy(nl + op->position, op->uris, op->n_uris * sizeof(*nl));
        *list = nl;
        *n = len + op->n_uris;
        return 0;
    }
    case WRITE_OP_REMOVE: {
        size_t w = 0;
        for (size_t i = 0; i < len; i++)
            if (!l[i] || !op_has_uri(op, l[i]))
                l[w++] = l[i];
        *n = w;
        return 0;
    }
    case WRITE_OP_REORDER: {
        size_t s = op->range_start, rl = op->range_length, b = op->insert_before;
        if (rl == 0 || s > len || rl > len - s || b > len)
            return ERR_VALIDATION;
        if (b >= s && b <= s + rl)
            return 0;
        const char **tmp = malloc(rl * sizeof(*tmp));
        if (!tmp)
            return ERR_NOMEM;
        memcpy(tmp, l + s, rl * sizeof(*tmp));
        if (b < s) {
            memmove(l + b + rl, l + b, (s - b) * sizeof(*l));
            memcpy(l + b, tmp, rl * sizeof(*l));
        } else {
            memmove(l + s, l + s + rl, (b - s - rl) * sizeof(*l));
            memcpy(l + b - rl, tmp, rl * sizeof(*l));
        }
        free(tmp);
        return 0;
    }
    }
    return ERR_VALIDATION;
}

int write_plan_apply(const struct write_plan *p, const char *const *current, size_t n_current,
                     const char ***out, size_t *n_out)
{
    const char **l = malloc((n_current ? n_current : 1) * sizeof(*l));
    size_t n = n_current;
    int rc = 0;

    *out = NULL;
    *n_out = 0;
    if (!l)
        return ERR_NOMEM;
    if (n_current)
        memcpy(l, current, n_current * sizeof(*l));
    for (size_t i = 0; i < p->n_ops && rc == 0; i++)
        rc = write_plan_apply_op(&p->ops[i], &l, &n);
    if (rc != 0) {
        free(l);
        return rc;
    }
    *out = l;
    *n_out = n;
    return 0;
}

const char *write_plan_strategy_name(enum write_plan_strategy s)
{
    switch (s) {
    case WRITE_PLAN_NONE: return "none";
    case WRITE_PLAN_DELETE_INSERT: return "delete_insert";
    case WRITE_PLAN_REORDER: return "reorder";
    case WRITE_PLAN_REPLACE: return "replace";
    }
    return "?";
}
