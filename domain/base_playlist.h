#ifndef PLAYROUTER_DOMAIN_BASE_PLAYLIST_H
#define PLAYROUTER_DOMAIN_BASE_PLAYLIST_H
/* A base playlist (API.md "Base playlists"): the source a user's children sort from.
 * Strings are borrowed: they live in the arena of whoever filled the struct. */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#define BASE_SOURCE_PLAYLIST "playlist" /* a Spotify playlist */
#define BASE_SOURCE_LIKED "liked"       /* the user's saved tracks (Liked Songs) */
#define BASE_LIKED_DEFAULT_NAME "Liked Songs"

struct base_playlist {
    const char *id;
    const char *user_id;
    const char *source;              /* BASE_SOURCE_PLAYLIST | BASE_SOURCE_LIKED */
    const char *spotify_playlist_id; /* NULL for a Liked Songs base */
    const char *name;
    const char *routing; /* "all" | "first_match" */
    int64_t auto_sync_minutes;
    int64_t version;            /* starts at 1, +1 on every change through the API */
    const char *last_synced_at; /* RFC 3339; NULL = never synced */
    const char *created;        /* RFC 3339, whole seconds, Z */
    const char *updated;
};

/* Does bp read the user's Liked Songs (and so has no Spotify playlist)? */
static inline bool base_playlist_is_liked(const struct base_playlist *bp)
{
    return bp->source && strcmp(bp->source, BASE_SOURCE_LIKED) == 0;
}

#endif
