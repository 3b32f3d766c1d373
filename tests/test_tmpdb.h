#ifndef PLAYROUTER_TEST_TMPDB_H
#define PLAYROUTER_TEST_TMPDB_H
/* Removes a test's temporary database `path` (with SQLite's -wal and -shm beside it)
 * and its folder `dir`, once the connections to it are closed. */
#include <stdio.h>
#include <unistd.h>

static __attribute__((unused)) void test_tmpdb_remove(const char *path, const char *dir)
{
    static const char *const sfx[] = {"", "-wal", "-shm"};
    char p[4096];
    for (size_t i = 0; i < sizeof sfx / sizeof sfx[0]; i++) {
        snprintf(p, sizeof p, "%s%s", path, sfx[i]);
        unlink(p);
    }
    rmdir(dir);
}

#endif
