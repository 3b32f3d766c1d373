/* The sync notifier (services/sync/sync_watch.c): a notification reaches exactly the
 * watchers of its event, none after removal, and a NULL registry is a no-op. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
/* cmocka.h needs setjmp.h, stdarg.h and stddef.h first. */
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "services/sync/sync_watch.h"

static void bump(void *ud)
{
    (*(int *)ud)++;
}

static void test_sync_watch_notifies_the_watchers_of_its_event_only(void **state)
{
    struct sync_watch *w = NULL;
    struct sync_watcher a1, a2, b;
    int na1 = 0, na2 = 0, nb = 0;
    (void)state;
    assert_int_equal(sync_watch_service_new(&w), 0);
    sync_watch_service_add(w, &a1, "event-a", bump, &na1);
    sync_watch_service_add(w, &a2, "event-a", bump, &na2);
    sync_watch_service_add(w, &b, "event-b", bump, &nb);
    assert_int_equal(sync_watch_service_count(w), 3);
    sync_watch_service_notify(w, "event-a");
    sync_watch_service_notify(w, "event-a");
    sync_watch_service_notify(w, "event-c");
    assert_int_equal(na1, 2);
    assert_int_equal(na2, 2);
    assert_int_equal(nb, 0);
    sync_watch_service_remove(w, &a1);
    sync_watch_service_remove(w, &a1); /* twice: ignored */
    sync_watch_service_notify(w, "event-a");
    sync_watch_service_notify(w, "event-b");
    assert_int_equal(na1, 2);
    assert_int_equal(na2, 3);
    assert_int_equal(nb, 1);
    sync_watch_service_remove(w, &a2);
    sync_watch_service_remove(w, &b);
    assert_int_equal(sync_watch_service_count(w), 0);
    sync_watch_service_free(w);
}

static void test_sync_watch_many_in_one_bucket_and_null_registry(void **state)
{
    struct sync_watch *w = NULL;
    struct sync_watcher ws[600];
    int hits[600];
    char id[32];
    (void)state;
    assert_int_equal(sync_watch_service_new(&w), 0);
    memset(hits, 0, sizeof hits);
    /* 600 watchers over 256 buckets: every bucket shared; each still gets only its own. */
    for (int i = 0; i < 600; i++) {
        snprintf(id, sizeof id, "ev%d", i % 300);
        sync_watch_service_add(w, &ws[i], id, bump, &hits[i]);
    }
    sync_watch_service_notify(w, "ev7");
    for (int i = 0; i < 600; i++)
        assert_int_equal(hits[i], i % 300 == 7 ? 1 : 0);
    /* Removed out of order, from the middle of bucket lists. */
    for (int i = 599; i >= 0; i -= 2)
        sync_watch_service_remove(w, &ws[i]);
    for (int i = 0; i < 600; i += 2)
        sync_watch_service_remove(w, &ws[i]);
    assert_int_equal(sync_watch_service_count(w), 0);
    sync_watch_service_notify(w, "ev7");
    assert_int_equal(hits[7], 1);
    sync_watch_service_free(w);
    /* No registry (a server built without one): nothing happens, nothing breaks. */
    struct sync_watcher x;
    int n = 0;
    sync_watch_service_add(NULL, &x, "e", bump, &n);
    sync_watch_service_notify(NULL, "e");
    sync_watch_service_remove(NULL, &x);
    assert_int_equal(n, 0);
    assert_int_equal(sync_watch_service_count(NULL), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sync_watch_notifies_the_watchers_of_its_event_only),
        cmocka_unit_test(test_sync_watch_many_in_one_bucket_and_null_registry),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
