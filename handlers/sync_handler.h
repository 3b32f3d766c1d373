#ifndef PLAYROUTER_SYNC_HANDLER_H
#define PLAYROUTER_SYNC_HANDLER_H
/* The sync routes (API.md "Sync"): HTTP in, SyncEvent JSON out; decisions live in
 * services/sync_service.h, sync_event_service.h and preview_service.h. */
#include "http/http.h"

/* POST /api/base-playlists/{id}/sync[?wait=false] (Idempotency-Key header). */
void sync_handler_start(struct request *req, struct response *res);
/* GET /api/base-playlists/{id}/sync-status */
void sync_handler_status(struct request *req, struct response *res);
/* GET /api/base-playlists/{id}/sync-events?limit=&cursor= */
void sync_handler_list(struct request *req, struct response *res);
/* GET /api/sync-events/{id} */
void sync_handler_get(struct request *req, struct response *res);
/* POST /api/base-playlists/{id}/preview[?explain=TRACK_ID]: runs on the worker pool
 * (request_defer), never on a polling thread; 503 when no worker can take it. */
void sync_handler_preview(struct request *req, struct response *res);
/* POST /api/child-playlists/{id}/restore: on the worker pool too. */
void sync_handler_restore(struct request *req, struct response *res);

#endif
