/* Integration tests of the Spotify client against the emulator: writes (creating a
 * playlist, applying a target, replanning after a failed add). One emulator, started by
 * this executable (tests/test_spotify_client_fixture.h), serves every test; each test
 * resets its knobs, counters and request log and picks the API mode through
 * /__admin/config. Reads, retries and metadata are in tests/test_spotify_client_read.c.
 * What the emulator counted (/__admin/counters, /__admin/requests) is the referee. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <curl/curl.h>
#include <fcntl.h>
#include <jansson.h>
#include <pthread.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "lib/app_err.h"
#include "lib/arena.h"
#include "lib/buf.h"
#include "lib/util.h"
#include "services/cache/cache.h"
#include "services/metadata/metadata.h"
#include "services/spotify/spotify_client.h"
#include "services/spotify/write_plan.h"
#include "test_spotify_client_fixture.h"

/* ---- Writes -------------------------------------------------------------------------- */

static void test_spotify_client_create_playlist_and_me(void **state)
{
    NEED_EMULATOR();
    struct fx *f = *state;
    char *id = NULL;
    struct spotify_user me;
    assert_int_equal(spotify_client_get_me(f->c, f->a, &me, &f->rep), 0);
    assert_string_equal(me.id, "demo");
    assert_int_equal(
        spotify_client_create_playlist(f->c, "Child \"one\"", false, "made by tests", &id, &f->rep),
        0);
    assert_non_null(id);
    char path[128];
    snprintf(path, sizeof(path), "/playlists/%s", id);
    json_t *p = admin("GET", path, NULL);
    assert_string_equal(json_string_value(json_object_get(p, "name")), "Child \"one\"");
    assert_string_equal(json_string_value(json_object_get(p, "owner")), "demo");
    assert_false(json_is_true(json_object_get(p, "public")));
    json_decref(p);
    assert_int_equal(count("POST /v1/me/playlists", -1), 1);
    /* a 5xx on create is not retried: the playlist may exist */
    admin_do("POST", "/faults",
             json_pack("{s:s, s:s, s:i, s:i}", "method", "POST", "path_prefix", "/v1/me/playlists",
                       "status", 503, "count", 1));
    char *id2 = NULL;
    assert_int_equal(spotify_client_create_playlist(f->c, "x", false, NULL, &id2, &f->rep),
                     ERR_SPOTIFY);
    assert_null(id2);
    assert_int_equal(count("POST /v1/me/playlists", -1), 2);
    free(id);
}

static long write_calls(const struct fx *f)
{
    return count(items_route(f, "POST"), -1) + count(items_route(f, "PUT"), -1) +
           count(items_route(f, "DELETE"), -1);
}

static uint64_t rng = 0x2545F4914F6CDD1DULL;
static size_t rnd(size_t n)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return n ? (size_t)(rng % n) : 0;
}

/* Random (current, target) pairs: apply through the client, read back through the
 * admin API, and count the calls the emulator saw against the plan. */
static void test_spotify_client_apply_target_property(void **state)
{
    NEED_EMULATOR();
    struct fx *f = *state;
    const char *pool[400];
    size_t na, nb, np;
    json_t *keep;
    catalogue_ids(NULL, &na, NULL, &nb, pool, &np, 400, &keep, "uri");
    assert_int_equal(np, 400);
    char *id = make_playlist(0, true);
    static const char *cur[700], *tgt[400];
    size_t total_calls = 0, total_bound = 0;
    int strategies[4] = {0};
    for (int iter = 0; iter < 48; iter++) {
        size_t n = iter % 2 ? 200 + rnd(200) : rnd(160), m = 0;
        for (size_t i = 0; i < n; i++) { /* a random distinct target */
            size_t j = i + rnd(400 - i);
            const char *x = pool[i];
            pool[i] = pool[j];
            pool[j] = x;
            tgt[i] = pool[i];
        }
        int kind = (int)rnd(4);
        for (size_t i = 0; i < n && m + 3 < 700; i++) { /* drifted current */
            if (kind == 0 && rnd(10) == 0)
                continue;
            if (kind == 1 && i >= n - n / 5)
                break; /* new tracks at the end of the target */
            if (rnd(12) == 0)
                cur[m++] = pool[399 - rnd(400 - n)]; /* foreign */
            cur[m++] = tgt[i];
            if (kind == 2 && rnd(30) == 0)
                cur[m++] = tgt[i];
        }
        if (kind == 3 && m > 2) /* a few moved */
            for (int k = 0, moves = 1 + (int)rnd(3); k < moves; k++) {
                size_t a = rnd(m), b = rnd(m);
                const char *x = cur[a];
                cur[a] = cur[b];
                cur[b] = x;
            }
        set_playlist(id, cur, m);
        struct write_plan plan = WRITE_PLAN_INIT;
        assert_int_equal(write_plan_build(cur, m, tgt, n, &plan), 0);
        struct spotify_apply_result res;
        admin_do("DELETE", "/counters", NULL);
        int rc = spotify_client_apply_target(f->c, id, cur, m, tgt, n, &res, &f->rep);
        if (rc != 0)
            fprintf(stderr, "apply: %s\n", report_text(&f->rep));
        assert_int_equal(rc, 0);
        json_t *got = playlist_uris(id);
        assert_int_equal(json_array_size(got), n);
        for (size_t i = 0; i < n; i++)
            assert_string_equal(json_string_value(json_array_get(got, i)), tgt[i]);
        json_decref(got);
        /* The last write's answer says the snapshot the playlist is at now. */
        char path[96];
        snprintf(path, sizeof path, "/playlists/%s", id);
        json_t *detail = admin("GET", path, NULL);
        assert_string_equal(res.snapshot_id, plan.n_ops ? json_string_value(json_object_get(
                                                              detail, "snapshot_id"))
                                                        : "");
        json_decref(detail);
        assert_int_equal(res.calls, plan.n_ops);
        assert_int_equal(write_calls(f), (long)plan.n_ops);
        assert_int_equal(count_all(), (long)plan.n_ops); /* writes only, no reads */
        assert_int_equal(res.replans, 0);
        total_calls += plan.n_ops;
        total_bound += write_plan_bound(cur, m, tgt, n);
        strategies[plan.strategy]++;
        write_plan_release(&plan);
    }
    fprintf(stderr,
            "apply property (%s): %zu calls vs %zu for full replaces; none=%d "
            "delete_insert=%d reorder=%d replace=%d\n",
            f->mode == EXT ? "extended" : "development", total_calls, total_bound,
            strategies[WRITE_PLAN_NONE], strategies[WRITE_PLAN_DELETE_INSERT],
            strategies[WRITE_PLAN_REORDER], strategies[WRITE_PLAN_REPLACE]);
    /* every strategy went through the emulator at least once */
    assert_true(strategies[WRITE_PLAN_DELETE_INSERT] > 0);
    assert_true(strategies[WRITE_PLAN_REORDER] > 0);
    assert_true(strategies[WRITE_PLAN_REPLACE] > 0);
    /* equal: not one request */
    admin_do("DELETE", "/counters", NULL);
    json_t *now = playlist_uris(id);
    size_t k = json_array_size(now);
    for (size_t i = 0; i < k; i++)
        cur[i] = json_string_value(json_array_get(now, i));
    struct spotify_apply_result res;
    assert_int_equal(spotify_client_apply_target(f->c, id, cur, k, cur, k, &res, &f->rep), 0);
    assert_int_equal(res.calls, 0);
    assert_string_equal(res.snapshot_id, ""); /* nothing written, nothing said */
    assert_int_equal(count_all(), 0);
    json_decref(now);
    json_decref(keep);
    free(id);
}

/* A POST add that answers 5xx is not sent again blindly: the playlist is re-read and the
 * rest planned from what is there. */
static void test_spotify_client_failed_add_replans(void **state)
{
    NEED_EMULATOR();
    struct fx *f = *state;
    const char *pool[200];
    size_t na, nb, np;
    json_t *keep;
    catalogue_ids(NULL, &na, NULL, &nb, pool, &np, 200, &keep, "uri");
    char *id = make_playlist(0, true);
    set_playlist(id, pool, 150);
    char pattern[64];
    snprintf(pattern, sizeof(pattern), "/v1/playlists/*/%s", f->mode == EXT ? "tracks" : "items");
    admin_do("POST", "/faults",
             json_pack("{s:s, s:s, s:i, s:i}", "method", "POST", "path_pattern", pattern, "status",
                       503, "count", 1));
    struct spotify_apply_result res;
    assert_int_equal(spotify_client_apply_target(f->c, id, pool, 150, pool, 170, &res, &f->rep), 0);
    assert_int_equal(res.replans, 1);
    assert_int_equal(count(items_route(f, "POST"), 503), 1);
    assert_int_equal(count(items_route(f, "POST"), -1), 2);
    assert_int_equal(count("GET /v1/playlists/{id}", 200), 1); /* the re-read */
    char path[96];
    snprintf(path, sizeof path, "/playlists/%s", id);
    json_t *detail = admin("GET", path, NULL);
    assert_string_equal(res.snapshot_id, json_string_value(json_object_get(detail, "snapshot_id")));
    json_decref(detail);
    json_t *got = playlist_uris(id);
    assert_int_equal(json_array_size(got), 170);
    for (size_t i = 0; i < 170; i++)
        assert_string_equal(json_string_value(json_array_get(got, i)), pool[i]);
    json_decref(got);
    json_decref(keep);
    free(id);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        BOTH(test_spotify_client_create_playlist_and_me),
        BOTH(test_spotify_client_apply_target_property),
        BOTH(test_spotify_client_failed_add_replans),
    };
    return cmocka_run_group_tests(tests, emu_start, emu_stop);
}
