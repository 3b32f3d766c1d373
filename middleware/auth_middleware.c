/* The session check of every protected route (see auth_middleware.h). */
#include "middleware/auth_middleware.h"
#include "middleware/request_db.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "app/app.h"
#include "lib/app_err.h"
#include "services/auth/session_service.h"

static int unauthorized(struct response *res, const char *why, int token_given)
{
    response_header(res, "WWW-Authenticate",
                    token_given ? "Bearer realm=\"playrouter\", error=\"invalid_token\""
                                : "Bearer realm=\"playrouter\"");
    if (!why)
        return response_error(res, ERR_UNAUTHORIZED);
    return response_error_msg(res, ERR_UNAUTHORIZED, "invalid session: %s", why);
}

int auth_middleware_run(struct request *req, struct response *res)
{
    struct session_claims claims;
    const char *why = NULL;
    const char *token = NULL;
    const char *auth = request_header(req, "Authorization");

    /* An Authorization header wins over the cookie; if present it must be Bearer. */
    if (auth) {
        if (strncasecmp(auth, "Bearer", 6) != 0 || (auth[6] != ' ' && auth[6] != '\t'))
            return unauthorized(res, "the Authorization header must be 'Bearer <token>'", 1);
        token = auth + 6;
        while (*token == ' ' || *token == '\t')
            token++;
    } else {
        token = request_cookie(req, SESSION_COOKIE);
    }
    if (!token || !*token)
        return unauthorized(res, NULL, 0);

    int rc = session_service_authenticate(req->app, request_db(req), token, (int64_t)time(NULL),
                                          &claims, &why);
    if (rc == ERR_UNAUTHORIZED)
        return unauthorized(res, why, 1);
    if (rc != 0)
        return response_error(res, rc);
    req->user_id = arena_strdup(req->arena, claims.sub);
    req->session_jti = arena_strdup(req->arena, claims.jti);
    req->session_exp = claims.exp;
    if (!req->user_id || !req->session_jti)
        return response_error(res, ERR_NOMEM);
    return 0;
}
