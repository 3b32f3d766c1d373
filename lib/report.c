#include "lib/report.h"

#include <stdlib.h>

#include "lib/app_err.h"
#include "lib/arena.h"
#include "lib/buf.h"

int report_vadd(struct report *rep, const char *path, const char *fmt, va_list ap)
{
    struct buf msg = BUF_INIT;
    json_t *d = NULL;
    int rc = ERR_NOMEM;

    if (!rep)
        return 0;
    if (buf_vappendf(&msg, fmt, ap) != 0 || (!rep->details && !(rep->details = json_array())))
        goto done;
    d = json_pack("{s:s, s:s}", "path", path ? path : "", "message", msg.data ? msg.data : "");
    if (d && json_array_append_new(rep->details, d) == 0)
        rc = 0;
done:
    buf_release(&msg);
    return rc;
}

int report_add(struct report *rep, const char *path, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = report_vadd(rep, path, fmt, ap);
    va_end(ap);
    return rc;
}

void report_vmessage(struct report *rep, const char *fmt, va_list ap)
{
    struct buf msg = BUF_INIT;
    if (!rep)
        return;
    /* Formatted first: the arguments may point into the old message. */
    int rc = buf_vappendf(&msg, fmt, ap);
    free(rep->message);
    rep->message = rc == 0 && msg.len > 0 ? buf_detach(&msg, NULL) : NULL;
    buf_release(&msg);
}

void report_message(struct report *rep, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    report_vmessage(rep, fmt, ap);
    va_end(ap);
}

const char *report_text(const struct report *rep)
{
    return rep && rep->message ? rep->message : "";
}

size_t report_count(const struct report *rep)
{
    return rep ? json_array_size(rep->details) : 0;
}

void report_release(struct report *rep)
{
    if (!rep)
        return;
    json_decref(rep->details);
    rep->details = NULL;
    free(rep->message);
    rep->message = NULL;
}

int report_pointer_append(struct buf *b, const char *key)
{
    if (buf_append(b, "/", 1) != 0)
        return -1;
    for (const char *p = key; *p; p++) {
        int rc = *p == '~'   ? buf_append(b, "~0", 2)
                 : *p == '/' ? buf_append(b, "~1", 2)
                             : buf_append(b, p, 1);
        if (rc != 0)
            return -1;
    }
    return 0;
}

char *report_pointer(struct arena *a, const char *prefix, const char *key)
{
    struct buf b = BUF_INIT;
    char *out = NULL;

    if (buf_append_str(&b, prefix ? prefix : "") == 0 && report_pointer_append(&b, key) == 0)
        out = arena_strdup(a, b.data);
    buf_release(&b);
    return out;
}
