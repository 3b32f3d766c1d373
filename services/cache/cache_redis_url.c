/* Parsing of PLAYROUTER_REDIS_URL for the Redis backend of the cache:
 * redis://[[user]:password@]host[:port][/db], percent-decoded. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/app_err.h"
#include "lib/util.h"
#include "services/cache/cache_internal.h"

#define REDIS_DEFAULT_PORT 6379

/* ---- URL ------------------------------------------------------------------------ */

/* Copies s[0..len) percent-decoded into a new string; NULL on error (*rc set). */
static char *pct_decode(const char *s, size_t len, int *rc)
{
    char *out = malloc(len + 1);
    size_t o = 0;
    if (out == NULL) {
        *rc = ERR_NOMEM;
        return NULL;
    }
    for (size_t i = 0; i < len; i++) {
        if (s[i] != '%') {
            out[o++] = s[i];
            continue;
        }
        if (i + 2 >= len || util_hex_value(s[i + 1]) < 0 || util_hex_value(s[i + 2]) < 0 ||
            (util_hex_value(s[i + 1]) == 0 && util_hex_value(s[i + 2]) == 0)) {
            free(out);
            *rc = ERR_VALIDATION;
            return NULL;
        }
        out[o++] = (char)(util_hex_value(s[i + 1]) * 16 + util_hex_value(s[i + 2]));
        i += 2;
    }
    out[o] = '\0';
    return out;
}

static int parse_num(const char *s, size_t len, int64_t min, int64_t max, int *out)
{
    char tmp[16];
    int64_t v;
    if (len == 0 || len >= sizeof tmp)
        return ERR_VALIDATION;
    memcpy(tmp, s, len);
    tmp[len] = '\0';
    if (util_parse_int64(tmp, min, max, &v) != 0)
        return ERR_VALIDATION;
    *out = (int)v;
    return 0;
}

void cache_redis_url_release(struct cache_redis_url *u)
{
    if (u == NULL)
        return;
    free(u->host);
    free(u->user);
    free(u->password);
    memset(u, 0, sizeof *u);
}

int cache_redis_url_parse(const char *url, struct cache_redis_url *out)
{
    static const char scheme[] = "redis://";
    struct cache_redis_url u = {NULL, REDIS_DEFAULT_PORT, 0, NULL, NULL};
    int rc = ERR_VALIDATION;

    memset(out, 0, sizeof *out);
    if (url == NULL || strncasecmp(url, scheme, sizeof scheme - 1) != 0)
        goto done;
    const char *auth = url + sizeof scheme - 1;
    const char *slash = strchr(auth, '/');
    const char *auth_end = slash != NULL ? slash : auth + strlen(auth);
    if (memchr(auth, '?', (size_t)(auth_end - auth)) != NULL ||
        (slash != NULL && strpbrk(slash, "?#") != NULL))
        goto done; /* no query options supported: refuse rather than ignore them */

    /* userinfo: the part before the last '@' of the authority */
    const char *hostport = auth;
    for (const char *p = auth; p < auth_end; p++)
        if (*p == '@')
            hostport = p + 1;
    if (hostport != auth) {
        const char *ui_end = hostport - 1;
        const char *colon = memchr(auth, ':', (size_t)(ui_end - auth));
        if (colon == NULL)
            goto done; /* "user@" without a password cannot be used for AUTH */
        if (colon > auth) {
            u.user = pct_decode(auth, (size_t)(colon - auth), &rc);
            if (u.user == NULL)
                goto done;
        }
        u.password = pct_decode(colon + 1, (size_t)(ui_end - colon - 1), &rc);
        if (u.password == NULL)
            goto done;
        rc = ERR_VALIDATION;
        if (u.password[0] == '\0')
            goto done;
    }

    /* host[:port], host may be "[v6]" */
    const char *host = hostport, *host_end, *port = NULL;
    if (*hostport == '[') {
        const char *rb = memchr(hostport, ']', (size_t)(auth_end - hostport));
        if (rb == NULL)
            goto done;
        host = hostport + 1;
        host_end = rb;
        if (rb + 1 < auth_end) {
            if (rb[1] != ':')
                goto done;
            port = rb + 2;
        }
    } else {
        const char *colon = memchr(hostport, ':', (size_t)(auth_end - hostport));
        host_end = colon != NULL ? colon : auth_end;
        if (colon != NULL)
            port = colon + 1;
    }
    if (host_end == host)
        goto done;
    for (const char *p = host; p < host_end; p++)
        if (*p == '%' || *p == ' ' || *p == '@' || (unsigned char)*p < 0x21)
            goto done;
    if (port != NULL && parse_num(port, (size_t)(auth_end - port), 1, 65535, &u.port) != 0)
        goto done;
    if (slash != NULL && slash[1] != '\0' &&
        parse_num(slash + 1, strlen(slash + 1), 0, 1000000, &u.db) != 0)
        goto done;

    u.host = strndup(host, (size_t)(host_end - host));
    if (u.host == NULL) {
        rc = ERR_NOMEM;
        goto done;
    }
    *out = u;
    memset(&u, 0, sizeof u);
    rc = 0;
done:
    cache_redis_url_release(&u);
    return rc;
}

