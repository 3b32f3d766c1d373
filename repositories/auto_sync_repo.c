/* auto_sync_state and user_sync_state rows (contract in auto_sync_repo.h). */
#include "repositories/auto_sync_repo.h"

#include "repositories/db.h"
#include "lib/app_err.h"

/* The due time: retry_at while failures are pending, else the last check (or the last
 * completed sync, for bases checked before this table existed) + the interval. */
static const char *const STMT_DUE =
    "SELECT b.id, b.user_id, b.auto_sync_minutes FROM base_playlists b "
    "JOIN users u ON u.id = b.user_id "
    "LEFT JOIN auto_sync_state s ON s.base_playlist_id = b.id "
    "LEFT JOIN user_sync_state us ON us.user_id = b.user_id "
    "WHERE b.auto_sync_minutes > 0 AND u.needs_reauth = 0 "
    "AND COALESCE(us.paused_until, 0) <= ?1 "
    "AND (CASE WHEN COALESCE(s.failures, 0) > 0 THEN s.retry_at "
    "ELSE COALESCE(s.last_check_at, CAST(strftime('%s', b.last_synced_at) AS INTEGER), 0) "
    "+ b.auto_sync_minutes * 60 END) <= ?1 "
    "AND NOT EXISTS (SELECT 1 FROM sync_events e WHERE e.base_playlist_id = b.id "
    "AND e.status = 'in_progress') "
    "ORDER BY b.user_id, b.id LIMIT ?2";
static const char *const STMT_CHECKED =
    "INSERT INTO auto_sync_state (base_playlist_id, last_check_at) VALUES (?1, ?2) "
    "ON CONFLICT (base_playlist_id) DO UPDATE SET last_check_at = excluded.last_check_at, "
    "failures = CASE WHEN ?3 THEN 0 ELSE failures END, "
    "last_error = CASE WHEN ?3 THEN NULL ELSE last_error END";
static const char *const STMT_FAILED =
    "INSERT INTO auto_sync_state (base_playlist_id, last_check_at, failures, retry_at, "
    "last_error) VALUES (?1, ?2, 1, ?2 + MIN(60, ?3 * 60), ?4) "
    "ON CONFLICT (base_playlist_id) DO UPDATE SET last_check_at = excluded.last_check_at, "
    "retry_at = ?2 + MIN(60 * (1 << MIN(failures, 20)), ?3 * 60), "
    "failures = failures + 1, last_error = excluded.last_error";
static const char *const STMT_PAUSE =
    "INSERT INTO user_sync_state (user_id, paused_until) VALUES (?1, ?2) "
    "ON CONFLICT (user_id) DO UPDATE SET paused_until = MAX(paused_until, excluded.paused_until)";
static const char *const STMT_SEQ = "SELECT change_seq FROM user_sync_state WHERE user_id = ?1";
static const char *const STMT_BUMP_USER =
    "INSERT INTO user_sync_state (user_id, change_seq) VALUES (?1, 1) "
    "ON CONFLICT (user_id) DO UPDATE SET change_seq = change_seq + 1";
static const char *const STMT_BUMP_ALL =
    "INSERT INTO user_sync_state (user_id, change_seq) SELECT id, 1 FROM users WHERE true "
    "ON CONFLICT (user_id) DO UPDATE SET change_seq = change_seq + 1";

int auto_sync_repo_due(struct db *db, struct arena *a, int64_t now_epoch, int limit,
                       struct auto_sync_due **out, size_t *n)
{
    size_t cap = limit > 0 ? (size_t)limit : 1;
    struct auto_sync_due *rows = arena_alloc(a, cap * sizeof *rows);
    sqlite3_stmt *st = db_stmt(db, STMT_DUE);
    int rc = 0;

    *out = NULL;
    *n = 0;
    if (!rows)
        return ERR_NOMEM;
    if (!st)
        return ERR_INTERNAL;
    if (db_bind_int64(st, 1, now_epoch) || db_bind_int64(st, 2, (long long)cap)) {
        rc = ERR_INTERNAL;
        goto done;
    }
    for (;;) {
        int s = sqlite3_step(st);
        if (s == SQLITE_DONE)
            break;
        if (s != SQLITE_ROW) {
            rc = db_log_error(db, "auto_sync_repo_due");
            goto done;
        }
        struct auto_sync_due *r = &rows[*n];
        if (db_col_dup(st, 0, a, &r->base_id) || db_col_dup(st, 1, a, &r->user_id)) {
            rc = ERR_NOMEM;
            goto done;
        }
        r->interval_min = sqlite3_column_int64(st, 2);
        (*n)++;
    }
    *out = rows;
done:
    db_stmt_done(st);
    return rc;
}

int auto_sync_repo_checked(struct db *db, const char *base_id, int64_t now_epoch,
                           int reset_failures)
{
    sqlite3_stmt *st = db_stmt(db, STMT_CHECKED);
    if (!st)
        return ERR_INTERNAL;
    if (db_bind_text(st, 1, base_id) || db_bind_int64(st, 2, now_epoch) ||
        db_bind_int64(st, 3, reset_failures ? 1 : 0)) {
        db_stmt_done(st);
        return ERR_INTERNAL;
    }
    return db_exec_stmt(db, st, "auto_sync_repo_checked");
}

int auto_sync_repo_failed(struct db *db, const char *base_id, int64_t now_epoch,
                          int64_t interval_min, const char *error)
{
    sqlite3_stmt *st = db_stmt(db, STMT_FAILED);
    if (!st)
        return ERR_INTERNAL;
    if (db_bind_text(st, 1, base_id) || db_bind_int64(st, 2, now_epoch) ||
        db_bind_int64(st, 3, interval_min > 0 ? interval_min : 1) || db_bind_text(st, 4, error)) {
        db_stmt_done(st);
        return ERR_INTERNAL;
    }
    return db_exec_stmt(db, st, "auto_sync_repo_failed");
}

/* A statement over (user_id text, one integer). */
static int exec_user(struct db *db, const char *sql, const char *user_id, int64_t v, int has_v,
                     const char *what)
{
    sqlite3_stmt *st = db_stmt(db, sql);
    if (!st)
        return ERR_INTERNAL;
    if ((user_id && db_bind_text(st, 1, user_id)) || (has_v && db_bind_int64(st, 2, v))) {
        db_stmt_done(st);
        return ERR_INTERNAL;
    }
    return db_exec_stmt(db, st, what);
}

int auto_sync_repo_pause_user(struct db *db, const char *user_id, int64_t until)
{
    return exec_user(db, STMT_PAUSE, user_id, until, 1, "auto_sync_repo_pause_user");
}

int auto_sync_repo_change_seq(struct db *db, const char *user_id, int64_t *out)
{
    sqlite3_stmt *st = db_stmt(db, STMT_SEQ);
    int rc;
    *out = 0;
    if (!st)
        return ERR_INTERNAL;
    if (db_bind_text(st, 1, user_id)) {
        db_stmt_done(st);
        return ERR_INTERNAL;
    }
    rc = db_step_one(db, st, "auto_sync_repo_change_seq");
    if (rc == 0)
        *out = sqlite3_column_int64(st, 0);
    db_stmt_done(st);
    return rc == ERR_NOT_FOUND ? 0 : rc;
}

int auto_sync_repo_bump(struct db *db, const char *user_id)
{
    if (!user_id)
        return exec_user(db, STMT_BUMP_ALL, NULL, 0, 0, "auto_sync_repo_bump all");
    return exec_user(db, STMT_BUMP_USER, user_id, 0, 0, "auto_sync_repo_bump");
}
