#include "services/spotify/spotify_parse.h"

#include <limits.h>
#include <string.h>

#include "lib/app_err.h"
#include "lib/json_text.h"
#include "lib/util.h"

/* ---- Small readers: absent or mistyped fields are simply absent ------------------- */

static const char *get_str(const json_t *obj, const char *key)
{
    return json_string_value(json_object_get(obj, key)); /* NULL when not a string */
}

/* Copies a string field into the arena. *out = NULL when absent; ERR_NOMEM on failure. */
static int dup_field(struct arena *a, const json_t *obj, const char *key, const char **out)
{
    const json_t *v = json_object_get(obj, key);
    *out = NULL;
    if (!json_is_string(v))
        return 0;
    *out = arena_strndup(a, json_string_value(v), json_string_length(v));
    return *out ? 0 : ERR_NOMEM;
}

/* An integer field clamped to int32; false when absent. */
static bool get_i32(const json_t *obj, const char *key, int32_t *out)
{
    const json_t *v = json_object_get(obj, key);
    if (!json_is_integer(v))
        return false;
    json_int_t x = json_integer_value(v);
    *out = x > INT32_MAX ? INT32_MAX : x < INT32_MIN ? INT32_MIN : (int32_t)x;
    return true;
}

/* An array of strings into an arena array (non-strings become NULL). */
static int dup_str_array(struct arena *a, const json_t *arr, const char *const **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    if (!json_is_array(arr) || json_array_size(arr) == 0)
        return 0;
    size_t len = json_array_size(arr);
    const char **v = arena_alloc(a, len * sizeof(*v));
    if (!v)
        return ERR_NOMEM;
    for (size_t i = 0; i < len; i++) {
        const json_t *s = json_array_get(arr, i);
        if (json_is_string(s) && !(v[i] = arena_strndup(a, json_string_value(s),
                                                        json_string_length(s))))
            return ERR_NOMEM;
    }
    *out = v;
    *n = len;
    return 0;
}

int spotify_parse_timestamp(const char *s, int64_t *out)
{
    char buf[32];
    time_t t;
    if (!s)
        return -1;
    const char *dot = strchr(s, '.');
    if (dot) { /* "2026-11-23T14:30:00.123Z": drop the fraction */
        size_t head = (size_t)(dot - s);
        const char *z = dot + 1 + strspn(dot + 1, "0123456789");
        if (head + 2 > sizeof(buf) || strcmp(z, "Z") != 0)
            return -1;
        memcpy(buf, s, head);
        buf[head] = 'Z';
        buf[head + 1] = '\0';
        s = buf;
    }
    if (util_time_parse(s, &t) != 0)
        return -1;
    *out = (int64_t)t;
    return 0;
}

/* ---- Tracks and entries ----------------------------------------------------------- */

static int parse_artists(const json_t *arr, struct arena *a, struct track *t)
{
    if (!json_is_array(arr) || json_array_size(arr) == 0)
        return 0;
    size_t n = json_array_size(arr);
    const char **ids = arena_alloc(a, n * sizeof(*ids));
    const char **names = arena_alloc(a, n * sizeof(*names));
    if (!ids || !names)
        return ERR_NOMEM;
    for (size_t i = 0; i < n; i++) {
        const json_t *ar = json_array_get(arr, i);
        if (dup_field(a, ar, "id", &ids[i]) != 0 || dup_field(a, ar, "name", &names[i]) != 0)
            return ERR_NOMEM;
    }
    t->artist_ids = ids;
    t->artist_names = names;
    t->n_artists = n;
    return 0;
}

int spotify_parse_track(const json_t *obj, struct arena *a, struct track *out)
{
    memset(out, 0, sizeof(*out));
    if (!json_is_object(obj))
        return 0;
    const json_t *linked = json_object_get(obj, "linked_from");
    const json_t *ident = json_is_object(linked) && get_str(linked, "uri") ? linked : obj;
    const json_t *album = json_object_get(obj, "album");
    const char *date = NULL;
    int32_t v;

    /* Track relinking: the playlist holds linked_from's uri; writes must use it. */
    if (dup_field(a, ident, "id", &out->id) != 0 || dup_field(a, ident, "uri", &out->uri) != 0 ||
        dup_field(a, obj, "name", &out->name) != 0 ||
        dup_field(a, json_object_get(obj, "external_ids"), "isrc", &out->isrc) != 0 ||
        parse_artists(json_object_get(obj, "artists"), a, out) != 0)
        return ERR_NOMEM;
    if (json_is_object(album)) {
        if (dup_field(a, album, "id", &out->album_id) != 0 ||
            dup_field(a, album, "name", &out->album_name) != 0 ||
            dup_field(a, album, "album_type", &out->album_type) != 0 ||
            dup_field(a, album, "release_date", &date) != 0)
            return ERR_NOMEM;
    } else if (dup_field(a, obj, "release_date", &date) != 0) { /* episodes */
        return ERR_NOMEM;
    }
    if (date)
        (void)track_set_release_date(out, date); /* an odd date stays unset */
    if (get_i32(obj, "duration_ms", &v)) {
        out->duration_ms = v;
        out->has |= TRACK_HAS_DURATION;
    }
    if (get_i32(obj, "track_number", &v)) {
        out->track_number = v;
        out->has |= TRACK_HAS_TRACK_NUMBER;
    }
    if (get_i32(obj, "disc_number", &v)) {
        out->disc_number = v;
        out->has |= TRACK_HAS_DISC_NUMBER;
    }
    if (get_i32(obj, "popularity", &v)) {
        out->popularity = v;
        out->has |= TRACK_HAS_POPULARITY;
    }
    const json_t *ex = json_object_get(obj, "explicit");
    if (json_is_boolean(ex)) {
        out->is_explicit = json_is_true(ex);
        out->has |= TRACK_HAS_EXPLICIT;
    }
    return 0;
}

int spotify_parse_entry(const json_t *entry, size_t index, struct arena *a,
                        struct spotify_item *out)
{
    memset(out, 0, sizeof(*out));
    out->kind = SPOTIFY_ITEM_UNAVAILABLE;
    out->track.base_index = index;
    if (!json_is_object(entry))
        return 0;

    /* Development mode: "item"; extended mode: "track". Take the first object. */
    const json_t *obj = json_object_get(entry, "item");
    if (!json_is_object(obj))
        obj = json_object_get(entry, "track");
    const char *added_at = get_str(entry, "added_at");
    const char *added_by = NULL;
    int64_t ts;

    if (json_is_object(obj)) {
        if (spotify_parse_track(obj, a, &out->track) != 0)
            return ERR_NOMEM;
        out->track.base_index = index;
        const char *type = get_str(obj, "type");
        if (json_is_true(json_object_get(entry, "is_local")) ||
            json_is_true(json_object_get(obj, "is_local")))
            out->kind = SPOTIFY_ITEM_LOCAL;
        else if (type && strcmp(type, "episode") == 0)
            out->kind = SPOTIFY_ITEM_EPISODE;
        else if (out->track.id && out->track.uri)
            out->kind = SPOTIFY_ITEM_TRACK;
        out->uri = out->track.uri;
        if (out->kind == SPOTIFY_ITEM_UNAVAILABLE)
            out->uri = NULL; /* a track object without id/uri cannot be addressed */
    }
    if (added_at && spotify_parse_timestamp(added_at, &ts) == 0) {
        out->track.added_at = ts;
        out->track.has |= TRACK_HAS_ADDED_AT;
    }
    if (dup_field(a, json_object_get(entry, "added_by"), "id", &added_by) != 0)
        return ERR_NOMEM;
    out->track.added_by = added_by;
    return 0;
}

int spotify_parse_page(const json_t *page, size_t first_index, struct arena *a,
                       struct spotify_item *out, size_t cap, size_t *n, size_t *total_out)
{
    const json_t *items = json_object_get(page, "items");
    const json_t *total = json_object_get(page, "total");
    if (total_out)
        *total_out = json_is_integer(total) && json_integer_value(total) >= 0
                         ? (size_t)json_integer_value(total)
                         : (size_t)-1;
    if (!json_is_array(items))
        return ERR_SPOTIFY;
    size_t len = json_array_size(items);
    if (len > cap - *n)
        return ERR_SPOTIFY;
    for (size_t i = 0; i < len; i++) {
        if (spotify_parse_entry(json_array_get(items, i), first_index + i, a, &out[*n]) != 0)
            return ERR_NOMEM;
        (*n)++;
    }
    return 0;
}

int spotify_parse_playlist_info(const json_t *playlist, struct arena *a,
                                struct spotify_playlist_info *out, const json_t **first_page)
{
    memset(out, 0, sizeof(*out));
    if (first_page)
        *first_page = NULL;
    if (!json_is_object(playlist))
        return ERR_SPOTIFY;
    if (dup_field(a, playlist, "id", &out->id) != 0 ||
        dup_field(a, playlist, "name", &out->name) != 0 ||
        dup_field(a, playlist, "snapshot_id", &out->snapshot_id) != 0 ||
        dup_field(a, json_object_get(playlist, "owner"), "id", &out->owner_id) != 0)
        return ERR_NOMEM;
    /* The embedded first page: "items" (development mode, current schema) or "tracks". */
    const json_t *page = json_object_get(playlist, "items");
    if (!json_is_object(page))
        page = json_object_get(playlist, "tracks");
    if (!json_is_object(page))
        page = NULL;
    const json_t *total = json_object_get(page, "total");
    out->total = json_is_integer(total) && json_integer_value(total) >= 0
                     ? (size_t)json_integer_value(total)
                     : 0;
    if (first_page)
        *first_page = page;
    return 0;
}

/* ---- Artists, albums, users --------------------------------------------------------- */

int spotify_parse_artist(const json_t *obj, struct arena *a, struct spotify_artist *out)
{
    memset(out, 0, sizeof(*out));
    out->popularity = -1;
    if (!json_is_object(obj))
        return 0;
    if (dup_field(a, obj, "id", &out->id) != 0 || dup_field(a, obj, "name", &out->name) != 0 ||
        dup_str_array(a, json_object_get(obj, "genres"), &out->genres, &out->n_genres) != 0)
        return ERR_NOMEM;
    int32_t v;
    if (get_i32(obj, "popularity", &v))
        out->popularity = v;
    return 0;
}

int spotify_parse_album(const json_t *obj, struct arena *a, struct spotify_album *out)
{
    memset(out, 0, sizeof(*out));
    out->popularity = -1;
    if (!json_is_object(obj))
        return 0;
    if (dup_field(a, obj, "id", &out->id) != 0 || dup_field(a, obj, "name", &out->name) != 0 ||
        dup_field(a, obj, "label", &out->label) != 0)
        return ERR_NOMEM;
    int32_t v;
    if (get_i32(obj, "popularity", &v))
        out->popularity = v;
    return 0;
}

int spotify_parse_user(const json_t *obj, struct arena *a, struct spotify_user *out)
{
    memset(out, 0, sizeof(*out));
    if (!json_is_object(obj))
        return 0;
    if (dup_field(a, obj, "id", &out->id) != 0 ||
        dup_field(a, obj, "display_name", &out->display_name) != 0 ||
        dup_field(a, obj, "country", &out->country) != 0 ||
        dup_field(a, obj, "product", &out->product) != 0)
        return ERR_NOMEM;
    return 0;
}

/* ---- Errors ------------------------------------------------------------------------- */

int spotify_parse_error(const char *body, size_t len, struct buf *msg, bool *quota_exceeded)
{
    json_t *root = body && len ? json_text_loadb(body, len, 0, NULL) : NULL;
    int rc = 0;
    *quota_exceeded = false;
    if (!json_is_object(root))
        goto done;
    const json_t *err = json_object_get(root, "error");
    const char *text = NULL, *reason = get_str(root, "reason");
    if (json_is_object(err)) { /* Web API: {"error": {"status", "message", "reason"?}} */
        text = get_str(err, "message");
        if (get_str(err, "reason"))
            reason = get_str(err, "reason");
    } else if (json_is_string(err)) { /* accounts: {"error", "error_description"} */
        text = get_str(root, "error_description");
        if (!text)
            text = json_string_value(err);
    }
    if ((reason && strcmp(reason, "QUOTA_EXCEEDED") == 0) ||
        (text && strstr(text, "QUOTA_EXCEEDED")))
        *quota_exceeded = true;
    if (text && *text) {
        /* Spotify's text, cut to a sane length for an error_message, at a character
         * boundary (jansson gave valid UTF-8; half a character would not be). */
        size_t n = strlen(text);
        if (n > 300)
            for (n = 300; n > 0 && ((unsigned char)text[n] & 0xC0) == 0x80; n--)
                ;
        rc = buf_append(msg, text, n);
    }
done:
    json_decref(root);
    return rc;
}
