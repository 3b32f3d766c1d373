/* Integration tests of the Spotify client against the emulator: reads (playlist pages,
 * restarts), retries (5xx, 429, quota, 401) and metadata batches. One emulator, started
 * by this executable (tests/test_spotify_client_fixture.h), serves every test; each
 * test resets its knobs, counters and request log and picks the API mode through
 * /__admin/config. Writes are in tests/test_spotify_client_write.c.
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

/* ---- Reads ------------------------------------------------------------------------- */

static void test_spotify_client_reads_pages_in_order(void **state)
{
    NEED_EMULATOR();
    struct fx *f = *state;
    const int n = 1234;
    char *id = make_playlist(n, false); /* with local files, episodes and duplicates */
    struct spotify_playlist pl;
    struct spotify_stats st;
    admin_do("DELETE", "/counters", NULL);
    spotify_client_stats_reset(f->c);
    hook_calls = 0;

    assert_int_equal(spotify_client_get_playlist(f->c, f->a, id, false, &pl, &f->rep), 0);
    json_t *uris = playlist_uris(id);
    assert_int_equal(pl.n_items, n);
    assert_int_equal(json_array_size(uris), n);
    size_t kinds[4] = {0};
    for (size_t i = 0; i < pl.n_items; i++) {
        assert_non_null(pl.items[i].uri);
        assert_string_equal(pl.items[i].uri, json_string_value(json_array_get(uris, i)));
        assert_int_equal(pl.items[i].track.base_index, i);
        kinds[pl.items[i].kind]++;
    }
    assert_true(kinds[SPOTIFY_ITEM_TRACK] > 0);
    assert_true(kinds[SPOTIFY_ITEM_LOCAL] + kinds[SPOTIFY_ITEM_EPISODE] > 0);

    /* 1 request with the first 100 embedded, then pages of 50 (dev) / 100 (ext). */
    long page = f->mode == EXT ? 100 : 50;
    assert_int_equal(count("GET /v1/playlists/{id}", 200), 1);
    assert_int_equal(count(items_route(f, "GET"), 200), (n - 100 + page - 1) / page);
    spotify_client_stats(f->c, &st);
    assert_int_equal((long)st.requests, count_all());
    assert_int_equal(hook_calls, st.requests); /* the metrics hook saw each one */
    assert_int_equal(spotify_stats_count(&st, "GET /playlists/{id}", 200), 1);

    /* at most `parallelism` connections were opened... */
    assert_true(st.connects >= 1 && st.connects <= SPOTIFY_DEFAULT_PARALLELISM);

    /* ...and kept alive: a second read (uris only) opens none. */
    struct spotify_playlist pl2;
    spotify_client_stats_reset(f->c);
    assert_int_equal(spotify_client_get_playlist(f->c, f->a, id, true, &pl2, &f->rep), 0);
    spotify_client_stats(f->c, &st);
    assert_int_equal(st.connects, 0);
    assert_int_equal(pl2.n_items, n);
    for (size_t i = 0; i < pl2.n_items; i++)
        assert_string_equal(pl2.items[i].uri, pl.items[i].uri);
    assert_null(pl2.items[0].track.name);

    /* the snapshot check: one request, the emulator's snapshot id */
    struct spotify_playlist_info info;
    admin_do("DELETE", "/counters", NULL);
    assert_int_equal(spotify_client_get_playlist_info(f->c, f->a, id, &info, &f->rep), 0);
    assert_int_equal(count_all(), 1);
    assert_int_equal(info.total, n);
    assert_string_equal(info.snapshot_id, pl.info.snapshot_id);
    assert_string_equal(info.owner_id, "demo");
    json_decref(uris);
    free(id);
}

static void test_spotify_client_small_and_empty_playlists(void **state)
{
    NEED_EMULATOR();
    struct fx *f = *state;
    int sizes[] = {0, 1, 100, 101, 150};
    for (size_t k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
        char *id = make_playlist(sizes[k], true);
        struct spotify_playlist pl;
        admin_do("DELETE", "/counters", NULL);
        assert_int_equal(spotify_client_get_playlist(f->c, f->a, id, false, &pl, &f->rep), 0);
        assert_int_equal(pl.n_items, sizes[k]);
        long page = f->mode == EXT ? 100 : 50;
        long pages = sizes[k] > 100 ? (sizes[k] - 100 + page - 1) / page : 0;
        assert_int_equal(count_all(), 1 + pages);
        free(id);
    }
}

static void test_spotify_client_not_found_and_forbidden(void **state)
{
    NEED_EMULATOR();
    struct fx *f = *state;
    struct spotify_playlist pl;
    assert_int_equal(
        spotify_client_get_playlist(f->c, f->a, "0000000000000000000000", false, &pl, &f->rep),
        ERR_NOT_FOUND);
    assert_non_null(strstr(report_text(&f->rep), "not found"));
    if (f->mode == DEV) { /* someone else's playlist: 403 in development mode */
        json_t *ps = admin("GET", "/playlists?owner=alice", NULL);
        const char *id = json_string_value(
            json_object_get(json_array_get(json_object_get(ps, "playlists"), 0), "id"));
        assert_non_null(id);
        assert_int_equal(spotify_client_get_playlist(f->c, f->a, id, false, &pl, &f->rep),
                         ERR_NOT_FOUND);
        assert_non_null(strstr(report_text(&f->rep), "may not read"));
        json_decref(ps);
    }
}

struct bg_read {
    struct fx *f;
    const char *id;
    struct spotify_playlist pl;
    int rc;
};

static void *bg_read_main(void *arg)
{
    struct bg_read *b = arg;
    b->rc = spotify_client_get_playlist(b->f->c, b->f->a, b->id, true, &b->pl, &b->f->rep);
    return NULL;
}

/* Entries added while the pages are in flight: the pages disagree with the first
 * answer's total, so the read starts again and returns the playlist as it is now. */
static void test_spotify_client_read_restarts_when_playlist_changes(void **state)
{
    NEED_EMULATOR();
    struct fx *f = *state;
    char *id = make_playlist(400, true);
    struct bg_read b = {f, id, {{0}, NULL, 0}, -1};
    pthread_t th;
    json_t *uris = playlist_uris(id);
    const char *extra = json_string_value(json_array_get(uris, 0));
    char path[128];
    snprintf(path, sizeof(path), "/playlists/%s/items", id);

    admin_do("PUT", "/latency", json_pack("{s:i}", "ms", 400));
    assert_int_equal(pthread_create(&th, NULL, bg_read_main, &b), 0);
    /* first answer at ~400 ms, pages answered at ~800 ms: change the playlist between */
    struct timespec ts = {0, 600 * 1000000L};
    nanosleep(&ts, NULL);
    admin_do("POST", path, json_pack("{s:[s,s]}", "uris", extra, extra));
    pthread_join(th, NULL);
    admin_do("PUT", "/latency", json_pack("{s:i}", "ms", 0));

    assert_int_equal(b.rc, 0);
    assert_int_equal(count("GET /v1/playlists/{id}", 200), 2); /* read twice */
    json_t *now = playlist_uris(id);
    assert_int_equal(b.pl.n_items, json_array_size(now));
    assert_int_equal(b.pl.n_items, 402);
    for (size_t i = 0; i < b.pl.n_items; i++)
        assert_string_equal(b.pl.items[i].uri, json_string_value(json_array_get(now, i)));
    json_decref(now);
    json_decref(uris);
    free(id);
}

/* ---- Retries ------------------------------------------------------------------------ */

static void test_spotify_client_5xx_retried_4xx_not(void **state)
{
    NEED_EMULATOR();
    struct fx *f = *state;
    char *id = make_playlist(10, true);
    struct spotify_playlist_info info;

    admin_do("POST", "/faults",
             json_pack("{s:s, s:s, s:i, s:i}", "method", "GET", "path_prefix", "/v1/playlists/",
                       "status", 503, "count", 2));
    assert_int_equal(spotify_client_get_playlist_info(f->c, f->a, id, &info, &f->rep), 0);
    assert_int_equal(count("GET /v1/playlists/{id}", 503), 2);
    assert_int_equal(count("GET /v1/playlists/{id}", 200), 1);

    /* a dropped connection is retried too */
    admin_do("DELETE", "/counters", NULL);
    admin_do("POST", "/faults",
             json_pack("{s:s, s:s, s:b, s:i}", "method", "GET", "path_prefix", "/v1/playlists/",
                       "drop", 1, "count", 1));
    assert_int_equal(spotify_client_get_playlist_info(f->c, f->a, id, &info, &f->rep), 0);
    assert_int_equal(count("GET /v1/playlists/{id}", 200), 1);

    /* a 5xx that never ends: max_attempts (4) requests, then a clear error */
    admin_do("DELETE", "/counters", NULL);
    admin_do("POST", "/faults",
             json_pack("{s:s, s:s, s:i, s:i}", "method", "GET", "path_prefix", "/v1/playlists/",
                       "status", 502, "count", -1));
    assert_int_equal(spotify_client_get_playlist_info(f->c, f->a, id, &info, &f->rep), ERR_SPOTIFY);
    assert_int_equal(count("GET /v1/playlists/{id}", 502), SPOTIFY_DEFAULT_MAX_ATTEMPTS);
    assert_non_null(strstr(report_text(&f->rep), "502"));
    admin_do("DELETE", "/faults", NULL);

    /* a 400 is not retried; Spotify's message is kept */
    admin_do("DELETE", "/counters", NULL);
    admin_do("POST", "/faults",
             json_pack("{s:s, s:s, s:i, s:i, s:s}", "method", "GET", "path_prefix",
                       "/v1/playlists/", "status", 400, "count", 1, "message", "Bad thing"));
    assert_int_equal(spotify_client_get_playlist_info(f->c, f->a, id, &info, &f->rep), ERR_SPOTIFY);
    assert_int_equal(count("GET /v1/playlists/{id}", -1), 1);
    assert_non_null(strstr(report_text(&f->rep), "Bad thing"));
    free(id);
}

static void test_spotify_client_429_storm_honours_retry_after(void **state)
{
    NEED_EMULATOR();
    struct fx *f = *state;
    const int n = 900;
    char *id = make_playlist(n, true);
    struct spotify_playlist pl;
    struct spotify_stats st;
    admin_do("DELETE", "/requests", NULL);
    admin_do("DELETE", "/counters", NULL);
    spotify_client_stats_reset(f->c);
    admin_do("PUT", "/rate-limit",
             json_pack("{s:i, s:i, s:i}", "max", 4, "window_ms", 1000, "retry_after", 1));

    assert_int_equal(spotify_client_get_playlist(f->c, f->a, id, true, &pl, &f->rep), 0);
    assert_int_equal(pl.n_items, n);
    spotify_client_stats(f->c, &st);
    assert_true(st.rate_limited > 0);
    assert_true(st.wait_ms >= 900);
    assert_int_equal((long)st.requests, count_all());

    /* Every 429'd request came back no earlier than Retry-After (1 s) after its 429. */
    json_t *log = admin("GET", "/requests?since_ms=0", NULL);
    json_t *reqs = json_object_get(log, "requests");
    size_t n429 = 0;
    for (size_t i = 0; i < json_array_size(reqs); i++) {
        json_t *r = json_array_get(reqs, i);
        if (json_integer_value(json_object_get(r, "status")) != 429)
            continue;
        n429++;
        const char *p = json_string_value(json_object_get(r, "path"));
        const char *q = json_string_value(json_object_get(r, "query"));
        json_int_t end = json_integer_value(json_object_get(r, "end_ms"));
        for (size_t j = i + 1; j < json_array_size(reqs); j++) {
            json_t *s = json_array_get(reqs, j);
            if (strcmp(p, json_string_value(json_object_get(s, "path"))) != 0 ||
                strcmp(q ? q : "", json_string_value(json_object_get(s, "query"))
                                       ? json_string_value(json_object_get(s, "query"))
                                       : "") != 0)
                continue;
            json_int_t t = json_integer_value(json_object_get(s, "t_ms"));
            if (t < end + 1000 - 5)
                fprintf(stderr, "retried %lld ms after its 429\n", (long long)(t - end));
            assert_true(t >= end + 1000 - 5);
            break;
        }
    }
    assert_int_equal(n429, st.rate_limited);
    json_decref(log);

    /* halved by the storm, then grown back step by step once the limit is gone */
    int low = spotify_client_parallelism(f->c);
    assert_true(low < SPOTIFY_DEFAULT_PARALLELISM);
    admin_do("DELETE", "/rate-limit", NULL);
    assert_int_equal(spotify_client_get_playlist(f->c, f->a, id, true, &pl, &f->rep), 0);
    assert_true(spotify_client_parallelism(f->c) > low);
    free(id);
}

static void test_spotify_client_quota_and_long_retry_after_fail_at_once(void **state)
{
    NEED_EMULATOR();
    struct fx *f = *state;
    char *id = make_playlist(5, true);
    struct spotify_playlist_info info;

    admin_do("PUT", "/quota", json_pack("{s:b, s:i}", "enabled", 1, "retry_after", 3600));
    assert_int_equal(spotify_client_get_playlist_info(f->c, f->a, id, &info, &f->rep),
                     ERR_RATE_LIMITED);
    assert_int_equal(count_all(), 1);
    assert_non_null(strstr(report_text(&f->rep), "quota"));
    assert_non_null(strstr(report_text(&f->rep), "retry after 3600 s (at "));
    admin_do("PUT", "/quota", json_pack("{s:b}", "enabled", 0));

    /* Retry-After beyond the cap (60 s): no waiting, the time is in the message */
    admin_do("DELETE", "/counters", NULL);
    admin_do("PUT", "/rate-limit",
             json_pack("{s:i, s:i, s:i}", "max", 1, "window_ms", 60000, "retry_after", 120));
    assert_int_equal(spotify_client_get_playlist_info(f->c, f->a, id, &info, &f->rep), 0);
    int64_t t0 = util_now_ms();
    assert_int_equal(spotify_client_get_playlist_info(f->c, f->a, id, &info, &f->rep),
                     ERR_RATE_LIMITED);
    assert_true(util_now_ms() - t0 < 2000);
    assert_int_equal(count_all(), 2);
    assert_non_null(strstr(report_text(&f->rep), "Spotify rate limit: retry after 120 s (at "));
    free(id);
}

static void test_spotify_client_401_refreshes_once(void **state)
{
    NEED_EMULATOR();
    struct fx *f = *state;
    char *id = make_playlist(5, true);
    struct spotify_playlist_info info;
    struct spotify_stats st;
    spotify_client_stats_reset(f->c);
    admin_do("POST", "/tokens/expire", NULL);
    assert_int_equal(spotify_client_get_playlist_info(f->c, f->a, id, &info, &f->rep), 0);
    assert_int_equal(f->ts.forced, 1);
    assert_int_equal(f->ts.minted, 1);
    assert_int_equal(count("GET /v1/playlists/{id}", 401), 1);
    assert_int_equal(count("GET /v1/playlists/{id}", 200), 1);
    spotify_client_stats(f->c, &st);
    assert_int_equal(st.token_requests, 1);
    assert_int_equal(st.requests, 3); /* 401, token refresh, 200 */

    /* a refresh that does not help: one retry only, then "sign in again" */
    admin_do("DELETE", "/counters", NULL);
    f->ts.stale = true;
    admin_do("POST", "/tokens/expire", NULL);
    assert_int_equal(spotify_client_get_playlist_info(f->c, f->a, id, &info, &f->rep),
                     ERR_SPOTIFY_REAUTH);
    assert_int_equal(count("GET /v1/playlists/{id}", 401), 2);
    assert_int_equal(f->ts.forced, 2);
    free(id);
}

/* ---- Metadata ------------------------------------------------------------------------ */

static void test_spotify_client_batch_limits(void **state)
{
    NEED_EMULATOR();
    struct fx *f = *state;
    const char *artists[130], *albums[130], *tracks[130];
    size_t na, nb, nt;
    json_t *keep;
    catalogue_ids(artists, &na, albums, &nb, tracks, &nt, 121, &keep, "id");
    assert_int_equal(na, 121);
    assert_int_equal(nb, 121);
    artists[na++] = "0000000000000000000000"; /* unknown: answered null */
    struct spotify_artist *ar = arena_alloc(f->a, na * sizeof(*ar));
    struct spotify_album *al = arena_alloc(f->a, nb * sizeof(*al));
    struct track *tr = arena_alloc(f->a, nt * sizeof(*tr));
    admin_do("DELETE", "/counters", NULL);

    if (f->mode == DEV) { /* not served: refused without a request */
        assert_int_equal(spotify_client_get_artists(f->c, f->a, artists, na, ar, &f->rep),
                         ERR_SPOTIFY);
        assert_non_null(strstr(report_text(&f->rep), "Development Mode"));
        assert_int_equal(count_all(), 0);
        json_decref(keep);
        return;
    }
    assert_int_equal(spotify_client_get_artists(f->c, f->a, artists, na, ar, &f->rep), 0);
    assert_int_equal(spotify_client_get_albums(f->c, f->a, albums, nb, al, &f->rep), 0);
    assert_int_equal(spotify_client_get_tracks(f->c, f->a, tracks, nt, tr, &f->rep), 0);
    assert_int_equal(count("GET /v1/artists", 200), 3); /* ceil(122 / 50) */
    assert_int_equal(count("GET /v1/albums", 200), 7);  /* ceil(121 / 20) */
    assert_int_equal(count("GET /v1/tracks", 200), 3);  /* ceil(121 / 50) */
    for (size_t i = 0; i + 1 < na; i++) {
        assert_non_null(ar[i].id);
        assert_string_equal(ar[i].id, artists[i]);
        char path[64];
        snprintf(path, sizeof(path), "/artists/%s", artists[i]);
        json_t *want = admin("GET", path, NULL);
        assert_int_equal(ar[i].popularity, json_integer_value(json_object_get(want, "popularity")));
        assert_int_equal(ar[i].n_genres, json_array_size(json_object_get(want, "genres")));
        json_decref(want);
    }
    assert_null(ar[na - 1].id);
    for (size_t i = 0; i < nb; i++)
        assert_string_equal(al[i].id, albums[i]);
    for (size_t i = 0; i < nt; i++) {
        assert_string_equal(tr[i].id, tracks[i]);
        assert_true(tr[i].has & TRACK_HAS_POPULARITY);
    }
    json_decref(keep);
}

static void test_spotify_client_metadata_enrich_with_cache(void **state)
{
    NEED_EMULATOR();
    struct fx *f = *state;
    char *id = make_playlist(300, true);
    struct spotify_playlist pl;
    struct cache *cache = NULL;
    struct metadata_stats st = {0, 0, 0, 0};
    assert_int_equal(cache_new(NULL, &cache), 0);
    assert_int_equal(spotify_client_get_playlist(f->c, f->a, id, false, &pl, &f->rep), 0);
    struct track *t = arena_alloc(f->a, pl.n_items * sizeof(*t));
    for (size_t i = 0; i < pl.n_items; i++)
        t[i] = pl.items[i].track;
    admin_do("DELETE", "/counters", NULL);
    unsigned needs = RULE_NEEDS_ARTISTS | RULE_NEEDS_ALBUM;
    assert_int_equal(metadata_enrich(f->c, cache, NULL, f->a, t, pl.n_items, needs, &st, &f->rep),
                     0);
    if (f->mode == DEV) {
        assert_int_equal(count_all(), 0);
        assert_int_equal(st.cache_misses, 0);
        goto done;
    }
    /* unique ids only, each endpoint at its batch maximum */
    assert_int_equal(count("GET /v1/artists", 200), (long)(st.artists_fetched + 49) / 50);
    assert_int_equal(count("GET /v1/albums", 200), (long)(st.albums_fetched + 19) / 20);
    assert_int_equal(count_all(), count("GET /v1/artists", 200) + count("GET /v1/albums", 200));
    assert_int_equal(st.cache_hits, 0);
    for (size_t i = 0; i < pl.n_items; i += 37) {
        char path[64];
        snprintf(path, sizeof(path), "/tracks/%s", t[i].id);
        json_t *want = admin("GET", path, NULL);
        json_t *g = json_object_get(want, "genres");
        assert_int_equal(t[i].n_genres, json_array_size(g));
        for (size_t k = 0; k < t[i].n_genres; k++)
            assert_string_equal(t[i].genres[k], json_string_value(json_array_get(g, k)));
        assert_string_equal(t[i].label, json_string_value(json_object_get(
                                            json_object_get(want, "album"), "label")));
        json_decref(want);
    }
    /* a second sync: everything from the cache, not one request */
    unsigned long misses = st.cache_misses;
    admin_do("DELETE", "/counters", NULL);
    for (size_t i = 0; i < pl.n_items; i++)
        t[i] = pl.items[i].track;
    assert_int_equal(metadata_enrich(f->c, cache, NULL, f->a, t, pl.n_items, needs, &st, &f->rep),
                     0);
    assert_int_equal(count_all(), 0);
    assert_int_equal(st.cache_hits, misses);
    assert_true(t[0].n_genres > 0 || t[1].n_genres > 0);
done:
    cache_free(cache);
    free(id);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        BOTH(test_spotify_client_reads_pages_in_order),
        BOTH(test_spotify_client_small_and_empty_playlists),
        BOTH(test_spotify_client_not_found_and_forbidden),
        BOTH(test_spotify_client_read_restarts_when_playlist_changes),
        BOTH(test_spotify_client_5xx_retried_4xx_not),
        BOTH(test_spotify_client_429_storm_honours_retry_after),
        BOTH(test_spotify_client_quota_and_long_retry_after_fail_at_once),
        BOTH(test_spotify_client_401_refreshes_once),
        BOTH(test_spotify_client_batch_limits),
        BOTH(test_spotify_client_metadata_enrich_with_cache),
    };
    return cmocka_run_group_tests(tests, emu_start, emu_stop);
}
