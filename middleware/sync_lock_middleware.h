#ifndef PLAYROUTER_SYNC_LOCK_MIDDLEWARE_H
#define PLAYROUTER_SYNC_LOCK_MIDDLEWARE_H
#include "http/http.h"

/* For routes flagged ROUTE_LOCK_BASE (path param {id} is a base playlist) or
 * ROUTE_LOCK_CHILD ({id} is a child playlist): while a sync of that base runs,
 * writes 409 sync_in_progress (with sync_event_id) and returns ERR_SYNC_IN_PROGRESS;
 * else 0. Runs after the auth middleware (req->user_id is set). */
int sync_lock_middleware_run(struct request *req, struct response *res, unsigned route_flags);

#endif
