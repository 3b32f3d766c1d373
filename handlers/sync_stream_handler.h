#ifndef PLAYROUTER_SYNC_STREAM_HANDLER_H
#define PLAYROUTER_SYNC_STREAM_HANDLER_H
/* GET /api/sync-events/{id}/stream (API.md "Sync"): a sync's progress as Server-Sent
 * Events. The SSE framing lives here; the suspended streaming answer in http/
 * (request_stream), the notifications in services/sync/sync_watch.h. */
#include "http/http.h"

/* Answers `text/event-stream`: at once and on every change of the event's status or
 * progress (at most SYNC_STREAM_MAX_PER_S a second), `event: progress` with the
 * SyncEvent JSON as data; when the sync has ended, one `event: done` with the final
 * SyncEvent (byte for byte GET /api/sync-events/{id}), then the stream ends. An event
 * that has already ended: `done` at once. A `: ping` comment every
 * PLAYROUTER_SSE_HEARTBEAT seconds. Another user's (or an unknown) event: 404. */
void sync_stream_handler_open(struct request *req, struct response *res);

#define SYNC_STREAM_MAX_PER_S 10

#endif
