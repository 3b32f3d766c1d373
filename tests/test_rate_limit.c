/* lib/rate_limit: the sign-in limiter (API.md: 30 a minute per client address). Times
 * are given, not read from a clock, so every expectation is exact. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>

#include "lib/app_err.h"
#include "lib/rate_limit.h"

#define MIN 60000

static void test_rate_limit_allows_limit_then_refuses_with_retry_after(void **state)
{
    struct rate_limit *rl;
    int retry = -1;
    assert_int_equal(rate_limit_new(30, MIN, 64, &rl), 0);
    /* 30 requests spread over the first 29 seconds are let in. */
    for (int i = 0; i < 30; i++) {
        assert_int_equal(rate_limit_take(rl, "10.0.0.1", 1000 * i, &retry), 0);
        assert_int_equal(retry, 0);
    }
    /* The 31st at 29.5 s: the first (at 0 s) leaves the window at 60 s, 30.5 s on. */
    assert_int_equal(rate_limit_take(rl, "10.0.0.1", 29500, &retry), ERR_RATE_LIMITED);
    assert_int_equal(retry, 31);
    /* Refused requests are not counted: at 60 s exactly one place is free. */
    assert_int_equal(rate_limit_take(rl, "10.0.0.1", 59999, &retry), ERR_RATE_LIMITED);
    assert_int_equal(retry, 1);
    assert_int_equal(rate_limit_take(rl, "10.0.0.1", 60000, &retry), 0);
    assert_int_equal(rate_limit_take(rl, "10.0.0.1", 60000, &retry), ERR_RATE_LIMITED);
    assert_int_equal(retry, 1); /* the one at 1 s leaves at 61 s */
    assert_int_equal(rate_limit_take(rl, "10.0.0.1", 61000, &retry), 0);
    /* Another address has its own allowance. */
    assert_int_equal(rate_limit_take(rl, "10.0.0.2", 29500, &retry), 0);
    rate_limit_free(rl);
}

static void test_rate_limit_never_more_than_limit_in_any_window(void **state)
{
    /* A client hammering every 100 ms for 5 minutes: in every 60 s window at most 30
     * are let in (checked over every window that ends at an allowed request). */
    struct rate_limit *rl;
    long allowed[4000];
    int n = 0, retry;
    assert_int_equal(rate_limit_new(30, MIN, 8, &rl), 0);
    for (long t = 0; t < 5 * MIN; t += 100)
        if (rate_limit_take(rl, "a", t, &retry) == 0)
            allowed[n++] = t;
    for (int i = 0; i < n; i++) {
        int in_window = 0;
        for (int j = 0; j <= i; j++)
            in_window += allowed[i] - allowed[j] < MIN;
        assert_true(in_window <= 30);
    }
    /* ...and it gets exactly 30 a minute (each minute's first 3 s of requests). */
    assert_int_equal(n, 5 * 30);
    rate_limit_free(rl);
}

static void test_rate_limit_memory_is_bounded_and_forgets_the_oldest(void **state)
{
    /* 16 slots, many more addresses: no failure, no growth; an address that was
     * forgotten starts afresh, one still remembered does not. */
    struct rate_limit *rl;
    char key[32];
    int retry;
    assert_int_equal(rate_limit_new(2, MIN, 16, &rl), 0);
    assert_int_equal(rate_limit_take(rl, "kept", 0, &retry), 0);
    assert_int_equal(rate_limit_take(rl, "kept", 0, &retry), 0);
    for (int i = 0; i < 10000; i++) {
        snprintf(key, sizeof key, "10.1.%d.%d", i / 256, i % 256);
        assert_int_equal(rate_limit_take(rl, key, 1 + i, &retry), 0);
    }
    /* "kept" was the least recently used of its group long ago: forgotten. */
    assert_int_equal(rate_limit_take(rl, "kept", 20000, &retry), 0);
    /* The last address is remembered: its third request within the minute is refused. */
    assert_int_equal(rate_limit_take(rl, key, 20000, &retry), 0);
    assert_int_equal(rate_limit_take(rl, key, 20001, &retry), ERR_RATE_LIMITED);
    rate_limit_free(rl);
}

static void test_rate_limit_stale_slot_is_reused_before_a_live_one(void **state)
{
    /* One group (8 slots) and limit 1: "live" asked at 50 s, 7 others at 1 s. At 61 s
     * the 7 are stale; 7 new addresses take their slots and "live" is still refused
     * (its request at 50 s is in the window). */
    struct rate_limit *rl;
    char key[16];
    int retry;
    assert_int_equal(rate_limit_new(1, MIN, RATE_LIMIT_WAYS, &rl), 0);
    for (int i = 0; i < 7; i++) {
        snprintf(key, sizeof key, "quiet%d", i);
        assert_int_equal(rate_limit_take(rl, key, 1000, &retry), 0);
    }
    assert_int_equal(rate_limit_take(rl, "live", 50000, &retry), 0);
    for (int i = 0; i < 7; i++) {
        snprintf(key, sizeof key, "new%d", i);
        assert_int_equal(rate_limit_take(rl, key, 61000, &retry), 0);
    }
    assert_int_equal(rate_limit_take(rl, "live", 61000, &retry), ERR_RATE_LIMITED);
    assert_int_equal(retry, 49);
    /* An eighth new address must forget someone: the least recently used, "live". */
    assert_int_equal(rate_limit_take(rl, "new7", 62000, &retry), 0);
    assert_int_equal(rate_limit_take(rl, "live", 62000, &retry), 0);
    rate_limit_free(rl);
}

static void test_rate_limit_bad_arguments(void **state)
{
    struct rate_limit *rl = (void *)1;
    assert_int_equal(rate_limit_new(0, MIN, 64, &rl), ERR_VALIDATION);
    assert_null(rl);
    assert_int_equal(rate_limit_new(1, 0, 64, &rl), ERR_VALIDATION);
    assert_int_equal(rate_limit_new(1, MIN, 7, &rl), ERR_VALIDATION);
    rate_limit_free(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rate_limit_allows_limit_then_refuses_with_retry_after),
        cmocka_unit_test(test_rate_limit_never_more_than_limit_in_any_window),
        cmocka_unit_test(test_rate_limit_memory_is_bounded_and_forgets_the_oldest),
        cmocka_unit_test(test_rate_limit_stale_slot_is_reused_before_a_live_one),
        cmocka_unit_test(test_rate_limit_bad_arguments),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
