/* --catalog FILE (JSON) loading, and the same format written back by
 * GET /__admin/catalog. The format is documented in README.md. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalog_file.h"
#include "library.h"

static const char *str_or(json_t *o, const char *key, const char *def)
{
    const char *s = json_string_value(json_object_get(o, key));
    return s ? s : def;
}

static long long int_or(json_t *o, const char *key, long long def)
{
    json_t *v = json_object_get(o, key);
    return json_is_integer(v) ? (long long)json_integer_value(v) : def;
}

/* Resolves an array of artist ids into indexes (at most cap); -1 on an unknown id. */
static int artist_list(struct catalog *c, json_t *arr, int *out, int cap, const char **bad)
{
    size_t i;
    json_t *v;
    int n = 0;
    json_array_foreach(arr, i, v)
    {
        const char *id = json_string_value(v);
        int a = id ? strmap_get(&c->artist_map, id) : -1;
        if (a < 0) {
            *bad = id ? id : "(not a string)";
            return -1;
        }
        if (n < cap)
            out[n++] = a;
    }
    return n;
}

/* Fills playlist p from an "items" array of URIs or {uri, added_at, added_by}. */
int catalog_file_fill_items(struct catalog *c, struct emu_playlist *p, json_t *items,
                            int64_t default_added_at, char *err, size_t errsz)
{
    size_t i;
    json_t *it;
    struct emu_entry *e = calloc(json_array_size(items) + 1, sizeof *e);
    if (!e) {
        snprintf(err, errsz, "out of memory");
        return -1;
    }
    size_t n = 0;
    json_array_foreach(items, i, it)
    {
        const char *uri = json_is_string(it) ? json_string_value(it) : str_or(it, "uri", NULL);
        enum uri_status st = catalog_resolve_uri(c, uri, &e[n]);
        if (st != URI_OK) {
            snprintf(err, errsz, "playlist %s item %zu: %s uri '%s'", p->id, i,
                     st == URI_UNKNOWN ? "unknown" : "malformed", uri ? uri : "(none)");
            free(e);
            return -1;
        }
        int64_t at = default_added_at + (int64_t)i * 60;
        const char *by = json_is_object(it) ? str_or(it, "added_by", NULL) : NULL;
        const char *when = json_is_object(it) ? str_or(it, "added_at", NULL) : NULL;
        if (when && parse_iso8601(when, &at) != 0) {
            snprintf(err, errsz, "playlist %s item %zu: bad added_at '%s'", p->id, i, when);
            free(e);
            return -1;
        }
        int u = by ? catalog_user_find(c, by) : p->owner;
        if (u < 0) {
            snprintf(err, errsz, "playlist %s item %zu: unknown user '%s'", p->id, i, by);
            free(e);
            return -1;
        }
        e[n].added_by = u;
        e[n].added_at = at;
        n++;
    }
    int rc = playlist_insert(p, p->n, e, n);
    if (rc != 0)
        snprintf(err, errsz, "out of memory");
    free(e);
    return rc;
}

int catalog_file_load(struct catalog *c, const char *path, char *err, size_t errsz)
{
    json_error_t jerr;
    json_t *root = json_load_file(path, 0, &jerr);
    int rc = -1;
    size_t i;
    json_t *o;
    if (!root || !json_is_object(root)) {
        snprintf(err, errsz, "%s:%d: %s", path, jerr.line, root ? "not an object" : jerr.text);
        goto done;
    }
    json_array_foreach(json_object_get(root, "users"), i, o)
    {
        const char *id = str_or(o, "id", NULL);
        if (!is_user_id(id) || catalog_add_user(c, id, str_or(o, "display_name", id)) < 0) {
            snprintf(err, errsz, "users[%zu]: missing, invalid ([A-Za-z0-9._-]) or duplicate id",
                     i);
            goto done;
        }
    }
    if (catalog_user_find(c, "demo") < 0 && catalog_add_user(c, "demo", "Demo User") < 0) {
        snprintf(err, errsz, "out of memory");
        goto done;
    }
    json_array_foreach(json_object_get(root, "artists"), i, o)
    {
        const char *id = str_or(o, "id", NULL), *g[16];
        json_t *genres = json_object_get(o, "genres");
        int ng = 0;
        size_t k;
        json_t *gv;
        json_array_foreach(genres, k, gv)
        {
            if (ng < 16 && json_is_string(gv))
                g[ng++] = json_string_value(gv);
        }
        if (!id || !is_base62_id(id, strlen(id)) ||
            catalog_add_artist(c, id, str_or(o, "name", id), g, ng, (int)int_or(o, "popularity", 0),
                               (long)int_or(o, "followers", 0)) < 0) {
            snprintf(err, errsz, "artists[%zu]: missing, invalid or duplicate id", i);
            goto done;
        }
    }
    json_array_foreach(json_object_get(root, "albums"), i, o)
    {
        const char *id = str_or(o, "id", NULL), *bad = NULL;
        int arts[8];
        int na = artist_list(c, json_object_get(o, "artists"), arts, 8, &bad);
        const char *date = str_or(o, "release_date", "2000");
        size_t dl = strlen(date);
        const char *prec = str_or(o, "release_date_precision",
                                  dl == 4   ? "year"
                                  : dl == 7 ? "month"
                                            : "day");
        if (na < 0) {
            snprintf(err, errsz, "albums[%zu]: unknown artist '%s'", i, bad);
            goto done;
        }
        if (!id || !is_base62_id(id, strlen(id)) ||
            catalog_add_album(c, id, str_or(o, "name", id), str_or(o, "album_type", "album"), date,
                              prec, str_or(o, "label", ""), (int)int_or(o, "popularity", 0), arts,
                              na) < 0) {
            snprintf(err, errsz, "albums[%zu]: missing, invalid or duplicate id", i);
            goto done;
        }
    }
    json_array_foreach(json_object_get(root, "tracks"), i, o)
    {
        const char *id = str_or(o, "id", NULL), *bad = NULL;
        int arts[8];
        int na = artist_list(c, json_object_get(o, "artists"), arts, 8, &bad);
        int album = strmap_get(&c->album_map, str_or(o, "album", ""));
        if (na < 0 || album < 0) {
            snprintf(err, errsz, "tracks[%zu]: unknown %s '%s'", i, na < 0 ? "artist" : "album",
                     na < 0 ? bad : str_or(o, "album", "(none)"));
            goto done;
        }
        json_t *ex = json_object_get(o, "explicit");
        if (!id || !is_base62_id(id, strlen(id)) ||
            catalog_add_track(c, id, str_or(o, "name", id), album, arts, na,
                              (int)int_or(o, "duration_ms", 200000), json_is_true(ex),
                              str_or(o, "isrc", "XX0000000000"), (int)int_or(o, "track_number", 1),
                              (int)int_or(o, "disc_number", 1),
                              (int)int_or(o, "popularity", 0)) < 0) {
            snprintf(err, errsz, "tracks[%zu]: missing, invalid or duplicate id", i);
            goto done;
        }
    }
    json_array_foreach(json_object_get(root, "episodes"), i, o)
    {
        const char *id = str_or(o, "id", NULL);
        if (!id || !is_base62_id(id, strlen(id)) ||
            catalog_add_episode(c, id, str_or(o, "name", id), str_or(o, "show_id", "0"),
                                str_or(o, "show_name", "Podcast"), str_or(o, "publisher", ""),
                                str_or(o, "release_date", "2024-01-01"),
                                (int)int_or(o, "duration_ms", 1800000),
                                json_is_true(json_object_get(o, "explicit"))) < 0) {
            snprintf(err, errsz, "episodes[%zu]: missing, invalid or duplicate id", i);
            goto done;
        }
    }
    json_array_foreach(json_object_get(root, "playlists"), i, o)
    {
        const char *id = str_or(o, "id", NULL);
        int owner = catalog_user_find(c, str_or(o, "owner", "demo"));
        if (owner < 0 || (id && !is_base62_id(id, strlen(id)))) {
            snprintf(err, errsz, "playlists[%zu]: unknown owner or invalid id", i);
            goto done;
        }
        json_t *pub = json_object_get(o, "public");
        int p = catalog_add_playlist(c, id, owner, str_or(o, "name", "Playlist"),
                                     str_or(o, "description", ""), pub ? json_is_true(pub) : true,
                                     json_is_true(json_object_get(o, "collaborative")));
        if (p < 0) {
            snprintf(err, errsz, "playlists[%zu]: duplicate id", i);
            goto done;
        }
        struct emu_playlist *pl = c->playlists[p];
        json_t *collabs = json_object_get(o, "collaborators");
        size_t k;
        json_t *cv;
        pl->collabs = calloc(json_array_size(collabs) + 1, sizeof(int));
        if (!pl->collabs) {
            snprintf(err, errsz, "out of memory");
            goto done;
        }
        json_array_foreach(collabs, k, cv)
        {
            int u = catalog_user_find(c, json_string_value(cv) ? json_string_value(cv) : "");
            if (u < 0) {
                snprintf(err, errsz, "playlists[%zu]: unknown collaborator", i);
                goto done;
            }
            pl->collabs[pl->ncollabs++] = u;
        }
        if (catalog_file_fill_items(c, pl, json_object_get(o, "items"), 1704067200, err, errsz) !=
            0)
            goto done;
    }
    const char *uid;
    json_object_foreach(json_object_get(root, "liked"), uid, o)
    {
        /* {"USER": [saved tracks, newest first]}; items without added_at get
         * 2024-01-01 minus one second per index. */
        struct emu_saved *list = NULL;
        size_t n;
        char why[200];
        int u = catalog_user_find(c, uid);
        if (u < 0 || library_parse(c, o, 1704067200, &list, &n, why, sizeof why) != 0) {
            snprintf(err, errsz, "liked.%s: %s", uid, u < 0 ? "unknown user" : why);
            goto done;
        }
        int r = library_replace(&c->users[u], list, n);
        free(list);
        if (r != 0) {
            snprintf(err, errsz, "out of memory");
            goto done;
        }
    }
    rc = 0;
done:
    json_decref(root);
    return rc;
}

/* ---- export ---- */

static int strs(struct buf *b, char *const *v, int n)
{
    int rc = buf_append_str(b, "[");
    for (int i = 0; i < n && rc == 0; i++)
        rc = (i && buf_append_str(b, ",")) || jw_str(b, v[i]);
    return rc || buf_append_str(b, "]");
}

static int ids(struct buf *b, const struct catalog *c, const int *v, int n)
{
    int rc = buf_append_str(b, "[");
    for (int i = 0; i < n && rc == 0; i++)
        rc = (i && buf_append_str(b, ",")) || jw_str(b, c->artists[v[i]].id);
    return rc || buf_append_str(b, "]");
}

int catalog_file_item(const struct catalog *c, const struct emu_entry *e, struct buf *b)
{
    char when[21];
    static const char *const TYPES[] = {"track", "episode", "track"};
    iso8601(e->added_at, when);
    return buf_append_str(b, "{\"uri\":\"") || catalog_entry_uri(c, e, b) ||
           buf_appendf(b, "\",\"added_at\":\"%s\",\"added_by\":", when) ||
           jw_str(b, c->users[e->added_by].id) ||
           buf_appendf(b, ",\"is_local\":%s,\"type\":\"%s\"}",
                      e->kind == ENTRY_LOCAL ? "true" : "false", TYPES[e->kind]);
}

int catalog_file_export(const struct catalog *c, struct buf *b)
{
    int rc = buf_append_str(b, "{\"users\":[");
    for (size_t i = 0; i < c->n_users && rc == 0; i++)
        rc = (i && buf_append_str(b, ",")) || buf_append_str(b, "{\"id\":") || jw_str(b, c->users[i].id) ||
             buf_append_str(b, ",\"display_name\":") || jw_str(b, c->users[i].display_name) ||
             buf_append_str(b, "}");
    rc = rc || buf_append_str(b, "],\"artists\":[");
    for (size_t i = 0; i < c->n_artists && rc == 0; i++) {
        const struct emu_artist *a = &c->artists[i];
        rc = (i && buf_append_str(b, ",")) || buf_append_str(b, "{\"id\":") || jw_str(b, a->id) ||
             buf_append_str(b, ",\"name\":") || jw_str(b, a->name) || buf_append_str(b, ",\"genres\":") ||
             strs(b, a->genres, a->ngenres) ||
             buf_appendf(b, ",\"popularity\":%d,\"followers\":%ld}", a->popularity, a->followers);
    }
    rc = rc || buf_append_str(b, "],\"albums\":[");
    for (size_t i = 0; i < c->n_albums && rc == 0; i++) {
        const struct emu_album *a = &c->albums[i];
        rc = (i && buf_append_str(b, ",")) || buf_append_str(b, "{\"id\":") || jw_str(b, a->id) ||
             buf_append_str(b, ",\"name\":") || jw_str(b, a->name) || buf_append_str(b, ",\"album_type\":") ||
             jw_str(b, a->album_type) || buf_append_str(b, ",\"release_date\":") ||
             jw_str(b, a->release_date) || buf_append_str(b, ",\"release_date_precision\":") ||
             jw_str(b, a->precision) || buf_append_str(b, ",\"label\":") || jw_str(b, a->label) ||
             buf_appendf(b, ",\"popularity\":%d,\"artists\":", a->popularity) ||
             ids(b, c, a->artists, a->nartists) || buf_append_str(b, "}");
    }
    rc = rc || buf_append_str(b, "],\"tracks\":[");
    for (size_t i = 0; i < c->n_tracks && rc == 0; i++) {
        const struct emu_track *t = &c->tracks[i];
        rc = (i && buf_append_str(b, ",")) || buf_append_str(b, "{\"id\":") || jw_str(b, t->id) ||
             buf_append_str(b, ",\"name\":") || jw_str(b, t->name) || buf_append_str(b, ",\"album\":") ||
             jw_str(b, c->albums[t->album].id) || buf_append_str(b, ",\"artists\":") ||
             ids(b, c, t->artists, t->nartists) ||
             buf_appendf(b, ",\"duration_ms\":%d,\"explicit\":%s,\"isrc\":", t->duration_ms,
                        t->explicit_ ? "true" : "false") ||
             jw_str(b, t->isrc) ||
             buf_appendf(b, ",\"track_number\":%d,\"disc_number\":%d,\"popularity\":%d}",
                        t->track_number, t->disc_number, t->popularity);
    }
    rc = rc || buf_append_str(b, "],\"episodes\":[");
    for (size_t i = 0; i < c->n_episodes && rc == 0; i++) {
        const struct emu_episode *e = &c->episodes[i];
        rc = (i && buf_append_str(b, ",")) || buf_append_str(b, "{\"id\":") || jw_str(b, e->id) ||
             buf_append_str(b, ",\"name\":") || jw_str(b, e->name) || buf_append_str(b, ",\"show_id\":") ||
             jw_str(b, e->show_id) || buf_append_str(b, ",\"show_name\":") || jw_str(b, e->show_name) ||
             buf_append_str(b, ",\"publisher\":") || jw_str(b, e->publisher) ||
             buf_append_str(b, ",\"release_date\":") || jw_str(b, e->release_date) ||
             buf_appendf(b, ",\"duration_ms\":%d,\"explicit\":%s}", e->duration_ms,
                        e->explicit_ ? "true" : "false");
    }
    rc = rc || buf_append_str(b, "],\"playlists\":[");
    for (size_t i = 0; i < c->n_playlists && rc == 0; i++) {
        const struct emu_playlist *p = c->playlists[i];
        rc = (i && buf_append_str(b, ",")) || buf_append_str(b, "{\"id\":") || jw_str(b, p->id) ||
             buf_append_str(b, ",\"name\":") || jw_str(b, p->name) || buf_append_str(b, ",\"owner\":") ||
             jw_str(b, c->users[p->owner].id) || buf_append_str(b, ",\"description\":") ||
             jw_str(b, p->description) ||
             buf_appendf(b, ",\"public\":%s,\"collaborative\":%s,\"collaborators\":[",
                        p->public_ ? "true" : "false", p->collaborative ? "true" : "false");
        for (int k = 0; k < p->ncollabs && rc == 0; k++)
            rc = (k && buf_append_str(b, ",")) || jw_str(b, c->users[p->collabs[k]].id);
        rc = rc || buf_append_str(b, "],\"items\":[");
        for (size_t k = 0; k < p->n && rc == 0; k++)
            rc = (k && buf_append_str(b, ",")) || catalog_file_item(c, &p->entries[k], b);
        rc = rc || buf_append_str(b, "]}");
    }
    rc = rc || buf_append_str(b, "],\"liked\":{");
    bool first = true;
    for (size_t i = 0; i < c->n_users && rc == 0; i++) {
        if (!c->users[i].nliked)
            continue;
        rc = (!first && buf_append_str(b, ",")) || jw_str(b, c->users[i].id) || buf_append_str(b, ":") ||
             library_json(c, &c->users[i], b);
        first = false;
    }
    return rc || buf_append_str(b, "}}");
}
