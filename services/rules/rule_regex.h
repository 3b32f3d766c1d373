#ifndef PLAYROUTER_RULE_REGEX_H
#define PLAYROUTER_RULE_REGEX_H
/* The engine behind the rule operator `matches`: POSIX extended regular expressions
 * (API.md), compiled and evaluated in bounded time and memory whatever the pattern.
 * Private to services/rules (rule_compile.c, rule_eval.c). docs/rules.md says the same
 * for users.
 *
 * Why RE2 and not glibc's regcomp()/regexec(): glibc expands bounded repetitions at
 * compile time (((a{1,100}){1,100}){1,100} took 6 s and 1.2 GB), backtracks on
 * back-references (exponential: one preview took 37 s), retries an unanchored search
 * from every start position (quadratic in the text), and caches DFA states in the
 * regex_t without bound (73 MB after 3,000 texts for (a|b)*a(a|b){20}). RE2 compiles
 * to an automaton whose size it checks against a memory budget, matches in time linear
 * in the text (a DFA with a bounded cache, falling back to a linear NFA), and refuses
 * repetition counts above 1000 (nested counts multiplied). Debian ships RE2
 * (libre2-dev) but no C binding, so rule_regex_re2.cc is a thin C++ shim of four
 * functions: the only C++ in the tree, it catches every exception at the boundary.
 *
 * The pattern is POSIX ERE as glibc read it; what the two engines would read
 * differently is translated or refused here (rule_regex.c), never silently changed:
 *   refused: back-references \1..\9; GNU anchors \< \> \` \'; escapes of letters and
 *            digits other than \w \W \s \S \b \B (\d is not a digit in POSIX);
 *            equivalence classes [=a=] and collating symbols [.a.]; a '{' that does not
 *            start a valid interval; counts above 1000.
 *   translated: {,n} -> {0,n}; a backslash inside brackets is a literal backslash;
 *            \_ \é and other escaped non-punctuation -> the character itself.
 * Text and pattern are UTF-8: `.` and `é+` see characters, not bytes. Matching is an
 * unanchored search (`^`/`$` anchor to the whole text, `.` matches a newline).
 *
 * Bounds: each expression's automaton and match cache fit in RULE_REGEX_MAX_MEM bytes;
 * a rule's expressions compile to at most RULE_MAX_REGEX_PROGRAM instructions in all,
 * so one rule evaluation costs at most about text length x that many steps. */
#include <stdbool.h>
#include <stddef.h>

#include "lib/report.h"

#define RULE_REGEX_MAX_MEM (256 * 1024) /* bytes per expression: automaton + DFA cache */
#define RULE_REGEX_MAX_REPEAT 1000      /* largest repetition count (RE2's) */

struct rule_regex;

/* Compiles `pattern` (len bytes, no NUL inside; already folded by the caller when
 * icase). Returns 0 and sets *out (free with rule_regex_free()) and *insts (the size
 * of its program); ERR_VALIDATION with the reason as why's message (a sentence
 * without the "invalid regular expression" prefix, e.g. "back-reference '\5' is not
 * supported ..."); or ERR_NOMEM. */
int rule_regex_compile(const char *pattern, size_t len, bool icase, struct rule_regex **out,
                       size_t *insts, struct report *why);

/* Whether the expression matches anywhere in text[0..len). False also when the engine
 * could not get memory (never an abort). Thread-safe: one compiled expression serves
 * many threads. */
bool rule_regex_match(const struct rule_regex *re, const char *text, size_t len);

/* NULL is accepted. */
void rule_regex_free(struct rule_regex *re);

/* ---- The RE2 shim (rule_regex_re2.cc); for rule_regex.c only ------------------------ */
#ifdef __cplusplus
extern "C" {
#endif

enum rule_re2_status {
    RULE_RE2_OK,
    RULE_RE2_NOMEM,
    RULE_RE2_REPEAT_SIZE, /* a count above 1000, nested counts multiplied */
    RULE_RE2_TOO_LARGE,   /* the program does not fit max_mem */
    RULE_RE2_INVALID,     /* any other syntax error; err says which */
};

/* Compiles an RE2 pattern in POSIX syntax (with \w \s \b and their negations),
 * UTF-8, `.` matching newline, ^ $ anchoring the text, no captures. On failure err
 * (errlen bytes, NUL-terminated) gets RE2's message (for RULE_RE2_REPEAT_SIZE only the
 * operator, e.g. "{1,100}"). */
int rule_re2_new(const char *pattern, size_t len, bool icase, long max_mem, struct rule_regex **out,
                 size_t *insts, char *err, size_t errlen);
/* 1 match, 0 no match, -1 out of memory. */
int rule_re2_match(const struct rule_regex *re, const char *text, size_t len);
void rule_re2_free(struct rule_regex *re);

#ifdef __cplusplus
}
#endif

#endif
