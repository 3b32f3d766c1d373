/* The CSRF check of cookie-authenticated writes (see csrf_middleware.h). */
#include "middleware/csrf_middleware.h"

#include <string.h>

#include "app/app.h"
#include "app/config.h"
#include "lib/app_err.h"
#include "lib/util.h"
#include "middleware/cors_middleware.h"

#define ORIGIN_MAX 512

static int safe_method(const char *m)
{
    return strcmp(m, "GET") == 0 || strcmp(m, "HEAD") == 0 || strcmp(m, "OPTIONS") == 0;
}

/* 1 when origin is the origin of SPOTIFY_REDIRECT_URI. */
static int own_origin(const struct config *cfg, const char *origin)
{
    char mine[ORIGIN_MAX], theirs[ORIGIN_MAX];
    return util_url_origin(cfg->spotify_redirect_uri, mine, sizeof mine) == 0 &&
           util_url_origin(origin, theirs, sizeof theirs) == 0 && strcmp(mine, theirs) == 0;
}

int csrf_middleware_run(struct request *req, struct response *res)
{
    const struct config *cfg = req->app ? req->app->cfg : NULL;
    const char *origin = request_header(req, "Origin");

    if (safe_method(req->method) || request_header(req, "Authorization"))
        return 0;
    if (origin && cfg && (own_origin(cfg, origin) || cors_middleware_origin_listed(cfg, origin)))
        return 0;
    if (!origin)
        return response_error_msg(res, ERR_FORBIDDEN,
                                  "a %s authenticated by the session cookie needs an Origin "
                                  "header (send the token as Authorization: Bearer instead)",
                                  req->method);
    return response_error_msg(res, ERR_FORBIDDEN,
                              "cross-site request refused: Origin '%.100s' is not this server's "
                              "and not in PLAYROUTER_CORS_ORIGINS",
                              origin);
}
