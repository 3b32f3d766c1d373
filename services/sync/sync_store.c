/* The base kept between syncs: a base playlist's entries and the metadata values the
 * rules used, saved under the base's snapshot_id (repositories/base_store_repo.h), so
 * that a sync or a preview of a base whose snapshot has not moved reads no page.
 *
 * One entry is one compact JSON object (SYNC_STORE_FORMAT 1):
 *   {"k": kind, "u": entry uri, "t": {the entry's track fields}, "m": {metadata}}
 * "t" holds what the playlist item itself carries (struct track minus the enrichment):
 *   id, uri (only when it differs from "u"), n name, isrc, ai artist ids, an artist
 *   names, al album id, aln album name, alt album type, rd release date, aa added_at,
 *   ab added_by, d duration_ms, tn track number, dn disc number, p popularity,
 *   x explicit; a number is present only when its TRACK_HAS_* bit is set.
 * "m" holds the values of metadata sources, each field under its own key, and the
 * header's metadata_needs says which RULE_NEEDS_* bits they answer (metadata_at when
 * they were fetched). Today Spotify's artists and albums (RULE_NEEDS_ARTISTS: g genres,
 * ap artist_popularity; RULE_NEEDS_ALBUM: l label, alp album_popularity). A new source
 * adds its keys here and its RULE_NEEDS_* bit; entries stored before it lack the bit, so
 * the next evaluation fetches those values (from the source, not from the base's pages)
 * and saves the entries again. A change of struct track (the static assertion below)
 * means a new field to store: add it to put_track/take_track and bump SYNC_STORE_FORMAT
 * (entries of another format are read again from Spotify, never misread). */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "repositories/base_store_repo.h"
#include "lib/app_err.h"
#include "lib/log.h"
#include "lib/util.h"
#include "services/sync/sync_internal.h"

/* 224: 184 plus the fields of issue 13 (genre_sources, genre_asked, tags, n_tags,
 * original_year), which are not stored here on purpose: MusicBrainz's values come from
 * its own shared store and the user's tags from theirs, applied at every evaluation after
 * this base is saved (sync_input.c); the stored genres are Spotify's alone. */
#if defined(__x86_64__) && defined(__LP64__)
_Static_assert(sizeof(struct track) == 224,
               "struct track changed: store the new field in sync_store.c and bump "
               "SYNC_STORE_FORMAT");
#endif

/* ---- Writing: a hand-made encoder (5,000 entries per cold sync; no json_t tree) ---- */

/* s as a JSON string: the escapes JSON requires. Spotify's strings come from jansson,
 * so they are valid UTF-8; bytes >= 0x80 pass as they are. */
static int put_json_string(struct buf *b, const char *s)
{
    const char *run = s;
    if (buf_append(b, "\"", 1) != 0)
        return ERR_NOMEM;
    for (const char *p = s; *p; p++) {
        unsigned char c = (unsigned char)*p;
        char esc[8];
        if (c >= 0x20 && c != '"' && c != '\\')
            continue;
        if (c == '"' || c == '\\')
            snprintf(esc, sizeof esc, "\\%c", c);
        else
            snprintf(esc, sizeof esc, "\\u%04x", (unsigned)c);
        if ((p > run && buf_append(b, run, (size_t)(p - run)) != 0) || buf_append_str(b, esc) != 0)
            return ERR_NOMEM;
        run = p + 1;
    }
    if (buf_append_str(b, run) != 0 || buf_append(b, "\"", 1) != 0)
        return ERR_NOMEM;
    return 0;
}

/* ,"key": (no comma right after an opening brace). No printf: ~20 keys an entry. */
static int put_key(struct buf *b, const char *key)
{
    bool first = b->len > 0 && b->data[b->len - 1] == '{';
    return (!first && buf_append(b, ",", 1)) || buf_append(b, "\"", 1) ||
                   buf_append_str(b, key) || buf_append(b, "\":", 2)
               ? ERR_NOMEM
               : 0;
}

static int put_str(struct buf *b, const char *key, const char *s)
{
    if (!s)
        return 0;
    return put_key(b, key) || put_json_string(b, s) ? ERR_NOMEM : 0;
}

static int put_int(struct buf *b, const char *key, bool present, long long v)
{
    char digits[24], *p = digits + sizeof digits;
    unsigned long long u = v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v;
    if (!present)
        return 0;
    do {
        *--p = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (v < 0)
        *--p = '-';
    return put_key(b, key) || buf_append(b, p, (size_t)(digits + sizeof digits - p)) ? ERR_NOMEM
                                                                                        : 0;
}

static int put_strs(struct buf *b, const char *key, const char *const *v, size_t n)
{
    if (n == 0)
        return 0;
    if (put_key(b, key) || buf_append(b, "[", 1))
        return ERR_NOMEM;
    for (size_t i = 0; i < n; i++)
        if ((i && buf_append(b, ",", 1)) ||
            (v[i] ? put_json_string(b, v[i]) : buf_append_str(b, "null")))
            return ERR_NOMEM;
    return buf_append(b, "]", 1) ? ERR_NOMEM : 0;
}

static int put_track(struct buf *b, const struct spotify_item *it)
{
    const struct track *t = &it->track;
    bool same_uri = t->uri && it->uri && strcmp(t->uri, it->uri) == 0;
    if (put_key(b, "t") || buf_append(b, "{", 1) || put_str(b, "id", t->id) ||
        put_str(b, "uri", same_uri ? NULL : t->uri) || put_str(b, "n", t->name) ||
        put_str(b, "isrc", t->isrc) || put_strs(b, "ai", t->artist_ids, t->n_artists) ||
        put_strs(b, "an", t->artist_names, t->n_artists) || put_str(b, "al", t->album_id) ||
        put_str(b, "aln", t->album_name) || put_str(b, "alt", t->album_type) ||
        put_str(b, "rd", t->release_date) ||
        put_int(b, "aa", t->has & TRACK_HAS_ADDED_AT, t->added_at) ||
        put_str(b, "ab", t->added_by) ||
        put_int(b, "d", t->has & TRACK_HAS_DURATION, t->duration_ms) ||
        put_int(b, "tn", t->has & TRACK_HAS_TRACK_NUMBER, t->track_number) ||
        put_int(b, "dn", t->has & TRACK_HAS_DISC_NUMBER, t->disc_number) ||
        put_int(b, "p", t->has & TRACK_HAS_POPULARITY, t->popularity) ||
        put_int(b, "x", t->has & TRACK_HAS_EXPLICIT, t->is_explicit) || buf_append(b, "}", 1))
        return ERR_NOMEM;
    return 0;
}

/* The metadata values of `t` (the enriched filterable track of the entry, or the
 * entry's own track for an entry that is not one). */
static int put_meta(struct buf *b, const struct track *t)
{
    if (put_key(b, "m") || buf_append(b, "{", 1) || put_strs(b, "g", t->genres, t->n_genres) ||
        put_int(b, "ap", t->has & TRACK_HAS_ARTIST_POPULARITY, t->artist_popularity) ||
        put_str(b, "l", t->label) ||
        put_int(b, "alp", t->has & TRACK_HAS_ALBUM_POPULARITY, t->album_popularity) ||
        buf_append(b, "}", 1))
        return ERR_NOMEM;
    return 0;
}

int sync_store_encode(const struct spotify_item *it, const struct track *meta, struct buf *out)
{
    buf_reset(out);
    if (buf_append(out, "{", 1) || put_int(out, "k", true, (long long)it->kind) ||
        put_str(out, "u", it->uri) ||
        put_track(out, it) || put_meta(out, meta ? meta : &it->track) || buf_append(out, "}", 1))
        return ERR_NOMEM;
    return 0;
}

/* ---- Reading ------------------------------------------------------------------- */

/* A string member into the arena (absent or not a string: NULL). */
static int take_str(struct arena *a, const json_t *o, const char *key, const char **out)
{
    const char *s = json_string_value(json_object_get(o, key));
    *out = NULL;
    if (s && !(*out = arena_strdup(a, s)))
        return ERR_NOMEM;
    return 0;
}

/* An integer member: sets bit `has` in *bits when present. */
static void take_int(const json_t *o, const char *key, unsigned has, unsigned *bits,
                     int64_t *out)
{
    const json_t *v = json_object_get(o, key);
    if (json_is_integer(v)) {
        *out = json_integer_value(v);
        *bits |= has;
    }
}

static void take_i32(const json_t *o, const char *key, unsigned has, unsigned *bits,
                     int32_t *out)
{
    int64_t v = 0;
    unsigned got = 0;
    take_int(o, key, has, &got, &v);
    if (got && v >= INT32_MIN && v <= INT32_MAX) {
        *out = (int32_t)v;
        *bits |= got;
    }
}

/* An array of strings (and nulls) into an arena array; *n its length. */
static int take_strs(struct arena *a, const json_t *o, const char *key, const char *const **out,
                     size_t *n)
{
    const json_t *arr = json_object_get(o, key);
    size_t len = json_array_size(arr);
    const char **list = NULL;
    *out = NULL;
    *n = 0;
    if (len == 0)
        return 0;
    if (!(list = arena_alloc(a, len * sizeof *list)))
        return ERR_NOMEM;
    for (size_t i = 0; i < len; i++) {
        const char *s = json_string_value(json_array_get(arr, i));
        if (s && !(list[i] = arena_strdup(a, s)))
            return ERR_NOMEM;
    }
    *out = list;
    *n = len;
    return 0;
}

static int take_track(struct arena *a, const json_t *t, const json_t *m, const char *item_uri,
                      struct track *out)
{
    const char *const *names = NULL;
    size_t n_names = 0;
    const char *rd = NULL;
    int64_t added = 0;
    int rc;

    if ((rc = take_str(a, t, "id", &out->id)) || (rc = take_str(a, t, "uri", &out->uri)) ||
        (rc = take_str(a, t, "n", &out->name)) || (rc = take_str(a, t, "isrc", &out->isrc)) ||
        (rc = take_strs(a, t, "ai", &out->artist_ids, &out->n_artists)) ||
        (rc = take_strs(a, t, "an", &names, &n_names)) ||
        (rc = take_str(a, t, "al", &out->album_id)) ||
        (rc = take_str(a, t, "aln", &out->album_name)) ||
        (rc = take_str(a, t, "alt", &out->album_type)) || (rc = take_str(a, t, "rd", &rd)) ||
        (rc = take_str(a, t, "ab", &out->added_by)) ||
        (rc = take_strs(a, m, "g", &out->genres, &out->n_genres)) ||
        (rc = take_str(a, m, "l", &out->label)))
        return rc;
    if (n_names != out->n_artists)
        return ERR_INTERNAL; /* written by put_strs from one n_artists */
    out->artist_names = names;
    if (!out->uri)
        out->uri = item_uri;
    if (rd)
        track_set_release_date(out, rd);
    take_int(t, "aa", TRACK_HAS_ADDED_AT, &out->has, &added);
    out->added_at = added;
    take_i32(t, "d", TRACK_HAS_DURATION, &out->has, &out->duration_ms);
    take_i32(t, "tn", TRACK_HAS_TRACK_NUMBER, &out->has, &out->track_number);
    take_i32(t, "dn", TRACK_HAS_DISC_NUMBER, &out->has, &out->disc_number);
    take_i32(t, "p", TRACK_HAS_POPULARITY, &out->has, &out->popularity);
    take_i32(m, "ap", TRACK_HAS_ARTIST_POPULARITY, &out->has, &out->artist_popularity);
    take_i32(m, "alp", TRACK_HAS_ALBUM_POPULARITY, &out->has, &out->album_popularity);
    const json_t *x = json_object_get(t, "x");
    if (json_is_integer(x)) {
        out->is_explicit = json_integer_value(x) != 0;
        out->has |= TRACK_HAS_EXPLICIT;
    }
    return 0;
}

int sync_store_decode(const char *text, size_t len, size_t index, struct arena *a,
                      struct spotify_item *out)
{
    json_t *root = json_loadb(text, len, 0, NULL);
    const json_t *k = json_object_get(root, "k");
    int rc = ERR_INTERNAL;

    memset(out, 0, sizeof *out);
    if (!json_is_object(root) || !json_is_integer(k) || json_integer_value(k) < SPOTIFY_ITEM_TRACK ||
        json_integer_value(k) > SPOTIFY_ITEM_UNAVAILABLE)
        goto done;
    out->kind = (enum spotify_item_kind)json_integer_value(k);
    if ((rc = take_str(a, root, "u", &out->uri)) != 0)
        goto done;
    rc = take_track(a, json_object_get(root, "t"), json_object_get(root, "m"), out->uri,
                    &out->track);
    out->track.base_index = index;
done:
    json_decref(root);
    return rc;
}

/* ---- The stored base of a sync_input ----------------------------------------------- */

struct load_ctx {
    struct arena *a;
    struct spotify_item *items;
    size_t cap;
};

static int load_entry(void *ud, int64_t idx, const char *text, size_t len)
{
    struct load_ctx *ctx = ud;
    if (idx < 0 || (size_t)idx >= ctx->cap)
        return ERR_NOT_FOUND; /* another save happened since the header was read */
    int rc = sync_store_decode(text, len, (size_t)idx, ctx->a, &ctx->items[idx]);
    return rc == ERR_INTERNAL ? ERR_NOT_FOUND : rc;
}

int sync_store_load(struct db *db, struct arena *a, const struct sync_input *in,
                    const char *snapshot_id, struct spotify_playlist *out)
{
    size_t n = (size_t)in->store.n_entries;
    struct load_ctx ctx = {a, NULL, n};
    int rc;

    memset(out, 0, sizeof *out);
    if (!in->store.snapshot_id || in->store.n_entries < 0)
        return ERR_NOT_FOUND;
    if (n && !(ctx.items = arena_alloc(a, n * sizeof *ctx.items)))
        return ERR_NOMEM;
    rc = base_store_repo_load(db, in->base.id, snapshot_id, (int)in->api_mode, SYNC_STORE_FORMAT,
                              load_entry, &ctx);
    if (rc != 0)
        return rc;
    out->info.id = in->base.spotify_playlist_id;
    out->info.name = in->base.name;
    out->info.snapshot_id = arena_strdup(a, snapshot_id);
    out->info.total = n;
    out->items = ctx.items;
    out->n_items = n;
    return out->info.snapshot_id ? 0 : ERR_NOMEM;
}

struct save_ctx {
    const struct spotify_playlist *pl;
    const struct track **meta; /* per entry: its enriched track, or NULL */
    struct buf text;
};

static int next_entry(void *ud, int64_t idx, const char **text, size_t *len)
{
    struct save_ctx *ctx = ud;
    int rc = sync_store_encode(&ctx->pl->items[idx], ctx->meta[idx], &ctx->text);
    *text = ctx->text.data;
    *len = ctx->text.len;
    return rc;
}

int sync_store_save(struct db *db, struct arena *a, const struct sync_input *in,
                    const struct spotify_playlist *pl, const struct sync_tracks *tracks,
                    unsigned needs, int64_t metadata_at)
{
    struct save_ctx ctx = {pl, arena_alloc(a, (pl->n_items + 1) * sizeof *ctx.meta), BUF_INIT};
    struct base_store_info info = {.snapshot_id = pl->info.snapshot_id,
                                   .api_mode = (int)in->api_mode,
                                   .format = SYNC_STORE_FORMAT,
                                   .n_entries = (int64_t)pl->n_items,
                                   .metadata_needs = needs,
                                   .metadata_at = metadata_at};
    char now[21];
    int rc;

    if (!pl->info.snapshot_id)
        return ERR_NOT_FOUND; /* a read that did not say its snapshot cannot be trusted */
    if (!ctx.meta)
        return ERR_NOMEM;
    /* The enrichment lives in the filterable tracks; each came from one entry. */
    for (size_t i = 0; i < tracks->n; i++)
        if (tracks->tracks[i].base_index < pl->n_items)
            ctx.meta[tracks->tracks[i].base_index] = &tracks->tracks[i];
    util_time_format(time(NULL), now);
    rc = base_store_repo_save(db, in->base.id, &info, next_entry, &ctx, now);
    buf_release(&ctx.text);
    return rc;
}
