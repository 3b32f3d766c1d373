/* Fixture of the sync unit tests: a temporary SQLite file with every migration, two
 * users (ua, ub), a base of ua (b1, two children c1 c2), a base of ub (b2). Header-only:
 * included by tests/test_sync_*.c. */
#ifndef PLAYROUTER_TEST_SYNC_FIXTURE_H
#define PLAYROUTER_TEST_SYNC_FIXTURE_H
#include <setjmp.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stddef.h>
/* cmocka.h needs setjmp.h, stdarg.h and stddef.h first. */
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "test_tmpdb.h"
#include "repositories/db.h"
#include "repositories/migration.h"
#include "lib/arena.h"

struct fx {
    char dir[64];
    char path[128];
    struct db *db;
    struct arena *a;
};

static void exec_sql(struct db *db, const char *sql)
{
    char *msg = NULL;
    if (sqlite3_exec(db_handle(db), sql, NULL, NULL, &msg) != SQLITE_OK)
        fail_msg("%s: %s", sql, msg ? msg : "?");
}

static __attribute__((unused)) long long count(struct db *db, const char *sql)
{
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_prepare_v2(db_handle(db), sql, -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    long long n = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return n;
}

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof *f);
    struct report err = {0};
    assert_non_null(f);
    strcpy(f->dir, "/tmp/playrouter-sync-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    snprintf(f->path, sizeof f->path, "%s/t.db", f->dir);
    assert_int_equal(db_open(f->path, &f->db, &err), 0);
    assert_int_equal(migration_apply_all(db_handle(f->db), migrations_embedded, NULL, &err), 0);
    exec_sql(f->db,
             "INSERT INTO users (id, spotify_user_id, created, updated) VALUES "
             "('ua', 'spa', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z'),"
             "('ub', 'spb', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z');"
             "INSERT INTO base_playlists (id, user_id, spotify_playlist_id, name, created, updated)"
             " VALUES ('b1', 'ua', 'spb1', 'Base', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z'),"
             "('b2', 'ub', 'spb2', 'Other', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z');"
             "INSERT INTO child_playlists (id, user_id, base_playlist_id, spotify_playlist_id, "
             "name, filter, position, created, updated) VALUES "
             "('c1', 'ua', 'b1', 'spc1', 'One', '{\"all\":[]}', 0, '2026-01-01T00:00:00Z', "
             "'2026-01-01T00:00:00Z'),"
             "('c2', 'ua', 'b1', 'spc2', 'Two', '{\"all\":[]}', 1, '2026-01-01T00:00:00Z', "
             "'2026-01-01T00:00:00Z');");
    assert_non_null(f->a = arena_new());
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;
    db_close(f->db);
    arena_free(f->a);
    test_tmpdb_remove(f->path, f->dir);
    free(f);
    return 0;
}

#endif
