/* Compiling a child's configuration: rule, sort, limit, catch_all, pins, bans
 * (contract in target.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/app_err.h"
#include "lib/buf.h"
#include "services/rules/target_internal.h"

/* ---- compiling a child ----------------------------------------------------------- */

struct child_ctx {
    struct report *rep; /* may be NULL */
    const char *prefix;
    int rc; /* 0, ERR_VALIDATION or ERR_NOMEM */
};

static void child_problem(struct child_ctx *x, const char *suffix, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void child_problem(struct child_ctx *x, const char *suffix, const char *fmt, ...)
{
    if (x->rc == ERR_NOMEM)
        return;
    x->rc = ERR_VALIDATION;
    if (!x->rep)
        return;
    struct buf path = BUF_INIT;
    va_list ap;
    va_start(ap, fmt);
    if (buf_append_str(&path, x->prefix) != 0 || buf_append_str(&path, suffix) != 0 ||
        report_vadd(x->rep, path.data, fmt, ap) != 0)
        x->rc = ERR_NOMEM;
    va_end(ap);
    buf_release(&path);
}

static void compile_ids(struct child_ctx *x, struct target_child *c, const json_t *v,
                        const char *name, const char ***out, size_t *n_out)
{
    char sfx[64];
    snprintf(sfx, sizeof sfx, "/%s", name);
    if (!v)
        return;
    if (!json_is_array(v)) {
        child_problem(x, sfx, "expected an array of track ids");
        return;
    }
    size_t n = json_array_size(v);
    if (n > TARGET_MAX_IDS) {
        child_problem(x, sfx, "more than %d track ids", TARGET_MAX_IDS);
        return;
    }
    const char **ids = arena_alloc(c->arena, (n ? n : 1) * sizeof *ids);
    if (!ids) {
        x->rc = ERR_NOMEM;
        return;
    }
    bool ok = true;
    for (size_t i = 0; i < n; i++) {
        const json_t *e = json_array_get(v, i);
        if (!json_is_string(e) || json_string_length(e) == 0 ||
            memchr(json_string_value(e), '\0', json_string_length(e))) {
            snprintf(sfx, sizeof sfx, "/%s/%zu", name, i);
            child_problem(x, sfx, "expected a track id (a non-empty string)");
            ok = false;
        } else if (ok && !(ids[i] = arena_strdup(c->arena, json_string_value(e)))) {
            x->rc = ERR_NOMEM;
            return;
        }
    }
    if (ok) {
        *out = ids;
        *n_out = n;
    }
}

static void compile_sort(struct child_ctx *x, struct target_child *c, const json_t *sort,
                         unsigned env)
{
    if (!sort || json_is_null(sort))
        return;
    if (!json_is_object(sort)) {
        child_problem(x, "/sort", "expected null or {\"by\": FIELD, \"order\": \"asc\"|\"desc\"}");
        return;
    }
    const char *key;
    json_t *val;
    json_object_foreach((json_t *)sort, key, val)
    {
        if (strcmp(key, "by") == 0 || strcmp(key, "order") == 0)
            continue;
        struct buf sfx = BUF_INIT;
        if (buf_append_str(&sfx, "/sort") != 0 || report_pointer_append(&sfx, key) != 0)
            x->rc = ERR_NOMEM;
        else
            child_problem(x, sfx.data, "unknown member '%s'", key);
        buf_release(&sfx);
    }
    const json_t *by = json_object_get(sort, "by");
    const struct rule_field *f = NULL;
    if (!by) {
        child_problem(x, "/sort/by", "missing member 'by'");
    } else if (!json_is_string(by)) {
        child_problem(x, "/sort/by", "expected a field name");
    } else if (!(f = rule_field_find(json_string_value(by)))) {
        char near[RULE_SUGGEST_MAX];
        child_problem(x, "/sort/by", "unknown field '%s'%s", json_string_value(by),
                      rule_suggest_text(rule_field_suggest(json_string_value(by)), near));
    } else {
        struct report why = {0};
        int rc = rule_field_check_mode(f, env, &why);
        if (rc == ERR_NOMEM)
            x->rc = ERR_NOMEM;
        else if (rc != 0)
            child_problem(x, "/sort/by", "%s", report_text(&why));
        report_release(&why);
        c->has_sort = true;
        c->sort_field = f->id;
        c->sort_needs = rule_field_needs(f, env);
    }
    const json_t *order = json_object_get(sort, "order");
    if (order) {
        const char *o = json_is_string(order) ? json_string_value(order) : "";
        if (strcmp(o, "asc") == 0 || strcmp(o, "desc") == 0)
            c->sort_desc = strcmp(o, "desc") == 0;
        else
            child_problem(x, "/sort/order", "expected \"asc\" or \"desc\"");
    }
}

int target_child_compile(const struct target_child_json *in, unsigned env, const char *path_prefix,
                         struct target_child **out, struct report *rep)
{
    struct child_ctx x = {.rep = rep, .prefix = path_prefix ? path_prefix : ""};
    struct target_child *c = NULL;
    struct buf fpath = BUF_INIT;
    *out = NULL;
    if (!(c = calloc(1, sizeof *c)) || !(c->arena = arena_new())) {
        x.rc = ERR_NOMEM;
        goto done;
    }

    if (!in->filter) {
        child_problem(&x, "/filter", "missing member 'filter'");
    } else {
        if (buf_append_str(&fpath, x.prefix) != 0 || buf_append_str(&fpath, "/filter") != 0) {
            x.rc = ERR_NOMEM;
            goto done;
        }
        int rc = rule_compile(in->filter, env, fpath.data, &c->rule, rep);
        if (rc == ERR_NOMEM)
            x.rc = ERR_NOMEM;
        else if (rc != 0 && x.rc == 0)
            x.rc = rc;
    }
    compile_sort(&x, c, in->sort, env);
    if (in->limit && !json_is_null(in->limit)) {
        if (!json_is_integer(in->limit) || json_integer_value(in->limit) < 0 ||
            json_integer_value(in->limit) > TARGET_MAX_LIMIT) {
            child_problem(&x, "/limit", "expected null or an integer from 0 to %d",
                          TARGET_MAX_LIMIT);
        } else {
            c->has_limit = true;
            c->limit = (size_t)json_integer_value(in->limit);
        }
    }
    if (in->catch_all) {
        if (!json_is_boolean(in->catch_all))
            child_problem(&x, "/catch_all", "expected true or false");
        else
            c->catch_all = json_is_true(in->catch_all);
    }
    compile_ids(&x, c, in->pinned_track_ids, "pinned_track_ids", &c->pinned, &c->n_pinned);
    compile_ids(&x, c, in->banned_track_ids, "banned_track_ids", &c->banned, &c->n_banned);
done:
    buf_release(&fpath);
    if (x.rc != 0) {
        target_child_free(c);
        return x.rc;
    }
    *out = c;
    return 0;
}

int target_child_compile_object(const json_t *child, unsigned env, const char *path_prefix,
                                struct target_child **out, struct report *rep)
{
    *out = NULL;
    if (!json_is_object(child)) {
        struct child_ctx x = {.rep = rep, .prefix = path_prefix ? path_prefix : ""};
        child_problem(&x, "", "expected an object");
        return x.rc;
    }
    struct target_child_json in = {
        .filter = json_object_get(child, "filter"),
        .sort = json_object_get(child, "sort"),
        .limit = json_object_get(child, "limit"),
        .catch_all = json_object_get(child, "catch_all"),
        .pinned_track_ids = json_object_get(child, "pinned_track_ids"),
        .banned_track_ids = json_object_get(child, "banned_track_ids"),
    };
    return target_child_compile(&in, env, path_prefix, out, rep);
}

void target_child_free(struct target_child *c)
{
    if (!c)
        return;
    rule_free(c->rule);
    arena_free(c->arena);
    free(c);
}

unsigned target_child_needs(const struct target_child *c)
{
    unsigned needs = rule_needs(c->rule);
    if (c->has_sort)
        needs |= c->sort_needs;
    return needs;
}

bool target_child_is_catch_all(const struct target_child *c)
{
    return c->catch_all;
}

const struct rule *target_child_rule(const struct target_child *c)
{
    return c->rule;
}

int target_routing_parse(const char *s, enum target_routing *out)
{
    if (s && strcmp(s, "all") == 0)
        *out = TARGET_ROUTING_ALL;
    else if (s && strcmp(s, "first_match") == 0)
        *out = TARGET_ROUTING_FIRST_MATCH;
    else
        return ERR_VALIDATION;
    return 0;
}
