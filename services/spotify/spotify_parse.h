#ifndef PLAYROUTER_SPOTIFY_PARSE_H
#define PLAYROUTER_SPOTIFY_PARSE_H
/* Spotify JSON -> our structs: playlist entries into struct track (services/track.h),
 * artist and album objects, the playlist header, error bodies. Pure: no I/O.
 *
 * Both API modes are accepted by every function whatever the configured mode: a
 * playlist's embedded first page under "items" or "tracks", an entry's object under
 * "item" or "track" (the first non-null one wins). Missing or mistyped fields are
 * treated as absent (NULL string, TRACK_HAS_* bit clear), never as an error: Spotify's
 * data is not ours to assert on.
 *
 * Every string and array produced lives in the arena passed in (or is borrowed from
 * static storage); nothing is borrowed from the json_t, which may be freed after. */
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/arena.h"
#include "lib/buf.h"
#include "domain/track.h"

/* What a playlist entry holds. */
enum spotify_item_kind {
    SPOTIFY_ITEM_TRACK = 0,   /* a Spotify track: `track` is filled */
    SPOTIFY_ITEM_LOCAL,       /* a local file (is_local): name/artists/album names only */
    SPOTIFY_ITEM_EPISODE,     /* a podcast episode: id, uri, name, duration */
    SPOTIFY_ITEM_UNAVAILABLE, /* the entry's track is null (removed from the catalogue) */
};

struct spotify_item {
    enum spotify_item_kind kind;
    const char *uri;    /* the entry's uri as a write addresses it (NULL for UNAVAILABLE) */
    struct track track; /* base_index = the entry's index in the playlist */
};

/* A playlist's header (GET /playlists/{id}). */
struct spotify_playlist_info {
    const char *id;
    const char *name;
    const char *snapshot_id;
    const char *owner_id;
    size_t total; /* number of entries Spotify reports */
};

/* A playlist read whole: the header and every entry in playlist order. */
struct spotify_playlist {
    struct spotify_playlist_info info;
    struct spotify_item *items; /* n_items entries, in the arena */
    size_t n_items;
};

/* An artist object (GET /artists?ids=, extended mode). */
struct spotify_artist {
    const char *id; /* NULL when Spotify answered null for the id asked */
    const char *name;
    const char *const *genres;
    size_t n_genres;
    int32_t popularity; /* -1 when absent */
};

/* An album object (GET /albums?ids=, extended mode). */
struct spotify_album {
    const char *id; /* NULL when Spotify answered null for the id asked */
    const char *name;
    const char *label;
    int32_t popularity; /* -1 when absent */
};

/* The current user (GET /me). */
struct spotify_user {
    const char *id;
    const char *display_name;
    const char *country;
    const char *product;
};

/* Parses one playlist entry (PlaylistTrackObject) into *out (zeroed first).
 * index becomes out->track.base_index. Returns 0 or ERR_NOMEM; a malformed entry
 * (not an object) yields SPOTIFY_ITEM_UNAVAILABLE. */
int spotify_parse_entry(const json_t *entry, size_t index, struct arena *a,
                        struct spotify_item *out);

/* Parses a track object (TrackObject: the `item` of an entry, or one of GET /tracks)
 * into *out (zeroed first): id, uri, name, isrc, artists, album, release date,
 * duration, numbers, explicit, popularity. Returns 0 or ERR_NOMEM; a non-object leaves
 * *out zeroed. */
int spotify_parse_track(const json_t *obj, struct arena *a, struct track *out);

/* Parses the entries of a paging object (`{"items": [...], "total": N}`) appending
 * them to out[*n..cap) with base_index = first_index + i. *total_out (may be NULL)
 * receives "total" or (size_t)-1 when absent. Returns 0, ERR_NOMEM, or ERR_SPOTIFY
 * when `page` has no "items" array or more entries than fit in cap - *n. */
int spotify_parse_page(const json_t *page, size_t first_index, struct arena *a,
                       struct spotify_item *out, size_t cap, size_t *n, size_t *total_out);

/* Parses a playlist object's header into *out; *first_page (may be NULL) receives the
 * embedded paging object ("items" or "tracks"; borrowed from `playlist`) or NULL.
 * Returns 0, ERR_NOMEM, or ERR_SPOTIFY when `playlist` is not an object. */
int spotify_parse_playlist_info(const json_t *playlist, struct arena *a,
                                struct spotify_playlist_info *out, const json_t **first_page);

/* Artist / album objects; a JSON null gives id == NULL. Return 0 or ERR_NOMEM. */
int spotify_parse_artist(const json_t *obj, struct arena *a, struct spotify_artist *out);
int spotify_parse_album(const json_t *obj, struct arena *a, struct spotify_album *out);
int spotify_parse_user(const json_t *obj, struct arena *a, struct spotify_user *out);

/* Parses an "added_at" timestamp ("2026-11-23T14:30:00Z"; fractional seconds
 * accepted) into unix seconds; 0 or -1. */
int spotify_parse_timestamp(const char *s, int64_t *out);

/* Reads a Spotify error body ({"error": {"status", "message", "reason"?}} or the
 * accounts service's {"error": "...", "error_description": "..."}). Appends the message
 * (or nothing) to `msg`; sets *quota_exceeded when the body says QUOTA_EXCEEDED
 * (in "reason" or in the message). Never fails on malformed input; -1 only when
 * appending to `msg` runs out of memory. */
int spotify_parse_error(const char *body, size_t len, struct buf *msg, bool *quota_exceeded);

#endif
