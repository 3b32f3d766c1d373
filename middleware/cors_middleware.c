/* CORS for browser frontends on other origins (see cors_middleware.h).
 *
 * Only origins listed in PLAYROUTER_CORS_ORIGINS (comma-separated, exact
 * scheme://host[:port], compared ignoring case; none by default) get CORS headers.
 * Credentials (the session cookie) are allowed, so a wildcard is never sent and "*"
 * in the list matches nothing. A preflight (OPTIONS with Origin and
 * Access-Control-Request-Method) is answered 204 before routing: with the CORS
 * headers for a listed origin, without any for another. */
#include "middleware/cors_middleware.h"

#include <string.h>
#include <strings.h>

#include "app/app.h"
#include "app/config.h"

#define ALLOW_METHODS "GET, POST, PUT, PATCH, DELETE, OPTIONS"
#define ALLOW_HEADERS "Authorization, Content-Type, If-Match, Idempotency-Key, X-Request-Id"
#define EXPOSE_HEADERS "ETag, X-Request-Id"
#define MAX_AGE "600"

/* 1 when origin is one of the comma-separated entries of list (spaces around
 * entries ignored). */
static int origin_listed(const char *list, const char *origin)
{
    size_t olen;
    if (!list || !origin || !*origin || strcmp(origin, "null") == 0)
        return 0;
    olen = strlen(origin);
    const char *p = list;
    while (*p) {
        while (*p == ' ' || *p == '\t' || *p == ',')
            p++;
        const char *end = p + strcspn(p, ",");
        const char *last = end;
        while (last > p && (last[-1] == ' ' || last[-1] == '\t'))
            last--;
        size_t n = (size_t)(last - p);
        /* "https://app.example/" and "https://app.example" name the same origin. */
        if (n > 0 && p[n - 1] == '/')
            n--;
        if (n == olen && strncasecmp(p, origin, n) == 0)
            return 1;
        p = end;
    }
    return 0;
}

int cors_middleware_origin_listed(const struct config *cfg, const char *origin)
{
    return cfg && origin_listed(cfg->cors_origins, origin);
}

static const char *allowed_origin(struct request *req)
{
    const char *origin = request_header(req, "Origin");
    if (!req->app)
        return NULL;
    return cors_middleware_origin_listed(req->app->cfg, origin) ? origin : NULL;
}

int cors_middleware_preflight(struct request *req, struct response *res)
{
    if (strcmp(req->method, "OPTIONS") != 0 || !request_header(req, "Origin") ||
        !request_header(req, "Access-Control-Request-Method"))
        return 0;
    response_no_content(res);
    if (allowed_origin(req)) {
        response_header(res, "Access-Control-Allow-Methods", ALLOW_METHODS);
        response_header(res, "Access-Control-Allow-Headers", ALLOW_HEADERS);
        response_header(res, "Access-Control-Max-Age", MAX_AGE);
    }
    return 1; /* decorate() adds the origin headers */
}

void cors_middleware_decorate(struct request *req, struct response *res)
{
    const char *origin = allowed_origin(req);
    if (!origin)
        return;
    response_header(res, "Access-Control-Allow-Origin", origin);
    response_header(res, "Access-Control-Allow-Credentials", "true");
    response_header(res, "Access-Control-Expose-Headers", EXPOSE_HEADERS);
    response_header(res, "Vary", "Origin");
}
