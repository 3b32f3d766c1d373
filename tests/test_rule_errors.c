/* Rule engine: the validation errors (invalid rules, their paths and messages), invalid
 * regular expressions, the size limits and the development-mode refusals. Evaluation
 * is in test_rule.c. */
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

/* ---- validation ------------------------------------------------------------------ */

struct problem {
    const char *path, *message;
};

struct invalid_case {
    const char *rule; /* ' for " */
    struct problem want[5];
};

#define SHAPE_MSG                                                                                  \
    "expected exactly one of {\"all\": [...]}, {\"any\": [...]}, {\"not\": {...}} or "             \
    "{\"field\", \"op\", \"value\"}"
#define GENRE_DEV                                                                                  \
    "field 'genre' is not available: Spotify no longer serves artist genres to apps in "           \
    "Development Mode (SPOTIFY_API_MODE=development) and MusicBrainz, which provides it in every " \
    "mode, is off (PLAYROUTER_MUSICBRAINZ_BASE=off); unset PLAYROUTER_MUSICBRAINZ_BASE (or set "   \
    "it to a MusicBrainz web service URL), or use an app with extended quota "                     \
    "(SPOTIFY_API_MODE=extended)"
#define ORIGINAL_YEAR_OFF                                                                          \
    "field 'original_year' is not available: only MusicBrainz provides original release years, "  \
    "and it is off (PLAYROUTER_MUSICBRAINZ_BASE=off); unset PLAYROUTER_MUSICBRAINZ_BASE or set "   \
    "it to a MusicBrainz web service URL to use it"

static const struct invalid_case INVALID_CASES[] = {
    {"{'all':[{'field':'track_name','op':'equals','value':'x'}]}",
     {{"/filter/all/0/op", "unknown operator 'equals'"}}},
    {"{'field':'nope','op':'eq','value':1}", {{"/filter/field", "unknown field 'nope'"}}},
    /* a near name is suggested: a word of a field, or a typo (at most 2 edits) */
    {"{'field':'year','op':'eq','value':1}",
     {{"/filter/field", "unknown field 'year' (did you mean release_year?)"}}},
    {"{'field':'relase_year','op':'eq','value':1}",
     {{"/filter/field", "unknown field 'relase_year' (did you mean release_year?)"}}},
    {"{'field':'Genre','op':'eq','value':'x'}",
     {{"/filter/field", "unknown field 'Genre' (did you mean genre?)"}}},
    {"{'field':'popular','op':'gt','value':1}",
     {{"/filter/field", "unknown field 'popular' (did you mean popularity?)"}}},
    {"{'field':'track_name','op':'beetween','value':[1,2]}",
     {{"/filter/op", "unknown operator 'beetween' (did you mean between?)"}}},
    {"{'field':'track_name','op':'gt','value':1}",
     {{"/filter/op", "operator 'gt' is not valid for string field 'track_name' (use one of: "
                     "eq, neq, contains, not_contains, starts_with, ends_with, matches, in, "
                     "not_in, exists, missing)"}}},
    {"{'field':'artist_name','op':'before','value':'2020-01-01'}",
     {{"/filter/op", "operator 'before' is not valid for several-valued string field "
                     "'artist_name' (use one of: eq, neq, contains, not_contains, starts_with, "
                     "ends_with, matches, in, not_in, exists, missing)"}}},
    {"{'field':'explicit','op':'neq','value':true}",
     {{"/filter/op",
       "operator 'neq' is not valid for bool field 'explicit' (use one of: eq, exists, missing)"}}},
    {"{'field':'added_at','op':'gt','value':'2020-01-01'}",
     {{"/filter/op", "operator 'gt' is not valid for date field 'added_at' (use one of: "
                     "before, after, between, in_the_last, exists, missing)"}}},
    {"{'field':'duration_ms','op':'contains','value':1}",
     {{"/filter/op", "operator 'contains' is not valid for number field 'duration_ms' (use "
                     "one of: eq, neq, gt, gte, lt, lte, between, in, not_in, exists, missing)"}}},
    {"{'field':'duration_ms','op':'eq','value':'1'}", {{"/filter/value", "expected a number"}}},
    {"{'field':'track_name','op':'eq','value':1}", {{"/filter/value", "expected a string"}}},
    {"{'field':'track_name','op':'in','value':'x'}",
     {{"/filter/value", "expected an array of strings"}}},
    {"{'field':'track_name','op':'not_in','value':[1,'x',null]}",
     {{"/filter/value/0", "expected a string"}, {"/filter/value/2", "expected a string"}}},
    {"{'field':'duration_ms','op':'in','value':[1,'x']}",
     {{"/filter/value/1", "expected a number"}}},
    {"{'field':'duration_ms','op':'in','value':{}}",
     {{"/filter/value", "expected an array of numbers"}}},
    {"{'field':'duration_ms','op':'between','value':[5,1]}",
     {{"/filter/value", "the lower bound is greater than the upper bound"}}},
    {"{'field':'duration_ms','op':'between','value':[1]}",
     {{"/filter/value", "expected [lo, hi]: an array of two numbers"}}},
    {"{'field':'duration_ms','op':'between','value':[1,'x']}",
     {{"/filter/value/1", "expected a number"}}},
    {"{'field':'release_date','op':'before','value':'2026-02-30'}",
     {{"/filter/value", "'2026-02-30' is not a real calendar day"}}},
    {"{'field':'release_date','op':'after','value':'2026-2-3'}",
     {{"/filter/value", "expected a date YYYY-MM-DD"}}},
    {"{'field':'release_date','op':'after','value':'1994'}",
     {{"/filter/value", "expected a date YYYY-MM-DD"}}},
    {"{'field':'added_at','op':'before','value':20260101}",
     {{"/filter/value", "expected a date YYYY-MM-DD"}}},
    {"{'field':'added_at','op':'between','value':['2026-01-02','2026-01-01']}",
     {{"/filter/value", "the first date is after the second"}}},
    {"{'field':'added_at','op':'between','value':['2026-13-01','x']}",
     {{"/filter/value/0", "'2026-13-01' is not a real calendar day"},
      {"/filter/value/1", "expected a date YYYY-MM-DD"}}},
    {"{'field':'added_at','op':'between','value':'2026-01-01'}",
     {{"/filter/value", "expected [from, to]: an array of two dates YYYY-MM-DD"}}},
    {"{'field':'added_at','op':'in_the_last','value':-1}",
     {{"/filter/value", "expected a non-negative integer (days)"}}},
    {"{'field':'added_at','op':'in_the_last','value':1.5}",
     {{"/filter/value", "expected a non-negative integer (days)"}}},
    {"{'field':'added_at','op':'in_the_last','value':'7'}",
     {{"/filter/value", "expected a non-negative integer (days)"}}},
    {"{'field':'explicit','op':'eq','value':'true'}",
     {{"/filter/value", "expected true or false"}}},
    {"{'field':'track_name','op':'eq'}", {{"/filter/value", "missing member 'value'"}}},
    {"{'op':'eq','value':1}", {{"/filter/field", "missing member 'field'"}}},
    {"{'field':'track_name','value':1}", {{"/filter/op", "missing member 'op'"}}},
    {"{'field':5,'op':true,'value':1}",
     {{"/filter/field", "expected a string"}, {"/filter/op", "expected a string"}}},
    {"{'field':'track_name','op':'eq','value':'x','a/b~':1}",
     {{"/filter/a~1b~0", "unknown member 'a/b~'"}}},
    {"[]", {{"/filter", "expected a rule object"}}},
    {"{}", {{"/filter", SHAPE_MSG}}},
    {"{'all':[],'any':[]}", {{"/filter", SHAPE_MSG}}},
    {"{'all':[],'field':'track_name','op':'exists'}", {{"/filter", SHAPE_MSG}}},
    {"{'all':{}}", {{"/filter/all", "expected an array of rules"}}},
    {"{'any':[{'all':[]}, 3]}", {{"/filter/any/1", "expected a rule object"}}},
    {"{'not':5}", {{"/filter/not", "expected a rule object"}}},
    {"{'not':[]}", {{"/filter/not", "expected a rule object"}}},
    /* every problem, in document order */
    {"{'all':[{'field':'x','op':'eq','value':1},{'field':'track_name','op':'bogus','value':1},"
     "{'not':{'field':'explicit','op':'eq','value':'yes'}},"
     "{'any':[{'field':'duration_ms','op':'between','value':[3,2]}]}]}",
     {{"/filter/all/0/field", "unknown field 'x'"},
      {"/filter/all/1/op", "unknown operator 'bogus'"},
      {"/filter/all/2/not/value", "expected true or false"},
      {"/filter/all/3/any/0/value", "the lower bound is greater than the upper bound"}}},
    {"{'field':'nope','op':'nope'}",
     {{"/filter/field", "unknown field 'nope'"}, {"/filter/op", "unknown operator 'nope'"}}},
    /* development mode refuses what Spotify no longer serves, and says why */
    {"{'any':[{'field':'genre','op':'eq','value':'pop'}]}", {{"/filter/any/0/field", GENRE_DEV}}},
    /* MusicBrainz alone provides original_year: refused in every mode when it is off */
    {"{'field':'original_year','op':'gt','value':1990}", {{"/filter/field", ORIGINAL_YEAR_OFF}}},
};

static void check_invalid(const char *rule_text, unsigned mode, const struct problem *want)
{
    json_t *j = jparse(rule_text);
    struct report rep = {0};
    struct rule *r = (struct rule *)1;
    int rc = rule_compile(j, mode, "/filter", &r, &rep);
    size_t n_want = 0;
    while (n_want < 5 && want[n_want].path)
        n_want++;
    bool same = rc == ERR_VALIDATION && json_array_size(rep.details) == n_want;
    for (size_t i = 0; same && i < n_want; i++) {
        json_t *d = json_array_get(rep.details, i);
        same = json_object_size(d) == 2 &&
               strcmp(json_string_value(json_object_get(d, "path")), want[i].path) == 0 &&
               strcmp(json_string_value(json_object_get(d, "message")), want[i].message) == 0;
    }
    if (!same) {
        char *got = json_dumps(rep.details, JSON_ENSURE_ASCII);
        fail_msg("rule %s: rc %d\n got %s\n want first %s: %s", rule_text, rc, got, want[0].path,
                 want[0].message);
    }
    assert_null(r);
    json_decref(j);
    report_release(&rep);
}

static void test_rule_invalid_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof INVALID_CASES / sizeof INVALID_CASES[0]; i++) {
        enum spotify_mode mode = strstr(INVALID_CASES[i].rule, "genre") ? SPOTIFY_MODE_DEVELOPMENT
                                                                        : SPOTIFY_MODE_EXTENDED;
        /* (MusicBrainz off in every case: a bare mode) */
        check_invalid(INVALID_CASES[i].rule, mode, INVALID_CASES[i].want);
    }
}

static void test_rule_development_mode_refuses_rich_fields(void **state)
{
    struct rule *r;
    (void)state;
    struct {
        const char *field, *op, *value, *what;
    } cases[] = {
        {"popularity", "gt", "50", "track popularity"},
        {"artist_popularity", "gt", "50", "artist popularity"},
        {"album_popularity", "lt", "50", "album popularity"},
        {"label", "eq", "'XL'", "album labels"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char rule[256], msg[512];
        snprintf(rule, sizeof rule, "{'not': {'field': '%s', 'op': '%s', 'value': %s}}",
                 cases[i].field, cases[i].op, cases[i].value);
        snprintf(msg, sizeof msg,
                 "field '%s' is not available: Spotify no longer serves %s to apps in "
                 "Development Mode (SPOTIFY_API_MODE=development); it needs an app with "
                 "extended quota (SPOTIFY_API_MODE=extended)",
                 cases[i].field, cases[i].what);
        struct problem want[5] = {{"/filter/not/field", msg}};
        check_invalid(rule, SPOTIFY_MODE_DEVELOPMENT, want);
        /* the same rule is fine in extended mode */
        r = compile_ok(rule, SPOTIFY_MODE_EXTENDED);
        rule_free(r);
        /* and MusicBrainz does not provide it */
        check_invalid(rule, rule_env(SPOTIFY_MODE_DEVELOPMENT, true), want);
    }
    /* genre: refused in development mode only while MusicBrainz is off */
    struct problem genre[5] = {{"/filter/not/field", GENRE_DEV}};
    const char *g = "{'not': {'field': 'genre', 'op': 'contains', 'value': 'rock'}}";
    check_invalid(g, SPOTIFY_MODE_DEVELOPMENT, genre);
    r = compile_ok(g, rule_env(SPOTIFY_MODE_DEVELOPMENT, true));
    assert_int_equal(rule_needs(r), RULE_NEEDS_MUSICBRAINZ);
    rule_free(r);
    r = compile_ok(g, rule_env(SPOTIFY_MODE_EXTENDED, true)); /* the union of both */
    assert_int_equal(rule_needs(r), RULE_NEEDS_ARTISTS | RULE_NEEDS_MUSICBRAINZ);
    rule_free(r);
    r = compile_ok(g, SPOTIFY_MODE_EXTENDED);
    assert_int_equal(rule_needs(r), RULE_NEEDS_ARTISTS);
    rule_free(r);
    /* original_year: MusicBrainz alone, in both modes; tag: the user's, in both modes */
    const char *oy = "{'field': 'original_year', 'op': 'lt', 'value': 2000}";
    for (int m = SPOTIFY_MODE_DEVELOPMENT; m <= SPOTIFY_MODE_EXTENDED; m++) {
        r = compile_ok(oy, rule_env((enum spotify_mode)m, true));
        assert_int_equal(rule_needs(r), RULE_NEEDS_MUSICBRAINZ);
        rule_free(r);
        r = compile_ok("{'field': 'tag', 'op': 'eq', 'value': 'Workout'}", (unsigned)m);
        assert_int_equal(rule_needs(r), RULE_NEEDS_TAGS);
        rule_free(r);
    }
    /* everything else compiles in development mode */
    r = compile_ok("{'all':[{'field':'artist_name','op':'eq','value':'x'},"
                                "{'field':'release_date','op':'after','value':'2000-01-01'},"
                                "{'field':'explicit','op':'eq','value':true}]}",
                                SPOTIFY_MODE_DEVELOPMENT);
    assert_int_equal(rule_needs(r), RULE_NEEDS_TRACK);
    rule_free(r);
}

static void test_rule_invalid_regex(void **state)
{
    (void)state;
    const char *bad[] = {"(", "a{2,1}", "[z-a]", "*x"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        json_t *j =
            json_pack("{s:s, s:s, s:s}", "field", "track_name", "op", "matches", "value", bad[i]);
        struct report rep = {0};
        struct rule *r = NULL;
        int rc = rule_compile(j, SPOTIFY_MODE_EXTENDED, "", &r, &rep);
        assert_int_equal(rc, ERR_VALIDATION);
        assert_null(r);
        json_t *d = json_array_get(rep.details, 0);
        assert_string_equal(json_string_value(json_object_get(d, "path")), "/value");
        const char *msg = json_string_value(json_object_get(d, "message"));
        assert_true(strncmp(msg, "invalid regular expression: ", 28) == 0);
        assert_true(strlen(msg) > 28);
        json_decref(j);
        report_release(&rep);
    }
}

static void test_rule_limits(void **state)
{
    (void)state;
    struct buf b = BUF_INIT;
    struct rule *r = NULL;
    struct report rep = {0};

    /* regex: 256 characters (here 512 bytes) are fine, 257 are not */
    for (int i = 0; i < 256; i++)
        buf_append_str(&b, "é");
    json_t *j =
        json_pack("{s:s, s:s, s:s}", "field", "track_name", "op", "matches", "value", b.data);
    assert_int_equal(rule_compile(j, SPOTIFY_MODE_EXTENDED, "", &r, &rep), 0);
    rule_free(r);
    json_decref(j);
    buf_append_str(&b, "x");
    j = json_pack("{s:s, s:s, s:s}", "field", "track_name", "op", "matches", "value", b.data);
    assert_int_equal(rule_compile(j, SPOTIFY_MODE_EXTENDED, "/f", &r, &rep), ERR_VALIDATION);
    json_t *want = jparse("[{'path':'/f/value','message':'regular expression longer than 256 "
                          "characters'}]");
    assert_true(json_equal(rep.details, want));
    json_decref(want);
    json_decref(j);
    report_release(&rep);

    /* in: 10,000 values are fine, 10,001 are not */
    json_t *vals = json_array();
    for (int i = 0; i < 10000; i++)
        json_array_append_new(vals, json_sprintf("v%d", i));
    j = json_pack("{s:s, s:s, s:O}", "field", "genre", "op", "in", "value", vals);
    assert_int_equal(rule_compile(j, SPOTIFY_MODE_EXTENDED, "", &r, &rep), 0);
    struct track t = fixture(FULL);
    assert_false(rule_eval(r, &t, TODAY));
    rule_free(r);
    json_decref(j);
    json_array_append_new(vals, json_string("europop"));
    j = json_pack("{s:s, s:s, s:O}", "field", "genre", "op", "in", "value", vals);
    assert_int_equal(rule_compile(j, SPOTIFY_MODE_EXTENDED, "", &r, &rep), ERR_VALIDATION);
    want = jparse("[{'path':'/value','message':'more than 10000 values'}]");
    assert_true(json_equal(rep.details, want));
    json_decref(want);
    json_decref(j);
    report_release(&rep);
    json_decref(vals);

    /* depth: 32 levels are fine, the 33rd is refused at its path */
    json_t *leaf = json_pack("{s:s, s:s}", "field", "explicit", "op", "exists");
    json_t *deep = json_incref(leaf);
    for (int i = 1; i < 32; i++)
        deep = json_pack("{s:o}", "not", deep);
    assert_int_equal(rule_compile(deep, SPOTIFY_MODE_EXTENDED, "", &r, &rep), 0);
    assert_false(rule_eval(r, &t, TODAY)); /* 31 nots around a true leaf */
    rule_free(r);
    deep = json_pack("{s:o}", "not", deep);
    assert_int_equal(rule_compile(deep, SPOTIFY_MODE_EXTENDED, "", &r, &rep), ERR_VALIDATION);
    buf_reset(&b);
    for (int i = 0; i < 32; i++)
        buf_append_str(&b, "/not");
    assert_int_equal(json_array_size(rep.details), 1);
    assert_string_equal(json_string_value(json_object_get(json_array_get(rep.details, 0), "path")),
                        b.data);
    assert_string_equal(
        json_string_value(json_object_get(json_array_get(rep.details, 0), "message")),
        "rule nested deeper than 32 levels");
    json_decref(deep);
    json_decref(leaf);
    report_release(&rep);

    /* nodes: 1 + 999 are fine, 1 + 1000 are not; the path names the 1001st node */
    json_t *kids = json_array();
    for (int i = 0; i < 999; i++)
        json_array_append_new(
            kids, json_pack("{s:s, s:s, s:i}", "field", "track_number", "op", "neq", "value", i));
    j = json_pack("{s:O}", "all", kids);
    assert_int_equal(rule_compile(j, SPOTIFY_MODE_EXTENDED, "", &r, &rep), 0);
    assert_false(rule_eval(r, &t, TODAY)); /* track_number 1 */
    rule_free(r);
    json_decref(j);
    json_array_append_new(kids, json_pack("{s:s, s:s}", "field", "track_number", "op", "exists"));
    j = json_pack("{s:O}", "all", kids);
    assert_int_equal(rule_compile(j, SPOTIFY_MODE_EXTENDED, "", &r, &rep), ERR_VALIDATION);
    want = jparse("[{'path':'/all/999','message':'rule has more than 1000 nodes'}]");
    assert_true(json_equal(rep.details, want));
    json_decref(want);
    json_decref(j);
    json_decref(kids);
    report_release(&rep);

    /* at most RULE_MAX_DETAILS problems are listed */
    kids = json_array();
    for (int i = 0; i < 300; i++)
        json_array_append_new(kids, json_pack("{s:s, s:s}", "field", "nope", "op", "eq"));
    j = json_pack("{s:o}", "any", kids);
    assert_int_equal(rule_compile(j, SPOTIFY_MODE_EXTENDED, "", &r, &rep), ERR_VALIDATION);
    assert_int_equal(json_array_size(rep.details), RULE_MAX_DETAILS);
    json_decref(j);
    report_release(&rep);

    /* NULL filter, NULL rep.details */
    assert_int_equal(rule_compile(NULL, SPOTIFY_MODE_EXTENDED, "/filter", &r, &rep),
                     ERR_VALIDATION);
    want = jparse("[{'path':'/filter','message':'missing rule'}]");
    assert_true(json_equal(rep.details, want));
    json_decref(want);
    report_release(&rep);
    j = jparse("{'field':'nope'}");
    assert_int_equal(rule_compile(j, SPOTIFY_MODE_EXTENDED, NULL, &r, NULL), ERR_VALIDATION);
    assert_null(r);
    json_decref(j);
    buf_release(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rule_invalid_table),
        cmocka_unit_test(test_rule_development_mode_refuses_rich_fields),
        cmocka_unit_test(test_rule_invalid_regex),
        cmocka_unit_test(test_rule_limits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
