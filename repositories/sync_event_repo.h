#ifndef PLAYROUTER_SYNC_EVENT_REPO_H
#define PLAYROUTER_SYNC_EVENT_REPO_H
/* Rows of sync_events. Every query is scoped by user_id.
 * (The sync engine extends this module with the event's lifecycle.) */
#include <stddef.h>
#include <stdint.h>

#include "lib/arena.h"
#include "lib/util.h"
#include "domain/sync_event.h"

struct db;

/* The id of the `in_progress` sync event of base `base_id` of `user_id` into out_id.
 * 0 (found); ERR_NOT_FOUND (no active sync, or the base is not the user's);
 * ERR_INTERNAL. */
int sync_event_repo_find_active(struct db *db, const char *user_id, const char *base_id,
                                char out_id[SYNC_EVENT_ID_MAX]);

/* ---- The sync engine's part: an event's lifecycle (services/sync_*.c) ----------
 * Reads are scoped by user_id like the rest; the lifecycle writes (progress, finish,
 * recovery) go by event id: only the sync that owns the event, or the recovery of
 * every user's events, makes them. */

/* Inserts *ev as status 'in_progress' (ev->seq is ignored: the base's next sequence
 * number is taken inside the INSERT, through idx_sync_events_base_seq). This IS the
 * lock: the unique partial index idx_sync_events_one_active refuses a second
 * in_progress event of one base, even from another process on the same database.
 * 0; ERR_CONFLICT (a sync of that base is already in progress, or the base/user does
 * not exist); ERR_INTERNAL. */
int sync_event_repo_insert(struct db *db, const struct sync_event *ev);

/* The event `id` of `user_id`. 0, ERR_NOT_FOUND, ERR_NOMEM, ERR_INTERNAL. */
int sync_event_repo_find(struct db *db, struct arena *a, const char *user_id, const char *id,
                         struct sync_event *out);

/* The newest event (highest seq) of base `base_id` of `user_id`.
 * 0, ERR_NOT_FOUND (none), ERR_NOMEM, ERR_INTERNAL. */
int sync_event_repo_find_latest(struct db *db, struct arena *a, const char *user_id,
                                const char *base_id, struct sync_event *out);

/* sync-status in one statement: whether base `base_id` is `user_id`'s and, if so, its
 * newest event (as sync_event_repo_find_latest). 0 with *has_event set (and *out filled
 * when it is 1); ERR_NOT_FOUND (the base is not the user's); ERR_NOMEM; ERR_INTERNAL. */
int sync_event_repo_find_status(struct db *db, struct arena *a, const char *user_id,
                                const char *base_id, int *has_event, struct sync_event *out);

/* One page of the events of base `base_id` of `user_id`, newest first (seq
 * descending), starting strictly below `before_seq` when before_seq > 0. At most
 * `limit` rows into *out (an arena array of *n); *more set when further rows exist.
 * 0, ERR_NOMEM, ERR_INTERNAL. */
int sync_event_repo_list(struct db *db, struct arena *a, const char *user_id, const char *base_id,
                         int64_t before_seq, int limit, struct sync_event **out, size_t *n,
                         int *more);

/* Sets the progress (and `updated`) of event `id` while it is still in progress.
 * 0; ERR_NOT_FOUND when the event is no longer in progress (failed by the sweeper or by
 * another process's start-up: the sync must stop); ERR_INTERNAL. */
int sync_event_repo_set_progress(struct db *db, const char *id, const char *phase, int64_t done,
                                 int64_t total, const char *now);

/* Writes the final state of event ev->id: status, completed_at, error_message, every
 * count, child_playlist_ids (NULL keeps the stored ones), children, progress and
 * updated; only while it is still in progress. 0; ERR_NOT_FOUND when it is no longer in
 * progress (its end was already written by someone else; nothing changes); ERR_INTERNAL. */
int sync_event_repo_finish(struct db *db, const struct sync_event *ev);

/* Marks failed, with `message`, every in_progress event (all users) whose started_at
 * is before `started_before` (RFC 3339; NULL = every one), except those still waiting
 * in the queue (a queued sync_jobs row: they run later). *n_out (may be NULL) gets
 * how many. 0 or ERR_INTERNAL. */
int sync_event_repo_fail_in_progress(struct db *db, const char *started_before,
                                     const char *message, const char *now, int *n_out);

#endif
