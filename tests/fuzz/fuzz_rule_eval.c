/* libFuzzer target: the rule evaluator on random tracks (services/rules/rule_eval.c).
 * Rules: one comparison for every field and every operator its type has (several
 * patterns for `matches`), compiled once. Input: which rule, then a track drawn from
 * the bytes (fuzz_track.h: missing fields, invalid UTF-8, extreme numbers and dates).
 * Oracles: rule_explain agrees with rule_eval; `not R` is the negation of R;
 * {"all": [R, {"not": R}]} never holds and {"any": [R, {"not": R}]} always does. */
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "lib/app_err.h"
#include "lib/buf.h"
#include "services/rules/rule.h"
#include "tests/fuzz/fuzz_track.h"

#define MAX_RULES 640

struct quad {
    struct rule *r, *neg, *contra, *taut;
};

static struct quad rules[MAX_RULES];
static size_t n_rules;

static const char *const OPS[] = {
    "eq",     "neq",    "contains",    "not_contains", "starts_with", "ends_with", "matches",
    "in",     "not_in", "gt",          "gte",          "lt",          "lte",       "between",
    "before", "after",  "in_the_last", "exists",       "missing"};
static const char *const PATTERNS[] = {
    "^a.*b$", "(x|y)+z", "\\bfoo\\b",         "[[:digit:]]{2,3}", "é+",     "^$",
    ".",      "[^a-z]",  "(ab|a)(c|bcd)(d*)", "\\W\\w",           "^.{3}$", "a{,2}b"};

static json_t *value_for(enum rule_type type, const char *op, size_t variant)
{
    bool list = strcmp(op, "in") == 0 || strcmp(op, "not_in") == 0;
    bool between = strcmp(op, "between") == 0;
    switch (type) {
    case RULE_TYPE_STRING:
    case RULE_TYPE_STRINGS:
        if (list)
            return json_pack("[s, s, s]", "a", "Foo", "é");
        if (strcmp(op, "matches") == 0)
            return json_string(PATTERNS[variant % (sizeof PATTERNS / sizeof PATTERNS[0])]);
        return json_string(variant % 2 ? "Foo" : "a");
    case RULE_TYPE_NUMBER:
        return list      ? json_pack("[i, i, f]", 1, 50, 2.5)
               : between ? json_pack("[i, i]", 1, 100)
                         : json_integer(5);
    case RULE_TYPE_DATE:
        if (between)
            return json_pack("[s, s]", "1990-01-01", "2000-12-31");
        return strcmp(op, "in_the_last") == 0 ? json_integer(400) : json_string("2000-01-01");
    case RULE_TYPE_BOOL:
        return json_true();
    }
    return json_null();
}

static struct rule *compile(json_t *j)
{
    struct rule *r = NULL;
    /* Extended mode with MusicBrainz on: every field of the table compiles. */
    if (rule_compile(j, rule_env(SPOTIFY_MODE_EXTENDED, true), NULL, &r, NULL) != 0)
        r = NULL;
    json_decref(j);
    return r;
}

static void add_rule(json_t *cmp)
{
    struct quad q = {0};
    if (n_rules >= MAX_RULES || !(q.r = compile(json_incref(cmp)))) {
        json_decref(cmp);
        return;
    }
    q.neg = compile(json_pack("{s:O}", "not", cmp));
    q.contra = compile(json_pack("{s:[O, {s:O}]}", "all", cmp, "not", cmp));
    q.taut = compile(json_pack("{s:[O, {s:O}]}", "any", cmp, "not", cmp));
    json_decref(cmp);
    if (!q.neg || !q.contra || !q.taut)
        abort();
    rules[n_rules++] = q;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    for (int f = 0; f < RULE_FIELD_COUNT; f++) {
        const struct rule_field *fd = rule_field_by_id((enum rule_field_id)f);
        for (size_t o = 0; o < sizeof OPS / sizeof OPS[0]; o++) {
            size_t variants =
                strcmp(OPS[o], "matches") == 0 ? sizeof PATTERNS / sizeof PATTERNS[0] : 2;
            for (size_t v = 0; v < variants; v++) {
                json_t *cmp = json_pack("{s:s, s:s, s:o}", "field", fd->name, "op", OPS[o], "value",
                                        value_for(fd->type, OPS[o], v));
                add_rule(cmp); /* an operator the type lacks does not compile: skipped */
            }
        }
    }
    if (n_rules != 590 || n_rules >= MAX_RULES)
        abort(); /* the table above went wrong: README.md counts 590 */
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fuzz_input in = {data, size};
    const struct quad *q = &rules[fuzz_below(&in, n_rules)];
    int32_t today = (int32_t)(fuzz_u32(&in) % 80000u) - 10000; /* 1942 .. 2161 */
    struct fuzz_track ft;
    struct buf path = BUF_INIT;
    fuzz_track_draw(&in, &ft);

    bool hit = rule_eval(q->r, &ft.t, today);
    FUZZ_CHECK(rule_eval(q->neg, &ft.t, today) == !hit);
    FUZZ_CHECK(!rule_eval(q->contra, &ft.t, today));
    FUZZ_CHECK(rule_eval(q->taut, &ft.t, today));
    bool matched = !hit;
    const char *reason = NULL;
    if (rule_explain(q->r, &ft.t, today, &matched, &path, &reason) == 0) {
        FUZZ_CHECK(matched == hit);
        FUZZ_CHECK(path.len == 0); /* a lone comparison is the root */
        FUZZ_CHECK(strcmp(reason, "condition_true") == 0 ||
                   strcmp(reason, "condition_false") == 0 || strcmp(reason, "missing_value") == 0);
    }
    if (rule_explain(q->neg, &ft.t, today, &matched, &path, &reason) == 0) {
        FUZZ_CHECK(matched == !hit);
        FUZZ_CHECK(strcmp(path.data, "/not") == 0);
    }
    buf_release(&path);
    fuzz_track_release(&ft);
    return 0;
}
