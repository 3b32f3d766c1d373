/* `matches` under hostile patterns (issue #12): every compile and evaluation is bounded
 * in time and memory, a refused pattern is one validation error at the value's path
 * saying what was refused, and POSIX ERE keeps its meaning where RE2 would read it
 * otherwise (services/rules/rule_regex.h, docs/rules.md). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "lib/app_err.h"
#include "lib/buf.h"
#include "services/rules/rule.h"
#include "services/rules/rule_regex.h"

#if defined(__SANITIZE_ADDRESS__)
#define UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define UNDER_ASAN 1
#endif
#endif
#ifndef UNDER_ASAN
#define UNDER_ASAN 0
#endif

static double cpu_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static long rss_kib(void)
{
    long pages = 0, resident = 0;
    FILE *f = fopen("/proc/self/statm", "r");
    if (!f)
        return 0;
    if (fscanf(f, "%ld %ld", &pages, &resident) != 2)
        resident = 0;
    fclose(f);
    return resident * 4;
}

/* Compiles {"field": field, "op": "matches", "value": pattern}; on ERR_VALIDATION the
 * one detail's message goes to msg (if given) after checking its path is /value. */
static int compile_matches(const char *field, const char *pattern, struct rule **out, char *msg,
                           size_t msglen)
{
    json_t *j = json_pack("{s:s, s:s, s:s}", "field", field, "op", "matches", "value", pattern);
    struct report rep = {0};
    int rc = rule_compile(j, SPOTIFY_MODE_EXTENDED, "/filter", out, &rep);
    if (rc == ERR_VALIDATION) {
        assert_int_equal(json_array_size(rep.details), 1);
        json_t *d = json_array_get(rep.details, 0);
        assert_string_equal(json_string_value(json_object_get(d, "path")), "/filter/value");
        if (msg)
            snprintf(msg, msglen, "%s", json_string_value(json_object_get(d, "message")));
    }
    report_release(&rep);
    json_decref(j);
    return rc;
}

static void assert_refused(const char *pattern, const char *want_msg)
{
    struct rule *r = NULL;
    char msg[512] = "";
    assert_int_equal(compile_matches("track_name", pattern, &r, msg, sizeof msg), ERR_VALIDATION);
    assert_null(r);
    if (strstr(msg, want_msg) == NULL)
        fail_msg("pattern '%s': message '%s' lacks '%s'", pattern, msg, want_msg);
}

static bool name_matches(const char *pattern, const char *name)
{
    struct rule *r = NULL;
    assert_int_equal(compile_matches("track_name", pattern, &r, NULL, 0), 0);
    struct track t = {0};
    t.id = "t1";
    t.name = name;
    bool hit = rule_eval(r, &t, 20000);
    rule_free(r);
    return hit;
}

/* The bomb of the issue: glibc took ~6 s and 1.2 GB to compile it. */
static void test_rule_regex_nested_repetition_refused_at_once(void **state)
{
    (void)state;
    double t0 = cpu_seconds();
    assert_refused("((a{1,100}){1,100}){1,100}",
                   "invalid regular expression: repetition too large ({1,100}): counts, "
                   "multiplied through nested repetitions, may reach at most 1000");
    assert_refused("a{1001}", "invalid regular expression: repetition count above 1000");
    assert_refused("(a{40}){30}", "repetition too large");
    assert_true(cpu_seconds() - t0 < 1.0);
    /* what fits stays usable: 30 x 30 = 900 */
    char many[902];
    memset(many, 'a', 900);
    many[900] = '\0';
    assert_true(name_matches("^(a{30}){30}$", many));
    many[900] = 'a', many[901] = '\0';
    assert_false(name_matches("^(a{30}){30}$", many));
}

/* The back-reference of the issue made one preview take 37 s under glibc. */
static void test_rule_regex_back_references_refused(void **state)
{
    (void)state;
    assert_refused("(.*)(.*)(.*)(.*)(.*)\\5\\4\\3\\2\\1$",
                   "invalid regular expression: back-reference '\\5' is not supported: matching "
                   "back-references can take time exponential in the text");
    assert_refused("(a)\\1", "back-reference '\\1'");
    /* inside brackets a backslash is itself, so [\1] is no back-reference */
    assert_true(name_matches("^[\\1]+$", "1\\1"));
}

static void test_rule_regex_refuses_what_would_change_meaning(void **state)
{
    (void)state;
    assert_refused("\\<word", "'\\<' (a GNU anchor) is not supported: use \\b, ^ or $");
    assert_refused("word\\>", "'\\>' (a GNU anchor)");
    assert_refused("\\d+", "unknown escape '\\d': POSIX ERE has only \\w \\W \\s \\S \\b \\B");
    assert_refused("[[=a=]]", "equivalence classes [=x=] and collating symbols [.x.]");
    assert_refused("[[.a.]]", "equivalence classes");
    assert_refused("a{x}", "'{' must start a repetition {m}, {m,}, {m,n} or {,n}");
    assert_refused("a{1,2", "'{' must start a repetition");
    assert_refused("a\\", "a trailing backslash escapes nothing");
    assert_refused("[abc", "'[' starts a bracket expression that is not closed by ']'");
    assert_refused("[[:alpha]", "'[:' starts a character class that is not closed by ':]'");
    assert_refused("(ab", "invalid regular expression: missing ): (ab");
    assert_refused("[[:nope:]]", "invalid regular expression: invalid character class range");
}

static void test_rule_regex_posix_meaning_kept(void **state)
{
    (void)state;
    /* {,n} is {0,n} */
    assert_true(name_matches("^a{,2}b$", "b"));
    assert_true(name_matches("^a{,2}b$", "aab"));
    assert_false(name_matches("^a{,2}b$", "aaab"));
    /* a backslash inside brackets is a backslash; a first ] is a ] */
    assert_true(name_matches("^[\\]$", "\\"));
    assert_true(name_matches("^[]x]+$", "]x]"));
    assert_true(name_matches("^[^]x]$", "y"));
    assert_false(name_matches("^[^]x]$", "]"));
    /* escaped non-punctuation is the character itself */
    assert_true(name_matches("^a\\_b$", "a_b"));
    /* GNU classes and word boundaries, POSIX classes */
    assert_true(name_matches("\\bgive\\b", "Never Gonna Give You Up"));
    assert_false(name_matches("\\bgiv\\b", "Never Gonna Give You Up"));
    assert_true(name_matches("^[[:alpha:] ]+$", "Never Gonna Give You Up"));
    assert_true(name_matches("\\W", "a b"));
    /* unanchored, ignoring case; ^ $ anchor the whole text and . matches a newline */
    assert_true(name_matches("GONNA", "never gonna"));
    assert_false(name_matches("^b", "a\nb"));
    assert_true(name_matches("^a.b$", "a\nb"));
    /* characters, not bytes */
    assert_true(name_matches("^é+$", "ééé"));
    assert_true(name_matches("^.$", "é"));
}

static void test_rule_regex_rule_budgets(void **state)
{
    (void)state;
    /* at most RULE_MAX_MATCHES patterns in one rule: the first one too many is named */
    json_t *kids = json_array();
    for (int i = 0; i <= RULE_MAX_MATCHES; i++)
        json_array_append_new(kids, json_pack("{s:s, s:s, s:s}", "field", "track_name", "op",
                                              "matches", "value", "x"));
    json_t *j = json_pack("{s:o}", "any", kids);
    struct report rep = {0};
    struct rule *r = NULL;
    assert_int_equal(rule_compile(j, SPOTIFY_MODE_EXTENDED, "", &r, &rep), ERR_VALIDATION);
    assert_int_equal(json_array_size(rep.details), 1);
    json_t *d = json_array_get(rep.details, 0);
    char path[64];
    snprintf(path, sizeof path, "/any/%d/value", RULE_MAX_MATCHES);
    assert_string_equal(json_string_value(json_object_get(d, "path")), path);
    assert_string_equal(json_string_value(json_object_get(d, "message")),
                        "more than 32 regular expressions (matches) in one rule");
    json_decref(j);
    report_release(&rep);

    /* the program budget: .{300} compiles to more than 2000 instructions in UTF-8 */
    char msg[512];
    assert_int_equal(compile_matches("track_name", ".{300}", &r, msg, sizeof msg), ERR_VALIDATION);
    assert_non_null(strstr(msg, "regular expression too large: it compiles to "));
    assert_non_null(strstr(msg, "at most 2000 in all"));
}

/* Worst cases RE2 still accepts, on long texts: time linear in the text, memory
 * bounded by the per-expression budget (glibc kept 73 MB of DFA states after 3,000
 * texts for the first pattern, and went quadratic for unanchored searches). */
static void test_rule_regex_evaluation_bounded(void **state)
{
    (void)state;
    const char *patterns[] = {"(a|b)*a(a|b){20}c", "(.*a){20}c", "(x+x+)+y", "(a|aa)*c",
                              "((a{0,9}){0,9}){0,9}c"};
    enum { TEXTS = 400, LEN = 1000 };
    char *text = malloc(LEN + 1);
    unsigned seed = 12345;
    assert_non_null(text);
    for (size_t p = 0; p < sizeof patterns / sizeof patterns[0]; p++) {
        struct rule *r = NULL;
        assert_int_equal(compile_matches("track_name", patterns[p], &r, NULL, 0), 0);
        long rss0 = rss_kib();
        double t0 = cpu_seconds();
        struct track t = {0};
        t.id = "t1";
        t.name = text;
        for (int i = 0; i < TEXTS; i++) {
            for (int k = 0; k < LEN; k++) {
                seed = seed * 1103515245u + 12345u;
                text[k] = "abx"[(seed >> 16) % 3];
            }
            text[LEN] = '\0';
            assert_false(rule_eval(r, &t, 20000)); /* no text holds a 'c' or a 'y' */
        }
        double secs = cpu_seconds() - t0;
        long grown = rss_kib() - rss0;
        print_message("%-24s %d x %d bytes: %.3f s CPU, RSS +%ld KiB\n", patterns[p], TEXTS, LEN,
                      secs, grown);
        /* 400 KB of text: even the linear NFA fallback takes well under a second */
        assert_true(secs < (UNDER_ASAN ? 20.0 : 4.0));
        if (!UNDER_ASAN) /* ASan's quarantine keeps freed cache pages resident */
            assert_true(grown < 8 * 1024);
        rule_free(r);
    }
    free(text);
}

/* The engine's own contract: rule_regex_compile with no rule around it. */
static void test_rule_regex_compile_reports_program_size(void **state)
{
    (void)state;
    struct rule_regex *re = NULL;
    struct report why = {0};
    size_t insts = 0;
    assert_int_equal(rule_regex_compile("abc", 3, false, &re, &insts, &why), 0);
    assert_true(insts > 3 && insts < 20);
    assert_true(rule_regex_match(re, "xxabcxx", 7));
    assert_false(rule_regex_match(re, "xxABCxx", 7)); /* case-sensitive as asked */
    assert_true(rule_regex_match(re, "abc\0tail", 3));
    rule_regex_free(re);
    rule_regex_free(NULL);
    assert_int_equal(rule_regex_compile("a\\1", 3, true, &re, &insts, &why), ERR_VALIDATION);
    assert_null(re);
    assert_non_null(strstr(report_text(&why), "back-reference"));
    report_release(&why);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rule_regex_nested_repetition_refused_at_once),
        cmocka_unit_test(test_rule_regex_back_references_refused),
        cmocka_unit_test(test_rule_regex_refuses_what_would_change_meaning),
        cmocka_unit_test(test_rule_regex_posix_meaning_kept),
        cmocka_unit_test(test_rule_regex_rule_budgets),
        cmocka_unit_test(test_rule_regex_evaluation_bounded),
        cmocka_unit_test(test_rule_regex_compile_reports_program_size),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
