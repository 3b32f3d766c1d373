/* The incremental sync's memory: base_sync_state, child_written_contents and the sync
 * columns of base_playlists / child_playlists (never their version or `updated`: a
 * sync is not a change made through the API). */
#include "repositories/sync_state_repo.h"

#include <stdlib.h>
#include <string.h>

#include "repositories/db.h"
#include "repositories/uri_list.h"
#include "lib/app_err.h"

static const char *const STMT_GET_BASE =
    "SELECT b.last_snapshot_id, s.config_hash, s.tracks_processed, s.tracks_skipped "
    "FROM base_playlists b LEFT JOIN base_sync_state s ON s.base_playlist_id = b.id "
    "WHERE b.id = ?1";
static const char *const STMT_INVALIDATE_BASE =
    "UPDATE base_sync_state SET config_hash = NULL, updated = ?2 WHERE base_playlist_id = ?1";
static const char *const STMT_COMPLETE_BASE =
    "UPDATE base_playlists SET last_snapshot_id = ?2, last_synced_at = ?3 WHERE id = ?1";
static const char *const STMT_UPSERT_BASE_STATE =
    "INSERT INTO base_sync_state (base_playlist_id, config_hash, tracks_processed, "
    "tracks_skipped, updated) VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (base_playlist_id) DO "
    "UPDATE SET config_hash = excluded.config_hash, tracks_processed = excluded.tracks_processed, "
    "tracks_skipped = excluded.tracks_skipped, updated = excluded.updated";
static const char *const STMT_GET_CHILD =
    "SELECT c.last_written_snapshot_id, c.last_target_hash, w.track_uris FROM child_playlists c "
    "LEFT JOIN child_written_contents w ON w.child_playlist_id = c.id WHERE c.id = ?1";
static const char *const STMT_SET_CHILD_COLS =
    "UPDATE child_playlists SET last_written_snapshot_id = ?2, last_target_hash = ?3 "
    "WHERE id = ?1";
static const char *const STMT_UPSERT_CHILD_CONTENTS =
    "INSERT INTO child_written_contents (child_playlist_id, track_uris, updated) "
    "VALUES (?1, ?2, ?3) ON CONFLICT (child_playlist_id) DO UPDATE SET "
    "track_uris = excluded.track_uris, updated = excluded.updated";
static const char *const STMT_SET_CHILD_SNAPSHOT =
    "UPDATE child_playlists SET last_written_snapshot_id = ?2 WHERE id = ?1";

int sync_state_repo_get_base(struct db *db, struct arena *a, const char *base_id,
                             struct sync_base_state *out)
{
    int rc = 0;
    sqlite3_stmt *st = db_stmt(db, STMT_GET_BASE);

    memset(out, 0, sizeof *out);
    if (!st)
        return ERR_INTERNAL;
    if (db_bind_text(st, 1, base_id)) {
        rc = ERR_INTERNAL;
        goto done;
    }
    switch (sqlite3_step(st)) {
    case SQLITE_ROW:
        if ((rc = db_col_dup(st, 0, a, &out->last_snapshot_id)) ||
            (rc = db_col_dup(st, 1, a, &out->config_hash)))
            break;
        out->tracks_processed = sqlite3_column_int64(st, 2);
        out->tracks_skipped = sqlite3_column_int64(st, 3);
        break;
    case SQLITE_DONE:
        break;
    default:
        rc = db_log_error(db, "sync_state_repo_get_base");
        break;
    }
done:
    db_stmt_done(st);
    return rc;
}

int sync_state_repo_invalidate_base(struct db *db, const char *base_id, const char *now)
{
    sqlite3_stmt *st = db_stmt(db, STMT_INVALIDATE_BASE);
    if (!st)
        return ERR_INTERNAL;
    if (db_bind_text(st, 1, base_id) || db_bind_text(st, 2, now)) {
        db_stmt_done(st);
        return ERR_INTERNAL;
    }
    return db_exec_stmt(db, st, "sync_state_repo_invalidate_base");
}

int sync_state_repo_complete_base(struct db *db, const char *base_id, const char *snapshot_id,
                                  const char *config_hash, int64_t tracks_processed,
                                  int64_t tracks_skipped, const char *now)
{
    int rc;
    sqlite3_stmt *st = db_stmt(db, STMT_COMPLETE_BASE);
    if (!st)
        return ERR_INTERNAL;
    if (db_bind_text(st, 1, base_id) || db_bind_text(st, 2, snapshot_id) ||
        db_bind_text(st, 3, now)) {
        db_stmt_done(st);
        return ERR_INTERNAL;
    }
    if ((rc = db_exec_stmt(db, st, "sync_state_repo_complete_base")) != 0)
        return rc;
    if (db_changes(db) == 0)
        return ERR_NOT_FOUND;
    if (!(st = db_stmt(db, STMT_UPSERT_BASE_STATE)))
        return ERR_INTERNAL;
    if (db_bind_text(st, 1, base_id) || db_bind_text(st, 2, config_hash) ||
        db_bind_int64(st, 3, tracks_processed) || db_bind_int64(st, 4, tracks_skipped) ||
        db_bind_text(st, 5, now)) {
        db_stmt_done(st);
        return ERR_INTERNAL;
    }
    return db_exec_stmt(db, st, "sync_state_repo_complete_base");
}

int sync_state_repo_get_child(struct db *db, struct arena *a, const char *child_id,
                              struct sync_child_state *out)
{
    int rc = 0;
    sqlite3_stmt *st = db_stmt(db, STMT_GET_CHILD);

    memset(out, 0, sizeof *out);
    if (!st)
        return ERR_INTERNAL;
    if (db_bind_text(st, 1, child_id)) {
        rc = ERR_INTERNAL;
        goto done;
    }
    switch (sqlite3_step(st)) {
    case SQLITE_ROW: {
        const char **uris = NULL;
        if ((rc = db_col_dup(st, 0, a, &out->snapshot_id)) ||
            (rc = db_col_dup(st, 1, a, &out->target_hash)))
            break;
        const char *json = db_col_text(st, 2);
        if (json && (rc = uri_list_decode(json, a, &uris, &out->n_uris)) == 0) {
            out->uris = uris;
            out->has_contents = true;
        }
        break;
    }
    case SQLITE_DONE:
        break;
    default:
        rc = db_log_error(db, "sync_state_repo_get_child");
        break;
    }
done:
    db_stmt_done(st);
    return rc;
}

int sync_state_repo_set_child(struct db *db, const char *child_id, const char *snapshot_id,
                              const char *target_hash, const char *const *uris, size_t n,
                              const char *now)
{
    char *json = NULL;
    sqlite3_stmt *st = NULL;
    int began = 0;
    int rc = uri_list_encode(uris, n, &json);

    if (rc != 0 || (rc = db_begin(db)) != 0)
        goto done;
    began = 1;
    if (!(st = db_stmt(db, STMT_SET_CHILD_COLS))) {
        rc = ERR_INTERNAL;
        goto done;
    }
    if (db_bind_text(st, 1, child_id) || db_bind_text(st, 2, snapshot_id) ||
        db_bind_text(st, 3, target_hash)) {
        db_stmt_done(st);
        rc = ERR_INTERNAL;
        goto done;
    }
    if ((rc = db_exec_stmt(db, st, "sync_state_repo_set_child")) != 0)
        goto done;
    if (db_changes(db) == 0) {
        rc = ERR_NOT_FOUND;
        goto done;
    }
    if (!(st = db_stmt(db, STMT_UPSERT_CHILD_CONTENTS))) {
        rc = ERR_INTERNAL;
        goto done;
    }
    if (db_bind_text(st, 1, child_id) || db_bind_text(st, 2, json) || db_bind_text(st, 3, now)) {
        db_stmt_done(st);
        rc = ERR_INTERNAL;
        goto done;
    }
    if ((rc = db_exec_stmt(db, st, "sync_state_repo_set_child")) == 0)
        rc = db_commit(db);
done:
    if (rc != 0 && began)
        db_rollback(db);
    free(json);
    return rc;
}

int sync_state_repo_set_child_snapshot(struct db *db, const char *child_id, const char *snapshot_id)
{
    sqlite3_stmt *st = db_stmt(db, STMT_SET_CHILD_SNAPSHOT);
    if (!st)
        return ERR_INTERNAL;
    if (db_bind_text(st, 1, child_id) || db_bind_text(st, 2, snapshot_id)) {
        db_stmt_done(st);
        return ERR_INTERNAL;
    }
    int rc = db_exec_stmt(db, st, "sync_state_repo_set_child_snapshot");
    if (rc == 0 && db_changes(db) == 0)
        rc = ERR_NOT_FOUND;
    return rc;
}
