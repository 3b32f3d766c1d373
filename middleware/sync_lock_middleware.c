#include "middleware/sync_lock_middleware.h"

/* Placeholder until syncs land: nothing is ever locked. */
int sync_lock_middleware_run(struct request *req, struct response *res, unsigned route_flags)
{
    (void)req;
    (void)res;
    (void)route_flags;
    return 0;
}
