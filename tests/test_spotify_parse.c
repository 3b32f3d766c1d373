/* Tests of services/spotify_parse.c on JSON fixtures of both API modes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "lib/app_err.h"
#include "lib/arena.h"
#include "lib/buf.h"
#include "lib/util.h"
#include "services/spotify/spotify_parse.h"

/* Development mode: GET /playlists/{id} embeds the first page under "items" and each
 * entry's object under "item"; no popularity. */
static const char *DEV_PLAYLIST =
    "{\"id\":\"pl1\",\"name\":\"Base\",\"snapshot_id\":\"snap-7\",\"owner\":{\"id\":\"alice\"},"
    "\"items\":{\"total\":5,\"limit\":100,\"offset\":0,\"items\":["
    /* 0: a normal track, day-precision date, isrc */
    "{\"added_at\":\"2026-01-02T03:04:05Z\",\"added_by\":{\"id\":\"alice\"},\"is_local\":false,"
    "\"item\":{\"type\":\"track\",\"id\":\"t0\",\"uri\":\"spotify:track:t0\",\"name\":\"Song\","
    "\"duration_ms\":201000,\"explicit\":true,\"track_number\":3,\"disc_number\":1,"
    "\"external_ids\":{\"isrc\":\"USAB12345678\"},"
    "\"artists\":[{\"id\":\"a1\",\"name\":\"Ann\"},{\"id\":\"a2\",\"name\":\"Bob\"}],"
    "\"album\":{\"id\":\"al1\",\"name\":\"Alb\",\"album_type\":\"album\","
    "\"release_date\":\"1994-06-12\",\"release_date_precision\":\"day\"}}},"
    /* 1: a local file */
    "{\"added_at\":\"2026-01-02T03:04:06Z\",\"is_local\":true,"
    "\"item\":{\"type\":\"track\",\"id\":null,\"uri\":\"spotify:local:Ann:Alb:Home:180\","
    "\"name\":\"Home\",\"is_local\":true,\"duration_ms\":180000,"
    "\"artists\":[{\"id\":null,\"name\":\"Ann\"}],"
    "\"album\":{\"id\":null,\"name\":\"Alb\",\"release_date\":null}}},"
    /* 2: an episode */
    "{\"added_at\":\"2026-01-02T03:04:07.250Z\",\"is_local\":false,"
    "\"item\":{\"type\":\"episode\",\"id\":\"e1\",\"uri\":\"spotify:episode:e1\","
    "\"name\":\"Ep\",\"duration_ms\":3600000,\"release_date\":\"2025-05\"}},"
    /* 3: an unavailable entry (null track) */
    "{\"added_at\":null,\"is_local\":false,\"item\":null},"
    /* 4: year-precision date, no isrc, no explicit */
    "{\"added_at\":\"2026-01-02T03:04:08Z\",\"is_local\":false,"
    "\"item\":{\"type\":\"track\",\"id\":\"t4\",\"uri\":\"spotify:track:t4\",\"name\":\"Old\","
    "\"artists\":[{\"id\":\"a1\",\"name\":\"Ann\"}],"
    "\"album\":{\"id\":\"al2\",\"name\":\"Old Alb\",\"album_type\":\"single\","
    "\"release_date\":\"1971\",\"release_date_precision\":\"year\"}}}"
    "]}}";

/* Extended mode: "tracks" and "track", with popularity; one month-precision date and a
 * relinked track. */
static const char *EXT_PLAYLIST =
    "{\"id\":\"pl2\",\"name\":\"Ext\",\"snapshot_id\":\"s2\",\"owner\":{\"id\":\"bob\"},"
    "\"tracks\":{\"total\":2,\"items\":["
    "{\"added_at\":\"2025-12-31T23:59:59Z\",\"added_by\":{\"id\":\"bob\"},\"is_local\":false,"
    "\"track\":{\"type\":\"track\",\"id\":\"t9\",\"uri\":\"spotify:track:t9\",\"name\":\"Pop\","
    "\"popularity\":77,\"duration_ms\":1000,\"explicit\":false,"
    "\"artists\":[{\"id\":\"a9\",\"name\":\"Cy\"}],"
    "\"album\":{\"id\":\"al9\",\"name\":\"A9\",\"album_type\":\"compilation\","
    "\"release_date\":\"2001-02\",\"release_date_precision\":\"month\"}}},"
    "{\"added_at\":\"2025-12-31T23:59:59Z\",\"is_local\":false,"
    "\"track\":{\"type\":\"track\",\"id\":\"new\",\"uri\":\"spotify:track:new\",\"name\":\"R\","
    "\"linked_from\":{\"id\":\"orig\",\"uri\":\"spotify:track:orig\"},"
    "\"artists\":[],\"album\":{\"id\":\"al9\",\"release_date\":\"2001-02-30\"}}}"
    "]}}";

struct fx {
    struct arena *a;
    json_t *root;
};

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof(*f));
    f->a = arena_new();
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;
    json_decref(f->root);
    arena_free(f->a);
    free(f);
    return 0;
}

/* Parses the playlist header and its embedded page into items[]. */
static size_t parse_playlist(struct fx *f, const char *text, struct spotify_playlist_info *info,
                             struct spotify_item *items, size_t cap)
{
    const json_t *page = NULL;
    size_t n = 0, total = 0;
    f->root = json_loads(text, 0, NULL);
    assert_non_null(f->root);
    assert_int_equal(spotify_parse_playlist_info(f->root, f->a, info, &page), 0);
    assert_non_null(page);
    assert_int_equal(spotify_parse_page(page, 0, f->a, items, cap, &n, &total), 0);
    assert_int_equal(total, info->total);
    return n;
}

static void test_spotify_parse_dev_playlist_header(void **state)
{
    struct fx *f = *state;
    struct spotify_playlist_info info;
    struct spotify_item items[8];
    assert_int_equal(parse_playlist(f, DEV_PLAYLIST, &info, items, 8), 5);
    assert_string_equal(info.id, "pl1");
    assert_string_equal(info.name, "Base");
    assert_string_equal(info.snapshot_id, "snap-7");
    assert_string_equal(info.owner_id, "alice");
    assert_int_equal(info.total, 5);
}

static void test_spotify_parse_dev_track(void **state)
{
    struct fx *f = *state;
    struct spotify_playlist_info info;
    struct spotify_item items[8];
    parse_playlist(f, DEV_PLAYLIST, &info, items, 8);
    const struct spotify_item *it = &items[0];
    const struct track *t = &it->track;
    assert_int_equal(it->kind, SPOTIFY_ITEM_TRACK);
    assert_string_equal(it->uri, "spotify:track:t0");
    assert_string_equal(t->id, "t0");
    assert_string_equal(t->name, "Song");
    assert_string_equal(t->isrc, "USAB12345678");
    assert_int_equal(t->n_artists, 2);
    assert_string_equal(t->artist_ids[1], "a2");
    assert_string_equal(t->artist_names[0], "Ann");
    assert_string_equal(t->album_id, "al1");
    assert_string_equal(t->album_type, "album");
    assert_true(t->has & TRACK_HAS_RELEASE);
    assert_int_equal(t->release_year, 1994);
    assert_int_equal(t->release_first_day, t->release_last_day);
    assert_int_equal(t->duration_ms, 201000);
    assert_true(t->is_explicit);
    assert_int_equal(t->track_number, 3);
    assert_false(t->has & TRACK_HAS_POPULARITY); /* development mode: none */
    assert_true(t->has & TRACK_HAS_ADDED_AT);
    time_t want;
    assert_int_equal(util_time_parse("2026-01-02T03:04:05Z", &want), 0);
    assert_int_equal(t->added_at, (int64_t)want);
    assert_string_equal(t->added_by, "alice");
    assert_int_equal(t->base_index, 0);
}

static void test_spotify_parse_local_episode_unavailable(void **state)
{
    struct fx *f = *state;
    struct spotify_playlist_info info;
    struct spotify_item items[8];
    parse_playlist(f, DEV_PLAYLIST, &info, items, 8);
    assert_int_equal(items[1].kind, SPOTIFY_ITEM_LOCAL);
    assert_string_equal(items[1].uri, "spotify:local:Ann:Alb:Home:180");
    assert_null(items[1].track.id);
    assert_null(items[1].track.artist_ids[0]);
    assert_string_equal(items[1].track.artist_names[0], "Ann");
    assert_false(items[1].track.has & TRACK_HAS_RELEASE);

    assert_int_equal(items[2].kind, SPOTIFY_ITEM_EPISODE);
    assert_string_equal(items[2].uri, "spotify:episode:e1");
    assert_int_equal(items[2].track.release_year, 2025); /* month precision */
    assert_true(items[2].track.has & TRACK_HAS_ADDED_AT); /* fractional seconds */

    assert_int_equal(items[3].kind, SPOTIFY_ITEM_UNAVAILABLE);
    assert_null(items[3].uri);
    assert_false(items[3].track.has & TRACK_HAS_ADDED_AT);
    assert_int_equal(items[3].track.base_index, 3);
}

static void test_spotify_parse_partial_date_missing_isrc(void **state)
{
    struct fx *f = *state;
    struct spotify_playlist_info info;
    struct spotify_item items[8];
    parse_playlist(f, DEV_PLAYLIST, &info, items, 8);
    const struct track *t = &items[4].track;
    assert_null(t->isrc);
    assert_false(t->has & TRACK_HAS_EXPLICIT);
    assert_false(t->has & TRACK_HAS_DURATION);
    assert_int_equal(t->release_year, 1971);
    assert_int_equal(t->release_first_day, util_days_from_civil(1971, 1, 1));
    assert_int_equal(t->release_last_day, util_days_from_civil(1971, 12, 31));
    assert_string_equal(t->album_type, "single");
}

static void test_spotify_parse_extended_playlist(void **state)
{
    struct fx *f = *state;
    struct spotify_playlist_info info;
    struct spotify_item items[4];
    assert_int_equal(parse_playlist(f, EXT_PLAYLIST, &info, items, 4), 2);
    const struct track *t = &items[0].track;
    assert_int_equal(items[0].kind, SPOTIFY_ITEM_TRACK);
    assert_true(t->has & TRACK_HAS_POPULARITY);
    assert_int_equal(t->popularity, 77);
    assert_true(t->has & TRACK_HAS_EXPLICIT);
    assert_false(t->is_explicit);
    assert_int_equal(t->release_first_day, util_days_from_civil(2001, 2, 1));
    assert_int_equal(t->release_last_day, util_days_from_civil(2001, 2, 28));
    /* relinked: the playlist holds the original uri */
    assert_string_equal(items[1].uri, "spotify:track:orig");
    assert_string_equal(items[1].track.id, "orig");
    assert_int_equal(items[1].track.n_artists, 0);
    assert_false(items[1].track.has & TRACK_HAS_RELEASE); /* 2001-02-30 is no date */
    assert_string_equal(items[1].track.release_date, "2001-02-30");
}

static void test_spotify_parse_page_limits(void **state)
{
    struct fx *f = *state;
    struct spotify_item items[1];
    size_t n = 0, total = 0;
    f->root = json_loads("{\"items\":[null,{}],\"total\":2}", 0, NULL);
    assert_int_equal(spotify_parse_page(f->root, 0, f->a, items, 1, &n, &total), ERR_SPOTIFY);
    json_decref(f->root);
    f->root = json_loads("{\"total\":2}", 0, NULL);
    assert_int_equal(spotify_parse_page(f->root, 0, f->a, items, 1, &n, &total), ERR_SPOTIFY);
    json_decref(f->root);
    f->root = json_loads("{\"items\":[null]}", 0, NULL);
    assert_int_equal(spotify_parse_page(f->root, 7, f->a, items, 1, &n, &total), 0);
    assert_int_equal(n, 1);
    assert_int_equal(total, (size_t)-1);
    assert_int_equal(items[0].kind, SPOTIFY_ITEM_UNAVAILABLE);
    assert_int_equal(items[0].track.base_index, 7);
}

static void test_spotify_parse_artist_album_user(void **state)
{
    struct fx *f = *state;
    struct spotify_artist ar;
    struct spotify_album al;
    struct spotify_user u;
    f->root = json_loads("{\"artists\":[{\"id\":\"a1\",\"name\":\"Ann\",\"genres\":[\"rock\","
                         "\"indie rock\"],\"popularity\":55},null],"
                         "\"albums\":[{\"id\":\"al1\",\"label\":\"Sub Pop\",\"popularity\":40},"
                         "{\"id\":\"al2\"}],"
                         "\"me\":{\"id\":\"alice\",\"display_name\":\"Alice\",\"country\":\"SE\"}}",
                         0, NULL);
    assert_non_null(f->root);
    const json_t *arr = json_object_get(f->root, "artists");
    assert_int_equal(spotify_parse_artist(json_array_get(arr, 0), f->a, &ar), 0);
    assert_string_equal(ar.id, "a1");
    assert_int_equal(ar.n_genres, 2);
    assert_string_equal(ar.genres[1], "indie rock");
    assert_int_equal(ar.popularity, 55);
    assert_int_equal(spotify_parse_artist(json_array_get(arr, 1), f->a, &ar), 0);
    assert_null(ar.id);
    assert_int_equal(ar.popularity, -1);
    arr = json_object_get(f->root, "albums");
    assert_int_equal(spotify_parse_album(json_array_get(arr, 0), f->a, &al), 0);
    assert_string_equal(al.label, "Sub Pop");
    assert_int_equal(al.popularity, 40);
    assert_int_equal(spotify_parse_album(json_array_get(arr, 1), f->a, &al), 0);
    assert_null(al.label);
    assert_int_equal(al.popularity, -1);
    assert_int_equal(spotify_parse_user(json_object_get(f->root, "me"), f->a, &u), 0);
    assert_string_equal(u.id, "alice");
    assert_string_equal(u.display_name, "Alice");
    assert_null(u.product);
}

static void test_spotify_parse_error_bodies(void **state)
{
    (void)state;
    struct buf b = BUF_INIT;
    bool quota = true;
    const char *e1 = "{\"error\":{\"status\":404,\"message\":\"Resource not found\"}}";
    assert_int_equal(spotify_parse_error(e1, strlen(e1), &b, &quota), 0);
    assert_string_equal(b.data, "Resource not found");
    assert_false(quota);
    buf_reset(&b);
    const char *e2 = "{\"error\":{\"status\":429,\"message\":\"API rate limit exceeded\","
                     "\"reason\":\"QUOTA_EXCEEDED\"}}";
    assert_int_equal(spotify_parse_error(e2, strlen(e2), &b, &quota), 0);
    assert_true(quota);
    buf_reset(&b);
    const char *e3 = "{\"error\":\"invalid_grant\",\"error_description\":\"Refresh token revoked\"}";
    assert_int_equal(spotify_parse_error(e3, strlen(e3), &b, &quota), 0);
    assert_string_equal(b.data, "Refresh token revoked");
    assert_false(quota);
    buf_reset(&b);
    assert_int_equal(spotify_parse_error("<html>", 6, &b, &quota), 0);
    assert_int_equal(b.len, 0);
    assert_int_equal(spotify_parse_error(NULL, 0, &b, &quota), 0);
    buf_release(&b);
}

/* A long message is cut to 300 bytes, never inside a character: the text ends up in a
 * SyncEvent's error_message, which must stay valid UTF-8. */
static void test_spotify_parse_error_cut_at_a_character(void **state)
{
    (void)state;
    char body[512], want[301];
    struct buf b = BUF_INIT;
    bool quota;
    /* 299 x 'a' then "é" (2 bytes: 299-300): the cut at 300 would split it. */
    memset(want, 'a', 299);
    want[299] = '\0';
    snprintf(body, sizeof body, "{\"error\":{\"status\":400,\"message\":\"%s\xc3\xa9tail\"}}", want);
    assert_int_equal(spotify_parse_error(body, strlen(body), &b, &quota), 0);
    assert_int_equal(b.len, 299);
    assert_string_equal(b.data, want);
    buf_reset(&b);
    /* 298 x 'a' then "é": it fits whole (300 bytes). */
    want[298] = '\0';
    snprintf(body, sizeof body, "{\"error\":{\"status\":400,\"message\":\"%s\xc3\xa9tail\"}}", want);
    assert_int_equal(spotify_parse_error(body, strlen(body), &b, &quota), 0);
    assert_int_equal(b.len, 300);
    assert_int_equal(memcmp(b.data + 298, "\xc3\xa9", 2), 0);
    buf_release(&b);
}

static void test_spotify_parse_timestamp_formats(void **state)
{
    (void)state;
    int64_t t = 0, u = 0;
    assert_int_equal(spotify_parse_timestamp("2026-11-23T14:30:00Z", &t), 0);
    assert_int_equal(spotify_parse_timestamp("2026-11-23T14:30:00.999Z", &u), 0);
    assert_int_equal(t, u);
    assert_int_equal(spotify_parse_timestamp("2026-11-23T14:30:00.5+01:00", &u), -1);
    assert_int_equal(spotify_parse_timestamp("yesterday", &u), -1);
    /* short fields, signs and spaces (tests/fuzz/corpus/fuzz_spotify_parse/crash-*) */
    assert_int_equal(spotify_parse_timestamp("2-1-06T4:30:14Z", &u), -1);
    assert_int_equal(spotify_parse_timestamp("2026-11-23T-1:-5:-9Z", &u), -1);
    assert_int_equal(spotify_parse_timestamp(" 2026-11-23T14:30:00Z", &u), -1);
    assert_int_equal(spotify_parse_timestamp("2026-11-23T14:30:00Z ", &u), -1);
    assert_int_equal(spotify_parse_timestamp(NULL, &u), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_spotify_parse_dev_playlist_header, setup, teardown),
        cmocka_unit_test_setup_teardown(test_spotify_parse_dev_track, setup, teardown),
        cmocka_unit_test_setup_teardown(test_spotify_parse_local_episode_unavailable, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_spotify_parse_partial_date_missing_isrc, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_spotify_parse_extended_playlist, setup, teardown),
        cmocka_unit_test_setup_teardown(test_spotify_parse_page_limits, setup, teardown),
        cmocka_unit_test_setup_teardown(test_spotify_parse_artist_album_user, setup, teardown),
        cmocka_unit_test(test_spotify_parse_error_bodies),
        cmocka_unit_test(test_spotify_parse_error_cut_at_a_character),
        cmocka_unit_test(test_spotify_parse_timestamp_formats),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
