/* /__admin catalogue and playlist endpoints. Reads give FULL metadata whatever
 * the mode (genres, popularity, label...), so tests can compute expectations
 * independently; playlist edits here bypass the Web API's limits and checks
 * and are not counted. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin_internal.h"
#include "catalog_file.h"
#include "generator.h"

static bool is(const char *method, const char *want)
{
    return strcmp(method, want) == 0;
}

static int artist_full(const struct catalog *c, const struct emu_artist *a, struct buf *b)
{
    int rc = buf_append_str(b, "{\"id\":") || jw_str(b, a->id) || buf_append_str(b, ",\"name\":") ||
             jw_str(b, a->name) ||
             buf_appendf(b, ",\"uri\":\"spotify:artist:%s\",\"genres\":[", a->id);
    for (int i = 0; i < a->ngenres && rc == 0; i++)
        rc = (i && buf_append_str(b, ",")) || jw_str(b, a->genres[i]);
    (void)c;
    return rc ||
           buf_appendf(b, "],\"popularity\":%d,\"followers\":%ld}", a->popularity, a->followers);
}

static int album_full(const struct catalog *c, const struct emu_album *al, struct buf *b)
{
    int rc = buf_append_str(b, "{\"id\":") || jw_str(b, al->id) ||
             buf_append_str(b, ",\"name\":") || jw_str(b, al->name) ||
             buf_appendf(b, ",\"uri\":\"spotify:album:%s\",\"album_type\":", al->id) ||
             jw_str(b, al->album_type) || buf_append_str(b, ",\"release_date\":") ||
             jw_str(b, al->release_date) || buf_append_str(b, ",\"release_date_precision\":") ||
             jw_str(b, al->precision) || buf_append_str(b, ",\"label\":") || jw_str(b, al->label) ||
             buf_appendf(b, ",\"popularity\":%d,\"total_tracks\":%d,\"artists\":[", al->popularity,
                         al->ntracks);
    for (int i = 0; i < al->nartists && rc == 0; i++)
        rc = (i && buf_append_str(b, ",")) || jw_str(b, c->artists[al->artists[i]].id);
    return rc || buf_append_str(b, "]}");
}

/* A track with everything: its artists in full, its album in full, and the
 * union of its artists' genres (in artist order, each once). */
static int track_full(const struct catalog *c, const struct emu_track *t, struct buf *b)
{
    int rc =
        buf_append_str(b, "{\"id\":") || jw_str(b, t->id) ||
        buf_appendf(b, ",\"uri\":\"spotify:track:%s\",\"type\":\"track\",\"name\":", t->id) ||
        jw_str(b, t->name) ||
        buf_appendf(b, ",\"duration_ms\":%d,\"explicit\":%s,\"isrc\":", t->duration_ms,
                    t->explicit_ ? "true" : "false") ||
        jw_str(b, t->isrc) ||
        buf_appendf(b, ",\"track_number\":%d,\"disc_number\":%d,\"popularity\":%d,\"artists\":[",
                    t->track_number, t->disc_number, t->popularity);
    for (int i = 0; i < t->nartists && rc == 0; i++)
        rc = (i && buf_append_str(b, ",")) || artist_full(c, &c->artists[t->artists[i]], b);
    rc = rc || buf_append_str(b, "],\"album\":") || album_full(c, &c->albums[t->album], b) ||
         buf_append_str(b, ",\"genres\":[");
    bool first = true;
    for (int i = 0; i < t->nartists && rc == 0; i++) {
        const struct emu_artist *a = &c->artists[t->artists[i]];
        for (int g = 0; g < a->ngenres && rc == 0; g++) {
            bool seen = false;
            for (int j = 0; j <= i && !seen; j++) {
                const struct emu_artist *p = &c->artists[t->artists[j]];
                int lim = j == i ? g : p->ngenres;
                for (int h = 0; h < lim && !seen; h++)
                    seen = strcmp(p->genres[h], a->genres[g]) == 0;
            }
            if (!seen) {
                rc = (!first && buf_append_str(b, ",")) || jw_str(b, a->genres[g]);
                first = false;
            }
        }
    }
    return rc || buf_append_str(b, "]}");
}

static int episode_full(const struct emu_episode *e, struct buf *b)
{
    return buf_append_str(b, "{\"id\":") || jw_str(b, e->id) ||
           buf_appendf(b,
                       ",\"uri\":\"spotify:episode:%s\",\"type\":\"episode\",\"name\":", e->id) ||
           jw_str(b, e->name) || buf_append_str(b, ",\"show\":") || jw_str(b, e->show_name) ||
           buf_appendf(b, ",\"duration_ms\":%d,\"release_date\":", e->duration_ms) ||
           jw_str(b, e->release_date) || buf_append_str(b, "}");
}

/* {id, name, owner, ..., snapshot_id, total, uris, items[, item metadata]} */
static int playlist_detail(const struct catalog *c, const struct emu_playlist *p, bool full,
                           struct buf *b)
{
    int rc = buf_append_str(b, "{\"id\":") || jw_str(b, p->id) || buf_append_str(b, ",\"name\":") ||
             jw_str(b, p->name) || buf_append_str(b, ",\"owner\":") ||
             jw_str(b, c->users[p->owner].id) || buf_append_str(b, ",\"description\":") ||
             jw_str(b, p->description) ||
             buf_appendf(b, ",\"public\":%s,\"collaborative\":%s,\"collaborators\":[",
                         p->public_ ? "true" : "false", p->collaborative ? "true" : "false");
    for (int k = 0; k < p->ncollabs && rc == 0; k++)
        rc = (k && buf_append_str(b, ",")) || jw_str(b, c->users[p->collabs[k]].id);
    rc = rc || buf_append_str(b, "],\"snapshot_id\":") || jw_str(b, p->snapshot) ||
         buf_appendf(b, ",\"total\":%zu,\"uris\":[", p->n);
    for (size_t k = 0; k < p->n && rc == 0; k++)
        rc = (k && buf_append_str(b, ",")) || buf_append_str(b, "\"") ||
             catalog_entry_uri(c, &p->entries[k], b) || buf_append_str(b, "\"");
    rc = rc || buf_append_str(b, "],\"items\":[");
    for (size_t k = 0; k < p->n && rc == 0; k++) {
        const struct emu_entry *e = &p->entries[k];
        rc = (k && buf_append_str(b, ",")) || catalog_file_item(c, e, b);
        if (rc == 0 && full && e->kind != ENTRY_LOCAL) {
            b->len--; /* reopen the item object */
            rc = buf_append_str(b, e->kind == ENTRY_TRACK ? ",\"track\":" : ",\"episode\":") ||
                 (e->kind == ENTRY_TRACK ? track_full(c, &c->tracks[e->idx], b)
                                         : episode_full(&c->episodes[e->idx], b)) ||
                 buf_append_str(b, "}");
        }
    }
    return rc || buf_append_str(b, "]}");
}

static int collaborators(struct catalog *c, struct emu_playlist *p, json_t *arr,
                         struct emu_resp *res)
{
    size_t i;
    json_t *v;
    int *list = calloc(json_array_size(arr) + 1, sizeof *list);
    if (!list) {
        resp_error(res, 500, "out of memory");
        return -1;
    }
    json_array_foreach(arr, i, v)
    {
        const char *id = json_string_value(v);
        int u = id ? catalog_user_find(c, id) : -1;
        if (u < 0) {
            free(list);
            resp_error(res, 400, "collaborators: unknown user");
            return -1;
        }
        list[i] = u;
    }
    free(p->collabs);
    p->collabs = list;
    p->ncollabs = (int)json_array_size(arr);
    return 0;
}

/* Applies name/description/public/collaborative/collaborators of b; 0 or -1 (answered). */
static int apply_details(struct catalog *c, struct emu_playlist *p, json_t *b, struct emu_resp *res)
{
    const char *name = json_string_value(json_object_get(b, "name"));
    const char *desc = json_string_value(json_object_get(b, "description"));
    json_t *pub = json_object_get(b, "public"), *col = json_object_get(b, "collaborative");
    json_t *collabs = json_object_get(b, "collaborators");
    if (collabs && (!json_is_array(collabs) || collaborators(c, p, collabs, res) != 0)) {
        if (!json_is_array(collabs))
            resp_error(res, 400, "collaborators: array of user ids");
        return -1;
    }
    char *nn = name ? strdup(name) : NULL, *nd = desc ? strdup(desc) : NULL;
    if ((name && !nn) || (desc && !nd)) {
        free(nn);
        free(nd);
        resp_error(res, 500, "out of memory");
        return -1;
    }
    if (nn) {
        free(p->name);
        p->name = nn;
    }
    if (nd) {
        free(p->description);
        p->description = nd;
    }
    if (json_is_boolean(pub))
        p->public_ = json_is_true(pub);
    if (json_is_boolean(col))
        p->collaborative = json_is_true(col);
    return 0;
}

/* POST /__admin/playlists */
static void playlist_create(struct emu_req *req, struct emu_resp *res, json_t *b)
{
    struct catalog *c = req->emu->cat;
    char err[256];
    const char *owner = json_string_value(json_object_get(b, "owner"));
    const char *name = json_string_value(json_object_get(b, "name"));
    const char *id = json_string_value(json_object_get(b, "id"));
    json_t *size = json_object_get(b, "size"), *uris = json_object_get(b, "uris");
    json_t *pub = json_object_get(b, "public");
    int u = catalog_user_find(c, owner ? owner : "demo");
    if (u < 0) {
        resp_error(res, 404, "unknown owner");
        return;
    }
    if ((id && !is_base62_id(id, strlen(id))) || (size && !json_is_integer(size)) ||
        (uris && !json_is_array(uris))) {
        resp_error(res, 400, "id: base62, size: integer, uris: array");
        return;
    }
    int i = catalog_add_playlist(c, id, u, name ? name : "New Playlist", "",
                                 pub ? json_is_true(pub) : false, false);
    if (i < 0) {
        resp_error(res, i == -2 ? 409 : 500, i == -2 ? "playlist id taken" : "out of memory");
        return;
    }
    struct emu_playlist *p = c->playlists[i];
    if (apply_details(c, p, b, res) != 0)
        return;
    if (size && json_integer_value(size) > 0 &&
        generator_fill(c, p, (size_t)json_integer_value(size),
                       json_is_true(json_object_get(b, "plain")), (uint64_t)i) != 0) {
        resp_error(res, 500, "cannot fill the playlist");
        return;
    }
    if (uris && catalog_file_fill_items(c, p, uris, now_ms() / 1000, err, sizeof err) != 0) {
        resp_error(res, 400, err);
        return;
    }
    resp_json(res, 201, playlist_detail(c, p, false, &res->body));
}

/* POST|DELETE /__admin/playlists/{id}/items */
static void playlist_items(struct emu_req *req, struct emu_resp *res, struct emu_playlist *p,
                           json_t *b)
{
    struct catalog *c = req->emu->cat;
    char err[256];
    json_t *uris = json_object_get(b, "uris"), *pos = json_object_get(b, "positions");
    if (is(req->method, "POST")) {
        json_t *at = json_object_get(b, "position");
        size_t old = p->n;
        if (!json_is_array(uris) || (at && (!json_is_integer(at) || json_integer_value(at) < 0 ||
                                            (size_t)json_integer_value(at) > p->n))) {
            resp_error(res, 400, "uris: array, position: 0..total");
            return;
        }
        if (catalog_file_fill_items(c, p, uris, now_ms() / 1000, err, sizeof err) != 0) {
            resp_error(res, 400, err);
            return;
        }
        if (at) /* appended; rotate them into place */
            playlist_reorder(p, old, p->n - old, (size_t)json_integer_value(at));
    } else {
        bool *drop = calloc(p->n + 1, sizeof *drop);
        size_t i;
        json_t *v;
        if (!drop) {
            resp_error(res, 500, "out of memory");
            return;
        }
        json_array_foreach(uris, i, v)
        {
            const char *u = json_string_value(v);
            for (size_t k = 0; u && k < p->n; k++)
                drop[k] = drop[k] || catalog_entry_is(c, &p->entries[k], u);
        }
        json_array_foreach(pos, i, v)
        {
            if (json_is_integer(v) && json_integer_value(v) >= 0 &&
                (size_t)json_integer_value(v) < p->n)
                drop[json_integer_value(v)] = true;
        }
        size_t o = 0;
        for (size_t k = 0; k < p->n; k++)
            if (!drop[k])
                p->entries[o++] = p->entries[k];
        p->n = o;
        free(drop);
    }
    playlist_bump(p);
    resp_json(res, 200, playlist_detail(c, p, false, &res->body));
}

void admin_playlists(struct emu_req *req, struct emu_resp *res, char **seg, int nseg)
{
    struct catalog *c = req->emu->cat;
    const char *m = req->method;
    char err[256];
    bool write = !is(m, "GET");
    json_t *b = write ? admin_body(req, res) : NULL;
    if (write && !b)
        return;
    if (write)
        pthread_rwlock_wrlock(&c->lock);
    else
        pthread_rwlock_rdlock(&c->lock);
    if (nseg == 1 && is(m, "GET")) {
        const char *owner = req_query(req, "owner");
        int u = owner ? catalog_user_find(c, owner) : -1;
        int rc = buf_append_str(&res->body, "{\"playlists\":[");
        bool first = true;
        for (size_t i = 0; i < c->n_playlists && rc == 0; i++) {
            const struct emu_playlist *p = c->playlists[i];
            if (owner && p->owner != u)
                continue;
            rc = (!first && buf_append_str(&res->body, ",")) ||
                 buf_append_str(&res->body, "{\"id\":") || jw_str(&res->body, p->id) ||
                 buf_append_str(&res->body, ",\"name\":") || jw_str(&res->body, p->name) ||
                 buf_append_str(&res->body, ",\"owner\":") ||
                 jw_str(&res->body, c->users[p->owner].id) ||
                 buf_appendf(&res->body, ",\"total\":%zu,\"snapshot_id\":\"%s\"}", p->n,
                             p->snapshot);
            first = false;
        }
        resp_json(res, 200, rc || buf_append_str(&res->body, "]}"));
        goto done;
    }
    if (nseg == 1 && is(m, "POST")) {
        playlist_create(req, res, b);
        goto done;
    }
    int i = nseg >= 2 ? catalog_playlist_find(c, seg[1]) : -1;
    if (i < 0) {
        resp_error(res, 404, nseg >= 2 ? "unknown playlist" : "unknown admin path");
        goto done;
    }
    struct emu_playlist *p = c->playlists[i];
    if (nseg == 2 && is(m, "GET")) {
        const char *full = req_query(req, "full");
        resp_json(res, 200, playlist_detail(c, p, full && strcmp(full, "0") != 0, &res->body));
    } else if (nseg == 2 && (is(m, "PUT") || is(m, "PATCH"))) {
        json_t *uris = json_object_get(b, "uris");
        if (uris && !json_is_array(uris)) {
            resp_error(res, 400, "uris: array");
            goto done;
        }
        if (apply_details(c, p, b, res) != 0)
            goto done;
        if (uris) {
            /* Load into a scratch playlist first so a bad URI leaves p untouched. */
            struct emu_playlist tmp = *p;
            tmp.entries = NULL;
            tmp.n = tmp.cap = 0;
            if (catalog_file_fill_items(c, &tmp, uris, now_ms() / 1000, err, sizeof err) != 0) {
                free(tmp.entries);
                resp_error(res, 400, err);
                goto done;
            }
            free(p->entries);
            p->entries = tmp.entries;
            p->n = tmp.n;
            p->cap = tmp.cap;
        }
        playlist_bump(p);
        resp_json(res, 200, playlist_detail(c, p, false, &res->body));
    } else if (nseg == 3 && strcmp(seg[2], "items") == 0 && (is(m, "POST") || is(m, "DELETE"))) {
        playlist_items(req, res, p, b);
    } else {
        resp_error(res, 404, "unknown admin path");
    }
done:
    pthread_rwlock_unlock(&c->lock);
    json_decref(b);
}

/* GET /__admin/{tracks,artists,albums,episodes}[/{id}] ?ids=a,b  and GET /__admin/catalog */
void admin_catalog_read(struct emu_req *req, struct emu_resp *res, char **seg, int nseg)
{
    struct catalog *c = req->emu->cat;
    static const char *const KINDS[] = {"tracks", "artists", "albums", "episodes", "users"};
    int kind = -1;
    if (!is(req->method, "GET") || nseg > 2) {
        resp_error(res, 404, "unknown admin path");
        return;
    }
    pthread_rwlock_rdlock(&c->lock);
    if (nseg == 1 && strcmp(seg[0], "catalog") == 0) {
        resp_json(res, 200, catalog_file_export(c, &res->body));
        goto done;
    }
    for (int k = 0; k < 5; k++)
        if (strcmp(seg[0], KINDS[k]) == 0)
            kind = k;
    if (kind < 0) {
        resp_error(res, 404, "unknown admin path");
        goto done;
    }
    const struct strmap *maps[] = {&c->track_map, &c->artist_map, &c->album_map, &c->episode_map,
                                   &c->user_map};
    size_t counts[] = {c->n_tracks, c->n_artists, c->n_albums, c->n_episodes, c->n_users};
    struct buf *b = &res->body;
    int rc = 0;
#define ONE(idx)                                                                                   \
    (kind == 0   ? track_full(c, &c->tracks[idx], b)                                               \
     : kind == 1 ? artist_full(c, &c->artists[idx], b)                                             \
     : kind == 2 ? album_full(c, &c->albums[idx], b)                                               \
     : kind == 3 ? episode_full(&c->episodes[idx], b)                                              \
                 : (buf_append_str(b, "{\"id\":") || jw_str(b, c->users[idx].id) ||                \
                    buf_append_str(b, ",\"display_name\":") ||                                     \
                    jw_str(b, c->users[idx].display_name) || buf_append_str(b, "}")))
    if (nseg == 2) {
        int idx = strmap_get(maps[kind], seg[1]);
        if (idx < 0)
            resp_error(res, 404, "unknown id");
        else
            resp_json(res, 200, ONE(idx));
        goto done;
    }
    const char *ids = req_query(req, "ids");
    rc = buf_appendf(b, "{\"%s\":[", KINDS[kind]);
    if (ids) {
        char *copy = strdup(ids);
        bool first = true;
        rc = rc || !copy;
        for (char *save = NULL, *id = copy ? strtok_r(copy, ",", &save) : NULL; id && rc == 0;
             id = strtok_r(NULL, ",", &save)) {
            int idx = strmap_get(maps[kind], id);
            rc = (!first && buf_append_str(b, ",")) ||
                 (idx < 0 ? buf_append_str(b, "null") : ONE(idx));
            first = false;
        }
        free(copy);
    } else {
        for (size_t k = 0; k < counts[kind] && rc == 0; k++)
            rc = (k && buf_append_str(b, ",")) || ONE(k);
    }
#undef ONE
    resp_json(res, 200, rc || buf_append_str(b, "]}"));
done:
    pthread_rwlock_unlock(&c->lock);
}
