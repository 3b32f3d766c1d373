#ifndef PLAYROUTER_AUTH_HANDLER_H
#define PLAYROUTER_AUTH_HANDLER_H
/* The Auth routes of API.md:
 *   GET  /api/auth/login     -> 302 to Spotify's authorize page + playrouter_login cookie
 *                               (public; ROUTE_SIGNIN_LIMIT)
 *   GET  /api/auth/callback  -> 200 {"token", "expires_at", "user"}, or 303 to / for a
 *                               browser (Accept: text/html); the session cookie only when
 *                               the playrouter_login cookie matches the state (public)
 *   POST /api/auth/logout    -> 204, revokes the session, clears the cookie (ROUTE_AUTH)
 *   GET  /api/me             -> the user (ROUTE_AUTH); extension: ?refresh=true re-reads
 *                               Spotify's GET /me first (a call that needs Spotify) */
#include "http/http.h"

void auth_handler_login(struct request *req, struct response *res);
void auth_handler_callback(struct request *req, struct response *res);
void auth_handler_logout(struct request *req, struct response *res);
void auth_handler_me(struct request *req, struct response *res);

#endif
