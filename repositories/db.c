#include "repositories/db.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "lib/app_err.h"
#include "lib/arena.h"
#include "lib/hash.h"
#include "lib/log.h"
#include "lib/report.h"
#include "repositories/migration.h"

#define STMT_MAX 384     /* distinct statements cached per connection */
#define RECENT_SLOTS 64 /* direct-mapped by the caller's pointer, in front of the table */

struct db {
    sqlite3 *h;
    /* SQL text -> its prepared statement; the key points into the statement
     * (sqlite3_sql), so no copy. */
    struct hash stmts;
    /* The statement last found for a given `sql` pointer (callers pass static
     * strings): a hit skips hashing the text. Confirmed by content, so a caller whose
     * buffer changed between calls still gets the right statement. */
    struct {
        const char *key;
        sqlite3_stmt *st;
    } recent[RECENT_SLOTS];
};

struct db_pool {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    struct db **free_list;
    int nfree, size;
    struct db **all;
};

int db_open(const char *path, struct db **out, struct report *rep)
{
    struct db *db = calloc(1, sizeof *db);
    if (!db) {
        report_message(rep, "out of memory");
        return -1;
    }
    int rc = sqlite3_open_v2(path, &db->h,
                             SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                             NULL);
    if (rc != SQLITE_OK) {
        report_message(rep, "cannot open database '%s': %s", path,
                       db->h ? sqlite3_errmsg(db->h) : sqlite3_errstr(rc));
        db_close(db);
        return -1;
    }
    sqlite3_busy_timeout(db->h, 5000);
    /* synchronous=NORMAL is corruption-safe in WAL; a power loss may lose the last
     * commits (README says so). */
    const char *pragmas = "PRAGMA journal_mode=WAL; PRAGMA foreign_keys=ON; "
                          "PRAGMA synchronous=NORMAL; PRAGMA temp_store=MEMORY;";
    char *msg = NULL;
    if (sqlite3_exec(db->h, pragmas, NULL, NULL, &msg) != SQLITE_OK) {
        report_message(rep, "cannot configure database '%s': %s", path, msg ? msg : "?");
        sqlite3_free(msg);
        db_close(db);
        return -1;
    }
    *out = db;
    return 0;
}

void db_close(struct db *db)
{
    if (!db)
        return;
    size_t pos = 0;
    for (struct hash_slot *s; (s = hash_next(&db->stmts, &pos));)
        sqlite3_finalize(s->value);
    hash_release(&db->stmts);
    if (db->h)
        sqlite3_close(db->h);
    free(db);
}

sqlite3 *db_handle(struct db *db)
{
    return db->h;
}

sqlite3_stmt *db_stmt(struct db *db, const char *sql)
{
    size_t r = ((uintptr_t)sql >> 3) % RECENT_SLOTS;
    if (db->recent[r].key == sql && strcmp(sqlite3_sql(db->recent[r].st), sql) == 0)
        return db->recent[r].st;
    sqlite3_stmt *st = hash_get(&db->stmts, sql, strlen(sql));
    struct hash_slot *slot;
    bool created;
    if (st) {
        db->recent[r].key = sql;
        db->recent[r].st = st;
        return st;
    }
    if (db->stmts.count >= STMT_MAX) {
        /* The code has far fewer distinct statements; refusing beats leaking. */
        log_error("db: statement cache full");
        return NULL;
    }
    if (sqlite3_prepare_v3(db->h, sql, -1, SQLITE_PREPARE_PERSISTENT, &st, NULL) != SQLITE_OK) {
        log_error("db: prepare failed: %s", sqlite3_errmsg(db->h));
        return NULL;
    }
    const char *text = sqlite3_sql(st);
    if (!(slot = hash_insert(&db->stmts, text, strlen(text), &created))) {
        log_error("db: out of memory caching a statement");
        sqlite3_finalize(st);
        return NULL;
    }
    if (created) {
        slot->value = st;
    } else { /* `sql` has text sqlite3_sql() leaves out: keep the first statement */
        sqlite3_finalize(st);
        st = slot->value;
    }
    db->recent[r].key = sql;
    db->recent[r].st = st;
    return st;
}

void db_stmt_done(sqlite3_stmt *st)
{
    if (!st)
        return;
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
}

int db_bind_text(sqlite3_stmt *st, int idx, const char *s)
{
    int rc = s ? sqlite3_bind_text(st, idx, s, -1, SQLITE_TRANSIENT) : sqlite3_bind_null(st, idx);
    return rc == SQLITE_OK ? 0 : -1;
}

int db_bind_int64(sqlite3_stmt *st, int idx, long long v)
{
    return sqlite3_bind_int64(st, idx, v) == SQLITE_OK ? 0 : -1;
}

const char *db_col_text(sqlite3_stmt *st, int col)
{
    return (const char *)sqlite3_column_text(st, col);
}

int db_log_error(struct db *db, const char *what)
{
    log_error("db: %s: %s", what, sqlite3_errmsg(db->h));
    return ERR_INTERNAL;
}

int db_step_one(struct db *db, sqlite3_stmt *st, const char *what)
{
    switch (sqlite3_step(st)) {
    case SQLITE_ROW:
        return 0;
    case SQLITE_DONE:
        return ERR_NOT_FOUND;
    default:
        return db_log_error(db, what);
    }
}

int db_col_dup(sqlite3_stmt *st, int col, struct arena *a, const char **out)
{
    const char *s = db_col_text(st, col);
    if (!s) {
        *out = NULL;
        return 0;
    }
    *out = arena_strdup(a, s);
    return *out ? 0 : ERR_NOMEM;
}

int db_exec_stmt(struct db *db, sqlite3_stmt *st, const char *what)
{
    int rc = sqlite3_step(st);
    int out = 0;
    if (rc == SQLITE_CONSTRAINT || (rc & 0xff) == SQLITE_CONSTRAINT)
        out = ERR_CONFLICT;
    else if (rc != SQLITE_DONE && rc != SQLITE_ROW)
        out = db_log_error(db, what);
    db_stmt_done(st);
    return out;
}

int db_changes(struct db *db)
{
    return sqlite3_changes(db->h);
}

static int exec_simple(struct db *db, const char *sql)
{
    sqlite3_stmt *st = db_stmt(db, sql);
    if (!st)
        return ERR_INTERNAL;
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? 0 : db_log_error(db, sql);
}

int db_begin(struct db *db)
{
    return exec_simple(db, "BEGIN IMMEDIATE");
}

int db_commit(struct db *db)
{
    return exec_simple(db, "COMMIT");
}

void db_rollback(struct db *db)
{
    if (!sqlite3_get_autocommit(db->h))
        sqlite3_exec(db->h, "ROLLBACK", NULL, NULL, NULL);
}

/* Makes the database file and SQLite's files beside it private to the server's user
 * (docs/SECURITY.md): the database is created 0600 before SQLite opens it (SQLite gives
 * its -wal and -shm files the database file's mode, whatever the umask), and files an
 * older version or another umask left open to others are tightened. 0, or -1 with a
 * message in rep. */
static int protect_files(const char *path, struct report *rep)
{
    static const char *const suffixes[] = {"", "-wal", "-shm", "-journal"};
    char name[4096];
    struct stat st;

    if (path[0] == ':' || strncmp(path, "file:", 5) == 0)
        return 0; /* in memory, or a URI: SQLite's business */
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd >= 0)
        close(fd); /* an error here is SQLite's to report, with its own words */
    for (size_t i = 0; i < sizeof suffixes / sizeof suffixes[0]; i++) {
        if (snprintf(name, sizeof name, "%s%s", path, suffixes[i]) >= (int)sizeof name) {
            report_message(rep, "database path too long");
            return -1;
        }
        if (stat(name, &st) != 0 || (st.st_mode & 077) == 0)
            continue;
        if (chmod(name, 0600) != 0) {
            report_message(rep, "cannot make '%s' private to this user (mode 0600): %s", name,
                           strerror(errno));
            return -1;
        }
        log_warn("database file %s was readable by other users: now mode 0600", name);
    }
    return 0;
}

int db_pool_new(const char *path, int size, struct db_pool **out, struct report *rep)
{
    /* SQLite's memory statistics take one process-wide mutex on every malloc and free
     * of every connection: under load the polling threads queued on it (a third of the
     * futex calls of a sync-status request). Nothing reads the statistics. This must
     * come before SQLite initialises (the first open); later it is refused with
     * SQLITE_MISUSE and changes nothing, which is harmless. */
    (void)sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
    if (protect_files(path, rep) != 0)
        return -1;
    struct db_pool *p = calloc(1, sizeof *p);
    if (!p || !(p->free_list = calloc((size_t)size, sizeof(struct db *))) ||
        !(p->all = calloc((size_t)size, sizeof(struct db *)))) {
        report_message(rep, "out of memory");
        db_pool_free(p);
        return -1;
    }
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->cv, NULL);
    for (int i = 0; i < size; i++) {
        if (db_open(path, &p->all[i], rep) != 0) {
            db_pool_free(p);
            return -1;
        }
        p->size++;
        if (i == 0 &&
            migration_apply_all(db_handle(p->all[0]), migrations_embedded, NULL, rep) != 0) {
            db_pool_free(p);
            return -1;
        }
        p->free_list[p->nfree++] = p->all[i];
    }
    *out = p;
    return 0;
}

void db_pool_free(struct db_pool *p)
{
    if (!p)
        return;
    for (int i = 0; i < p->size; i++)
        db_close(p->all[i]);
    if (p->all) {
        pthread_mutex_destroy(&p->mu);
        pthread_cond_destroy(&p->cv);
    }
    free(p->all);
    free(p->free_list);
    free(p);
}

struct db *db_pool_acquire(struct db_pool *p, int timeout_ms)
{
    struct timespec deadline;
    clock_gettime(CLOCK_REALTIME, &deadline);
    deadline.tv_sec += timeout_ms / 1000;
    deadline.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
    if (deadline.tv_nsec >= 1000000000L) {
        deadline.tv_sec++;
        deadline.tv_nsec -= 1000000000L;
    }
    struct db *db = NULL;
    pthread_mutex_lock(&p->mu);
    while (p->nfree == 0) {
        if (pthread_cond_timedwait(&p->cv, &p->mu, &deadline) == ETIMEDOUT)
            break;
    }
    if (p->nfree > 0)
        db = p->free_list[--p->nfree];
    pthread_mutex_unlock(&p->mu);
    if (!db)
        log_error("db: no free connection after %d ms", timeout_ms);
    return db;
}

void db_pool_release(struct db_pool *p, struct db *db)
{
    if (!db)
        return;
    db_rollback(db); /* a handler that forgot to commit must not leak its transaction */
    pthread_mutex_lock(&p->mu);
    p->free_list[p->nfree++] = db;
    /* Broadcast: a reclaimer waits for this very connection, an acquirer for any. */
    pthread_cond_broadcast(&p->cv);
    pthread_mutex_unlock(&p->mu);
}

int db_pool_lend(struct db_pool *p, struct db *db)
{
    if (!db || !sqlite3_get_autocommit(db->h))
        return -1; /* inside a transaction: keep it */
    db_pool_release(p, db);
    return 0;
}

int db_pool_reclaim(struct db_pool *p, struct db *db, int timeout_ms)
{
    struct timespec deadline;
    int got = 0;
    clock_gettime(CLOCK_REALTIME, &deadline);
    deadline.tv_sec += timeout_ms / 1000;
    deadline.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
    if (deadline.tv_nsec >= 1000000000L) {
        deadline.tv_sec++;
        deadline.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&p->mu);
    for (;;) {
        for (int i = 0; i < p->nfree; i++)
            if (p->free_list[i] == db) {
                p->free_list[i] = p->free_list[--p->nfree];
                got = 1;
                break;
            }
        if (got || pthread_cond_timedwait(&p->cv, &p->mu, &deadline) == ETIMEDOUT)
            break;
    }
    pthread_mutex_unlock(&p->mu);
    if (!got)
        log_error("db: the lent connection did not come back within %d ms", timeout_ms);
    return got ? 0 : ERR_UNAVAILABLE;
}

int db_ping(struct db *db)
{
    sqlite3_stmt *st = db_stmt(db, "SELECT count(*) FROM schema_migrations");
    if (!st)
        return ERR_UNAVAILABLE;
    int rc = sqlite3_step(st);
    db_stmt_done(st);
    return rc == SQLITE_ROW ? 0 : ERR_UNAVAILABLE;
}
