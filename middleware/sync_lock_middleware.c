/* The sync lock as seen by the write routes (API.md: "While a sync of a base playlist
 * is active, PATCH/DELETE of it and POST/PUT/PATCH/DELETE of its children answer 409
 * sync_in_progress"). The lock itself is the in_progress sync_events row (a unique
 * index allows one per base); this only reads it.
 *
 * A resource that does not exist, or is another user's, is never "locked": the
 * request goes on and the handler answers 404. A sync that starts between this check
 * and the handler's write is not refused; the sync reads the children once at its
 * start, so such a write lands either before or after what that sync works on. */
#include "middleware/sync_lock_middleware.h"
#include "middleware/request_db.h"

#include <jansson.h>
#include <stdio.h>

#include "lib/app_err.h"
#include "http/router.h"
#include "services/sync/sync_event_service.h"

int sync_lock_middleware_run(struct request *req, struct response *res, unsigned route_flags)
{
    const char *id = request_param(req, "id");
    char base_id[SYNC_EVENT_ID_MAX];
    char event_id[SYNC_EVENT_ID_MAX];
    char msg[256];
    struct db *db;
    int rc;

    if (!id || !req->user_id || !(route_flags & (ROUTE_LOCK_BASE | ROUTE_LOCK_CHILD)))
        return 0;
    if (!(db = request_db_or_503(req, res)))
        return ERR_UNAVAILABLE;
    rc = sync_event_service_active_lock(db, req->user_id, id, (route_flags & ROUTE_LOCK_CHILD) != 0,
                                        event_id, base_id);
    if (rc == ERR_NOT_FOUND)
        return 0; /* not locked; an unknown resource is the handler's 404 */
    if (rc != 0)
        return response_error(res, rc);
    snprintf(msg, sizeof msg,
             "a sync of base playlist %s is in progress; retry when it has finished", base_id);
    return response_error_full(res, ERR_SYNC_IN_PROGRESS, msg, NULL,
                               json_pack("{s:s}", "sync_event_id", event_id));
}
