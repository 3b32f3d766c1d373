/* The composition root of the HTTP API: every route of API.md, with the
 * middleware each needs. Handlers live in handlers/, one noun per module. */
#include "server/routes.h"

#include <string.h>

#include "handlers/base_playlist_handler.h"
#include "handlers/child_playlist_handler.h"
#include "handlers/auth_handler.h"
#include "handlers/health_handler.h"
#include "handlers/openapi_handler.h"
#include "handlers/rule_field_handler.h"
#include "handlers/spotify_playlist_handler.h"
#include "handlers/sync_handler.h"
#include "handlers/tag_handler.h"
#include "handlers/sync_stream_handler.h"
#include "handlers/web_handler.h"
#include "middleware/auth_middleware.h"
#include "middleware/cors_middleware.h"
#include "middleware/csrf_middleware.h"
#include "middleware/rate_limit_middleware.h"
#include "middleware/sync_lock_middleware.h"
#include "lib/app_err.h"

const struct route routes_table[] = {
    {"GET", "/healthz", health_handler_healthz, ROUTE_PUBLIC},
    {"GET", "/readyz", health_handler_readyz, ROUTE_PUBLIC},
    {"GET", "/metrics", health_handler_metrics, ROUTE_PUBLIC},
    /* The contract itself (API.md "Operations"): public, like the other operations. */
    {"GET", "/api/openapi.json", openapi_handler_get, ROUTE_PUBLIC},
    /* The browser app (API.md "Web app"; handlers/web_handler.h). */
    {"GET", "/", web_handler_index, ROUTE_PUBLIC},
    {"GET", "/assets/{build}/{file}", web_handler_asset, ROUTE_PUBLIC},
    /* Sign in with Spotify and the session (API.md, Auth). */
    {"GET", "/api/auth/login", auth_handler_login, ROUTE_PUBLIC | ROUTE_SIGNIN_LIMIT},
    {"GET", "/api/auth/callback", auth_handler_callback, ROUTE_PUBLIC},
    {"POST", "/api/auth/logout", auth_handler_logout, ROUTE_AUTH},
    {"GET", "/api/me", auth_handler_me, ROUTE_AUTH},
    /* Base and child playlists (API.md); writes are refused while a sync runs. */
    {"GET", "/api/base-playlists", base_playlist_handler_list, ROUTE_AUTH},
    {"POST", "/api/base-playlists", base_playlist_handler_create, ROUTE_AUTH},
    {"GET", "/api/base-playlists/{id}", base_playlist_handler_get, ROUTE_AUTH},
    {"PATCH", "/api/base-playlists/{id}", base_playlist_handler_update, ROUTE_AUTH | ROUTE_LOCK_BASE},
    {"DELETE", "/api/base-playlists/{id}", base_playlist_handler_delete, ROUTE_AUTH | ROUTE_LOCK_BASE},
    {"GET", "/api/base-playlists/{id}/child-playlists", child_playlist_handler_list, ROUTE_AUTH},
    {"POST", "/api/base-playlists/{id}/child-playlists", child_playlist_handler_create, ROUTE_AUTH | ROUTE_LOCK_BASE},
    {"PUT", "/api/base-playlists/{id}/child-playlists", child_playlist_handler_replace, ROUTE_AUTH | ROUTE_LOCK_BASE},
    {"GET", "/api/child-playlists/{id}", child_playlist_handler_get, ROUTE_AUTH},
    {"PATCH", "/api/child-playlists/{id}", child_playlist_handler_update, ROUTE_AUTH | ROUTE_LOCK_CHILD},
    {"DELETE", "/api/child-playlists/{id}", child_playlist_handler_delete, ROUTE_AUTH | ROUTE_LOCK_CHILD},
    /* Syncs (API.md "Sync"). POST .../sync takes the lock itself (409 with the active
     * event); restore writes a child's playlist, so it waits for a running sync. */
    {"POST", "/api/base-playlists/{id}/sync", sync_handler_start, ROUTE_AUTH},
    {"GET", "/api/base-playlists/{id}/sync-status", sync_handler_status, ROUTE_AUTH},
    {"GET", "/api/base-playlists/{id}/sync-events", sync_handler_list, ROUTE_AUTH},
    {"POST", "/api/base-playlists/{id}/preview", sync_handler_preview, ROUTE_AUTH},
    {"GET", "/api/sync-events/{id}", sync_handler_get, ROUTE_AUTH},
    {"GET", "/api/sync-events/{id}/stream", sync_stream_handler_open, ROUTE_AUTH},
    {"POST", "/api/child-playlists/{id}/restore", sync_handler_restore, ROUTE_AUTH | ROUTE_LOCK_CHILD},
    /* The web app's playlist picker (API.md "Web app"). */
    {"GET", "/api/spotify/playlists", spotify_playlist_handler_list, ROUTE_AUTH},
    /* Extension (docs/web.md): the rule fields this server's API mode serves. */
    {"GET", "/api/rule-fields", rule_field_handler_list, ROUTE_AUTH},
    /* The user's own tags (API.md "Tags"). */
    {"GET", "/api/tags", tag_handler_list, ROUTE_AUTH},
    {"GET", "/api/tags/{kind}/{id}", tag_handler_get, ROUTE_AUTH},
    {"PUT", "/api/tags/{kind}/{id}", tag_handler_put, ROUTE_AUTH},
    {"DELETE", "/api/tags/{kind}/{id}", tag_handler_delete, ROUTE_AUTH},
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
    } else if ((route->flags & ROUTE_SIGNIN_LIMIT) && rate_limit_middleware_run(req, res) != 0) {
        /* 429 written */
    } else if ((route->flags & ROUTE_AUTH) && auth_middleware_run(req, res) != 0) {
        /* 401 written */
    } else if ((route->flags & ROUTE_AUTH) && csrf_middleware_run(req, res) != 0) {
        /* 403 written: a cookie-authenticated write from a foreign origin */
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
