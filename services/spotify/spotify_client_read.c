/* Reads: playlists (first page embedded, the rest in parallel), /me, batch metadata. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/app_err.h"
#include "lib/json_text.h"
#include "lib/log.h"
#include "services/spotify/spotify_client.h"
#include "services/spotify/spotify_client_internal.h"

/* A bad answer could claim any total: refuse to allocate for more than this. */
#define MAX_PLAYLIST_ENTRIES 1000000

/* ---- fields= of the playlist reads ---------------------------------------------------- */

/* Only what spotify_parse.c reads travels (fields= filter). */
static int entry_fields(struct buf *b, const struct spotify_api *api, bool uris_only)
{
    if (uris_only)
        return buf_appendf(b, "is_local,%s(type,id,uri,is_local,linked_from(id,uri))",
                           api->entry_key);
    return buf_appendf(b,
                       "added_at,added_by(id),is_local,%s(type,id,uri,name,duration_ms,explicit,"
                       "track_number,disc_number,popularity,is_local,external_ids(isrc),"
                       "artists(id,name),album(id,name,album_type,release_date),"
                       "linked_from(id,uri),release_date)",
                       api->entry_key);
}

/* "fields=<escaped>&additional_types=track,episode" (+ prefix, e.g. "offset=..&"). */
static int fields_query(struct buf *q, const char *prefix, const char *fields)
{
    if ((prefix && buf_append_str(q, prefix) != 0) || buf_append_str(q, "fields=") != 0 ||
        sc_escape(q, fields) != 0 || buf_append_str(q, "&additional_types=track%2Cepisode") != 0)
        return -1;
    return 0;
}

static json_t *parse_body(struct spotify_client *c, const struct sc_req *r)
{
    json_t *root = r->resp.len ? json_text_loadb(r->resp.data, r->resp.len, 0, NULL) : NULL;
    if (!root)
        sc_fail(c, ERR_SPOTIFY, "Spotify answered %s with malformed JSON", r->endpoint);
    return root;
}

/* ---- Playlist read ------------------------------------------------------------------- */

/* One items page (offset = r->index): parse into items[offset..]. */
static int page_done(struct spotify_client *c, struct sc_req *r, void *ud)
{
    struct sc_pages *ctx = ud;
    size_t want = ctx->total - r->index < ctx->page_limit ? ctx->total - r->index : ctx->page_limit;
    size_t n = 0, total = 0;
    json_t *root = parse_body(c, r);
    int rc;
    if (!root)
        return ERR_SPOTIFY;
    rc = spotify_parse_page(root, r->index, ctx->a, ctx->items + r->index, want, &n, &total);
    json_decref(root);
    buf_release(&r->resp); /* parsed: free the body now, not at the end of the read */
    if (rc == ERR_SPOTIFY || total != ctx->total || n != want) {
        ctx->changed = true; /* more entries than expected, or another total */
        return 0;
    }
    if (rc != 0)
        return sc_fail(c, rc, "out of memory reading a playlist");
    return 0;
}

int sc_read_pages(struct spotify_client *c, struct sc_pages *p, const char *path,
                  const char *endpoint, const char *query_tail, size_t first, bool playlist_read)
{
    struct sc_req *reqs = NULL;
    struct buf q = BUF_INIT;
    size_t nreq = 0;
    int rc = 0;

    if (first >= p->total)
        return 0;
    nreq = (p->total - first + p->page_limit - 1) / p->page_limit;
    if (!(reqs = calloc(nreq, sizeof(*reqs))))
        goto oom;
    for (size_t i = 0; i < nreq; i++) {
        size_t off = first + i * p->page_limit;
        buf_reset(&q);
        if (buf_appendf(&q, "offset=%zu&limit=%zu%s%s", off, p->page_limit,
                        query_tail ? "&" : "", query_tail ? query_tail : "") != 0 ||
            sc_req_init(c, &reqs[i], "GET", endpoint, path, q.data, NULL, true) != 0)
            goto oom;
        reqs[i].playlist_read = playlist_read;
        reqs[i].on_done = page_done;
        reqs[i].ud = p;
        reqs[i].index = off;
    }
    rc = sc_run(c, reqs, nreq);
    goto done;
oom:
    rc = sc_fail(c, ERR_NOMEM, "out of memory reading a playlist");
done:
    for (size_t i = 0; reqs && i < nreq; i++)
        sc_req_release(&reqs[i]);
    free(reqs);
    buf_release(&q);
    return rc;
}

/* One attempt at reading the whole playlist. */
static int read_once(struct spotify_client *c, struct arena *a, const char *playlist_id,
                     bool uris_only, struct spotify_playlist *out, bool *changed)
{
    const struct spotify_api *api = c->api;
    struct buf path = BUF_INIT, ipath = BUF_INIT, fields = BUF_INIT, q = BUF_INIT;
    struct sc_req first;
    size_t k = 0;
    json_t *root = NULL;
    const json_t *page = NULL;
    struct sc_pages ctx = {a, NULL, 0, (size_t)api->page_limit, false};
    int rc = ERR_NOMEM;

    memset(&first, 0, sizeof(first));
    memset(out, 0, sizeof(*out));
    *changed = false;
    if (sc_playlist_path(&path, playlist_id, NULL) != 0 ||
        sc_playlist_path(&ipath, playlist_id, api->items_segment) != 0 ||
        buf_appendf(&fields, "id,name,snapshot_id,owner(id),%s(total,limit,offset,items(",
                    api->embedded_key) != 0 ||
        entry_fields(&fields, api, uris_only) != 0 || buf_append_str(&fields, "))") != 0 ||
        fields_query(&q, NULL, fields.data) != 0)
        goto oom;
    if ((rc = sc_req_init(c, &first, "GET", "GET /playlists/{id}", path.data, q.data, NULL,
                          true)) != 0)
        goto oom;
    first.playlist_read = true;
    if ((rc = sc_run(c, &first, 1)) != 0)
        goto done;
    if (!(root = parse_body(c, &first))) {
        rc = ERR_SPOTIFY;
        goto done;
    }
    if ((rc = spotify_parse_playlist_info(root, a, &out->info, &page)) != 0)
        goto parse_failed;
    if (!page) {
        rc = sc_fail(c, ERR_SPOTIFY, "Spotify playlist answer has no items");
        goto done;
    }
    ctx.total = out->info.total;
    if (ctx.total > MAX_PLAYLIST_ENTRIES) {
        rc = sc_fail(c, ERR_SPOTIFY, "Spotify playlist too large (%zu entries)", ctx.total);
        goto done;
    }
    if (ctx.total && !(ctx.items = arena_alloc(a, ctx.total * sizeof(*ctx.items))))
        goto oom;
    if ((rc = spotify_parse_page(page, 0, a, ctx.items, ctx.total, &k, NULL)) != 0)
        goto parse_failed;
    json_decref(root);
    root = NULL;
    buf_release(&first.resp);

    /* The rest, in parallel; each page lands at its offset, so order is kept. */
    if (k < ctx.total) {
        buf_reset(&fields);
        buf_reset(&q);
        if (buf_append_str(&fields, "total,limit,offset,items(") != 0 ||
            entry_fields(&fields, api, uris_only) != 0 || buf_append_str(&fields, ")") != 0 ||
            fields_query(&q, NULL, fields.data) != 0)
            goto oom;
        if ((rc = sc_read_pages(c, &ctx, ipath.data, api->ep_items_get, q.data, k, true)) != 0)
            goto done;
    }
    if (ctx.changed) {
        *changed = true;
        rc = sc_fail(c, ERR_SPOTIFY, "the Spotify playlist changed while it was being read");
        goto done;
    }
    out->items = ctx.items;
    out->n_items = ctx.total;
    rc = 0;
    goto done;
parse_failed:
    if (rc == ERR_NOMEM)
        goto oom;
    rc = sc_fail(c, ERR_SPOTIFY, "Spotify playlist answer is malformed");
    goto done;
oom:
    rc = sc_fail(c, ERR_NOMEM, "out of memory reading a playlist");
done:
    json_decref(root);
    sc_req_release(&first);
    buf_release(&path);
    buf_release(&ipath);
    buf_release(&fields);
    buf_release(&q);
    return rc;
}

static int get_playlist(struct spotify_client *c, struct arena *a, const char *playlist_id,
                        bool uris_only, struct spotify_playlist *out)
{
    bool changed = false;
    int rc;
    memset(out, 0, sizeof(*out));
    if (!playlist_id || !*playlist_id)
        return sc_fail(c, ERR_NOT_FOUND, "no Spotify playlist id");
    if ((rc = sc_begin(c)) != 0)
        return rc;
    rc = read_once(c, a, playlist_id, uris_only, out, &changed);
    if (rc != 0 && changed) {
        log_info("spotify playlist changed during a read; reading it again");
        rc = read_once(c, a, playlist_id, uris_only, out, &changed);
    }
    return rc;
}

static int get_playlist_info(struct spotify_client *c, struct arena *a, const char *playlist_id,
                             struct spotify_playlist_info *out)
{
    struct buf path = BUF_INIT, fields = BUF_INIT, q = BUF_INIT;
    struct sc_req r;
    json_t *root = NULL;
    int rc;

    memset(&r, 0, sizeof(r));
    memset(out, 0, sizeof(*out));
    if (!playlist_id || !*playlist_id)
        return sc_fail(c, ERR_NOT_FOUND, "no Spotify playlist id");
    if ((rc = sc_begin(c)) != 0)
        return rc;
    if (sc_playlist_path(&path, playlist_id, NULL) != 0 ||
        buf_appendf(&fields, "id,name,snapshot_id,owner(id),%s(total)", c->api->embedded_key) !=
            0 ||
        fields_query(&q, NULL, fields.data) != 0 ||
        sc_req_init(c, &r, "GET", "GET /playlists/{id}", path.data, q.data, NULL, true) != 0) {
        rc = sc_fail(c, ERR_NOMEM, "out of memory");
        goto done;
    }
    r.playlist_read = true;
    if ((rc = sc_run(c, &r, 1)) != 0)
        goto done;
    if (!(root = parse_body(c, &r))) {
        rc = ERR_SPOTIFY;
        goto done;
    }
    if ((rc = spotify_parse_playlist_info(root, a, out, NULL)) != 0)
        rc = sc_fail(c, rc, rc == ERR_NOMEM ? "out of memory" : "Spotify playlist answer is malformed");
done:
    json_decref(root);
    sc_req_release(&r);
    buf_release(&path);
    buf_release(&fields);
    buf_release(&q);
    return rc;
}

static int get_me(struct spotify_client *c, struct arena *a, struct spotify_user *out)
{
    struct sc_req r;
    json_t *root = NULL;
    int rc;

    memset(&r, 0, sizeof(r));
    memset(out, 0, sizeof(*out));
    if ((rc = sc_begin(c)) != 0)
        return rc;
    if (sc_req_init(c, &r, "GET", "GET /me", "/me", NULL, NULL, true) != 0) {
        rc = sc_fail(c, ERR_NOMEM, "out of memory");
        goto done;
    }
    if ((rc = sc_run(c, &r, 1)) != 0)
        goto done;
    if (!(root = parse_body(c, &r))) {
        rc = ERR_SPOTIFY;
        goto done;
    }
    if ((rc = spotify_parse_user(root, a, out)) != 0)
        rc = sc_fail(c, rc, "out of memory");
    else if (!out->id)
        rc = sc_fail(c, ERR_SPOTIFY, "Spotify /me answer has no user id");
done:
    json_decref(root);
    sc_req_release(&r);
    return rc;
}

/* ---- Batch metadata ------------------------------------------------------------------ */

typedef int (*elem_parse_fn)(const json_t *obj, struct arena *a, void *elem);

struct batch_ctx {
    struct arena *a;
    const char *key; /* "artists", "albums", "tracks" */
    char *out;       /* n elements of elem_size */
    size_t elem_size, n, batch;
    elem_parse_fn parse;
};

static int parse_artist_elem(const json_t *o, struct arena *a, void *e)
{
    return spotify_parse_artist(o, a, e);
}
static int parse_album_elem(const json_t *o, struct arena *a, void *e)
{
    return spotify_parse_album(o, a, e);
}
static int parse_track_elem(const json_t *o, struct arena *a, void *e)
{
    return spotify_parse_track(o, a, e);
}

static int batch_done(struct spotify_client *c, struct sc_req *r, void *ud)
{
    struct batch_ctx *ctx = ud;
    size_t len = ctx->n - r->index < ctx->batch ? ctx->n - r->index : ctx->batch;
    json_t *root = parse_body(c, r);
    if (!root)
        return ERR_SPOTIFY;
    const json_t *arr = json_object_get(root, ctx->key);
    int rc = 0;
    /* Answers come in the order asked; a missing or null one means "unknown id". */
    for (size_t i = 0; i < len && rc == 0; i++)
        rc = ctx->parse(json_array_get(arr, i), ctx->a,
                        ctx->out + (r->index + i) * ctx->elem_size);
    json_decref(root);
    buf_release(&r->resp);
    return rc ? sc_fail(c, rc, "out of memory") : 0;
}

static int batch_get(struct spotify_client *c, struct arena *a, const char *what,
                     const char *endpoint, int batch, const char *const *ids, size_t n,
                     void *out, size_t elem_size, elem_parse_fn parse)
{
    struct batch_ctx ctx = {a, what, out, elem_size, n, (size_t)batch, parse};
    struct sc_req *reqs = NULL;
    size_t nreq = 0;
    struct buf path = BUF_INIT, q = BUF_INIT;
    int rc;

    for (size_t i = 0; i < n; i++) /* unknown ids stay "unknown" (id NULL) */
        (void)parse(NULL, a, (char *)out + i * elem_size);
    if (!c->api->batch_metadata || batch <= 0)
        return sc_fail(c, ERR_SPOTIFY,
                       "Spotify serves no batch %s metadata to apps in Development Mode", what);
    if (n == 0)
        return 0;
    if ((rc = sc_begin(c)) != 0)
        return rc;
    nreq = (n + (size_t)batch - 1) / (size_t)batch;
    if (!(reqs = calloc(nreq, sizeof(*reqs))) || buf_appendf(&path, "/%s", what) != 0)
        goto oom;
    for (size_t i = 0; i < nreq; i++) {
        size_t start = i * (size_t)batch, end = start + (size_t)batch < n ? start + (size_t)batch : n;
        buf_reset(&q);
        if (buf_append_str(&q, "ids=") != 0)
            goto oom;
        for (size_t j = start; j < end; j++) {
            if (!ids[j] || !*ids[j]) {
                rc = sc_fail(c, ERR_VALIDATION, "empty Spotify id in a batch");
                goto done;
            }
            if ((j > start && buf_append(&q, ",", 1) != 0) || sc_escape(&q, ids[j]) != 0)
                goto oom;
        }
        if (sc_req_init(c, &reqs[i], "GET", endpoint, path.data, q.data, NULL, true) != 0)
            goto oom;
        reqs[i].on_done = batch_done;
        reqs[i].ud = &ctx;
        reqs[i].index = start;
    }
    rc = sc_run(c, reqs, nreq);
    goto done;
oom:
    rc = sc_fail(c, ERR_NOMEM, "out of memory");
done:
    for (size_t i = 0; reqs && i < nreq; i++)
        sc_req_release(&reqs[i]);
    free(reqs);
    buf_release(&path);
    buf_release(&q);
    return rc;
}

int spotify_client_get_playlist(struct spotify_client *c, struct arena *a, const char *playlist_id,
                                bool uris_only, struct spotify_playlist *out, struct report *rep)
{
    return sc_end(c, get_playlist(c, a, playlist_id, uris_only, out), rep);
}

int spotify_client_get_playlist_info(struct spotify_client *c, struct arena *a,
                                     const char *playlist_id, struct spotify_playlist_info *out,
                                     struct report *rep)
{
    return sc_end(c, get_playlist_info(c, a, playlist_id, out), rep);
}

int spotify_client_get_me(struct spotify_client *c, struct arena *a, struct spotify_user *out,
                          struct report *rep)
{
    return sc_end(c, get_me(c, a, out), rep);
}

int spotify_client_get_artists(struct spotify_client *c, struct arena *a, const char *const *ids,
                               size_t n, struct spotify_artist *out, struct report *rep)
{
    report_release(&c->err);
    return sc_end(c,
                  batch_get(c, a, "artists", "GET /artists", c->api->artists_batch, ids, n, out,
                            sizeof(*out), parse_artist_elem),
                  rep);
}

int spotify_client_get_albums(struct spotify_client *c, struct arena *a, const char *const *ids,
                              size_t n, struct spotify_album *out, struct report *rep)
{
    report_release(&c->err);
    return sc_end(c,
                  batch_get(c, a, "albums", "GET /albums", c->api->albums_batch, ids, n, out,
                            sizeof(*out), parse_album_elem),
                  rep);
}

int spotify_client_get_tracks(struct spotify_client *c, struct arena *a, const char *const *ids,
                              size_t n, struct track *out, struct report *rep)
{
    report_release(&c->err);
    return sc_end(c,
                  batch_get(c, a, "tracks", "GET /tracks", c->api->tracks_batch, ids, n, out,
                            sizeof(*out), parse_track_elem),
                  rep);
}
