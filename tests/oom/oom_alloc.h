/* Allocation-failure injection for the OOM test build (tests/oom/README.md): the test
 * executables are linked with -Wl,--wrap=malloc,--wrap=calloc,--wrap=realloc,
 * --wrap=strdup,--wrap=strndup, so every allocation our code (lib/ ... server/, linked
 * in from the static core) makes goes through oom_alloc.c, and jansson's go there too
 * (json_text_install() hands them to our malloc, as the server does). The allocations of the shared
 * libraries themselves (SQLite, libcurl, RE2) are not counted: their failure paths are theirs to
 * test.
 *
 * oom_arm(n): the n-th counted allocation from now fails (once), the others succeed;
 * n = 0 disarms. SQLite's OOM loops are the model: arm 1, 2, 3, ... and run the same
 * operation each time until a run in which nothing failed (oom_hit() false). */
#ifndef PLAYROUTER_OOM_ALLOC_H
#define PLAYROUTER_OOM_ALLOC_H
#include <stdbool.h>

void oom_arm(long n);
bool oom_hit(void);         /* whether the armed failure happened */
long oom_allocations(void); /* counted since the last oom_arm() */

#endif
