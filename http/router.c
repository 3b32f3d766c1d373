#include "http/router.h"

#include <string.h>

/* Matches one pattern; on success fills names/values (values copied into arena). */
static int match_pattern(const char *pattern, const char *path, struct request *req)
{
    const char *p = pattern, *s = path;
    int n = 0;
    while (*p && *s) {
        if (*p == '{') {
            const char *pe = strchr(p, '}');
            const char *se = strchr(s, '/');
            size_t vlen = se ? (size_t)(se - s) : strlen(s);
            if (!pe || vlen == 0 || n >= REQUEST_MAX_PARAMS)
                return 0;
            if (req) {
                req->param_names[n] = arena_strndup(req->arena, p + 1, (size_t)(pe - p - 1));
                req->param_values[n] = arena_strndup(req->arena, s, vlen);
            }
            n++;
            p = pe + 1;
            s += vlen;
            continue;
        }
        if (*p != *s)
            return 0;
        p++;
        s++;
    }
    /* A single trailing slash on the request is tolerated. */
    if (*p == '\0' && (*s == '\0' || (s[0] == '/' && s[1] == '\0'))) {
        if (req)
            req->nparams = n;
        return 1;
    }
    return 0;
}

enum router_result router_match(const struct route *routes, size_t n, const char *method,
                                const char *path, struct request *req, const struct route **out,
                                struct buf *allow)
{
    int path_known = 0;
    for (size_t i = 0; i < n; i++) {
        if (!match_pattern(routes[i].pattern, path, NULL))
            continue;
        path_known = 1;
        if (strcmp(routes[i].method, method) == 0) {
            match_pattern(routes[i].pattern, path, req);
            if (req)
                req->route_pattern = routes[i].pattern;
            *out = &routes[i];
            return ROUTER_FOUND;
        }
    }
    if (!path_known)
        return ROUTER_NOT_FOUND;
    if (allow) {
        for (size_t i = 0; i < n; i++) {
            if (!match_pattern(routes[i].pattern, path, NULL) ||
                (allow->data && strstr(allow->data, routes[i].method)))
                continue;
            if (allow->len)
                buf_append_str(allow, ", ");
            buf_append_str(allow, routes[i].method);
        }
    }
    return ROUTER_METHOD_NOT_ALLOWED;
}
