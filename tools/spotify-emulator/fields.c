/* Spotify's `fields` filter: "items(added_at,track(id,name,album(name))),next,total".
 * A list keeps only the named fields; a list made only of !names keeps all but
 * those. "a.b" is short for "a(b)". A filter applied to an array applies to each
 * element. This is the slow path (parse, filter, re-serialise with jansson); it
 * runs only when a client sends `fields`. */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "emu.h"

struct fnode {
    char *name;
    bool exclude;
    struct fnode *kids; /* NULL: the whole value */
    int nkids;
};

static void fnodes_free(struct fnode *n, int count)
{
    for (int i = 0; i < count; i++) {
        free(n[i].name);
        fnodes_free(n[i].kids, n[i].nkids);
    }
    free(n);
}

static int parse_list(const char **s, struct fnode **out, int *count, int depth);

/* One field at *s; advances *s. 0 or -1. */
static int parse_field(const char **s, struct fnode *f, int depth)
{
    memset(f, 0, sizeof *f);
    if (**s == '!') {
        f->exclude = true;
        (*s)++;
    }
    size_t len = strcspn(*s, ",.()!");
    if (len == 0)
        return -1;
    f->name = strndup(*s, len);
    if (!f->name)
        return -1;
    *s += len;
    if (**s == '.') {
        (*s)++;
        f->kids = calloc(1, sizeof *f->kids);
        if (!f->kids)
            return -1;
        f->nkids = 1;
        return parse_field(s, f->kids, depth + 1);
    }
    if (**s == '(') {
        (*s)++;
        if (parse_list(s, &f->kids, &f->nkids, depth + 1) != 0 || **s != ')')
            return -1;
        (*s)++;
    }
    return 0;
}

static int parse_list(const char **s, struct fnode **out, int *count, int depth)
{
    struct fnode *list = NULL;
    int n = 0;
    if (depth > 16)
        return -1;
    for (;;) {
        struct fnode *nl = realloc(list, (size_t)(n + 1) * sizeof *nl);
        if (!nl)
            goto fail;
        list = nl;
        int rc = parse_field(s, &list[n], depth);
        n++;
        if (rc != 0)
            goto fail;
        if (**s != ',')
            break;
        (*s)++;
    }
    *out = list;
    *count = n;
    return 0;
fail:
    fnodes_free(list, n);
    return -1;
}

/* Returns a new reference to the filtered value (or NULL when out of memory). */
static json_t *filter(json_t *v, const struct fnode *list, int n)
{
    if (json_is_array(v)) {
        json_t *out = json_array();
        size_t i;
        json_t *el;
        json_array_foreach(v, i, el)
        {
            json_t *f = filter(el, list, n);
            if (!out || !f || json_array_append_new(out, f) != 0) {
                json_decref(out);
                return NULL;
            }
        }
        return out;
    }
    if (!json_is_object(v))
        return json_incref(v);
    bool only_excl = true;
    for (int i = 0; i < n; i++)
        only_excl = only_excl && list[i].exclude;
    json_t *out = json_object();
    if (!out)
        return NULL;
    if (only_excl) {
        if (json_object_update(out, v) != 0)
            goto fail;
        for (int i = 0; i < n; i++)
            json_object_del(out, list[i].name);
        return out;
    }
    /* Keep the object's own order, as Spotify does, not the order of the list. */
    const char *key;
    json_t *val;
    json_object_foreach(v, key, val)
    {
        for (int i = 0; i < n; i++) {
            if (list[i].exclude || strcmp(list[i].name, key) != 0)
                continue;
            json_t *f = list[i].kids ? filter(val, list[i].kids, list[i].nkids) : json_incref(val);
            if (!f || json_object_set_new(out, key, f) != 0)
                goto fail;
            break;
        }
    }
    return out;
fail:
    json_decref(out);
    return NULL;
}

int fields_apply(struct buf *body, const char *fields)
{
    struct fnode *list = NULL;
    int n = 0, rc = -1;
    const char *s = fields;
    json_t *in = NULL, *out = NULL;
    char *text = NULL;
    if (parse_list(&s, &list, &n, 0) != 0 || *s != '\0')
        goto done;
    in = json_loadb(body->data, body->len, 0, NULL);
    if (!in)
        goto done;
    out = filter(in, list, n);
    if (!out)
        goto done;
    text = json_dumps(out, JSON_COMPACT);
    if (!text)
        goto done;
    buf_reset(body);
    rc = buf_append_str(body, text);
done:
    if (list)
        fnodes_free(list, n);
    json_decref(in);
    json_decref(out);
    free(text);
    return rc;
}
