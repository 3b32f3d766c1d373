/* Base / child playlist repositories and sync_event_repo_find_active against a
 * temporary SQLite file with every migration applied: scoping by user, version
 * compare-and-set, dense positions, the all-or-nothing replace, cascades. */
// clang-format off
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
// clang-format on
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "test_tmpdb.h"
#include "repositories/base_playlist_repo.h"
#include "repositories/child_playlist_repo.h"
#include "repositories/db.h"
#include "repositories/migration.h"
#include "repositories/sync_event_repo.h"
#include "lib/app_err.h"
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
    int rc = sqlite3_exec(db_handle(db), sql, NULL, NULL, &msg);
    if (rc != SQLITE_OK)
        fail_msg("%s: %s", sql, msg ? msg : "?");
}

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof *f);
    struct report err = {0};
    assert_non_null(f);
    strcpy(f->dir, "/tmp/playrouter-plrepo-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    snprintf(f->path, sizeof f->path, "%s/t.db", f->dir);
    assert_int_equal(db_open(f->path, &f->db, &err), 0);
    assert_int_equal(migration_apply_all(db_handle(f->db), migrations_embedded, NULL, &err), 0);
    exec_sql(f->db, "INSERT INTO users (id, spotify_user_id, created, updated) VALUES "
                    "('ua', 'spa', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z'),"
                    "('ub', 'spb', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z')");
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

static long long count(struct db *db, const char *sql)
{
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_prepare_v2(db_handle(db), sql, -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    long long n = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return n;
}

/* Every column of every child, in id order: compares a whole table state. Caller frees. */
static char *children_dump(struct db *db)
{
    sqlite3_stmt *st;
    const char *sql =
        "SELECT group_concat(id || '|' || user_id || '|' || base_playlist_id || '|' || "
        "spotify_playlist_id || '|' || name || '|' || filter || '|' || ifnull(sort, '-') || '|' "
        "|| ifnull(limit_n, '-') || '|' || position || '|' || catch_all || '|' || "
        "pinned_track_ids || '|' || banned_track_ids || '|' || version || '|' || updated, "
        "char(10)) FROM (SELECT * FROM child_playlists ORDER BY id)";
    assert_int_equal(sqlite3_prepare_v2(db_handle(db), sql, -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    const char *s = (const char *)sqlite3_column_text(st, 0);
    char *out = strdup(s ? s : "");
    sqlite3_finalize(st);
    return out;
}

static struct base_playlist base_of(const char *id, const char *user, const char *spotify,
                                    const char *created)
{
    struct base_playlist bp = {.id = id,
                               .user_id = user,
                               .spotify_playlist_id = spotify,
                               .name = "Base",
                               .routing = "all",
                               .version = 1,
                               .created = created,
                               .updated = created};
    return bp;
}

static struct child_playlist child_of(const char *id, const char *user, const char *base,
                                      const char *spotify, int64_t position)
{
    struct child_playlist cp = {.id = id,
                                .user_id = user,
                                .base_playlist_id = base,
                                .spotify_playlist_id = spotify,
                                .name = id,
                                .filter = "{\"all\":[]}",
                                .position = position,
                                .pinned_track_ids = "[]",
                                .banned_track_ids = "[]",
                                .version = 1,
                                .created = "2026-01-01T00:00:00Z",
                                .updated = "2026-01-01T00:00:00Z"};
    return cp;
}

static void add_base(struct fx *f, const char *id, const char *user, const char *spotify)
{
    struct base_playlist bp = base_of(id, user, spotify, "2026-01-01T00:00:00Z");
    assert_int_equal(base_playlist_repo_insert(f->db, &bp), 0);
}

static void add_child(struct fx *f, const char *id, const char *user, const char *base,
                      const char *spotify, int64_t position)
{
    struct child_playlist cp = child_of(id, user, base, spotify, position);
    assert_int_equal(child_playlist_repo_insert(f->db, &cp, NULL), 0);
}

static int64_t position_of(struct fx *f, const char *user, const char *id)
{
    struct child_playlist cp;
    assert_int_equal(child_playlist_repo_find(f->db, f->a, user, id, &cp), 0);
    return cp.position;
}

static int64_t version_of(struct fx *f, const char *user, const char *id)
{
    struct child_playlist cp;
    assert_int_equal(child_playlist_repo_find(f->db, f->a, user, id, &cp), 0);
    return cp.version;
}

/* ---- base playlists ---- */

static void test_playlist_repo_base_scoped_by_user(void **state)
{
    struct fx *f = *state;
    struct base_playlist bp;
    add_base(f, "b1", "ua", "spA");

    assert_int_equal(base_playlist_repo_find(f->db, f->a, "ua", "b1", &bp), 0);
    assert_string_equal(bp.spotify_playlist_id, "spA");
    assert_string_equal(bp.routing, "all");
    assert_int_equal(bp.version, 1);
    assert_null(bp.last_synced_at);

    assert_int_equal(base_playlist_repo_find(f->db, f->a, "ub", "b1", &bp), ERR_NOT_FOUND);
    assert_int_equal(base_playlist_repo_find_by_spotify_id(f->db, f->a, "ub", "spA", &bp),
                     ERR_NOT_FOUND);
    struct base_playlist upd = base_of("b1", "ub", "spA", "2026-02-02T00:00:00Z");
    upd.name = "stolen";
    assert_int_equal(base_playlist_repo_update(f->db, &upd, 1), ERR_NOT_FOUND);
    assert_int_equal(base_playlist_repo_delete(f->db, "ub", "b1", 0), ERR_NOT_FOUND);

    assert_int_equal(base_playlist_repo_find(f->db, f->a, "ua", "b1", &bp), 0);
    assert_string_equal(bp.name, "Base");
    assert_int_equal(bp.version, 1);
}

static void test_playlist_repo_base_version_compare_and_set(void **state)
{
    struct fx *f = *state;
    struct base_playlist bp;
    add_base(f, "b1", "ua", "spA");

    struct base_playlist upd = base_of("b1", "ua", "spA", "2026-01-01T00:00:00Z");
    upd.name = "Renamed";
    upd.routing = "first_match";
    upd.auto_sync_minutes = 30;
    upd.updated = "2026-03-03T00:00:00Z";
    assert_int_equal(base_playlist_repo_update(f->db, &upd, 1), 0);
    assert_int_equal(base_playlist_repo_find(f->db, f->a, "ua", "b1", &bp), 0);
    assert_int_equal(bp.version, 2);
    assert_string_equal(bp.name, "Renamed");
    assert_string_equal(bp.routing, "first_match");
    assert_int_equal(bp.auto_sync_minutes, 30);
    assert_string_equal(bp.updated, "2026-03-03T00:00:00Z");
    assert_string_equal(bp.created, "2026-01-01T00:00:00Z");

    upd.name = "Stale write";
    assert_int_equal(base_playlist_repo_update(f->db, &upd, 1), ERR_VERSION_MISMATCH);
    assert_int_equal(base_playlist_repo_delete(f->db, "ua", "b1", 1), ERR_VERSION_MISMATCH);
    assert_int_equal(base_playlist_repo_find(f->db, f->a, "ua", "b1", &bp), 0);
    assert_string_equal(bp.name, "Renamed");
    assert_int_equal(bp.version, 2);

    assert_int_equal(base_playlist_repo_delete(f->db, "ua", "b1", 2), 0);
    assert_int_equal(base_playlist_repo_find(f->db, f->a, "ua", "b1", &bp), ERR_NOT_FOUND);
    assert_int_equal(base_playlist_repo_delete(f->db, "ua", "b1", 0), ERR_NOT_FOUND);
}

static void test_playlist_repo_base_duplicate_spotify_is_conflict(void **state)
{
    struct fx *f = *state;
    add_base(f, "b1", "ua", "spA");
    struct base_playlist dup = base_of("b2", "ua", "spA", "2026-01-01T00:00:00Z");
    assert_int_equal(base_playlist_repo_insert(f->db, &dup), ERR_CONFLICT);
    /* Another user may base a playlist on the same Spotify playlist. */
    struct base_playlist other = base_of("b3", "ub", "spA", "2026-01-01T00:00:00Z");
    assert_int_equal(base_playlist_repo_insert(f->db, &other), 0);
    assert_int_equal(count(f->db, "SELECT count(*) FROM base_playlists"), 2);
}

/* A Liked Songs base: no Spotify playlist (NULL both ways), one per user, found by
 * base_playlist_repo_find_liked(); a playlist base reads back as source "playlist". */
static void test_playlist_repo_liked_base(void **state)
{
    struct fx *f = *state;
    struct base_playlist got, liked = base_of("l1", "ua", NULL, "2026-01-01T00:00:00Z");
    liked.source = BASE_SOURCE_LIKED;
    add_base(f, "b1", "ua", "spA");
    assert_int_equal(base_playlist_repo_find_liked(f->db, f->a, "ua", &got), ERR_NOT_FOUND);
    assert_int_equal(base_playlist_repo_insert(f->db, &liked), 0);
    assert_int_equal(base_playlist_repo_find(f->db, f->a, "ua", "l1", &got), 0);
    assert_string_equal(got.source, "liked");
    assert_true(base_playlist_is_liked(&got));
    assert_null(got.spotify_playlist_id);
    assert_int_equal(base_playlist_repo_find_liked(f->db, f->a, "ua", &got), 0);
    assert_string_equal(got.id, "l1");
    assert_int_equal(base_playlist_repo_find_liked(f->db, f->a, "ub", &got), ERR_NOT_FOUND);
    assert_int_equal(base_playlist_repo_find(f->db, f->a, "ua", "b1", &got), 0);
    assert_string_equal(got.source, "playlist");
    assert_false(base_playlist_is_liked(&got));
    /* a second Liked Songs base of the same user: refused; another user's: fine */
    struct base_playlist again = base_of("l2", "ua", NULL, "2026-01-01T00:00:00Z");
    again.source = BASE_SOURCE_LIKED;
    assert_int_equal(base_playlist_repo_insert(f->db, &again), ERR_CONFLICT);
    again.user_id = "ub";
    assert_int_equal(base_playlist_repo_insert(f->db, &again), 0);
    /* the stored row: '' as the playlist (migration 005) */
    assert_int_equal(count(f->db, "SELECT count(*) FROM base_playlists WHERE source = 'liked' "
                                  "AND spotify_playlist_id = ''"),
                     2);
}

static void test_playlist_repo_base_list_pages(void **state)
{
    struct fx *f = *state;
    struct base_playlist *items;
    size_t n;
    int more;
    const char *times[] = {"2026-01-03T00:00:00Z", "2026-01-01T00:00:00Z", "2026-01-02T00:00:00Z",
                           "2026-01-02T00:00:00Z"};
    const char *ids[] = {"b4", "b1", "b3", "b2"};
    for (int i = 0; i < 4; i++) {
        char sp[8];
        snprintf(sp, sizeof sp, "sp%d", i);
        struct base_playlist bp = base_of(ids[i], "ua", sp, times[i]);
        assert_int_equal(base_playlist_repo_insert(f->db, &bp), 0);
    }
    add_base(f, "bx", "ub", "spB");

    assert_int_equal(base_playlist_repo_list(f->db, f->a, "ua", NULL, NULL, 2, &items, &n, &more),
                     0);
    assert_int_equal(n, 2);
    assert_int_equal(more, 1);
    assert_string_equal(items[0].id, "b1");
    assert_string_equal(items[1].id, "b2"); /* same created as b3: id breaks the tie */
    assert_int_equal(base_playlist_repo_list(f->db, f->a, "ua", items[1].created, items[1].id, 2,
                                             &items, &n, &more),
                     0);
    assert_int_equal(n, 2);
    assert_int_equal(more, 0);
    assert_string_equal(items[0].id, "b3");
    assert_string_equal(items[1].id, "b4");

    assert_int_equal(base_playlist_repo_list(f->db, f->a, "ub", NULL, NULL, 50, &items, &n, &more),
                     0);
    assert_int_equal(n, 1);
    assert_string_equal(items[0].id, "bx");
}

/* ---- child playlists ---- */

static void test_playlist_repo_child_scoped_by_user(void **state)
{
    struct fx *f = *state;
    struct child_playlist cp, *items;
    size_t n;
    char base[64];
    add_base(f, "b1", "ua", "spA");
    add_child(f, "c1", "ua", "b1", "spC1", 0);

    assert_int_equal(child_playlist_repo_find(f->db, f->a, "ub", "c1", &cp), ERR_NOT_FOUND);
    assert_int_equal(child_playlist_repo_list_by_base(f->db, f->a, "ub", "b1", &items, &n), 0);
    assert_int_equal(n, 0);
    assert_int_equal(child_playlist_repo_base_id(f->db, "ub", "c1", base, sizeof base),
                     ERR_NOT_FOUND);
    assert_int_equal(child_playlist_repo_find_by_spotify_id(f->db, f->a, "ub", "spC1", &cp),
                     ERR_NOT_FOUND);
    struct child_playlist upd = child_of("c1", "ub", "b1", "spX", 0);
    assert_int_equal(child_playlist_repo_update(f->db, &upd, 1), ERR_NOT_FOUND);
    assert_int_equal(child_playlist_repo_delete(f->db, "ub", "c1", 0), ERR_NOT_FOUND);
    /* B cannot add a child to A's base either. */
    struct child_playlist intruder = child_of("c9", "ub", "b1", "spC9", 0);
    assert_int_equal(child_playlist_repo_insert(f->db, &intruder, NULL), ERR_NOT_FOUND);

    assert_int_equal(child_playlist_repo_find(f->db, f->a, "ua", "c1", &cp), 0);
    assert_string_equal(cp.spotify_playlist_id, "spC1");
    assert_int_equal(cp.version, 1);
    assert_int_equal(child_playlist_repo_base_id(f->db, "ua", "c1", base, sizeof base), 0);
    assert_string_equal(base, "b1");
    assert_int_equal(count(f->db, "SELECT count(*) FROM child_playlists"), 1);
}

static void test_playlist_repo_child_fields_round_trip(void **state)
{
    struct fx *f = *state;
    struct child_playlist cp = child_of("c1", "ua", "b1", "spC1", 0), got;
    add_base(f, "b1", "ua", "spA");
    cp.filter = "{\"field\":\"artist_name\",\"op\":\"eq\",\"value\":\"Björk\"}";
    cp.sort = "{\"by\":\"release_date\",\"order\":\"desc\"}";
    cp.has_limit = true;
    cp.limit = 0;
    cp.catch_all = true;
    cp.pinned_track_ids = "[\"t1\",\"t2\"]";
    cp.banned_track_ids = "[\"t3\"]";
    assert_int_equal(child_playlist_repo_insert(f->db, &cp, NULL), 0);
    assert_int_equal(child_playlist_repo_find(f->db, f->a, "ua", "c1", &got), 0);
    assert_string_equal(got.filter, cp.filter);
    assert_string_equal(got.sort, cp.sort);
    assert_true(got.has_limit);
    assert_int_equal(got.limit, 0);
    assert_true(got.catch_all);
    assert_string_equal(got.pinned_track_ids, "[\"t1\",\"t2\"]");
    assert_string_equal(got.banned_track_ids, "[\"t3\"]");
    assert_string_equal(got.base_playlist_id, "b1");

    struct child_playlist plain = child_of("c2", "ua", "b1", "spC2", 9);
    assert_int_equal(child_playlist_repo_insert(f->db, &plain, NULL), 0);
    assert_int_equal(child_playlist_repo_find(f->db, f->a, "ua", "c2", &got), 0);
    assert_null(got.sort);
    assert_false(got.has_limit);
    assert_false(got.catch_all);
    assert_int_equal(got.position, 1); /* clamped to the end */
}

static void test_playlist_repo_child_insert_shifts_positions(void **state)
{
    struct fx *f = *state;
    int64_t pos = -1;
    add_base(f, "b1", "ua", "spA");
    add_child(f, "c1", "ua", "b1", "s1", 0);
    add_child(f, "c2", "ua", "b1", "s2", 1);
    struct child_playlist mid = child_of("c3", "ua", "b1", "s3", 1);
    assert_int_equal(child_playlist_repo_insert(f->db, &mid, &pos), 0);
    assert_int_equal(pos, 1);
    assert_int_equal(position_of(f, "ua", "c1"), 0);
    assert_int_equal(position_of(f, "ua", "c3"), 1);
    assert_int_equal(position_of(f, "ua", "c2"), 2);
    assert_int_equal(version_of(f, "ua", "c1"), 1);
    assert_int_equal(version_of(f, "ua", "c2"), 2); /* moved: its representation changed */
    assert_int_equal(version_of(f, "ua", "c3"), 1);
}

static void test_playlist_repo_child_unique_constraints(void **state)
{
    struct fx *f = *state;
    add_base(f, "b1", "ua", "spA");
    add_base(f, "b2", "ua", "spB");
    add_child(f, "c1", "ua", "b1", "s1", 0);
    /* A Spotify playlist is the target of one child of a user, across bases. */
    struct child_playlist dup = child_of("c2", "ua", "b2", "s1", 0);
    assert_int_equal(child_playlist_repo_insert(f->db, &dup, NULL), ERR_CONFLICT);
    /* Another user's child may use it. */
    add_base(f, "bb", "ub", "spA");
    add_child(f, "cb", "ub", "bb", "s1", 0);
    /* One catch-all per base. */
    struct child_playlist ca1 = child_of("c3", "ua", "b1", "s3", 1);
    struct child_playlist ca2 = child_of("c4", "ua", "b1", "s4", 2);
    ca1.catch_all = ca2.catch_all = true;
    assert_int_equal(child_playlist_repo_insert(f->db, &ca1, NULL), 0);
    assert_int_equal(child_playlist_repo_insert(f->db, &ca2, NULL), ERR_CONFLICT);
    /* A failed insert rolled back its position shift too. */
    assert_int_equal(position_of(f, "ua", "c1"), 0);
    assert_int_equal(position_of(f, "ua", "c3"), 1);
    assert_int_equal(version_of(f, "ua", "c3"), 1);
}

static void test_playlist_repo_child_update_cas_and_move(void **state)
{
    struct fx *f = *state;
    struct child_playlist got;
    add_base(f, "b1", "ua", "spA");
    add_child(f, "c0", "ua", "b1", "s0", 0);
    add_child(f, "c1", "ua", "b1", "s1", 1);
    add_child(f, "c2", "ua", "b1", "s2", 2);
    add_child(f, "c3", "ua", "b1", "s3", 3);

    struct child_playlist upd = child_of("c3", "ua", "b1", "s3-new", 1);
    upd.name = "moved";
    upd.updated = "2026-05-05T00:00:00Z";
    assert_int_equal(child_playlist_repo_update(f->db, &upd, 1), 0);
    assert_int_equal(child_playlist_repo_find(f->db, f->a, "ua", "c3", &got), 0);
    assert_int_equal(got.version, 2);
    assert_int_equal(got.position, 1);
    assert_string_equal(got.name, "moved");
    assert_string_equal(got.spotify_playlist_id, "s3-new");
    assert_string_equal(got.updated, "2026-05-05T00:00:00Z");
    assert_int_equal(position_of(f, "ua", "c0"), 0);
    assert_int_equal(position_of(f, "ua", "c1"), 2);
    assert_int_equal(position_of(f, "ua", "c2"), 3);
    assert_int_equal(version_of(f, "ua", "c0"), 1);
    assert_int_equal(version_of(f, "ua", "c1"), 2);

    /* Stale version: nothing changes. */
    upd.name = "stale";
    upd.position = 3;
    assert_int_equal(child_playlist_repo_update(f->db, &upd, 1), ERR_VERSION_MISMATCH);
    assert_int_equal(child_playlist_repo_find(f->db, f->a, "ua", "c3", &got), 0);
    assert_string_equal(got.name, "moved");
    assert_int_equal(got.position, 1);

    /* Move down to the end (clamped). */
    upd.name = "last";
    upd.position = 99;
    assert_int_equal(child_playlist_repo_update(f->db, &upd, 2), 0);
    assert_int_equal(position_of(f, "ua", "c0"), 0);
    assert_int_equal(position_of(f, "ua", "c1"), 1);
    assert_int_equal(position_of(f, "ua", "c2"), 2);
    assert_int_equal(position_of(f, "ua", "c3"), 3);
}

static void test_playlist_repo_child_delete_closes_gap(void **state)
{
    struct fx *f = *state;
    add_base(f, "b1", "ua", "spA");
    add_child(f, "c0", "ua", "b1", "s0", 0);
    add_child(f, "c1", "ua", "b1", "s1", 1);
    add_child(f, "c2", "ua", "b1", "s2", 2);
    assert_int_equal(child_playlist_repo_delete(f->db, "ua", "c1", 2), ERR_VERSION_MISMATCH);
    assert_int_equal(child_playlist_repo_delete(f->db, "ua", "c1", 1), 0);
    assert_int_equal(position_of(f, "ua", "c0"), 0);
    assert_int_equal(position_of(f, "ua", "c2"), 1);
    assert_int_equal(child_playlist_repo_delete(f->db, "ua", "c1", 0), ERR_NOT_FOUND);
}

/* ---- replace ---- */

static struct child_playlist_put put_of(const char *id, bool create, const char *spotify,
                                        int64_t position)
{
    struct child_playlist_put p = {.cp = child_of(id, "ua", "b1", spotify, position),
                                   .create = create};
    return p;
}

static void test_playlist_repo_replace_all_applies_set(void **state)
{
    struct fx *f = *state;
    struct child_playlist *items;
    size_t n, bad = 99;
    add_base(f, "b1", "ua", "spA");
    add_child(f, "c0", "ua", "b1", "s0", 0);
    add_child(f, "c1", "ua", "b1", "s1", 1);
    add_child(f, "c2", "ua", "b1", "s2", 2);

    struct child_playlist_put puts[3] = {
        put_of("c2", false, "s2", 0), /* moved to the front */
        put_of("cn", true, "sn", 1),  /* new */
        put_of("c0", false, "s0", 2), /* moved to the end */
    };
    puts[0].cp.name = "c2"; /* same name as stored */
    assert_int_equal(child_playlist_repo_replace_all(f->db, "ua", "b1", puts, 3, &bad), 0);
    assert_int_equal(child_playlist_repo_list_by_base(f->db, f->a, "ua", "b1", &items, &n), 0);
    assert_int_equal(n, 3);
    assert_string_equal(items[0].id, "c2");
    assert_string_equal(items[1].id, "cn");
    assert_string_equal(items[2].id, "c0");
    assert_int_equal(items[0].version, 2); /* position changed */
    assert_int_equal(items[1].version, 1);
    assert_int_equal(items[2].version, 2);
    assert_int_equal(count(f->db, "SELECT count(*) FROM child_playlists WHERE id = 'c1'"), 0);

    /* The same set again (cn now an update) changes nothing: versions stay. */
    puts[1].create = false;
    assert_int_equal(child_playlist_repo_replace_all(f->db, "ua", "b1", puts, 3, &bad), 0);
    assert_int_equal(child_playlist_repo_list_by_base(f->db, f->a, "ua", "b1", &items, &n), 0);
    assert_int_equal(n, 3);
    assert_int_equal(items[0].version, 2);
    assert_int_equal(items[1].version, 1);
    assert_int_equal(items[2].version, 2);

    /* An empty set deletes every child. */
    assert_int_equal(child_playlist_repo_replace_all(f->db, "ua", "b1", puts, 0, &bad), 0);
    assert_int_equal(count(f->db, "SELECT count(*) FROM child_playlists"), 0);
}

static void test_playlist_repo_replace_all_identical_keeps_versions(void **state)
{
    struct fx *f = *state;
    size_t bad;
    add_base(f, "b1", "ua", "spA");
    add_child(f, "c0", "ua", "b1", "s0", 0);
    add_child(f, "c1", "ua", "b1", "s1", 1);
    struct child_playlist_put puts[2] = {put_of("c0", false, "s0", 0),
                                         put_of("c1", false, "s1", 1)};
    puts[1].cp.updated = "2030-01-01T00:00:00Z";
    char *before = children_dump(f->db);
    assert_int_equal(child_playlist_repo_replace_all(f->db, "ua", "b1", puts, 2, &bad), 0);
    char *after = children_dump(f->db);
    assert_string_equal(before, after);
    free(before);
    free(after);
}

static void test_playlist_repo_replace_all_failure_leaves_previous_set(void **state)
{
    struct fx *f = *state;
    size_t bad = 99;
    add_base(f, "b1", "ua", "spA");
    add_base(f, "b2", "ua", "spB");
    add_child(f, "c0", "ua", "b1", "s0", 0);
    add_child(f, "c1", "ua", "b1", "s1", 1);
    add_child(f, "c2", "ua", "b1", "s2", 2);
    add_child(f, "other", "ua", "b2", "sOther", 0);
    char *before = children_dump(f->db);

    /* Items 0 and 1 would succeed (an update with new values, a create); item 2 takes a
     * Spotify playlist that a child of another base holds: the unique index fails. */
    struct child_playlist_put puts[3] = {
        put_of("c1", false, "s1-new", 0),
        put_of("cn", true, "sn", 1),
        put_of("cm", true, "sOther", 2),
    };
    puts[0].cp.name = "renamed";
    assert_int_equal(child_playlist_repo_replace_all(f->db, "ua", "b1", puts, 3, &bad),
                     ERR_CONFLICT);
    assert_int_equal(bad, 2);
    char *after = children_dump(f->db);
    assert_string_equal(before, after);
    free(after);

    /* A stale version on item 1: nothing either. */
    struct child_playlist_put stale[2] = {put_of("c0", false, "s0", 1),
                                          put_of("c2", false, "s2", 0)};
    stale[1].expected_version = 7;
    assert_int_equal(child_playlist_repo_replace_all(f->db, "ua", "b1", stale, 2, &bad),
                     ERR_VERSION_MISMATCH);
    assert_int_equal(bad, 1);
    after = children_dump(f->db);
    assert_string_equal(before, after);
    free(after);

    /* An id of another base (or user): ERR_VALIDATION naming it, nothing written. */
    struct child_playlist_put foreign[2] = {put_of("c0", false, "s0", 0),
                                            put_of("other", false, "sOther", 1)};
    assert_int_equal(child_playlist_repo_replace_all(f->db, "ua", "b1", foreign, 2, &bad),
                     ERR_VALIDATION);
    assert_int_equal(bad, 1);
    assert_int_equal(child_playlist_repo_replace_all(f->db, "ub", "b1", foreign, 1, &bad),
                     ERR_NOT_FOUND);
    after = children_dump(f->db);
    assert_string_equal(before, after);
    free(after);
    free(before);
}

static void test_playlist_repo_replace_all_swaps_catch_all_and_spotify(void **state)
{
    struct fx *f = *state;
    struct child_playlist got;
    size_t bad;
    add_base(f, "b1", "ua", "spA");
    struct child_playlist c0 = child_of("c0", "ua", "b1", "s0", 0);
    c0.catch_all = true;
    assert_int_equal(child_playlist_repo_insert(f->db, &c0, NULL), 0);
    add_child(f, "c1", "ua", "b1", "s1", 1);

    /* c1 takes the catch-all flag and c0's Spotify playlist, and the reverse. */
    struct child_playlist_put puts[2] = {put_of("c1", false, "s0", 0),
                                         put_of("c0", false, "s1", 1)};
    puts[0].cp.catch_all = true;
    assert_int_equal(child_playlist_repo_replace_all(f->db, "ua", "b1", puts, 2, &bad), 0);
    assert_int_equal(child_playlist_repo_find(f->db, f->a, "ua", "c1", &got), 0);
    assert_true(got.catch_all);
    assert_string_equal(got.spotify_playlist_id, "s0");
    assert_int_equal(got.version, 2);
    assert_int_equal(child_playlist_repo_find(f->db, f->a, "ua", "c0", &got), 0);
    assert_false(got.catch_all);
    assert_string_equal(got.spotify_playlist_id, "s1");
}

/* ---- cascades and the sync lock query ---- */

static void test_playlist_repo_delete_base_cascades(void **state)
{
    struct fx *f = *state;
    char ev[SYNC_EVENT_ID_MAX];
    add_base(f, "b1", "ua", "spA");
    add_base(f, "b2", "ua", "spB");
    add_child(f, "c0", "ua", "b1", "s0", 0);
    add_child(f, "c1", "ua", "b1", "s1", 1);
    add_child(f, "k0", "ua", "b2", "t0", 0);
    exec_sql(f->db, "INSERT INTO sync_events (id, user_id, base_playlist_id, status, started_at, "
                    "created, updated) VALUES "
                    "('e1', 'ua', 'b1', 'completed', 'x', 'x', 'x'),"
                    "('e2', 'ua', 'b1', 'in_progress', 'x', 'x', 'x'),"
                    "('e3', 'ua', 'b2', 'failed', 'x', 'x', 'x')");
    exec_sql(f->db, "INSERT INTO child_snapshots (child_playlist_id, user_id, track_uris, "
                    "created) VALUES ('c0', 'ua', '[]', 'x')");

    assert_int_equal(sync_event_repo_find_active(f->db, "ua", "b1", ev), 0);
    assert_string_equal(ev, "e2");
    assert_int_equal(sync_event_repo_find_active(f->db, "ub", "b1", ev), ERR_NOT_FOUND);
    assert_int_equal(sync_event_repo_find_active(f->db, "ua", "b2", ev), ERR_NOT_FOUND);

    assert_int_equal(base_playlist_repo_delete(f->db, "ua", "b1", 0), 0);
    assert_int_equal(
        count(f->db, "SELECT count(*) FROM child_playlists WHERE base_playlist_id = 'b1'"), 0);
    assert_int_equal(count(f->db, "SELECT count(*) FROM sync_events WHERE base_playlist_id = 'b1'"),
                     0);
    assert_int_equal(count(f->db, "SELECT count(*) FROM child_snapshots"), 0);
    /* The other base keeps everything. */
    assert_int_equal(count(f->db, "SELECT count(*) FROM child_playlists"), 1);
    assert_int_equal(count(f->db, "SELECT count(*) FROM sync_events"), 1);
    assert_int_equal(sync_event_repo_find_active(f->db, "ua", "b1", ev), ERR_NOT_FOUND);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_playlist_repo_base_scoped_by_user, setup, teardown),
        cmocka_unit_test_setup_teardown(test_playlist_repo_base_version_compare_and_set, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_playlist_repo_base_duplicate_spotify_is_conflict,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_playlist_repo_base_list_pages, setup, teardown),
        cmocka_unit_test_setup_teardown(test_playlist_repo_liked_base, setup, teardown),
        cmocka_unit_test_setup_teardown(test_playlist_repo_child_scoped_by_user, setup, teardown),
        cmocka_unit_test_setup_teardown(test_playlist_repo_child_fields_round_trip, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_playlist_repo_child_insert_shifts_positions, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_playlist_repo_child_unique_constraints, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_playlist_repo_child_update_cas_and_move, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_playlist_repo_child_delete_closes_gap, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_playlist_repo_replace_all_applies_set, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_playlist_repo_replace_all_identical_keeps_versions,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_playlist_repo_replace_all_failure_leaves_previous_set,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_playlist_repo_replace_all_swaps_catch_all_and_spotify,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_playlist_repo_delete_base_cascades, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
