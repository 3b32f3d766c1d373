#include "repositories/revoked_token_repo.h"

#include "repositories/db.h"
#include "lib/app_err.h"

int revoked_token_repo_add(struct db *db, const char *jti, int64_t expires_epoch)
{
    sqlite3_stmt *st = db_stmt(db, "INSERT INTO revoked_tokens(jti, expires_epoch) VALUES (?1, ?2) "
                                   "ON CONFLICT(jti) DO UPDATE SET expires_epoch = "
                                   "max(expires_epoch, excluded.expires_epoch)");
    if (!st)
        return ERR_INTERNAL;
    if (db_bind_text(st, 1, jti) != 0 || db_bind_int64(st, 2, expires_epoch) != 0) {
        db_stmt_done(st);
        return ERR_INTERNAL;
    }
    return db_exec_stmt(db, st, "revoked_token_repo_add") == 0 ? 0 : ERR_INTERNAL;
}

int revoked_token_repo_is_revoked(struct db *db, const char *jti, int *revoked)
{
    sqlite3_stmt *st = db_stmt(db, "SELECT 1 FROM revoked_tokens WHERE jti = ?1");
    int rc = ERR_INTERNAL;
    *revoked = 0;
    if (!st)
        return ERR_INTERNAL;
    if (db_bind_text(st, 1, jti) != 0)
        goto done;
    switch (sqlite3_step(st)) {
    case SQLITE_ROW:
        *revoked = 1;
        rc = 0;
        break;
    case SQLITE_DONE:
        rc = 0;
        break;
    default:
        rc = db_log_error(db, "revoked_token_repo_is_revoked");
        break;
    }
done:
    db_stmt_done(st);
    return rc;
}

int revoked_token_repo_purge(struct db *db, int64_t now)
{
    sqlite3_stmt *st = db_stmt(db, "DELETE FROM revoked_tokens WHERE expires_epoch < ?1");
    if (!st)
        return ERR_INTERNAL;
    if (db_bind_int64(st, 1, now) != 0) {
        db_stmt_done(st);
        return ERR_INTERNAL;
    }
    return db_exec_stmt(db, st, "revoked_token_repo_purge") == 0 ? 0 : ERR_INTERNAL;
}
