#ifndef PLAYROUTER_DOMAIN_BASE_PLAYLIST_H
#define PLAYROUTER_DOMAIN_BASE_PLAYLIST_H
/* A base playlist (API.md "Base playlists"): the source a user's children sort from.
 * Strings are borrowed: they live in the arena of whoever filled the struct. */
#include <stdint.h>

struct base_playlist {
    const char *id;
    const char *user_id;
    const char *spotify_playlist_id;
    const char *name;
    const char *routing; /* "all" | "first_match" */
    int64_t auto_sync_minutes;
    int64_t version;            /* starts at 1, +1 on every change through the API */
    const char *last_synced_at; /* RFC 3339; NULL = never synced */
    const char *created;        /* RFC 3339, whole seconds, Z */
    const char *updated;
};

#endif
