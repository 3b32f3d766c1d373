/* The user's tags: validation, normalisation, and their values in a sync. */
#include "services/tags/tag_service.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib/app_err.h"
#include "lib/util.h"
#include "services/rules/rule.h"

bool tag_service_item_valid(const char *kind, const char *id)
{
    size_t n = id ? strlen(id) : 0;
    if (!kind || (strcmp(kind, "tracks") != 0 && strcmp(kind, "artists") != 0))
        return false;
    if (n == 0 || n > TAG_MAX_ID_LEN)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = id[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')))
            return false;
    }
    return true;
}

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

static const char OOM[] = "out of memory";
#define MAX_DETAILS 100 /* problems reported for one body */

/* One tag normalised into the arena (*out), or a static problem (OOM when out of
 * memory). */
static const char *normalise(const json_t *v, struct arena *a, const char **out)
{
    const char *s = json_string_value(v);
    size_t len = json_string_length(v), chars = 0;
    if (!json_is_string(v))
        return "expected a string";
    while (len > 0 && is_space(*s)) {
        s++;
        len--;
    }
    while (len > 0 && is_space(s[len - 1]))
        len--;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x20 || c == 0x7f)
            return "must not contain control characters";
        chars += (c & 0xC0) != 0x80; /* jansson strings are valid UTF-8 */
    }
    if (chars == 0)
        return "must not be empty (after trimming white space)";
    if (chars > TAG_MAX_LEN)
        return "must be at most 64 characters";
    char *t = arena_alloc(a, len + 1);
    if (!t)
        return OOM;
    rule_fold(s, len, t);
    *out = t;
    return NULL;
}

static int cmp_str(const void *x, const void *y)
{
    return strcmp(*(const char *const *)x, *(const char *const *)y);
}

/* The body's tags, normalised, unique and sorted; problems go to rep. */
static int parse_tags(const json_t *body, struct arena *a, const char ***out, size_t *n,
                      struct report *rep)
{
    const json_t *tags = json_object_get(body, "tags");
    const char *key;
    const json_t *v;
    size_t i, k = 0;
    int bad = 0;

    json_object_foreach((json_t *)body, key, v)
    {
        if (strcmp(key, "tags") != 0) {
            bad = 1;
            const char *path = report_pointer(a, "", key);
            if (!path || report_add(rep, path, "unknown member '%s'", key) != 0)
                return ERR_NOMEM;
        }
    }
    if (!tags) {
        bad = 1;
        if (report_add(rep, "/tags", "missing member 'tags' (an array of strings)") != 0)
            return ERR_NOMEM;
    } else if (!json_is_array(tags)) {
        bad = 1;
        if (report_add(rep, "/tags", "expected an array of strings") != 0)
            return ERR_NOMEM;
    }
    const char **list = arena_alloc(a, (json_array_size(tags) + 1) * sizeof *list);
    if (!list)
        return ERR_NOMEM;
    json_array_foreach(tags, i, v)
    {
        const char *t = NULL, *problem = normalise(v, a, &t);
        bool dup = false;
        for (size_t j = 0; !problem && j < k && !dup; j++)
            dup = strcmp(list[j], t) == 0;
        if (!problem && !dup && k == TAG_MAX_PER_ITEM)
            problem = "too many tags: at most 50 per item";
        if (problem == OOM)
            return ERR_NOMEM;
        if (problem && bad++ >= MAX_DETAILS)
            continue;
        if (problem) {
            char path[32];
            snprintf(path, sizeof path, "/tags/%zu", i);
            if (report_add(rep, path, "%s", problem) != 0)
                return ERR_NOMEM;
            continue;
        }
        if (!dup)
            list[k++] = t;
    }
    if (bad)
        return ERR_VALIDATION;
    qsort(list, k, sizeof *list, cmp_str);
    *out = list;
    *n = k;
    return 0;
}

int tag_service_put(struct db *db, struct arena *a, const char *user_id, const char *kind,
                    const char *id, const json_t *body, struct tag_item *out, struct report *rep)
{
    const char **tags = NULL;
    size_t n = 0;
    bool changed = false;
    char now[21];
    int rc;

    memset(out, 0, sizeof *out);
    if (!kind || (strcmp(kind, "tracks") != 0 && strcmp(kind, "artists") != 0))
        return ERR_NOT_FOUND;
    if (!json_is_object(body))
        return ERR_INVALID_JSON;
    if (!tag_service_item_valid(kind, id)) {
        return report_add(rep, "id", "must be a Spotify id (1 to %d letters and digits)",
                          TAG_MAX_ID_LEN) == 0
                   ? ERR_VALIDATION
                   : ERR_NOMEM;
    }
    if ((rc = parse_tags(body, a, &tags, &n, rep)) != 0)
        return rc;
    out->kind = kind;
    out->id = id;
    out->tags = tags;
    out->n_tags = n;
    if (n == 0) {
        rc = tag_repo_delete(db, user_id, kind, id);
        return rc == ERR_NOT_FOUND ? 0 : rc;
    }
    util_time_format(time(NULL), now);
    rc = tag_repo_put(db, user_id, kind, id, tags, n, now, TAG_MAX_ITEMS, &changed);
    if (rc == ERR_CONFLICT)
        return report_add(rep, "/tags", "a user may tag at most %d items; remove some first",
                          TAG_MAX_ITEMS) == 0
                   ? ERR_VALIDATION
                   : ERR_NOMEM;
    return rc;
}

int tag_service_get(struct db *db, struct arena *a, const char *user_id, const char *kind,
                    const char *id, struct tag_item *out)
{
    memset(out, 0, sizeof *out);
    if (!tag_service_item_valid(kind, id))
        return ERR_NOT_FOUND;
    return tag_repo_get(db, a, user_id, kind, id, out);
}

int tag_service_delete(struct db *db, const char *user_id, const char *kind, const char *id)
{
    if (!tag_service_item_valid(kind, id))
        return ERR_NOT_FOUND;
    return tag_repo_delete(db, user_id, kind, id);
}

int tag_service_list(struct db *db, struct arena *a, const char *user_id, struct tag_item **items,
                     size_t *n)
{
    return tag_repo_list(db, a, user_id, items, n);
}

static int cmp_item(const void *key, const void *elem)
{
    const struct tag_item *k = key, *e = elem;
    int c = strcmp(k->kind, e->kind);
    return c ? c : strcmp(k->id, e->id);
}

static const struct tag_item *find(const struct tag_item *items, size_t n, const char *kind,
                                   const char *id)
{
    struct tag_item key = {.kind = kind, .id = id};
    return id ? bsearch(&key, items, n, sizeof key, cmp_item) : NULL;
}

int tag_service_apply(const struct tag_item *items, size_t n_items, struct track *tracks,
                      size_t n, struct arena *a)
{
    for (size_t i = 0; n_items && i < n; i++) {
        struct track *t = &tracks[i];
        const struct tag_item *own = find(items, n_items, "tracks", t->id);
        size_t cap = own ? own->n_tags : 0;
        for (size_t j = 0; j < t->n_artists; j++) {
            const struct tag_item *ar = find(items, n_items, "artists", t->artist_ids[j]);
            cap += ar ? ar->n_tags : 0;
        }
        if (cap == 0)
            continue;
        const char **list = arena_alloc(a, cap * sizeof *list);
        size_t k = 0;
        if (!list)
            return ERR_NOMEM;
        for (size_t q = 0; own && q < own->n_tags; q++)
            list[k++] = own->tags[q];
        for (size_t j = 0; j < t->n_artists; j++) {
            const struct tag_item *ar = find(items, n_items, "artists", t->artist_ids[j]);
            for (size_t q = 0; ar && q < ar->n_tags; q++)
                list[k++] = ar->tags[q];
        }
        qsort(list, k, sizeof *list, cmp_str);
        size_t u = 0;
        for (size_t q = 0; q < k; q++)
            if (u == 0 || strcmp(list[u - 1], list[q]) != 0)
                list[u++] = list[q];
        t->tags = list;
        t->n_tags = u;
    }
    return 0;
}
