/* Child playlists: the PUT that replaces the whole set of children of a base in one
 * transaction (child_playlist_service_replace). The validation shared with POST and
 * PATCH is in child_playlist_service.c, declared in child_playlist_internal.h. */
#include "services/playlists/child_playlist_service.h"

#include <assert.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "repositories/base_playlist_repo.h"
#include "repositories/child_playlist_repo.h"
#include "lib/app_err.h"
#include "lib/arena.h"
#include "services/playlists/child_playlist_internal.h"

/* One item of a replace while it is being validated. */
struct put_item {
    const json_t *obj;
    const char *prefix; /* "/items/N" */
    struct child_playlist_input in;
    const struct child_playlist *existing; /* the child it updates, or NULL */
    int64_t order_key;
    size_t index;
};

static int by_order_key(const void *pa, const void *pb)
{
    const struct put_item *x = pa, *y = pb;
    if (x->order_key != y->order_key)
        return x->order_key < y->order_key ? -1 : 1;
    return x->index < y->index ? -1 : x->index > y->index; /* stable */
}

int child_playlist_service_replace(struct app *app, struct db *db, struct arena *a,
                                   const char *user_id, const char *base_id, const json_t *body,
                                   struct child_playlist **items_out, size_t *n_out,
                                   struct report *rep)
{
    struct playlist_spotify sp;
    struct base_playlist base;
    struct child_playlist *existing = NULL;
    struct put_item *items = NULL, *sorted = NULL;
    struct child_playlist_put *puts = NULL;
    size_t n_existing = 0, n = 0, catch_alls = 0, bad = 0;
    const json_t *arr;
    const char *key, *now = NULL;
    json_t *v;
    int rc;
    assert(rep != NULL); /* the services read it to see problems */

    playlist_spotify_init(&sp, app, db, user_id);
    *items_out = NULL;
    *n_out = 0;
    if ((rc = base_playlist_repo_find(db, a, user_id, base_id, &base)) != 0)
        goto done;
    json_object_foreach((json_t *)body, key, v)
    {
        const char *path = report_pointer(a, "", key);
        if (!path) {
            rc = ERR_NOMEM;
            goto done;
        }
        if (strcmp(key, "items") != 0 && (rc = report_add(rep, path, "unknown field")))
            goto done;
    }
    arr = json_object_get(body, "items");
    if (!json_is_array(arr)) {
        rc = report_add(rep, "/items",
                                 arr ? "must be an array of child playlists" : "is required");
        rc = rc ? rc : ERR_VALIDATION;
        goto done;
    }
    n = json_array_size(arr);
    if (n > CHILD_PLAYLIST_MAX_PER_BASE) {
        rc = report_add(rep, "/items", "a base playlist has at most %d child playlists",
                                 CHILD_PLAYLIST_MAX_PER_BASE);
        rc = rc ? rc : ERR_VALIDATION;
        goto done;
    }
    if ((rc = child_playlist_repo_list_by_base(db, a, user_id, base_id, &existing, &n_existing)) !=
        0)
        goto done;
    if (n && (!(items = arena_alloc(a, sizeof *items * n)) ||
              !(sorted = arena_alloc(a, sizeof *sorted * n)) ||
              !(puts = arena_alloc(a, sizeof *puts * n)))) {
        rc = ERR_NOMEM;
        goto done;
    }

    /* 1. Every item on its own. */
    for (size_t i = 0; i < n; i++) {
        struct put_item *it = &items[i];
        it->obj = json_array_get(arr, i);
        it->index = i;
        if (!(it->prefix = arena_sprintf(a, "/items/%zu", i))) {
            rc = ERR_NOMEM;
            goto done;
        }
        if ((rc = child_playlist_input_parse(it->obj, CHILD_PLAYLIST_BODY_PUT_ITEM, it->prefix,
                                             base_id, a, &it->in, rep)) ||
            (rc = child_playlist_config_check(app, it->obj, it->prefix, rep)))
            goto done;
        it->order_key = it->in.has_position ? it->in.position : (int64_t)i;
    }

    /* 2. The items against each other and against the stored set. */
    for (size_t i = 0; i < n; i++) {
        struct put_item *it = &items[i];
        const char *id_path = arena_sprintf(a, "%s/id", it->prefix);
        const char *sp_path = arena_sprintf(a, "%s/spotify_playlist_id", it->prefix);
        if (!id_path || !sp_path) {
            rc = ERR_NOMEM;
            goto done;
        }
        if (it->in.id) {
            size_t first = i;
            for (size_t k = 0; k < i && first == i; k++)
                if (items[k].in.id && strcmp(items[k].in.id, it->in.id) == 0)
                    first = k;
            if (first < i) {
                /* Only the repeat is reported: it takes nothing from the child. */
                if ((rc = report_add(rep, id_path, "repeats the id of /items/%zu", first)))
                    goto done;
            } else {
                for (size_t k = 0; k < n_existing && !it->existing; k++)
                    if (strcmp(existing[k].id, it->in.id) == 0)
                        it->existing = &existing[k];
                if (!it->existing &&
                    (rc = report_add(rep, id_path,
                                              "no child playlist with id %s belongs to this "
                                              "base playlist",
                                              it->in.id)))
                    goto done;
            }
        }
        /* An update item without spotify_playlist_id keeps its child's playlist. */
        if (!it->in.spotify_playlist_id && it->existing)
            it->in.spotify_playlist_id = it->existing->spotify_playlist_id;
        if (it->in.spotify_playlist_id) {
            if ((rc = child_playlist_spotify_id_conflicts(db, a, user_id, &base,
                                                          it->in.spotify_playlist_id, it->in.id,
                                                          true, sp_path, rep)))
                goto done;
            for (size_t k = 0; k < i; k++)
                if (items[k].in.spotify_playlist_id &&
                    strcmp(items[k].in.spotify_playlist_id, it->in.spotify_playlist_id) == 0 &&
                    (rc = report_add(rep, sp_path,
                                              "is also the Spotify playlist of /items/%zu", k)))
                    goto done;
        }
        if (json_is_true(json_object_get(it->obj, "catch_all")) && catch_alls++ > 0) {
            const char *path = arena_sprintf(a, "%s/catch_all", it->prefix);
            if (!path || (rc = report_add(rep, path,
                                                   "another item is already the catch-all; a "
                                                   "base playlist has at most one")))
                goto done;
        }
    }
    if (child_playlist_has_problems(rep)) {
        rc = ERR_VALIDATION;
        goto done;
    }
    /* A stale item version is refused before anything is created on Spotify. */
    for (size_t i = 0; i < n; i++)
        if (items[i].in.version > 0 && items[i].existing &&
            items[i].in.version != items[i].existing->version) {
            report_message(rep,
                                    "/items/%zu: child playlist %s is at version %lld, "
                                    "not %lld",
                                    i, items[i].in.id, (long long)items[i].existing->version,
                                    (long long)items[i].in.version);
            rc = ERR_VERSION_MISMATCH;
            goto done;
        }

    /* 3. Spotify: check the playlists given anew, then create the missing ones. */
    for (size_t i = 0; i < n; i++) {
        struct put_item *it = &items[i];
        if (it->in.spotify_playlist_id &&
            !(it->existing &&
              strcmp(it->existing->spotify_playlist_id, it->in.spotify_playlist_id) == 0)) {
            const char *sp_path = arena_sprintf(a, "%s/spotify_playlist_id", it->prefix);
            if (!sp_path) {
                rc = ERR_NOMEM;
                goto done;
            }
            rc = playlist_spotify_check(&sp, a, it->in.spotify_playlist_id, sp_path, NULL, rep);
            if (rc != 0 && rc != ERR_VALIDATION)
                goto done;
        }
    }
    if (child_playlist_has_problems(rep)) {
        rc = ERR_VALIDATION;
        goto done;
    }
    for (size_t i = 0; i < n; i++)
        if (!items[i].in.spotify_playlist_id &&
            (rc = playlist_spotify_create(&sp, a, items[i].in.name,
                                          child_playlist_description(a, &base),
                                          &items[i].in.spotify_playlist_id, rep)) != 0)
            goto done;

    /* 4. Positions: by the given position (an item without one counts as its index),
     * ties in array order, then renumbered 0..n-1. */
    if (n)
        memcpy(sorted, items, sizeof *items * n);
    if (n > 1)
        qsort(sorted, n, sizeof *sorted, by_order_key);
    if ((rc = child_playlist_now_text(a, &now)) != 0)
        goto done;
    for (size_t i = 0; i < n; i++) {
        struct put_item *it = &items[i];
        struct child_playlist_put *p = &puts[i];
        memset(p, 0, sizeof *p);
        if ((rc = child_playlist_config_store(it->obj, a, &p->cp)) != 0)
            goto done;
        for (size_t k = 0; k < n; k++)
            if (sorted[k].index == i)
                p->cp.position = (int64_t)k;
        p->create = it->existing == NULL;
        if (p->create && (rc = child_playlist_new_id(a, &p->cp.id)) != 0)
            goto done;
        if (!p->create)
            p->cp.id = it->existing->id;
        p->cp.user_id = user_id;
        p->cp.base_playlist_id = base_id;
        p->cp.spotify_playlist_id = it->in.spotify_playlist_id;
        p->cp.name = it->in.name;
        p->cp.version = 1;
        p->cp.created = now;
        p->cp.updated = now;
        p->expected_version = it->in.version;
    }

    /* 5. One transaction. */
    rc = child_playlist_repo_replace_all(db, user_id, base_id, puts, n, &bad);
    if (rc == ERR_VALIDATION && bad < n) {
        const char *path = arena_sprintf(a, "/items/%zu/id", bad);
        int r2 = path ? report_add(rep, path,
                                            "no child playlist with id %s belongs to this base "
                                            "playlist (any more)",
                                            puts[bad].cp.id)
                      : ERR_NOMEM;
        if (r2 != 0)
            rc = r2;
    } else if (rc == ERR_VERSION_MISMATCH && bad < n) {
        report_message(rep, "/items/%zu: child playlist %s has changed meanwhile", bad,
                                puts[bad].cp.id);
    } else if (rc == ERR_CONFLICT) {
        report_message(rep, "a concurrent change conflicts with /items/%zu; retry", bad);
    }
    if (rc != 0)
        goto done;
    rc = child_playlist_repo_list_by_base(db, a, user_id, base_id, items_out, n_out);
done:
    if (rc != 0)
        playlist_spotify_log_orphans(&sp, "the child playlists were not replaced");
    playlist_spotify_release(&sp);
    return rc;
}
