#ifndef PLAYROUTER_DOMAIN_CHILD_PLAYLIST_H
#define PLAYROUTER_DOMAIN_CHILD_PLAYLIST_H
/* A child playlist (API.md "Child playlists"): a Spotify playlist kept equal to the base
 * tracks its rule matches. Strings are borrowed (the filler's arena). */
#include <stdbool.h>
#include <stdint.h>

#define CHILD_PLAYLIST_MAX_PER_BASE 200 /* children of one base playlist */

struct child_playlist {
    const char *id;
    const char *user_id;
    const char *base_playlist_id;
    const char *spotify_playlist_id;
    const char *name;
    const char *filter; /* Rule, compact JSON text */
    const char *sort;   /* {"by","order"} compact JSON text, or NULL */
    bool has_limit;     /* false: limit is null */
    int64_t limit;
    int64_t position; /* 0-based */
    bool catch_all;
    const char *pinned_track_ids; /* JSON array text */
    const char *banned_track_ids; /* JSON array text */
    int64_t version;
    const char *created; /* RFC 3339, whole seconds, Z */
    const char *updated;
};

#endif
