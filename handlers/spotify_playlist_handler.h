#ifndef PLAYROUTER_SPOTIFY_PLAYLIST_HANDLER_H
#define PLAYROUTER_SPOTIFY_PLAYLIST_HANDLER_H
#include "http/http.h"

/* GET /api/spotify/playlists?cursor=… (API.md "Web app") -> 200 {"items": [{
 * "spotify_playlist_id", "name", "owner_id", "owner_name", "tracks_total",
 * "collaborative", "public", "used_by": null | {"kind": "base"|"child", "id"}}…],
 * "next_cursor"}: the user's Spotify playlists for the web app's picker, 50 a page.
 * A cursor this server did not give: 400 validation_failed at path "cursor". */
void spotify_playlist_handler_list(struct request *req, struct response *res);

#endif
