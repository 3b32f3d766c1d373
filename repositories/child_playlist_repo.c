/* child_playlists rows. Every statement is scoped by user_id; every multi-statement
 * write runs in one BEGIN IMMEDIATE transaction and rolls back on any failure. */
#include "repositories/child_playlist_repo.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "repositories/db.h"
#include "lib/app_err.h"
#include "lib/json_text.h"
#include "lib/util.h"

#define CHILD_COLS                                                                                 \
    "id, user_id, base_playlist_id, spotify_playlist_id, name, filter, sort, limit_n, "            \
    "position, catch_all, pinned_track_ids, banned_track_ids, version, created, updated"

static const char *const STMT_FIND =
    "SELECT " CHILD_COLS " FROM child_playlists WHERE id = ?1 AND user_id = ?2";
static const char *const STMT_LIST =
    "SELECT " CHILD_COLS " FROM child_playlists WHERE base_playlist_id = ?1 AND user_id = ?2 "
    "ORDER BY position, id";
static const char *const STMT_FIND_BY_SPOTIFY =
    "SELECT " CHILD_COLS " FROM child_playlists WHERE user_id = ?1 AND spotify_playlist_id = ?2";
static const char *const STMT_BASE_ID =
    "SELECT base_playlist_id FROM child_playlists WHERE id = ?1 AND user_id = ?2";
static const char *const STMT_BASE_EXISTS =
    "SELECT 1 FROM base_playlists WHERE id = ?1 AND user_id = ?2";
static const char *const STMT_COUNT =
    "SELECT count(*) FROM child_playlists WHERE base_playlist_id = ?1 AND user_id = ?2";
static const char *const STMT_STATE =
    "SELECT base_playlist_id, position, version FROM child_playlists "
    "WHERE id = ?1 AND user_id = ?2";
static const char *const STMT_INSERT =
    "INSERT INTO child_playlists (" CHILD_COLS ") "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)";
/* Shifts siblings in [lo, hi] by `delta`; they change, so their version grows. */
static const char *const STMT_SHIFT =
    "UPDATE child_playlists SET position = position + ?1, version = version + 1, updated = ?2 "
    "WHERE base_playlist_id = ?3 AND user_id = ?4 AND id IS NOT ?5 "
    "AND position >= ?6 AND position <= ?7";
static const char *const STMT_UPDATE_CAS =
    "UPDATE child_playlists SET spotify_playlist_id = ?4, name = ?5, filter = ?6, sort = ?7, "
    "limit_n = ?8, position = ?9, catch_all = ?10, pinned_track_ids = ?11, "
    "banned_track_ids = ?12, updated = ?13, version = version + 1 "
    "WHERE id = ?1 AND user_id = ?2 AND version = ?3";
/* A replace's update: written (and versioned) only when some field differs. */
static const char *const STMT_UPDATE_IF_CHANGED =
    "UPDATE child_playlists SET spotify_playlist_id = ?4, name = ?5, filter = ?6, sort = ?7, "
    "limit_n = ?8, position = ?9, catch_all = ?10, pinned_track_ids = ?11, "
    "banned_track_ids = ?12, updated = ?13, version = version + 1 "
    "WHERE id = ?1 AND user_id = ?2 AND base_playlist_id = ?3 AND NOT ("
    "spotify_playlist_id IS ?4 AND name IS ?5 AND filter IS ?6 AND sort IS ?7 AND "
    "limit_n IS ?8 AND position IS ?9 AND catch_all IS ?10 AND pinned_track_ids IS ?11 AND "
    "banned_track_ids IS ?12)";
static const char *const STMT_DELETE =
    "DELETE FROM child_playlists WHERE id = ?1 AND user_id = ?2 AND (?3 <= 0 OR version = ?3)";
static const char *const STMT_ITEM_VERSION =
    "SELECT version FROM child_playlists WHERE id = ?1 AND user_id = ?2 AND base_playlist_id = ?3";
static const char *const STMT_DELETE_LEFT_OUT =
    "DELETE FROM child_playlists WHERE base_playlist_id = ?1 AND user_id = ?2 "
    "AND id NOT IN (SELECT value FROM json_each(?3))";
/* Parks the Spotify playlist id of a child whose id changes in a replace, so that
 * another item may take the old id without tripping the unique index half-way. */
static const char *const STMT_RELEASE_SPOTIFY =
    "UPDATE child_playlists SET spotify_playlist_id = '~' || id "
    "WHERE id = ?1 AND user_id = ?2 AND spotify_playlist_id IS NOT ?3";

static int from_row(sqlite3_stmt *st, struct arena *a, struct child_playlist *out)
{
    memset(out, 0, sizeof *out);
    if (db_col_dup(st, 0, a, &out->id) || db_col_dup(st, 1, a, &out->user_id) ||
        db_col_dup(st, 2, a, &out->base_playlist_id) || db_col_dup(st, 3, a, &out->spotify_playlist_id) ||
        db_col_dup(st, 4, a, &out->name) || db_col_dup(st, 5, a, &out->filter) ||
        db_col_dup(st, 6, a, &out->sort) || db_col_dup(st, 10, a, &out->pinned_track_ids) ||
        db_col_dup(st, 11, a, &out->banned_track_ids) || db_col_dup(st, 13, a, &out->created) ||
        db_col_dup(st, 14, a, &out->updated))
        return ERR_NOMEM;
    out->has_limit = sqlite3_column_type(st, 7) != SQLITE_NULL;
    out->limit = out->has_limit ? sqlite3_column_int64(st, 7) : 0;
    out->position = sqlite3_column_int64(st, 8);
    out->catch_all = sqlite3_column_int64(st, 9) != 0;
    out->version = sqlite3_column_int64(st, 12);
    return 0;
}

static int find_one(struct db *db, sqlite3_stmt *st, struct arena *a, struct child_playlist *out,
                    const char *what)
{
    int rc = db_step_one(db, st, what);
    if (rc == 0)
        rc = from_row(st, a, out);
    db_stmt_done(st);
    return rc;
}

/* Binds two text parameters; returns the statement or NULL (then done with it). */
static sqlite3_stmt *stmt2(struct db *db, const char *sql, const char *p1, const char *p2)
{
    sqlite3_stmt *st = db_stmt(db, sql);
    if (!st)
        return NULL;
    if (db_bind_text(st, 1, p1) != 0 || db_bind_text(st, 2, p2) != 0) {
        db_stmt_done(st);
        return NULL;
    }
    return st;
}

int child_playlist_repo_find(struct db *db, struct arena *a, const char *user_id, const char *id,
                             struct child_playlist *out)
{
    sqlite3_stmt *st = stmt2(db, STMT_FIND, id, user_id);
    if (!st)
        return ERR_INTERNAL;
    return find_one(db, st, a, out, "child_playlist_repo_find");
}

int child_playlist_repo_find_by_spotify_id(struct db *db, struct arena *a, const char *user_id,
                                           const char *spotify_playlist_id,
                                           struct child_playlist *out)
{
    sqlite3_stmt *st = stmt2(db, STMT_FIND_BY_SPOTIFY, user_id, spotify_playlist_id);
    if (!st)
        return ERR_INTERNAL;
    return find_one(db, st, a, out, "child_playlist_repo_find_by_spotify_id");
}

int child_playlist_repo_list_by_base(struct db *db, struct arena *a, const char *user_id,
                                     const char *base_id, struct child_playlist **out, size_t *n)
{
    int rc = 0;
    size_t count = 0, cap = 0;
    struct child_playlist *items = NULL;
    sqlite3_stmt *st = stmt2(db, STMT_LIST, base_id, user_id);

    *out = NULL;
    *n = 0;
    if (!st)
        return ERR_INTERNAL;
    for (;;) {
        int s = sqlite3_step(st);
        if (s == SQLITE_DONE)
            break;
        if (s != SQLITE_ROW) {
            rc = db_log_error(db, "child_playlist_repo_list_by_base");
            goto done;
        }
        if (count == cap) {
            /* Arena arrays cannot grow in place: double and copy (few rows). */
            size_t ncap = cap ? cap * 2 : 16;
            struct child_playlist *bigger = arena_alloc(a, sizeof *bigger * ncap);
            if (!bigger) {
                rc = ERR_NOMEM;
                goto done;
            }
            if (count)
                memcpy(bigger, items, sizeof *items * count);
            items = bigger;
            cap = ncap;
        }
        if ((rc = from_row(st, a, &items[count])) != 0)
            goto done;
        count++;
    }
    *out = count ? items : NULL;
    *n = count;
done:
    db_stmt_done(st);
    return rc;
}

int child_playlist_repo_base_id(struct db *db, const char *user_id, const char *id, char *out,
                                size_t outlen)
{
    int rc;
    sqlite3_stmt *st = stmt2(db, STMT_BASE_ID, id, user_id);
    if (!st)
        return ERR_INTERNAL;
    if ((rc = db_step_one(db, st, "child_playlist_repo_base_id")) == 0) {
        const char *s = db_col_text(st, 0);
        rc = (s && strlen(s) < outlen) ? 0 : ERR_INTERNAL;
        if (rc == 0)
            memcpy(out, s, strlen(s) + 1);
    }
    db_stmt_done(st);
    return rc;
}

/* ---- helpers of the transactional writes ---- */

/* 0 when base (base_id, user_id) exists, else ERR_NOT_FOUND / ERR_INTERNAL. */
static int base_exists(struct db *db, const char *user_id, const char *base_id)
{
    int rc;
    sqlite3_stmt *st = stmt2(db, STMT_BASE_EXISTS, base_id, user_id);
    if (!st)
        return ERR_INTERNAL;
    rc = db_step_one(db, st, "child_playlist_repo base exists");
    db_stmt_done(st);
    return rc;
}

static int count_children(struct db *db, const char *user_id, const char *base_id, int64_t *out)
{
    int rc = 0;
    sqlite3_stmt *st = stmt2(db, STMT_COUNT, base_id, user_id);
    if (!st)
        return ERR_INTERNAL;
    if (sqlite3_step(st) == SQLITE_ROW)
        *out = sqlite3_column_int64(st, 0);
    else
        rc = db_log_error(db, "child_playlist_repo count");
    db_stmt_done(st);
    return rc;
}

/* Adds delta to the positions in [lo, hi] of the siblings of `except_id` (NULL = all). */
static int shift(struct db *db, const char *user_id, const char *base_id, const char *except_id,
                 int64_t lo, int64_t hi, int64_t delta, const char *now)
{
    sqlite3_stmt *st = db_stmt(db, STMT_SHIFT);
    if (!st)
        return ERR_INTERNAL;
    if (db_bind_int64(st, 1, delta) || db_bind_text(st, 2, now) || db_bind_text(st, 3, base_id) ||
        db_bind_text(st, 4, user_id) || db_bind_text(st, 5, except_id) ||
        db_bind_int64(st, 6, lo) || db_bind_int64(st, 7, hi)) {
        db_stmt_done(st);
        return ERR_INTERNAL;
    }
    return db_exec_stmt(db, st, "child_playlist_repo shift");
}

/* Binds the editable fields at ?4..?13 (spotify id .. updated), as both updates use. */
static int bind_editable(sqlite3_stmt *st, const struct child_playlist *cp, int64_t position)
{
    if (db_bind_text(st, 4, cp->spotify_playlist_id) || db_bind_text(st, 5, cp->name) ||
        db_bind_text(st, 6, cp->filter) || db_bind_text(st, 7, cp->sort) ||
        (cp->has_limit ? db_bind_int64(st, 8, cp->limit) : db_bind_text(st, 8, NULL)) ||
        db_bind_int64(st, 9, position) || db_bind_int64(st, 10, cp->catch_all ? 1 : 0) ||
        db_bind_text(st, 11, cp->pinned_track_ids ? cp->pinned_track_ids : "[]") ||
        db_bind_text(st, 12, cp->banned_track_ids ? cp->banned_track_ids : "[]") ||
        db_bind_text(st, 13, cp->updated))
        return -1;
    return 0;
}

/* INSERT of every column; user and base from the arguments. */
static int insert_row(struct db *db, const struct child_playlist *cp, const char *user_id,
                      const char *base_id, int64_t position)
{
    sqlite3_stmt *st = db_stmt(db, STMT_INSERT);
    if (!st)
        return ERR_INTERNAL;
    if (db_bind_text(st, 1, cp->id) || db_bind_text(st, 2, user_id) ||
        db_bind_text(st, 3, base_id) || db_bind_text(st, 4, cp->spotify_playlist_id) ||
        db_bind_text(st, 5, cp->name) || db_bind_text(st, 6, cp->filter) ||
        db_bind_text(st, 7, cp->sort) ||
        (cp->has_limit ? db_bind_int64(st, 8, cp->limit) : db_bind_text(st, 8, NULL)) ||
        db_bind_int64(st, 9, position) || db_bind_int64(st, 10, cp->catch_all ? 1 : 0) ||
        db_bind_text(st, 11, cp->pinned_track_ids ? cp->pinned_track_ids : "[]") ||
        db_bind_text(st, 12, cp->banned_track_ids ? cp->banned_track_ids : "[]") ||
        db_bind_int64(st, 13, cp->version > 0 ? cp->version : 1) ||
        db_bind_text(st, 14, cp->created) || db_bind_text(st, 15, cp->updated)) {
        db_stmt_done(st);
        return ERR_INTERNAL;
    }
    return db_exec_stmt(db, st, "child_playlist_repo insert");
}

static void now_text(char out[21])
{
    util_time_format(time(NULL), out);
}

/* Reads (base id, position, version) of child (id, user) inside a transaction. */
static int child_state(struct db *db, const char *user_id, const char *id, char *base_out,
                       size_t base_len, int64_t *position, int64_t *version)
{
    int rc;
    sqlite3_stmt *st = stmt2(db, STMT_STATE, id, user_id);
    if (!st)
        return ERR_INTERNAL;
    if ((rc = db_step_one(db, st, "child_playlist_repo state")) == 0) {
        const char *b = db_col_text(st, 0);
        rc = (b && strlen(b) < base_len) ? 0 : ERR_INTERNAL;
        if (rc == 0)
            memcpy(base_out, b, strlen(b) + 1);
        *position = sqlite3_column_int64(st, 1);
        *version = sqlite3_column_int64(st, 2);
    }
    db_stmt_done(st);
    return rc;
}

/* ---- the transactional writes ---- */

int child_playlist_repo_insert(struct db *db, const struct child_playlist *cp,
                               int64_t *position_out)
{
    int64_t count = 0, pos;
    int rc;

    if ((rc = db_begin(db)) != 0)
        return rc;
    if ((rc = base_exists(db, cp->user_id, cp->base_playlist_id)) != 0 ||
        (rc = count_children(db, cp->user_id, cp->base_playlist_id, &count)) != 0)
        goto done;
    pos = cp->position < 0 ? 0 : cp->position > count ? count : cp->position;
    if (pos < count && (rc = shift(db, cp->user_id, cp->base_playlist_id, NULL, pos, INT64_MAX, 1,
                                   cp->updated)) != 0)
        goto done;
    if ((rc = insert_row(db, cp, cp->user_id, cp->base_playlist_id, pos)) != 0)
        goto done;
    rc = db_commit(db);
    if (rc == 0 && position_out)
        *position_out = pos;
done:
    if (rc != 0)
        db_rollback(db);
    return rc;
}

int child_playlist_repo_update(struct db *db, const struct child_playlist *cp,
                               int64_t expected_version)
{
    char base_id[128];
    int64_t old_pos = 0, version = 0, count = 0, pos;
    sqlite3_stmt *st = NULL;
    int rc;

    if ((rc = db_begin(db)) != 0)
        return rc;
    if ((rc = child_state(db, cp->user_id, cp->id, base_id, sizeof base_id, &old_pos, &version)) !=
        0)
        goto done;
    if (version != expected_version) {
        rc = ERR_VERSION_MISMATCH;
        goto done;
    }
    if ((rc = count_children(db, cp->user_id, base_id, &count)) != 0)
        goto done;
    pos = cp->position < 0 ? 0 : cp->position > count - 1 ? count - 1 : cp->position;

    /* The compare-and-set itself: the version is also in the WHERE clause. */
    if (!(st = db_stmt(db, STMT_UPDATE_CAS))) {
        rc = ERR_INTERNAL;
        goto done;
    }
    if (db_bind_text(st, 1, cp->id) || db_bind_text(st, 2, cp->user_id) ||
        db_bind_int64(st, 3, expected_version) || bind_editable(st, cp, pos) != 0) {
        db_stmt_done(st);
        rc = ERR_INTERNAL;
        goto done;
    }
    if ((rc = db_exec_stmt(db, st, "child_playlist_repo_update")) != 0)
        goto done;
    if (db_changes(db) != 1) {
        rc = ERR_VERSION_MISMATCH;
        goto done;
    }
    if (pos < old_pos)
        rc = shift(db, cp->user_id, base_id, cp->id, pos, old_pos - 1, 1, cp->updated);
    else if (pos > old_pos)
        rc = shift(db, cp->user_id, base_id, cp->id, old_pos + 1, pos, -1, cp->updated);
    if (rc != 0)
        goto done;
    rc = db_commit(db);
done:
    if (rc != 0)
        db_rollback(db);
    return rc;
}

int child_playlist_repo_delete(struct db *db, const char *user_id, const char *id,
                               int64_t expected_version)
{
    char base_id[128], now[21];
    int64_t pos = 0, version = 0;
    sqlite3_stmt *st = NULL;
    int rc;

    now_text(now);
    if ((rc = db_begin(db)) != 0)
        return rc;
    if ((rc = child_state(db, user_id, id, base_id, sizeof base_id, &pos, &version)) != 0)
        goto done;
    if (expected_version > 0 && version != expected_version) {
        rc = ERR_VERSION_MISMATCH;
        goto done;
    }
    if (!(st = db_stmt(db, STMT_DELETE))) {
        rc = ERR_INTERNAL;
        goto done;
    }
    if (db_bind_text(st, 1, id) || db_bind_text(st, 2, user_id) ||
        db_bind_int64(st, 3, expected_version)) {
        db_stmt_done(st);
        rc = ERR_INTERNAL;
        goto done;
    }
    if ((rc = db_exec_stmt(db, st, "child_playlist_repo_delete")) != 0)
        goto done;
    if (db_changes(db) != 1) {
        rc = ERR_VERSION_MISMATCH;
        goto done;
    }
    if ((rc = shift(db, user_id, base_id, NULL, pos + 1, INT64_MAX, -1, now)) != 0)
        goto done;
    rc = db_commit(db);
done:
    if (rc != 0)
        db_rollback(db);
    return rc;
}

/* Checks that update item i names a child of the base at the expected version. */
static int check_item(struct db *db, const char *user_id, const char *base_id,
                      const struct child_playlist_put *it)
{
    int rc;
    sqlite3_stmt *st = db_stmt(db, STMT_ITEM_VERSION);
    if (!st)
        return ERR_INTERNAL;
    if (db_bind_text(st, 1, it->cp.id) || db_bind_text(st, 2, user_id) ||
        db_bind_text(st, 3, base_id)) {
        db_stmt_done(st);
        return ERR_INTERNAL;
    }
    rc = db_step_one(db, st, "child_playlist_repo_replace_all check");
    if (rc == 0 && it->expected_version > 0 && sqlite3_column_int64(st, 0) != it->expected_version)
        rc = ERR_VERSION_MISMATCH;
    else if (rc == ERR_NOT_FOUND)
        rc = ERR_VALIDATION; /* an id that is not a child of this base */
    db_stmt_done(st);
    return rc;
}

static int delete_left_out(struct db *db, const char *user_id, const char *base_id,
                           const struct child_playlist_put *items, size_t n)
{
    json_t *keep = json_array();
    char *keep_text = NULL;
    sqlite3_stmt *st = NULL;
    int rc = ERR_NOMEM;

    if (!keep)
        goto done;
    for (size_t i = 0; i < n; i++)
        if (!items[i].create && json_array_append_new(keep, json_string(items[i].cp.id)) != 0)
            goto done;
    if (!(keep_text = json_text_dump(keep, JSON_COMPACT)))
        goto done;
    if (!(st = db_stmt(db, STMT_DELETE_LEFT_OUT))) {
        rc = ERR_INTERNAL;
        goto done;
    }
    if (db_bind_text(st, 1, base_id) || db_bind_text(st, 2, user_id) ||
        db_bind_text(st, 3, keep_text)) {
        db_stmt_done(st);
        rc = ERR_INTERNAL;
        goto done;
    }
    rc = db_exec_stmt(db, st, "child_playlist_repo_replace_all delete");
done:
    free(keep_text);
    json_decref(keep);
    return rc;
}

static int release_spotify_id(struct db *db, const char *user_id, const struct child_playlist *cp)
{
    sqlite3_stmt *st = db_stmt(db, STMT_RELEASE_SPOTIFY);
    if (!st)
        return ERR_INTERNAL;
    if (db_bind_text(st, 1, cp->id) || db_bind_text(st, 2, user_id) ||
        db_bind_text(st, 3, cp->spotify_playlist_id)) {
        db_stmt_done(st);
        return ERR_INTERNAL;
    }
    return db_exec_stmt(db, st, "child_playlist_repo_replace_all release");
}

static int update_if_changed(struct db *db, const char *user_id, const char *base_id,
                             const struct child_playlist *cp)
{
    sqlite3_stmt *st = db_stmt(db, STMT_UPDATE_IF_CHANGED);
    if (!st)
        return ERR_INTERNAL;
    if (db_bind_text(st, 1, cp->id) || db_bind_text(st, 2, user_id) ||
        db_bind_text(st, 3, base_id) || bind_editable(st, cp, cp->position) != 0) {
        db_stmt_done(st);
        return ERR_INTERNAL;
    }
    return db_exec_stmt(db, st, "child_playlist_repo_replace_all update");
}

int child_playlist_repo_replace_all(struct db *db, const char *user_id, const char *base_id,
                                    const struct child_playlist_put *items, size_t n,
                                    size_t *bad_index)
{
    size_t i = 0;
    int rc;

    if ((rc = db_begin(db)) != 0)
        return rc;
    if ((rc = base_exists(db, user_id, base_id)) != 0)
        goto done;
    for (i = 0; i < n; i++)
        if (!items[i].create && (rc = check_item(db, user_id, base_id, &items[i])) != 0)
            goto done;
    if ((rc = delete_left_out(db, user_id, base_id, items, n)) != 0) {
        i = n; /* no item to blame */
        goto done;
    }
    for (i = 0; i < n; i++)
        if (!items[i].create && (rc = release_spotify_id(db, user_id, &items[i].cp)) != 0)
            goto done;
    /* Pass 0 writes every item that is not the catch-all, pass 1 the catch-all: the
     * old catch-all, if it stays without the flag, is cleared before the new one is set. */
    for (int pass = 0; pass < 2; pass++) {
        for (i = 0; i < n; i++) {
            const struct child_playlist_put *it = &items[i];
            if ((int)it->cp.catch_all != pass)
                continue;
            rc = it->create ? insert_row(db, &it->cp, user_id, base_id, it->cp.position)
                            : update_if_changed(db, user_id, base_id, &it->cp);
            if (rc != 0)
                goto done;
        }
    }
    i = n;
    rc = db_commit(db);
done:
    if (rc != 0) {
        db_rollback(db);
        if (bad_index)
            *bad_index = i;
    }
    return rc;
}
