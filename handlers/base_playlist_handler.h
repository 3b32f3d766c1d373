#ifndef PLAYROUTER_BASE_PLAYLIST_HANDLER_H
#define PLAYROUTER_BASE_PLAYLIST_HANDLER_H
/* HTTP side of /api/base-playlists (API.md "Base playlists"): parses requests, calls
 * services/base_playlist_service, writes BasePlaylist JSON and ETag: "<version>". */
#include <jansson.h>
#include <stdint.h>

#include "repositories/base_playlist_repo.h"
#include "server/http.h"
#include "services/base_playlist_service.h"

void base_playlist_handler_list(struct request *req,
                                struct response *res); /* GET  /api/base-playlists */
void base_playlist_handler_create(struct request *req,
                                  struct response *res); /* POST /api/base-playlists */
void base_playlist_handler_get(struct request *req, struct response *res);    /* GET    .../{id} */
void base_playlist_handler_update(struct request *req, struct response *res); /* PATCH  .../{id} */
void base_playlist_handler_delete(struct request *req, struct response *res); /* DELETE .../{id} */

/* BasePlaylist as API.md writes it (a new reference; NULL when out of memory). */
json_t *base_playlist_handler_to_json(const struct base_playlist *bp);

/* Shared with child_playlist_handler.c. */
/* The request's If-Match: PLAYLIST_IF_MATCH_NONE when absent or "*", the version of
 * "<n>", <n> or W/"<n>", else PLAYLIST_IF_MATCH_NEVER (matches nothing -> 412). */
int64_t base_playlist_handler_if_match(struct request *req);
/* Sets ETag: "<version>". */
void base_playlist_handler_etag(struct response *res, int64_t version);
/* Answers error rc with rep's details and message (rep's details are taken). */
void base_playlist_handler_error(struct response *res, int rc, struct playlist_report *rep);

#endif
