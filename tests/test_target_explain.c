/* Target computation: explain (why a track is or is not in each child). The other
 * behaviours are in tests/test_target.c. */
#include <ctype.h>
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
#include "lib/util.h"
#include "services/rules/target.h"
#include "test_target_fixture.h"

/* ---- explain --------------------------------------------------------------------- */

static void test_target_explain_reasons(void **state)
{
    (void)state;
    struct track t[10];
    ten_tracks(t);
    struct setup s = {
        {child("{'filter':{'field':'duration_ms','op':'lt','value':3},'banned_track_ids':['t1']}"),
         child("{'filter':{'all':[{'field':'duration_ms','op':'gte','value':0},"
               "{'field':'duration_ms','op':'lt','value':6}]},'limit':2,"
               "'pinned_track_ids':['t8']}"),
         child("{'filter':{'all':[]},'catch_all':true}")},
        3,
        NULL};
    run(&s, t, 10, TARGET_ROUTING_FIRST_MATCH);
    EXPECT(s, 0, t, "t0 t2");
    EXPECT(s, 1, t, "t3 t8");
    EXPECT(s, 2, t, "t1 t4 t5 t6 t7 t9");

    struct arena *a = arena_new();
    struct target_explain e[3];
    struct {
        const char *track;
        int child;
        bool matched;
        const char *reason, *path;
        int field; /* the compared field when a comparison decided, else -1 */
    } cases[] = {
        {"t0", 0, true, "condition_true", "", RULE_FIELD_DURATION_MS},
        {"t0", 1, false, "matched_earlier_child", NULL, -1},
        {"t0", 2, false, "matched_earlier_child", NULL, -1},
        {"t1", 0, false, "banned", NULL, -1},
        {"t1", 1, false, "matched_earlier_child", NULL, -1}, /* first match is rules only */
        {"t1", 2, true, "empty_all", "", -1},
        {"t3", 0, false, "condition_false", "", RULE_FIELD_DURATION_MS},
        {"t3", 1, true, "all_true", "", -1},
        {"t4", 1, false, "limit", NULL, -1},
        {"t4", 2, true, "empty_all", "", -1},
        {"t6", 1, false, "condition_false", "/all/1", RULE_FIELD_DURATION_MS},
        {"t8", 1, true, "pinned", NULL, -1},
        {"t8", 2, false, "matched_earlier_child", NULL, -1},
        {"zz", 0, false, "not_in_base", NULL, -1},
        {"zz", 2, false, "not_in_base", NULL, -1},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        assert_int_equal(target_explain(t, 10, TARGET_ROUTING_FIRST_MATCH,
                                        (const struct target_child *const *)s.c, s.n, TODAY, s.res,
                                        cases[i].track, a, e),
                         0);
        const struct target_explain *x = &e[cases[i].child];
        if (x->matched != cases[i].matched || strcmp(x->reason, cases[i].reason) != 0 ||
            (cases[i].path ? !x->path || strcmp(x->path, cases[i].path) != 0 : x->path != NULL) ||
            x->field != cases[i].field)
            fail_msg("%s x child %d: got %d %s %s field %d", cases[i].track, cases[i].child,
                     x->matched, x->reason, x->path ? x->path : "(null)", x->field);
    }

    /* a pinned track cut by the limit; all routing never says matched_earlier_child */
    struct setup s2 = {{child("{'filter':{'all':[]}}"),
                        child("{'filter':{'all':[]},'limit':1,'pinned_track_ids':['t5','t6']}")},
                       2,
                       NULL};
    run(&s2, t, 10, TARGET_ROUTING_ALL);
    assert_int_equal(target_explain(t, 10, TARGET_ROUTING_ALL,
                                    (const struct target_child *const *)s2.c, s2.n, TODAY, s2.res,
                                    "t6", a, e),
                     0);
    assert_false(e[1].matched);
    assert_string_equal(e[1].reason, "limit");
    assert_int_equal(target_explain(t, 10, TARGET_ROUTING_ALL,
                                    (const struct target_child *const *)s2.c, s2.n, TODAY, s2.res,
                                    "t0", a, e),
                     0);
    assert_true(e[0].matched);
    assert_false(e[1].matched);
    assert_string_equal(e[1].reason, "limit");
    teardown_setup(&s2);
    arena_free(a);
    teardown_setup(&s);
}

/* rule_field_at() finds the comparison a path names; rule_field_value_json() shows a
 * track's value the way explain answers it. Expected JSON written by hand. */
static void test_target_explain_field_and_value(void **state)
{
    (void)state;
    json_t *filter = jparse("{'all':[{'not':{'field':'artist_name','op':'eq','value':'x'}},"
                            "{'any':[{'field':'release_year','op':'gt','value':1},"
                            "{'field':'explicit','op':'eq','value':true}]}]}");
    struct rule *r = NULL;
    assert_int_equal(rule_compile(filter, SPOTIFY_MODE_EXTENDED, "", &r, NULL), 0);
    json_decref(filter);
    assert_int_equal(rule_field_at(r, "/all/0/not"), RULE_FIELD_ARTIST_NAME);
    assert_int_equal(rule_field_at(r, "/all/1/any/0"), RULE_FIELD_RELEASE_YEAR);
    assert_int_equal(rule_field_at(r, "/all/1/any/1"), RULE_FIELD_EXPLICIT);
    assert_int_equal(rule_field_at(r, ""), -1);          /* the all node */
    assert_int_equal(rule_field_at(r, "/all/1"), -1);    /* the any node */
    assert_int_equal(rule_field_at(r, "/all/2"), -1);    /* no such child */
    assert_int_equal(rule_field_at(r, "/any/0"), -1);    /* the root is not an any */
    assert_int_equal(rule_field_at(r, "/all/0/not/x"), -1);
    rule_free(r);

    const char *const names[] = {"Björk", "", "Nick Cave"};
    struct track t = {.id = "t1", .artist_names = names, .n_artists = 3, .is_explicit = false,
                      .added_at = 1764340200, /* 2025-11-28T14:30:00Z */
                      .has = TRACK_HAS_EXPLICIT | TRACK_HAS_ADDED_AT};
    assert_int_equal(track_set_release_date(&t, "1994-06"), 0);
    struct {
        enum rule_field_id f;
        const char *json;
    } want[] = {
        {RULE_FIELD_ARTIST_NAME, "[\"Björk\", \"Nick Cave\"]"}, /* "" is no value */
        {RULE_FIELD_RELEASE_YEAR, "1994"},
        {RULE_FIELD_RELEASE_DATE, "\"1994-06\""},
        {RULE_FIELD_ADDED_AT, "\"2025-11-28T14:30:00Z\""},
        {RULE_FIELD_EXPLICIT, "false"},
        {RULE_FIELD_DURATION_MS, "null"}, /* the track lacks it */
        {RULE_FIELD_LABEL, "null"},
        {RULE_FIELD_GENRE, "[]"},
    };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        json_t *v = rule_field_value_json(want[i].f, &t);
        char *text = json_dumps(v, JSON_ENCODE_ANY);
        if (!text || strcmp(text, want[i].json) != 0)
            fail_msg("field %d: got %s, want %s", (int)want[i].f, text ? text : "(null)",
                     want[i].json);
        free(text);
        json_decref(v);
        assert_string_equal(rule_field_source(want[i].f, &t), "spotify");
    }
}

/* Explain's source: per genre value (Spotify, MusicBrainz or both), the join of what the
 * track has, what was asked when it has none; original_year and tag have one source. */
static void test_target_explain_sources(void **state)
{
    (void)state;
    const char *const genres[] = {"rock", "", "indie rock", "shoegaze"};
    const unsigned char src[] = {TRACK_SOURCE_SPOTIFY | TRACK_SOURCE_MUSICBRAINZ,
                                 TRACK_SOURCE_SPOTIFY, TRACK_SOURCE_MUSICBRAINZ,
                                 TRACK_SOURCE_MUSICBRAINZ};
    struct track t = {.id = "t1", .genres = genres, .n_genres = 4, .genre_sources = src};
    assert_string_equal(rule_field_source(RULE_FIELD_GENRE, &t), "spotify+musicbrainz");
    json_t *vs = rule_field_value_sources_json(RULE_FIELD_GENRE, &t);
    char *text = json_dumps(vs, JSON_COMPACT);
    /* "" is no value: left out of value and value_sources alike */
    assert_string_equal(text, "[\"spotify+musicbrainz\",\"musicbrainz\",\"musicbrainz\"]");
    free(text);
    json_decref(vs);

    t.n_genres = 2; /* "rock" (both) and "" */
    t.genre_sources = (const unsigned char[]){TRACK_SOURCE_MUSICBRAINZ, TRACK_SOURCE_SPOTIFY};
    assert_string_equal(rule_field_source(RULE_FIELD_GENRE, &t), "musicbrainz");

    t.n_genres = 0; /* none: the sources that were asked */
    t.genre_asked = TRACK_SOURCE_MUSICBRAINZ;
    assert_string_equal(rule_field_source(RULE_FIELD_GENRE, &t), "musicbrainz");
    t.genre_asked = TRACK_SOURCE_MUSICBRAINZ | TRACK_SOURCE_SPOTIFY;
    assert_string_equal(rule_field_source(RULE_FIELD_GENRE, &t), "spotify+musicbrainz");
    t.genre_asked = 0;
    t.genre_sources = NULL; /* Spotify alone (extended mode without MusicBrainz) */
    t.n_genres = 1;
    assert_string_equal(rule_field_source(RULE_FIELD_GENRE, &t), "spotify");
    assert_null(rule_field_value_sources_json(RULE_FIELD_TAG, &t));

    assert_string_equal(rule_field_source(RULE_FIELD_ORIGINAL_YEAR, &t), "musicbrainz");
    assert_string_equal(rule_field_source(RULE_FIELD_TAG, &t), "tags");
    t.original_year = 1991;
    t.has |= TRACK_HAS_ORIGINAL_YEAR;
    json_t *v = rule_field_value_json(RULE_FIELD_ORIGINAL_YEAR, &t);
    assert_int_equal(json_integer_value(v), 1991);
    json_decref(v);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_target_explain_reasons),
        cmocka_unit_test(test_target_explain_field_and_value),
        cmocka_unit_test(test_target_explain_sources),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
