/* The MusicBrainz store: mb_isrcs, mb_artists, mb_state. Lists are stored as compact
 * JSON arrays of strings (uri_list.c). */
#include "repositories/musicbrainz_repo.h"

#include <stdlib.h>
#include <string.h>

#include "repositories/db.h"
#include "repositories/uri_list.h"
#include "lib/app_err.h"

static const char *const STMT_GET_ISRC =
    "SELECT known, recording_ids, artist_ids, original_year, fetched_at FROM mb_isrcs "
    "WHERE isrc = ?1";
static const char *const STMT_PUT_ISRC =
    "INSERT OR REPLACE INTO mb_isrcs (isrc, known, recording_ids, artist_ids, original_year, "
    "fetched_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)";
static const char *const STMT_GET_ARTIST =
    "SELECT known, genres, fetched_at FROM mb_artists WHERE id = ?1";
static const char *const STMT_PUT_ARTIST =
    "INSERT OR REPLACE INTO mb_artists (id, known, genres, fetched_at) VALUES (?1, ?2, ?3, ?4)";
static const char *const STMT_GET_STATE = "SELECT value, fetched_at FROM mb_state WHERE key = ?1";
static const char *const STMT_PUT_STATE =
    "INSERT OR REPLACE INTO mb_state (key, value, fetched_at) VALUES (?1, ?2, ?3)";

/* A stored list column, decoded into the arena. */
static int list_col(sqlite3_stmt *st, int col, struct arena *a, const char *const **out,
                    size_t *n)
{
    const char **list = NULL;
    int rc = uri_list_decode(db_col_text(st, col), a, &list, n);
    *out = list;
    return rc;
}

/* Runs `sql` with ?1 = key: 0 and *out standing on its row (read the columns, then
 * db_stmt_done(*out)); ERR_NOT_FOUND or ERR_INTERNAL (the statement already reset). */
static int row_by_key(struct db *db, const char *sql, const char *key, const char *what,
                      sqlite3_stmt **out)
{
    sqlite3_stmt *st = db_stmt(db, sql);
    int rc = ERR_INTERNAL;
    if (st && db_bind_text(st, 1, key) == 0 && (rc = db_step_one(db, st, what)) == 0) {
        *out = st;
        return 0;
    }
    db_stmt_done(st);
    return rc;
}

int musicbrainz_repo_get_isrc(struct db *db, struct arena *a, const char *isrc,
                              struct mb_isrc_row *out)
{
    sqlite3_stmt *st = NULL;
    int rc;

    memset(out, 0, sizeof *out);
    if ((rc = row_by_key(db, STMT_GET_ISRC, isrc, "musicbrainz_repo_get_isrc", &st)) == 0) {
        out->isrc = isrc;
        out->known = sqlite3_column_int(st, 0) != 0;
        out->has_year = sqlite3_column_type(st, 3) != SQLITE_NULL;
        out->original_year = (int32_t)sqlite3_column_int(st, 3);
        out->fetched_at = sqlite3_column_int64(st, 4);
        if ((rc = list_col(st, 1, a, &out->recording_ids, &out->n_recordings)) == 0)
            rc = list_col(st, 2, a, &out->artist_ids, &out->n_artists);
    }
    db_stmt_done(st);
    return rc;
}

int musicbrainz_repo_get_artist(struct db *db, struct arena *a, const char *id,
                                struct mb_artist_row *out)
{
    sqlite3_stmt *st = NULL;
    int rc;

    memset(out, 0, sizeof *out);
    if ((rc = row_by_key(db, STMT_GET_ARTIST, id, "musicbrainz_repo_get_artist", &st)) == 0) {
        out->id = id;
        out->known = sqlite3_column_int(st, 0) != 0;
        out->fetched_at = sqlite3_column_int64(st, 2);
        rc = list_col(st, 1, a, &out->genres, &out->n_genres);
    }
    db_stmt_done(st);
    return rc;
}

/* Binds and runs row i of a batch; 0 or an error. */
typedef int (*put_fn)(struct db *db, sqlite3_stmt *st, const void *rows, size_t i);

/* rows[0..n) through `sql`, all in one write transaction. */
static int put_all(struct db *db, const char *sql, const void *rows, size_t n, put_fn put,
                   const char *what)
{
    int rc;
    if (n == 0)
        return 0;
    if ((rc = db_begin(db)) != 0)
        return rc;
    for (size_t i = 0; i < n; i++) {
        sqlite3_stmt *st = db_stmt(db, sql);
        if (!st) {
            rc = ERR_INTERNAL;
            break;
        }
        if ((rc = put(db, st, rows, i)) != 0) {
            db_stmt_done(st);
            break;
        }
        if ((rc = db_exec_stmt(db, st, what)) != 0)
            break;
    }
    if (rc == 0)
        return db_commit(db);
    db_rollback(db);
    return rc;
}

static int put_isrc(struct db *db, sqlite3_stmt *st, const void *rows, size_t i)
{
    const struct mb_isrc_row *r = (const struct mb_isrc_row *)rows + i;
    char *recs = NULL, *arts = NULL;
    int rc = ERR_NOMEM;
    (void)db;
    if (uri_list_encode(r->recording_ids, r->n_recordings, &recs) != 0 ||
        uri_list_encode(r->artist_ids, r->n_artists, &arts) != 0)
        goto done;
    rc = ERR_INTERNAL;
    /* db_bind_text copies (the texts are freed below, before the statement runs). */
    if (db_bind_text(st, 1, r->isrc) != 0 || db_bind_int64(st, 2, r->known ? 1 : 0) != 0 ||
        db_bind_text(st, 3, recs) != 0 || db_bind_text(st, 4, arts) != 0 ||
        (r->has_year ? db_bind_int64(st, 5, r->original_year) : db_bind_text(st, 5, NULL)) != 0 ||
        db_bind_int64(st, 6, r->fetched_at) != 0)
        goto done;
    rc = 0;
done:
    free(recs);
    free(arts);
    return rc;
}

int musicbrainz_repo_put_isrcs(struct db *db, const struct mb_isrc_row *rows, size_t n)
{
    return put_all(db, STMT_PUT_ISRC, rows, n, put_isrc, "musicbrainz_repo_put_isrcs");
}

static int put_artist(struct db *db, sqlite3_stmt *st, const void *rows, size_t i)
{
    const struct mb_artist_row *r = (const struct mb_artist_row *)rows + i;
    char *genres = NULL;
    int rc = ERR_NOMEM;
    (void)db;
    if (uri_list_encode(r->genres, r->n_genres, &genres) != 0)
        return rc;
    rc = db_bind_text(st, 1, r->id) != 0 || db_bind_int64(st, 2, r->known ? 1 : 0) != 0 ||
                 db_bind_text(st, 3, genres) != 0 ||
                 db_bind_int64(st, 4, r->fetched_at) != 0
             ? ERR_INTERNAL
             : 0;
    free(genres);
    return rc;
}

int musicbrainz_repo_put_artists(struct db *db, const struct mb_artist_row *rows, size_t n)
{
    return put_all(db, STMT_PUT_ARTIST, rows, n, put_artist, "musicbrainz_repo_put_artists");
}

int musicbrainz_repo_get_state(struct db *db, struct arena *a, const char *key,
                               const char **value, int64_t *fetched_at)
{
    sqlite3_stmt *st = NULL;
    int rc;

    *value = NULL;
    *fetched_at = 0;
    if ((rc = row_by_key(db, STMT_GET_STATE, key, "musicbrainz_repo_get_state", &st)) == 0) {
        *fetched_at = sqlite3_column_int64(st, 1);
        rc = db_col_dup(st, 0, a, value);
    }
    db_stmt_done(st);
    return rc;
}

int musicbrainz_repo_put_state(struct db *db, const char *key, const char *value,
                               int64_t fetched_at)
{
    sqlite3_stmt *st = db_stmt(db, STMT_PUT_STATE);
    if (!st)
        return ERR_INTERNAL;
    if (db_bind_text(st, 1, key) != 0 || db_bind_text(st, 2, value) != 0 ||
        db_bind_int64(st, 3, fetched_at) != 0) {
        db_stmt_done(st);
        return ERR_INTERNAL;
    }
    return db_exec_stmt(db, st, "musicbrainz_repo_put_state");
}
