/* Read-only Web API handlers: /me, /me/playlists, /users/{id}, /playlists/{id},
 * /playlists/{id}/items|tracks, and the catalogue endpoints (single and batch).
 * Each takes the catalogue lock shared for the whole rendering. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emu.h"

int req_paging(struct emu_req *req, struct emu_resp *res, long def_limit, long max_limit,
               long *limit, long *offset)
{
    const char *l = req_query(req, "limit"), *o = req_query(req, "offset");
    *limit = def_limit;
    *offset = 0;
    if (l && parse_long(l, 1, max_limit, limit) != 0) {
        resp_error(res, 400, "Invalid limit");
        return -1;
    }
    if (o && parse_long(o, 0, 100000000L, offset) != 0) {
        resp_error(res, 400, "Invalid offset");
        return -1;
    }
    return 0;
}

/* The playlist named by the first path parameter; -1 after a 404. */
static int find_playlist(struct emu_req *req, struct emu_resp *res)
{
    int i = catalog_playlist_find(req->emu->cat, req->params[0]);
    if (i < 0)
        resp_error(res, 404, "Resource not found");
    return i;
}

static bool is_member(const struct emu_playlist *p, int user)
{
    if (p->owner == user)
        return true;
    for (int i = 0; i < p->ncollabs; i++)
        if (p->collabs[i] == user)
            return true;
    return false;
}

/* Read access: owner and collaborators always; others get 403 in development
 * mode (while foreign_forbidden is on), else only public playlists. */
static int check_read(struct emu_req *req, struct emu_resp *res, const struct emu_playlist *p)
{
    if (is_member(p, req->user))
        return 0;
    if ((req->mode == MODE_DEV && atomic_load(&req->emu->cfg.foreign_forbidden)) || !p->public_) {
        resp_error(res, 403, "Forbidden");
        return -1;
    }
    return 0;
}

/* Applies ?fields= when given; a malformed expression is a 400. */
static void finish_with_fields(struct emu_req *req, struct emu_resp *res, int rc)
{
    const char *fields = req_query(req, "fields");
    if (rc == 0 && fields && *fields && fields_apply(&res->body, fields) != 0) {
        resp_error(res, 400, "Invalid fields");
        return;
    }
    resp_json(res, 200, rc);
}

void web_me(struct emu_req *req, struct emu_resp *res)
{
    struct catalog *c = req->emu->cat;
    pthread_rwlock_rdlock(&c->lock);
    int rc = render_me(c, &c->users[req->user], req->mode, &res->body);
    pthread_rwlock_unlock(&c->lock);
    resp_json(res, 200, rc);
}

void web_user(struct emu_req *req, struct emu_resp *res)
{
    struct catalog *c = req->emu->cat;
    pthread_rwlock_rdlock(&c->lock);
    int u = catalog_user_find(c, req->params[0]);
    if (u < 0) {
        resp_error(res, 404, "Resource not found");
    } else {
        /* PublicUserObject: the owner object plus followers, images and type. */
        const struct emu_user *usr = &c->users[u];
        int rc =
            buf_append_str(&res->body, "{\"display_name\":") || jw_str(&res->body, usr->display_name) ||
            buf_append_str(&res->body, ",\"followers\":{\"href\":null,\"total\":0},\"images\":[],") ||
            buf_append_str(&res->body, usr->ref_json + 1);
        resp_json(res, 200, rc);
    }
    pthread_rwlock_unlock(&c->lock);
}

struct my_playlists_ctx {
    const int *mine;
    int mode;
};

static int my_playlist_item(const struct catalog *c, const void *ctx, size_t i, struct buf *b)
{
    const struct my_playlists_ctx *m = ctx;
    return render_playlist(c, c->playlists[m->mine[i]], m->mode, false, false, b);
}

void web_my_playlists(struct emu_req *req, struct emu_resp *res)
{
    struct catalog *c = req->emu->cat;
    long limit, offset;
    int *mine = NULL;
    size_t n = 0;
    int rc = -1;
    if (req_paging(req, res, 20, 50, &limit, &offset) != 0)
        return;
    pthread_rwlock_rdlock(&c->lock);
    mine = malloc((c->n_playlists + 1) * sizeof *mine);
    if (!mine)
        goto done;
    /* Newest first, as in a Spotify library: a new playlist shows up on top. */
    for (size_t i = c->n_playlists; i-- > 0;)
        if (is_member(c->playlists[i], req->user))
            mine[n++] = (int)i;
    const struct page pg = {"/v1/me/playlists", "", (size_t)offset, (size_t)limit,
                            (size_t)limit,      n};
    const struct my_playlists_ctx ctx = {mine, req->mode};
    rc = render_page(c, &pg, my_playlist_item, &ctx, &res->body);
done:
    pthread_rwlock_unlock(&c->lock);
    free(mine);
    resp_json(res, 200, rc);
}

void web_playlist(struct emu_req *req, struct emu_resp *res)
{
    struct catalog *c = req->emu->cat;
    pthread_rwlock_rdlock(&c->lock);
    int i = find_playlist(req, res);
    if (i < 0)
        goto done;
    const struct emu_playlist *p = c->playlists[i];
    if (check_read(req, res, p) != 0)
        goto done;
    /* The OpenAPI file: items only for the owner and collaborators (development). */
    bool with_items = req->mode == MODE_EXT || is_member(p, req->user);
    int rc = render_playlist(c, p, req->mode, true, with_items, &res->body);
    pthread_rwlock_unlock(&c->lock);
    finish_with_fields(req, res, rc);
    return;
done:
    pthread_rwlock_unlock(&c->lock);
}

void web_playlist_items(struct emu_req *req, struct emu_resp *res)
{
    struct catalog *c = req->emu->cat;
    bool tracks_path = req->arg == 1;
    long max = req->mode == MODE_EXT ? 100 : 50;
    long limit, offset;
    struct buf extra = BUF_INIT;
    char path[128];
    if (req_paging(req, res, 20, max, &limit, &offset) != 0)
        return;
    const char *fields = req_query(req, "fields");
    if (fields && *fields && (buf_append_str(&extra, "&fields=") || url_encode(&extra, fields))) {
        resp_error(res, 500, "Server error");
        goto out;
    }
    /* The key of each entry: /tracks keeps `track`; /items has `item`, and in
     * extended mode also the deprecated `track` (both are served there). */
    int key = tracks_path ? KEY_TRACK : req->mode == MODE_EXT ? KEY_BOTH : KEY_ITEM;
    pthread_rwlock_rdlock(&c->lock);
    int i = find_playlist(req, res);
    if (i < 0 || check_read(req, res, c->playlists[i]) != 0) {
        pthread_rwlock_unlock(&c->lock);
        goto out;
    }
    const struct emu_playlist *p = c->playlists[i];
    int rc = snprintf(path, sizeof path, "/v1/playlists/%s/%s", p->id,
                      tracks_path ? "tracks" : "items") >= (int)sizeof path;
    rc = rc || render_entries_page(c, p, req->mode, key, path, (size_t)offset, (size_t)limit,
                                   (size_t)limit, extra.data ? extra.data : "", &res->body);
    pthread_rwlock_unlock(&c->lock);
    finish_with_fields(req, res, rc);
out:
    buf_release(&extra);
}

static const char *const KIND_PLURAL[] = {"tracks", "artists", "albums"};

/* One catalogue object as the mode serves it; 1 when the id is unknown. */
static int render_one(struct catalog *c, int kind, const char *id, int mode, struct buf *b)
{
    int i;
    switch (kind) {
    case 0:
        if ((i = strmap_get(&c->track_map, id)) < 0)
            return 1;
        return buf_append(b, c->tracks[i].json[mode], c->tracks[i].json_len[mode]);
    case 1:
        if ((i = strmap_get(&c->artist_map, id)) < 0)
            return 1;
        return render_artist_full(c, &c->artists[i], mode, b);
    default:
        if ((i = strmap_get(&c->album_map, id)) < 0)
            return 1;
        return render_album_full(c, &c->albums[i], mode, b);
    }
}

void web_several(struct emu_req *req, struct emu_resp *res)
{
    static const int MAX[] = {50, 50, 20};
    struct catalog *c = req->emu->cat;
    const char *ids = req_query(req, "ids");
    int kind = req->arg;
    char *copy = NULL;
    int rc = -1;
    if (!ids || !*ids) {
        resp_error(res, 400, "invalid id");
        return;
    }
    int count = 1;
    for (const char *p = ids; *p; p++)
        count += *p == ',';
    if (count > MAX[kind]) {
        resp_error(res, 400, "Too many ids requested");
        return;
    }
    /* Every comma-separated piece must be an id: "a,,b" and "a," are 400s too. */
    for (const char *p = ids;;) {
        size_t len = strcspn(p, ",");
        if (!is_base62_id(p, len)) {
            resp_error(res, 400, "invalid id");
            return;
        }
        if (!p[len])
            break;
        p += len + 1;
    }
    copy = strdup(ids);
    if (!copy)
        goto done;
    pthread_rwlock_rdlock(&c->lock);
    rc = buf_appendf(&res->body, "{\"%s\":[", KIND_PLURAL[kind]);
    bool first = true;
    for (char *save = NULL, *id = strtok_r(copy, ",", &save); id && rc == 0;
         id = strtok_r(NULL, ",", &save)) {
        rc = !first && buf_append_str(&res->body, ",");
        first = false;
        int r = rc ? -1 : render_one(c, kind, id, req->mode, &res->body);
        if (r == 1) /* unknown ids answer null, like Spotify */
            r = buf_append_str(&res->body, "null");
        rc = r;
    }
    pthread_rwlock_unlock(&c->lock);
    rc = rc || buf_append_str(&res->body, "]}");
done:
    free(copy);
    resp_json(res, 200, rc);
}

void web_one(struct emu_req *req, struct emu_resp *res)
{
    struct catalog *c = req->emu->cat;
    const char *id = req->params[0];
    if (!is_base62_id(id, strlen(id))) {
        resp_error(res, 400, "invalid id");
        return;
    }
    pthread_rwlock_rdlock(&c->lock);
    int r = render_one(c, req->arg, id, req->mode, &res->body);
    pthread_rwlock_unlock(&c->lock);
    if (r == 1)
        resp_error(res, 404, "Resource not found");
    else
        resp_json(res, 200, r);
}
