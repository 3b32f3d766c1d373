/* rule_compile(): JSON filter -> compiled rule, collecting every problem with its
 * JSON Pointer. One recursive pass appends nodes in prefix order (see rule_internal.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/app_err.h"
#include "lib/arena.h"
#include "lib/buf.h"
#include "services/rules/rule.h"
#include "services/rules/rule_internal.h"

struct compile_ctx {
    unsigned env;       /* rule_env() */
    struct report *rep; /* borrowed; may be NULL */
    struct buf path; /* JSON Pointer of the node being parsed, prefix included */
    struct rule *r;
    size_t cap_nodes;
    size_t n_details;
    size_t n_regex;      /* `matches` compiled so far */
    size_t regex_insts;  /* their program sizes, added up */
    int rc;              /* 0, ERR_VALIDATION or ERR_NOMEM */
    bool too_many_nodes; /* stop descending once the node limit is hit */
};

static void set_nomem(struct compile_ctx *c)
{
    c->rc = ERR_NOMEM;
}

static void path_truncate(struct buf *b, size_t len)
{
    if (b->data) {
        b->len = len;
        b->data[len] = '\0';
    }
}

/* Records one problem at the current path + `suffix` (a pointer fragment or NULL). */
static void problem(struct compile_ctx *c, const char *suffix, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void problem(struct compile_ctx *c, const char *suffix, const char *fmt, ...)
{
    if (c->rc == ERR_NOMEM)
        return;
    c->rc = ERR_VALIDATION;
    if (!c->rep || c->n_details >= RULE_MAX_DETAILS)
        return;
    size_t mark = c->path.len;
    va_list ap;
    va_start(ap, fmt);
    if (buf_append_str(&c->path, suffix ? suffix : "") != 0 ||
        report_vadd(c->rep, c->path.data, fmt, ap) != 0)
        set_nomem(c);
    else
        c->n_details++;
    va_end(ap);
    path_truncate(&c->path, mark);
}

/* Appends a zeroed node; returns its index or (size_t)-1 when out of memory. */
static size_t node_append(struct compile_ctx *c)
{
    struct rule *r = c->r;
    if (r->n_nodes == c->cap_nodes) {
        size_t cap = c->cap_nodes ? c->cap_nodes * 2 : 16;
        struct rule_node *n = realloc(r->nodes, cap * sizeof *n);
        if (!n) {
            set_nomem(c);
            return (size_t)-1;
        }
        r->nodes = n;
        c->cap_nodes = cap;
    }
    memset(&r->nodes[r->n_nodes], 0, sizeof r->nodes[0]);
    return r->n_nodes++;
}

/* ---- values ---------------------------------------------------------------------- */

/* A copy of a JSON string in the rule's arena, folded when `fold`. */
static int copy_str(struct compile_ctx *c, const json_t *v, bool fold, struct rule_str *out)
{
    size_t len = json_string_length(v);
    char *s = arena_strndup(c->r->arena, json_string_value(v), len);
    if (!s) {
        set_nomem(c);
        return -1;
    }
    if (fold)
        rule_fold(s, len, s);
    out->s = s;
    out->len = len;
    return 0;
}

static size_t utf8_chars(const char *s, size_t len)
{
    size_t n = 0;
    for (size_t i = 0; i < len; i++)
        if (((unsigned char)s[i] & 0xC0) != 0x80)
            n++;
    return n;
}

/* Folds a pattern's characters in place, leaving the character after a backslash as it
 * is (\W must stay \W). */
static void fold_pattern(char *p, size_t len)
{
    size_t i = 0;
    while (i < len) {
        if (p[i] == '\\') {
            i += 2;
            continue;
        }
        size_t clen = 1;
        unsigned char ch = (unsigned char)p[i];
        if (ch >= 0xC2 && ch <= 0xDF && i + 1 < len && ((unsigned char)p[i + 1] & 0xC0) == 0x80)
            clen = 2;
        rule_fold(p + i, clen, p + i);
        i += clen;
    }
}

static void compile_regex(struct compile_ctx *c, struct rule_node *n, const json_t *v)
{
    const char *pat = json_string_value(v);
    size_t len = json_string_length(v), insts = 0;
    struct report why = {0};
    if (utf8_chars(pat, len) > RULE_MAX_REGEX) {
        problem(c, "/value", "regular expression longer than %d characters", RULE_MAX_REGEX);
        return;
    }
    if (memchr(pat, '\0', len)) {
        problem(c, "/value", "invalid regular expression: contains a NUL character");
        return;
    }
    if (c->n_regex >= RULE_MAX_MATCHES) {
        problem(c, "/value", "more than %d regular expressions (matches) in one rule",
                RULE_MAX_MATCHES);
        return;
    }
    char *p = arena_strndup(c->r->arena, pat, len);
    if (!p) {
        set_nomem(c);
        return;
    }
    if (n->fold)
        fold_pattern(p, len);
    int rc = rule_regex_compile(p, len, n->fold, &n->v.re, &insts, &why);
    if (rc == ERR_NOMEM) {
        set_nomem(c);
    } else if (rc != 0) {
        problem(c, "/value", "invalid regular expression: %s", report_text(&why));
    } else {
        c->n_regex++;
        c->regex_insts += insts;
    }
    if (rc == 0 && c->regex_insts > RULE_MAX_REGEX_PROGRAM) {
        /* n->v.re stays set: rule_free() frees it with the rule */
        problem(c, "/value",
                "regular expression too large: it compiles to %zu instructions, and the "
                "regular expressions of one rule may compile to at most %d in all",
                insts, RULE_MAX_REGEX_PROGRAM);
    }
    report_release(&why);
}

static void compile_str_list(struct compile_ctx *c, struct rule_node *n, const json_t *v)
{
    if (!json_is_array(v)) {
        problem(c, "/value", "expected an array of strings");
        return;
    }
    size_t cnt = json_array_size(v);
    if (cnt > RULE_MAX_IN) {
        problem(c, "/value", "more than %d values", RULE_MAX_IN);
        return;
    }
    struct rule_str *items = arena_alloc(c->r->arena, (cnt ? cnt : 1) * sizeof *items);
    if (!items) {
        set_nomem(c);
        return;
    }
    bool ok = true;
    for (size_t i = 0; i < cnt; i++) {
        const json_t *e = json_array_get(v, i);
        if (!json_is_string(e)) {
            char sfx[32];
            snprintf(sfx, sizeof sfx, "/value/%zu", i);
            problem(c, sfx, "expected a string");
            ok = false;
            continue;
        }
        if (ok && copy_str(c, e, n->fold, &items[i]) != 0)
            return;
    }
    if (!ok)
        return;
    qsort(items, cnt, sizeof *items, rule_str_cmp);
    n->v.strs.v = items;
    n->v.strs.n = cnt;
}

static void compile_num_list(struct compile_ctx *c, struct rule_node *n, const json_t *v)
{
    if (!json_is_array(v)) {
        problem(c, "/value", "expected an array of numbers");
        return;
    }
    size_t cnt = json_array_size(v);
    if (cnt > RULE_MAX_IN) {
        problem(c, "/value", "more than %d values", RULE_MAX_IN);
        return;
    }
    double *items = arena_alloc(c->r->arena, (cnt ? cnt : 1) * sizeof *items);
    if (!items) {
        set_nomem(c);
        return;
    }
    bool ok = true;
    for (size_t i = 0; i < cnt; i++) {
        const json_t *e = json_array_get(v, i);
        if (!json_is_number(e)) {
            char sfx[32];
            snprintf(sfx, sizeof sfx, "/value/%zu", i);
            problem(c, sfx, "expected a number");
            ok = false;
            continue;
        }
        items[i] = json_number_value(e);
    }
    if (!ok)
        return;
    qsort(items, cnt, sizeof *items, rule_num_cmp);
    n->v.nums.v = items;
    n->v.nums.n = cnt;
}

/* A rule date: "YYYY-MM-DD" naming a real day. */
static bool parse_date(struct compile_ctx *c, const json_t *v, const char *sfx, int64_t *out)
{
    if (!json_is_string(v)) {
        problem(c, sfx, "expected a date YYYY-MM-DD");
        return false;
    }
    const char *s = json_string_value(v);
    bool shape = json_string_length(v) == 10 && s[4] == '-' && s[7] == '-';
    for (int i = 0; shape && i < 10; i++)
        if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9'))
            shape = false;
    int32_t day;
    if (!shape) {
        problem(c, sfx, "expected a date YYYY-MM-DD");
        return false;
    }
    if (track_parse_day(s, &day) != 0) {
        problem(c, sfx, "'%s' is not a real calendar day", s);
        return false;
    }
    *out = day;
    return true;
}

/* A `between` value: [lo, hi] with lo <= hi. */
static void compile_between(struct compile_ctx *c, struct rule_node *n, const json_t *v,
                            enum rule_type type)
{
    if (!json_is_array(v) || json_array_size(v) != 2) {
        problem(c, "/value",
                type == RULE_TYPE_DATE ? "expected [from, to]: an array of two dates YYYY-MM-DD"
                                       : "expected [lo, hi]: an array of two numbers");
        return;
    }
    const json_t *lo = json_array_get(v, 0), *hi = json_array_get(v, 1);
    if (type == RULE_TYPE_DATE) {
        bool a = parse_date(c, lo, "/value/0", &n->v.day.lo);
        bool b = parse_date(c, hi, "/value/1", &n->v.day.hi);
        if (a && b && n->v.day.lo > n->v.day.hi)
            problem(c, "/value", "the first date is after the second");
        return;
    }
    bool ok = true;
    if (!json_is_number(lo)) {
        problem(c, "/value/0", "expected a number");
        ok = false;
    }
    if (!json_is_number(hi)) {
        problem(c, "/value/1", "expected a number");
        ok = false;
    }
    if (!ok)
        return;
    n->v.num.lo = json_number_value(lo);
    n->v.num.hi = json_number_value(hi);
    if (n->v.num.lo > n->v.num.hi)
        problem(c, "/value", "the lower bound is greater than the upper bound");
}

static void compile_value(struct compile_ctx *c, size_t idx, const json_t *v,
                          const struct rule_field *f, int op)
{
    struct rule_node *n = &c->r->nodes[idx];
    if (op == RULE_OP_EXISTS || op == RULE_OP_MISSING)
        return; /* a value, if any, is ignored (API.md) */
    if (!v) {
        problem(c, "/value", "missing member 'value'");
        return;
    }
    switch (f->type) {
    case RULE_TYPE_STRING:
    case RULE_TYPE_STRINGS:
        if (op == RULE_OP_IN) {
            compile_str_list(c, n, v);
        } else if (!json_is_string(v)) {
            problem(c, "/value", "expected a string");
        } else if (op == RULE_OP_MATCHES) {
            compile_regex(c, n, v);
        } else {
            copy_str(c, v, n->fold, &n->v.str);
        }
        break;
    case RULE_TYPE_NUMBER:
        if (op == RULE_OP_IN)
            compile_num_list(c, n, v);
        else if (op == RULE_OP_BETWEEN)
            compile_between(c, n, v, f->type);
        else if (!json_is_number(v))
            problem(c, "/value", "expected a number");
        else
            n->v.num.lo = json_number_value(v);
        break;
    case RULE_TYPE_DATE:
        if (op == RULE_OP_BETWEEN) {
            compile_between(c, n, v, f->type);
        } else if (op == RULE_OP_IN_THE_LAST) {
            if (!json_is_integer(v) || json_integer_value(v) < 0)
                problem(c, "/value", "expected a non-negative integer (days)");
            else /* no day is 10^12 days away: clamping keeps today - N from overflowing */
                n->v.day.lo = json_integer_value(v) > RULE_MAX_LAST_DAYS
                                  ? RULE_MAX_LAST_DAYS
                                  : (int64_t)json_integer_value(v);
        } else {
            parse_date(c, v, "/value", &n->v.day.lo);
        }
        break;
    case RULE_TYPE_BOOL:
        if (!json_is_boolean(v))
            problem(c, "/value", "expected true or false");
        else
            n->v.b = json_is_true(v);
        break;
    }
}

/* ---- nodes ----------------------------------------------------------------------- */

static void parse_node(struct compile_ctx *c, const json_t *j, int depth);

static void parse_list(struct compile_ctx *c, size_t idx, const char *key, const json_t *arr,
                       int depth)
{
    size_t mark = c->path.len;
    if (report_pointer_append(&c->path, key) != 0) {
        set_nomem(c);
        return;
    }
    if (!json_is_array(arr)) {
        problem(c, NULL, "expected an array of rules");
    } else {
        size_t len = c->path.len;
        for (size_t i = 0; i < json_array_size(arr) && c->rc != ERR_NOMEM; i++) {
            if (buf_appendf(&c->path, "/%zu", i) != 0) {
                set_nomem(c);
                break;
            }
            parse_node(c, json_array_get(arr, i), depth + 1);
            path_truncate(&c->path, len);
        }
        c->r->nodes[idx].nkids = (uint32_t)json_array_size(arr);
    }
    path_truncate(&c->path, mark);
}

static void parse_comparison(struct compile_ctx *c, size_t idx, const json_t *j)
{
    const char *key;
    json_t *val;
    json_object_foreach((json_t *)j, key, val)
    {
        if (strcmp(key, "field") != 0 && strcmp(key, "op") != 0 && strcmp(key, "value") != 0) {
            size_t mark = c->path.len;
            if (report_pointer_append(&c->path, key) != 0) {
                set_nomem(c);
                return;
            }
            problem(c, NULL, "unknown member '%s'", key);
            path_truncate(&c->path, mark);
        }
    }

    const struct rule_field *f = NULL;
    const json_t *jf = json_object_get(j, "field");
    if (!jf) {
        problem(c, "/field", "missing member 'field'");
    } else if (!json_is_string(jf)) {
        problem(c, "/field", "expected a string");
    } else if (!(f = rule_field_find(json_string_value(jf)))) {
        char near[RULE_SUGGEST_MAX];
        problem(c, "/field", "unknown field '%s'%s", json_string_value(jf),
                rule_suggest_text(rule_field_suggest(json_string_value(jf)), near));
    } else {
        struct report why = {0};
        int rc = rule_field_check_mode(f, c->env, &why);
        if (rc == ERR_NOMEM)
            set_nomem(c);
        else if (rc != 0)
            problem(c, "/field", "%s", report_text(&why));
        report_release(&why);
    }

    int op = -1;
    const json_t *jo = json_object_get(j, "op");
    if (!jo) {
        problem(c, "/op", "missing member 'op'");
    } else if (!json_is_string(jo)) {
        problem(c, "/op", "expected a string");
    } else if ((op = rule_op_find(json_string_value(jo))) < 0) {
        char near[RULE_SUGGEST_MAX];
        problem(c, "/op", "unknown operator '%s'%s", json_string_value(jo),
                rule_suggest_text(rule_op_suggest(json_string_value(jo)), near));
    }
    if (!f || op < 0)
        return;
    if (!rule_op_valid_for(op, f->type)) {
        problem(c, "/op", "operator '%s' is not valid for %s field '%s' (use one of: %s)",
                rule_op_name(op), rule_type_name(f->type), f->name, rule_type_ops(f->type));
        return;
    }

    struct rule_node *n = &c->r->nodes[idx];
    n->field = (uint8_t)f->id;
    n->fold = f->fold;
    n->type = (uint8_t)f->type;
    n->op = (uint8_t)op;
    switch (op) {
    case RULE_OP_NEQ:
        n->op = RULE_OP_EQ;
        n->neg = 1;
        break;
    case RULE_OP_NOT_CONTAINS:
        n->op = RULE_OP_CONTAINS;
        n->neg = 1;
        break;
    case RULE_OP_NOT_IN:
        n->op = RULE_OP_IN;
        n->neg = 1;
        break;
    default:
        break;
    }
    c->r->needs |= rule_field_needs(f, c->env);
    compile_value(c, idx, json_object_get(j, "value"), f, n->op);
}

static void parse_node(struct compile_ctx *c, const json_t *j, int depth)
{
    if (c->rc == ERR_NOMEM || c->too_many_nodes)
        return;
    if (!json_is_object(j)) {
        problem(c, NULL, "expected a rule object");
        return;
    }
    if (depth > RULE_MAX_DEPTH) {
        problem(c, NULL, "rule nested deeper than %d levels", RULE_MAX_DEPTH);
        return;
    }
    if (c->r->n_nodes >= RULE_MAX_NODES) {
        problem(c, NULL, "rule has more than %d nodes", RULE_MAX_NODES);
        c->too_many_nodes = true;
        return;
    }
    size_t idx = node_append(c);
    if (idx == (size_t)-1)
        return;

    const json_t *all = json_object_get(j, "all"), *any = json_object_get(j, "any"),
                 *neg = json_object_get(j, "not");
    bool cmp =
        json_object_get(j, "field") || json_object_get(j, "op") || json_object_get(j, "value");
    if ((all || any || neg) ? json_object_size(j) != 1 : !cmp) {
        problem(c, NULL,
                "expected exactly one of {\"all\": [...]}, {\"any\": [...]}, {\"not\": {...}} "
                "or {\"field\", \"op\", \"value\"}");
    } else if (all) {
        c->r->nodes[idx].kind = RN_ALL;
        parse_list(c, idx, "all", all, depth);
    } else if (any) {
        c->r->nodes[idx].kind = RN_ANY;
        parse_list(c, idx, "any", any, depth);
    } else if (neg) {
        c->r->nodes[idx].kind = RN_NOT;
        c->r->nodes[idx].nkids = 1;
        size_t mark = c->path.len;
        if (buf_append_str(&c->path, "/not") != 0) {
            set_nomem(c);
            return;
        }
        parse_node(c, neg, depth + 1);
        path_truncate(&c->path, mark);
    } else {
        c->r->nodes[idx].kind = RN_CMP;
        parse_comparison(c, idx, j);
    }
    if (c->rc != ERR_NOMEM)
        c->r->nodes[idx].size = (uint32_t)(c->r->n_nodes - idx);
}

int rule_compile(const json_t *filter, unsigned env, const char *path_prefix, struct rule **out,
                 struct report *rep)
{
    struct compile_ctx c = {.env = env, .rep = rep, .path = BUF_INIT};
    *out = NULL;
    c.r = calloc(1, sizeof *c.r);
    if (!c.r || !(c.r->arena = arena_new()) ||
        buf_append_str(&c.path, path_prefix ? path_prefix : "") != 0) {
        c.rc = ERR_NOMEM;
        goto done;
    }
    if (!filter)
        problem(&c, NULL, "missing rule");
    else
        parse_node(&c, filter, 1);
done:
    buf_release(&c.path);
    if (c.rc != 0) {
        rule_free(c.r);
        return c.rc;
    }
    *out = c.r;
    return 0;
}

void rule_free(struct rule *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->n_nodes; i++) {
        const struct rule_node *n = &r->nodes[i];
        if (n->kind == RN_CMP && n->op == RULE_OP_MATCHES)
            rule_regex_free(n->v.re);
    }
    free(r->nodes);
    arena_free(r->arena);
    free(r);
}

unsigned rule_needs(const struct rule *r)
{
    return r ? r->needs : 0;
}
