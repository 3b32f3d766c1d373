/* Rule engine property tests on random tracks and random rules (seeded, deterministic):
 * the engine agrees with a simple reference evaluator written here from API.md,
 * `not` inverts, De Morgan holds, negative operators negate, and rule_explain agrees
 * with rule_eval and points at a node of the filter. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cmocka.h>

#include "lib/app_err.h"
#include "lib/buf.h"
#include "lib/util.h"
#include "services/rules/rule.h"

#define TODAY 20400 /* 2025-11-09 */
#define N_TRACKS 40

/* ---- PRNG (xorshift64*) ---------------------------------------------------------- */

struct rng {
    uint64_t s;
};

static uint64_t next(struct rng *r)
{
    r->s ^= r->s >> 12;
    r->s ^= r->s << 25;
    r->s ^= r->s >> 27;
    return r->s * 2685821657736338717ull;
}

static unsigned pick(struct rng *r, unsigned n)
{
    return (unsigned)(next(r) % n);
}

#define PICK(r, arr) ((arr)[pick((r), sizeof(arr) / sizeof((arr)[0]))])

/* Howard Hinnant's civil_from_days, to write rule dates. */
static void civil(int64_t z, char out[16])
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    unsigned doe = (unsigned)(z - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t y = (int64_t)yoe + era * 400;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;
    unsigned d = doy - (153 * mp + 2) / 5 + 1;
    unsigned m = mp < 10 ? mp + 3 : mp - 9;
    snprintf(out, 16, "%04d-%02u-%02u", (int)((y + (m <= 2)) % 10000), m % 100, d % 100);
}

/* ---- random tracks --------------------------------------------------------------- */

static const char *const NAMES[] = {"Alpha", "alpha beta",    "BETA", "Gamma Ray",
                                    "delta", "Epsilon Delta", "",     "ray of light"};
static const char *const ARTISTS[] = {"ABBA",      "abba",        "Queen", "Daft Punk",
                                      "punk rock", "The Beatles", ""};
static const char *const GENRES[] = {"rock", "pop", "Punk Rock", "dance pop", "jazz", ""};
static const char *const IDS[] = {"Id1", "id1", "ID2", "x9"};
static const char *const RELEASES[] = {"1990",       "1991",    "1991-03",    "1991-03-15",
                                       "1992-12-31", "1993-07", "1990-01-01", "1995"};

struct rtrack {
    struct track t;
    const char *artists[3];
    const char *genres[3];
};

static void gen_track(struct rng *r, struct rtrack *rt)
{
    memset(rt, 0, sizeof *rt);
    struct track *t = &rt->t;
    t->id = pick(r, 5) ? PICK(r, IDS) : NULL;
    t->name = pick(r, 6) ? PICK(r, NAMES) : NULL;
    t->n_artists = pick(r, 4);
    for (size_t i = 0; i < t->n_artists; i++)
        rt->artists[i] = PICK(r, ARTISTS);
    t->artist_names = rt->artists;
    t->artist_ids = rt->artists;
    t->n_genres = pick(r, 4);
    for (size_t i = 0; i < t->n_genres; i++)
        rt->genres[i] = PICK(r, GENRES);
    t->genres = rt->genres;
    if (pick(r, 5))
        track_set_release_date(t, PICK(r, RELEASES));
    if (pick(r, 5)) {
        t->added_at = ((int64_t)TODAY - 12 + pick(r, 14)) * 86400 + pick(r, 86400);
        t->has |= TRACK_HAS_ADDED_AT;
    }
    if (pick(r, 5)) {
        t->duration_ms = (int32_t)pick(r, 11);
        t->has |= TRACK_HAS_DURATION;
    }
    if (pick(r, 4)) {
        t->is_explicit = pick(r, 2);
        t->has |= TRACK_HAS_EXPLICIT;
    }
}

/* ---- random rules ---------------------------------------------------------------- */

static const char *const STR_VALUES[] = {"a",  "alpha", "ALPHA",     "beta", "Punk",  "rock",
                                         "",   "ta",    "gamma ray", "abba", "queen", "Id1",
                                         "id", "X9",    "ray",       "POP"};
static const char *const PATTERNS[] = {"^a",    "a$",  "(rock|pop)", "^$",
                                       "[0-9]", "b.t", "^(the|da)",  "ray"};

struct fdesc {
    const char *name;
    enum rule_type type;
};

/* The reference evaluator covers these (no `matches`); the others join the other props. */
static const struct fdesc REF_FIELDS[] = {
    {"track_name", RULE_TYPE_STRING},   {"track_id", RULE_TYPE_STRING},
    {"artist_name", RULE_TYPE_STRINGS}, {"artist_id", RULE_TYPE_STRINGS},
    {"genre", RULE_TYPE_STRINGS},       {"duration_ms", RULE_TYPE_NUMBER},
    {"release_year", RULE_TYPE_NUMBER}, {"release_date", RULE_TYPE_DATE},
    {"added_at", RULE_TYPE_DATE},       {"explicit", RULE_TYPE_BOOL},
};
static const char *const STR_OPS[] = {"eq",        "neq", "contains", "not_contains", "starts_with",
                                      "ends_with", "in",  "not_in",   "exists",       "missing"};
static const char *const NUM_OPS[] = {"eq",      "neq", "gt",     "gte",    "lt",     "lte",
                                      "between", "in",  "not_in", "exists", "missing"};
static const char *const DATE_OPS[] = {"before",      "after",  "between",
                                       "in_the_last", "exists", "missing"};
static const char *const BOOL_OPS[] = {"eq", "exists", "missing"};

static json_t *random_date(struct rng *r, bool release)
{
    char d[16];
    if (release)
        civil(util_days_from_civil(1989, 6, 1) + pick(r, 365 * 7), d);
    else
        civil(TODAY - 14 + (int)pick(r, 17), d);
    return json_string(d);
}

static double random_number(struct rng *r, bool year)
{
    double v = year ? 1989 + pick(r, 8) : pick(r, 12);
    if (pick(r, 4) == 0)
        v += 0.5;
    return v;
}

static json_t *gen_cmp(struct rng *r, bool with_matches)
{
    const struct fdesc *f = &PICK(r, REF_FIELDS);
    const char *op = "exists";
    json_t *v = NULL;
    switch (f->type) {
    case RULE_TYPE_STRING:
    case RULE_TYPE_STRINGS:
        op = (with_matches && pick(r, 6) == 0) ? "matches" : PICK(r, STR_OPS);
        if (strcmp(op, "matches") == 0) {
            v = json_string(PICK(r, PATTERNS));
        } else if (strcmp(op, "in") == 0 || strcmp(op, "not_in") == 0) {
            v = json_array();
            for (unsigned i = pick(r, 4); i > 0; i--)
                json_array_append_new(v, json_string(PICK(r, STR_VALUES)));
        } else {
            v = json_string(PICK(r, STR_VALUES));
        }
        break;
    case RULE_TYPE_NUMBER: {
        bool year = strcmp(f->name, "release_year") == 0;
        op = PICK(r, NUM_OPS);
        if (strcmp(op, "between") == 0) {
            double a = random_number(r, year), b = random_number(r, year);
            v = json_pack("[f, f]", a < b ? a : b, a < b ? b : a);
        } else if (strcmp(op, "in") == 0 || strcmp(op, "not_in") == 0) {
            v = json_array();
            for (unsigned i = pick(r, 4); i > 0; i--)
                json_array_append_new(v, json_real(random_number(r, year)));
        } else {
            v = pick(r, 2) ? json_integer((json_int_t)random_number(r, year))
                           : json_real(random_number(r, year));
        }
        break;
    }
    case RULE_TYPE_DATE: {
        bool release = strcmp(f->name, "release_date") == 0;
        op = PICK(r, DATE_OPS);
        if (strcmp(op, "between") == 0) {
            json_t *a = random_date(r, release), *b = random_date(r, release);
            if (strcmp(json_string_value(a), json_string_value(b)) > 0)
                v = json_pack("[o, o]", b, a);
            else
                v = json_pack("[o, o]", a, b);
        } else if (strcmp(op, "in_the_last") == 0) {
            v = json_integer(release ? pick(r, 20000) : pick(r, 15));
        } else {
            v = random_date(r, release);
        }
        break;
    }
    case RULE_TYPE_BOOL:
        op = PICK(r, BOOL_OPS);
        v = json_boolean(pick(r, 2));
        break;
    }
    json_t *j = json_pack("{s:s, s:s}", "field", f->name, "op", op);
    if (strcmp(op, "exists") != 0 && strcmp(op, "missing") != 0)
        json_object_set_new(j, "value", v);
    else
        json_decref(v);
    return j;
}

static json_t *gen_rule(struct rng *r, int depth, bool with_matches)
{
    unsigned k = pick(r, 10);
    if (depth >= 4 || k < 5)
        return gen_cmp(r, with_matches);
    if (k == 9)
        return json_pack("{s:o}", "not", gen_rule(r, depth + 1, with_matches));
    json_t *kids = json_array();
    for (unsigned i = pick(r, 4); i > 0; i--)
        json_array_append_new(kids, gen_rule(r, depth + 1, with_matches));
    return json_pack("{s:o}", k < 7 ? "all" : "any", kids);
}

/* ---- the reference evaluator (ASCII data, straight from API.md) ------------------ */

static bool ref_str1(const char *op, const char *v, const char *x, bool exact)
{
    size_t lv = strlen(v), lx = strlen(x);
    if (strcmp(op, "eq") == 0)
        return exact ? strcmp(v, x) == 0 : strcasecmp(v, x) == 0;
    if (strcmp(op, "contains") == 0)
        return exact ? strstr(v, x) != NULL : strcasestr(v, x) != NULL;
    if (strcmp(op, "starts_with") == 0)
        return lv >= lx && (exact ? strncmp(v, x, lx) : strncasecmp(v, x, lx)) == 0;
    if (strcmp(op, "ends_with") == 0)
        return lv >= lx && (exact ? strcmp(v + lv - lx, x) : strcasecmp(v + lv - lx, x)) == 0;
    fail_msg("ref: string op %s", op);
    return false;
}

/* A partial date's period, parsed here independently of track.c. */
static void ref_period(const char *d, int64_t *first, int64_t *last)
{
    int y = atoi(d), m = strlen(d) >= 7 ? atoi(d + 5) : 0, day = strlen(d) == 10 ? atoi(d + 8) : 0;
    if (!m) {
        *first = util_days_from_civil(y, 1, 1);
        *last = util_days_from_civil(y, 12, 31);
    } else if (!day) {
        *first = util_days_from_civil(y, (unsigned)m, 1);
        *last = util_days_from_civil(m == 12 ? y + 1 : y, m == 12 ? 1 : (unsigned)m + 1, 1) - 1;
    } else {
        *first = *last = util_days_from_civil(y, (unsigned)m, (unsigned)day);
    }
}

static int64_t ref_day(const json_t *v)
{
    const char *s = json_string_value(v);
    return util_days_from_civil(atoi(s), (unsigned)atoi(s + 5), (unsigned)atoi(s + 8));
}

static bool ref_eval(const json_t *rule, const struct track *t)
{
    const json_t *k;
    if ((k = json_object_get(rule, "all"))) {
        for (size_t i = 0; i < json_array_size(k); i++)
            if (!ref_eval(json_array_get(k, i), t))
                return false;
        return true;
    }
    if ((k = json_object_get(rule, "any"))) {
        for (size_t i = 0; i < json_array_size(k); i++)
            if (ref_eval(json_array_get(k, i), t))
                return true;
        return false;
    }
    if ((k = json_object_get(rule, "not")))
        return !ref_eval(k, t);

    const char *field = json_string_value(json_object_get(rule, "field"));
    const char *op = json_string_value(json_object_get(rule, "op"));
    const json_t *v = json_object_get(rule, "value");
    bool neg =
        strcmp(op, "neq") == 0 || strcmp(op, "not_contains") == 0 || strcmp(op, "not_in") == 0;
    const char *pos = strcmp(op, "neq") == 0            ? "eq"
                      : strcmp(op, "not_contains") == 0 ? "contains"
                      : strcmp(op, "not_in") == 0       ? "in"
                                                        : op;
    bool present = false, hit = false;

    if (strcmp(field, "track_name") == 0 || strcmp(field, "track_id") == 0 ||
        strcmp(field, "artist_name") == 0 || strcmp(field, "artist_id") == 0 ||
        strcmp(field, "genre") == 0) {
        const char *vals[4];
        size_t n = 0;
        bool exact = strcmp(field, "track_id") == 0 || strcmp(field, "artist_id") == 0;
        if (strcmp(field, "track_name") == 0 && t->name && *t->name)
            vals[n++] = t->name;
        if (strcmp(field, "track_id") == 0 && t->id && *t->id)
            vals[n++] = t->id;
        for (size_t i = 0; strcmp(field, "artist_name") == 0 && i < t->n_artists; i++)
            if (*t->artist_names[i]) /* "" is no value */
                vals[n++] = t->artist_names[i];
        for (size_t i = 0; strcmp(field, "artist_id") == 0 && i < t->n_artists; i++)
            if (*t->artist_ids[i])
                vals[n++] = t->artist_ids[i];
        for (size_t i = 0; strcmp(field, "genre") == 0 && i < t->n_genres; i++)
            if (*t->genres[i])
                vals[n++] = t->genres[i];
        present = n > 0;
        for (size_t i = 0; i < n && present && !hit; i++) {
            if (strcmp(pos, "in") == 0) {
                for (size_t j = 0; j < json_array_size(v) && !hit; j++)
                    hit = ref_str1("eq", vals[i], json_string_value(json_array_get(v, j)), exact);
            } else if (strcmp(pos, "exists") != 0 && strcmp(pos, "missing") != 0) {
                hit = ref_str1(pos, vals[i], json_string_value(v), exact);
            }
        }
    } else if (strcmp(field, "duration_ms") == 0 || strcmp(field, "release_year") == 0) {
        bool dur = strcmp(field, "duration_ms") == 0;
        present = (t->has & (dur ? TRACK_HAS_DURATION : TRACK_HAS_RELEASE)) != 0;
        double x = dur ? t->duration_ms : atoi(t->release_date ? t->release_date : "0");
        if (strcmp(pos, "in") == 0) {
            for (size_t j = 0; j < json_array_size(v); j++)
                hit = hit || x == json_number_value(json_array_get(v, j));
        } else if (strcmp(pos, "between") == 0) {
            hit = x >= json_number_value(json_array_get(v, 0)) &&
                  x <= json_number_value(json_array_get(v, 1));
        } else if (v) {
            double y = json_number_value(v);
            hit = strcmp(pos, "eq") == 0    ? x == y
                  : strcmp(pos, "gt") == 0  ? x > y
                  : strcmp(pos, "gte") == 0 ? x >= y
                  : strcmp(pos, "lt") == 0  ? x < y
                                            : x <= y;
        }
    } else if (strcmp(field, "release_date") == 0 || strcmp(field, "added_at") == 0) {
        int64_t first = 0, last = 0;
        if (strcmp(field, "release_date") == 0) {
            present = (t->has & TRACK_HAS_RELEASE) != 0;
            if (present)
                ref_period(t->release_date, &first, &last);
        } else {
            present = (t->has & TRACK_HAS_ADDED_AT) != 0;
            first = last = (t->added_at - (((t->added_at % 86400) + 86400) % 86400)) / 86400;
        }
        if (strcmp(pos, "before") == 0)
            hit = last < ref_day(v);
        else if (strcmp(pos, "after") == 0)
            hit = first > ref_day(v);
        else if (strcmp(pos, "between") == 0)
            hit = first >= ref_day(json_array_get(v, 0)) && last <= ref_day(json_array_get(v, 1));
        else if (strcmp(pos, "in_the_last") == 0)
            hit = first >= TODAY - json_integer_value(v) && last <= TODAY;
    } else if (strcmp(field, "explicit") == 0) {
        present = (t->has & TRACK_HAS_EXPLICIT) != 0;
        hit = v && t->is_explicit == json_is_true(v);
    } else {
        fail_msg("ref: field %s", field);
    }
    if (strcmp(op, "exists") == 0)
        return present;
    if (strcmp(op, "missing") == 0)
        return !present;
    if (!present)
        return neg;
    return neg ? !hit : hit;
}

/* ---- helpers --------------------------------------------------------------------- */

static struct rule *compile(const json_t *j)
{
    struct report rep = {0};
    struct rule *r = NULL;
    int rc = rule_compile(j, SPOTIFY_MODE_EXTENDED, "", &r, &rep);
    if (rc != 0) {
        char *a = json_dumps(j, 0), *b = json_dumps(rep.details, 0);
        fail_msg("compile %s: %d %s", a, rc, b);
    }
    report_release(&rep);
    return r;
}

static void make_tracks(struct rng *r, struct rtrack *tracks, size_t n)
{
    for (size_t i = 0; i < n; i++)
        gen_track(r, &tracks[i]);
}

/* JSON Pointer lookup (only the tokens a rule path uses: no escapes). */
static const json_t *resolve(const json_t *root, const char *path)
{
    const json_t *cur = root;
    char tok[64];
    while (*path == '/' && cur) {
        path++;
        size_t n = strcspn(path, "/");
        assert_true(n < sizeof tok);
        memcpy(tok, path, n);
        tok[n] = '\0';
        path += n;
        cur = json_is_array(cur) ? json_array_get(cur, strtoul(tok, NULL, 10))
                                 : json_object_get(cur, tok);
    }
    return cur;
}

/* ---- properties ------------------------------------------------------------------ */

static void test_rule_props_match_reference_evaluator(void **state)
{
    (void)state;
    struct rng r = {0x9e3779b97f4a7c15ull};
    struct rtrack tracks[N_TRACKS];
    size_t checks = 0, matches = 0;
    make_tracks(&r, tracks, N_TRACKS);
    for (int i = 0; i < 4000; i++) {
        json_t *j = gen_rule(&r, 0, false);
        struct rule *rule = compile(j);
        for (size_t k = 0; k < N_TRACKS; k++) {
            bool got = rule_eval(rule, &tracks[k].t, TODAY);
            bool want = ref_eval(j, &tracks[k].t);
            if (got != want) {
                char *s = json_dumps(j, 0);
                fail_msg("rule %s on track %zu: engine %d, reference %d", s, k, got, want);
            }
            checks++;
            matches += got;
        }
        rule_free(rule);
        json_decref(j);
        if (i % 500 == 499)
            make_tracks(&r, tracks, N_TRACKS);
    }
    /* the generator must exercise both outcomes */
    assert_true(matches > checks / 10 && matches < checks - checks / 10);
}

static void test_rule_props_not_inverts(void **state)
{
    (void)state;
    struct rng r = {12345};
    struct rtrack tracks[N_TRACKS];
    make_tracks(&r, tracks, N_TRACKS);
    for (int i = 0; i < 3000; i++) {
        json_t *j = gen_rule(&r, 0, true);
        json_t *nj = json_pack("{s:O}", "not", j);
        struct rule *a = compile(j), *b = compile(nj);
        for (size_t k = 0; k < N_TRACKS; k++)
            assert_int_equal(rule_eval(b, &tracks[k].t, TODAY), !rule_eval(a, &tracks[k].t, TODAY));
        rule_free(a);
        rule_free(b);
        json_decref(j);
        json_decref(nj);
    }
}

static void test_rule_props_de_morgan(void **state)
{
    (void)state;
    struct rng r = {777};
    struct rtrack tracks[N_TRACKS];
    make_tracks(&r, tracks, N_TRACKS);
    for (int i = 0; i < 2000; i++) {
        json_t *kids = json_array(), *negs = json_array();
        for (unsigned n = pick(&r, 5); n > 0; n--) {
            json_t *k = gen_rule(&r, 1, true);
            json_array_append(kids, k);
            json_array_append_new(negs, json_pack("{s:o}", "not", k));
        }
        bool all_outer = pick(&r, 2);
        /* not(all(K)) == any(not K)  and  not(any(K)) == all(not K) */
        json_t *lhs = json_pack("{s:{s:O}}", "not", all_outer ? "all" : "any", kids);
        json_t *rhs = json_pack("{s:O}", all_outer ? "any" : "all", negs);
        struct rule *a = compile(lhs), *b = compile(rhs);
        for (size_t k = 0; k < N_TRACKS; k++)
            assert_int_equal(rule_eval(a, &tracks[k].t, TODAY), rule_eval(b, &tracks[k].t, TODAY));
        rule_free(a);
        rule_free(b);
        json_decref(lhs);
        json_decref(rhs);
        json_decref(kids);
        json_decref(negs);
    }
}

static void test_rule_props_negative_operators_negate(void **state)
{
    (void)state;
    static const char *const PAIRS[][2] = {
        {"eq", "neq"}, {"contains", "not_contains"}, {"in", "not_in"}, {"exists", "missing"}};
    struct rng r = {4242};
    struct rtrack tracks[N_TRACKS];
    make_tracks(&r, tracks, N_TRACKS);
    int tried = 0;
    for (int i = 0; i < 6000; i++) {
        json_t *j = gen_cmp(&r, false);
        const char *op = json_string_value(json_object_get(j, "op"));
        const char *other = NULL;
        for (size_t p = 0; p < 4; p++)
            if (strcmp(op, PAIRS[p][0]) == 0)
                other = PAIRS[p][1];
        const char *field = json_string_value(json_object_get(j, "field"));
        if (!other || (strcmp(field, "explicit") == 0 && strcmp(op, "eq") == 0)) {
            json_decref(j);
            continue;
        }
        json_t *nj = json_deep_copy(j);
        json_object_set_new(nj, "op", json_string(other));
        struct rule *a = compile(j), *b = compile(nj);
        for (size_t k = 0; k < N_TRACKS; k++)
            assert_int_equal(rule_eval(b, &tracks[k].t, TODAY), !rule_eval(a, &tracks[k].t, TODAY));
        tried++;
        rule_free(a);
        rule_free(b);
        json_decref(j);
        json_decref(nj);
    }
    assert_true(tried > 1000);
}

static void test_rule_props_explain_agrees(void **state)
{
    (void)state;
    struct rng r = {99};
    struct rtrack tracks[N_TRACKS];
    struct buf path = BUF_INIT;
    make_tracks(&r, tracks, N_TRACKS);
    for (int i = 0; i < 2000; i++) {
        json_t *j = gen_rule(&r, 0, true);
        struct rule *rule = compile(j);
        for (size_t k = 0; k < N_TRACKS; k++) {
            bool m;
            const char *reason;
            assert_int_equal(rule_explain(rule, &tracks[k].t, TODAY, &m, &path, &reason), 0);
            assert_int_equal(m, rule_eval(rule, &tracks[k].t, TODAY));
            const json_t *node = resolve(j, path.data);
            assert_non_null(node);
            assert_true(json_is_object(node));
            if (json_object_get(node, "field")) {
                assert_true(strcmp(reason, "condition_true") == 0 ||
                            strcmp(reason, "condition_false") == 0 ||
                            strcmp(reason, "missing_value") == 0);
                /* not() wraps flip the outcome: count them on the path */
                int nots = 0;
                for (const char *p = strstr(path.data, "/not"); p; p = strstr(p + 1, "/not"))
                    nots++;
                struct rule *leaf = compile(node);
                bool leaf_m = rule_eval(leaf, &tracks[k].t, TODAY);
                assert_int_equal(leaf_m != (nots % 2 == 1), m);
                rule_free(leaf);
            } else if (json_object_get(node, "all")) {
                assert_true(strcmp(reason, "all_true") == 0 || strcmp(reason, "empty_all") == 0);
            } else {
                assert_non_null(json_object_get(node, "any"));
                assert_true(strcmp(reason, "none_true") == 0 || strcmp(reason, "empty_any") == 0);
            }
        }
        rule_free(rule);
        json_decref(j);
    }
    buf_release(&path);
}

/* One compiled rule shared by several threads gives every thread the single-threaded
 * answers (a compiled rule is immutable; regexec locks its own pattern). */
struct shared_eval {
    struct rule *const *rules;
    size_t n_rules;
    const struct rtrack *tracks;
    const bool *want; /* n_rules x N_TRACKS */
    int mismatches;
};

static void *eval_thread(void *arg)
{
    struct shared_eval *x = arg;
    int bad = 0;
    for (int rep = 0; rep < 20; rep++)
        for (size_t r = 0; r < x->n_rules; r++)
            for (size_t k = 0; k < N_TRACKS; k++)
                bad += rule_eval(x->rules[r], &x->tracks[k].t, TODAY) != x->want[r * N_TRACKS + k];
    x->mismatches = bad;
    return NULL;
}

static void test_rule_props_shared_between_threads(void **state)
{
    (void)state;
    enum { N_RULES = 64, N_THREADS = 4 };
    struct rng r = {31337};
    struct rtrack tracks[N_TRACKS];
    struct rule *rules[N_RULES];
    static bool want[N_RULES * N_TRACKS];
    make_tracks(&r, tracks, N_TRACKS);
    for (size_t i = 0; i < N_RULES; i++) {
        json_t *j = gen_rule(&r, 0, true);
        rules[i] = compile(j);
        json_decref(j);
        for (size_t k = 0; k < N_TRACKS; k++)
            want[i * N_TRACKS + k] = rule_eval(rules[i], &tracks[k].t, TODAY);
    }
    pthread_t th[N_THREADS];
    struct shared_eval x[N_THREADS];
    for (int i = 0; i < N_THREADS; i++) {
        x[i] = (struct shared_eval){rules, N_RULES, tracks, want, -1};
        assert_int_equal(pthread_create(&th[i], NULL, eval_thread, &x[i]), 0);
    }
    for (int i = 0; i < N_THREADS; i++) {
        pthread_join(th[i], NULL);
        assert_int_equal(x[i].mismatches, 0);
    }
    for (size_t i = 0; i < N_RULES; i++)
        rule_free(rules[i]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rule_props_match_reference_evaluator),
        cmocka_unit_test(test_rule_props_not_inverts),
        cmocka_unit_test(test_rule_props_de_morgan),
        cmocka_unit_test(test_rule_props_negative_operators_negate),
        cmocka_unit_test(test_rule_props_explain_agrees),
        cmocka_unit_test(test_rule_props_shared_between_threads),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
