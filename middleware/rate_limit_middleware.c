/* The sign-in rate limit (see rate_limit_middleware.h). */
#include "middleware/rate_limit_middleware.h"

#include <stdio.h>

#include "app/app.h"
#include "lib/app_err.h"
#include "lib/log.h"
#include "lib/rate_limit.h"
#include "lib/util.h"

int rate_limit_middleware_run(struct request *req, struct response *res)
{
    struct rate_limit *rl = req->app ? req->app->login_limiter : NULL;
    char ip[RATE_LIMIT_KEY_MAX], retry[16];
    int retry_s;

    if (!rl)
        return 0;
    if (request_client_ip(req, ip, sizeof ip) != 0)
        snprintf(ip, sizeof ip, "unknown"); /* all such clients share one allowance */
    if (rate_limit_take(rl, ip, util_now_ms(), &retry_s) == 0)
        return 0;
    /* Debug only: a flood would otherwise write one line per refused request. */
    log_debug("auth: sign-in rate limit reached for %s", ip);
    snprintf(retry, sizeof retry, "%d", retry_s);
    response_header(res, "Retry-After", retry);
    return response_error_msg(res, ERR_RATE_LIMITED,
                              "too many sign-ins from this address (at most %d a minute): "
                              "retry in %d s",
                              rate_limit_limit(rl), retry_s);
}
