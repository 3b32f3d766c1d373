/* base_stores and base_store_entries rows. */
#include "repositories/base_store_repo.h"

#include <limits.h>
#include <string.h>

#include "repositories/db.h"
#include "lib/app_err.h"

static const char *const STMT_INFO =
    "SELECT snapshot_id, api_mode, format, n_entries, metadata_needs, metadata_at "
    "FROM base_stores WHERE base_playlist_id = ?1";
/* Header and rows in one statement: one read snapshot of the database. */
static const char *const STMT_LOAD =
    "SELECT e.idx, e.entry, s.n_entries FROM base_stores s "
    "LEFT JOIN base_store_entries e ON e.base_playlist_id = s.base_playlist_id "
    "WHERE s.base_playlist_id = ?1 AND s.snapshot_id = ?2 AND s.api_mode = ?3 "
    "AND s.format = ?4 ORDER BY e.idx";
static const char *const STMT_CLEAR = "DELETE FROM base_store_entries WHERE base_playlist_id = ?1";
static const char *const STMT_HEADER =
    "INSERT INTO base_stores (base_playlist_id, snapshot_id, api_mode, format, n_entries, "
    "metadata_needs, metadata_at, updated) SELECT id, ?2, ?3, ?4, ?5, ?6, ?7, ?8 "
    "FROM base_playlists WHERE id = ?1 "
    "ON CONFLICT (base_playlist_id) DO UPDATE SET snapshot_id = excluded.snapshot_id, "
    "api_mode = excluded.api_mode, format = excluded.format, n_entries = excluded.n_entries, "
    "metadata_needs = excluded.metadata_needs, metadata_at = excluded.metadata_at, "
    "updated = excluded.updated";
static const char *const STMT_ENTRY =
    "INSERT INTO base_store_entries (base_playlist_id, idx, entry) VALUES (?1, ?2, ?3)";

int base_store_repo_info(struct db *db, struct arena *a, const char *base_id,
                         struct base_store_info *out)
{
    sqlite3_stmt *st = db_stmt(db, STMT_INFO);
    int rc;

    memset(out, 0, sizeof *out);
    if (!st)
        return ERR_INTERNAL;
    if (db_bind_text(st, 1, base_id) != 0) {
        db_stmt_done(st);
        return ERR_INTERNAL;
    }
    rc = db_step_one(db, st, "base_store_repo_info");
    if (rc == 0) {
        rc = db_col_dup(st, 0, a, &out->snapshot_id);
        out->api_mode = sqlite3_column_int(st, 1);
        out->format = sqlite3_column_int(st, 2);
        out->n_entries = sqlite3_column_int64(st, 3);
        out->metadata_needs = (unsigned)sqlite3_column_int64(st, 4);
        out->metadata_at = sqlite3_column_int64(st, 5);
    } else if (rc == ERR_NOT_FOUND) {
        rc = 0;
    }
    db_stmt_done(st);
    return rc;
}

int base_store_repo_load(struct db *db, const char *base_id, const char *snapshot_id,
                         int api_mode, int format, base_store_entry_fn fn, void *ud)
{
    sqlite3_stmt *st = db_stmt(db, STMT_LOAD);
    int64_t n = 0, want = -1;
    int rc = 0, step;

    if (!st)
        return ERR_INTERNAL;
    if (db_bind_text(st, 1, base_id) != 0 || db_bind_text(st, 2, snapshot_id) != 0 ||
        db_bind_int64(st, 3, api_mode) != 0 || db_bind_int64(st, 4, format) != 0) {
        db_stmt_done(st);
        return ERR_INTERNAL;
    }
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        want = sqlite3_column_int64(st, 2);
        if (sqlite3_column_type(st, 0) == SQLITE_NULL)
            continue; /* the header of a base without entries */
        int64_t idx = sqlite3_column_int64(st, 0);
        const char *text = (const char *)sqlite3_column_text(st, 1);
        size_t len = (size_t)sqlite3_column_bytes(st, 1);
        /* Rows 0..n-1 in order, nothing missing: anything else is not a stored base. */
        if (idx != n || !text) {
            rc = ERR_NOT_FOUND;
            break;
        }
        if ((rc = fn(ud, idx, text, len)) != 0)
            break;
        n++;
    }
    if (rc == 0 && step != SQLITE_DONE)
        rc = db_log_error(db, "base_store_repo_load");
    else if (rc == 0 && n != want) /* no header (want -1), or rows missing */
        rc = ERR_NOT_FOUND;
    db_stmt_done(st);
    return rc;
}

static int bind_run(struct db *db, const char *sql, const char *base_id, const char *what)
{
    sqlite3_stmt *st = db_stmt(db, sql);
    if (!st)
        return ERR_INTERNAL;
    if (db_bind_text(st, 1, base_id) != 0) {
        db_stmt_done(st);
        return ERR_INTERNAL;
    }
    return db_exec_stmt(db, st, what);
}

static int save_header(struct db *db, const char *base_id, const struct base_store_info *info,
                       const char *now)
{
    sqlite3_stmt *st = db_stmt(db, STMT_HEADER);
    int rc;
    if (!st)
        return ERR_INTERNAL;
    if (db_bind_text(st, 1, base_id) || db_bind_text(st, 2, info->snapshot_id) ||
        db_bind_int64(st, 3, info->api_mode) || db_bind_int64(st, 4, info->format) ||
        db_bind_int64(st, 5, info->n_entries) || db_bind_int64(st, 6, info->metadata_needs) ||
        db_bind_int64(st, 7, info->metadata_at) || db_bind_text(st, 8, now)) {
        db_stmt_done(st);
        return ERR_INTERNAL;
    }
    rc = db_exec_stmt(db, st, "base_store_repo_save");
    if (rc == 0 && db_changes(db) == 0)
        rc = ERR_NOT_FOUND; /* the base is gone */
    return rc;
}

int base_store_repo_save(struct db *db, const char *base_id, const struct base_store_info *info,
                         base_store_next_fn next, void *ud, const char *now)
{
    int rc = db_begin(db);
    if (rc != 0)
        return rc;
    if ((rc = bind_run(db, STMT_CLEAR, base_id, "base_store_repo_save")) != 0 ||
        (rc = save_header(db, base_id, info, now)) != 0)
        goto done;
    for (int64_t i = 0; i < info->n_entries; i++) {
        const char *text = NULL;
        size_t len = 0;
        sqlite3_stmt *st;
        if ((rc = next(ud, i, &text, &len)) != 0)
            goto done;
        if (!(st = db_stmt(db, STMT_ENTRY))) {
            rc = ERR_INTERNAL;
            goto done;
        }
        if (len > INT_MAX || db_bind_text(st, 1, base_id) || db_bind_int64(st, 2, i) ||
            sqlite3_bind_text(st, 3, text, (int)len, SQLITE_TRANSIENT) != SQLITE_OK) {
            db_stmt_done(st);
            rc = ERR_INTERNAL;
            goto done;
        }
        if ((rc = db_exec_stmt(db, st, "base_store_repo_save")) != 0)
            goto done;
    }
    rc = db_commit(db);
done:
    if (rc != 0)
        db_rollback(db);
    return rc == ERR_CONFLICT ? ERR_NOT_FOUND : rc;
}
