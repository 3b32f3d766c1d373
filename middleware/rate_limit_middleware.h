#ifndef PLAYROUTER_RATE_LIMIT_MIDDLEWARE_H
#define PLAYROUTER_RATE_LIMIT_MIDDLEWARE_H
/* The sign-in rate limit (API.md, Auth): a route flagged ROUTE_SIGNIN_LIMIT answers
 * 429 rate_limited with Retry-After beyond PLAYROUTER_LOGIN_RATE_LIMIT requests a
 * minute from one client address (app->login_limiter, lib/rate_limit.h; NULL = off).
 * The address is the connection's peer: behind a proxy, the proxy's (docs/SECURITY.md). */
#include "http/http.h"

/* 0 when the request may go on; else writes 429 into res and returns ERR_RATE_LIMITED. */
int rate_limit_middleware_run(struct request *req, struct response *res);

#endif
