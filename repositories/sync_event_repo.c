/* sync_events rows. */
#include "repositories/sync_event_repo.h"

#include <string.h>

#include "repositories/db.h"
#include "lib/app_err.h"

static const char *const STMT_FIND_ACTIVE =
    "SELECT id FROM sync_events WHERE base_playlist_id = ?1 AND user_id = ?2 "
    "AND status = 'in_progress' ORDER BY started_at DESC LIMIT 1";

int sync_event_repo_find_active(struct db *db, const char *user_id, const char *base_id,
                                char out_id[SYNC_EVENT_ID_MAX])
{
    int rc;
    sqlite3_stmt *st = db_stmt(db, STMT_FIND_ACTIVE);

    if (!st)
        return ERR_INTERNAL;
    if (db_bind_text(st, 1, base_id) != 0 || db_bind_text(st, 2, user_id) != 0) {
        rc = ERR_INTERNAL;
        goto done;
    }
    switch (sqlite3_step(st)) {
    case SQLITE_ROW: {
        const char *id = db_col_text(st, 0);
        size_t len = id ? strlen(id) : 0;
        if (!id || len >= SYNC_EVENT_ID_MAX) {
            rc = ERR_INTERNAL;
            break;
        }
        memcpy(out_id, id, len + 1);
        rc = 0;
        break;
    }
    case SQLITE_DONE: rc = ERR_NOT_FOUND; break;
    default: rc = db_log_error(db, "sync_event_repo_find_active"); break;
    }
done:
    db_stmt_done(st);
    return rc;
}

/* ---- The sync engine's part: an event's lifecycle ---------------------------- */

#define EVENT_COLS                                                                          \
    "id, user_id, base_playlist_id, child_playlist_ids, status, started_at, completed_at, " \
    "error_message, tracks_processed, tracks_skipped, total_api_requests, cache_hits, "     \
    "cache_misses, children, progress_phase, progress_done, progress_total, created, "     \
    "updated, seq, trigger_kind, metadata_musicbrainz"

static const char *const STMT_EV_INSERT =
    "INSERT INTO sync_events (id, user_id, base_playlist_id, child_playlist_ids, status, "
    "started_at, progress_phase, progress_done, progress_total, created, updated, seq, "
    "trigger_kind) "
    "VALUES (?1, ?2, ?3, ?4, 'in_progress', ?5, ?6, ?7, ?8, ?9, ?10, "
    "(SELECT COALESCE(MAX(seq), 0) + 1 FROM sync_events WHERE base_playlist_id = ?3), ?11)";
static const char *const STMT_EV_FIND =
    "SELECT " EVENT_COLS " FROM sync_events WHERE id = ?1 AND user_id = ?2";
static const char *const STMT_EV_LATEST =
    "SELECT " EVENT_COLS " FROM sync_events WHERE base_playlist_id = ?1 AND user_id = ?2 "
    "ORDER BY seq DESC LIMIT 1";
/* sync-status in one statement (one read transaction, one consistent snapshot): the
 * base row scopes by user; the newest event of that base, if any, is LEFT JOINed through
 * idx_sync_events_base_seq (the same plan as STMT_EV_LATEST). Column 22 is the base id,
 * never NULL on a row; the event columns are NULL when the base has no event. */
static const char *const STMT_EV_STATUS =
    "SELECT e.id, e.user_id, e.base_playlist_id, e.child_playlist_ids, e.status, "
    "e.started_at, e.completed_at, e.error_message, e.tracks_processed, e.tracks_skipped, "
    "e.total_api_requests, e.cache_hits, e.cache_misses, e.children, e.progress_phase, "
    "e.progress_done, e.progress_total, e.created, e.updated, e.seq, e.trigger_kind, "
    "e.metadata_musicbrainz, b.id "
    "FROM base_playlists b LEFT JOIN sync_events e ON e.rowid = "
    "(SELECT s.rowid FROM sync_events s WHERE s.base_playlist_id = b.id AND s.user_id = ?2 "
    "ORDER BY s.seq DESC LIMIT 1) "
    "WHERE b.id = ?1 AND b.user_id = ?2";
static const char *const STMT_EV_LIST =
    "SELECT " EVENT_COLS " FROM sync_events WHERE base_playlist_id = ?1 AND user_id = ?2 "
    "AND (?3 <= 0 OR seq < ?3) ORDER BY seq DESC LIMIT ?4";
static const char *const STMT_EV_PROGRESS =
    "UPDATE sync_events SET progress_phase = ?2, progress_done = ?3, progress_total = ?4, "
    "updated = ?5 WHERE id = ?1 AND status = 'in_progress'";
static const char *const STMT_EV_FINISH =
    "UPDATE sync_events SET status = ?2, completed_at = ?3, error_message = ?4, "
    "tracks_processed = ?5, tracks_skipped = ?6, total_api_requests = ?7, cache_hits = ?8, "
    "cache_misses = ?9, child_playlist_ids = COALESCE(?10, child_playlist_ids), "
    "children = ?11, progress_phase = ?12, progress_done = ?13, progress_total = ?14, "
    "updated = ?15, metadata_musicbrainz = ?16 "
    "WHERE id = ?1 AND status = 'in_progress'";
/* A sync still waiting in the queue (a queued job, migrations/007_sync_queue.sql) is
 * neither stale nor interrupted: it runs when a worker takes it. */
static const char *const STMT_EV_FAIL =
    "UPDATE sync_events SET status = 'failed', error_message = ?1, completed_at = ?2, "
    "updated = ?2 WHERE status = 'in_progress' AND (?3 IS NULL OR started_at < ?3) "
    "AND NOT EXISTS (SELECT 1 FROM sync_jobs j WHERE j.event_id = sync_events.id "
    "AND j.state = 'queued')";

static int ev_from_row(sqlite3_stmt *st, struct arena *a, struct sync_event *out)
{
    memset(out, 0, sizeof *out);
    if (db_col_dup(st, 0, a, &out->id) || db_col_dup(st, 1, a, &out->user_id) ||
        db_col_dup(st, 2, a, &out->base_playlist_id) || db_col_dup(st, 3, a, &out->child_playlist_ids) ||
        db_col_dup(st, 4, a, &out->status) || db_col_dup(st, 5, a, &out->started_at) ||
        db_col_dup(st, 6, a, &out->completed_at) || db_col_dup(st, 7, a, &out->error_message) ||
        db_col_dup(st, 13, a, &out->children) || db_col_dup(st, 14, a, &out->progress_phase) ||
        db_col_dup(st, 17, a, &out->created) || db_col_dup(st, 18, a, &out->updated) ||
        db_col_dup(st, 20, a, &out->trigger))
        return ERR_NOMEM;
    out->tracks_processed = sqlite3_column_int64(st, 8);
    out->tracks_skipped = sqlite3_column_int64(st, 9);
    out->total_api_requests = sqlite3_column_int64(st, 10);
    out->cache_hits = sqlite3_column_int64(st, 11);
    out->cache_misses = sqlite3_column_int64(st, 12);
    out->progress_done = sqlite3_column_int64(st, 15);
    out->progress_total = sqlite3_column_int64(st, 16);
    out->seq = sqlite3_column_int64(st, 19);
    out->metadata_musicbrainz = sqlite3_column_int64(st, 21);
    return 0;
}

static int ev_find_one(struct db *db, sqlite3_stmt *st, struct arena *a, struct sync_event *out,
                       const char *what)
{
    int rc;
    switch (sqlite3_step(st)) {
    case SQLITE_ROW: rc = ev_from_row(st, a, out); break;
    case SQLITE_DONE: rc = ERR_NOT_FOUND; break;
    default: rc = db_log_error(db, what); break;
    }
    db_stmt_done(st);
    return rc;
}

int sync_event_repo_insert(struct db *db, const struct sync_event *ev)
{
    sqlite3_stmt *st = db_stmt(db, STMT_EV_INSERT);
    if (!st)
        return ERR_INTERNAL;
    if (db_bind_text(st, 1, ev->id) || db_bind_text(st, 2, ev->user_id) ||
        db_bind_text(st, 3, ev->base_playlist_id) ||
        db_bind_text(st, 4, ev->child_playlist_ids ? ev->child_playlist_ids : "[]") ||
        db_bind_text(st, 5, ev->started_at) || db_bind_text(st, 6, ev->progress_phase) ||
        db_bind_int64(st, 7, ev->progress_done) || db_bind_int64(st, 8, ev->progress_total) ||
        db_bind_text(st, 9, ev->created) || db_bind_text(st, 10, ev->updated) ||
        db_bind_text(st, 11, ev->trigger ? ev->trigger : SYNC_TRIGGER_MANUAL)) {
        db_stmt_done(st);
        return ERR_INTERNAL;
    }
    return db_exec_stmt(db, st, "sync_event_repo_insert");
}

int sync_event_repo_find(struct db *db, struct arena *a, const char *user_id, const char *id,
                         struct sync_event *out)
{
    sqlite3_stmt *st = db_stmt(db, STMT_EV_FIND);
    if (!st)
        return ERR_INTERNAL;
    if (db_bind_text(st, 1, id) || db_bind_text(st, 2, user_id)) {
        db_stmt_done(st);
        return ERR_INTERNAL;
    }
    return ev_find_one(db, st, a, out, "sync_event_repo_find");
}

int sync_event_repo_find_latest(struct db *db, struct arena *a, const char *user_id,
                                const char *base_id, struct sync_event *out)
{
    sqlite3_stmt *st = db_stmt(db, STMT_EV_LATEST);
    if (!st)
        return ERR_INTERNAL;
    if (db_bind_text(st, 1, base_id) || db_bind_text(st, 2, user_id)) {
        db_stmt_done(st);
        return ERR_INTERNAL;
    }
    return ev_find_one(db, st, a, out, "sync_event_repo_find_latest");
}

int sync_event_repo_find_status(struct db *db, struct arena *a, const char *user_id,
                                const char *base_id, int *has_event, struct sync_event *out)
{
    int rc;
    sqlite3_stmt *st = db_stmt(db, STMT_EV_STATUS);

    *has_event = 0;
    if (!st)
        return ERR_INTERNAL;
    if (db_bind_text(st, 1, base_id) || db_bind_text(st, 2, user_id)) {
        db_stmt_done(st);
        return ERR_INTERNAL;
    }
    switch (sqlite3_step(st)) {
    case SQLITE_ROW:
        if (sqlite3_column_type(st, 0) == SQLITE_NULL) {
            rc = 0; /* the base is the user's; it has no event yet */
            break;
        }
        rc = ev_from_row(st, a, out);
        *has_event = rc == 0;
        break;
    case SQLITE_DONE: rc = ERR_NOT_FOUND; break;
    default: rc = db_log_error(db, "sync_event_repo_find_status"); break;
    }
    db_stmt_done(st);
    return rc;
}

int sync_event_repo_list(struct db *db, struct arena *a, const char *user_id, const char *base_id,
                         int64_t before_seq, int limit, struct sync_event **out, size_t *n,
                         int *more)
{
    int rc = 0;
    size_t cap = limit > 0 ? (size_t)limit : 1;
    struct sync_event *rows = arena_alloc(a, cap * sizeof *rows);
    sqlite3_stmt *st = db_stmt(db, STMT_EV_LIST);

    *out = NULL;
    *n = 0;
    *more = 0;
    if (!rows)
        return ERR_NOMEM;
    if (!st)
        return ERR_INTERNAL;
    /* One row more than asked tells whether another page exists. */
    if (db_bind_text(st, 1, base_id) || db_bind_text(st, 2, user_id) ||
        db_bind_int64(st, 3, before_seq) || db_bind_int64(st, 4, (long long)cap + 1)) {
        rc = ERR_INTERNAL;
        goto done;
    }
    for (;;) {
        int s = sqlite3_step(st);
        if (s == SQLITE_DONE)
            break;
        if (s != SQLITE_ROW) {
            rc = db_log_error(db, "sync_event_repo_list");
            goto done;
        }
        if (*n == cap) {
            *more = 1;
            break;
        }
        if ((rc = ev_from_row(st, a, &rows[*n])) != 0)
            goto done;
        (*n)++;
    }
    *out = rows;
done:
    db_stmt_done(st);
    return rc;
}

int sync_event_repo_set_progress(struct db *db, const char *id, const char *phase, int64_t done,
                                 int64_t total, const char *now)
{
    sqlite3_stmt *st = db_stmt(db, STMT_EV_PROGRESS);
    if (!st)
        return ERR_INTERNAL;
    if (db_bind_text(st, 1, id) || db_bind_text(st, 2, phase) || db_bind_int64(st, 3, done) ||
        db_bind_int64(st, 4, total) || db_bind_text(st, 5, now)) {
        db_stmt_done(st);
        return ERR_INTERNAL;
    }
    int rc = db_exec_stmt(db, st, "sync_event_repo_set_progress");
    if (rc == 0 && db_changes(db) == 0)
        rc = ERR_NOT_FOUND;
    return rc;
}

int sync_event_repo_finish(struct db *db, const struct sync_event *ev)
{
    sqlite3_stmt *st = db_stmt(db, STMT_EV_FINISH);
    if (!st)
        return ERR_INTERNAL;
    if (db_bind_text(st, 1, ev->id) || db_bind_text(st, 2, ev->status) ||
        db_bind_text(st, 3, ev->completed_at) || db_bind_text(st, 4, ev->error_message) ||
        db_bind_int64(st, 5, ev->tracks_processed) || db_bind_int64(st, 6, ev->tracks_skipped) ||
        db_bind_int64(st, 7, ev->total_api_requests) || db_bind_int64(st, 8, ev->cache_hits) ||
        db_bind_int64(st, 9, ev->cache_misses) ||
        db_bind_text(st, 10, ev->child_playlist_ids) ||
        db_bind_text(st, 11, ev->children ? ev->children : "[]") ||
        db_bind_text(st, 12, ev->progress_phase) || db_bind_int64(st, 13, ev->progress_done) ||
        db_bind_int64(st, 14, ev->progress_total) || db_bind_text(st, 15, ev->updated) ||
        db_bind_int64(st, 16, ev->metadata_musicbrainz)) {
        db_stmt_done(st);
        return ERR_INTERNAL;
    }
    int rc = db_exec_stmt(db, st, "sync_event_repo_finish");
    if (rc == 0 && db_changes(db) == 0)
        rc = ERR_NOT_FOUND;
    return rc;
}

int sync_event_repo_fail_in_progress(struct db *db, const char *started_before,
                                     const char *message, const char *now, int *n_out)
{
    sqlite3_stmt *st = db_stmt(db, STMT_EV_FAIL);
    if (n_out)
        *n_out = 0;
    if (!st)
        return ERR_INTERNAL;
    if (db_bind_text(st, 1, message) || db_bind_text(st, 2, now) ||
        db_bind_text(st, 3, started_before)) {
        db_stmt_done(st);
        return ERR_INTERNAL;
    }
    int rc = db_exec_stmt(db, st, "sync_event_repo_fail_in_progress");
    if (rc == 0 && n_out)
        *n_out = db_changes(db);
    return rc;
}
