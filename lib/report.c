#include "lib/report.h"

#include <stdarg.h>
#include <stdio.h>

#include "lib/app_err.h"
#include "lib/arena.h"
#include "lib/buf.h"

int report_add(struct report *rep, const char *path, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    json_t *d;

    if (!rep)
        return 0;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (!rep->details && !(rep->details = json_array()))
        return ERR_NOMEM;
    d = json_pack("{s:s, s:s}", "path", path ? path : "", "message", msg);
    if (!d || json_array_append_new(rep->details, d) != 0)
        return ERR_NOMEM;
    return 0;
}

void report_message(struct report *rep, const char *fmt, ...)
{
    va_list ap;
    if (!rep)
        return;
    va_start(ap, fmt);
    vsnprintf(rep->message, sizeof rep->message, fmt, ap);
    va_end(ap);
}

void report_release(struct report *rep)
{
    if (!rep)
        return;
    json_decref(rep->details);
    rep->details = NULL;
    rep->message[0] = '\0';
}

char *report_pointer(struct arena *a, const char *prefix, const char *key)
{
    struct buf b = BUF_INIT;
    char *out = NULL;

    if (buf_append_str(&b, prefix ? prefix : "") != 0 || buf_append_str(&b, "/") != 0)
        goto done;
    for (const char *p = key; *p; p++) {
        int rc = *p == '~'   ? buf_append_str(&b, "~0")
                 : *p == '/' ? buf_append_str(&b, "~1")
                             : buf_append(&b, p, 1);
        if (rc != 0)
            goto done;
    }
    out = arena_strdup(a, b.data);
done:
    buf_release(&b);
    return out;
}
