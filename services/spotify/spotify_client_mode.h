#ifndef PLAYROUTER_SPOTIFY_CLIENT_MODE_H
#define PLAYROUTER_SPOTIFY_CLIENT_MODE_H
/* The one table of what differs between Spotify's two API modes (API.md's
 * SPOTIFY_API_MODE; shared/spotify/README.md). Every mode-dependent path, key, limit
 * and capability of the client and the parser is read from here, nowhere else. */
#include <stdbool.h>

#include "domain/spotify_mode.h"

struct spotify_api {
    enum spotify_mode mode;
    const char *name;           /* "development" / "extended" (for messages) */
    const char *items_segment;  /* "/playlists/{id}/<items_segment>": "items" / "tracks" */
    int page_limit;             /* max `limit` of a playlist-items page: 50 / 100 */
    const char *embedded_key;   /* key of the first page inside GET /playlists/{id}:
                                   "items" / "tracks" (the parser accepts both) */
    const char *entry_key;      /* key of the track in a playlist entry: "item" / "track"
                                   (the parser accepts both) */
    const char *delete_key;     /* DELETE body key: {"items": [...]} / {"tracks": [...]} */
    const char *create_path;    /* POST path that creates a playlist: "/me/playlists" */
    bool batch_metadata;        /* GET /artists?ids=, /albums?ids=, /tracks?ids= served */
    bool rich_fields;           /* genres, popularity, label served */
    int artists_batch;          /* ids per batch request (0 when not served): 50 */
    int albums_batch;           /* 20 */
    int tracks_batch;           /* 50 */
    /* Endpoint templates of the items collection, for stats and metrics (static). */
    const char *ep_items_get;    /* "GET /playlists/{id}/items" */
    const char *ep_items_add;    /* "POST /playlists/{id}/items" */
    const char *ep_items_update; /* "PUT /playlists/{id}/items" (replace and reorder) */
    const char *ep_items_remove; /* "DELETE /playlists/{id}/items" */
};

/* The row of `mode` (an unknown value gets the development row). Static storage. */
const struct spotify_api *spotify_api_for(enum spotify_mode mode);

#endif
