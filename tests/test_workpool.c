/* The bounded worker pool: every task runs, never more at once than threads, a full
 * queue refuses instead of growing, and free waits for the queued tasks. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
/* cmocka.h needs setjmp.h, stdarg.h and stddef.h first. */
#include <cmocka.h>

#include <pthread.h>
#include <stdatomic.h>
#include <unistd.h>

#include "lib/app_err.h"
#include "lib/workpool.h"

struct gate {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int open;
    atomic_int ran, now, most;
};

static void gated(void *arg)
{
    struct gate *g = arg;
    int n = atomic_fetch_add(&g->now, 1) + 1;
    int m = atomic_load(&g->most);
    while (n > m && !atomic_compare_exchange_weak(&g->most, &m, n))
        ;
    pthread_mutex_lock(&g->mu);
    while (!g->open)
        pthread_cond_wait(&g->cv, &g->mu);
    pthread_mutex_unlock(&g->mu);
    atomic_fetch_sub(&g->now, 1);
    atomic_fetch_add(&g->ran, 1);
}

static void open_gate(struct gate *g)
{
    pthread_mutex_lock(&g->mu);
    g->open = 1;
    pthread_cond_broadcast(&g->cv);
    pthread_mutex_unlock(&g->mu);
}

static void test_workpool_bounded_threads_and_queue(void **state)
{
    struct workpool *p = NULL;
    struct gate g = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, 0, 0, 0};
    (void)state;
    assert_int_equal(workpool_new(3, 5, &p), 0);
    assert_int_equal(workpool_threads(p), 3);
    /* 3 run (blocked at the gate), 5 wait in the queue: the 9th is refused. */
    for (int i = 0; i < 3; i++)
        assert_int_equal(workpool_submit(p, gated, &g), 0);
    while (workpool_running(p) < 3)
        usleep(1000);
    for (int i = 0; i < 5; i++)
        assert_int_equal(workpool_submit(p, gated, &g), 0);
    assert_int_equal(workpool_queued(p), 5);
    assert_int_equal(workpool_submit(p, gated, &g), ERR_UNAVAILABLE);
    open_gate(&g);
    workpool_free(p); /* runs what is queued, then joins */
    assert_int_equal(atomic_load(&g.ran), 8);
    assert_int_equal(atomic_load(&g.most), 3);
}

static void test_workpool_rejects_bad_sizes(void **state)
{
    struct workpool *p = (struct workpool *)1;
    (void)state;
    assert_int_not_equal(workpool_new(0, 4, &p), 0);
    assert_null(p);
    assert_int_not_equal(workpool_new(2, 0, &p), 0);
    workpool_free(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_workpool_bounded_threads_and_queue),
        cmocka_unit_test(test_workpool_rejects_bad_sizes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
