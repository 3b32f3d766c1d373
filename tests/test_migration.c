/* Migrations: fresh database, re-run is a no-op, a tampered checksum is refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>

#include "repositories/db.h"
#include "repositories/migration.h"

static const struct migration v1[] = {
    {"001_a.sql", "CREATE TABLE a (x INTEGER);"},
    {"002_b.sql", "CREATE TABLE b (y TEXT); INSERT INTO a VALUES (1);"},
    {NULL, NULL},
};

static int count(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    int n = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    return n;
}

static void test_migration_fresh_then_rerun_is_noop(void **state)
{
    sqlite3 *db;
    struct report err = {0};
    int applied = -1;
    assert_int_equal(sqlite3_open(":memory:", &db), SQLITE_OK);
    assert_int_equal(migration_apply_all(db, v1, &applied, &err), 0);
    assert_int_equal(applied, 2);
    assert_int_equal(count(db, "SELECT count(*) FROM schema_migrations"), 2);
    assert_int_equal(count(db, "SELECT count(*) FROM a"), 1);
    assert_int_equal(migration_apply_all(db, v1, &applied, &err), 0);
    assert_int_equal(applied, 0);
    assert_int_equal(count(db, "SELECT count(*) FROM a"), 1); /* not re-run */
    sqlite3_close(db);
}

static void test_migration_tampered_checksum_refused(void **state)
{
    sqlite3 *db;
    struct report err = {0};
    assert_int_equal(sqlite3_open(":memory:", &db), SQLITE_OK);
    assert_int_equal(migration_apply_all(db, v1, NULL, &err), 0);
    const struct migration changed[] = {
        {"001_a.sql", "CREATE TABLE a (x INTEGER, z INTEGER);"},
        {"002_b.sql", v1[1].sql},
        {NULL, NULL},
    };
    assert_int_equal(migration_apply_all(db, changed, NULL, &err), -1);
    assert_non_null(strstr(report_text(&err), "001_a.sql was changed after it was applied"));
    report_release(&err);
    sqlite3_close(db);
}

static void test_migration_failure_rolls_back_that_migration(void **state)
{
    sqlite3 *db;
    struct report err = {0};
    const struct migration bad[] = {
        {"001_a.sql", "CREATE TABLE a (x INTEGER);"},
        {"002_bad.sql", "CREATE TABLE c (q INTEGER); THIS IS NOT SQL;"},
        {NULL, NULL},
    };
    assert_int_equal(sqlite3_open(":memory:", &db), SQLITE_OK);
    assert_int_equal(migration_apply_all(db, bad, NULL, &err), -1);
    assert_non_null(strstr(report_text(&err), "002_bad.sql failed"));
    report_release(&err);
    assert_int_equal(count(db, "SELECT count(*) FROM schema_migrations"), 1);
    assert_int_equal(count(db, "SELECT count(*) FROM sqlite_master WHERE name = 'c'"), 0);
    sqlite3_close(db);
}

static void test_migration_unknown_recorded_refused(void **state)
{
    sqlite3 *db;
    struct report err = {0};
    assert_int_equal(sqlite3_open(":memory:", &db), SQLITE_OK);
    assert_int_equal(migration_apply_all(db, v1, NULL, &err), 0);
    const struct migration older[] = {{"001_a.sql", v1[0].sql}, {NULL, NULL}};
    assert_int_equal(migration_apply_all(db, older, NULL, &err), -1);
    assert_non_null(strstr(report_text(&err), "002_b.sql"));
    report_release(&err);
    sqlite3_close(db);
}

static void test_migration_embedded_schema_applies(void **state)
{
    struct report err = {0};
    struct db *db = NULL;
    assert_int_equal(db_open(":memory:", &db, &err), 0);
    assert_int_equal(migration_apply_all(db_handle(db), migrations_embedded, NULL, &err), 0);
    const char *tables[] = {"users", "base_playlists", "child_playlists", "sync_events"};
    for (size_t i = 0; i < 4; i++) {
        char sql[128];
        snprintf(sql, sizeof sql, "SELECT count(*) FROM sqlite_master WHERE name = '%s'", tables[i]);
        assert_int_equal(count(db_handle(db), sql), 1);
    }
    /* The lock: a second in_progress event for one base playlist is impossible. */
    assert_int_equal(sqlite3_exec(db_handle(db),
        "INSERT INTO users(id, spotify_user_id, created, updated) VALUES ('u','su','t','t');"
        "INSERT INTO base_playlists(id, user_id, spotify_playlist_id, name, created, updated)"
        " VALUES ('b','u','sp','n','t','t');"
        "INSERT INTO sync_events(id, user_id, base_playlist_id, status, started_at, created, updated)"
        " VALUES ('e1','u','b','in_progress','t','t','t');", NULL, NULL, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db_handle(db),
        "INSERT INTO sync_events(id, user_id, base_playlist_id, status, started_at, created, updated)"
        " VALUES ('e2','u','b','in_progress','t','t','t');", NULL, NULL, NULL), SQLITE_CONSTRAINT);
    assert_int_equal(sqlite3_exec(db_handle(db),
        "INSERT INTO sync_events(id, user_id, base_playlist_id, status, started_at, created, updated)"
        " VALUES ('e3','u','b','completed','t','t','t');", NULL, NULL, NULL), SQLITE_OK);
    db_close(db);
}

/* 005_liked_songs.sql on a database that already has bases: they become "playlist"
 * bases; a Liked Songs base stores '' as its playlist, one per user. */
static void test_migration_liked_source_on_existing_rows(void **state)
{
    (void)state;
    struct report err = {0};
    struct db *db = NULL;
    struct migration before[8];
    size_t n = 0;
    for (const struct migration *m = migrations_embedded; m->name; m++)
        if (strcmp(m->name, "005_liked_songs.sql") < 0 && n < 7)
            before[n++] = *m;
    before[n] = (struct migration){NULL, NULL};
    assert_int_equal(n, 4);
    assert_int_equal(db_open(":memory:", &db, &err), 0);
    sqlite3 *h = db_handle(db);
    assert_int_equal(migration_apply_all(h, before, NULL, &err), 0);
    assert_int_equal(sqlite3_exec(h,
        "INSERT INTO users(id, spotify_user_id, created, updated) VALUES ('u','su','t','t');"
        "INSERT INTO base_playlists(id, user_id, spotify_playlist_id, name, created, updated)"
        " VALUES ('b','u','sp','n','t','t');", NULL, NULL, NULL), SQLITE_OK);
    assert_int_equal(migration_apply_all(h, migrations_embedded, NULL, &err), 0);
    assert_int_equal(count(h, "SELECT count(*) FROM base_playlists WHERE source = 'playlist'"), 1);
    const char *liked = "INSERT INTO base_playlists(id, user_id, spotify_playlist_id, name, source,"
                        " created, updated) VALUES ('%s','u','%s','n','liked','t','t');";
    char sql[256];
    snprintf(sql, sizeof sql, liked, "l1", "");
    assert_int_equal(sqlite3_exec(h, sql, NULL, NULL, NULL), SQLITE_OK);
    snprintf(sql, sizeof sql, liked, "l2", ""); /* a second one for the user */
    assert_int_equal(sqlite3_exec(h, sql, NULL, NULL, NULL), SQLITE_CONSTRAINT);
    snprintf(sql, sizeof sql, liked, "l3", "sp2"); /* a liked base with a playlist */
    assert_int_equal(sqlite3_exec(h, sql, NULL, NULL, NULL), SQLITE_CONSTRAINT);
    assert_int_equal(sqlite3_exec(h,
        "INSERT INTO base_playlists(id, user_id, spotify_playlist_id, name, source, created,"
        " updated) VALUES ('p2','u','sp3','n','starred','t','t');", NULL, NULL, NULL),
        SQLITE_CONSTRAINT);
    db_close(db);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_migration_fresh_then_rerun_is_noop),
        cmocka_unit_test(test_migration_tampered_checksum_refused),
        cmocka_unit_test(test_migration_failure_rolls_back_that_migration),
        cmocka_unit_test(test_migration_unknown_recorded_refused),
        cmocka_unit_test(test_migration_embedded_schema_applies),
        cmocka_unit_test(test_migration_liked_source_on_existing_rows),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
