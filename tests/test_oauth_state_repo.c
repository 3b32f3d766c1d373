/* repositories/oauth_state_repo: the bound on pending sign-ins (docs/SECURITY.md): the
 * expired are purged, and at most N are kept, the newest. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>

#include "lib/app_err.h"
#include "lib/arena.h"
#include "repositories/db.h"
#include "repositories/oauth_state_repo.h"

struct fix {
    char dir[64], path[128];
    struct db_pool *pool;
    struct db *db;
};

static int setup(void **state)
{
    struct fix *f = calloc(1, sizeof *f);
    struct report err = {0};
    snprintf(f->dir, sizeof f->dir, "/tmp/test_oauth_state.XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    snprintf(f->path, sizeof f->path, "%s/t.db", f->dir);
    assert_int_equal(db_pool_new(f->path, 1, &f->pool, &err), 0);
    f->db = db_pool_acquire(f->pool, 1000);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fix *f = *state;
    char cmd[128];
    db_pool_release(f->pool, f->db);
    db_pool_free(f->pool);
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->dir);
    assert_int_equal(system(cmd), 0);
    free(f);
    return 0;
}

static int count(struct db *db)
{
    sqlite3_stmt *st = db_stmt(db, "SELECT count(*) FROM oauth_states");
    assert_int_equal(db_step_one(db, st, "count"), 0);
    int n = sqlite3_column_int(st, 0);
    db_stmt_done(st);
    return n;
}

/* 1 when state s is still there (taken and put back). */
static int present(struct db *db, const char *s)
{
    struct arena *a = arena_new();
    char *verifier;
    int64_t exp;
    int rc = oauth_state_repo_take(db, a, s, &verifier, &exp);
    if (rc == 0)
        assert_int_equal(oauth_state_repo_insert(db, s, verifier, exp), 0);
    arena_free(a);
    return rc == 0;
}

static void test_oauth_state_trim_keeps_the_newest(void **state)
{
    struct fix *f = *state;
    char s[16];
    for (int i = 0; i < 50; i++) {
        snprintf(s, sizeof s, "s%02d", i);
        assert_int_equal(oauth_state_repo_insert(f->db, s, "v", 1000 + i), 0);
        assert_int_equal(oauth_state_repo_trim(f->db, 10), 0);
        assert_int_equal(count(f->db), i + 1 < 10 ? i + 1 : 10);
    }
    assert_false(present(f->db, "s39"));
    for (int i = 40; i < 50; i++) {
        snprintf(s, sizeof s, "s%02d", i);
        assert_true(present(f->db, s));
    }
    /* Taken states leave gaps: the bound still holds, and new states are kept. */
    assert_int_equal(oauth_state_repo_trim(f->db, 3), 0);
    assert_int_equal(count(f->db), 3);
    assert_int_equal(oauth_state_repo_insert(f->db, "new", "v", 2000), 0);
    assert_int_equal(oauth_state_repo_trim(f->db, 3), 0);
    assert_true(present(f->db, "new"));
    assert_true(count(f->db) <= 3);
}

static void test_oauth_state_purge_drops_only_the_expired(void **state)
{
    struct fix *f = *state;
    assert_int_equal(oauth_state_repo_insert(f->db, "old", "v", 99), 0);
    assert_int_equal(oauth_state_repo_insert(f->db, "now", "v", 100), 0);
    assert_int_equal(oauth_state_repo_insert(f->db, "later", "v", 101), 0);
    assert_int_equal(oauth_state_repo_purge(f->db, 100), 0);
    assert_int_equal(count(f->db), 2);
    assert_false(present(f->db, "old"));
    assert_true(present(f->db, "now"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_oauth_state_trim_keeps_the_newest, setup, teardown),
        cmocka_unit_test_setup_teardown(test_oauth_state_purge_drops_only_the_expired, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
