/* JSON of the Web API objects, shaped after fixed-spotify-open-api.yml. Fields
 * marked `deprecated: true` there are written only in extended mode (Spotify
 * removed them for Development-Mode apps); available_markets, preview_url and
 * other deprecated fields that no client of ours reads are left out in both. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalog.h"

#define OK(x)                                                                                      \
    do {                                                                                           \
        if ((x) != 0)                                                                              \
            return -1;                                                                             \
    } while (0)

/* "external_urls":{"spotify":"https://open.spotify.com/KIND/ID"} */
static int ext_urls(struct buf *b, const char *kind, const char *id)
{
    OK(buf_append_str(b, "\"external_urls\":{\"spotify\":\"https://open.spotify.com/"));
    OK(buf_append_str(b, kind));
    OK(buf_append_str(b, "/"));
    OK(buf_append_str(b, id));
    return buf_append_str(b, "\"}");
}

/* "href":"BASE/v1/PLURAL/ID" */
static int href(const struct catalog *c, struct buf *b, const char *plural, const char *id)
{
    OK(buf_append_str(b, "\"href\":\""));
    OK(buf_append_str(b, c->base_url));
    OK(buf_append_str(b, "/v1/"));
    OK(buf_append_str(b, plural));
    OK(buf_append_str(b, "/"));
    OK(buf_append_str(b, id));
    return buf_append_str(b, "\"");
}

/* "uri":"spotify:KIND:ID" */
static int uri(struct buf *b, const char *kind, const char *id)
{
    OK(buf_append_str(b, "\"uri\":\"spotify:"));
    OK(buf_append_str(b, kind));
    OK(buf_append_str(b, ":"));
    OK(buf_append_str(b, id));
    return buf_append_str(b, "\"");
}

static int set_json(char **slot, size_t *len, struct buf *b)
{
    free(*slot);
    *slot = buf_detach(b, len);
    return *slot ? 0 : -1;
}

int render_user(const struct catalog *c, struct emu_user *u)
{
    struct buf b = BUF_INIT;
    int rc = -1;
    if (buf_append_str(&b, "{") || ext_urls(&b, "user", u->id) || buf_append_str(&b, ",") ||
        href(c, &b, "users", u->id) || jw_key(&b, "id", true) || jw_str(&b, u->id) ||
        buf_append_str(&b, ",\"type\":\"user\",") || uri(&b, "user", u->id) || buf_append_str(&b, "}"))
        goto done;
    if (set_json(&u->ref_json, NULL, &b) != 0)
        goto done;
    if (buf_append_str(&b, "{\"display_name\":") || jw_str(&b, u->display_name) || buf_append_str(&b, ",") ||
        buf_append_str(&b, u->ref_json + 1))
        goto done;
    rc = set_json(&u->owner_json, NULL, &b);
done:
    buf_release(&b);
    return rc;
}

int render_artist_simple(const struct catalog *c, struct emu_artist *a)
{
    struct buf b = BUF_INIT;
    int rc = -1;
    if (buf_append_str(&b, "{") || ext_urls(&b, "artist", a->id) || buf_append_str(&b, ",") ||
        href(c, &b, "artists", a->id) || jw_key(&b, "id", true) || jw_str(&b, a->id) ||
        jw_key(&b, "name", true) || jw_str(&b, a->name) || buf_append_str(&b, ",\"type\":\"artist\",") ||
        uri(&b, "artist", a->id) || buf_append_str(&b, "}"))
        goto done;
    rc = set_json(&a->simple_json, NULL, &b);
done:
    buf_release(&b);
    return rc;
}

static int artists_array(const struct catalog *c, struct buf *b, const int *ids, int n)
{
    OK(buf_append_str(b, "["));
    for (int i = 0; i < n; i++) {
        if (i)
            OK(buf_append_str(b, ","));
        OK(buf_append_str(b, c->artists[ids[i]].simple_json));
    }
    return buf_append_str(b, "]");
}

/* AlbumBase fields shared by the simplified and the full album, without the
 * closing brace. */
static int album_base(const struct catalog *c, const struct emu_album *al, struct buf *b)
{
    OK(buf_append_str(b, "{\"album_type\":"));
    OK(jw_str(b, al->album_type));
    OK(buf_append_str(b, ",\"artists\":"));
    OK(artists_array(c, b, al->artists, al->nartists));
    OK(buf_append_str(b, ","));
    OK(ext_urls(b, "album", al->id));
    OK(buf_append_str(b, ","));
    OK(href(c, b, "albums", al->id));
    OK(jw_key(b, "id", true));
    OK(jw_str(b, al->id));
    OK(buf_append_str(b, ",\"images\":[]"));
    OK(jw_key(b, "name", true));
    OK(jw_str(b, al->name));
    OK(jw_key(b, "release_date", true));
    OK(jw_str(b, al->release_date));
    OK(jw_key(b, "release_date_precision", true));
    OK(jw_str(b, al->precision));
    OK(jw_key(b, "total_tracks", true));
    return jw_int(b, al->ntracks);
}

int render_album_simple(const struct catalog *c, struct emu_album *al)
{
    struct buf b = BUF_INIT;
    int rc = -1;
    if (album_base(c, al, &b) || buf_append_str(&b, ",\"type\":\"album\",") || uri(&b, "album", al->id) ||
        buf_append_str(&b, "}"))
        goto done;
    rc = set_json(&al->simple_json, NULL, &b);
done:
    buf_release(&b);
    return rc;
}

/* Fields of a track after "album" and "artists", in Spotify's (alphabetical) order. */
static int track_tail(const struct catalog *c, const struct emu_track *t, int mode, bool full,
                      struct buf *b)
{
    OK(jw_key(b, "disc_number", true));
    OK(jw_int(b, t->disc_number));
    OK(jw_key(b, "duration_ms", true));
    OK(jw_int(b, t->duration_ms));
    OK(jw_key(b, "explicit", true));
    OK(jw_bool(b, t->explicit_));
    if (full) {
        OK(buf_append_str(b, ",\"external_ids\":{\"isrc\":"));
        OK(jw_str(b, t->isrc));
        OK(buf_append_str(b, "}"));
    }
    OK(buf_append_str(b, ","));
    OK(ext_urls(b, "track", t->id));
    OK(buf_append_str(b, ","));
    OK(href(c, b, "tracks", t->id));
    OK(jw_key(b, "id", true));
    OK(jw_str(b, t->id));
    OK(buf_append_str(b, ",\"is_local\":false"));
    OK(jw_key(b, "name", true));
    OK(jw_str(b, t->name));
    if (full && mode == MODE_EXT) {
        OK(jw_key(b, "popularity", true));
        OK(jw_int(b, t->popularity));
    }
    OK(jw_key(b, "track_number", true));
    OK(jw_int(b, t->track_number));
    OK(buf_append_str(b, ",\"type\":\"track\","));
    OK(uri(b, "track", t->id));
    return buf_append_str(b, "}");
}

int render_track(const struct catalog *c, struct emu_track *t)
{
    struct buf b = BUF_INIT;
    int rc = -1;
    for (int mode = MODE_DEV; mode <= MODE_EXT; mode++) {
        if (buf_append_str(&b, "{\"album\":") || buf_append_str(&b, c->albums[t->album].simple_json) ||
            buf_append_str(&b, ",\"artists\":") || artists_array(c, &b, t->artists, t->nartists) ||
            track_tail(c, t, mode, true, &b) || set_json(&t->json[mode], &t->json_len[mode], &b))
            goto done;
    }
    rc = 0;
done:
    buf_release(&b);
    return rc;
}

int render_episode(const struct catalog *c, struct emu_episode *e)
{
    struct buf b = BUF_INIT;
    int rc = -1;
    if (buf_append_str(&b, "{\"description\":") || jw_str(&b, e->name) ||
        jw_key(&b, "duration_ms", true) || jw_int(&b, e->duration_ms) ||
        jw_key(&b, "explicit", true) || jw_bool(&b, e->explicit_) || buf_append_str(&b, ",") ||
        ext_urls(&b, "episode", e->id) || buf_append_str(&b, ",") || href(c, &b, "episodes", e->id) ||
        jw_key(&b, "html_description", true) || jw_str(&b, e->name) || jw_key(&b, "id", true) ||
        jw_str(&b, e->id) ||
        buf_append_str(&b, ",\"images\":[],\"is_externally_hosted\":false,\"is_playable\":true,"
                     "\"languages\":[\"en\"]") ||
        jw_key(&b, "name", true) || jw_str(&b, e->name) || jw_key(&b, "release_date", true) ||
        jw_str(&b, e->release_date) ||
        buf_append_str(&b, ",\"release_date_precision\":\"day\",\"show\":{\"description\":\"\",") ||
        ext_urls(&b, "show", e->show_id) || buf_append_str(&b, ",") || href(c, &b, "shows", e->show_id) ||
        jw_key(&b, "id", true) || jw_str(&b, e->show_id) ||
        buf_append_str(&b, ",\"images\":[],\"media_type\":\"audio\"") || jw_key(&b, "name", true) ||
        jw_str(&b, e->show_name) || jw_key(&b, "publisher", true) || jw_str(&b, e->publisher) ||
        buf_append_str(&b, ",\"type\":\"show\",") || uri(&b, "show", e->show_id) ||
        buf_append_str(&b, "},\"type\":\"episode\",") || uri(&b, "episode", e->id) || buf_append_str(&b, "}"))
        goto done;
    rc = set_json(&e->json, &e->json_len, &b);
done:
    buf_release(&b);
    return rc;
}

/* A local file as Spotify shows it: ids, hrefs and most album fields are null. */
int render_local(const struct catalog *c, struct emu_local *l)
{
    (void)c;
    struct buf b = BUF_INIT;
    int rc = -1;
    for (int mode = MODE_DEV; mode <= MODE_EXT; mode++) {
        if (buf_append_str(&b, "{\"album\":{\"album_type\":null,\"artists\":[],\"external_urls\":{},"
                         "\"href\":null,\"id\":null,\"images\":[],\"name\":") ||
            jw_str(&b, l->album) ||
            buf_append_str(&b, ",\"release_date\":null,\"release_date_precision\":null,"
                         "\"type\":\"album\",\"uri\":null},\"artists\":[{\"external_urls\":{},"
                         "\"href\":null,\"id\":null,\"name\":") ||
            jw_str(&b, l->artist) ||
            buf_append_str(&b, ",\"type\":\"artist\",\"uri\":null}],\"disc_number\":0,"
                         "\"duration_ms\":") ||
            jw_int(&b, l->duration_ms) ||
            buf_append_str(&b, ",\"explicit\":false,\"external_ids\":{},\"external_urls\":{},"
                         "\"href\":null,\"id\":null,\"is_local\":true,\"name\":") ||
            jw_str(&b, l->name) || (mode == MODE_EXT && buf_append_str(&b, ",\"popularity\":0")) ||
            buf_append_str(&b, ",\"track_number\":0,\"type\":\"track\",\"uri\":") || jw_str(&b, l->uri) ||
            buf_append_str(&b, "}") || set_json(&l->json[mode], &l->json_len[mode], &b))
            goto done;
    }
    rc = 0;
done:
    buf_release(&b);
    return rc;
}

int render_artist_full(const struct catalog *c, const struct emu_artist *a, int mode, struct buf *b)
{
    OK(buf_append_str(b, "{"));
    OK(ext_urls(b, "artist", a->id));
    if (mode == MODE_EXT) {
        OK(buf_append_str(b, ",\"followers\":{\"href\":null,\"total\":"));
        OK(jw_int(b, a->followers));
        OK(buf_append_str(b, "},\"genres\":["));
        for (int i = 0; i < a->ngenres; i++) {
            if (i)
                OK(buf_append_str(b, ","));
            OK(jw_str(b, a->genres[i]));
        }
        OK(buf_append_str(b, "]"));
    }
    OK(buf_append_str(b, ","));
    OK(href(c, b, "artists", a->id));
    OK(jw_key(b, "id", true));
    OK(jw_str(b, a->id));
    OK(buf_append_str(b, ",\"images\":[]"));
    OK(jw_key(b, "name", true));
    OK(jw_str(b, a->name));
    if (mode == MODE_EXT) {
        OK(jw_key(b, "popularity", true));
        OK(jw_int(b, a->popularity));
    }
    OK(buf_append_str(b, ",\"type\":\"artist\","));
    OK(uri(b, "artist", a->id));
    return buf_append_str(b, "}");
}

int render_album_full(const struct catalog *c, const struct emu_album *al, int mode, struct buf *b)
{
    const size_t limit = 50;
    size_t n = (size_t)al->ntracks;
    OK(album_base(c, al, b));
    /* A copyright line and a UPC derived from the id: stable, plausible. */
    const char *year = al->release_date;
    OK(buf_append_str(b, ",\"copyrights\":[{\"text\":"));
    struct buf tmp = BUF_INIT;
    int rc = buf_appendf(&tmp, "(P) %.4s %s", year, al->label);
    rc = rc || jw_str(b, tmp.data);
    buf_release(&tmp);
    OK(rc);
    OK(buf_appendf(b, ",\"type\":\"P\"}],\"external_ids\":{\"upc\":\"%012llu\"},",
                   (unsigned long long)(id_hash(7, al->id) % 1000000000000ULL)));
    OK(ext_urls(b, "album", al->id));
    if (mode == MODE_EXT) {
        OK(buf_append_str(b, ",\"genres\":[],\"label\":"));
        OK(jw_str(b, al->label));
        OK(jw_key(b, "popularity", true));
        OK(jw_int(b, al->popularity));
    }
    OK(buf_append_str(b, ",\"tracks\":{\"href\":\""));
    OK(buf_appendf(b, "%s/v1/albums/%s/tracks?offset=0&limit=%zu\",\"items\":[", c->base_url, al->id,
                  limit));
    for (size_t i = 0; i < n && i < limit; i++) {
        const struct emu_track *t = &c->tracks[al->tracks[i]];
        if (i)
            OK(buf_append_str(b, ","));
        OK(buf_append_str(b, "{\"artists\":"));
        OK(artists_array(c, b, t->artists, t->nartists));
        OK(track_tail(c, t, mode, false, b));
    }
    OK(buf_appendf(b, "],\"limit\":%zu,\"next\":", limit));
    if (n > limit)
        OK(buf_appendf(b, "\"%s/v1/albums/%s/tracks?offset=%zu&limit=%zu\"", c->base_url, al->id,
                      limit, limit));
    else
        OK(buf_append_str(b, "null"));
    OK(buf_appendf(b, ",\"offset\":0,\"previous\":null,\"total\":%zu},\"type\":\"album\",", n));
    OK(uri(b, "album", al->id));
    return buf_append_str(b, "}");
}

int render_me(const struct catalog *c, const struct emu_user *u, int mode, struct buf *b)
{
    OK(buf_append_str(b, "{"));
    if (mode == MODE_EXT)
        OK(buf_append_str(b, "\"country\":\"SE\","));
    OK(buf_append_str(b, "\"display_name\":"));
    OK(jw_str(b, u->display_name));
    if (mode == MODE_EXT) {
        OK(buf_appendf(b, ",\"email\":\"%s@example.com\"", u->id)); /* is_user_id() */
        OK(buf_append_str(b, ",\"explicit_content\":{\"filter_enabled\":false,\"filter_locked\":false}"));
    }
    OK(buf_append_str(b, ","));
    OK(ext_urls(b, "user", u->id));
    if (mode == MODE_EXT)
        OK(buf_append_str(b, ",\"followers\":{\"href\":null,\"total\":0}"));
    OK(buf_append_str(b, ","));
    OK(href(c, b, "users", u->id));
    OK(jw_key(b, "id", true));
    OK(jw_str(b, u->id));
    OK(buf_append_str(b, ",\"images\":[]"));
    if (mode == MODE_EXT)
        OK(buf_append_str(b, ",\"product\":\"premium\""));
    OK(buf_append_str(b, ",\"type\":\"user\","));
    OK(uri(b, "user", u->id));
    return buf_append_str(b, "}");
}

int render_entry(const struct catalog *c, const struct emu_entry *e, int mode, int key,
                 struct buf *b)
{
    char when[21];
    const char *obj;
    size_t len;
    bool local = false;
    switch (e->kind) {
    case ENTRY_TRACK:
        obj = c->tracks[e->idx].json[mode];
        len = c->tracks[e->idx].json_len[mode];
        break;
    case ENTRY_EPISODE:
        obj = c->episodes[e->idx].json;
        len = c->episodes[e->idx].json_len;
        break;
    default:
        obj = c->locals[e->idx].json[mode];
        len = c->locals[e->idx].json_len[mode];
        local = true;
        break;
    }
    iso8601(e->added_at, when);
    /* Reserve once: this is the hot loop of GET …/items. */
    OK(buf_reserve(b, 2 * len + 512));
    OK(buf_append(b, "{\"added_at\":\"", 13));
    OK(buf_append(b, when, 20));
    OK(buf_append(b, "\",\"added_by\":", 13));
    OK(buf_append_str(b, c->users[e->added_by].ref_json));
    OK(buf_append_str(b, local ? ",\"is_local\":true" : ",\"is_local\":false"));
    if (key & KEY_ITEM) {
        OK(buf_append(b, ",\"item\":", 8));
        OK(buf_append(b, obj, len));
    }
    OK(buf_append_str(b, ",\"primary_color\":null"));
    if (key & KEY_TRACK) {
        OK(buf_append(b, ",\"track\":", 9));
        OK(buf_append(b, obj, len));
    }
    return buf_append_str(b, ",\"video_thumbnail\":{\"url\":null}}");
}

static int page_link(const struct catalog *c, struct buf *b, const char *path, size_t offset,
                     size_t limit, const char *extra)
{
    return buf_appendf(b, "\"%s%s?offset=%zu&limit=%zu%s\"", c->base_url, path, offset, limit,
                      extra);
}

int render_page(const struct catalog *c, const struct page *pg, page_item_fn item, const void *ctx,
                struct buf *b)
{
    OK(buf_append_str(b, "{\"href\":"));
    OK(page_link(c, b, pg->path, pg->offset, pg->limit, pg->extra));
    OK(buf_append_str(b, ",\"items\":["));
    for (size_t i = pg->offset; i < pg->total && i < pg->offset + pg->limit; i++) {
        if (i > pg->offset)
            OK(buf_append(b, ",", 1));
        OK(item(c, ctx, i, b));
    }
    OK(buf_appendf(b, "],\"limit\":%zu,\"next\":", pg->limit));
    if (pg->offset + pg->limit < pg->total)
        OK(page_link(c, b, pg->path, pg->offset + pg->limit, pg->next_limit, pg->extra));
    else
        OK(buf_append_str(b, "null"));
    OK(buf_appendf(b, ",\"offset\":%zu,\"previous\":", pg->offset));
    if (pg->offset > 0)
        OK(page_link(c, b, pg->path, pg->offset > pg->next_limit ? pg->offset - pg->next_limit : 0,
                     pg->next_limit, pg->extra));
    else
        OK(buf_append_str(b, "null"));
    return buf_appendf(b, ",\"total\":%zu}", pg->total);
}

struct entries_ctx {
    const struct emu_playlist *p;
    int mode, key;
};

static int entry_item(const struct catalog *c, const void *ctx, size_t i, struct buf *b)
{
    const struct entries_ctx *e = ctx;
    return render_entry(c, &e->p->entries[i], e->mode, e->key, b);
}

int render_entries_page(const struct catalog *c, const struct emu_playlist *p, int mode, int key,
                        const char *path, size_t offset, size_t limit, size_t next_limit,
                        const char *extra, struct buf *b)
{
    const struct page pg = {path, extra, offset, limit, next_limit, p->n};
    const struct entries_ctx ctx = {p, mode, key};
    return render_page(c, &pg, entry_item, &ctx, b);
}

int render_playlist(const struct catalog *c, const struct emu_playlist *p, int mode, bool full,
                    bool with_items, struct buf *b)
{
    const char *coll = mode == MODE_EXT ? "tracks" : "items";
    OK(buf_append_str(b, "{\"collaborative\":"));
    OK(jw_bool(b, p->collaborative));
    OK(buf_append_str(b, ",\"description\":"));
    OK(jw_str(b, p->description));
    OK(buf_append_str(b, ","));
    OK(ext_urls(b, "playlist", p->id));
    if (full)
        OK(buf_append_str(b, ",\"followers\":{\"href\":null,\"total\":0}"));
    OK(buf_append_str(b, ","));
    OK(href(c, b, "playlists", p->id));
    OK(jw_key(b, "id", true));
    OK(jw_str(b, p->id));
    OK(buf_append_str(b, ",\"images\":[]"));
    OK(jw_key(b, "name", true));
    OK(jw_str(b, p->name));
    OK(buf_append_str(b, ",\"owner\":"));
    OK(buf_append_str(b, c->users[p->owner].owner_json));
    OK(buf_append_str(b, ",\"primary_color\":null,\"public\":"));
    OK(jw_bool(b, p->public_));
    OK(jw_key(b, "snapshot_id", true));
    OK(jw_str(b, p->snapshot));
    if (full && with_items) {
        char path[96]; /* ids are at most 32 characters (is_base62_id) */
        if (snprintf(path, sizeof path, "/v1/playlists/%s/%s", p->id, coll) >= (int)sizeof path)
            return -1;
        OK(buf_appendf(b, ",\"%s\":", coll));
        /* The embedded page holds the first 100 entries in both modes; its links
         * use a limit that the mode's items endpoint accepts. */
        OK(render_entries_page(c, p, mode, mode == MODE_EXT ? KEY_TRACK : KEY_ITEM, path, 0, 100,
                               mode == MODE_EXT ? 100 : 50, "", b));
    } else if (!full) {
        OK(buf_appendf(b, ",\"%s\":{\"href\":\"%s/v1/playlists/%s/%s\",\"total\":%zu}", coll,
                      c->base_url, p->id, coll, p->n));
    }
    OK(buf_append_str(b, ",\"type\":\"playlist\","));
    OK(uri(b, "playlist", p->id));
    return buf_append_str(b, "}");
}
