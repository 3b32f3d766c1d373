/* The composition root of the HTTP API: every route of API.md, with the
 * middleware each needs. Handlers live in handlers/, one noun per module. */
#include "server/routes.h"

#include <string.h>

#include "handlers/health_handler.h"
#include "middleware/auth_middleware.h"
#include "middleware/cors_middleware.h"
#include "middleware/sync_lock_middleware.h"
#include "server/app_err.h"

const struct route routes_table[] = {
    {"GET", "/healthz", health_handler_healthz, ROUTE_PUBLIC},
    {"GET", "/readyz", health_handler_readyz, ROUTE_PUBLIC},
    {"GET", "/metrics", health_handler_metrics, ROUTE_PUBLIC},
};
const size_t routes_count = sizeof routes_table / sizeof routes_table[0];

void routes_dispatch(struct request *req, struct response *res)
{
    const struct route *route = NULL;
    struct buf allow = BUF_INIT;
    if (cors_middleware_preflight(req, res))
        goto done;
    enum router_result r =
        router_match(routes_table, routes_count, req->method, req->path, req, &route, &allow);
    if (r == ROUTER_NOT_FOUND) {
        response_error_msg(res, ERR_NOT_FOUND, "no route for %s %s", req->method, req->path);
    } else if (r == ROUTER_METHOD_NOT_ALLOWED) {
        response_error_msg(res, ERR_METHOD_NOT_ALLOWED, "%s is not allowed on %s (allowed: %s)",
                           req->method, req->path, allow.data ? allow.data : "");
        response_header(res, "Allow", allow.data ? allow.data : "");
    } else if ((route->flags & ROUTE_AUTH) && auth_middleware_run(req, res) != 0) {
        /* 401 written */
    } else if ((route->flags & (ROUTE_LOCK_BASE | ROUTE_LOCK_CHILD)) &&
               sync_lock_middleware_run(req, res, route->flags) != 0) {
        /* 409 written */
    } else {
        route->handler(req, res);
    }
done:
    cors_middleware_decorate(req, res);
    buf_release(&allow);
}
