/* json_text_dump(): json_dump_callback() into a buffer whose first failure sticks, so a
 * part that jansson skipped after a failed write is noticed; json_text_load*(): a parse
 * that saw an allocation fail is thrown away (see json_text.h). */
#include "lib/json_text.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"

struct sink {
    struct buf b;
    bool failed;
};

static int put(const char *s, size_t n, void *ud)
{
    struct sink *k = ud;
    if (k->failed || buf_append(&k->b, s, n) != 0) {
        k->failed = true;
        return -1;
    }
    return 0;
}

char *json_text_dump(const json_t *j, size_t flags)
{
    struct sink k = {BUF_INIT, false};
    size_t len;
    if (!j || json_dump_callback(j, put, &k, flags) != 0 || k.failed || k.b.len == 0) {
        buf_release(&k.b);
        return NULL;
    }
    return buf_detach(&k.b, &len);
}

/* Whether an allocation of jansson failed on this thread since the last load began.
 * The one piece of mutable state of the module: per thread, so loads on different
 * threads cannot see each other's failures, and only read around a load. */
static _Thread_local bool alloc_failed;

static void *noting_malloc(size_t n)
{
    void *p = malloc(n);
    if (!p)
        alloc_failed = true;
    return p;
}

void json_text_install(void)
{
    json_set_alloc_funcs(noting_malloc, free);
}

static json_t *checked(json_t *j, json_error_t *err)
{
    if (j && alloc_failed) {
        json_decref(j);
        j = NULL;
    }
    if (!j && alloc_failed && err) {
        memset(err, 0, sizeof *err);
        err->line = err->column = -1;
        /* "out of memory", with jansson's code for it where json_error_code() reads it */
        memcpy(err->text, "out of memory", sizeof "out of memory");
        err->text[JSON_ERROR_TEXT_LENGTH - 1] = (char)json_error_out_of_memory;
    }
    return j;
}

json_t *json_text_loadb(const char *buf, size_t len, size_t flags, json_error_t *err)
{
    alloc_failed = false;
    return checked(json_loadb(buf, len, flags, err), err);
}

json_t *json_text_loads(const char *text, size_t flags, json_error_t *err)
{
    alloc_failed = false;
    return checked(json_loads(text, flags, err), err);
}
