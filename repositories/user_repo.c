#include "repositories/user_repo.h"

#include <string.h>

#include "repositories/db.h"
#include "lib/app_err.h"
#include "lib/arena.h"

#define USER_COLS "id, spotify_user_id, display_name, created, updated, needs_reauth"

/* Copies a row of USER_COLS into *out (strings into the arena). */
static int user_from_row(sqlite3_stmt *st, struct arena *arena, struct user *out)
{
    memset(out, 0, sizeof *out);
    out->id = arena_strdup(arena, db_col_text(st, 0));
    out->spotify_user_id = arena_strdup(arena, db_col_text(st, 1));
    out->display_name = arena_strdup(arena, db_col_text(st, 2));
    out->created = arena_strdup(arena, db_col_text(st, 3));
    out->updated = arena_strdup(arena, db_col_text(st, 4));
    out->needs_reauth = sqlite3_column_int(st, 5) != 0;
    if (!out->id || !out->spotify_user_id || !out->created || !out->updated)
        return ERR_NOMEM;
    return 0;
}

static int find_one(struct db *db, struct arena *arena, const char *sql, const char *key,
                    struct user *out, const char *what)
{
    sqlite3_stmt *st = db_stmt(db, sql);
    int rc = ERR_INTERNAL;
    if (!st)
        return ERR_INTERNAL;
    if (db_bind_text(st, 1, key) != 0)
        goto done;
    switch (sqlite3_step(st)) {
    case SQLITE_ROW:
        rc = user_from_row(st, arena, out);
        break;
    case SQLITE_DONE:
        rc = ERR_NOT_FOUND;
        break;
    default:
        rc = db_log_error(db, what);
        break;
    }
done:
    db_stmt_done(st);
    return rc;
}

int user_repo_find(struct db *db, struct arena *arena, const char *id, struct user *out)
{
    return find_one(db, arena, "SELECT " USER_COLS " FROM users WHERE id = ?1", id, out,
                    "user_repo_find");
}

int user_repo_find_by_spotify_id(struct db *db, struct arena *arena, const char *spotify_user_id,
                                 struct user *out)
{
    return find_one(db, arena, "SELECT " USER_COLS " FROM users WHERE spotify_user_id = ?1",
                    spotify_user_id, out, "user_repo_find_by_spotify_id");
}

int user_repo_exists(struct db *db, const char *id, int *exists)
{
    sqlite3_stmt *st = db_stmt(db, "SELECT 1 FROM users WHERE id = ?1");
    int rc = ERR_INTERNAL;
    *exists = 0;
    if (!st)
        return ERR_INTERNAL;
    if (db_bind_text(st, 1, id) != 0)
        goto done;
    switch (sqlite3_step(st)) {
    case SQLITE_ROW:
        *exists = 1;
        rc = 0;
        break;
    case SQLITE_DONE:
        rc = 0;
        break;
    default:
        rc = db_log_error(db, "user_repo_exists");
        break;
    }
done:
    db_stmt_done(st);
    return rc;
}

int user_repo_insert(struct db *db, const struct user *u)
{
    sqlite3_stmt *st =
        db_stmt(db, "INSERT INTO users(id, spotify_user_id, display_name, created, updated) "
                    "VALUES (?1, ?2, ?3, ?4, ?5)");
    if (!st)
        return ERR_INTERNAL;
    if (db_bind_text(st, 1, u->id) != 0 || db_bind_text(st, 2, u->spotify_user_id) != 0 ||
        db_bind_text(st, 3, u->display_name) != 0 || db_bind_text(st, 4, u->created) != 0 ||
        db_bind_text(st, 5, u->updated) != 0) {
        db_stmt_done(st);
        return ERR_INTERNAL;
    }
    return db_exec_stmt(db, st, "user_repo_insert");
}

/* NULL binds SQL NULL. */
static int bind_blob(sqlite3_stmt *st, int idx, const unsigned char *p, size_t n)
{
    int rc = p ? sqlite3_bind_blob64(st, idx, p, n, SQLITE_TRANSIENT) : sqlite3_bind_null(st, idx);
    return rc == SQLITE_OK ? 0 : -1;
}

/* Runs an UPDATE keyed by id; ERR_NOT_FOUND when no row changed. */
static int exec_update(struct db *db, sqlite3_stmt *st, const char *what)
{
    int rc = db_exec_stmt(db, st, what);
    if (rc != 0)
        return ERR_INTERNAL;
    return db_changes(db) == 1 ? 0 : ERR_NOT_FOUND;
}

int user_repo_store_signin(struct db *db, const char *id, const char *display_name,
                           const struct user_tokens *t, const char *updated)
{
    sqlite3_stmt *st = db_stmt(
        db, "UPDATE users SET display_name = ?2, access_token_enc = ?3, refresh_token_enc = ?4, "
            "token_expires_at = ?5, refresh_expires_at = ?6, scope = ?7, needs_reauth = 0, "
            "token_version = token_version + 1, updated = ?8 WHERE id = ?1");
    if (!st)
        return ERR_INTERNAL;
    if (db_bind_text(st, 1, id) != 0 || db_bind_text(st, 2, display_name) != 0 ||
        bind_blob(st, 3, t->access_enc, t->access_len) != 0 ||
        bind_blob(st, 4, t->refresh_enc, t->refresh_len) != 0 ||
        db_bind_int64(st, 5, t->token_expires_at) != 0 ||
        db_bind_int64(st, 6, t->refresh_expires_at) != 0 || db_bind_text(st, 7, t->scope) != 0 ||
        db_bind_text(st, 8, updated) != 0) {
        db_stmt_done(st);
        return ERR_INTERNAL;
    }
    return exec_update(db, st, "user_repo_store_signin");
}

int user_repo_update_profile(struct db *db, const char *id, const char *display_name,
                             const char *updated)
{
    sqlite3_stmt *st =
        db_stmt(db, "UPDATE users SET display_name = ?2, updated = ?3 WHERE id = ?1");
    if (!st)
        return ERR_INTERNAL;
    if (db_bind_text(st, 1, id) != 0 || db_bind_text(st, 2, display_name) != 0 ||
        db_bind_text(st, 3, updated) != 0) {
        db_stmt_done(st);
        return ERR_INTERNAL;
    }
    return exec_update(db, st, "user_repo_update_profile");
}

/* A copy of blob column col into the arena (NULL for SQL NULL). 0 or ERR_NOMEM. */
static int col_blob(sqlite3_stmt *st, int col, struct arena *arena, const unsigned char **p,
                    size_t *n)
{
    *p = NULL;
    *n = 0;
    if (sqlite3_column_type(st, col) == SQLITE_NULL)
        return 0;
    const void *src = sqlite3_column_blob(st, col);
    int len = sqlite3_column_bytes(st, col);
    if (len <= 0)
        return 0;
    unsigned char *copy = arena_alloc(arena, (size_t)len);
    if (!copy)
        return ERR_NOMEM;
    memcpy(copy, src, (size_t)len);
    *p = copy;
    *n = (size_t)len;
    return 0;
}

int user_repo_get_tokens(struct db *db, struct arena *arena, const char *id,
                         struct user_tokens *out)
{
    sqlite3_stmt *st = db_stmt(db, "SELECT access_token_enc, refresh_token_enc, token_expires_at, "
                                   "refresh_expires_at, scope, token_version, needs_reauth "
                                   "FROM users WHERE id = ?1");
    int rc = ERR_INTERNAL;
    memset(out, 0, sizeof *out);
    if (!st)
        return ERR_INTERNAL;
    if (db_bind_text(st, 1, id) != 0)
        goto done;
    switch (sqlite3_step(st)) {
    case SQLITE_ROW:
        if ((rc = col_blob(st, 0, arena, &out->access_enc, &out->access_len)) != 0 ||
            (rc = col_blob(st, 1, arena, &out->refresh_enc, &out->refresh_len)) != 0)
            break;
        out->token_expires_at = sqlite3_column_int64(st, 2);
        out->refresh_expires_at = sqlite3_column_int64(st, 3);
        out->scope = arena_strdup(arena, db_col_text(st, 4));
        out->token_version = sqlite3_column_int64(st, 5);
        out->needs_reauth = sqlite3_column_int(st, 6) != 0;
        rc = 0;
        break;
    case SQLITE_DONE:
        rc = ERR_NOT_FOUND;
        break;
    default:
        rc = db_log_error(db, "user_repo_get_tokens");
        break;
    }
done:
    db_stmt_done(st);
    return rc;
}

int user_repo_get_scope(struct db *db, struct arena *arena, const char *id, const char **scope)
{
    sqlite3_stmt *st = db_stmt(db, "SELECT scope FROM users WHERE id = ?1");
    int rc;
    *scope = NULL;
    if (!st)
        return ERR_INTERNAL;
    if (db_bind_text(st, 1, id) != 0) {
        db_stmt_done(st);
        return ERR_INTERNAL;
    }
    if ((rc = db_step_one(db, st, "user_repo_get_scope")) == 0)
        rc = db_col_dup(st, 0, arena, scope);
    db_stmt_done(st);
    return rc;
}

int user_repo_store_refresh(struct db *db, const char *id, int64_t expected_version,
                            const unsigned char *access_enc, size_t access_len,
                            const unsigned char *refresh_enc, size_t refresh_len,
                            int64_t token_expires_at, const char *updated)
{
    sqlite3_stmt *st =
        db_stmt(db, "UPDATE users SET access_token_enc = ?3, refresh_token_enc = ?4, "
                    "token_expires_at = ?5, token_version = token_version + 1, updated = ?6 "
                    "WHERE id = ?1 AND token_version = ?2");
    if (!st)
        return ERR_INTERNAL;
    if (db_bind_text(st, 1, id) != 0 || db_bind_int64(st, 2, expected_version) != 0 ||
        bind_blob(st, 3, access_enc, access_len) != 0 ||
        bind_blob(st, 4, refresh_enc, refresh_len) != 0 ||
        db_bind_int64(st, 5, token_expires_at) != 0 || db_bind_text(st, 6, updated) != 0) {
        db_stmt_done(st);
        return ERR_INTERNAL;
    }
    int rc = exec_update(db, st, "user_repo_store_refresh");
    return rc == ERR_NOT_FOUND ? ERR_CONFLICT : rc;
}

int user_repo_set_needs_reauth(struct db *db, const char *id, int needs_reauth, const char *updated)
{
    sqlite3_stmt *st =
        db_stmt(db, "UPDATE users SET needs_reauth = ?2, updated = ?3 WHERE id = ?1");
    if (!st)
        return ERR_INTERNAL;
    if (db_bind_text(st, 1, id) != 0 || db_bind_int64(st, 2, needs_reauth ? 1 : 0) != 0 ||
        db_bind_text(st, 3, updated) != 0) {
        db_stmt_done(st);
        return ERR_INTERNAL;
    }
    return exec_update(db, st, "user_repo_set_needs_reauth");
}
