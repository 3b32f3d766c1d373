#ifndef PLAYROUTER_SYNC_LOCK_REPO_H
#define PLAYROUTER_SYNC_LOCK_REPO_H
/* The two multi-table moments of a sync, each ONE transaction (BEGIN IMMEDIATE):
 * taking the lock (the in_progress event, its queued job, plus its Idempotency-Key
 * record) and completing (the event, plus the base's incremental-sync state); and giving
 * back a lock that a restore held. */
#include <stdint.h>

#include "repositories/sync_event_repo.h"

struct db;

/* An Idempotency-Key recorded with the lock. */
struct sync_lock_key {
    const char *key;
    const char *request_path;
    int64_t now_epoch, expires_epoch;
    int answer_status;       /* > 0: the first answer is already known (stored at once) */
    const char *answer_body; /* with answer_status */
};

/* Inserts *ev in progress (sync_event_repo_insert), its job in the queue with
 * `priority` (SYNC_QUEUE_PRIORITY_*, runnable from now_epoch; none with SYNC_LOCK_NO_JOB)
 * and, when key is not NULL,
 * the key's record pointing at ev->id. 0; ERR_SYNC_IN_PROGRESS (a sync of the base is
 * in progress or queued: nothing written); ERR_CONFLICT (an unexpired record of the key
 * exists: nothing written); ERR_INTERNAL. */
#define SYNC_LOCK_NO_JOB (-1) /* priority of a lock that is not a sync (a restore's): no job */
int sync_lock_repo_acquire(struct db *db, const struct sync_event *ev, int priority,
                           int64_t now_epoch, const struct sync_lock_key *key);

/* Gives back a lock that did not belong to a sync (a restore's, see
 * services/sync/sync_restore.c): deletes event `event_id` while it is still in
 * progress. 0 (also when it was ended elsewhere meanwhile: then it stays as it is);
 * ERR_INTERNAL. */
int sync_lock_repo_release(struct db *db, const char *event_id);

/* Ends *ev (sync_event_repo_finish, status "completed") and records the completed sync
 * of its base (sync_state_repo_complete_base: snapshot_id, config_hash, counts,
 * last_synced_at = ev->completed_at). 0; ERR_NOT_FOUND (the event is no longer in
 * progress, or the base is gone: nothing written); ERR_INTERNAL. */
int sync_lock_repo_complete(struct db *db, const struct sync_event *ev, const char *snapshot_id,
                            const char *config_hash);

#endif
