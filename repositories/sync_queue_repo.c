/* sync_jobs rows (contract in sync_queue_repo.h). */
#include "repositories/sync_queue_repo.h"

#include <string.h>

#include "repositories/db.h"
#include "repositories/sync_event_repo.h"
#include "lib/app_err.h"

static const char *const STMT_INSERT =
    "INSERT INTO sync_jobs (event_id, user_id, base_playlist_id, priority, state, attempts, "
    "next_run_at, enqueued_seq, enqueued_at) VALUES (?1, ?2, ?3, ?4, 'queued', 0, ?5, "
    "(SELECT COALESCE(MAX(enqueued_seq), 0) + 1 FROM sync_jobs), ?5)";
static const char *const STMT_CLAIM =
    "UPDATE sync_jobs SET state = 'running', attempts = attempts + 1 WHERE event_id = "
    "(SELECT event_id FROM sync_jobs WHERE state = 'queued' AND next_run_at <= ?1 "
    "ORDER BY priority, enqueued_seq LIMIT 1) "
    "RETURNING event_id, user_id, base_playlist_id, priority, attempts";
static const char *const STMT_STARTED =
    "UPDATE sync_events SET started_at = ?2, updated = ?2 WHERE id = ?1 "
    "AND status = 'in_progress'";
static const char *const STMT_REQUEUE =
    "UPDATE sync_jobs SET state = 'queued', last_error = ?2, next_run_at = ?3 "
    "WHERE event_id = ?1";
static const char *const STMT_DELETE = "DELETE FROM sync_jobs WHERE event_id = ?1";
static const char *const STMT_NEXT =
    "SELECT COALESCE(MIN(next_run_at), 0) FROM sync_jobs WHERE state = 'queued'";
static const char *const STMT_DROP_ENDED =
    "DELETE FROM sync_jobs WHERE state = 'running' OR event_id NOT IN "
    "(SELECT id FROM sync_events WHERE status = 'in_progress')";
static const char *const STMT_COUNT_QUEUED = "SELECT count(*) FROM sync_jobs";

int sync_queue_repo_insert(struct db *db, const char *event_id, const char *user_id,
                           const char *base_id, int priority, int64_t now_epoch)
{
    sqlite3_stmt *st = db_stmt(db, STMT_INSERT);
    if (!st)
        return ERR_INTERNAL;
    if (db_bind_text(st, 1, event_id) || db_bind_text(st, 2, user_id) ||
        db_bind_text(st, 3, base_id) || db_bind_int64(st, 4, priority) ||
        db_bind_int64(st, 5, now_epoch)) {
        db_stmt_done(st);
        return ERR_INTERNAL;
    }
    return db_exec_stmt(db, st, "sync_queue_repo_insert");
}

/* The claim itself, inside the caller's transaction. */
static int claim_row(struct db *db, struct arena *a, int64_t now_epoch, struct sync_job_row *out)
{
    sqlite3_stmt *st = db_stmt(db, STMT_CLAIM);
    int rc;
    if (!st)
        return ERR_INTERNAL;
    if (db_bind_int64(st, 1, now_epoch)) {
        db_stmt_done(st);
        return ERR_INTERNAL;
    }
    rc = db_step_one(db, st, "sync_queue_repo_claim");
    if (rc == 0) {
        if (db_col_dup(st, 0, a, &out->event_id) || db_col_dup(st, 1, a, &out->user_id) ||
            db_col_dup(st, 2, a, &out->base_playlist_id))
            rc = ERR_NOMEM;
        out->priority = sqlite3_column_int(st, 3);
        out->attempts = sqlite3_column_int64(st, 4);
        /* RETURNING: the change is made by the first step; step to the end anyway. */
        while (rc == 0 && sqlite3_step(st) == SQLITE_ROW)
            ;
    }
    db_stmt_done(st);
    return rc;
}

int sync_queue_repo_claim(struct db *db, struct arena *a, int64_t now_epoch, const char *now_text,
                          struct sync_job_row *out)
{
    sqlite3_stmt *st = NULL;
    int rc;

    memset(out, 0, sizeof *out);
    if ((rc = db_begin(db)) != 0)
        return rc;
    rc = claim_row(db, a, now_epoch, out);
    if (rc == 0) {
        if (!(st = db_stmt(db, STMT_STARTED)) || db_bind_text(st, 1, out->event_id) ||
            db_bind_text(st, 2, now_text)) {
            db_stmt_done(st);
            rc = ERR_INTERNAL;
        } else {
            rc = db_exec_stmt(db, st, "sync_queue_repo_claim started_at");
        }
    }
    if (rc == 0)
        rc = db_commit(db);
    if (rc != 0)
        db_rollback(db);
    return rc;
}

int sync_queue_repo_requeue(struct db *db, const char *event_id, const char *last_error,
                            int64_t next_run_at)
{
    sqlite3_stmt *st = db_stmt(db, STMT_REQUEUE);
    if (!st)
        return ERR_INTERNAL;
    if (db_bind_text(st, 1, event_id) || db_bind_text(st, 2, last_error) ||
        db_bind_int64(st, 3, next_run_at)) {
        db_stmt_done(st);
        return ERR_INTERNAL;
    }
    int rc = db_exec_stmt(db, st, "sync_queue_repo_requeue");
    if (rc == 0 && db_changes(db) == 0)
        rc = ERR_NOT_FOUND;
    return rc;
}

/* Runs a statement with one optional text parameter. */
static int exec_text(struct db *db, const char *sql, const char *text, const char *what)
{
    sqlite3_stmt *st = db_stmt(db, sql);
    if (!st)
        return ERR_INTERNAL;
    if (text && db_bind_text(st, 1, text)) {
        db_stmt_done(st);
        return ERR_INTERNAL;
    }
    return db_exec_stmt(db, st, what);
}

int sync_queue_repo_delete(struct db *db, const char *event_id)
{
    return exec_text(db, STMT_DELETE, event_id, "sync_queue_repo_delete");
}

/* A one-integer query into *out. */
static int query_int(struct db *db, const char *sql, int64_t *out, const char *what)
{
    sqlite3_stmt *st = db_stmt(db, sql);
    int rc;
    if (!st)
        return ERR_INTERNAL;
    rc = db_step_one(db, st, what);
    *out = rc == 0 ? sqlite3_column_int64(st, 0) : 0;
    db_stmt_done(st);
    return rc == ERR_NOT_FOUND ? 0 : rc;
}

int sync_queue_repo_next_run_at(struct db *db, int64_t *at)
{
    return query_int(db, STMT_NEXT, at, "sync_queue_repo_next_run_at");
}

int sync_queue_repo_recover(struct db *db, const char *message, const char *now_text,
                            int *n_failed, int *n_queued)
{
    int64_t queued = 0;
    int failed = 0;
    int rc = db_begin(db);
    if (rc != 0)
        return rc;
    /* The event update keeps events whose job is queued (sync_event_repo.c). */
    if ((rc = sync_event_repo_fail_in_progress(db, NULL, message, now_text, &failed)) == 0 &&
        (rc = exec_text(db, STMT_DROP_ENDED, NULL, "sync_queue_repo_recover")) == 0 &&
        (rc = query_int(db, STMT_COUNT_QUEUED, &queued, "sync_queue_repo_recover")) == 0)
        rc = db_commit(db);
    if (rc != 0)
        db_rollback(db);
    if (n_failed)
        *n_failed = rc == 0 ? failed : 0;
    if (n_queued)
        *n_queued = rc == 0 ? (int)queued : 0;
    return rc;
}
