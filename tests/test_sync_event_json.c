/* sync_event_service_append_json: byte for byte the text of
 * json_dumps(sync_event_service_to_json(ev), JSON_COMPACT), for ordinary events and for
 * every odd input the fast path must hand to jansson (stored arrays jansson would
 * print differently or not read, strings it refuses), plus the status route's query. */
// clang-format off
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
// clang-format on
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "repositories/db.h"
#include "repositories/sync_event_repo.h"
#include "lib/app_err.h"
#include "lib/arena.h"
#include "lib/buf.h"
#include "services/sync/sync_event_service.h"

static struct sync_event completed(void)
{
    struct sync_event ev;
    memset(&ev, 0, sizeof ev);
    ev.id = "a2286db5f025e3868fc2dd5f1e56864d";
    ev.user_id = "871f968091faf4ef8c1247c53637864b";
    ev.base_playlist_id = "16b4589e46134757c41d86906e616fd0";
    ev.child_playlist_ids = "[\"06ed75311d0644ea60eb604a32f66f8f\",\"d2db6007abcdf25b\"]";
    ev.status = "completed";
    ev.started_at = "2026-11-23T18:36:35Z";
    ev.completed_at = "2026-11-23T18:36:36Z";
    ev.tracks_processed = 5000;
    ev.total_api_requests = 157;
    ev.metadata_musicbrainz = 55;
    ev.cache_misses = 2500;
    ev.children = "[{\"child_playlist_id\":\"06ed75311d0644ea60eb604a32f66f8f\",\"matched\":980,"
                  "\"added\":980,\"removed\":0},{\"child_playlist_id\":\"d2db6007abcdf25b\","
                  "\"matched\":970,\"added\":970,\"removed\":0}]";
    ev.progress_phase = "done";
    ev.progress_done = 5;
    ev.progress_total = 5;
    ev.created = "2026-11-23T18:36:35Z";
    ev.updated = "2026-11-23T18:36:36Z";
    return ev;
}

/* The reference: what the handlers printed before (NULL when jansson refuses). */
static char *reference(const struct sync_event *ev)
{
    json_t *j = sync_event_service_to_json(ev);
    char *s = j ? json_dumps(j, JSON_COMPACT) : NULL;
    json_decref(j);
    return s;
}

static void expect_same(const struct sync_event *ev)
{
    char *want = reference(ev);
    struct buf got = BUF_INIT;
    assert_int_equal(buf_append_str(&got, "prefix:"), 0);
    int rc = sync_event_service_append_json(ev, &got);
    if (!want) {
        assert_int_equal(rc, ERR_NOMEM);
        assert_string_equal(got.data, "prefix:"); /* unchanged */
    } else {
        assert_int_equal(rc, 0);
        assert_string_equal(got.data + 7, want);
    }
    free(want);
    buf_release(&got);
}

static void test_sync_event_json_ordinary_events(void **state)
{
    struct sync_event ev = completed();
    expect_same(&ev);
    ev.status = "in_progress";
    ev.completed_at = NULL;
    ev.progress_phase = NULL;
    ev.children = "[]";
    expect_same(&ev);
    ev.status = "failed";
    ev.error_message = "Spotify said \"no\" \\ twice\n\ttab\r\b\f\x01\x1f end / é ü 日本 🎵";
    expect_same(&ev);
    ev.child_playlist_ids = NULL;
    ev.children = NULL;
    ev.tracks_skipped = -42;
    ev.cache_hits = INT64_MAX;
    ev.progress_total = INT64_MIN;
    expect_same(&ev);
    ev.id = ev.user_id = ev.base_playlist_id = ev.created = ev.updated = NULL;
    expect_same(&ev);
}

static void test_sync_event_json_stored_arrays_of_every_form(void **state)
{
    /* Texts jansson prints back unchanged (copied as they are) and texts it does not
     * (handed to jansson): every one must give jansson's output. */
    static const char *const arrays[] = {
        "[]",
        "[1]",
        "[-1,0,12,-0]",
        "[-0]",
        "[01]",
        "[1.0]",
        "[1e3]",
        "[1E3]",
        "[0.5]",
        "[123456789012345678]",
        "[1234567890123456789]",
        "[-9223372036854775808]",
        "[99999999999999999999]",
        "[true,false,null]",
        "[tru]",
        "[nul]",
        "[\"a\",\"b\"]",
        "[ 1]",
        "[1 ]",
        " [1]",
        "[1] ",
        "[1,]",
        "[,1]",
        "[1,,2]",
        "[",
        "]",
        "[[[]]]",
        "[{}]",
        "[{\"a\":1,\"b\":[2,{\"c\":null}]}]",
        "[{\"a\":1,\"a\":2}]",
        "[{\"a\":1,\"b\":2,\"a\":3}]",
        "[{\"a\" :1}]",
        "[{\"a\":1,}]",
        "[{1:2}]",
        "[\"\\u00e9\"]",
        "[\"\\u001F\"]",
        "[\"\\/\"]",
        "[\"\\\"\\\\\\b\\f\\n\\r\\t\"]",
        "[\"\\x\"]",
        "[\"tab\there\"]",
        "[\"\xc3\xa9\"]",
        "[\"\xc3\"]",
        "[\"\xe0\x80\x80\"]",
        "[\"\xed\xa0\x80\"]",
        "[\"\xf4\x90\x80\x80\"]",
        "[\"\xf0\x9f\x8e\xb5\"]",
        "[\"\xc0\xaf\"]",
        "[\"unterminated]",
        "{\"a\":1}",
        "\"s\"",
        "1",
        "null",
        "not json",
        "",
        "[1]x",
        "[1][2]",
        "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]",
        "[{\"k1\":1,\"k2\":1,\"k3\":1,\"k4\":1,\"k5\":1,\"k6\":1,\"k7\":1,\"k8\":1,\"k9\":1,"
        "\"k10\":1,\"k11\":1,\"k12\":1,\"k13\":1,\"k14\":1,\"k15\":1,\"k16\":1,\"k17\":1,"
        "\"k18\":1,\"k19\":1,\"k20\":1,\"k21\":1,\"k22\":1,\"k23\":1,\"k24\":1,\"k25\":1,"
        "\"k26\":1,\"k27\":1,\"k28\":1,\"k29\":1,\"k30\":1,\"k31\":1,\"k32\":1,\"k33\":1}]",
    };
    for (size_t i = 0; i < sizeof arrays / sizeof arrays[0]; i++) {
        struct sync_event ev = completed();
        ev.children = arrays[i];
        expect_same(&ev);
        ev = completed();
        ev.child_playlist_ids = arrays[i];
        expect_same(&ev);
    }
}

static void test_sync_event_json_strings_jansson_refuses(void **state)
{
    /* Invalid UTF-8 in a field: jansson cannot build the object (the handlers answer
     * 500), and neither may the fast path print it. */
    static const char *const bad[] = {
        "\xff", "a\xc3", "\xc0\xaf", "\xed\xa0\x80", "\xf4\x90\x80\x80", "\xe0\x80\x80", "\x80"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct sync_event ev = completed();
        ev.error_message = bad[i];
        expect_same(&ev);
        ev = completed();
        ev.id = bad[i];
        expect_same(&ev);
        ev = completed();
        ev.progress_phase = bad[i];
        expect_same(&ev);
    }
}

/* ---- sync_event_repo_find_status against a real database ---- */

static void exec(sqlite3 *h, const char *sql)
{
    char *err = NULL;
    if (sqlite3_exec(h, sql, NULL, NULL, &err) != SQLITE_OK)
        fail_msg("%s: %s", sql, err ? err : "?");
}

static void test_sync_event_json_find_status(void **state)
{
    char dir[] = "/tmp/test_sync_event_json.XXXXXX", path[96], err[256], cmd[128];
    struct db_pool *pool = NULL;
    struct arena *a = arena_new();
    struct sync_event ev;
    int has = -1;
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/t.db", dir);
    assert_int_equal(db_pool_new(path, 1, &pool, err, sizeof err), 0);
    struct db *db = db_pool_acquire(pool, 1000);
    sqlite3 *h = db_handle(db);
    exec(h, "INSERT INTO users(id, spotify_user_id, created, updated) VALUES "
            "('ua','sa','t','t'), ('ub','sb','t','t')");
    exec(h, "INSERT INTO base_playlists(id, user_id, spotify_playlist_id, name, created, "
            "updated) VALUES ('b1','ua','p1','B1','t','t'), ('b2','ua','p2','B2','t','t'), "
            "('b3','ub','p3','B3','t','t')");
    /* Not the user's base, or no such base: not found. */
    assert_int_equal(sync_event_repo_find_status(db, a, "ua", "b3", &has, &ev), ERR_NOT_FOUND);
    assert_int_equal(sync_event_repo_find_status(db, a, "ua", "nope", &has, &ev), ERR_NOT_FOUND);
    /* The user's base without events. */
    assert_int_equal(sync_event_repo_find_status(db, a, "ua", "b1", &has, &ev), 0);
    assert_int_equal(has, 0);
    exec(h, "INSERT INTO sync_events(id, user_id, base_playlist_id, status, started_at, "
            "completed_at, children, created, updated, seq) VALUES "
            "('e1','ua','b1','completed','s1','c1','[]','t','t',1), "
            "('e3','ua','b1','failed','s3','c3','[]','t','t',3), "
            "('e2','ua','b1','completed','s2','c2','[]','t','t',2), "
            "('e9','ua','b2','in_progress','s9',NULL,'[]','t','t',1)");
    /* The newest by seq, as sync_event_repo_find_latest finds it. */
    assert_int_equal(sync_event_repo_find_status(db, a, "ua", "b1", &has, &ev), 0);
    assert_int_equal(has, 1);
    assert_string_equal(ev.id, "e3");
    assert_string_equal(ev.status, "failed");
    assert_int_equal(ev.seq, 3);
    struct sync_event latest;
    assert_int_equal(sync_event_repo_find_latest(db, a, "ua", "b1", &latest), 0);
    assert_string_equal(latest.id, ev.id);
    /* Through the service: active, and another user's base. */
    bool active = false, has_event = false;
    assert_int_equal(sync_event_service_status(db, a, "ua", "b2", &active, &has_event, &ev), 0);
    assert_true(active);
    assert_true(has_event);
    assert_string_equal(ev.id, "e9");
    assert_null(ev.completed_at);
    assert_int_equal(sync_event_service_status(db, a, "ub", "b2", &active, &has_event, &ev),
                     ERR_NOT_FOUND);
    assert_false(active);
    assert_false(has_event);

    db_pool_release(pool, db);
    db_pool_free(pool);
    arena_free(a);
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sync_event_json_ordinary_events),
        cmocka_unit_test(test_sync_event_json_stored_arrays_of_every_form),
        cmocka_unit_test(test_sync_event_json_strings_jansson_refuses),
        cmocka_unit_test(test_sync_event_json_find_status),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
