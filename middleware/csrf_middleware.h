#ifndef PLAYROUTER_CSRF_MIDDLEWARE_H
#define PLAYROUTER_CSRF_MIDDLEWARE_H
/* Cross-site request forgery (API.md, Auth; docs/SECURITY.md). A browser sends the
 * session cookie with any request to this server, even one a page on another site
 * makes it send (a form POST with a text/plain body needs no CORS preflight). So a
 * request that changes state (any method but GET, HEAD and OPTIONS) and is
 * authenticated by the cookie (no Authorization header) must carry an Origin that is
 * the server's own or one of PLAYROUTER_CORS_ORIGINS.
 *
 * The server's own origin is the origin of SPOTIFY_REDIRECT_URI: the address the
 * browser comes back to when it signs in, where the session cookie is set. (The Host
 * header is not used: behind a proxy it need not be the public name, and the scheme
 * is not known from it.) Origins compare as util_url_origin() normalises them;
 * "null" and a missing Origin are refused. Bearer requests pass: another site's page
 * cannot add an Authorization header without a CORS preflight that names it. */
#include "http/http.h"

/* Run after the auth middleware. 0 when the request may go on; else writes
 * 403 forbidden into res and returns ERR_FORBIDDEN. */
int csrf_middleware_run(struct request *req, struct response *res);

#endif
