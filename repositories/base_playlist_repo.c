/* base_playlists rows. Every statement is scoped by user_id. A Liked Songs base stores
 * '' as its spotify_playlist_id (migrations/005_liked_songs.sql says why); struct
 * base_playlist carries NULL for it, both ways. */
#include "repositories/base_playlist_repo.h"

#include <string.h>

#include "repositories/db.h"
#include "lib/app_err.h"

#define BASE_COLS                                                                                  \
    "id, user_id, spotify_playlist_id, name, routing, auto_sync_minutes, version, "                \
    "last_synced_at, created, updated, source"

static const char *const STMT_FIND =
    "SELECT " BASE_COLS " FROM base_playlists WHERE id = ?1 AND user_id = ?2";
static const char *const STMT_FIND_BY_SPOTIFY =
    "SELECT " BASE_COLS " FROM base_playlists WHERE user_id = ?1 AND spotify_playlist_id = ?2";
static const char *const STMT_LIST_FIRST =
    "SELECT " BASE_COLS " FROM base_playlists WHERE user_id = ?1 "
    "ORDER BY created, id LIMIT ?2";
static const char *const STMT_LIST_AFTER =
    "SELECT " BASE_COLS " FROM base_playlists WHERE user_id = ?1 "
    "AND (created > ?3 OR (created = ?3 AND id > ?4)) ORDER BY created, id LIMIT ?2";
static const char *const STMT_FIND_LIKED =
    "SELECT " BASE_COLS " FROM base_playlists WHERE user_id = ?1 AND source = 'liked'";
static const char *const STMT_INSERT = "INSERT INTO base_playlists (" BASE_COLS
                                       ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)";
static const char *const STMT_UPDATE =
    "UPDATE base_playlists SET name = ?1, routing = ?2, auto_sync_minutes = ?3, "
    "updated = ?4, version = version + 1 "
    "WHERE id = ?5 AND user_id = ?6 AND version = ?7";
static const char *const STMT_DELETE =
    "DELETE FROM base_playlists WHERE id = ?1 AND user_id = ?2 AND (?3 <= 0 OR version = ?3)";
static const char *const STMT_EXISTS =
    "SELECT 1 FROM base_playlists WHERE id = ?1 AND user_id = ?2";

static int from_row(sqlite3_stmt *st, struct arena *a, struct base_playlist *out)
{
    memset(out, 0, sizeof *out);
    if (db_col_dup(st, 0, a, &out->id) || db_col_dup(st, 1, a, &out->user_id) ||
        db_col_dup(st, 2, a, &out->spotify_playlist_id) || db_col_dup(st, 3, a, &out->name) ||
        db_col_dup(st, 4, a, &out->routing) || db_col_dup(st, 7, a, &out->last_synced_at) ||
        db_col_dup(st, 8, a, &out->created) || db_col_dup(st, 9, a, &out->updated) ||
        db_col_dup(st, 10, a, &out->source))
        return ERR_NOMEM;
    if (base_playlist_is_liked(out))
        out->spotify_playlist_id = NULL; /* stored as '' */
    out->auto_sync_minutes = sqlite3_column_int64(st, 5);
    out->version = sqlite3_column_int64(st, 6);
    return 0;
}

/* Runs a bound single-row SELECT into *out; resets st. */
static int find_one(struct db *db, sqlite3_stmt *st, struct arena *a, struct base_playlist *out,
                    const char *what)
{
    int rc = db_step_one(db, st, what);
    if (rc == 0)
        rc = from_row(st, a, out);
    db_stmt_done(st);
    return rc;
}

int base_playlist_repo_find(struct db *db, struct arena *a, const char *user_id, const char *id,
                            struct base_playlist *out)
{
    sqlite3_stmt *st = db_stmt(db, STMT_FIND);
    if (!st)
        return ERR_INTERNAL;
    if (db_bind_text(st, 1, id) != 0 || db_bind_text(st, 2, user_id) != 0) {
        db_stmt_done(st);
        return ERR_INTERNAL;
    }
    return find_one(db, st, a, out, "base_playlist_repo_find");
}

int base_playlist_repo_find_by_spotify_id(struct db *db, struct arena *a, const char *user_id,
                                          const char *spotify_playlist_id,
                                          struct base_playlist *out)
{
    sqlite3_stmt *st = db_stmt(db, STMT_FIND_BY_SPOTIFY);
    if (!st)
        return ERR_INTERNAL;
    if (db_bind_text(st, 1, user_id) != 0 || db_bind_text(st, 2, spotify_playlist_id) != 0) {
        db_stmt_done(st);
        return ERR_INTERNAL;
    }
    return find_one(db, st, a, out, "base_playlist_repo_find_by_spotify_id");
}

int base_playlist_repo_find_liked(struct db *db, struct arena *a, const char *user_id,
                                  struct base_playlist *out)
{
    sqlite3_stmt *st = db_stmt(db, STMT_FIND_LIKED);
    if (!st)
        return ERR_INTERNAL;
    if (db_bind_text(st, 1, user_id) != 0) {
        db_stmt_done(st);
        return ERR_INTERNAL;
    }
    return find_one(db, st, a, out, "base_playlist_repo_find_liked");
}

int base_playlist_repo_list(struct db *db, struct arena *a, const char *user_id,
                            const char *after_created, const char *after_id, int limit,
                            struct base_playlist **out, size_t *n, int *more)
{
    int rc = 0;
    size_t count = 0;
    struct base_playlist *items = NULL;
    sqlite3_stmt *st = db_stmt(db, after_id ? STMT_LIST_AFTER : STMT_LIST_FIRST);

    *out = NULL;
    *n = 0;
    *more = 0;
    if (limit < 1)
        limit = 1;
    if (!st)
        return ERR_INTERNAL;
    items = arena_alloc(a, sizeof *items * (size_t)limit);
    if (!items) {
        rc = ERR_NOMEM;
        goto done;
    }
    /* One row more than asked tells whether another page exists. */
    if (db_bind_text(st, 1, user_id) != 0 || db_bind_int64(st, 2, (long long)limit + 1) != 0 ||
        (after_id &&
         (db_bind_text(st, 3, after_created) != 0 || db_bind_text(st, 4, after_id) != 0))) {
        rc = ERR_INTERNAL;
        goto done;
    }
    for (;;) {
        int s = sqlite3_step(st);
        if (s == SQLITE_DONE)
            break;
        if (s != SQLITE_ROW) {
            rc = db_log_error(db, "base_playlist_repo_list");
            goto done;
        }
        if (count == (size_t)limit) {
            *more = 1;
            break;
        }
        if ((rc = from_row(st, a, &items[count])) != 0)
            goto done;
        count++;
    }
    *out = items;
    *n = count;
done:
    db_stmt_done(st);
    return rc;
}

int base_playlist_repo_insert(struct db *db, const struct base_playlist *bp)
{
    sqlite3_stmt *st = db_stmt(db, STMT_INSERT);
    bool liked = base_playlist_is_liked(bp);
    if (!st)
        return ERR_INTERNAL;
    if (db_bind_text(st, 1, bp->id) || db_bind_text(st, 2, bp->user_id) ||
        db_bind_text(st, 3, liked ? "" : bp->spotify_playlist_id) ||
        db_bind_text(st, 4, bp->name) || db_bind_text(st, 5, bp->routing) ||
        db_bind_int64(st, 6, bp->auto_sync_minutes) || db_bind_int64(st, 7, bp->version) ||
        db_bind_text(st, 8, bp->last_synced_at) || db_bind_text(st, 9, bp->created) ||
        db_bind_text(st, 10, bp->updated) ||
        db_bind_text(st, 11, liked ? BASE_SOURCE_LIKED : BASE_SOURCE_PLAYLIST)) {
        db_stmt_done(st);
        return ERR_INTERNAL;
    }
    return db_exec_stmt(db, st, "base_playlist_repo_insert");
}

/* After a guarded write changed nothing: ERR_NOT_FOUND when the row is gone (or
 * another user's), else ERR_VERSION_MISMATCH. */
static int missing_or_stale(struct db *db, const char *user_id, const char *id)
{
    sqlite3_stmt *st = db_stmt(db, STMT_EXISTS);
    int rc;
    if (!st)
        return ERR_INTERNAL;
    if (db_bind_text(st, 1, id) || db_bind_text(st, 2, user_id)) {
        db_stmt_done(st);
        return ERR_INTERNAL;
    }
    /* It exists, so the version was what did not match. */
    if ((rc = db_step_one(db, st, "base_playlist_repo exists")) == 0)
        rc = ERR_VERSION_MISMATCH;
    db_stmt_done(st);
    return rc;
}

int base_playlist_repo_update(struct db *db, const struct base_playlist *bp,
                              int64_t expected_version)
{
    sqlite3_stmt *st = db_stmt(db, STMT_UPDATE);
    int rc;
    if (!st)
        return ERR_INTERNAL;
    if (db_bind_text(st, 1, bp->name) || db_bind_text(st, 2, bp->routing) ||
        db_bind_int64(st, 3, bp->auto_sync_minutes) || db_bind_text(st, 4, bp->updated) ||
        db_bind_text(st, 5, bp->id) || db_bind_text(st, 6, bp->user_id) ||
        db_bind_int64(st, 7, expected_version)) {
        db_stmt_done(st);
        return ERR_INTERNAL;
    }
    if ((rc = db_exec_stmt(db, st, "base_playlist_repo_update")) != 0)
        return rc;
    if (db_changes(db) == 0)
        return missing_or_stale(db, bp->user_id, bp->id);
    return 0;
}

int base_playlist_repo_delete(struct db *db, const char *user_id, const char *id,
                              int64_t expected_version)
{
    sqlite3_stmt *st = db_stmt(db, STMT_DELETE);
    int rc;
    if (!st)
        return ERR_INTERNAL;
    if (db_bind_text(st, 1, id) || db_bind_text(st, 2, user_id) ||
        db_bind_int64(st, 3, expected_version)) {
        db_stmt_done(st);
        return ERR_INTERNAL;
    }
    if ((rc = db_exec_stmt(db, st, "base_playlist_repo_delete")) != 0)
        return rc;
    if (db_changes(db) == 0)
        return missing_or_stale(db, user_id, id);
    return 0;
}
