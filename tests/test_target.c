/* Target computation: routing, pins, bans, sort, limit, catch-all and child validation;
 * plus a randomized comparison with a naive reference written here. Explain is in
 * tests/test_target_explain.c. */
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

/* ---- routing --------------------------------------------------------------------- */

static void test_target_first_match_partitions(void **state)
{
    (void)state;
    struct track t[10];
    ten_tracks(t);
    struct setup s = {{child("{'filter':{'field':'duration_ms','op':'lt','value':5}}"),
                       child("{'filter':{'field':'duration_ms','op':'lt','value':8}}"),
                       child("{'filter':{'field':'duration_ms','op':'gte','value':3}}")},
                      3,
                      NULL};
    run(&s, t, 10, TARGET_ROUTING_FIRST_MATCH);
    EXPECT(s, 0, t, "t0 t1 t2 t3 t4");
    EXPECT(s, 1, t, "t5 t6 t7");
    EXPECT(s, 2, t, "t8 t9");
    teardown_setup(&s);
}

static void test_target_all_routing_overlaps(void **state)
{
    (void)state;
    struct track t[10];
    ten_tracks(t);
    struct setup s = {{child("{'filter':{'field':'duration_ms','op':'lt','value':5}}"),
                       child("{'filter':{'field':'duration_ms','op':'lt','value':8}}"),
                       child("{'filter':{'any':[]}}")},
                      3,
                      NULL};
    run(&s, t, 10, TARGET_ROUTING_ALL);
    EXPECT(s, 0, t, "t0 t1 t2 t3 t4");
    EXPECT(s, 1, t, "t0 t1 t2 t3 t4 t5 t6 t7");
    EXPECT(s, 2, t, "");
    teardown_setup(&s);
}

/* ---- sort ------------------------------------------------------------------------ */

static void test_target_sort_missing_last_and_stable(void **state)
{
    (void)state;
    struct track t[8];
    static const char *const names[8] = {"b", "A", NULL, "c", "a", NULL, "B", "é"};
    static const char *const released[8] = {"1990", NULL,   "1980",       "1990-06",
                                            NULL,   "2000", "1980-01-01", "1990-06-15"};
    static const char *const a0[] = {"Zed", "Abe"}, *const a1[] = {"abe"}, *const a2[] = {NULL};
    for (int i = 0; i < 8; i++) {
        memset(&t[i], 0, sizeof t[i]);
        t[i].id = TID[i];
        t[i].name = names[i];
        if (released[i])
            assert_int_equal(track_set_release_date(&t[i], released[i]), 0);
    }
    t[0].artist_names = a0; /* first value "Zed" */
    t[0].n_artists = 2;
    t[1].artist_names = a1;
    t[1].n_artists = 1;
    t[2].artist_names = a2; /* only a NULL entry: missing */
    t[2].n_artists = 1;

    struct setup s = {{child("{'filter':{'all':[]},'sort':{'by':'track_name','order':'asc'}}"),
                       child("{'filter':{'all':[]},'sort':{'by':'track_name','order':'desc'}}"),
                       child("{'filter':{'all':[]},'sort':{'by':'release_year'}}"),
                       child("{'filter':{'all':[]},'sort':{'by':'release_year','order':'desc'}}"),
                       child("{'filter':{'all':[]},'sort':{'by':'release_date','order':'asc'}}"),
                       child("{'filter':{'all':[]},'sort':{'by':'artist_name','order':'asc'}}")},
                      6,
                      NULL};
    run(&s, t, 8, TARGET_ROUTING_ALL);
    /* case ignored: A(1) a(4) tie in base order; é after ASCII; missing t2 t5 last */
    EXPECT(s, 0, t, "t1 t4 t0 t6 t3 t7 t2 t5");
    EXPECT(s, 1, t, "t7 t3 t0 t6 t1 t4 t2 t5");
    /* years: 1980 t2 t6, 1990 t0 t3 t7, 2000 t5, missing t1 t4 */
    EXPECT(s, 2, t, "t2 t6 t0 t3 t7 t5 t1 t4");
    EXPECT(s, 3, t, "t5 t0 t3 t7 t2 t6 t1 t4");
    /* periods by their first day: "1980" ties with "1980-01-01" (base order); 1990
     * (from Jan 1) before 1990-06 before 1990-06-15 */
    EXPECT(s, 4, t, "t2 t6 t0 t3 t7 t5 t1 t4");
    /* several-valued by the first value; abe(t1) < zed(t0); the rest missing */
    EXPECT(s, 5, t, "t1 t0 t2 t3 t4 t5 t6 t7");
    teardown_setup(&s);
}

/* ---- pins, bans, limit ----------------------------------------------------------- */

static void test_target_limit_keeps_pins_first(void **state)
{
    (void)state;
    struct track t[10];
    ten_tracks(t);
    struct setup s = {
        {child("{'filter':{'all':[]},'limit':3,'pinned_track_ids':['t9','t7']}"),
         child("{'filter':{'all':[]},'limit':1,'pinned_track_ids':['t8','t2']}"),
         child("{'filter':{'field':'duration_ms','op':'gt','value':100},'limit':5,"
               "'pinned_track_ids':['t4','t4','nope']}"),
         child("{'filter':{'all':[]},'limit':0,'pinned_track_ids':['t1']}"),
         child("{'filter':{'all':[]},'sort':{'by':'duration_ms','order':'desc'},'limit':3,"
               "'pinned_track_ids':['t0']}"),
         child("{'filter':{'field':'duration_ms','op':'lt','value':3},'limit':10}")},
        6,
        NULL};
    run(&s, t, 10, TARGET_ROUTING_ALL);
    EXPECT(s, 0, t, "t0 t7 t9"); /* pins kept, then the first other; base order */
    EXPECT(s, 1, t, "t2");       /* more pins than the limit: the first pins in order */
    EXPECT(s, 2, t, "t4");       /* pinned whatever the rule; unknown id ignored */
    EXPECT(s, 3, t, "");
    EXPECT(s, 4, t, "t9 t8 t0"); /* pinned t0 takes its place in the sort order */
    EXPECT(s, 5, t, "t0 t1 t2");
    teardown_setup(&s);
}

static void test_target_ban_beats_pin(void **state)
{
    (void)state;
    struct track t[10];
    ten_tracks(t);
    struct setup s = {
        {child("{'filter':{'field':'duration_ms','op':'lt','value':4},"
               "'pinned_track_ids':['t3','t8'],'banned_track_ids':['t3','t1','zz']}")},
        1,
        NULL};
    run(&s, t, 10, TARGET_ROUTING_ALL);
    EXPECT(s, 0, t, "t0 t2 t8");
    teardown_setup(&s);
}

static void test_target_pins_ignore_routing(void **state)
{
    (void)state;
    struct track t[10];
    ten_tracks(t);
    struct setup s = {{child("{'filter':{'all':[]}}"),
                       child("{'filter':{'any':[]},'pinned_track_ids':['t1','t5']}")},
                      2,
                      NULL};
    run(&s, t, 10, TARGET_ROUTING_FIRST_MATCH);
    EXPECT(s, 0, t, "t0 t1 t2 t3 t4 t5 t6 t7 t8 t9");
    EXPECT(s, 1, t, "t1 t5");
    teardown_setup(&s);
}

/* ---- catch-all ------------------------------------------------------------------- */

static void test_target_catch_all_and_no_fall_through(void **state)
{
    (void)state;
    struct track t[10];
    ten_tracks(t);
    struct setup s = {
        {child("{'filter':{'field':'duration_ms','op':'lt','value':3}}"),
         child("{'filter':{'field':'duration_ms','op':'neq','value':7},'catch_all':true,"
               "'pinned_track_ids':['t0']}"),
         child("{'filter':{'field':'duration_ms','op':'lt','value':6},'limit':1,"
               "'banned_track_ids':['t4']}"),
         child("{'filter':{'all':[]}}")},
        4,
        NULL};
    run(&s, t, 10, TARGET_ROUTING_FIRST_MATCH);
    EXPECT(s, 0, t, "t0 t1 t2");
    /* t3 t4 t5 match child 2 first: t4 is banned there, t5 cut by its limit, and
     * neither falls through to child 3 */
    EXPECT(s, 2, t, "t3");
    EXPECT(s, 3, t, "t6 t7 t8 t9");
    /* so no child holds t4 and t5: the catch-all gets them, and its pin */
    EXPECT(s, 1, t, "t0 t4 t5");
    teardown_setup(&s);
}

static void test_target_catch_all_receives_leftovers(void **state)
{
    (void)state;
    struct track t[10];
    ten_tracks(t);
    struct setup s = {
        {child("{'filter':{'field':'duration_ms','op':'lt','value':3}}"),
         child("{'filter':{'field':'duration_ms','op':'neq','value':7},'catch_all':true,"
               "'pinned_track_ids':['t0']}"),
         child("{'filter':{'field':'duration_ms','op':'lt','value':7},'limit':2,"
               "'banned_track_ids':['t4']}")},
        3,
        NULL};
    run(&s, t, 10, TARGET_ROUTING_FIRST_MATCH);
    EXPECT(s, 0, t, "t0 t1 t2");
    EXPECT(s, 2, t, "t3 t5");
    /* leftovers t4 (banned in 2) t6 (cut by 2's limit) t7 t8 t9; its filter drops t7;
     * pinned t0 is held although child 0 holds it too */
    EXPECT(s, 1, t, "t0 t4 t6 t8 t9");
    teardown_setup(&s);

    struct setup all = {{child("{'filter':{'field':'duration_ms','op':'lt','value':3}}"),
                         child("{'filter':{'field':'duration_ms','op':'gt','value':6}}"),
                         child("{'filter':{'all':[]},'catch_all':true,'limit':2}")},
                        3,
                        NULL};
    run(&all, t, 10, TARGET_ROUTING_ALL);
    EXPECT(all, 2, t, "t3 t4");
    teardown_setup(&all);
}

static void test_target_two_catch_alls_refused(void **state)
{
    (void)state;
    struct track t[10];
    ten_tracks(t);
    struct target_child *c[2] = {child("{'filter':{'all':[]},'catch_all':true}"),
                                 child("{'filter':{'all':[]},'catch_all':true}")};
    struct target_result *res = (struct target_result *)1;
    assert_int_equal(target_compute(t, 10, TARGET_ROUTING_ALL,
                                    (const struct target_child *const *)c, 2, TODAY, &res),
                     ERR_VALIDATION);
    assert_null(res);
    target_child_free(c[0]);
    target_child_free(c[1]);
}

/* Counts the questions and says stop from the `after`-th on. */
struct stop_after {
    int asked, after;
};

static bool stop_after(void *ud)
{
    struct stop_after *s = ud;
    return ++s->asked >= s->after;
}

static void test_target_compute_until_stops_when_asked(void **state)
{
    (void)state;
    enum { N = 3 * TARGET_CANCEL_EVERY + 1 };
    struct track *t = calloc(N, sizeof *t);
    char(*ids)[16] = calloc(N, sizeof *ids);
    assert_non_null(t);
    assert_non_null(ids);
    for (size_t i = 0; i < N; i++) {
        snprintf(ids[i], sizeof ids[i], "t%zu", i);
        t[i].id = ids[i];
    }
    struct target_child *c[2] = {child("{'filter':{'all':[]}}"),
                                 child("{'filter':{'all':[]},'catch_all':true}")};
    const struct target_child *const *cc = (const struct target_child *const *)c;
    /* asked at tracks 0, 256, 512 and 768 of the main pass: stop at the third question */
    struct stop_after s = {0, 3};
    struct cancel cancel = {stop_after, &s};
    struct target_result *res = (struct target_result *)1;
    assert_int_equal(target_compute_until(t, N, TARGET_ROUTING_ALL, cc, 2, TODAY, &cancel, &res),
                     ERR_UNAVAILABLE);
    assert_null(res);
    assert_int_equal(s.asked, 3);
    /* never stopping: four questions in each of the two passes, and the full answer */
    s = (struct stop_after){0, 1000};
    assert_int_equal(target_compute_until(t, N, TARGET_ROUTING_ALL, cc, 2, TODAY, &cancel, &res),
                     0);
    assert_int_equal(s.asked, 8);
    assert_int_equal(res->lists[0].n, N);
    assert_int_equal(res->lists[1].n, 0);
    target_result_free(res);
    /* a NULL cancel is target_compute() */
    assert_int_equal(target_compute_until(t, N, TARGET_ROUTING_ALL, cc, 2, TODAY, NULL, &res), 0);
    target_result_free(res);
    target_child_free(c[0]);
    target_child_free(c[1]);
    free(ids);
    free(t);
}

static void test_target_empty_inputs(void **state)
{
    (void)state;
    struct target_result *res = NULL;
    assert_int_equal(target_compute(NULL, 0, TARGET_ROUTING_ALL, NULL, 0, TODAY, &res), 0);
    assert_int_equal(res->n_children, 0);
    target_result_free(res);
    struct target_child *c = child("{'filter':{'all':[]},'pinned_track_ids':['x']}");
    assert_int_equal(target_compute(NULL, 0, TARGET_ROUTING_FIRST_MATCH,
                                    (const struct target_child *const *)&c, 1, TODAY, &res),
                     0);
    assert_int_equal(res->lists[0].n, 0);
    target_result_free(res);
    target_child_free(c);
    target_result_free(NULL);
    target_child_free(NULL);
}

/* ---- child validation ------------------------------------------------------------ */

static void test_target_child_validation_paths(void **state)
{
    (void)state;
    struct {
        const char *child;
        const char *want; /* "path|message;path|message" */
    } cases[] = {
        {"{'filter':{'field':'x','op':'eq','value':1}}", "/items/2/filter/field|unknown field 'x'"},
        {"{}", "/items/2/filter|missing member 'filter'"},
        {"{'filter':{'all':[]},'sort':{'by':'nope'}}", "/items/2/sort/by|unknown field 'nope'"},
        {"{'filter':{'all':[]},'sort':{'by':'year'}}",
         "/items/2/sort/by|unknown field 'year' (did you mean release_year?)"},
        {"{'filter':{'all':[]},'sort':{'order':'up','x':1}}",
         "/items/2/sort/x|unknown member 'x';/items/2/sort/by|missing member 'by';"
         "/items/2/sort/order|expected \"asc\" or \"desc\""},
        {"{'filter':{'all':[]},'sort':{'by':3}}", "/items/2/sort/by|expected a field name"},
        {"{'filter':{'all':[]},'sort':'track_name'}",
         "/items/2/sort|expected null or {\"by\": FIELD, \"order\": \"asc\"|\"desc\"}"},
        {"{'filter':{'all':[]},'limit':-1}",
         "/items/2/limit|expected null or an integer from 0 to 10000"},
        {"{'filter':{'all':[]},'limit':10001}",
         "/items/2/limit|expected null or an integer from 0 to 10000"},
        {"{'filter':{'all':[]},'limit':'5'}",
         "/items/2/limit|expected null or an integer from 0 to 10000"},
        {"{'filter':{'all':[]},'catch_all':'yes'}", "/items/2/catch_all|expected true or false"},
        {"{'filter':{'all':[]},'pinned_track_ids':['a','',3]}",
         "/items/2/pinned_track_ids/1|expected a track id (a non-empty string);"
         "/items/2/pinned_track_ids/2|expected a track id (a non-empty string)"},
        {"{'filter':{'all':[]},'banned_track_ids':'a'}",
         "/items/2/banned_track_ids|expected an array of track ids"},
        {"{'filter':{'any':[1]},'limit':true,'catch_all':null}",
         "/items/2/filter/any/0|expected a rule object;"
         "/items/2/limit|expected null or an integer from 0 to 10000;"
         "/items/2/catch_all|expected true or false"},
        {"[]", "/items/2|expected an object"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        json_t *j = jparse(cases[i].child);
        struct report rep = {0};
        struct target_child *c = (struct target_child *)1;
        assert_int_equal(
            target_child_compile_object(j, SPOTIFY_MODE_EXTENDED, "/items/2", &c, &rep),
            ERR_VALIDATION);
        assert_null(c);
        struct buf got = BUF_INIT;
        for (size_t k = 0; k < json_array_size(rep.details); k++) {
            json_t *d = json_array_get(rep.details, k);
            buf_appendf(&got, "%s%s|%s", k ? ";" : "",
                        json_string_value(json_object_get(d, "path")),
                        json_string_value(json_object_get(d, "message")));
        }
        if (!got.data || strcmp(got.data, cases[i].want) != 0)
            fail_msg("child %s:\n got  %s\n want %s", cases[i].child, got.data, cases[i].want);
        buf_release(&got);
        json_decref(j);
        report_release(&rep);
    }
}

static void test_target_child_compile_pieces_and_needs(void **state)
{
    (void)state;
    json_t *filter = jparse("{'field':'genre','op':'eq','value':'x'}");
    json_t *sort = jparse("{'by':'label','order':'desc'}"), *limit = json_integer(5);
    struct report rep = {0};
    struct target_child_json in = {.filter = filter, .sort = sort, .limit = limit};
    struct target_child *c = NULL;
    assert_int_equal(target_child_compile(&in, SPOTIFY_MODE_EXTENDED, NULL, &c, &rep), 0);
    assert_int_equal(target_child_needs(c), RULE_NEEDS_ARTISTS | RULE_NEEDS_ALBUM);
    assert_false(target_child_is_catch_all(c));
    assert_non_null(target_child_rule(c));
    target_child_free(c);

    /* development mode: both the rule and the sort are refused, with paths */
    assert_int_equal(target_child_compile(&in, SPOTIFY_MODE_DEVELOPMENT, "", &c, &rep),
                     ERR_VALIDATION);
    assert_int_equal(json_array_size(rep.details), 2);
    assert_string_equal(json_string_value(json_object_get(json_array_get(rep.details, 0), "path")),
                        "/filter/field");
    assert_string_equal(json_string_value(json_object_get(json_array_get(rep.details, 1), "path")),
                        "/sort/by");
    assert_non_null(
        strstr(json_string_value(json_object_get(json_array_get(rep.details, 1), "message")),
               "album labels"));

    /* nulls mean "none" */
    json_t *null = json_null();
    struct target_child_json in2 = {.filter = filter, .sort = null, .limit = null};
    assert_int_equal(target_child_compile(&in2, SPOTIFY_MODE_EXTENDED, "", &c, NULL), 0);
    assert_int_equal(target_child_needs(c), RULE_NEEDS_ARTISTS);
    target_child_free(c);

    enum target_routing r;
    assert_int_equal(target_routing_parse("all", &r), 0);
    assert_int_equal(r, TARGET_ROUTING_ALL);
    assert_int_equal(target_routing_parse("first_match", &r), 0);
    assert_int_equal(r, TARGET_ROUTING_FIRST_MATCH);
    assert_int_equal(target_routing_parse("First_match", &r), ERR_VALIDATION);
    assert_int_equal(target_routing_parse(NULL, &r), ERR_VALIDATION);

    json_decref(null);
    json_decref(filter);
    json_decref(sort);
    json_decref(limit);
    report_release(&rep);
}

/* ---- randomized comparison with a naive reference -------------------------------- */

struct rng {
    uint64_t s;
};

static unsigned pick(struct rng *r, unsigned n)
{
    r->s ^= r->s >> 12;
    r->s ^= r->s << 25;
    r->s ^= r->s >> 27;
    return (unsigned)((r->s * 2685821657736338717ull) % n);
}

static const char *const RULES[] = {
    "{'all':[]}",
    "{'any':[]}",
    "{'field':'duration_ms','op':'lt','value':5}",
    "{'field':'duration_ms','op':'gte','value':3}",
    "{'field':'duration_ms','op':'missing'}",
    "{'field':'track_name','op':'contains','value':'a'}",
    "{'not':{'field':'release_date','op':'before','value':'1991-01-01'}}",
    "{'any':[{'field':'artist_name','op':'eq','value':'abba'},{'field':'duration_ms','op':'eq','"
    "value':7}]}",
};
static const char *const SORTS[] = {"track_name", "duration_ms", "release_date", "artist_name"};
static const char *const NAMES[] = {"alpha", "Alpha", "beta", "BETA", "gamma", "Delta", "a", ""};
static const char *const RELEASES[] = {"1990", "1990-05",    "1990-05-05",
                                       "1991", "1990-01-01", "1990-01"};
static const char *const ARTISTS[] = {"ABBA", "abba", "Queen", "Muse"};

struct ref_child {
    char json[1024];
    const char *pins[4], *bans[4];
    size_t n_pins, n_bans;
    int sort; /* -1 none */
    bool desc;
    int limit; /* -1 none */
    bool catch_all;
};

static bool listed(const char *const *ids, size_t n, const char *id)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(ids[i], id) == 0)
            return true;
    return false;
}

/* sort key comparison, written independently: -1 / 0 / 1, missing last */
static int ref_cmp(const struct track *a, const struct track *b, int sort, bool desc)
{
    bool ma, mb;
    int d = 0;
    switch (sort) {
    case 0:
    case 3: {
        const char *x = sort == 0 ? a->name : (a->n_artists ? a->artist_names[0] : NULL);
        const char *y = sort == 0 ? b->name : (b->n_artists ? b->artist_names[0] : NULL);
        ma = !x || !*x; /* "" is no value */
        mb = !y || !*y;
        if (!ma && !mb)
            d = strcasecmp(x, y); /* ASCII data */
        break;
    }
    case 1:
        ma = !(a->has & TRACK_HAS_DURATION);
        mb = !(b->has & TRACK_HAS_DURATION);
        if (!ma && !mb)
            d = (a->duration_ms > b->duration_ms) - (a->duration_ms < b->duration_ms);
        break;
    default:
        ma = !(a->has & TRACK_HAS_RELEASE);
        mb = !(b->has & TRACK_HAS_RELEASE);
        if (!ma && !mb) /* by the first day of the period */
            d = (a->release_first_day > b->release_first_day) -
                (a->release_first_day < b->release_first_day);
        break;
    }
    if (ma != mb)
        return ma ? 1 : -1;
    d = d > 0 ? 1 : d < 0 ? -1 : 0;
    return desc ? -d : d;
}

/* Finishes one child from its membership flags: order (insertion sort, stable), limit. */
static size_t ref_finish(const struct track *t, size_t n, const bool *in, const bool *pinned,
                         const struct ref_child *c, size_t *out)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (!in[i])
            continue;
        size_t j = k;
        while (c->sort >= 0 && j > 0 && ref_cmp(&t[out[j - 1]], &t[i], c->sort, c->desc) > 0) {
            out[j] = out[j - 1];
            j--;
        }
        out[j] = i;
        k++;
    }
    if (c->limit < 0 || k <= (size_t)c->limit)
        return k;
    size_t n_pinned = 0, w = 0, kept_p = 0, kept_o = 0;
    for (size_t i = 0; i < k; i++)
        n_pinned += pinned[out[i]];
    size_t lim = (size_t)c->limit, want_p = n_pinned < lim ? n_pinned : lim;
    for (size_t i = 0; i < k; i++) {
        if (pinned[out[i]] ? kept_p++ < want_p : kept_o++ < lim - want_p)
            out[w++] = out[i];
    }
    return w;
}

static void test_target_random_matches_reference(void **state)
{
    (void)state;
    struct rng r = {2024};
    for (int iter = 0; iter < 1500; iter++) {
        struct track t[MAX_TRACKS];
        const char *artists[MAX_TRACKS][2];
        size_t n = pick(&r, MAX_TRACKS + 1);
        for (size_t i = 0; i < n; i++) {
            memset(&t[i], 0, sizeof t[i]);
            t[i].id = TID[i];
            t[i].name = pick(&r, 5) ? NAMES[pick(&r, 8)] : NULL;
            if (pick(&r, 4)) {
                t[i].duration_ms = (int32_t)pick(&r, 10);
                t[i].has |= TRACK_HAS_DURATION;
            }
            if (pick(&r, 4))
                track_set_release_date(&t[i], RELEASES[pick(&r, 6)]);
            t[i].n_artists = pick(&r, 3);
            for (size_t a = 0; a < t[i].n_artists; a++)
                artists[i][a] = ARTISTS[pick(&r, 4)];
            t[i].artist_names = artists[i];
            t[i].artist_ids = artists[i];
        }
        enum target_routing routing = pick(&r, 2) ? TARGET_ROUTING_ALL : TARGET_ROUTING_FIRST_MATCH;
        size_t nc = 1 + pick(&r, MAX_CHILDREN);
        struct ref_child rc[MAX_CHILDREN];
        struct target_child *c[MAX_CHILDREN];
        int catch_all = pick(&r, 2) ? (int)pick(&r, (unsigned)nc) : -1;
        for (size_t k = 0; k < nc; k++) {
            struct ref_child *x = &rc[k];
            memset(x, 0, sizeof *x);
            x->sort = pick(&r, 2) ? (int)pick(&r, 4) : -1;
            x->desc = pick(&r, 2);
            x->limit = pick(&r, 3) ? -1 : (int)pick(&r, 8);
            x->catch_all = (int)k == catch_all;
            x->n_pins = pick(&r, 4);
            x->n_bans = pick(&r, 3);
            for (size_t p = 0; p < x->n_pins; p++)
                x->pins[p] = pick(&r, 8) ? TID[pick(&r, MAX_TRACKS)] : "nope";
            for (size_t p = 0; p < x->n_bans; p++)
                x->bans[p] = TID[pick(&r, MAX_TRACKS)];
            size_t o = (size_t)snprintf(x->json, sizeof x->json, "{'filter':%s,'catch_all':%s",
                                        RULES[pick(&r, 8)], x->catch_all ? "true" : "false");
            if (x->sort >= 0)
                o += (size_t)snprintf(x->json + o, sizeof x->json - o,
                                      ",'sort':{'by':'%s','order':'%s'}", SORTS[x->sort],
                                      x->desc ? "desc" : "asc");
            if (x->limit >= 0)
                o += (size_t)snprintf(x->json + o, sizeof x->json - o, ",'limit':%d", x->limit);
            o += (size_t)snprintf(x->json + o, sizeof x->json - o, ",'pinned_track_ids':[");
            for (size_t p = 0; p < x->n_pins; p++)
                o += (size_t)snprintf(x->json + o, sizeof x->json - o, "%s'%s'", p ? "," : "",
                                      x->pins[p]);
            o += (size_t)snprintf(x->json + o, sizeof x->json - o, "],'banned_track_ids':[");
            for (size_t p = 0; p < x->n_bans; p++)
                o += (size_t)snprintf(x->json + o, sizeof x->json - o, "%s'%s'", p ? "," : "",
                                      x->bans[p]);
            snprintf(x->json + o, sizeof x->json - o, "]}");
            c[k] = child(x->json);
        }
        struct target_result *res = NULL;
        assert_int_equal(
            target_compute(t, n, routing, (const struct target_child *const *)c, nc, TODAY, &res),
            0);

        /* the reference */
        bool held[MAX_TRACKS] = {0}, taken[MAX_TRACKS] = {0};
        size_t want[MAX_CHILDREN][MAX_TRACKS], n_want[MAX_CHILDREN] = {0};
        for (int pass = 0; pass < 2; pass++) {
            for (size_t k = 0; k < nc; k++) {
                if (rc[k].catch_all != (pass == 1))
                    continue;
                bool in[MAX_TRACKS] = {0}, pinned[MAX_TRACKS] = {0};
                for (size_t i = 0; i < n; i++) {
                    bool m = rule_eval(target_child_rule(c[k]), &t[i], TODAY);
                    if (pass == 0 && routing == TARGET_ROUTING_FIRST_MATCH) {
                        bool first = m && !taken[i];
                        if (m)
                            taken[i] = true;
                        m = first;
                    }
                    if (pass == 1)
                        m = m && !held[i];
                    pinned[i] = listed(rc[k].pins, rc[k].n_pins, t[i].id) &&
                                !listed(rc[k].bans, rc[k].n_bans, t[i].id);
                    in[i] = (m || pinned[i]) && !listed(rc[k].bans, rc[k].n_bans, t[i].id);
                }
                n_want[k] = ref_finish(t, n, in, pinned, &rc[k], want[k]);
                for (size_t i = 0; pass == 0 && i < n_want[k]; i++)
                    held[want[k][i]] = true;
            }
        }
        for (size_t k = 0; k < nc; k++) {
            bool same = res->lists[k].n == n_want[k];
            for (size_t i = 0; same && i < n_want[k]; i++)
                same = res->lists[k].idx[i] == want[k][i];
            if (!same) {
                char got[1024];
                snprintf(got, sizeof got, "%s", ids_of(&res->lists[k], t));
                struct target_list wl = {want[k], n_want[k]};
                fail_msg("iter %d child %zu %s (routing %d):\n got  %s\n want %s", iter, k,
                         rc[k].json, routing, got, ids_of(&wl, t));
            }
        }

        /* explain agrees with the result for every track and child */
        struct arena *a = arena_new();
        struct target_explain e[MAX_CHILDREN];
        for (size_t i = 0; i < n; i++) {
            assert_int_equal(target_explain(t, n, routing, (const struct target_child *const *)c,
                                            nc, TODAY, res, t[i].id, a, e),
                             0);
            for (size_t k = 0; k < nc; k++) {
                bool in = false;
                for (size_t q = 0; q < res->lists[k].n; q++)
                    in = in || res->lists[k].idx[q] == i;
                assert_int_equal(e[k].matched, in);
                assert_non_null(e[k].reason);
            }
        }
        arena_free(a);
        target_result_free(res);
        for (size_t k = 0; k < nc; k++)
            target_child_free(c[k]);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_target_first_match_partitions),
        cmocka_unit_test(test_target_all_routing_overlaps),
        cmocka_unit_test(test_target_sort_missing_last_and_stable),
        cmocka_unit_test(test_target_limit_keeps_pins_first),
        cmocka_unit_test(test_target_ban_beats_pin),
        cmocka_unit_test(test_target_pins_ignore_routing),
        cmocka_unit_test(test_target_catch_all_and_no_fall_through),
        cmocka_unit_test(test_target_catch_all_receives_leftovers),
        cmocka_unit_test(test_target_two_catch_alls_refused),
        cmocka_unit_test(test_target_empty_inputs),
        cmocka_unit_test(test_target_compute_until_stops_when_asked),
        cmocka_unit_test(test_target_child_validation_paths),
        cmocka_unit_test(test_target_child_compile_pieces_and_needs),
        cmocka_unit_test(test_target_random_matches_reference),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
