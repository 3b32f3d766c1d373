/* child_snapshots rows. */
#include "repositories/child_snapshot_repo.h"

#include <stdlib.h>
#include <string.h>

#include "repositories/db.h"
#include "repositories/uri_list.h"
#include "lib/app_err.h"

/* The child must be the user's: the INSERT selects from child_playlists, so another
 * user's child inserts nothing (reported as ERR_CONFLICT, like a missing child). */
static const char *const STMT_SAVE =
    "INSERT INTO child_snapshots (child_playlist_id, user_id, sync_event_id, track_uris, "
    "created) SELECT id, user_id, ?3, ?4, ?5 FROM child_playlists WHERE id = ?1 AND user_id = ?2 "
    "ON CONFLICT (child_playlist_id) DO UPDATE SET sync_event_id = excluded.sync_event_id, "
    "track_uris = excluded.track_uris, created = excluded.created";
static const char *const STMT_FIND =
    "SELECT child_playlist_id, user_id, sync_event_id, track_uris, created FROM child_snapshots "
    "WHERE child_playlist_id = ?1 AND user_id = ?2";

int child_snapshot_repo_save(struct db *db, const char *user_id, const char *child_id,
                             const char *sync_event_id, const char *const *uris, size_t n,
                             const char *now)
{
    char *json = NULL;
    int rc = uri_list_encode(uris, n, &json);
    sqlite3_stmt *st = NULL;

    if (rc != 0)
        goto done;
    if (!(st = db_stmt(db, STMT_SAVE))) {
        rc = ERR_INTERNAL;
        goto done;
    }
    if (db_bind_text(st, 1, child_id) || db_bind_text(st, 2, user_id) ||
        db_bind_text(st, 3, sync_event_id) || db_bind_text(st, 4, json) ||
        db_bind_text(st, 5, now)) {
        db_stmt_done(st);
        rc = ERR_INTERNAL;
        goto done;
    }
    rc = db_exec_stmt(db, st, "child_snapshot_repo_save");
    if (rc == 0 && db_changes(db) == 0)
        rc = ERR_CONFLICT;
done:
    free(json);
    return rc;
}

int child_snapshot_repo_find(struct db *db, struct arena *a, const char *user_id,
                             const char *child_id, struct child_snapshot *out)
{
    int rc;
    sqlite3_stmt *st = db_stmt(db, STMT_FIND);

    memset(out, 0, sizeof *out);
    if (!st)
        return ERR_INTERNAL;
    if (db_bind_text(st, 1, child_id) || db_bind_text(st, 2, user_id)) {
        rc = ERR_INTERNAL;
        goto done;
    }
    switch (sqlite3_step(st)) {
    case SQLITE_ROW: {
        const char **uris = NULL;
        if ((rc = db_col_dup(st, 0, a, &out->child_playlist_id)) ||
            (rc = db_col_dup(st, 1, a, &out->user_id)) ||
            (rc = db_col_dup(st, 2, a, &out->sync_event_id)) ||
            (rc = db_col_dup(st, 4, a, &out->created)))
            break;
        rc = uri_list_decode(db_col_text(st, 3), a, &uris, &out->n_uris);
        out->uris = uris;
        break;
    }
    case SQLITE_DONE:
        rc = ERR_NOT_FOUND;
        break;
    default:
        rc = db_log_error(db, "child_snapshot_repo_find");
        break;
    }
done:
    db_stmt_done(st);
    return rc;
}
