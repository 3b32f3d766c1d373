/* The repositories of issue 13: the shared MusicBrainz store (musicbrainz_repo) and the
 * user's tags (tag_repo), and the tag service's normalisation and per-track values. */
#include "test_sync_fixture.h"

#include "repositories/musicbrainz_repo.h"
#include "repositories/tag_repo.h"
#include "lib/app_err.h"
#include "lib/report.h"
#include "services/tags/tag_service.h"

static void test_metadata_store_isrc_roundtrip(void **state)
{
    struct fx *f = *state;
    struct mb_isrc_row got;
    const char *recs[] = {"3e0bdde6-74e0-46d4-855a-4493589fd6b2", "e4f68b55-46f4-46b2-b526-5eef462c8c57"};
    const char *arts[] = {"9b58672a-e68e-4972-956e-a8985a165a1f"};
    struct mb_isrc_row rows[] = {
        {.isrc = "GBAAA9900303", .known = true, .recording_ids = recs, .n_recordings = 2,
         .artist_ids = arts, .n_artists = 1, .has_year = true, .original_year = 1991,
         .fetched_at = 1000},
        {.isrc = "USABC2300042", .known = false, .fetched_at = 1001}, /* unknown: kept too */
    };
    assert_int_equal(musicbrainz_repo_get_isrc(f->db, f->a, "GBAAA9900303", &got), ERR_NOT_FOUND);
    assert_int_equal(musicbrainz_repo_put_isrcs(f->db, rows, 2), 0);
    assert_int_equal(musicbrainz_repo_get_isrc(f->db, f->a, "GBAAA9900303", &got), 0);
    assert_true(got.known);
    assert_int_equal(got.n_recordings, 2);
    assert_string_equal(got.recording_ids[1], recs[1]);
    assert_int_equal(got.n_artists, 1);
    assert_string_equal(got.artist_ids[0], arts[0]);
    assert_true(got.has_year);
    assert_int_equal(got.original_year, 1991);
    assert_int_equal(got.fetched_at, 1000);
    assert_int_equal(musicbrainz_repo_get_isrc(f->db, f->a, "USABC2300042", &got), 0);
    assert_false(got.known);
    assert_false(got.has_year);
    assert_int_equal(got.n_artists, 0);
    /* A refresh replaces the row. */
    rows[0].has_year = false;
    rows[0].fetched_at = 5000;
    assert_int_equal(musicbrainz_repo_put_isrcs(f->db, rows, 1), 0);
    assert_int_equal(musicbrainz_repo_get_isrc(f->db, f->a, "GBAAA9900303", &got), 0);
    assert_false(got.has_year);
    assert_int_equal(got.fetched_at, 5000);
    assert_int_equal(count(f->db, "SELECT count(*) FROM mb_isrcs"), 2);
}

static void test_metadata_store_artists_and_state(void **state)
{
    struct fx *f = *state;
    struct mb_artist_row got;
    const char *genres[] = {"indie rock", "shoegaze"};
    struct mb_artist_row rows[] = {
        {.id = "a1", .known = true, .genres = genres, .n_genres = 2, .fetched_at = 7},
        {.id = "a2", .known = false, .fetched_at = 8},
    };
    const char *v = NULL;
    int64_t at = 0;
    assert_int_equal(musicbrainz_repo_put_artists(f->db, rows, 2), 0);
    assert_int_equal(musicbrainz_repo_get_artist(f->db, f->a, "a1", &got), 0);
    assert_true(got.known);
    assert_int_equal(got.n_genres, 2);
    assert_string_equal(got.genres[0], "indie rock");
    assert_int_equal(musicbrainz_repo_get_artist(f->db, f->a, "a2", &got), 0);
    assert_false(got.known);
    assert_int_equal(got.n_genres, 0);
    assert_int_equal(musicbrainz_repo_get_artist(f->db, f->a, "a3", &got), ERR_NOT_FOUND);

    assert_int_equal(musicbrainz_repo_get_state(f->db, f->a, "genre_list", &v, &at), ERR_NOT_FOUND);
    assert_int_equal(musicbrainz_repo_put_state(f->db, "genre_list", "rock\nsoul", 42), 0);
    assert_int_equal(musicbrainz_repo_get_state(f->db, f->a, "genre_list", &v, &at), 0);
    assert_string_equal(v, "rock\nsoul");
    assert_int_equal(at, 42);
}

static void test_metadata_store_tags_lifecycle(void **state)
{
    struct fx *f = *state;
    struct tag_item it, *items = NULL;
    size_t n = 0;
    int64_t version = -1;
    bool changed = false;
    const char *tags[] = {"gym", "workout"};

    assert_int_equal(tag_repo_version(f->db, "ua", &version), 0);
    assert_int_equal(version, 0);
    assert_int_equal(tag_repo_get(f->db, f->a, "ua", "tracks", "T1", &it), ERR_NOT_FOUND);
    assert_int_equal(tag_repo_put(f->db, "ua", "tracks", "T1", tags, 2, "now", 10, &changed), 0);
    assert_true(changed);
    assert_int_equal(tag_repo_version(f->db, "ua", &version), 0);
    assert_int_equal(version, 1);
    /* The same tags again: nothing written, the version stays. */
    assert_int_equal(tag_repo_put(f->db, "ua", "tracks", "T1", tags, 2, "now", 10, &changed), 0);
    assert_false(changed);
    assert_int_equal(tag_repo_version(f->db, "ua", &version), 0);
    assert_int_equal(version, 1);
    assert_int_equal(tag_repo_get(f->db, f->a, "ua", "tracks", "T1", &it), 0);
    assert_int_equal(it.n_tags, 2);
    assert_string_equal(it.tags[1], "workout");
    /* Per user: ub sees nothing of ua's, and its version is its own. */
    assert_int_equal(tag_repo_get(f->db, f->a, "ub", "tracks", "T1", &it), ERR_NOT_FOUND);
    assert_int_equal(tag_repo_list(f->db, f->a, "ub", &items, &n), 0);
    assert_int_equal(n, 0);
    assert_int_equal(tag_repo_put(f->db, "ua", "artists", "A1", tags, 1, "now", 10, &changed), 0);
    assert_int_equal(tag_repo_list(f->db, f->a, "ua", &items, &n), 0);
    assert_int_equal(n, 2);
    assert_string_equal(items[0].kind, "artists"); /* by kind, then id */
    assert_string_equal(items[1].kind, "tracks");
    /* The item limit: a new item beyond it is refused, an existing one may change. */
    assert_int_equal(tag_repo_put(f->db, "ua", "tracks", "T2", tags, 1, "now", 2, &changed),
                     ERR_CONFLICT);
    assert_int_equal(tag_repo_put(f->db, "ua", "tracks", "T1", tags, 1, "now", 2, &changed), 0);
    assert_true(changed);
    assert_int_equal(tag_repo_delete(f->db, "ua", "tracks", "T1"), 0);
    assert_int_equal(tag_repo_delete(f->db, "ua", "tracks", "T1"), ERR_NOT_FOUND);
    assert_int_equal(tag_repo_version(f->db, "ua", &version), 0);
    assert_int_equal(version, 4); /* put, put (artist), change, delete */
    assert_int_equal(tag_repo_version(f->db, "ub", &version), 0);
    assert_int_equal(version, 0);
}

/* PUT's normalisation: trimmed, lower-cased, de-duplicated, sorted; every problem at
 * /tags/N. */
static void test_metadata_store_tag_service_put(void **state)
{
    struct fx *f = *state;
    struct report rep = {0};
    struct tag_item it;
    json_t *body = json_loads("{\"tags\": [\"  Workout \", \"gym\", \"WORKOUT\", \"Été\"]}", 0, NULL);
    assert_int_equal(tag_service_put(f->db, f->a, "ua", "tracks", "T1", body, &it, &rep), 0);
    json_decref(body);
    assert_int_equal(it.n_tags, 3);
    assert_string_equal(it.tags[0], "gym");
    assert_string_equal(it.tags[1], "workout");
    assert_string_equal(it.tags[2], "\xc3\xa9t\xc3\xa9"); /* "été": É folded to é */
    report_release(&rep);

    /* 65 characters, empty after trimming, not a string, a control character */
    char long_tag[80];
    memset(long_tag, 'x', 65);
    long_tag[65] = '\0';
    body = json_pack("{s:[s, s, i, s, s]}", "tags", "ok", long_tag, 3, "   ", "a\tb");
    assert_int_equal(tag_service_put(f->db, f->a, "ua", "tracks", "T1", body, &it, &rep),
                     ERR_VALIDATION);
    json_decref(body);
    assert_int_equal(json_array_size(rep.details), 4);
    const char *want[] = {"/tags/1", "/tags/2", "/tags/3", "/tags/4"};
    for (size_t i = 0; i < 4; i++)
        assert_string_equal(
            json_string_value(json_object_get(json_array_get(rep.details, i), "path")), want[i]);
    report_release(&rep);
    /* nothing changed */
    assert_int_equal(tag_service_get(f->db, f->a, "ua", "tracks", "T1", &it), 0);
    assert_int_equal(it.n_tags, 3);

    /* 51 distinct tags: the 51st is the problem; 64 characters is fine */
    json_t *many = json_array();
    for (int i = 0; i < 51; i++) {
        char t[16];
        snprintf(t, sizeof t, "t%02d", i);
        json_array_append_new(many, json_string(t));
    }
    body = json_pack("{s:o}", "tags", many);
    assert_int_equal(tag_service_put(f->db, f->a, "ua", "tracks", "T1", body, &it, &rep),
                     ERR_VALIDATION);
    json_decref(body);
    assert_int_equal(json_array_size(rep.details), 1);
    assert_string_equal(json_string_value(json_object_get(json_array_get(rep.details, 0), "path")),
                        "/tags/50");
    report_release(&rep);
    long_tag[64] = '\0';
    body = json_pack("{s:[s]}", "tags", long_tag);
    assert_int_equal(tag_service_put(f->db, f->a, "ua", "tracks", "T1", body, &it, &rep), 0);
    json_decref(body);

    /* unknown member, missing tags, a bad kind or id */
    body = json_loads("{\"tag\": []}", 0, NULL);
    assert_int_equal(tag_service_put(f->db, f->a, "ua", "tracks", "T1", body, &it, &rep),
                     ERR_VALIDATION);
    assert_int_equal(json_array_size(rep.details), 2); /* /tag unknown, /tags missing */
    report_release(&rep);
    assert_int_equal(tag_service_put(f->db, f->a, "ua", "albums", "T1", body, &it, &rep),
                     ERR_NOT_FOUND);
    json_decref(body);
    body = json_loads("{\"tags\": [\"a\"]}", 0, NULL);
    assert_int_equal(tag_service_put(f->db, f->a, "ua", "tracks", "not-an-id", body, &it, &rep),
                     ERR_VALIDATION);
    report_release(&rep);
    /* an empty list removes the item */
    json_decref(body);
    body = json_loads("{\"tags\": []}", 0, NULL);
    assert_int_equal(tag_service_put(f->db, f->a, "ua", "tracks", "T1", body, &it, &rep), 0);
    assert_int_equal(it.n_tags, 0);
    json_decref(body);
    assert_int_equal(tag_service_get(f->db, f->a, "ua", "tracks", "T1", &it), ERR_NOT_FOUND);
    report_release(&rep);
}

/* A track's `tag` values: its own and its artists', sorted, each once. */
static void test_metadata_store_tag_values_of_tracks(void **state)
{
    (void)state;
    const char *gym[] = {"gym", "zz"}, *calm[] = {"calm"}, *both[] = {"calm", "gym"};
    struct tag_item items[] = {
        {.kind = "artists", .id = "A1", .tags = both, .n_tags = 2},
        {.kind = "artists", .id = "A2", .tags = calm, .n_tags = 1},
        {.kind = "tracks", .id = "T1", .tags = gym, .n_tags = 2},
    };
    const char *a12[] = {"A1", "A2"}, *a3[] = {"A3"};
    struct track t[3] = {
        {.id = "T1", .artist_ids = a12, .n_artists = 2},
        {.id = "T2", .artist_ids = a3, .n_artists = 1},
        {.id = "T3", .artist_ids = a12 + 1, .n_artists = 1},
    };
    struct arena *a = arena_new();
    assert_int_equal(tag_service_apply(items, 3, t, 3, a), 0);
    assert_int_equal(t[0].n_tags, 3);
    assert_string_equal(t[0].tags[0], "calm");
    assert_string_equal(t[0].tags[1], "gym");
    assert_string_equal(t[0].tags[2], "zz");
    assert_int_equal(t[1].n_tags, 0);
    assert_null(t[1].tags);
    assert_int_equal(t[2].n_tags, 1);
    assert_string_equal(t[2].tags[0], "calm");
    arena_free(a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_metadata_store_isrc_roundtrip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_metadata_store_artists_and_state, setup, teardown),
        cmocka_unit_test_setup_teardown(test_metadata_store_tags_lifecycle, setup, teardown),
        cmocka_unit_test_setup_teardown(test_metadata_store_tag_service_put, setup, teardown),
        cmocka_unit_test_setup_teardown(test_metadata_store_tag_values_of_tracks, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
