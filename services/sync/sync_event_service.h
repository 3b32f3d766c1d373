#ifndef PLAYROUTER_SYNC_EVENT_SERVICE_H
#define PLAYROUTER_SYNC_EVENT_SERVICE_H
/* Sync events as the API shows them (API.md "Sync": SyncEvent, sync-status,
 * sync-events), and the recovery of events left in progress: at start-up and by the
 * periodic sweep. Every `user_id` scopes: another user's id is ERR_NOT_FOUND. */
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "repositories/sync_event_repo.h"
#include "lib/arena.h"

struct db;
struct memo;

#define SYNC_EVENTS_LIST_DEFAULT 20
#define SYNC_EVENTS_LIST_MAX 100

#define SYNC_MSG_RESTART "interrupted by server restart"
#define SYNC_MSG_SHUTDOWN "interrupted by server shutdown"

/* The memo of sync-status answers (struct app's status_answers): one entry per event
 * polled, within these bounds. */
#define SYNC_STATUS_MEMO_ENTRIES 1024
#define SYNC_STATUS_MEMO_BYTES ((size_t)4 * 1024 * 1024)

/* The SyncEvent JSON object of *ev (new reference; NULL only when out of memory).
 * Stored JSON texts that do not parse come out as empty arrays; a string that is not
 * valid UTF-8 comes out with each bad byte replaced by U+FFFD. */
json_t *sync_event_service_to_json(const struct sync_event *ev);

/* json_dumps(sync_event_service_to_json(ev), JSON_COMPACT) in arena `a` (for a stored
 * answer); NULL when out of memory. */
const char *sync_event_service_text(struct arena *a, const struct sync_event *ev);

/* The sync-status answer {"active": bool, "sync_event": SyncEvent | null} (ev NULL =
 * no event) as JSON text in arena `a`; NULL when out of memory. Clients poll it: the
 * answer for an event exactly as it was last time comes from `memo` (NULL = none; it
 * holds sync-status answers by event id, see lib/memo.h) instead of being printed again. */
const char *sync_event_service_status_text(struct memo *memo, struct arena *a, bool active,
                                           const struct sync_event *ev);

/* The event `id`. 0, ERR_NOT_FOUND, ERR_NOMEM, ERR_INTERNAL. */
int sync_event_service_get(struct db *db, struct arena *a, const char *user_id, const char *id,
                           struct sync_event *out);

/* sync-status of base `base_id`: *active and *ev = the active event, or the latest
 * one (*has_event false when there is none). 0; ERR_NOT_FOUND (the base is not the
 * user's); ERR_NOMEM; ERR_INTERNAL. */
int sync_event_service_status(struct db *db, struct arena *a, const char *user_id,
                              const char *base_id, bool *active, bool *has_event,
                              struct sync_event *ev);

/* One page of the events of base `base_id`, newest first. `cursor` (NULL = first page)
 * is a previous *next_cursor; `limit` in 1..SYNC_EVENTS_LIST_MAX. *next_cursor (arena)
 * is NULL on the last page. 0; ERR_NOT_FOUND (base); ERR_VALIDATION (a malformed
 * cursor); ERR_NOMEM; ERR_INTERNAL. */
int sync_event_service_list(struct db *db, struct arena *a, const char *user_id,
                            const char *base_id, const char *cursor, int limit,
                            struct sync_event **items, size_t *n, const char **next_cursor);

/* The lock as the write routes see it: the id of the in_progress sync event of the
 * base that `id` names (a base id, or with `is_child` a child id whose base is
 * meant) into out_id. 0 (locked); ERR_NOT_FOUND (not locked, or no such resource
 * of the user's: the route then answers 404 itself); ERR_INTERNAL. */
int sync_event_service_active_lock(struct db *db, const char *user_id, const char *id,
                                   int is_child, char out_id[SYNC_EVENT_ID_MAX],
                                   char base_id_out[SYNC_EVENT_ID_MAX]);

/* Start-up: every in_progress event whose sync was running in a process that is gone
 * becomes failed with SYNC_MSG_RESTART; a sync still queued stays queued (it runs).
 * *n_out and *n_queued (may be NULL) get how many of each. 0 or ERR_INTERNAL. */
int sync_event_service_recover(struct db *db, int *n_out, int *n_queued);

/* The sweep: every event in progress for more than timeout_s seconds becomes failed
 * with "timed out after N minutes" (N from timeout_s; seconds when not whole minutes).
 * 0 or ERR_INTERNAL. */
int sync_event_service_sweep(struct db *db, int timeout_s, int *n_out);

/* The message of the sweep for timeout_s: "timed out after 30 minutes". Writes into
 * out (always NUL-terminated). */
void sync_event_service_timeout_message(int timeout_s, char *out, size_t outlen);

#endif
