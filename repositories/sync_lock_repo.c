/* The sync's multi-table transactions. */
#include "repositories/sync_lock_repo.h"

#include "repositories/db.h"
#include "repositories/idempotency_repo.h"
#include "repositories/sync_queue_repo.h"
#include "repositories/sync_state_repo.h"
#include "lib/app_err.h"

int sync_lock_repo_acquire(struct db *db, const struct sync_event *ev, int priority,
                           int64_t now_epoch, const struct sync_lock_key *key)
{
    int rc = db_begin(db);
    if (rc != 0)
        return rc;
    rc = sync_event_repo_insert(db, ev);
    if (rc == ERR_CONFLICT)
        rc = ERR_SYNC_IN_PROGRESS;
    if (rc == 0 && priority != SYNC_LOCK_NO_JOB)
        rc = sync_queue_repo_insert(db, ev->id, ev->user_id, ev->base_playlist_id, priority,
                                    now_epoch);
    if (rc == 0 && key)
        rc = idempotency_repo_insert(db, ev->user_id, key->key, key->request_path, ev->id,
                                     key->expires_epoch, key->now_epoch);
    if (rc == 0 && key && key->answer_status > 0)
        rc = idempotency_repo_finish(db, ev->user_id, key->key, key->answer_status,
                                     key->answer_body);
    if (rc == 0)
        rc = db_commit(db);
    if (rc != 0)
        db_rollback(db);
    return rc;
}

int sync_lock_repo_complete(struct db *db, const struct sync_event *ev, const char *snapshot_id,
                            const char *config_hash)
{
    int rc = db_begin(db);
    if (rc != 0)
        return rc;
    rc = sync_event_repo_finish(db, ev);
    if (rc == 0)
        rc = sync_state_repo_complete_base(db, ev->base_playlist_id, snapshot_id, config_hash,
                                           ev->tracks_processed, ev->tracks_skipped,
                                           ev->completed_at);
    if (rc == 0)
        rc = db_commit(db);
    if (rc != 0)
        db_rollback(db);
    return rc;
}

static const char *const STMT_RELEASE =
    "DELETE FROM sync_events WHERE id = ?1 AND status = 'in_progress'";

int sync_lock_repo_release(struct db *db, const char *event_id)
{
    sqlite3_stmt *st = db_stmt(db, STMT_RELEASE);
    if (!st)
        return ERR_INTERNAL;
    if (db_bind_text(st, 1, event_id) != 0) {
        db_stmt_done(st);
        return ERR_INTERNAL;
    }
    return db_exec_stmt(db, st, "sync_lock_repo_release");
}
