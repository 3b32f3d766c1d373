#ifndef PLAYROUTER_TEST_SESSION_FIXTURE_H
#define PLAYROUTER_TEST_SESSION_FIXTURE_H
/* Shared by tests/test_session*.c: a temporary database with one user ("user-1")
 * and a struct app whose secret is the including file's KEY. Include after cmocka.h,
 * with KEY defined. */
#include <stdio.h>
#include <stdlib.h>

#include "repositories/db.h"
#include "repositories/user_repo.h"
#include "app/app.h"
#include "app/config.h"
#include "services/auth/session_cache.h"
#include "services/auth/session_service.h"

struct dbfix {
    char dir[64];
    char path[128];
    struct db_pool *pool;
    struct db *db;
    struct config cfg;
    struct app app;
};

static inline int db_setup(void **state)
{
    struct dbfix *f = calloc(1, sizeof *f);
    struct report err = {0};
    snprintf(f->dir, sizeof f->dir, "/tmp/test_session.XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    snprintf(f->path, sizeof f->path, "%s/t.db", f->dir);
    assert_int_equal(db_pool_new(f->path, 1, &f->pool, &err), 0);
    f->db = db_pool_acquire(f->pool, 1000);
    f->cfg.jwt_secret = (char *)KEY;
    f->app.cfg = &f->cfg;
    f->app.db = f->pool;
    assert_int_equal(session_cache_new(SESSION_CACHE_MAX, &f->app.sessions), 0);
    struct user u = {.id = "user-1",
                     .spotify_user_id = "sp1",
                     .display_name = "One",
                     .created = "2026-01-01T00:00:00Z",
                     .updated = "2026-01-01T00:00:00Z"};
    assert_int_equal(user_repo_insert(f->db, &u), 0);
    *state = f;
    return 0;
}

static inline int db_teardown(void **state)
{
    struct dbfix *f = *state;
    char cmd[256];
    db_pool_release(f->pool, f->db);
    db_pool_free(f->pool);
    session_cache_free(f->app.sessions);
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->dir);
    assert_int_equal(system(cmd), 0);
    free(f);
    return 0;
}

#endif
