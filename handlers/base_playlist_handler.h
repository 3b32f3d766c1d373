#ifndef PLAYROUTER_BASE_PLAYLIST_HANDLER_H
#define PLAYROUTER_BASE_PLAYLIST_HANDLER_H
/* HTTP side of /api/base-playlists (API.md "Base playlists"): parses requests, calls
 * services/base_playlist_service, writes BasePlaylist JSON and ETag: "<version>". */
#include <jansson.h>
#include <stdint.h>

#include "domain/base_playlist.h"
#include "http/http.h"
#include "services/playlists/base_playlist_service.h"

void base_playlist_handler_list(struct request *req,
                                struct response *res); /* GET  /api/base-playlists */
void base_playlist_handler_create(struct request *req,
                                  struct response *res); /* POST /api/base-playlists */
void base_playlist_handler_get(struct request *req, struct response *res);    /* GET    .../{id} */
void base_playlist_handler_update(struct request *req, struct response *res); /* PATCH  .../{id} */
void base_playlist_handler_delete(struct request *req, struct response *res); /* DELETE .../{id} */

/* BasePlaylist as API.md writes it (a new reference; NULL when out of memory). */
json_t *base_playlist_handler_to_json(const struct base_playlist *bp);

#endif
