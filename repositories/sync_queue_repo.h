#ifndef PLAYROUTER_SYNC_QUEUE_REPO_H
#define PLAYROUTER_SYNC_QUEUE_REPO_H
/* Rows of sync_jobs: the persisted queue of syncs (migrations/007_sync_queue.sql). A
 * job is inserted with its in_progress event (sync_lock_repo_acquire), taken by a
 * worker (claim), and deleted when its run ends. Strings out live in the arena. */
#include <stdint.h>

#include "lib/arena.h"

struct db;

#define SYNC_QUEUE_PRIORITY_MANUAL 0
#define SYNC_QUEUE_PRIORITY_AUTO 1

struct sync_job_row {
    const char *event_id, *user_id, *base_playlist_id;
    int priority;
    int64_t attempts; /* including this take */
};

/* Queues event `event_id` (already inserted, same transaction) with `priority`,
 * runnable from now_epoch on. 0, ERR_CONFLICT, ERR_INTERNAL. */
int sync_queue_repo_insert(struct db *db, const char *event_id, const char *user_id,
                           const char *base_id, int priority, int64_t now_epoch);

/* Takes the next runnable job (lowest priority, then oldest; next_run_at <= now_epoch):
 * marks it running, counts the attempt, and sets its event's started_at/updated to
 * now_text (the run starts now). One transaction. 0 (*out filled); ERR_NOT_FOUND (none
 * runnable); ERR_NOMEM; ERR_INTERNAL. */
int sync_queue_repo_claim(struct db *db, struct arena *a, int64_t now_epoch, const char *now_text,
                          struct sync_job_row *out);

/* Puts a taken job back (its run could not start): queued, last_error, next_run_at.
 * 0, ERR_NOT_FOUND, ERR_INTERNAL. */
int sync_queue_repo_requeue(struct db *db, const char *event_id, const char *last_error,
                            int64_t next_run_at);

/* Deletes job `event_id` (its run ended). 0 or ERR_INTERNAL (a missing row is 0). */
int sync_queue_repo_delete(struct db *db, const char *event_id);

/* The earliest next_run_at of the queued jobs into *at (0 when none). 0 or ERR_INTERNAL. */
int sync_queue_repo_next_run_at(struct db *db, int64_t *at);

/* Start-up, one transaction: every in_progress event whose job is not queued (it was
 * running, or it has no job) becomes failed with `message`; the rows of running jobs
 * go. *n_failed and *n_queued (either may be NULL) get how many were failed and how
 * many stay queued. 0 or ERR_INTERNAL. */
int sync_queue_repo_recover(struct db *db, const char *message, const char *now_text,
                            int *n_failed, int *n_queued);

#endif
