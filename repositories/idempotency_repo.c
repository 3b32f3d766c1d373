/* idempotency_keys rows. */
#include "repositories/idempotency_repo.h"

#include <string.h>

#include "repositories/db.h"
#include "lib/app_err.h"

static const char *const STMT_FIND =
    "SELECT request_path, status, body, sync_event_id, expires_epoch FROM idempotency_keys "
    "WHERE user_id = ?1 AND key = ?2 AND expires_epoch > ?3";
/* An expired record of the key is replaced; an unexpired one makes the upsert a no-op
 * (its WHERE fails), which the caller sees as zero changes. */
static const char *const STMT_INSERT =
    "INSERT INTO idempotency_keys (user_id, key, request_path, status, body, expires_epoch, "
    "sync_event_id) VALUES (?1, ?2, ?3, NULL, NULL, ?4, ?5) "
    "ON CONFLICT (user_id, key) DO UPDATE SET request_path = excluded.request_path, "
    "status = NULL, body = NULL, expires_epoch = excluded.expires_epoch, "
    "sync_event_id = excluded.sync_event_id WHERE idempotency_keys.expires_epoch <= ?6";
static const char *const STMT_FINISH =
    "UPDATE idempotency_keys SET status = ?3, body = ?4 WHERE user_id = ?1 AND key = ?2";
static const char *const STMT_DELETE =
    "DELETE FROM idempotency_keys WHERE user_id = ?1 AND key = ?2";
static const char *const STMT_PURGE = "DELETE FROM idempotency_keys WHERE expires_epoch <= ?1";

int idempotency_repo_find(struct db *db, struct arena *a, const char *user_id, const char *key,
                          int64_t now_epoch, struct idempotency_record *out)
{
    int rc;
    sqlite3_stmt *st = db_stmt(db, STMT_FIND);

    memset(out, 0, sizeof *out);
    if (!st)
        return ERR_INTERNAL;
    if (db_bind_text(st, 1, user_id) || db_bind_text(st, 2, key) ||
        db_bind_int64(st, 3, now_epoch)) {
        rc = ERR_INTERNAL;
        goto done;
    }
    switch (sqlite3_step(st)) {
    case SQLITE_ROW:
        if ((rc = db_col_dup(st, 0, a, &out->request_path)) || (rc = db_col_dup(st, 2, a, &out->body)) ||
            (rc = db_col_dup(st, 3, a, &out->sync_event_id)))
            break;
        out->status = sqlite3_column_type(st, 1) == SQLITE_NULL ? 0 : sqlite3_column_int(st, 1);
        out->expires_epoch = sqlite3_column_int64(st, 4);
        break;
    case SQLITE_DONE:
        rc = ERR_NOT_FOUND;
        break;
    default:
        rc = db_log_error(db, "idempotency_repo_find");
        break;
    }
done:
    db_stmt_done(st);
    return rc;
}

int idempotency_repo_insert(struct db *db, const char *user_id, const char *key,
                            const char *request_path, const char *sync_event_id,
                            int64_t expires_epoch, int64_t now_epoch)
{
    sqlite3_stmt *st = db_stmt(db, STMT_INSERT);
    if (!st)
        return ERR_INTERNAL;
    if (db_bind_text(st, 1, user_id) || db_bind_text(st, 2, key) ||
        db_bind_text(st, 3, request_path) || db_bind_int64(st, 4, expires_epoch) ||
        db_bind_text(st, 5, sync_event_id) || db_bind_int64(st, 6, now_epoch)) {
        db_stmt_done(st);
        return ERR_INTERNAL;
    }
    int rc = db_exec_stmt(db, st, "idempotency_repo_insert");
    if (rc == 0 && db_changes(db) == 0)
        rc = ERR_CONFLICT;
    return rc;
}

int idempotency_repo_finish(struct db *db, const char *user_id, const char *key, int status,
                            const char *body)
{
    sqlite3_stmt *st = db_stmt(db, STMT_FINISH);
    if (!st)
        return ERR_INTERNAL;
    if (db_bind_text(st, 1, user_id) || db_bind_text(st, 2, key) || db_bind_int64(st, 3, status) ||
        db_bind_text(st, 4, body)) {
        db_stmt_done(st);
        return ERR_INTERNAL;
    }
    int rc = db_exec_stmt(db, st, "idempotency_repo_finish");
    if (rc == 0 && db_changes(db) == 0)
        rc = ERR_NOT_FOUND;
    return rc;
}

int idempotency_repo_delete(struct db *db, const char *user_id, const char *key)
{
    sqlite3_stmt *st = db_stmt(db, STMT_DELETE);
    if (!st)
        return ERR_INTERNAL;
    if (db_bind_text(st, 1, user_id) || db_bind_text(st, 2, key)) {
        db_stmt_done(st);
        return ERR_INTERNAL;
    }
    return db_exec_stmt(db, st, "idempotency_repo_delete");
}

int idempotency_repo_purge(struct db *db, int64_t now_epoch, int *n_out)
{
    sqlite3_stmt *st = db_stmt(db, STMT_PURGE);
    if (n_out)
        *n_out = 0;
    if (!st)
        return ERR_INTERNAL;
    if (db_bind_int64(st, 1, now_epoch)) {
        db_stmt_done(st);
        return ERR_INTERNAL;
    }
    int rc = db_exec_stmt(db, st, "idempotency_repo_purge");
    if (rc == 0 && n_out)
        *n_out = db_changes(db);
    return rc;
}
