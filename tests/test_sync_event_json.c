/* The SyncEvent as the routes print it (json_dumps(sync_event_service_to_json(ev),
 * JSON_COMPACT)): the exact text of ordinary events, stored arrays of every form, strings
 * that are not UTF-8; plus the status route's query. */
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
#include "lib/memo.h"
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

/* json_dumps(sync_event_service_to_json(ev), JSON_COMPACT), as the routes print it.
 * Caller frees. */
static char *text_of(const struct sync_event *ev)
{
    json_t *j = sync_event_service_to_json(ev);
    char *s = j ? json_dumps(j, JSON_COMPACT) : NULL;
    json_decref(j);
    assert_non_null(s);
    return s;
}

static void expect_text(const struct sync_event *ev, const char *want)
{
    char *got = text_of(ev);
    assert_string_equal(got, want);
    free(got);
}

/* Every member of API.md's SyncEvent, in this order (trigger: "manual" when unset). */
#define IDS "\"id\":\"a2286db5f025e3868fc2dd5f1e56864d\",\"user_id\":" \
            "\"871f968091faf4ef8c1247c53637864b\",\"base_playlist_id\":" \
            "\"16b4589e46134757c41d86906e616fd0\","
#define CHILD_IDS "[\"06ed75311d0644ea60eb604a32f66f8f\",\"d2db6007abcdf25b\"]"
#define CHILDREN "[{\"child_playlist_id\":\"06ed75311d0644ea60eb604a32f66f8f\",\"matched\":980," \
                 "\"added\":980,\"removed\":0},{\"child_playlist_id\":\"d2db6007abcdf25b\"," \
                 "\"matched\":970,\"added\":970,\"removed\":0}]"
#define STAMPS "\"created\":\"2026-11-23T18:36:35Z\",\"updated\":\"2026-11-23T18:36:36Z\"}"

static void test_sync_event_json_ordinary_events(void **state)
{
    struct sync_event ev = completed();
    expect_text(&ev, "{" IDS "\"child_playlist_ids\":" CHILD_IDS ",\"status\":\"completed\","
                     "\"trigger\":\"manual\",\"started_at\":\"2026-11-23T18:36:35Z\",\"completed_at\":"
                     "\"2026-11-23T18:36:36Z\",\"error_message\":null,\"tracks_processed\":5000,"
                     "\"tracks_skipped\":0,\"total_api_requests\":157,"
                     "\"metadata_requests\":{\"musicbrainz\":55},\"cache_hits\":0,"
                     "\"cache_misses\":2500,\"children\":" CHILDREN ",\"progress\":{\"phase\":"
                     "\"done\",\"done\":5,\"total\":5}," STAMPS);
    ev.status = "failed";
    ev.completed_at = NULL;
    ev.progress_phase = NULL;
    ev.error_message = "Spotify said \"no\" \\ twice\n\ttab\r\b\f\x01\x1f end / é 日本 🎵";
    ev.child_playlist_ids = NULL; /* absent arrays: [] */
    ev.children = NULL;
    ev.tracks_skipped = -42;
    ev.cache_hits = INT64_MAX;
    ev.progress_total = INT64_MIN;
    expect_text(&ev, "{" IDS "\"child_playlist_ids\":[],\"status\":\"failed\","
                     "\"trigger\":\"manual\",\"started_at\":\"2026-11-23T18:36:35Z\",\"completed_at\":null,"
                     "\"error_message\":\"Spotify said \\\"no\\\" \\\\ twice\\n\\ttab\\r\\b\\f"
                     "\\u0001\\u001F end / é 日本 🎵\",\"tracks_processed\":5000,"
                     "\"tracks_skipped\":-42,\"total_api_requests\":157,"
                     "\"metadata_requests\":{\"musicbrainz\":55},\"cache_hits\":9223372036854775807,\"cache_misses\":2500,\"children\":[],"
                     "\"progress\":{\"phase\":null,\"done\":5,\"total\":-9223372036854775808},"
                     STAMPS);
}

static void test_sync_event_json_stored_arrays(void **state)
{
    /* A stored text that is a JSON array is printed compactly; anything else is []. */
    static const char *const arrays[][2] = {
        {"[ 1 , 2 ]", "[1,2]"},
        {"[{\"a\": 1, \"a\": 2}]", "[{\"a\":2}]"},
        {"[\"\\u00e9\"]", "[\"é\"]"},
        {"[1.0]", "[1.0]"},
        {"{\"a\":1}", "[]"},
        {"\"s\"", "[]"},
        {"not json", "[]"},
        {"", "[]"},
        {"[1][2]", "[]"},
        {"[\"\xc3\"]", "[]"},
    };
    for (size_t i = 0; i < sizeof arrays / sizeof arrays[0]; i++) {
        struct sync_event ev = completed();
        ev.children = arrays[i][0];
        char *got = text_of(&ev);
        const char *at = strstr(got, ",\"children\":");
        assert_non_null(at);
        assert_int_equal(strncmp(at + 12, arrays[i][1], strlen(arrays[i][1])), 0);
        assert_int_equal(strncmp(at + 12 + strlen(arrays[i][1]), ",\"progress\":", 12), 0);
        free(got);
    }
}

static void test_sync_event_json_invalid_utf8_is_replaced(void **state)
{
    /* A text jansson refuses (no route stores one; a row edited by hand could) must not
     * turn every answer about the event into a 500: each bad byte becomes U+FFFD. */
#define R "\xef\xbf\xbd"
    static const char *const bad[][2] = {
        {"\xff", R},          {"a\xc3", "a" R},        {"\xc0\xaf", R R},
        {"\xed\xa0\x80", R R R}, {"\xf4\x90\x80\x80", R R R R}, {"\xe0\x80\x80", R R R},
        {"\x80z", R "z"},     {"ok \xc3\xa9", "ok \xc3\xa9"},
    };
    struct arena *a = arena_new();
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct sync_event ev = completed();
        ev.error_message = bad[i][0];
        ev.id = bad[i][0];
        char want[96];
        snprintf(want, sizeof want, "\"error_message\":\"%s\"", bad[i][1]);
        const char *got = sync_event_service_text(a, &ev);
        assert_non_null(got);
        assert_non_null(strstr(got, want));
        snprintf(want, sizeof want, "{\"id\":\"%s\",", bad[i][1]);
        assert_int_equal(strncmp(got, want, strlen(want)), 0);
    }
#undef R
    arena_free(a);
}

static void test_sync_event_json_status_answer_and_its_memo(void **state)
{
    struct arena *a = arena_new();
    struct memo *memo = NULL;
    struct sync_event ev = completed();
    char *event = text_of(&ev), want[4096];
    assert_int_equal(memo_new(4, 1 << 20, &memo), 0);
    assert_string_equal(sync_event_service_status_text(memo, a, false, NULL),
                        "{\"active\":false,\"sync_event\":null}");
    snprintf(want, sizeof want, "{\"active\":false,\"sync_event\":%s}", event);
    assert_string_equal(sync_event_service_status_text(memo, a, false, &ev), want);
    assert_int_equal(memo_count(memo), 1);
    assert_string_equal(sync_event_service_status_text(memo, a, false, &ev), want); /* a hit */
    assert_string_equal(sync_event_service_status_text(NULL, a, false, &ev), want);
    /* Any change of the event or of `active` is printed anew, never answered stale. */
    ev.progress_done = 4;
    const char *got = sync_event_service_status_text(memo, a, false, &ev);
    assert_non_null(strstr(got, "\"progress\":{\"phase\":\"done\",\"done\":4,\"total\":5}"));
    ev.error_message = "";
    got = sync_event_service_status_text(memo, a, false, &ev);
    assert_non_null(strstr(got, "\"error_message\":\"\""));
    ev.error_message = NULL;
    got = sync_event_service_status_text(memo, a, false, &ev);
    assert_non_null(strstr(got, "\"error_message\":null"));
    got = sync_event_service_status_text(memo, a, true, &ev);
    assert_int_equal(strncmp(got, "{\"active\":true,", 15), 0);
    ev.children = "[]";
    got = sync_event_service_status_text(memo, a, true, &ev);
    assert_non_null(strstr(got, "\"children\":[],"));
    assert_int_equal(memo_count(memo), 1); /* one entry per event */
    free(event);
    memo_free(memo);
    arena_free(a);
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
    char dir[] = "/tmp/test_sync_event_json.XXXXXX", path[96], cmd[128];
    struct report err = {0};
    struct db_pool *pool = NULL;
    struct arena *a = arena_new();
    struct sync_event ev;
    int has = -1;
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/t.db", dir);
    assert_int_equal(db_pool_new(path, 1, &pool, &err), 0);
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
        cmocka_unit_test(test_sync_event_json_stored_arrays),
        cmocka_unit_test(test_sync_event_json_invalid_utf8_is_replaced),
        cmocka_unit_test(test_sync_event_json_status_answer_and_its_memo),
        cmocka_unit_test(test_sync_event_json_find_status),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
