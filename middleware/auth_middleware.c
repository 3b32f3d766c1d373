#include "middleware/auth_middleware.h"

#include "server/app_err.h"

/* Placeholder until sessions land: every protected route is refused. */
int auth_middleware_run(struct request *req, struct response *res)
{
    (void)req;
    return response_error(res, ERR_UNAUTHORIZED);
}
