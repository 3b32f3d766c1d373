#ifndef PLAYROUTER_PLAYLIST_USAGE_REPO_H
#define PLAYROUTER_PLAYLIST_USAGE_REPO_H
/* Which of a user's bases and children point at which Spotify playlists (the
 * `used_by` of GET /api/spotify/playlists, API.md "Web app"). */
#include <stddef.h>

#include "lib/arena.h"

struct db;

struct playlist_usage {
    const char *spotify_playlist_id;
    const char *kind; /* "base" or "child" (static) */
    const char *id;   /* the base's or child's id */
};

/* Every base and child of user_id that has a Spotify playlist, bases first, then
 * children, each oldest first. *out (arena) holds *n entries. 0, ERR_NOMEM,
 * ERR_INTERNAL. */
int playlist_usage_repo_list(struct db *db, struct arena *a, const char *user_id,
                             struct playlist_usage **out, size_t *n);

#endif
