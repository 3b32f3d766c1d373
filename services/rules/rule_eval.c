/* rule_eval() and rule_explain(): evaluation of a compiled rule on one track. Nothing
 * here writes to the rule, so one rule serves many threads. */
#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "lib/app_err.h"
#include "services/rules/rule.h"
#include "services/rules/rule_internal.h"

/* A folded copy of s[0..len), NUL-terminated: in `stack` when it fits, else on the heap
 * (*heap, which the caller frees). NULL only when that allocation fails. */
static const char *fold_copy(const char *s, size_t len, char stack[RULE_FOLD_STACK], char **heap)
{
    char *dst = stack;
    if (len >= RULE_FOLD_STACK) {
        dst = *heap = malloc(len + 1);
        if (!dst)
            return NULL;
    }
    rule_fold(s, len, dst);
    dst[len] = '\0';
    return dst;
}

/* Whether the folded form of s[0..len) equals `folded` (len bytes). */
static bool fold_equal(const char *s, size_t len, const char *folded)
{
    char stack[RULE_FOLD_STACK], *heap = NULL;
    const char *f = fold_copy(s, len, stack, &heap);
    bool eq = f && memcmp(f, folded, len) == 0;
    free(heap);
    return eq;
}

/* The positive string operators on one value (eq contains starts_with ends_with matches
 * in); the caller handles negation and missing values. */
static bool str_test(const struct rule_node *n, const char *v)
{
    size_t len = strlen(v);
    size_t nl = n->v.str.len;
    switch (n->op) {
    case RULE_OP_EQ:
        if (len != nl) /* folding keeps the byte length */
            return false;
        return n->fold ? fold_equal(v, len, n->v.str.s) : memcmp(v, n->v.str.s, len) == 0;
    case RULE_OP_STARTS_WITH:
        if (len < nl)
            return false;
        return n->fold ? fold_equal(v, nl, n->v.str.s) : memcmp(v, n->v.str.s, nl) == 0;
    case RULE_OP_ENDS_WITH:
        if (len < nl)
            return false;
        /* A suffix that starts inside a UTF-8 sequence cannot equal a valid needle. */
        return n->fold ? fold_equal(v + len - nl, nl, n->v.str.s)
                       : memcmp(v + len - nl, n->v.str.s, nl) == 0;
    default:
        break;
    }

    char stack[RULE_FOLD_STACK], *heap = NULL;
    const char *h = v;
    bool hit = false;
    if (n->fold && !(h = fold_copy(v, len, stack, &heap)))
        return false;
    switch (n->op) {
    case RULE_OP_CONTAINS:
        hit = memmem(h, len, n->v.str.s, nl) != NULL;
        break;
    case RULE_OP_MATCHES:
        hit = rule_regex_match(n->v.re, h, len);
        break;
    case RULE_OP_IN: {
        struct rule_str key = {h, len};
        hit = bsearch(&key, n->v.strs.v, n->v.strs.n, sizeof key, rule_str_cmp) != NULL;
        break;
    }
    default:
        assert(!"not a string operator");
        break;
    }
    free(heap);
    return hit;
}

/* One comparison. *missing is set when the track lacks the field and the operator is
 * not exists / missing (the "missing_value" reason of rule_explain). */
static bool eval_cmp(const struct rule_node *n, const struct track *t, int32_t today, bool *missing)
{
    bool present = false, hit = false;
    *missing = false;
    switch (n->type) {
    case RULE_TYPE_STRING:
    case RULE_TYPE_STRINGS: {
        const char *const *vals;
        size_t nv = rule_field_strings_inl(n->field, t, &vals);
        bool presence_only = n->op == RULE_OP_EXISTS || n->op == RULE_OP_MISSING;
        for (size_t i = 0; i < nv; i++) {
            if (!vals[i] || !vals[i][0]) /* NULL and "" are no value */
                continue;
            present = true;
            if (presence_only)
                break;
            if (str_test(n, vals[i])) {
                hit = true;
                break;
            }
        }
        break;
    }
    case RULE_TYPE_NUMBER: {
        double x;
        if (!(present = rule_field_number_inl(n->field, t, &x)))
            break;
        switch (n->op) {
        case RULE_OP_EQ:
            hit = x == n->v.num.lo;
            break;
        case RULE_OP_GT:
            hit = x > n->v.num.lo;
            break;
        case RULE_OP_GTE:
            hit = x >= n->v.num.lo;
            break;
        case RULE_OP_LT:
            hit = x < n->v.num.lo;
            break;
        case RULE_OP_LTE:
            hit = x <= n->v.num.lo;
            break;
        case RULE_OP_BETWEEN:
            hit = x >= n->v.num.lo && x <= n->v.num.hi;
            break;
        case RULE_OP_IN:
            hit = bsearch(&x, n->v.nums.v, n->v.nums.n, sizeof x, rule_num_cmp) != NULL;
            break;
        default:
            break;
        }
        break;
    }
    case RULE_TYPE_DATE: {
        int64_t first, last;
        if (!(present = rule_field_period_inl(n->field, t, &first, &last)))
            break;
        switch (n->op) {
        case RULE_OP_BEFORE:
            hit = last < n->v.day.lo;
            break;
        case RULE_OP_AFTER:
            hit = first > n->v.day.lo;
            break;
        case RULE_OP_BETWEEN:
            hit = first >= n->v.day.lo && last <= n->v.day.hi;
            break;
        case RULE_OP_IN_THE_LAST:
            hit = first >= (int64_t)today - n->v.day.lo && last <= today;
            break;
        default:
            break;
        }
        break;
    }
    case RULE_TYPE_BOOL: {
        bool x;
        if ((present = rule_field_bool_inl(n->field, t, &x)))
            hit = n->op == RULE_OP_EQ && x == n->v.b;
        break;
    }
    }
    if (n->op == RULE_OP_EXISTS)
        return present;
    if (n->op == RULE_OP_MISSING)
        return !present;
    if (!present) {
        *missing = true;
        return n->neg; /* neq / not_contains / not_in hold on a missing value */
    }
    return hit != (bool)n->neg;
}

static bool eval_node(const struct rule_node *n, const struct track *t, int32_t today)
{
    const struct rule_node *c = n + 1;
    bool missing;
    switch (n->kind) {
    case RN_ALL:
        for (uint32_t i = 0; i < n->nkids; i++, c += c->size)
            if (!eval_node(c, t, today))
                return false;
        return true;
    case RN_ANY:
        for (uint32_t i = 0; i < n->nkids; i++, c += c->size)
            if (eval_node(c, t, today))
                return true;
        return false;
    case RN_NOT:
        return !eval_node(c, t, today);
    default:
        return eval_cmp(n, t, today, &missing);
    }
}

bool rule_eval(const struct rule *r, const struct track *t, int32_t today)
{
    assert(r && r->n_nodes > 0);
    return eval_node(r->nodes, t, today);
}

static int explain_node(const struct rule_node *n, const struct track *t, int32_t today,
                        bool *matched, struct buf *path, const char **reason)
{
    const struct rule_node *c = n + 1;
    bool missing;
    switch (n->kind) {
    case RN_ALL:
    case RN_ANY: {
        bool is_all = n->kind == RN_ALL;
        if (n->nkids == 0) {
            *matched = is_all;
            *reason = is_all ? "empty_all" : "empty_any";
            return 0;
        }
        for (uint32_t i = 0; i < n->nkids; i++, c += c->size) {
            /* all: the first failing child decides; any: the first holding one */
            if (eval_node(c, t, today) != is_all) {
                if (buf_appendf(path, is_all ? "/all/%u" : "/any/%u", (unsigned)i) != 0)
                    return ERR_NOMEM;
                return explain_node(c, t, today, matched, path, reason);
            }
        }
        *matched = is_all;
        *reason = is_all ? "all_true" : "none_true";
        return 0;
    }
    case RN_NOT: {
        if (buf_append_str(path, "/not") != 0)
            return ERR_NOMEM;
        int rc = explain_node(c, t, today, matched, path, reason);
        *matched = !*matched;
        return rc;
    }
    default:
        *matched = eval_cmp(n, t, today, &missing);
        *reason = missing ? "missing_value" : *matched ? "condition_true" : "condition_false";
        return 0;
    }
}

int rule_explain(const struct rule *r, const struct track *t, int32_t today, bool *matched,
                 struct buf *path, const char **reason)
{
    assert(r && r->n_nodes > 0);
    buf_reset(path);
    if (buf_append(path, "", 0) != 0) /* "" for the root, never a NULL data pointer */
        return ERR_NOMEM;
    return explain_node(r->nodes, t, today, matched, path, reason);
}

int rule_field_at(const struct rule *r, const char *path)
{
    const struct rule_node *n = r && r->n_nodes ? r->nodes : NULL;
    const char *p = path ? path : "";

    if (!n)
        return -1;

    while (*p == '/') {
        const char *seg = p + 1;
        const char *end = strchr(seg, '/');
        size_t len = end ? (size_t)(end - seg) : strlen(seg);
        p = seg + len;
        if (n->kind == RN_NOT && len == 3 && memcmp(seg, "not", 3) == 0) {
            n++;
            continue;
        }
        if ((n->kind == RN_ALL && len == 3 && memcmp(seg, "all", 3) == 0) ||
            (n->kind == RN_ANY && len == 3 && memcmp(seg, "any", 3) == 0)) {
            char *stop;
            unsigned long k;
            if (*p != '/')
                return -1;
            k = strtoul(p + 1, &stop, 10);
            if (stop == p + 1 || (*stop && *stop != '/') || k >= n->nkids)
                return -1;
            p = stop;
            const struct rule_node *c = n + 1;
            for (unsigned long i = 0; i < k; i++)
                c += c->size;
            n = c;
            continue;
        }
        return -1;
    }
    return *p == '\0' && n->kind == RN_CMP ? (int)n->field : -1;
}
