#include "services/spotify/spotify_client_mode.h"

/* The differences between the modes, in one place (see the header). The embedded
 * first page of GET /playlists/{id} is 100 entries in both modes; only the separate
 * items pages are limited to 50 in development mode. */
static const struct spotify_api apis[] = {
    [SPOTIFY_MODE_DEVELOPMENT] =
        {
            .mode = SPOTIFY_MODE_DEVELOPMENT,
            .name = "development",
            .items_segment = "items",
            .page_limit = 50,
            .embedded_key = "items",
            .entry_key = "item",
            .delete_key = "items",
            .create_path = "/me/playlists",
            .batch_metadata = false,
            .rich_fields = false,
            .artists_batch = 0,
            .albums_batch = 0,
            .tracks_batch = 0,
            .ep_items_get = "GET /playlists/{id}/items",
            .ep_items_add = "POST /playlists/{id}/items",
            .ep_items_update = "PUT /playlists/{id}/items",
            .ep_items_remove = "DELETE /playlists/{id}/items",
        },
    [SPOTIFY_MODE_EXTENDED] =
        {
            .mode = SPOTIFY_MODE_EXTENDED,
            .name = "extended",
            .items_segment = "tracks",
            .page_limit = 100,
            .embedded_key = "tracks",
            .entry_key = "track",
            .delete_key = "tracks",
            .create_path = "/me/playlists",
            .batch_metadata = true,
            .rich_fields = true,
            .artists_batch = 50,
            .albums_batch = 20,
            .tracks_batch = 50,
            .ep_items_get = "GET /playlists/{id}/tracks",
            .ep_items_add = "POST /playlists/{id}/tracks",
            .ep_items_update = "PUT /playlists/{id}/tracks",
            .ep_items_remove = "DELETE /playlists/{id}/tracks",
        },
};

const struct spotify_api *spotify_api_for(enum spotify_mode mode)
{
    if (mode == SPOTIFY_MODE_EXTENDED)
        return &apis[SPOTIFY_MODE_EXTENDED];
    return &apis[SPOTIFY_MODE_DEVELOPMENT];
}
