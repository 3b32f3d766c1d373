/* The part of Lucene query syntax a batched lookup uses: terms of one field
 * joined by OR (or "||", or white space, which edismax also reads as OR),
 * parenthesised groups, field:(a OR b) groups and "quoted" values, e.g.
 *
 *   isrc:GBAAA9100001 OR isrc:"USABC2300042" OR (isrc:SEXYZ8800001 || isrc:(A B))
 *
 * Anything else (AND, NOT, +/-, other fields, bare words, wildcards, fuzzy or
 * boost suffixes, ranges) is refused: the real search server would read it
 * differently and the emulator does not pretend to. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mb.h"

struct lx {
    const char *s;
    size_t i;
    const char *field;
    size_t flen;
    char **vals;
    size_t n, cap;
    char *err;
    size_t errsz;
    enum lucene_status st;
};

static bool is_ws(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static void skip_ws(struct lx *x)
{
    while (is_ws(x->s[x->i]))
        x->i++;
}

static int fail(struct lx *x, enum lucene_status st, const char *what)
{
    if (x->st == LUCENE_OK) {
        x->st = st;
        snprintf(x->err, x->errsz, "%s (at offset %zu)", what, x->i);
    }
    return -1;
}

static int push(struct lx *x, const char *v, size_t len)
{
    if (x->n == LUCENE_MAX_CLAUSES)
        return fail(x, LUCENE_TOO_MANY, "more than 1024 clauses");
    if (x->n == x->cap) {
        size_t ncap = x->cap ? x->cap * 2 : 16;
        char **nv = realloc(x->vals, ncap * sizeof *nv);
        if (!nv)
            return fail(x, LUCENE_OOM, "out of memory");
        x->vals = nv;
        x->cap = ncap;
    }
    char *copy = malloc(len + 1);
    if (!copy)
        return fail(x, LUCENE_OOM, "out of memory");
    size_t o = 0;
    for (size_t k = 0; k < len; k++) {
        if (v[k] == '\\' && k + 1 < len)
            k++; /* \x is x */
        copy[o++] = v[k];
    }
    copy[o] = '\0';
    x->vals[x->n++] = copy;
    return 0;
}

/* A "quoted" or bare value. */
static int value(struct lx *x)
{
    const char *s = x->s;
    if (s[x->i] == '"') {
        size_t start = ++x->i;
        while (s[x->i] && s[x->i] != '"')
            x->i += s[x->i] == '\\' && s[x->i + 1] ? 2 : 1;
        if (!s[x->i])
            return fail(x, LUCENE_UNSUPPORTED, "unterminated quote");
        size_t end = x->i++;
        return push(x, s + start, end - start);
    }
    size_t start = x->i;
    while (s[x->i] && !is_ws(s[x->i]) && s[x->i] != '(' && s[x->i] != ')') {
        if (strchr(":*?~^[]{}\"", s[x->i]))
            return fail(x, LUCENE_UNSUPPORTED,
                        "wildcards, fuzzy, boosts, ranges and nested fields are not emulated");
        x->i += s[x->i] == '\\' && s[x->i + 1] ? 2 : 1;
    }
    if (x->i == start)
        return fail(x, LUCENE_UNSUPPORTED, "a value is missing");
    return push(x, s + start, x->i - start);
}

/* 1 when an operator other than OR starts here. */
static bool other_operator(const char *p)
{
    static const char *const OPS[] = {"AND", "NOT", "&&"};
    if (*p == '+' || *p == '-' || *p == '!')
        return true;
    for (size_t k = 0; k < sizeof OPS / sizeof *OPS; k++) {
        size_t l = strlen(OPS[k]);
        if (strncmp(p, OPS[k], l) == 0 && (is_ws(p[l]) || p[l] == '(' || p[l] == '\0'))
            return true;
    }
    return false;
}

/* 1 (and consumed) when an OR operator starts here. */
static bool or_operator(struct lx *x)
{
    const char *p = x->s + x->i;
    if (strncmp(p, "||", 2) == 0) {
        x->i += 2;
        return true;
    }
    if (strncmp(p, "OR", 2) == 0 && (is_ws(p[2]) || p[2] == '(' || p[2] == '"')) {
        x->i += 2;
        return true;
    }
    return false;
}

/* A sequence of clauses up to ')' (depth > 0) or the end. In a field group
 * (field:( … )) the clauses are bare values. */
static int group(struct lx *x, int depth, bool values_only)
{
    bool want_clause = true, any = false;
    for (;;) {
        skip_ws(x);
        char c = x->s[x->i];
        if (c == '\0' || c == ')') {
            if ((c == ')') != (depth > 0))
                return fail(x, LUCENE_UNSUPPORTED, "unbalanced parentheses");
            if (any && want_clause)
                return fail(x, LUCENE_UNSUPPORTED, "OR without a clause after it");
            if (c == ')')
                x->i++;
            return any || depth == 0 ? 0 : fail(x, LUCENE_UNSUPPORTED, "empty parentheses");
        }
        if (or_operator(x)) {
            if (want_clause)
                return fail(x, LUCENE_UNSUPPORTED, "OR without a clause before it");
            want_clause = true;
            continue;
        }
        if (other_operator(x->s + x->i))
            return fail(x, LUCENE_UNSUPPORTED, "only OR is emulated (no AND, NOT, +, -)");
        if (c == '(') {
            x->i++;
            if (group(x, depth + 1, values_only) != 0)
                return -1;
        } else if (values_only) {
            if (value(x) != 0)
                return -1;
        } else {
            if (strncmp(x->s + x->i, x->field, x->flen) != 0 || x->s[x->i + x->flen] != ':') {
                char what[96];
                snprintf(what, sizeof what, "only %.*s: terms are emulated on this resource",
                         (int)x->flen, x->field);
                return fail(x, LUCENE_UNSUPPORTED, what);
            }
            x->i += x->flen + 1;
            if (x->s[x->i] == '(') {
                x->i++;
                if (group(x, depth + 1, true) != 0)
                    return -1;
            } else if (value(x) != 0) {
                return -1;
            }
        }
        any = true;
        want_clause = false;
    }
}

enum lucene_status lucene_terms(const char *query, const char *field, char ***values, size_t *n,
                                char *err, size_t errsz)
{
    struct lx x = {.s = query, .field = field, .flen = strlen(field), .err = err, .errsz = errsz};
    err[0] = '\0';
    if (group(&x, 0, false) == 0 && x.n == 0)
        fail(&x, LUCENE_UNSUPPORTED, "blank query");
    if (x.st != LUCENE_OK) {
        lucene_free(x.vals, x.n);
        *values = NULL;
        *n = 0;
        return x.st;
    }
    *values = x.vals;
    *n = x.n;
    return LUCENE_OK;
}

void lucene_free(char **values, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(values[i]);
    free(values);
}
