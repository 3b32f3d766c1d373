/* Tests of services/metadata.c that need no Spotify: cache hits only (the client points
 * at a closed port and its token source counts calls, so any request would show), and
 * development mode. The fetch path is covered by test_spotify_client.c (emulator). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <curl/curl.h>

#include "lib/app_err.h"
#include "lib/arena.h"
#include "services/cache/cache.h"
#include "services/metadata/metadata.h"
#include "services/spotify/spotify_client.h"

static int token_calls;

static int no_token(void *ud, int force, char **token, int *made)
{
    (void)ud;
    (void)force;
    token_calls++;
    *token = NULL;
    *made = 0;
    return ERR_SPOTIFY;
}

static struct spotify_client *client_for(enum spotify_mode mode)
{
    struct spotify_client_opts o = {0};
    struct spotify_token_source ts = {no_token, NULL};
    struct spotify_client *c = NULL;
    o.api_base = "http://127.0.0.1:1/v1";
    o.mode = mode;
    assert_int_equal(spotify_client_new(&o, &ts, &c), 0);
    return c;
}

static void put(struct cache *c, const char *kind, const char *id, const char *value)
{
    char key[128];
    assert_int_equal(cache_key(key, sizeof(key), kind, id), 0);
    const char *k = key;
    assert_int_equal(cache_mset(c, &k, &value, 1, 60), 0);
}

static void test_metadata_enrich_from_cache_only(void **state)
{
    (void)state;
    struct cache *cache = NULL;
    struct arena *a = arena_new();
    struct spotify_client *c = client_for(SPOTIFY_MODE_EXTENDED);
    assert_int_equal(cache_new(NULL, &cache), 0);
    put(cache, "artist", "a1", "{\"g\":[\"rock\",\"indie\"],\"p\":40}");
    put(cache, "artist", "a2", "{\"g\":[\"indie\",\"pop\"],\"p\":70}");
    put(cache, "artist", "a3", "{\"g\":[]}");
    put(cache, "album", "al1", "{\"l\":\"Sub Pop\",\"p\":33}");
    put(cache, "album", "al2", "{}");

    const char *ids1[] = {"a1", "a2"}, *ids2[] = {"a3"}, *ids3[] = {"a2", "a1"};
    struct track t[4];
    memset(t, 0, sizeof(t));
    t[0].artist_ids = ids1;
    t[0].n_artists = 2;
    t[0].album_id = "al1";
    t[1].artist_ids = ids2;
    t[1].n_artists = 1;
    t[1].album_id = "al2";
    t[2].artist_ids = ids3;
    t[2].n_artists = 2;
    t[2].album_id = "al1";
    /* t[3]: a local file, no ids */

    struct metadata_stats st = {0, 0, 0, 0};
    token_calls = 0;
    assert_int_equal(
        metadata_enrich(c, cache, NULL, a, t, 4, RULE_NEEDS_ARTISTS | RULE_NEEDS_ALBUM, &st, NULL),
        0);
    assert_int_equal(token_calls, 0); /* no request at all */
    assert_int_equal(st.cache_hits, 5); /* 3 unique artists + 2 unique albums */
    assert_int_equal(st.cache_misses, 0);
    assert_int_equal(st.artists_fetched, 0);

    assert_int_equal(t[0].n_genres, 3); /* union, first-seen order */
    assert_string_equal(t[0].genres[0], "rock");
    assert_string_equal(t[0].genres[1], "indie");
    assert_string_equal(t[0].genres[2], "pop");
    assert_true(t[0].has & TRACK_HAS_ARTIST_POPULARITY);
    assert_int_equal(t[0].artist_popularity, 70); /* max */
    assert_string_equal(t[0].label, "Sub Pop");
    assert_int_equal(t[0].album_popularity, 33);
    assert_string_equal(t[2].genres[0], "indie");
    assert_string_equal(t[2].genres[1], "pop");
    assert_string_equal(t[2].genres[2], "rock");

    assert_int_equal(t[1].n_genres, 0);
    assert_false(t[1].has & TRACK_HAS_ARTIST_POPULARITY); /* a3 has no popularity */
    assert_null(t[1].label);
    assert_false(t[1].has & TRACK_HAS_ALBUM_POPULARITY);
    assert_int_equal(t[3].n_genres, 0);

    spotify_client_free(c);
    cache_free(cache);
    arena_free(a);
}

static void test_metadata_enrich_only_what_is_needed(void **state)
{
    (void)state;
    struct cache *cache = NULL;
    struct arena *a = arena_new();
    struct spotify_client *c = client_for(SPOTIFY_MODE_EXTENDED);
    assert_int_equal(cache_new(NULL, &cache), 0);
    put(cache, "album", "al1", "{\"l\":\"L\",\"p\":1}");
    const char *ids[] = {"not-cached"};
    struct track t;
    memset(&t, 0, sizeof(t));
    t.artist_ids = ids;
    t.n_artists = 1;
    t.album_id = "al1";
    struct metadata_stats st = {0, 0, 0, 0};
    token_calls = 0;
    /* Only the album is needed: the uncached artist is not asked for. */
    assert_int_equal(metadata_enrich(c, cache, NULL, a, &t, 1, RULE_NEEDS_ALBUM, &st, NULL), 0);
    assert_int_equal(token_calls, 0);
    assert_string_equal(t.label, "L");
    assert_int_equal(st.cache_hits, 1);
    /* Nothing needed: nothing done. */
    assert_int_equal(metadata_enrich(c, cache, NULL, a, &t, 1, RULE_NEEDS_TRACK, &st, NULL), 0);
    assert_int_equal(st.cache_hits, 1);
    /* The artist is needed and missing: the client is asked (and fails here). */
    assert_int_equal(metadata_enrich(c, cache, NULL, a, &t, 1, RULE_NEEDS_ARTISTS, &st, NULL),
                     ERR_SPOTIFY);
    assert_int_equal(token_calls, 1);
    assert_int_equal(st.cache_misses, 1);
    spotify_client_free(c);
    cache_free(cache);
    arena_free(a);
}

static void test_metadata_enrich_development_mode_is_noop(void **state)
{
    (void)state;
    struct arena *a = arena_new();
    struct spotify_client *c = client_for(SPOTIFY_MODE_DEVELOPMENT);
    const char *ids[] = {"a1"};
    struct track t;
    memset(&t, 0, sizeof(t));
    t.artist_ids = ids;
    t.n_artists = 1;
    t.album_id = "al1";
    struct metadata_stats st = {0, 0, 0, 0};
    token_calls = 0;
    assert_int_equal(
        metadata_enrich(c, NULL, NULL, a, &t, 1, RULE_NEEDS_ARTISTS | RULE_NEEDS_ALBUM, &st, NULL),
        0);
    assert_int_equal(token_calls, 0);
    assert_int_equal(st.cache_hits + st.cache_misses, 0);
    assert_int_equal(t.n_genres, 0);
    spotify_client_free(c);
    arena_free(a);
}

static void test_metadata_malformed_cache_value_is_a_miss(void **state)
{
    (void)state;
    struct cache *cache = NULL;
    struct arena *a = arena_new();
    struct spotify_client *c = client_for(SPOTIFY_MODE_EXTENDED);
    assert_int_equal(cache_new(NULL, &cache), 0);
    put(cache, "artist", "a1", "not json");
    const char *ids[] = {"a1"};
    struct track t;
    memset(&t, 0, sizeof(t));
    t.artist_ids = ids;
    t.n_artists = 1;
    struct metadata_stats st = {0, 0, 0, 0};
    struct report rep = {0};
    assert_int_equal(metadata_enrich(c, cache, NULL, a, &t, 1, RULE_NEEDS_ARTISTS, &st, &rep),
                     ERR_SPOTIFY); /* fetch attempted (closed port / no token) */
    assert_int_equal(st.cache_misses, 1);
    assert_string_not_equal(report_text(&rep), "");
    report_release(&rep);
    spotify_client_free(c);
    cache_free(cache);
    arena_free(a);
}

int main(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_metadata_enrich_from_cache_only),
        cmocka_unit_test(test_metadata_enrich_only_what_is_needed),
        cmocka_unit_test(test_metadata_enrich_development_mode_is_noop),
        cmocka_unit_test(test_metadata_malformed_cache_value_is_a_miss),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    curl_global_cleanup();
    return rc;
}
