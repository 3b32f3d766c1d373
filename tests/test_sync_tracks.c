/* services/sync_tracks: the filterable tracks of a sync (local files, episodes and
 * unavailable entries left out, each track once at its first entry, counts). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
/* cmocka.h needs setjmp.h, stdarg.h and stddef.h first. */
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "lib/arena.h"
#include "services/sync/sync_tracks.h"

static struct spotify_item track_item(const char *id, const char *uri)
{
    struct spotify_item it;
    memset(&it, 0, sizeof it);
    it.kind = SPOTIFY_ITEM_TRACK;
    it.uri = uri;
    it.track.id = id;
    it.track.uri = uri;
    return it;
}

static struct spotify_item other_item(enum spotify_item_kind kind, const char *uri)
{
    struct spotify_item it;
    memset(&it, 0, sizeof it);
    it.kind = kind;
    it.uri = uri;
    return it;
}

static void test_sync_tracks_skips_and_dedupes(void **state)
{
    struct arena *a = arena_new();
    struct spotify_item items[] = {
        track_item("A", "spotify:track:A"),
        other_item(SPOTIFY_ITEM_LOCAL, "spotify:local:x:y:z:10"),
        track_item("B", "spotify:track:B"),
        track_item("A", "spotify:track:A"), /* duplicate of entry 0 */
        other_item(SPOTIFY_ITEM_EPISODE, "spotify:episode:E"),
        other_item(SPOTIFY_ITEM_UNAVAILABLE, NULL),
        track_item("C", "spotify:track:C"),
        track_item("B", "spotify:track:B"), /* duplicate of entry 2 */
        track_item(NULL, NULL),             /* a track object without id */
    };
    struct sync_tracks t;
    assert_int_equal(sync_tracks_build(a, items, 9, &t), 0);
    assert_int_equal(t.n, 3);
    assert_string_equal(t.tracks[0].id, "A");
    assert_string_equal(t.tracks[1].id, "B");
    assert_string_equal(t.tracks[2].id, "C");
    /* base_index is the entry's index in the base, not the track's rank */
    assert_int_equal(t.tracks[0].base_index, 0);
    assert_int_equal(t.tracks[1].base_index, 2);
    assert_int_equal(t.tracks[2].base_index, 6);
    assert_int_equal(t.n_local, 1);
    assert_int_equal(t.n_episodes, 1);
    assert_int_equal(t.n_unavailable, 2);
    assert_int_equal(t.n_duplicates, 2);
    assert_int_equal(sync_tracks_skipped(&t), 6);
    assert_int_equal(t.n + sync_tracks_skipped(&t), 9);
    arena_free(a);
}

static void test_sync_tracks_empty_base(void **state)
{
    struct arena *a = arena_new();
    struct sync_tracks t;
    assert_int_equal(sync_tracks_build(a, NULL, 0, &t), 0);
    assert_int_equal(t.n, 0);
    assert_int_equal(sync_tracks_skipped(&t), 0);
    arena_free(a);
}

static void test_sync_tracks_many_duplicates_keep_first(void **state)
{
    /* 3000 entries over 1000 distinct ids: a set far above its 16-slot minimum,
     * probed through many collisions. */
    struct arena *a = arena_new();
    enum { N = 3000, D = 1000 };
    static struct spotify_item items[N];
    static char ids[D][16], uris[D][32];
    for (int i = 0; i < D; i++) {
        snprintf(ids[i], sizeof ids[i], "id%04d", i);
        snprintf(uris[i], sizeof uris[i], "spotify:track:id%04d", i);
    }
    for (int i = 0; i < N; i++)
        items[i] = track_item(ids[(i * 7) % D], uris[(i * 7) % D]);
    struct sync_tracks t;
    assert_int_equal(sync_tracks_build(a, items, N, &t), 0);
    assert_int_equal(t.n, D);
    assert_int_equal(t.n_duplicates, N - D);
    for (size_t i = 0; i < t.n; i++) {
        assert_int_equal(t.tracks[i].base_index, i); /* the first D entries are distinct */
        assert_string_equal(t.tracks[i].id, items[i].track.id);
    }
    arena_free(a);
}

static void test_sync_tracks_find_kind(void **state)
{
    struct spotify_item items[] = {
        track_item("A", "spotify:track:A"),
        other_item(SPOTIFY_ITEM_LOCAL, "spotify:local:x:y:z:10"),
        other_item(SPOTIFY_ITEM_EPISODE, "spotify:episode:E"),
    };
    assert_int_equal(sync_tracks_find_kind(items, 3, "A"), SPOTIFY_ITEM_TRACK);
    assert_int_equal(sync_tracks_find_kind(items, 3, "spotify:track:A"), SPOTIFY_ITEM_TRACK);
    assert_int_equal(sync_tracks_find_kind(items, 3, "spotify:local:x:y:z:10"), SPOTIFY_ITEM_LOCAL);
    assert_int_equal(sync_tracks_find_kind(items, 3, "spotify:episode:E"), SPOTIFY_ITEM_EPISODE);
    assert_int_equal(sync_tracks_find_kind(items, 3, "Z"), -1);
}

static void test_sync_strset_add_reports_new(void **state)
{
    struct arena *a = arena_new();
    struct sync_strset s;
    assert_int_equal(sync_strset_init(&s, a, 3), 0);
    assert_true(sync_strset_add(&s, "x"));
    assert_true(sync_strset_add(&s, "y"));
    assert_false(sync_strset_add(&s, "x"));
    assert_true(sync_strset_add(&s, "z"));
    assert_false(sync_strset_add(&s, "z"));
    arena_free(a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sync_tracks_skips_and_dedupes),
        cmocka_unit_test(test_sync_tracks_empty_base),
        cmocka_unit_test(test_sync_tracks_many_duplicates_keep_first),
        cmocka_unit_test(test_sync_tracks_find_kind),
        cmocka_unit_test(test_sync_strset_add_reports_new),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
