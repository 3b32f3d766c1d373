#include "repositories/oauth_state_repo.h"

#include "repositories/db.h"
#include "lib/app_err.h"
#include "lib/arena.h"

int oauth_state_repo_insert(struct db *db, const char *state, const char *code_verifier,
                            int64_t expires_epoch)
{
    sqlite3_stmt *st = db_stmt(db, "INSERT INTO oauth_states(state, code_verifier, expires_epoch) "
                                   "VALUES (?1, ?2, ?3)");
    if (!st)
        return ERR_INTERNAL;
    if (db_bind_text(st, 1, state) != 0 || db_bind_text(st, 2, code_verifier) != 0 ||
        db_bind_int64(st, 3, expires_epoch) != 0) {
        db_stmt_done(st);
        return ERR_INTERNAL;
    }
    return db_exec_stmt(db, st, "oauth_state_repo_insert");
}

int oauth_state_repo_take(struct db *db, struct arena *arena, const char *state,
                          char **code_verifier, int64_t *expires_epoch)
{
    sqlite3_stmt *st = db_stmt(db, "DELETE FROM oauth_states WHERE state = ?1 "
                                   "RETURNING code_verifier, expires_epoch");
    int rc = ERR_INTERNAL;
    *code_verifier = NULL;
    *expires_epoch = 0;
    if (!st)
        return ERR_INTERNAL;
    if (db_bind_text(st, 1, state) != 0)
        goto done;
    switch (sqlite3_step(st)) {
    case SQLITE_ROW:
        *code_verifier = arena_strdup(arena, db_col_text(st, 0));
        *expires_epoch = sqlite3_column_int64(st, 1);
        rc = *code_verifier ? 0 : ERR_NOMEM;
        /* Step to the end so the DELETE completes before the reset. */
        if (rc == 0 && sqlite3_step(st) != SQLITE_DONE)
            rc = db_log_error(db, "oauth_state_repo_take");
        break;
    case SQLITE_DONE:
        rc = ERR_NOT_FOUND;
        break;
    default:
        rc = db_log_error(db, "oauth_state_repo_take");
        break;
    }
done:
    db_stmt_done(st);
    return rc;
}

/* Runs a row-less statement with one integer parameter. 0 or ERR_INTERNAL. */
static int exec_int(struct db *db, const char *sql, int64_t v, const char *what)
{
    sqlite3_stmt *st = db_stmt(db, sql);
    if (!st)
        return ERR_INTERNAL;
    if (db_bind_int64(st, 1, v) != 0) {
        db_stmt_done(st);
        return ERR_INTERNAL;
    }
    return db_exec_stmt(db, st, what) == 0 ? 0 : ERR_INTERNAL;
}

int oauth_state_repo_purge(struct db *db, int64_t now)
{
    return exec_int(db, "DELETE FROM oauth_states WHERE expires_epoch < ?1", now,
                    "oauth_state_repo_purge");
}

int oauth_state_repo_trim(struct db *db, int64_t keep)
{
    return exec_int(db,
                    "DELETE FROM oauth_states "
                    "WHERE rowid <= (SELECT max(rowid) FROM oauth_states) - ?1",
                    keep, "oauth_state_repo_trim");
}
