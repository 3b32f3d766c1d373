/* Rule engine: table-driven tests of every field x operator, missing values, case
 * folding, partial dates, explain, and the validation errors (paths and messages).
 * Random/property tests live in test_rule_props.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "server/app_err.h"
#include "server/buf.h"
#include "server/util.h"
#include "services/rule.h"

/* ---- fixtures -------------------------------------------------------------------- */

#define DAY(y, m, d) ((int32_t)util_days_from_civil((y), (m), (d)))
#define TODAY DAY(2026, 11, 23)

static const char *const FULL_ARTIST_IDS[] = {"0gxyHStUsqpMadRV0Di1Qt", "6vWDO969PvNqNYHIOW5v0m"};
static const char *const FULL_ARTIST_NAMES[] = {"Rick Astley", "BEYONCÉ"};
static const char *const FULL_GENRES[] = {"dance pop", "Europop"};
static const char *const INTL_ARTIST_NAMES[] = {"ΟΔΥΣΣΕΥΣ", "ПРИВЕТ Мир"};
static const char *const INTL_ARTIST_IDS[] = {"a1", "a2"};
static const char *const BLANK_ARTIST_NAMES[] = {"", "Muse"};
static const char *const BLANK_GENRES[] = {""};

enum fixture {
    FULL,     /* every field set */
    EMPTY,    /* no field at all */
    Y1994,    /* release date "1994", explicit */
    M1994_06, /* release date "1994-06" */
    INTL,     /* non-ASCII names */
    NOGENRE,  /* artists listed, genre list empty */
    Y2026,    /* release "2026", added today */
    M2026_10, /* release "2026-10" */
    FUTURE,   /* release "2027-01-01" */
    OLD,      /* added 1969-12-31T23:59:59Z */
    BLANK,    /* empty strings: no value */
    N_FIXTURES
};

static struct track fixture(enum fixture f)
{
    struct track t = {0};
    switch (f) {
    case FULL:
        t.id = "4uLU6hMCjMI75M1A2tKUQC";
        t.name = "Never Gonna Give You Up";
        t.isrc = "GBARL9300135";
        t.artist_ids = FULL_ARTIST_IDS;
        t.artist_names = FULL_ARTIST_NAMES;
        t.n_artists = 2;
        t.genres = FULL_GENRES;
        t.n_genres = 2;
        t.album_id = "6N9PS4QXF1D0OWPk0Sxtb4";
        t.album_name = "Whenever You Need Somebody";
        t.album_type = "album";
        t.label = "RCA Records Label";
        track_set_release_date(&t, "1987-11-12");
        t.added_at = (int64_t)DAY(2026, 11, 20) * 86400 + 36000; /* 10:00Z */
        t.added_by = "Alice";
        t.duration_ms = 213573;
        t.track_number = 1;
        t.disc_number = 2;
        t.popularity = 80;
        t.artist_popularity = 77;
        t.album_popularity = 70;
        t.is_explicit = false;
        t.has |= TRACK_HAS_ADDED_AT | TRACK_HAS_DURATION | TRACK_HAS_POPULARITY |
                 TRACK_HAS_ARTIST_POPULARITY | TRACK_HAS_ALBUM_POPULARITY | TRACK_HAS_TRACK_NUMBER |
                 TRACK_HAS_DISC_NUMBER | TRACK_HAS_EXPLICIT;
        break;
    case EMPTY:
        break;
    case Y1994:
        t.id = "y1994";
        t.name = "Song of 1994";
        track_set_release_date(&t, "1994");
        t.is_explicit = true;
        t.has |= TRACK_HAS_EXPLICIT;
        break;
    case M1994_06:
        track_set_release_date(&t, "1994-06");
        break;
    case INTL:
        t.name = "ÉTÉ À PARIS";
        t.album_name = "Ÿ Łódź";
        t.artist_ids = INTL_ARTIST_IDS;
        t.artist_names = INTL_ARTIST_NAMES;
        t.n_artists = 2;
        break;
    case NOGENRE:
        t.artist_ids = FULL_ARTIST_IDS;
        t.artist_names = FULL_ARTIST_NAMES;
        t.n_artists = 2;
        t.genres = FULL_GENRES;
        t.n_genres = 0;
        break;
    case Y2026:
        track_set_release_date(&t, "2026");
        t.added_at = (int64_t)TODAY * 86400 + 86399;
        t.has |= TRACK_HAS_ADDED_AT;
        break;
    case M2026_10:
        track_set_release_date(&t, "2026-10");
        break;
    case FUTURE:
        track_set_release_date(&t, "2027-01-01");
        break;
    case OLD:
        t.added_at = -1;
        t.has |= TRACK_HAS_ADDED_AT;
        break;
    case BLANK:
        t.name = "";
        t.label = "";
        t.artist_names = BLANK_ARTIST_NAMES;
        t.n_artists = 2;
        t.genres = BLANK_GENRES;
        t.n_genres = 1;
        track_set_release_date(&t, "");
        break;
    case N_FIXTURES:
        break;
    }
    return t;
}

/* Rules are written with ' for " to keep the tables readable. */
static json_t *jparse(const char *text)
{
    char *s = strdup(text);
    assert_non_null(s);
    for (char *p = s; *p; p++)
        if (*p == '\'')
            *p = '"';
    json_error_t err;
    json_t *j = json_loads(s, JSON_DECODE_ANY, &err);
    if (!j)
        fail_msg("bad test JSON %s: %s", s, err.text);
    free(s);
    return j;
}

static struct rule *compile_ok(const char *text, enum spotify_mode mode)
{
    json_t *j = jparse(text), *details = json_array();
    struct rule *r = NULL;
    int rc = rule_compile(j, mode, "/filter", &r, details);
    if (rc != 0) {
        char *d = json_dumps(details, 0);
        fail_msg("rule %s: rc %d %s", text, rc, d);
    }
    json_decref(j);
    json_decref(details);
    return r;
}

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
            json_t *j = json_loads(text, 0, NULL), *details = json_array();
            assert_non_null(j);
            struct rule *r = NULL;
            int rc = rule_compile(j, SPOTIFY_MODE_EXTENDED, "", &r, details);
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
                assert_int_equal(json_array_size(details), 1);
                assert_string_equal(
                    json_string_value(json_object_get(json_array_get(details, 0), "path")), "/op");
            } else {
                if (rc != 0)
                    fail_msg("%s: rc %d %s", text, rc, json_dumps(details, 0));
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
            json_decref(details);
        }
    }
    /* 11 string fields x 11, 7 numbers x 11, 2 dates x 6, 1 bool x 3 */
    assert_int_equal(valid_pairs, 11 * 11 + 7 * 11 + 2 * 6 + 3);
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
        struct rule *r = compile_ok(text, SPOTIFY_MODE_EXTENDED);
        assert_true(rule_eval(r, &full, TODAY));
        rule_free(r);
        snprintf(text, sizeof text, "{'field':'%s','op':'missing'}", name);
        r = compile_ok(text, SPOTIFY_MODE_EXTENDED);
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
        assert_true(fd->modes & RULE_MODE_BIT(SPOTIFY_MODE_EXTENDED));
    }
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
    "Development Mode (SPOTIFY_API_MODE=development); it needs an app with extended quota "        \
    "(SPOTIFY_API_MODE=extended)"

static const struct invalid_case INVALID_CASES[] = {
    {"{'all':[{'field':'track_name','op':'equals','value':'x'}]}",
     {{"/filter/all/0/op", "unknown operator 'equals'"}}},
    {"{'field':'nope','op':'eq','value':1}", {{"/filter/field", "unknown field 'nope'"}}},
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
};

static void check_invalid(const char *rule_text, enum spotify_mode mode, const struct problem *want)
{
    json_t *j = jparse(rule_text), *details = json_array();
    struct rule *r = (struct rule *)1;
    int rc = rule_compile(j, mode, "/filter", &r, details);
    size_t n_want = 0;
    while (n_want < 5 && want[n_want].path)
        n_want++;
    bool same = rc == ERR_VALIDATION && json_array_size(details) == n_want;
    for (size_t i = 0; same && i < n_want; i++) {
        json_t *d = json_array_get(details, i);
        same = json_object_size(d) == 2 &&
               strcmp(json_string_value(json_object_get(d, "path")), want[i].path) == 0 &&
               strcmp(json_string_value(json_object_get(d, "message")), want[i].message) == 0;
    }
    if (!same) {
        char *got = json_dumps(details, JSON_ENSURE_ASCII);
        fail_msg("rule %s: rc %d\n got %s\n want first %s: %s", rule_text, rc, got, want[0].path,
                 want[0].message);
    }
    assert_null(r);
    json_decref(j);
    json_decref(details);
}

static void test_rule_invalid_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof INVALID_CASES / sizeof INVALID_CASES[0]; i++) {
        enum spotify_mode mode = strstr(INVALID_CASES[i].rule, "genre") ? SPOTIFY_MODE_DEVELOPMENT
                                                                        : SPOTIFY_MODE_EXTENDED;
        check_invalid(INVALID_CASES[i].rule, mode, INVALID_CASES[i].want);
    }
}

static void test_rule_development_mode_refuses_rich_fields(void **state)
{
    (void)state;
    struct {
        const char *field, *op, *value, *what;
    } cases[] = {
        {"genre", "contains", "'rock'", "artist genres"},
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
        struct rule *r = compile_ok(rule, SPOTIFY_MODE_EXTENDED);
        rule_free(r);
    }
    /* everything else compiles in development mode */
    struct rule *r = compile_ok("{'all':[{'field':'artist_name','op':'eq','value':'x'},"
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
        json_t *details = json_array();
        struct rule *r = NULL;
        int rc = rule_compile(j, SPOTIFY_MODE_EXTENDED, "", &r, details);
        if (strcmp(bad[i], "*x") == 0 && rc == 0) { /* glibc takes a leading * literally */
            rule_free(r);
        } else {
            assert_int_equal(rc, ERR_VALIDATION);
            json_t *d = json_array_get(details, 0);
            assert_string_equal(json_string_value(json_object_get(d, "path")), "/value");
            const char *msg = json_string_value(json_object_get(d, "message"));
            assert_true(strncmp(msg, "invalid regular expression: ", 28) == 0);
            assert_true(strlen(msg) > 28);
        }
        json_decref(j);
        json_decref(details);
    }
}

static void test_rule_limits(void **state)
{
    (void)state;
    struct buf b = BUF_INIT;
    struct rule *r = NULL;
    json_t *details;

    /* regex: 256 characters (here 512 bytes) are fine, 257 are not */
    for (int i = 0; i < 256; i++)
        buf_append_str(&b, "é");
    json_t *j =
        json_pack("{s:s, s:s, s:s}", "field", "track_name", "op", "matches", "value", b.data);
    details = json_array();
    assert_int_equal(rule_compile(j, SPOTIFY_MODE_EXTENDED, "", &r, details), 0);
    rule_free(r);
    json_decref(j);
    buf_append_str(&b, "x");
    j = json_pack("{s:s, s:s, s:s}", "field", "track_name", "op", "matches", "value", b.data);
    assert_int_equal(rule_compile(j, SPOTIFY_MODE_EXTENDED, "/f", &r, details), ERR_VALIDATION);
    json_t *want = jparse("[{'path':'/f/value','message':'regular expression longer than 256 "
                          "characters'}]");
    assert_true(json_equal(details, want));
    json_decref(want);
    json_decref(j);
    json_decref(details);

    /* in: 10,000 values are fine, 10,001 are not */
    json_t *vals = json_array();
    for (int i = 0; i < 10000; i++)
        json_array_append_new(vals, json_sprintf("v%d", i));
    j = json_pack("{s:s, s:s, s:O}", "field", "genre", "op", "in", "value", vals);
    details = json_array();
    assert_int_equal(rule_compile(j, SPOTIFY_MODE_EXTENDED, "", &r, details), 0);
    struct track t = fixture(FULL);
    assert_false(rule_eval(r, &t, TODAY));
    rule_free(r);
    json_decref(j);
    json_array_append_new(vals, json_string("europop"));
    j = json_pack("{s:s, s:s, s:O}", "field", "genre", "op", "in", "value", vals);
    assert_int_equal(rule_compile(j, SPOTIFY_MODE_EXTENDED, "", &r, details), ERR_VALIDATION);
    want = jparse("[{'path':'/value','message':'more than 10000 values'}]");
    assert_true(json_equal(details, want));
    json_decref(want);
    json_decref(j);
    json_decref(details);
    json_decref(vals);

    /* depth: 32 levels are fine, the 33rd is refused at its path */
    json_t *leaf = json_pack("{s:s, s:s}", "field", "explicit", "op", "exists");
    json_t *deep = json_incref(leaf);
    for (int i = 1; i < 32; i++)
        deep = json_pack("{s:o}", "not", deep);
    details = json_array();
    assert_int_equal(rule_compile(deep, SPOTIFY_MODE_EXTENDED, "", &r, details), 0);
    assert_false(rule_eval(r, &t, TODAY)); /* 31 nots around a true leaf */
    rule_free(r);
    deep = json_pack("{s:o}", "not", deep);
    assert_int_equal(rule_compile(deep, SPOTIFY_MODE_EXTENDED, "", &r, details), ERR_VALIDATION);
    buf_reset(&b);
    for (int i = 0; i < 32; i++)
        buf_append_str(&b, "/not");
    assert_int_equal(json_array_size(details), 1);
    assert_string_equal(json_string_value(json_object_get(json_array_get(details, 0), "path")),
                        b.data);
    assert_string_equal(json_string_value(json_object_get(json_array_get(details, 0), "message")),
                        "rule nested deeper than 32 levels");
    json_decref(deep);
    json_decref(leaf);
    json_decref(details);

    /* nodes: 1 + 999 are fine, 1 + 1000 are not; the path names the 1001st node */
    json_t *kids = json_array();
    for (int i = 0; i < 999; i++)
        json_array_append_new(
            kids, json_pack("{s:s, s:s, s:i}", "field", "track_number", "op", "neq", "value", i));
    j = json_pack("{s:O}", "all", kids);
    details = json_array();
    assert_int_equal(rule_compile(j, SPOTIFY_MODE_EXTENDED, "", &r, details), 0);
    assert_false(rule_eval(r, &t, TODAY)); /* track_number 1 */
    rule_free(r);
    json_decref(j);
    json_array_append_new(kids, json_pack("{s:s, s:s}", "field", "track_number", "op", "exists"));
    j = json_pack("{s:O}", "all", kids);
    assert_int_equal(rule_compile(j, SPOTIFY_MODE_EXTENDED, "", &r, details), ERR_VALIDATION);
    want = jparse("[{'path':'/all/999','message':'rule has more than 1000 nodes'}]");
    assert_true(json_equal(details, want));
    json_decref(want);
    json_decref(j);
    json_decref(kids);
    json_decref(details);

    /* at most RULE_MAX_DETAILS problems are listed */
    kids = json_array();
    for (int i = 0; i < 300; i++)
        json_array_append_new(kids, json_pack("{s:s, s:s}", "field", "nope", "op", "eq"));
    j = json_pack("{s:o}", "any", kids);
    details = json_array();
    assert_int_equal(rule_compile(j, SPOTIFY_MODE_EXTENDED, "", &r, details), ERR_VALIDATION);
    assert_int_equal(json_array_size(details), RULE_MAX_DETAILS);
    json_decref(j);
    json_decref(details);

    /* NULL filter, NULL details */
    details = json_array();
    assert_int_equal(rule_compile(NULL, SPOTIFY_MODE_EXTENDED, "/filter", &r, details),
                     ERR_VALIDATION);
    want = jparse("[{'path':'/filter','message':'missing rule'}]");
    assert_true(json_equal(details, want));
    json_decref(want);
    json_decref(details);
    j = jparse("{'field':'nope'}");
    assert_int_equal(rule_compile(j, SPOTIFY_MODE_EXTENDED, NULL, &r, NULL), ERR_VALIDATION);
    assert_null(r);
    json_decref(j);
    buf_release(&b);
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
        cmocka_unit_test(test_rule_invalid_table),
        cmocka_unit_test(test_rule_development_mode_refuses_rich_fields),
        cmocka_unit_test(test_rule_invalid_regex),
        cmocka_unit_test(test_rule_limits),
        cmocka_unit_test(test_rule_long_strings),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
