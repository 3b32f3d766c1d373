/* The connection pool's lend/reclaim (a request's connection goes back to the pool
 * during a Spotify call and the same one comes back), and readiness when no connection
 * can be had (issue #12). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
/* cmocka.h needs setjmp.h, stdarg.h and stddef.h first. */
#include <cmocka.h>

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "test_tmpdb.h"
#include "app/app.h"
#include "lib/app_err.h"
#include "repositories/db.h"
#include "services/database.h"
#include "services/health_service.h"

struct fx {
    char dir[64], path[128];
    struct db_pool *pool;
    struct app app;
};

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof *f);
    struct report err = {0};
    strcpy(f->dir, "/tmp/playrouter-pool-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    snprintf(f->path, sizeof f->path, "%s/t.db", f->dir);
    assert_int_equal(db_pool_new(f->path, 2, &f->pool, &err), 0);
    f->app.db = f->pool;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;
    db_pool_free(f->pool);
    test_tmpdb_remove(f->path, f->dir);
    free(f);
    return 0;
}

struct borrower {
    struct db_pool *pool;
    atomic_int holding; /* 1 while it holds both connections */
};

/* Takes every free connection, holds them 100 ms, gives them back. */
static void *borrow_all(void *arg)
{
    struct borrower *b = arg;
    struct db *x = db_pool_acquire(b->pool, 1000), *y = db_pool_acquire(b->pool, 1000);
    atomic_store(&b->holding, x && y ? 1 : -1);
    usleep(100 * 1000);
    db_pool_release(b->pool, y);
    db_pool_release(b->pool, x);
    return NULL;
}

static void test_db_pool_lend_and_reclaim_the_same_connection(void **state)
{
    struct fx *f = *state;
    struct db *mine = db_pool_acquire(f->pool, 1000), *other;
    struct borrower b = {f->pool, 0};
    pthread_t t;
    assert_non_null(mine);
    /* While lent, others may take it: here both connections go to the borrower. */
    int lent = database_lend(&f->app, mine);
    assert_int_equal(lent, 0);
    pthread_create(&t, NULL, borrow_all, &b);
    while (atomic_load(&b.holding) == 0)
        usleep(1000);
    assert_int_equal(atomic_load(&b.holding), 1);
    assert_int_equal(database_reclaim(&f->app, mine, lent), 0); /* waits for the borrower */
    pthread_join(t, NULL);
    assert_int_equal(db_ping(mine), 0);
    /* The other connection is free again, and only it. */
    assert_non_null(other = db_pool_acquire(f->pool, 100));
    assert_ptr_not_equal(other, mine);
    assert_null(db_pool_acquire(f->pool, 50));
    db_pool_release(f->pool, other);
    db_pool_release(f->pool, mine);
}

static void test_db_pool_not_lent_inside_a_transaction(void **state)
{
    struct fx *f = *state;
    struct db *mine = db_pool_acquire(f->pool, 1000);
    assert_int_equal(db_begin(mine), 0);
    int lent = database_lend(&f->app, mine);
    assert_int_equal(lent, -1);
    assert_int_equal(database_reclaim(&f->app, mine, lent), 0); /* nothing to take back */
    assert_int_equal(db_commit(mine), 0);
    db_pool_release(f->pool, mine);
}

static void test_db_pool_reclaim_times_out(void **state)
{
    struct fx *f = *state;
    struct db *mine = db_pool_acquire(f->pool, 1000), *a, *b;
    assert_int_equal(db_pool_lend(f->pool, mine), 0);
    a = db_pool_acquire(f->pool, 100);
    b = db_pool_acquire(f->pool, 100);
    assert_true(a == mine || b == mine);
    assert_int_equal(db_pool_reclaim(f->pool, mine, 50), ERR_UNAVAILABLE);
    db_pool_release(f->pool, a);
    db_pool_release(f->pool, b);
}

static void test_health_not_ready_without_a_free_connection(void **state)
{
    struct fx *f = *state;
    struct report rep = {0};
    struct db *a = db_pool_acquire(f->pool, 100), *b = db_pool_acquire(f->pool, 100);
    assert_int_equal(health_service_ready(&f->app, &rep), ERR_UNAVAILABLE);
    assert_string_equal(report_text(&rep), "no database connection is free (all in use)");
    report_release(&rep);
    db_pool_release(f->pool, b);
    assert_int_equal(health_service_ready(&f->app, &rep), 0);
    assert_string_equal(report_text(&rep), "");
    db_pool_release(f->pool, a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_db_pool_lend_and_reclaim_the_same_connection, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_db_pool_not_lent_inside_a_transaction, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_db_pool_reclaim_times_out, setup, teardown),
        cmocka_unit_test_setup_teardown(test_health_not_ready_without_a_free_connection, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
