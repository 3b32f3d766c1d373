/* Web API handlers that change playlists: create, change details, add, replace
 * or reorder, remove. Each takes the catalogue lock exclusive, validates
 * everything first and changes the playlist only when the whole request is
 * valid (no partial edits), then gives it a new snapshot_id. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emu.h"

#define MAX_URIS 100
#define MAX_PLAYLIST 10000

json_t *req_json_body(struct emu_req *req, struct emu_resp *res, bool optional)
{
    if (!req->body || req->body_len == 0) {
        if (optional)
            return json_object();
        resp_error(res, 400, "Error parsing JSON.");
        return NULL;
    }
    json_t *j = json_loadb(req->body, req->body_len, 0, NULL);
    if (!j || !json_is_object(j)) {
        json_decref(j);
        resp_error(res, 400, "Error parsing JSON.");
        return NULL;
    }
    return j;
}

static void snapshot_answer(struct emu_resp *res, int status, const struct emu_playlist *p)
{
    int rc = buf_append_str(&res->body, "{\"snapshot_id\":") || jw_str(&res->body, p->snapshot) ||
             buf_append_str(&res->body, "}");
    resp_json(res, status, rc);
}

/* The playlist of the path, writable by the user; NULL after a 404/403.
 * Caller holds the write lock. */
static struct emu_playlist *writable(struct emu_req *req, struct emu_resp *res,
                                     const char *forbidden)
{
    struct catalog *c = req->emu->cat;
    int i = catalog_playlist_find(c, req->params[0]);
    if (i < 0) {
        resp_error(res, 404, "Resource not found");
        return NULL;
    }
    struct emu_playlist *p = c->playlists[i];
    if (!playlist_user_can_write(p, req->user)) {
        resp_error(res, 403, forbidden);
        return NULL;
    }
    return p;
}

/* URIs from ?uris=a,b (which wins, as at Spotify) or the body's "uris" array,
 * resolved to entries added by the user now. Returns the count (*out malloc'ed,
 * caller frees), -1 after writing an error, -2 when neither was given. */
static long collect_uris(struct emu_req *req, struct emu_resp *res, json_t *body,
                         const char *too_many, struct emu_entry **out)
{
    struct catalog *c = req->emu->cat;
    const char *q = req_query(req, "uris");
    json_t *arr = json_object_get(body, "uris");
    char *copy = NULL;
    const char **list = NULL;
    size_t n = 0;
    long rc = -1;
    *out = NULL;
    if (q) {
        copy = strdup(q);
        list = calloc(strlen(q) / 2 + 2, sizeof *list);
        if (!copy || !list) {
            resp_error(res, 500, "Server error");
            goto done;
        }
        for (char *save = NULL, *u = strtok_r(copy, ",", &save); u;
             u = strtok_r(NULL, ",", &save)) {
            while (*u == ' ')
                u++;
            list[n++] = u;
        }
    } else if (arr) {
        if (!json_is_array(arr)) {
            resp_error(res, 400, "Invalid uris");
            goto done;
        }
        n = json_array_size(arr);
        list = calloc(n + 1, sizeof *list);
        if (!list) {
            resp_error(res, 500, "Server error");
            goto done;
        }
        for (size_t i = 0; i < n; i++) {
            list[i] = json_string_value(json_array_get(arr, i));
            if (!list[i]) {
                resp_error(res, 400, "Invalid uris");
                goto done;
            }
        }
    } else {
        rc = -2;
        goto done;
    }
    if (n > MAX_URIS) {
        resp_error(res, 400, too_many);
        goto done;
    }
    struct emu_entry *e = calloc(n + 1, sizeof *e);
    if (!e) {
        resp_error(res, 500, "Server error");
        goto done;
    }
    int64_t now = now_ms() / 1000;
    for (size_t i = 0; i < n; i++) {
        enum uri_status st = catalog_resolve_uri(c, list[i], &e[i]);
        if (st != URI_OK) {
            char msg[256];
            if (st == URI_UNKNOWN)
                snprintf(msg, sizeof msg, "Payload contains a non-existing ID");
            else if (st == URI_OOM)
                snprintf(msg, sizeof msg, "Server error");
            else
                snprintf(msg, sizeof msg, "Invalid track uri: %.200s", list[i]);
            resp_error(res, st == URI_OOM ? 500 : 400, msg);
            free(e);
            goto done;
        }
        e[i].added_by = req->user;
        e[i].added_at = now;
    }
    *out = e;
    rc = (long)n;
done:
    free(copy);
    free(list);
    return rc;
}

/* An optional integer from the query or the body; 0, 1 (absent) or -1 (bad). */
static int int_param(struct emu_req *req, json_t *body, const char *key, long *out)
{
    const char *q = req_query(req, key);
    if (q)
        return parse_long(q, -1000000000L, 1000000000L, out) == 0 ? 0 : -1;
    json_t *v = json_object_get(body, key);
    if (!v || json_is_null(v))
        return 1;
    if (!json_is_integer(v))
        return -1;
    *out = (long)json_integer_value(v);
    return 0;
}

void web_create_playlist(struct emu_req *req, struct emu_resp *res)
{
    struct catalog *c = req->emu->cat;
    json_t *body = req_json_body(req, res, false);
    if (!body)
        return;
    json_t *name = json_object_get(body, "name");
    json_t *pub = json_object_get(body, "public");
    json_t *collab = json_object_get(body, "collaborative");
    json_t *desc = json_object_get(body, "description");
    pthread_rwlock_wrlock(&c->lock);
    if (req->arg == 1 && strcmp(req->params[0], c->users[req->user].id) != 0) {
        resp_error(res, 403, "You cannot create a playlist for another user.");
        goto done;
    }
    if (!json_is_string(name) || !*json_string_value(name)) {
        resp_error(res, 400, "Missing required field: name");
        goto done;
    }
    if ((pub && !json_is_boolean(pub)) || (collab && !json_is_boolean(collab)) ||
        (desc && !json_is_string(desc))) {
        resp_error(res, 400, "Invalid request body");
        goto done;
    }
    bool is_public = pub ? json_is_true(pub) : true;
    bool is_collab = collab ? json_is_true(collab) : false;
    if (is_collab && is_public) {
        resp_error(res, 400, "Collaborative playlists can only be private.");
        goto done;
    }
    int i = catalog_add_playlist(c, NULL, req->user, json_string_value(name),
                                 desc ? json_string_value(desc) : "", is_public, is_collab);
    if (i < 0) {
        resp_error(res, 500, "Server error");
        goto done;
    }
    resp_json(res, 201, render_playlist(c, c->playlists[i], req->mode, true, true, &res->body));
done:
    pthread_rwlock_unlock(&c->lock);
    json_decref(body);
}

void web_change_playlist(struct emu_req *req, struct emu_resp *res)
{
    struct catalog *c = req->emu->cat;
    json_t *body = req_json_body(req, res, false);
    if (!body)
        return;
    json_t *name = json_object_get(body, "name");
    json_t *pub = json_object_get(body, "public");
    json_t *collab = json_object_get(body, "collaborative");
    json_t *desc = json_object_get(body, "description");
    pthread_rwlock_wrlock(&c->lock);
    struct emu_playlist *p = writable(req, res, "You cannot change a playlist you don't own.");
    if (!p)
        goto done;
    if ((name && (!json_is_string(name) || !*json_string_value(name))) ||
        (pub && !json_is_boolean(pub)) || (collab && !json_is_boolean(collab)) ||
        (desc && !json_is_string(desc))) {
        resp_error(res, 400, "Invalid request body");
        goto done;
    }
    char *nn = name ? strdup(json_string_value(name)) : NULL;
    char *nd = desc ? strdup(json_string_value(desc)) : NULL;
    if ((name && !nn) || (desc && !nd)) {
        free(nn);
        free(nd);
        resp_error(res, 500, "Server error");
        goto done;
    }
    if (nn) {
        free(p->name);
        p->name = nn;
    }
    if (nd) {
        free(p->description);
        p->description = nd;
    }
    if (pub)
        p->public_ = json_is_true(pub);
    if (collab)
        p->collaborative = json_is_true(collab);
    playlist_bump(p);
    res->status = 200;
done:
    pthread_rwlock_unlock(&c->lock);
    json_decref(body);
}

void web_add_items(struct emu_req *req, struct emu_resp *res)
{
    struct catalog *c = req->emu->cat;
    struct emu_entry *e = NULL;
    json_t *body = req_json_body(req, res, req_query(req, "uris") != NULL);
    if (!body)
        return;
    pthread_rwlock_wrlock(&c->lock);
    struct emu_playlist *p =
        writable(req, res, "You cannot add tracks to a playlist you don't own.");
    if (!p)
        goto done;
    long n = collect_uris(req, res, body, "You can add a maximum of 100 tracks per request.", &e);
    if (n == -2 || n == 0) {
        resp_error(res, 400, "No uris provided");
        goto done;
    }
    if (n < 0)
        goto done;
    long pos = (long)p->n;
    int r = int_param(req, body, "position", &pos);
    if (r < 0 || pos < 0 || (size_t)pos > p->n) {
        resp_error(res, 400, "Index out of bounds");
        goto done;
    }
    if (p->n + (size_t)n > MAX_PLAYLIST) {
        resp_error(res, 400, "Playlist size limit reached");
        goto done;
    }
    if (playlist_insert(p, (size_t)pos, e, (size_t)n) != 0) {
        resp_error(res, 500, "Server error");
        goto done;
    }
    playlist_bump(p);
    snapshot_answer(res, 201, p);
done:
    pthread_rwlock_unlock(&c->lock);
    free(e);
    json_decref(body);
}

void web_update_items(struct emu_req *req, struct emu_resp *res)
{
    struct catalog *c = req->emu->cat;
    struct emu_entry *e = NULL;
    json_t *body = req_json_body(req, res, true);
    if (!body)
        return;
    pthread_rwlock_wrlock(&c->lock);
    struct emu_playlist *p = writable(req, res, "You cannot change a playlist you don't own.");
    if (!p)
        goto done;
    bool has_uris = req_query(req, "uris") || json_object_get(body, "uris");
    bool has_range = json_object_get(body, "range_start") != NULL;
    if (has_uris && has_range) {
        resp_error(res, 400, "Replace and reorder are mutually exclusive");
        goto done;
    }
    if (has_uris) {
        long n =
            collect_uris(req, res, body, "You can set a maximum of 100 tracks per request.", &e);
        if (n < 0)
            goto done;
        /* Replace: the old entries go, the new ones are added now by the user. */
        if (playlist_reserve(p, (size_t)n) != 0) {
            resp_error(res, 500, "Server error");
            goto done;
        }
        p->n = 0;
        playlist_insert(p, 0, e, (size_t)n); /* cannot fail: room is reserved */
        playlist_bump(p);
        snapshot_answer(res, 200, p);
        goto done;
    }
    if (!has_range) {
        resp_error(res, 400, "Missing required field: uris or range_start");
        goto done;
    }
    long start = 0, before = 0, len = 1;
    int r1 = int_param(req, body, "range_start", &start);
    int r2 = int_param(req, body, "insert_before", &before);
    int r3 = int_param(req, body, "range_length", &len);
    if (r2 == 1) {
        resp_error(res, 400, "Missing required field: insert_before");
        goto done;
    }
    json_t *snap = json_object_get(body, "snapshot_id");
    if (snap && (!json_is_string(snap) || !playlist_snapshot_valid(p, json_string_value(snap)))) {
        resp_error(res, 400, "Invalid snapshot id");
        goto done;
    }
    if (r1 != 0 || r2 != 0 || r3 < 0 || start < 0 || len < 1 || before < 0 ||
        (size_t)start + (size_t)len > p->n || (size_t)before > p->n) {
        resp_error(res, 400, "Index out of bounds");
        goto done;
    }
    playlist_reorder(p, (size_t)start, (size_t)len, (size_t)before);
    playlist_bump(p);
    snapshot_answer(res, 200, p);
done:
    pthread_rwlock_unlock(&c->lock);
    free(e);
    json_decref(body);
}

/* Reads {"uri": "...", "positions": [..]} objects and marks what goes in drop[]. */
static int mark_removals(struct emu_req *req, struct emu_resp *res, struct emu_playlist *p,
                         json_t *arr, bool *drop)
{
    struct catalog *c = req->emu->cat;
    size_t i;
    json_t *obj;
    json_array_foreach(arr, i, obj)
    {
        const char *uri = json_string_value(json_object_get(obj, "uri"));
        json_t *pos = json_object_get(obj, "positions");
        struct emu_entry probe;
        if (!uri) {
            resp_error(res, 400, "Invalid request body");
            return -1;
        }
        enum uri_status st = catalog_resolve_uri(c, uri, &probe);
        if (st == URI_MALFORMED || st == URI_OOM) {
            char msg[256];
            snprintf(msg, sizeof msg, "Invalid track uri: %.200s", uri);
            resp_error(res, 400, msg);
            return -1;
        }
        if (pos && !json_is_null(pos)) {
            size_t k;
            json_t *v;
            if (!json_is_array(pos)) {
                resp_error(res, 400, "Invalid request body");
                return -1;
            }
            json_array_foreach(pos, k, v)
            {
                json_int_t at = json_is_integer(v) ? json_integer_value(v) : -1;
                if (at < 0 || (size_t)at >= p->n || !catalog_entry_is(c, &p->entries[at], uri)) {
                    resp_error(res, 400, "Could not remove tracks, please check parameters.");
                    return -1;
                }
                drop[at] = true;
            }
            continue;
        }
        /* Without positions every occurrence goes. Unknown ids just match nothing. */
        for (size_t k = 0; k < p->n; k++)
            if (catalog_entry_is(c, &p->entries[k], uri))
                drop[k] = true;
    }
    return 0;
}

void web_remove_items(struct emu_req *req, struct emu_resp *res)
{
    struct catalog *c = req->emu->cat;
    bool *drop = NULL;
    json_t *body = req_json_body(req, res, false);
    if (!body)
        return;
    /* /tracks takes {"tracks": [...]}; /items takes {"items": [...]}, and in
     * extended mode the old key as well. */
    const char *key = req->arg == 1 ? "tracks" : "items";
    json_t *arr = json_object_get(body, key);
    if (!arr && req->arg == 0 && req->mode == MODE_EXT)
        arr = json_object_get(body, "tracks");
    pthread_rwlock_wrlock(&c->lock);
    struct emu_playlist *p =
        writable(req, res, "You cannot remove tracks from a playlist you don't own.");
    if (!p)
        goto done;
    if (!arr || !json_is_array(arr)) {
        char msg[64];
        snprintf(msg, sizeof msg, "Missing required field: %s", key);
        resp_error(res, 400, msg);
        goto done;
    }
    if (json_array_size(arr) > MAX_URIS) {
        resp_error(res, 400, "You can remove a maximum of 100 tracks per request.");
        goto done;
    }
    json_t *snap = json_object_get(body, "snapshot_id");
    if (snap && (!json_is_string(snap) || !playlist_snapshot_valid(p, json_string_value(snap)))) {
        resp_error(res, 400, "Invalid snapshot id");
        goto done;
    }
    drop = calloc(p->n + 1, sizeof *drop);
    if (!drop) {
        resp_error(res, 500, "Server error");
        goto done;
    }
    if (mark_removals(req, res, p, arr, drop) != 0)
        goto done;
    size_t o = 0;
    for (size_t k = 0; k < p->n; k++)
        if (!drop[k])
            p->entries[o++] = p->entries[k];
    p->n = o;
    playlist_bump(p);
    snapshot_answer(res, 200, p);
done:
    pthread_rwlock_unlock(&c->lock);
    free(drop);
    json_decref(body);
}
