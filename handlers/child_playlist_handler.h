#ifndef PLAYROUTER_CHILD_PLAYLIST_HANDLER_H
#define PLAYROUTER_CHILD_PLAYLIST_HANDLER_H
/* HTTP side of the child playlist routes (API.md "Child playlists"): parses
 * requests, calls services/child_playlist_service, writes ChildPlaylist JSON and
 * ETag: "<version>". */
#include <jansson.h>

#include "domain/child_playlist.h"
#include "http/http.h"

void child_playlist_handler_list(
    struct request *req, struct response *res); /* GET  /api/base-playlists/{id}/child-playlists */
void child_playlist_handler_create(struct request *req, struct response *res);  /* POST same */
void child_playlist_handler_replace(struct request *req, struct response *res); /* PUT  same */
void child_playlist_handler_get(struct request *req,
                                struct response *res); /* GET    /api/child-playlists/{id} */
void child_playlist_handler_update(struct request *req, struct response *res); /* PATCH  same */
void child_playlist_handler_delete(struct request *req, struct response *res); /* DELETE same */

/* ChildPlaylist as API.md writes it (a new reference); NULL when out of memory or
 * when a stored JSON text does not parse. */
json_t *child_playlist_handler_to_json(const struct child_playlist *cp);

#endif
