#ifndef PLAYROUTER_ROUTER_H
#define PLAYROUTER_ROUTER_H
/* Route matching: patterns with {name} segments, e.g. "/api/base-playlists/{id}/sync". */
#include "http/http.h"

typedef void (*handler_fn)(struct request *req, struct response *res);

enum route_flags {
    ROUTE_PUBLIC = 0,
    ROUTE_AUTH = 1u << 0,      /* needs a valid session (middleware/auth) */
    ROUTE_LOCK_BASE = 1u << 1, /* 409 while a sync of the base {id} runs */
    ROUTE_LOCK_CHILD = 1u << 2,/* 409 while a sync of the child {id}'s base runs */
    ROUTE_SIGNIN_LIMIT = 1u << 3, /* 429 beyond the sign-in rate limit (middleware/rate_limit) */
};

struct route {
    const char *method;
    const char *pattern;
    handler_fn handler;
    unsigned flags;
};

enum router_result { ROUTER_FOUND, ROUTER_NOT_FOUND, ROUTER_METHOD_NOT_ALLOWED };

/* Finds the route for method + path among n routes. On ROUTER_FOUND, *out is the
 * route and the path parameters are stored into req (names and values borrowed
 * from the pattern / copied into req->arena). On ROUTER_METHOD_NOT_ALLOWED, allow
 * (if not NULL) receives the allowed methods, comma-separated. */
enum router_result router_match(const struct route *routes, size_t n, const char *method,
                                const char *path, struct request *req, const struct route **out,
                                struct buf *allow);

#endif
