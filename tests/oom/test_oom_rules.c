/* Out-of-memory loops (tests/oom/README.md) over the rule compiler and the JSON writers:
 * for N = 1, 2, 3, ... the N-th allocation fails, until a run in which none did. Every
 * run must end cleanly: ERR_NOMEM (or the full answer when the failure was absorbed),
 * nothing half-made handed out, no leak (the ASan build checks at exit). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "http/http.h"
#include "lib/app_err.h"
#include "lib/arena.h"
#include "lib/buf.h"
#include "lib/json_text.h"
#include "services/rules/rule.h"
#include "services/rules/target.h"
#include "services/sync/sync_event_service.h"
#include "tests/oom/oom_alloc.h"

#define MAX_N 100000 /* a loop that never succeeds is a bug of its own */

static const char CHILD[] =
    "{\"name\": \"x\", \"filter\": {\"all\": ["
    "{\"any\": [{\"field\": \"artist_name\", \"op\": \"matches\", \"value\": \"^the .*s$\"},"
    "{\"field\": \"genre\", \"op\": \"in\", \"value\": [\"indie\", \"Shoegaze\", \"dream pop\"]}]},"
    "{\"not\": {\"field\": \"explicit\", \"op\": \"eq\", \"value\": true}},"
    "{\"field\": \"release_date\", \"op\": \"between\", \"value\": [\"1990-01-01\", "
    "\"1999-12-31\"]},"
    "{\"field\": \"duration_ms\", \"op\": \"in\", \"value\": [1, 2, 3]},"
    "{\"field\": \"track_name\", \"op\": \"contains\", \"value\": \"ÉTÉ\"}]},"
    "\"sort\": {\"by\": \"popularity\", \"order\": \"desc\"}, \"limit\": 20,"
    "\"pinned_track_ids\": [\"p1\", \"p2\"], \"banned_track_ids\": [\"b1\"]}";

/* A child with three problems: the refusal's details are built under OOM too. */
static const char BAD_CHILD[] =
    "{\"filter\": {\"all\": [{\"field\": \"nope\", \"op\": \"eq\", \"value\": 1},"
    "{\"field\": \"track_name\", \"op\": \"matches\", \"value\": \"(a)\\\\1\"}]},"
    "\"limit\": -3}";

static void test_oom_rule_compile(void **state)
{
    (void)state;
    json_t *child = json_loads(CHILD, 0, NULL), *bad = json_loads(BAD_CHILD, 0, NULL);
    assert_non_null(child);
    assert_non_null(bad);
    long n;
    for (n = 1; n < MAX_N; n++) {
        struct target_child *c = NULL;
        struct report rep = {0};
        oom_arm(n);
        int rc = target_child_compile_object(child, SPOTIFY_MODE_EXTENDED, "", &c, &rep);
        bool hit = oom_hit();
        oom_arm(0);
        if (hit) {
            assert_int_equal(rc, ERR_NOMEM);
            assert_null(c);
        } else {
            assert_int_equal(rc, 0);
            assert_non_null(c);
        }
        assert_int_equal(json_array_size(rep.details), 0);
        target_child_free(c);
        report_release(&rep);
        if (!hit)
            break;
    }
    print_message("rule compile: succeeded at N = %ld\n", n);
    assert_true(n > 10);

    for (n = 1; n < MAX_N; n++) {
        struct target_child *c = NULL;
        struct report rep = {0};
        oom_arm(n);
        int rc = target_child_compile_object(bad, SPOTIFY_MODE_EXTENDED, "", &c, &rep);
        bool hit = oom_hit();
        oom_arm(0);
        assert_null(c);
        /* a refusal stays a refusal; under OOM it may say so with fewer details */
        assert_true(rc == ERR_VALIDATION || (hit && rc == ERR_NOMEM));
        if (!hit)
            assert_int_equal(json_array_size(rep.details), 3);
        report_release(&rep);
        if (!hit)
            break;
    }
    print_message("rule refusal: succeeded at N = %ld\n", n);
    json_decref(child);
    json_decref(bad);
}

static const struct sync_event EVENT = {
    .id = "e1",
    .user_id = "u1",
    .base_playlist_id = "b1",
    .child_playlist_ids = "[\"c1\",\"c2\"]",
    .status = "failed",
    .started_at = "2026-11-23T10:00:00Z",
    .completed_at = "2026-11-23T10:00:05Z",
    .error_message = "Spotify answered 502 \"bad gateway\" while writing \xc3\xa9",
    .tracks_processed = 120,
    .tracks_skipped = 3,
    .total_api_requests = 17,
    .cache_hits = 4,
    .cache_misses = 5,
    .children = "[{\"child_playlist_id\":\"c1\",\"matched\":5,\"added\":1,\"removed\":0}]",
    .progress_phase = "write",
    .progress_done = 1,
    .progress_total = 2,
    .created = "2026-11-23T10:00:00Z",
    .updated = "2026-11-23T10:00:05Z",
};

static void test_oom_sync_event_json(void **state)
{
    (void)state;
    struct arena *wa = arena_new();
    assert_non_null(wa);
    const char *want_text = sync_event_service_text(wa, &EVENT);
    assert_non_null(want_text);
    struct buf want = BUF_INIT;
    assert_int_equal(buf_append_str(&want, want_text), 0);
    arena_free(wa);
    long n;
    for (n = 1; n < MAX_N; n++) {
        struct arena *a = arena_new();
        assert_non_null(a);
        oom_arm(n);
        const char *text = sync_event_service_text(a, &EVENT);
        bool hit = oom_hit();
        oom_arm(0);
        if (text)
            assert_string_equal(text, want.data);
        else
            assert_true(hit);
        arena_free(a);
        if (!hit)
            break;
    }
    print_message("sync event text: succeeded at N = %ld\n", n);

    for (n = 1; n < MAX_N; n++) {
        oom_arm(n);
        json_t *j = sync_event_service_to_json(&EVENT);
        char *text = j ? json_text_dump(j, JSON_COMPACT) : NULL;
        bool hit = oom_hit();
        oom_arm(0);
        if (!hit)
            assert_non_null(text);
        if (text)
            assert_string_equal(text, want.data);
        free(text);
        json_decref(j);
        if (!hit)
            break;
    }
    print_message("sync event to_json: succeeded at N = %ld\n", n);
    buf_release(&want);
}

/* The one writer of API.md's error shape: a complete answer, or 500 "out of memory". */
static void test_oom_error_response(void **state)
{
    (void)state;
    long n;
    for (n = 1; n < MAX_N; n++) {
        struct arena *a = arena_new();
        struct response res = {.status = 200, .body = BUF_INIT, .arena = a};
        assert_non_null(a);
        json_t *details = json_pack("[{s:s, s:s}, {s:s, s:s}]", "path", "/filter/op", "message",
                                    "unknown operator 'x'", "path", "/limit", "message",
                                    "expected null or an integer from 0 to 10000");
        json_t *extra = json_pack("{s:s}", "sync_event_id", "e1");
        assert_non_null(details);
        assert_non_null(extra);
        oom_arm(n);
        response_error_full(&res, ERR_VALIDATION, "the request is not valid", details, extra);
        bool hit = oom_hit();
        oom_arm(0);
        json_t *body = res.body.len ? json_loadb(res.body.data, res.body.len, 0, NULL) : NULL;
        if (!body)
            fail_msg("N = %ld: status %d, body '%s'", n, res.status,
                     res.body.data ? res.body.data : "");
        json_t *err = json_object_get(body, "error");
        assert_non_null(json_string_value(json_object_get(err, "code")));
        if (res.status == 500) {
            assert_true(hit);
            assert_string_equal(json_string_value(json_object_get(err, "code")), "internal");
        } else {
            assert_int_equal(res.status, 400);
            assert_string_equal(json_string_value(json_object_get(err, "code")),
                                "validation_failed");
            assert_int_equal(json_array_size(json_object_get(err, "details")), 2);
            assert_string_equal(json_string_value(json_object_get(err, "sync_event_id")), "e1");
        }
        json_decref(body);
        buf_release(&res.body);
        arena_free(a);
        if (!hit)
            break;
    }
    print_message("error response: succeeded at N = %ld\n", n);
}

int main(void)
{
    json_text_install(); /* jansson allocates through malloc(), which fails on cue */
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_oom_rule_compile),
        cmocka_unit_test(test_oom_sync_event_json),
        cmocka_unit_test(test_oom_error_response),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
