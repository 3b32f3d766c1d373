/* Rule engine: table-driven tests of every field x operator, missing values, case
 * folding, partial dates and explain. The validation errors (paths and messages), the
 * limits and the development-mode refusals are in test_rule_errors.c; random/property
 * tests live in test_rule_props.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "lib/app_err.h"
#include "lib/buf.h"
#include "lib/util.h"
#include "services/rules/rule.h"
#include "test_rule_fixture.h"

/* Every field exists: extended mode with MusicBrainz on. */
#define ALL_FIELDS (SPOTIFY_MODE_EXTENDED | RULE_ENV_MUSICBRAINZ)

/* ---- evaluation table ------------------------------------------------------------ */

struct eval_case {
    const char *rule;
    enum fixture track;
    bool want;
};

static const struct eval_case EVAL_CASES[] = {
    /* strings: track_name, case ignored */
    {"{'field':'track_name','op':'eq','value':'never gonna GIVE you up'}", FULL, true},
    {"{'field':'track_name','op':'eq','value':'Never Gonna'}", FULL, false},
    {"{'field':'track_name','op':'neq','value':'NEVER GONNA GIVE YOU UP'}", FULL, false},
    {"{'field':'track_name','op':'neq','value':'x'}", FULL, true},
    {"{'field':'track_name','op':'contains','value':'GONNA'}", FULL, true},
    {"{'field':'track_name','op':'contains','value':'xyz'}", FULL, false},
    {"{'field':'track_name','op':'contains','value':''}", FULL, true},
    {"{'field':'track_name','op':'not_contains','value':'gonna'}", FULL, false},
    {"{'field':'track_name','op':'not_contains','value':'xyz'}", FULL, true},
    {"{'field':'track_name','op':'starts_with','value':'never'}", FULL, true},
    {"{'field':'track_name','op':'starts_with','value':'gonna'}", FULL, false},
    {"{'field':'track_name','op':'starts_with','value':'Never Gonna Give You Up!'}", FULL, false},
    {"{'field':'track_name','op':'ends_with','value':'YOU UP'}", FULL, true},
    {"{'field':'track_name','op':'ends_with','value':'you'}", FULL, false},
    {"{'field':'track_name','op':'matches','value':'^never.*UP$'}", FULL, true},
    {"{'field':'track_name','op':'matches','value':'gonna (give|take)'}", FULL, true},
    {"{'field':'track_name','op':'matches','value':'^gonna'}", FULL, false},
    {"{'field':'track_name','op':'in','value':['a','NEVER GONNA GIVE YOU UP']}", FULL, true},
    {"{'field':'track_name','op':'in','value':['a','never']}", FULL, false},
    {"{'field':'track_name','op':'in','value':[]}", FULL, false},
    {"{'field':'track_name','op':'not_in','value':['a']}", FULL, true},
    {"{'field':'track_name','op':'not_in','value':['never gonna give you up']}", FULL, false},
    {"{'field':'track_name','op':'exists'}", FULL, true},
    {"{'field':'track_name','op':'missing'}", FULL, false},
    {"{'field':'isrc','op':'eq','value':'gbarl9300135'}", FULL, true},
    {"{'field':'album_name','op':'contains','value':'NEED'}", FULL, true},
    {"{'field':'album_type','op':'eq','value':'ALBUM'}", FULL, true},
    {"{'field':'album_type','op':'in','value':['single','compilation']}", FULL, false},
    {"{'field':'label','op':'starts_with','value':'rca'}", FULL, true},
    {"{'field':'added_by','op':'eq','value':'alice'}", FULL, true},
    /* ids compare exactly, matches included */
    {"{'field':'track_id','op':'eq','value':'4uLU6hMCjMI75M1A2tKUQC'}", FULL, true},
    {"{'field':'track_id','op':'eq','value':'4ulu6hmcjmi75m1a2tkuqc'}", FULL, false},
    {"{'field':'track_id','op':'neq','value':'4ulu6hmcjmi75m1a2tkuqc'}", FULL, true},
    {"{'field':'track_id','op':'in','value':['4uLU6hMCjMI75M1A2tKUQC']}", FULL, true},
    {"{'field':'track_id','op':'in','value':['4ULU6HMCJMI75M1A2TKUQC']}", FULL, false},
    {"{'field':'track_id','op':'matches','value':'^4uLU'}", FULL, true},
    {"{'field':'track_id','op':'matches','value':'^4ulu'}", FULL, false},
    {"{'field':'album_id','op':'starts_with','value':'6N9P'}", FULL, true},
    {"{'field':'album_id','op':'starts_with','value':'6n9p'}", FULL, false},
    {"{'field':'artist_id','op':'eq','value':'6vWDO969PvNqNYHIOW5v0m'}", FULL, true},
    {"{'field':'artist_id','op':'eq','value':'6VWDO969PVNQNYHIOW5V0M'}", FULL, false},
    {"{'field':'artist_id','op':'ends_with','value':'Qt'}", FULL, true},
    /* several values: any matches; negatives hold when none does */
    {"{'field':'artist_name','op':'eq','value':'rick astley'}", FULL, true},
    {"{'field':'artist_name','op':'eq','value':'beyoncé'}", FULL, true},
    {"{'field':'artist_name','op':'eq','value':'beyonce'}", FULL, false},
    {"{'field':'artist_name','op':'neq','value':'rick astley'}", FULL, false},
    {"{'field':'artist_name','op':'neq','value':'nobody'}", FULL, true},
    {"{'field':'artist_name','op':'contains','value':'ONCÉ'}", FULL, true},
    {"{'field':'artist_name','op':'not_contains','value':'once'}", FULL, true},
    {"{'field':'artist_name','op':'in','value':['Beyoncé','x']}", FULL, true},
    {"{'field':'artist_name','op':'not_in','value':['x','RICK ASTLEY']}", FULL, false},
    {"{'field':'artist_name','op':'matches','value':'^b.*é$'}", FULL, true},
    {"{'field':'genre','op':'eq','value':'europop'}", FULL, true},
    {"{'field':'genre','op':'contains','value':'pop'}", FULL, true},
    {"{'field':'genre','op':'not_contains','value':'rock'}", FULL, true},
    {"{'field':'genre','op':'not_contains','value':'pop'}", FULL, false},
    {"{'field':'genre','op':'eq','value':'pop'}", NOGENRE, false},
    {"{'field':'genre','op':'neq','value':'pop'}", NOGENRE, true},
    {"{'field':'genre','op':'not_contains','value':'pop'}", NOGENRE, true},
    {"{'field':'genre','op':'not_in','value':['pop']}", NOGENRE, true},
    {"{'field':'genre','op':'missing'}", NOGENRE, true},
    {"{'field':'genre','op':'exists'}", FULL, true},
    {"{'field':'artist_name','op':'exists'}", NOGENRE, true},
    /* case folding beyond ASCII */
    {"{'field':'track_name','op':'eq','value':'été à paris'}", INTL, true},
    {"{'field':'track_name','op':'contains','value':'à pa'}", INTL, true},
    {"{'field':'track_name','op':'starts_with','value':'été'}", INTL, true},
    {"{'field':'track_name','op':'ends_with','value':'À Paris'}", INTL, true},
    {"{'field':'track_name','op':'matches','value':'^ÉTÉ'}", INTL, true},
    {"{'field':'track_name','op':'matches','value':'^été \\\\w'}", INTL, false},
    {"{'field':'album_name','op':'eq','value':'ÿ łódź'}", INTL, true},
    {"{'field':'artist_name','op':'eq','value':'одиссей'}", INTL, false},
    {"{'field':'artist_name','op':'eq','value':'οδυσσευς'}", INTL, true},
    {"{'field':'artist_name','op':'eq','value':'ΟΔΥΣΣΕΥς'}", INTL, true},
    {"{'field':'artist_name','op':'starts_with','value':'привет'}", INTL, true},
    {"{'field':'artist_name','op':'in','value':['привет мир']}", INTL, true},
    /* numbers: integers and reals */
    {"{'field':'duration_ms','op':'eq','value':213573}", FULL, true},
    {"{'field':'duration_ms','op':'eq','value':213573.0}", FULL, true},
    {"{'field':'duration_ms','op':'eq','value':213573.5}", FULL, false},
    {"{'field':'duration_ms','op':'neq','value':1}", FULL, true},
    {"{'field':'duration_ms','op':'neq','value':213573}", FULL, false},
    {"{'field':'duration_ms','op':'gt','value':213572.9}", FULL, true},
    {"{'field':'duration_ms','op':'gt','value':213573}", FULL, false},
    {"{'field':'duration_ms','op':'gte','value':213573}", FULL, true},
    {"{'field':'duration_ms','op':'lt','value':213573}", FULL, false},
    {"{'field':'duration_ms','op':'lt','value':213574}", FULL, true},
    {"{'field':'duration_ms','op':'lte','value':213573}", FULL, true},
    {"{'field':'duration_ms','op':'between','value':[200000,213573]}", FULL, true},
    {"{'field':'duration_ms','op':'between','value':[213574,300000]}", FULL, false},
    {"{'field':'duration_ms','op':'in','value':[1,213573,5]}", FULL, true},
    {"{'field':'duration_ms','op':'in','value':[1,2]}", FULL, false},
    {"{'field':'duration_ms','op':'not_in','value':[1,2]}", FULL, true},
    {"{'field':'duration_ms','op':'not_in','value':[213573]}", FULL, false},
    {"{'field':'track_number','op':'eq','value':1}", FULL, true},
    {"{'field':'disc_number','op':'gt','value':1}", FULL, true},
    {"{'field':'popularity','op':'gte','value':80}", FULL, true},
    {"{'field':'artist_popularity','op':'between','value':[70,80]}", FULL, true},
    {"{'field':'album_popularity','op':'lt','value':70}", FULL, false},
    {"{'field':'release_year','op':'eq','value':1987}", FULL, true},
    {"{'field':'release_year','op':'between','value':[1990,1999]}", Y1994, true},
    {"{'field':'release_year','op':'lt','value':2000}", EMPTY, false},
    /* dates: day precision */
    {"{'field':'release_date','op':'before','value':'1987-11-13'}", FULL, true},
    {"{'field':'release_date','op':'before','value':'1987-11-12'}", FULL, false},
    {"{'field':'release_date','op':'after','value':'1987-11-11'}", FULL, true},
    {"{'field':'release_date','op':'after','value':'1987-11-12'}", FULL, false},
    {"{'field':'release_date','op':'between','value':['1987-11-12','1987-11-12']}", FULL, true},
    {"{'field':'release_date','op':'between','value':['1987-01-01','1987-11-11']}", FULL, false},
    {"{'field':'release_date','op':'in_the_last','value':100000}", FULL, true},
    {"{'field':'release_date','op':'in_the_last','value':30}", FULL, false},
    /* partial dates are periods (the contract's example first) */
    {"{'field':'release_date','op':'before','value':'1994-06-01'}", Y1994, false},
    {"{'field':'release_date','op':'after','value':'1994-06-01'}", Y1994, false},
    {"{'field':'release_date','op':'before','value':'1995-01-01'}", Y1994, true},
    {"{'field':'release_date','op':'before','value':'1994-12-31'}", Y1994, false},
    {"{'field':'release_date','op':'after','value':'1993-12-31'}", Y1994, true},
    {"{'field':'release_date','op':'after','value':'1994-01-01'}", Y1994, false},
    {"{'field':'release_date','op':'between','value':['1994-01-01','1994-12-31']}", Y1994, true},
    {"{'field':'release_date','op':'between','value':['1994-01-02','1994-12-31']}", Y1994, false},
    {"{'field':'release_date','op':'between','value':['1994-01-01','1994-12-30']}", Y1994, false},
    {"{'field':'release_date','op':'between','value':['1994-06-01','1994-06-30']}", M1994_06, true},
    {"{'field':'release_date','op':'before','value':'1994-07-01'}", M1994_06, true},
    {"{'field':'release_date','op':'before','value':'1994-06-30'}", M1994_06, false},
    {"{'field':'release_date','op':'after','value':'1994-05-31'}", M1994_06, true},
    /* in_the_last N = between [today - N, today]; a partial date must lie inside */
    {"{'field':'release_date','op':'in_the_last','value':400}", Y2026, false},
    {"{'field':'release_date','op':'in_the_last','value':60}", M2026_10, true},
    {"{'field':'release_date','op':'in_the_last','value':52}", M2026_10, false},
    {"{'field':'release_date','op':'in_the_last','value':53}", M2026_10, true},
    {"{'field':'release_date','op':'in_the_last','value':1000}", FUTURE, false},
    {"{'field':'release_date','op':'after','value':'2026-12-31'}", FUTURE, true},
    {"{'field':'added_at','op':'in_the_last','value':3}", FULL, true},
    {"{'field':'added_at','op':'in_the_last','value':2}", FULL, false},
    {"{'field':'added_at','op':'in_the_last','value':0}", Y2026, true},
    {"{'field':'added_at','op':'in_the_last','value':99999999999999}", FULL, true},
    {"{'field':'added_at','op':'between','value':['2026-11-20','2026-11-20']}", FULL, true},
    {"{'field':'added_at','op':'before','value':'2026-11-21'}", FULL, true},
    {"{'field':'added_at','op':'before','value':'2026-11-20'}", FULL, false},
    {"{'field':'added_at','op':'after','value':'2026-11-19'}", FULL, true},
    {"{'field':'added_at','op':'after','value':'2026-11-20'}", FULL, false},
    {"{'field':'added_at','op':'before','value':'1970-01-01'}", OLD, true},
    {"{'field':'added_at','op':'between','value':['1969-12-31','1969-12-31']}", OLD, true},
    {"{'field':'added_at','op':'exists'}", OLD, true},
    {"{'field':'release_date','op':'before','value':'2100-01-01'}", EMPTY, false},
    {"{'field':'release_date','op':'missing'}", EMPTY, true},
    /* bool */
    {"{'field':'explicit','op':'eq','value':false}", FULL, true},
    {"{'field':'explicit','op':'eq','value':true}", FULL, false},
    {"{'field':'explicit','op':'eq','value':true}", Y1994, true},
    {"{'field':'explicit','op':'eq','value':false}", EMPTY, false},
    {"{'field':'explicit','op':'eq','value':true}", EMPTY, false},
    {"{'field':'explicit','op':'missing'}", EMPTY, true},
    /* a value given to exists / missing is ignored */
    {"{'field':'track_name','op':'exists','value':[1,2]}", FULL, true},
    {"{'field':'explicit','op':'missing','value':'nonsense'}", FULL, false},
    /* "" is no value (Spotify sends "" for an unknown label) */
    {"{'field':'label','op':'missing'}", BLANK, true},
    {"{'field':'label','op':'eq','value':''}", BLANK, false},
    {"{'field':'label','op':'neq','value':'x'}", BLANK, true},
    {"{'field':'track_name','op':'contains','value':''}", BLANK, false},
    {"{'field':'track_name','op':'not_contains','value':''}", BLANK, true},
    {"{'field':'artist_name','op':'eq','value':'muse'}", BLANK, true},
    {"{'field':'artist_name','op':'in','value':['']}", BLANK, false},
    {"{'field':'artist_name','op':'exists'}", BLANK, true},
    {"{'field':'genre','op':'missing'}", BLANK, true},
    {"{'field':'genre','op':'not_in','value':['x','']}", BLANK, true},
    {"{'field':'release_date','op':'missing'}", BLANK, true},
    /* combinators */
    {"{'all':[]}", EMPTY, true},
    {"{'any':[]}", FULL, false},
    {"{'not':{'all':[]}}", FULL, false},
    {"{'not':{'any':[]}}", FULL, true},
    {"{'all':[{'field':'explicit','op':'eq','value':false},{'field':'release_year','op':'lt','"
     "value':1990}]}",
     FULL, true},
    {"{'all':[{'field':'explicit','op':'eq','value':false},{'field':'release_year','op':'gt','"
     "value':1990}]}",
     FULL, false},
    {"{'any':[{'field':'genre','op':'eq','value':'rock'},{'field':'genre','op':'eq','value':'"
     "EUROPOP'}]}",
     FULL, true},
    {"{'not':{'field':'genre','op':'eq','value':'europop'}}", FULL, false},
};

static void test_rule_eval_table(void **state)
{
    (void)state;
    struct buf path = BUF_INIT;
    for (size_t i = 0; i < sizeof EVAL_CASES / sizeof EVAL_CASES[0]; i++) {
        const struct eval_case *c = &EVAL_CASES[i];
        struct rule *r = compile_ok(c->rule, SPOTIFY_MODE_EXTENDED);
        struct track t = fixture(c->track);
        bool got = rule_eval(r, &t, TODAY);
        if (got != c->want)
            fail_msg("case %zu %s on fixture %d: got %d want %d", i, c->rule, c->track, got,
                     c->want);
        bool m;
        const char *reason;
        assert_int_equal(rule_explain(r, &t, TODAY, &m, &path, &reason), 0);
        assert_int_equal(m, got);
        rule_free(r);
    }
    buf_release(&path);
}

/* A value that suits `op` on a field of `type`, for the cross-product tests. */
static const char *sample_value(enum rule_type type, const char *op)
{
    if (strcmp(op, "in") == 0 || strcmp(op, "not_in") == 0)
        return type == RULE_TYPE_NUMBER ? "[1, 2.5]" : "[\"x\", \"y\"]";
    if (strcmp(op, "between") == 0)
        return type == RULE_TYPE_NUMBER ? "[0, 100]" : "[\"1990-01-01\", \"2030-12-31\"]";
    if (strcmp(op, "in_the_last") == 0)
        return "36500";
    switch (type) {
    case RULE_TYPE_STRING:
    case RULE_TYPE_STRINGS:
        return strcmp(op, "matches") == 0 ? "\"^x|y$\"" : "\"x\"";
    case RULE_TYPE_NUMBER:
        return "5";
    case RULE_TYPE_DATE:
        return "\"2000-01-01\"";
    case RULE_TYPE_BOOL:
        return "true";
    }
    return "null";
}

static const char *const ALL_OPS[] = {
    "eq",     "neq",    "contains",    "not_contains", "starts_with", "ends_with", "matches",
    "in",     "not_in", "gt",          "gte",          "lt",          "lte",       "between",
    "before", "after",  "in_the_last", "exists",       "missing"};

/* Every field x every operator: valid pairs compile, and on a track lacking every
 * field only neq / not_contains / not_in / missing hold; invalid pairs are refused at
 * /op. */
static void test_rule_every_field_operator_on_missing_value(void **state)
{
    (void)state;
    struct track empty = fixture(EMPTY);
    int valid_pairs = 0;
    for (int f = 0; f < RULE_FIELD_COUNT; f++) {
        const struct rule_field *fd = rule_field_by_id((enum rule_field_id)f);
        for (size_t o = 0; o < sizeof ALL_OPS / sizeof ALL_OPS[0]; o++) {
            char text[256];
            snprintf(text, sizeof text, "{\"field\": \"%s\", \"op\": \"%s\", \"value\": %s}",
                     fd->name, ALL_OPS[o], sample_value(fd->type, ALL_OPS[o]));
            json_t *j = json_loads(text, 0, NULL);
            struct report rep = {0};
            assert_non_null(j);
            struct rule *r = NULL;
            int rc = rule_compile(j, ALL_FIELDS, "", &r, &rep);
            const char *op = ALL_OPS[o];
            bool is_string = fd->type == RULE_TYPE_STRING || fd->type == RULE_TYPE_STRINGS;
            bool valid =
                strcmp(op, "exists") == 0 || strcmp(op, "missing") == 0 ||
                (is_string && strstr(" eq neq contains not_contains starts_with ends_with "
                                     "matches in not_in ",
                                     op)) ||
                (fd->type == RULE_TYPE_NUMBER &&
                 (strcmp(op, "eq") == 0 || strcmp(op, "neq") == 0 || strcmp(op, "gt") == 0 ||
                  strcmp(op, "gte") == 0 || strcmp(op, "lt") == 0 || strcmp(op, "lte") == 0 ||
                  strcmp(op, "between") == 0 || strcmp(op, "in") == 0 ||
                  strcmp(op, "not_in") == 0)) ||
                (fd->type == RULE_TYPE_DATE &&
                 (strcmp(op, "before") == 0 || strcmp(op, "after") == 0 ||
                  strcmp(op, "between") == 0 || strcmp(op, "in_the_last") == 0)) ||
                (fd->type == RULE_TYPE_BOOL && strcmp(op, "eq") == 0);
            if (!valid) {
                assert_int_equal(rc, ERR_VALIDATION);
                assert_int_equal(json_array_size(rep.details), 1);
                assert_string_equal(
                    json_string_value(json_object_get(json_array_get(rep.details, 0), "path")),
                    "/op");
            } else {
                if (rc != 0)
                    fail_msg("%s: rc %d %s", text, rc, json_dumps(rep.details, 0));
                valid_pairs++;
                bool want = strcmp(op, "neq") == 0 || strcmp(op, "not_contains") == 0 ||
                            strcmp(op, "not_in") == 0 || strcmp(op, "missing") == 0;
                if (rule_eval(r, &empty, TODAY) != want)
                    fail_msg("%s on a track without the field: want %d", text, want);
                bool m;
                const char *reason;
                struct buf path = BUF_INIT;
                assert_int_equal(rule_explain(r, &empty, TODAY, &m, &path, &reason), 0);
                assert_int_equal(m, want);
                bool presence = strcmp(op, "exists") == 0 || strcmp(op, "missing") == 0;
                assert_string_equal(reason, presence ? (want ? "condition_true" : "condition_false")
                                                     : "missing_value");
                assert_string_equal(path.data, "");
                buf_release(&path);
                rule_free(r);
            }
            json_decref(j);
            report_release(&rep);
        }
    }
    /* 12 string fields x 11, 8 numbers x 11, 2 dates x 6, 1 bool x 3 */
    assert_int_equal(valid_pairs, 12 * 11 + 8 * 11 + 2 * 6 + 3);
}

/* Every field exists on the full fixture, and `missing` is its negation. */
static void test_rule_every_field_exists_on_full_track(void **state)
{
    (void)state;
    struct track full = fixture(FULL);
    for (int f = 0; f < RULE_FIELD_COUNT; f++) {
        char text[128];
        const char *name = rule_field_by_id((enum rule_field_id)f)->name;
        snprintf(text, sizeof text, "{'field':'%s','op':'exists'}", name);
        struct rule *r = compile_ok(text, ALL_FIELDS);
        assert_true(rule_eval(r, &full, TODAY));
        rule_free(r);
        snprintf(text, sizeof text, "{'field':'%s','op':'missing'}", name);
        r = compile_ok(text, ALL_FIELDS);
        assert_false(rule_eval(r, &full, TODAY));
        rule_free(r);
    }
}

/* ---- field table, needs, folding ------------------------------------------------- */

static void test_rule_field_table(void **state)
{
    (void)state;
    for (int f = 0; f < RULE_FIELD_COUNT; f++) {
        const struct rule_field *fd = rule_field_by_id((enum rule_field_id)f);
        assert_int_equal(fd->id, f);
        assert_ptr_equal(rule_field_find(fd->name), fd);
        /* extended mode with MusicBrainz on provides every field */
        assert_true((fd->modes & RULE_MODE_BIT(SPOTIFY_MODE_EXTENDED)) ||
                    (fd->providers & RULE_PROVIDER_MUSICBRAINZ));
    }
    assert_int_equal(rule_field_find("original_year")->modes, 0);
    assert_int_equal(rule_field_find("original_year")->type, RULE_TYPE_NUMBER);
    assert_int_equal(rule_field_find("tag")->type, RULE_TYPE_STRINGS);
    assert_true(rule_field_find("tag")->fold);
    assert_int_equal(rule_field_find("tag")->needs, RULE_NEEDS_TAGS);
    assert_null(rule_field_find("Genre"));
    assert_null(rule_field_find(NULL));
    assert_false(rule_field_find("track_id")->fold);
    assert_false(rule_field_find("artist_id")->fold);
    assert_false(rule_field_find("album_id")->fold);
    assert_true(rule_field_find("track_name")->fold);
    assert_int_equal(rule_field_find("artist_name")->type, RULE_TYPE_STRINGS);
    assert_int_equal(rule_field_find("release_year")->type, RULE_TYPE_NUMBER);
    assert_int_equal(rule_field_find("genre")->needs, RULE_NEEDS_ARTISTS);
    assert_int_equal(rule_field_find("artist_popularity")->needs, RULE_NEEDS_ARTISTS);
    assert_int_equal(rule_field_find("label")->needs, RULE_NEEDS_ALBUM);
    assert_int_equal(rule_field_find("album_popularity")->needs, RULE_NEEDS_ALBUM);
    assert_int_equal(rule_field_find("popularity")->needs, RULE_NEEDS_TRACK);
    assert_int_equal(rule_field_find("release_date")->needs, RULE_NEEDS_TRACK);
}

static void test_rule_needs(void **state)
{
    (void)state;
    struct {
        const char *rule;
        unsigned want;
    } cases[] = {
        {"{'all':[]}", 0},
        {"{'field':'track_name','op':'exists'}", RULE_NEEDS_TRACK},
        {"{'not':{'field':'genre','op':'eq','value':'x'}}", RULE_NEEDS_ARTISTS},
        {"{'any':[{'field':'label','op':'eq','value':'x'},{'field':'artist_popularity','op':'gt','"
         "value':1}]}",
         RULE_NEEDS_ALBUM | RULE_NEEDS_ARTISTS},
        {"{'all':[{'field':'album_popularity','op':'gt','value':1},{'field':'explicit','op':'eq','"
         "value':true}]}",
         RULE_NEEDS_ALBUM | RULE_NEEDS_TRACK},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct rule *r = compile_ok(cases[i].rule, SPOTIFY_MODE_EXTENDED);
        assert_int_equal(rule_needs(r), cases[i].want);
        rule_free(r);
    }
    assert_int_equal(rule_needs(NULL), 0);
}

static void test_rule_fold(void **state)
{
    (void)state;
    struct {
        const char *in, *want;
    } cases[] = {
        {"ABC xyz 123", "abc xyz 123"},
        {"ÀÉÎÕÜÝÞ×ß", "àéîõüýþ×ß"},
        {"ŸĀĹŁŽİ", "ÿāĺłžİ"},
        {"ΑΩΆΣς", "αωάσσ"},
        {"ЁЖЯ", "ёжя"},
        {"日本語 ẞ", "日本語 ẞ"},
        {"\xc3", "\xc3"}, /* a truncated sequence stays as it is */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        size_t len = strlen(cases[i].in);
        char out[64] = {0};
        rule_fold(cases[i].in, len, out);
        assert_int_equal(strlen(cases[i].want), len);
        assert_memory_equal(out, cases[i].want, len);
    }
}

/* ---- explain --------------------------------------------------------------------- */

static void test_rule_explain_paths(void **state)
{
    (void)state;
    struct {
        const char *rule;
        enum fixture track;
        bool matched;
        const char *path, *reason;
    } cases[] = {
        {"{'all':[]}", FULL, true, "", "empty_all"},
        {"{'any':[]}", FULL, false, "", "empty_any"},
        {"{'field':'explicit','op':'eq','value':false}", FULL, true, "", "condition_true"},
        {"{'all':[{'field':'explicit','op':'eq','value':false},{'field':'disc_number','op':'eq','"
         "value':9},{'field':'track_number','op':'eq','value':9}]}",
         FULL, false, "/all/1", "condition_false"},
        {"{'all':[{'field':'explicit','op':'eq','value':false},{'field':'disc_number','op':'eq','"
         "value':2}]}",
         FULL, true, "", "all_true"},
        {"{'any':[{'field':'disc_number','op':'eq','value':9},{'field':'disc_number','op':'eq','"
         "value':2},{'field':'track_number','op':'eq','value':1}]}",
         FULL, true, "/any/1", "condition_true"},
        {"{'any':[{'field':'disc_number','op':'eq','value':9}]}", FULL, false, "", "none_true"},
        {"{'not':{'field':'disc_number','op':'eq','value':2}}", FULL, false, "/not",
         "condition_true"},
        {"{'all':[{'not':{'any':[{'field':'genre','op':'eq','value':'x'},{'field':'genre','op':'eq'"
         ",'value':'europop'}]}}]}",
         FULL, false, "/all/0/not/any/1", "condition_true"},
        {"{'all':[{'field':'genre','op':'eq','value':'x'}]}", NOGENRE, false, "/all/0",
         "missing_value"},
        {"{'any':[{'field':'genre','op':'not_in','value':['x']}]}", NOGENRE, true, "/any/0",
         "missing_value"},
        {"{'not':{'all':[]}}", FULL, false, "/not", "empty_all"},
    };
    struct buf path = BUF_INIT;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct rule *r = compile_ok(cases[i].rule, SPOTIFY_MODE_EXTENDED);
        struct track t = fixture(cases[i].track);
        bool m = !cases[i].matched;
        const char *reason = NULL;
        assert_int_equal(rule_explain(r, &t, TODAY, &m, &path, &reason), 0);
        assert_int_equal(m, cases[i].matched);
        assert_int_equal(m, rule_eval(r, &t, TODAY));
        assert_string_equal(path.data, cases[i].path);
        assert_string_equal(reason, cases[i].reason);
        rule_free(r);
    }
    buf_release(&path);
}

/* Strings longer than the stack scratch buffer take the heap path. */
static void test_rule_long_strings(void **state)
{
    (void)state;
    struct buf name = BUF_INIT;
    for (int i = 0; i < 300; i++)
        buf_append_str(&name, "AbÇ");
    buf_append_str(&name, "NEEDLE");
    struct track t = {0};
    t.name = name.data;
    const char *rules[] = {"{'field':'track_name','op':'contains','value':'needle'}",
                           "{'field':'track_name','op':'ends_with','value':'çneedle'}",
                           "{'field':'track_name','op':'starts_with','value':'abçabç'}",
                           "{'field':'track_name','op':'matches','value':'(abç)+needle$'}"};
    for (size_t i = 0; i < sizeof rules / sizeof rules[0]; i++) {
        struct rule *r = compile_ok(rules[i], SPOTIFY_MODE_EXTENDED);
        assert_true(rule_eval(r, &t, TODAY));
        rule_free(r);
    }
    buf_release(&name);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rule_eval_table),
        cmocka_unit_test(test_rule_every_field_operator_on_missing_value),
        cmocka_unit_test(test_rule_every_field_exists_on_full_track),
        cmocka_unit_test(test_rule_field_table),
        cmocka_unit_test(test_rule_needs),
        cmocka_unit_test(test_rule_fold),
        cmocka_unit_test(test_rule_explain_paths),
        cmocka_unit_test(test_rule_long_strings),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
