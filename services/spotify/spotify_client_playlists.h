#ifndef PLAYROUTER_SPOTIFY_CLIENT_PLAYLISTS_H
#define PLAYROUTER_SPOTIFY_CLIENT_PLAYLISTS_H
/* One page of the signed-in user's playlists (GET /me/playlists), for the web app's
 * playlist picker (API.md "Web app"). Part of the Spotify client: same retry, 429 and
 * token rules and the same errors as every call of services/spotify_client.h. */
#include <stdbool.h>
#include <stddef.h>

#include "lib/arena.h"
#include "services/spotify/spotify_client.h"

/* GET /me/playlists: largest `limit`. */
#define SPOTIFY_MY_PLAYLISTS_PAGE 50

struct spotify_my_playlist {
    const char *id;
    const char *name;       /* "" when Spotify sends none */
    const char *owner_id;   /* may be NULL */
    const char *owner_name; /* owner.display_name; may be NULL */
    long long tracks_total; /* -1 when not given */
    bool collaborative;
    bool is_public; /* false when Spotify sends null */
};

struct spotify_my_playlists {
    struct spotify_my_playlist *items; /* arena */
    size_t n;
    size_t total; /* every playlist of the library */
};

/* Reads playlists [offset, offset + limit) of the user's library, in Spotify's order.
 * limit is clamped to 1..SPOTIFY_MY_PLAYLISTS_PAGE. One request. Entries without an id
 * are left out. Strings in arena `a`. Errors: see spotify_client.h. */
int spotify_client_get_my_playlists(struct spotify_client *c, struct arena *a, size_t offset,
                                    int limit, struct spotify_my_playlists *out,
                                    struct report *rep);

#endif
