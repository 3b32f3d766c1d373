/* The counting allocator of the OOM test build (see oom_alloc.h). Thread-safe: the
 * countdown is atomic, so a sync's worker threads take part. */
#include "tests/oom/oom_alloc.h"

#include <errno.h>
#include <execinfo.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void *__real_malloc(size_t n);
void *__real_calloc(size_t n, size_t size);
void *__real_realloc(void *p, size_t n);
char *__real_strdup(const char *s);
char *__real_strndup(const char *s, size_t n);

static atomic_long countdown; /* > 0: allocations until the failing one */
static atomic_long counted;
static atomic_bool hit;

void oom_arm(long n)
{
    atomic_store(&hit, false);
    atomic_store(&counted, 0);
    atomic_store(&countdown, n);
}

bool oom_hit(void)
{
    return atomic_load(&hit);
}

long oom_allocations(void)
{
    return atomic_load(&counted);
}

/* true when this allocation is the one to fail */
static bool fail_now(void)
{
    atomic_fetch_add(&counted, 1);
    if (atomic_load(&countdown) <= 0)
        return false;
    if (atomic_fetch_sub(&countdown, 1) == 1) {
        atomic_store(&hit, true);
        if (getenv("OOM_BACKTRACE")) { /* where the failure was injected, for addr2line */
            void *frames[32];
            backtrace_symbols_fd(frames, backtrace(frames, 32), 2);
            write(2, "--\n", 3);
        }
        errno = ENOMEM;
        return true;
    }
    return false;
}

void *__wrap_malloc(size_t n)
{
    return fail_now() ? NULL : __real_malloc(n);
}

void *__wrap_calloc(size_t n, size_t size)
{
    return fail_now() ? NULL : __real_calloc(n, size);
}

void *__wrap_realloc(void *p, size_t n)
{
    return fail_now() ? NULL : __real_realloc(p, n);
}

char *__wrap_strdup(const char *s)
{
    return fail_now() ? NULL : __real_strdup(s);
}

char *__wrap_strndup(const char *s, size_t n)
{
    return fail_now() ? NULL : __real_strndup(s, n);
}
