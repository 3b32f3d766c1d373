/* Web API handlers of the user's library (Liked Songs), after the OpenAPI file:
 *   GET /me/tracks                  saved tracks, newest first (both modes)
 *   PUT|DELETE /me/tracks           ids / timestamped_ids (deprecated: extended only)
 *   GET /me/tracks/contains         ids (deprecated: extended only)
 *   PUT|DELETE /me/library          uris in the query (both modes)
 *   GET /me/library/contains        uris in the query (both modes)
 * The scopes (user-library-read / -modify) are checked by http.c. Changes take
 * the catalogue lock exclusive and validate the whole request first. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emu.h"
#include "library.h"

#define MAX_IDS 50  /* /me/tracks: ids, timestamped_ids */
#define MAX_URIS 40 /* /me/library: uris */

/* The tracks a library request names. */
struct lib_list {
    int32_t *tracks; /* -1: a well-formed id that no track has */
    int64_t *when;   /* timestamped_ids: each one's added_at; NULL otherwise */
    size_t n;
};

static void lib_list_release(struct lib_list *l)
{
    free(l->tracks);
    free(l->when);
}

static int alloc_list(struct lib_list *l, size_t n, bool timed)
{
    l->tracks = calloc(n + 1, sizeof *l->tracks);
    l->when = timed ? calloc(n + 1, sizeof *l->when) : NULL;
    return l->tracks && (!timed || l->when) ? 0 : -1;
}

/* The Spotify URI types /me/library accepts; the emulator keeps tracks only. */
static bool other_library_type(const char *s, size_t len)
{
    static const char *const T[] = {
        "album:", "artist:", "episode:", "show:", "audiobook:", "user:", "playlist:"};
    if (len < 8 || strncmp(s, "spotify:", 8) != 0)
        return false;
    for (size_t i = 0; i < sizeof T / sizeof *T; i++)
        if (len > 8 + strlen(T[i]) && strncmp(s + 8, T[i], strlen(T[i])) == 0)
            return true;
    return false;
}

/* One piece of a comma-separated list: a bare id (/me/tracks) or a track URI
 * (/me/library). 0, or -1 after writing the 400. */
static int resolve_piece(struct emu_req *req, struct emu_resp *res, const char *s, size_t len,
                         int32_t *out)
{
    char msg[160];
    bool uri = req->arg == 1;
    *out = -1;
    if (uri && (len < 14 || strncmp(s, "spotify:track:", 14) != 0)) {
        snprintf(msg, sizeof msg, "%s: %.*s",
                 other_library_type(s, len)
                     ? "Unsupported URI type (the emulator saves tracks only)"
                     : "Invalid uri",
                 (int)(len > 100 ? 100 : len), s);
        resp_error(res, 400, msg);
        return -1;
    }
    if ((!uri && !is_base62_id(s, len)) || library_track_ref(req->emu->cat, s, len, out) < 0) {
        if (uri)
            snprintf(msg, sizeof msg, "Invalid uri: %.*s", (int)(len > 100 ? 100 : len), s);
        resp_error(res, 400, uri ? msg : "invalid id");
        return -1;
    }
    return 0;
}

/* ?ids=a,b or ?uris=… into l. Every piece must be well formed ("a,,b" is a 400). */
static int from_query(struct emu_req *req, struct emu_resp *res, const char *q, size_t max,
                      struct lib_list *l)
{
    size_t n = 1;
    for (const char *p = q; *p; p++)
        n += *p == ',';
    if (n > max) {
        resp_error(res, 400, req->arg == 1 ? "Too many uris requested" : "Too many ids requested");
        return -1;
    }
    if (alloc_list(l, n, false) != 0) {
        resp_error(res, 500, "Server error");
        return -1;
    }
    for (const char *p = q;; p++) {
        size_t len = strcspn(p, ",");
        if (resolve_piece(req, res, p, len, &l->tracks[l->n]) != 0)
            return -1;
        l->n++;
        if (!p[len])
            return 0;
        p += len;
    }
}

/* The body's "ids" (strings) or, with timed, "timestamped_ids" ({id, added_at}). */
static int from_body(struct emu_req *req, struct emu_resp *res, json_t *arr, bool timed,
                     struct lib_list *l)
{
    size_t i;
    json_t *v;
    if (!json_is_array(arr)) {
        resp_error(res, 400, timed ? "Invalid timestamped_ids" : "Invalid ids");
        return -1;
    }
    if (json_array_size(arr) > MAX_IDS) {
        resp_error(res, 400, "Too many ids requested");
        return -1;
    }
    if (alloc_list(l, json_array_size(arr), timed) != 0) {
        resp_error(res, 500, "Server error");
        return -1;
    }
    json_array_foreach(arr, i, v)
    {
        const char *id = json_string_value(timed ? json_object_get(v, "id") : v);
        const char *at = timed ? json_string_value(json_object_get(v, "added_at")) : NULL;
        if (!id || (timed && (!at || parse_iso8601(at, &l->when[i]) != 0))) {
            resp_error(res, 400, timed ? "Invalid timestamped_ids" : "Invalid ids");
            return -1;
        }
        if (resolve_piece(req, res, id, strlen(id), &l->tracks[i]) != 0)
            return -1;
        l->n++;
    }
    return 0;
}

/* The tracks the request names. /me/library: ?uris only (a body is ignored,
 * as at Spotify). /me/tracks: timestamped_ids in the body (PUT) win over ?ids,
 * which wins over the body's ids. 0, or -1 after writing the error. Caller
 * holds the catalogue lock. */
static int collect(struct emu_req *req, struct emu_resp *res, json_t *body, struct lib_list *l)
{
    const char *key = req->arg == 1 ? "uris" : "ids";
    const char *q = req_query(req, key);
    json_t *timed =
        strcmp(req->method, "PUT") == 0 ? json_object_get(body, "timestamped_ids") : NULL;
    memset(l, 0, sizeof *l);
    if (req->arg == 0 && timed)
        return from_body(req, res, timed, true, l);
    if (q && *q)
        return from_query(req, res, q, req->arg == 1 ? MAX_URIS : MAX_IDS, l);
    if (req->arg == 0 && json_object_get(body, "ids"))
        return from_body(req, res, json_object_get(body, "ids"), false, l);
    resp_error(res, 400,
               req->arg == 1 ? "Missing required field: uris" : "Missing required field: ids");
    return -1;
}

void web_saved_tracks(struct emu_req *req, struct emu_resp *res)
{
    struct catalog *c = req->emu->cat;
    long limit, offset;
    if (req_paging(req, res, 20, 50, &limit, &offset) != 0)
        return;
    pthread_rwlock_rdlock(&c->lock);
    int rc = library_render_page(c, &c->users[req->user], req->mode, (size_t)offset, (size_t)limit,
                                 &res->body);
    pthread_rwlock_unlock(&c->lock);
    resp_json(res, 200, rc);
}

/* PUT (save) and DELETE (remove) of both paths. */
static void library_change(struct emu_req *req, struct emu_resp *res, bool save)
{
    struct catalog *c = req->emu->cat;
    struct lib_list l = {0};
    json_t *body = NULL;
    if (req->arg == 0 && !(body = req_json_body(req, res, true)))
        return;
    pthread_rwlock_wrlock(&c->lock);
    struct emu_user *u = &c->users[req->user];
    if (collect(req, res, body, &l) != 0)
        goto done;
    for (size_t i = 0; save && i < l.n; i++)
        if (l.tracks[i] < 0) {
            resp_error(res, 400, "Payload contains a non-existing ID");
            goto done;
        }
    /* Each id is saved in turn at the same second, so the last one ends on top. */
    int64_t now = now_ms() / 1000;
    for (size_t i = 0; i < l.n; i++) {
        if (!save) {
            if (l.tracks[i] >= 0) /* an unknown id is simply not saved */
                library_remove(u, l.tracks[i]);
        } else if (library_save(u, l.tracks[i], l.when ? l.when[i] : now) != 0) {
            resp_error(res, 500, "Server error");
            goto done;
        }
    }
    res->status = 200; /* Spotify answers these with an empty body */
done:
    pthread_rwlock_unlock(&c->lock);
    lib_list_release(&l);
    json_decref(body);
}

void web_library_save(struct emu_req *req, struct emu_resp *res)
{
    library_change(req, res, true);
}

void web_library_remove(struct emu_req *req, struct emu_resp *res)
{
    library_change(req, res, false);
}

void web_library_contains(struct emu_req *req, struct emu_resp *res)
{
    struct catalog *c = req->emu->cat;
    struct lib_list l = {0};
    pthread_rwlock_rdlock(&c->lock);
    const struct emu_user *u = &c->users[req->user];
    if (collect(req, res, NULL, &l) == 0) {
        int rc = buf_append_str(&res->body, "[");
        for (size_t i = 0; i < l.n && rc == 0; i++)
            rc = buf_append_str(&res->body, i ? "," : "") ||
                 jw_bool(&res->body, l.tracks[i] >= 0 && library_find(u, l.tracks[i]) >= 0);
        resp_json(res, 200, rc || buf_append_str(&res->body, "]"));
    }
    pthread_rwlock_unlock(&c->lock);
    lib_list_release(&l);
}
