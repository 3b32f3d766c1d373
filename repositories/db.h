#ifndef PLAYROUTER_DB_H
#define PLAYROUTER_DB_H
/* SQLite access: one connection per thread, taken from a pool; prepared
 * statements cached per connection. Only repositories include this header. */
#include <sqlite3.h>
#include <stddef.h>

#include "lib/report.h"

struct db;      /* one connection and its statement cache; one thread at a time */
struct db_pool; /* thread-safe */

/* Opens (creating if needed) the database: WAL, foreign_keys=ON, busy_timeout,
 * synchronous=NORMAL. 0, or -1 with a message in rep. Caller frees with db_close(). */
int db_open(const char *path, struct db **out, struct report *rep);
/* Finalizes every cached statement and closes; NULL ok. */
void db_close(struct db *db);
sqlite3 *db_handle(struct db *db);

/* The cached prepared statement for `sql` (compared by content), prepared on first
 * use with SQLITE_PREPARE_PERSISTENT. Borrowed: give it back with db_stmt_done().
 * NULL on a prepare error (logged). */
sqlite3_stmt *db_stmt(struct db *db, const char *sql);
/* Resets the statement and clears its bindings; NULL ok. */
void db_stmt_done(sqlite3_stmt *st);

/* Binders: 0 or -1. A NULL text binds SQL NULL. */
int db_bind_text(sqlite3_stmt *st, int idx, const char *s);
int db_bind_int64(sqlite3_stmt *st, int idx, long long v);
/* Column text, or NULL; borrowed until the next step/reset. */
const char *db_col_text(sqlite3_stmt *st, int col);

/* Steps a bound statement that returns at most one row: 0 when it stands on a row
 * (read the columns, then db_stmt_done), ERR_NOT_FOUND when there is none,
 * ERR_INTERNAL (logged with `what`) on an error. */
int db_step_one(struct db *db, sqlite3_stmt *st, const char *what);
/* Copies column `col` into arena `a` (*out NULL for SQL NULL). 0, or ERR_NOMEM. */
struct arena;
int db_col_dup(sqlite3_stmt *st, int col, struct arena *a, const char **out);

/* Runs a statement that returns no rows (after binding). Returns 0, ERR_CONFLICT on a
 * constraint violation, ERR_INTERNAL otherwise (logged with `what`). Resets st. */
int db_exec_stmt(struct db *db, sqlite3_stmt *st, const char *what);
/* Rows changed by the last statement. */
int db_changes(struct db *db);

/* Write transactions start with BEGIN IMMEDIATE (LIBRARIES.md). 0 or ERR_INTERNAL. */
int db_begin(struct db *db);
int db_commit(struct db *db);
void db_rollback(struct db *db); /* best effort */

/* Logs sqlite's last error with context and returns ERR_INTERNAL. */
int db_log_error(struct db *db, const char *what);

/* 0 when the database answers a trivial query, else ERR_UNAVAILABLE. */
int db_ping(struct db *db);

/* A pool of `size` connections to `path`; migrations are applied once by the
 * first connection. The database file (created if needed) and its -wal, -shm and
 * -journal files are made mode 0600 first. 0 or -1 with a message in rep. Caller frees
 * with db_pool_free(). */
int db_pool_new(const char *path, int size, struct db_pool **out, struct report *rep);
void db_pool_free(struct db_pool *p);
/* Blocks until a connection is free (at most timeout_ms); NULL on timeout. */
struct db *db_pool_acquire(struct db_pool *p, int timeout_ms);
void db_pool_release(struct db_pool *p, struct db *db); /* NULL db ok */
/* Lends a held connection back to the pool while its holder waits on something slow
 * (a Spotify call), so that others may use it meanwhile; the holder must not touch it
 * until db_pool_reclaim() gives the very same connection back (pointers to it stay
 * valid: a service need not know). 0; -1 when it is inside a transaction (then it is
 * kept, and reclaim must not be called). */
int db_pool_lend(struct db_pool *p, struct db *db);
/* Takes back the connection lent with db_pool_lend(), waiting up to timeout_ms while
 * someone else uses it. 0, or ERR_UNAVAILABLE (it is then not the caller's). */
int db_pool_reclaim(struct db_pool *p, struct db *db, int timeout_ms);

#endif
