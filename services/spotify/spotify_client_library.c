/* The snapshot ids of several playlists at once, from the user's library
 * (GET /me/playlists lists every playlist with its snapshot_id, 50 per page), with a
 * fallback to one GET /playlists/{id} per playlist the library does not list. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/app_err.h"
#include "lib/json_text.h"
#include "services/spotify/spotify_client_internal.h"

#define LIBRARY_PAGE 50 /* GET /me/playlists: largest `limit` */
#define LIBRARY_MAX_PAGES 40

struct library_ctx {
    struct arena *a;
    const char *const *ids;
    size_t n;
    const char **snaps;
    size_t total; /* playlists in the library, from the first page */
};

/* Notes the snapshot of every asked id that the page lists. */
static int library_page_done(struct spotify_client *c, struct sc_req *r, void *ud)
{
    struct library_ctx *ctx = ud;
    json_t *root = r->resp.len ? json_text_loadb(r->resp.data, r->resp.len, 0, NULL) : NULL;
    json_t *items = json_object_get(root, "items");
    size_t i;
    json_t *pl;
    int rc = 0;

    if (!json_is_array(items)) {
        json_decref(root);
        return sc_fail(c, ERR_SPOTIFY, "Spotify answered GET /me/playlists with malformed JSON");
    }
    if (r->index == 0 && json_is_integer(json_object_get(root, "total")))
        ctx->total = (size_t)json_integer_value(json_object_get(root, "total"));
    json_array_foreach(items, i, pl)
    {
        const char *id = json_string_value(json_object_get(pl, "id"));
        const char *snap = json_string_value(json_object_get(pl, "snapshot_id"));
        if (!id || !snap)
            continue;
        for (size_t k = 0; k < ctx->n; k++) {
            if (ctx->snaps[k] || strcmp(ctx->ids[k], id) != 0)
                continue;
            if (!(ctx->snaps[k] = arena_strdup(ctx->a, snap))) {
                rc = sc_fail(c, ERR_NOMEM, "out of memory");
                goto done;
            }
        }
    }
done:
    json_decref(root);
    buf_release(&r->resp);
    return rc;
}

/* Pages [first, first + count) of the library (offsets in pages), in parallel. */
static int library_pages(struct spotify_client *c, struct library_ctx *ctx, size_t first,
                         size_t count)
{
    struct sc_req *reqs = calloc(count, sizeof *reqs);
    int rc = 0;
    if (!reqs)
        return sc_fail(c, ERR_NOMEM, "out of memory");
    for (size_t i = 0; i < count; i++) {
        char q[64];
        size_t off = (first + i) * LIBRARY_PAGE;
        snprintf(q, sizeof q, "limit=%d&offset=%zu", LIBRARY_PAGE, off);
        if (sc_req_init(c, &reqs[i], "GET", "GET /me/playlists", "/me/playlists", q, NULL, true) !=
            0) {
            rc = sc_fail(c, ERR_NOMEM, "out of memory");
            goto done;
        }
        reqs[i].on_done = library_page_done;
        reqs[i].ud = ctx;
        reqs[i].index = off;
    }
    rc = sc_run(c, reqs, count);
done:
    for (size_t i = 0; i < count; i++)
        sc_req_release(&reqs[i]);
    free(reqs);
    return rc;
}

static size_t count_missing(const char *const *snaps, size_t n)
{
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        m += snaps[i] == NULL;
    return m;
}

static int get_snapshots(struct spotify_client *c, struct arena *a, const char *const *ids,
                         size_t n, const char **snaps)
{
    struct library_ctx ctx = {a, ids, n, snaps, 0};
    int rc;

    for (size_t i = 0; i < n; i++)
        snaps[i] = NULL;
    if (n == 0)
        return 0;
    /* One playlist: its own header is one request too, and exact. */
    if (n > 1) {
        if ((rc = sc_begin(c)) != 0 || (rc = library_pages(c, &ctx, 0, 1)) != 0)
            return rc;
        size_t missing = count_missing(snaps, n);
        size_t pages = ctx.total > LIBRARY_PAGE
                           ? (ctx.total - LIBRARY_PAGE + LIBRARY_PAGE - 1) / LIBRARY_PAGE
                           : 0;
        /* The rest of a large library, when that is cheaper than asking one by one. */
        if (missing > 0 && pages > 0 && pages < missing && pages <= LIBRARY_MAX_PAGES &&
            (rc = library_pages(c, &ctx, 1, pages)) != 0)
            return rc;
    }
    for (size_t i = 0; i < n; i++) {
        struct spotify_playlist_info info;
        if (snaps[i])
            continue;
        if ((rc = spotify_client_get_playlist_info(c, a, ids[i], &info, NULL)) != 0)
            return rc;
        snaps[i] = info.snapshot_id;
    }
    return 0;
}

int spotify_client_get_snapshots(struct spotify_client *c, struct arena *a, const char *const *ids,
                                 size_t n, const char **snaps, struct report *rep)
{
    return sc_end(c, get_snapshots(c, a, ids, n, snaps), rep);
}
