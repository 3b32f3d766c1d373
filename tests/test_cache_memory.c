/* Tests of services/cache without a server: the in-process LRU, the cache key format
 * and the Redis URL parser. The Redis backend is in tests/test_cache_redis.c. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "lib/app_err.h"
#include "services/cache/cache.h"
#include "services/cache/cache_internal.h"
#include "test_cache_fixture.h"

/* ---- helpers -------------------------------------------------------------------- */

struct fake_clock {
    int64_t now_ms;
};

static int64_t fake_now(void *arg)
{
    return ((struct fake_clock *)arg)->now_ms;
}

static struct cache *memory_cache(size_t max_bytes)
{
    struct cache_opts opts = {NULL, 0, max_bytes};
    struct cache *c = NULL;
    assert_int_equal(cache_new(&opts, &c), 0);
    assert_non_null(c);
    return c;
}

/* ---- LRU ------------------------------------------------------------------------ */

static void test_cache_memory_get_set(void **state)
{
    (void)state;
    struct cache *c = memory_cache(0);
    assert_string_equal(cache_backend_name(c), "memory");
    assert_int_equal(cache_ping(c), 0);

    const char *keys[3] = {"spotify:v1:artist:a", "spotify:v1:artist:b", "spotify:v1:artist:c"};
    const char *vals[3] = {"{\"name\":\"A\"}", "{\"name\":\"B\"}", NULL}; /* NULL: skipped */
    assert_int_equal(cache_mset(c, keys, vals, 3, 60), 0);

    char *out[3] = {(char *)1, (char *)1, (char *)1}; /* garbage in: must be overwritten */
    assert_int_equal(cache_mget(c, keys, 3, out), 0);
    assert_string_equal(out[0], vals[0]);
    assert_string_equal(out[1], vals[1]);
    assert_null(out[2]);
    free_values(out, 3);

    /* Overwrite replaces the value. */
    set1(c, keys[0], "{\"name\":\"A2\"}", 60);
    assert_cached(c, keys[0], "{\"name\":\"A2\"}");

    /* n == 0 is a no-op. */
    assert_int_equal(cache_mget(c, keys, 0, out), 0);
    assert_int_equal(cache_mset(c, keys, vals, 0, 60), 0);

    struct cache_counters cnt;
    cache_counters_get(c, &cnt);
    assert_int_equal(cnt.hits, 3);
    assert_int_equal(cnt.misses, 1);
    assert_int_equal(cnt.errors, 0);
    assert_int_equal(cnt.reconnects, 0);
    cache_free(c);
    cache_free(NULL);
}

static void test_cache_memory_ttl_expiry(void **state)
{
    (void)state;
    struct fake_clock clk = {1000000};
    struct cache *c = memory_cache(0);
    cache_set_clock(c, fake_now, &clk);

    set1(c, "k1", "v1", 1);
    set1(c, "k2", "v2", 2);
    set1(c, "k0", "v0", 0); /* ttl <= 0 means 1 s */
    clk.now_ms += 999;
    assert_cached(c, "k1", "v1");
    assert_cached(c, "k0", "v0");
    clk.now_ms += 1; /* exactly 1 s later: expired */
    assert_cached(c, "k1", NULL);
    assert_cached(c, "k0", NULL);
    assert_cached(c, "k2", "v2");
    clk.now_ms += 1000;
    assert_cached(c, "k2", NULL);

    /* Re-setting an expired key works, with a fresh TTL. */
    set1(c, "k1", "v1b", 1);
    assert_cached(c, "k1", "v1b");

    struct cache_counters cnt;
    cache_counters_get(c, &cnt);
    assert_int_equal(cnt.hits, 4);
    assert_int_equal(cnt.misses, 3);
    cache_free(c);
}

/* Expired entries are evicted (and their bytes released) before live ones: with room
 * for exactly 2 entries, two expired entries must not push out a live one. */
static void test_cache_memory_expired_evicted_first(void **state)
{
    (void)state;
    struct fake_clock clk = {0};
    size_t sz = cache_memory_entry_size(2, 2);
    struct cache *c = memory_cache(2 * sz);
    cache_set_clock(c, fake_now, &clk);

    set1(c, "e1", "xx", 1);
    set1(c, "l1", "yy", 60);
    clk.now_ms = 5000; /* e1 expired, l1 live */
    set1(c, "l2", "zz", 60);
    assert_cached(c, "l1", "yy");
    assert_cached(c, "l2", "zz");
    assert_cached(c, "e1", NULL);
    cache_free(c);
}

static void test_cache_memory_eviction_order(void **state)
{
    (void)state;
    /* Equal-sized entries: the bound holds exactly three. */
    size_t sz = cache_memory_entry_size(2, 6);
    assert_true(sz > 8);
    struct cache *c = memory_cache(3 * sz);

    set1(c, "k1", "value1", 60);
    set1(c, "k2", "value2", 60);
    set1(c, "k3", "value3", 60);
    assert_cached(c, "k1", "value1"); /* recency now: k1 k3 k2 */
    set1(c, "k4", "value4", 60);      /* evicts k2 -> k4 k1 k3 */
    set1(c, "k5", "value5", 60);      /* evicts k3 -> k5 k4 k1 */

    /* One batch, so that checking does not itself reorder before all are read. */
    const char *keys[5] = {"k1", "k2", "k3", "k4", "k5"};
    char *out[5];
    assert_int_equal(cache_mget(c, keys, 5, out), 0);
    assert_string_equal(out[0], "value1");
    assert_null(out[1]);
    assert_null(out[2]);
    assert_string_equal(out[3], "value4");
    assert_string_equal(out[4], "value5");
    free_values(out, 5);
    /* recency after that batch: k5 k4 k1 */

    /* Replacing a value with a longer one counts the new size: "k4" grows by 7 bytes
     * and pushes out the least recent entry (k1). */
    set1(c, "k4", "value4-longer", 60);
    assert_cached(c, "k1", NULL);
    assert_cached(c, "k4", "value4-longer");
    assert_cached(c, "k5", "value5");
    cache_free(c);
}

static void test_cache_memory_large_values(void **state)
{
    (void)state;
    size_t big = 1024 * 1024;
    char *v = malloc(big + 1);
    assert_non_null(v);
    for (size_t i = 0; i < big; i++)
        v[i] = (char)('a' + i % 26);
    v[big] = '\0';

    struct cache *c = memory_cache(4 * 1024 * 1024);
    for (int i = 0; i < 10; i++)
        set1(c, "small", "s", 60);
    set1(c, "big1", v, 60);
    char *got = get1(c, "big1");
    assert_non_null(got);
    assert_int_equal(strlen(got), big);
    assert_memory_equal(got, v, big);
    free(got);

    /* 4 x 1 MiB + overhead > 4 MiB: the fourth big value evicts the oldest ones. */
    set1(c, "big2", v, 60);
    set1(c, "big3", v, 60);
    set1(c, "big4", v, 60);
    assert_cached(c, "small", NULL);
    char *b1 = get1(c, "big1"), *b4 = get1(c, "big4");
    assert_null(b1);
    assert_non_null(b4);
    free(b4);

    /* A value larger than the whole bound is not stored, and drops the old value. */
    struct cache *tiny = memory_cache(1000);
    set1(tiny, "k", "old", 60);
    set1(tiny, "k", v, 60);
    assert_cached(tiny, "k", NULL);
    set1(tiny, "other", "fits", 60);
    assert_cached(tiny, "other", "fits");
    cache_free(tiny);
    cache_free(c);
    free(v);
}

static void test_cache_memory_threads(void **state)
{
    (void)state;
    /* Small bound: roughly a third of the keys fit, so eviction runs all the time. */
    struct cache *c = memory_cache(HAMMER_KEYS / 3 * cache_memory_entry_size(24, 80));
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    unsigned long long lookups = hammer(c);
    clock_gettime(CLOCK_MONOTONIC, &t1);

    struct cache_counters cnt;
    cache_counters_get(c, &cnt);
    assert_int_equal(cnt.hits + cnt.misses, lookups);
    assert_true(cnt.hits > 0);
    assert_true(cnt.misses > 0);
    assert_int_equal(cnt.errors, 0);
    double ms = elapsed_ms(&t0, &t1);
    fprintf(stderr,
            "[ perf ] LRU: %d threads x %d calls (1-8 keys each) in %.1f ms = %.0f calls/s\n",
            HAMMER_THREADS, HAMMER_OPS, ms, HAMMER_THREADS * HAMMER_OPS / (ms / 1e3));
    cache_free(c);
}

static void test_cache_key_format(void **state)
{
    (void)state;
    char k[64];
    assert_int_equal(cache_key(k, sizeof k, "artist", "0OdUWJ0sBjDrqHygGUXeCF"), 0);
    assert_string_equal(k, "spotify:v1:artist:0OdUWJ0sBjDrqHygGUXeCF");
    char small[20];
    assert_int_equal(cache_key(small, sizeof small, "artist", "0OdUWJ0sBjDrqHygGUXeCF"),
                     ERR_VALIDATION);
    assert_int_equal(cache_key(k, sizeof k, "", "x"), ERR_VALIDATION);
    assert_int_equal(cache_key(k, sizeof k, "album", NULL), ERR_VALIDATION);
}

static void test_cache_redis_url_parse(void **state)
{
    (void)state;
    struct cache_redis_url u;

    assert_int_equal(cache_redis_url_parse("redis://127.0.0.1:6380/2", &u), 0);
    assert_string_equal(u.host, "127.0.0.1");
    assert_int_equal(u.port, 6380);
    assert_int_equal(u.db, 2);
    assert_null(u.user);
    assert_null(u.password);
    cache_redis_url_release(&u);

    assert_int_equal(cache_redis_url_parse("redis://cache.internal", &u), 0);
    assert_string_equal(u.host, "cache.internal");
    assert_int_equal(u.port, 6379);
    assert_int_equal(u.db, 0);
    cache_redis_url_release(&u);

    assert_int_equal(cache_redis_url_parse("redis://:p%40ss:w@h:1/", &u), 0);
    assert_string_equal(u.host, "h");
    assert_int_equal(u.port, 1);
    assert_null(u.user);
    assert_string_equal(u.password, "p@ss:w");
    cache_redis_url_release(&u);

    assert_int_equal(cache_redis_url_parse("redis://app:secret@[::1]:7000/15", &u), 0);
    assert_string_equal(u.host, "::1");
    assert_string_equal(u.user, "app");
    assert_string_equal(u.password, "secret");
    assert_int_equal(u.port, 7000);
    assert_int_equal(u.db, 15);
    cache_redis_url_release(&u);

    static const char *bad[] = {
        "http://h:1/0",   "redis://",        "redis://:6379",
        "redis://h:0",    "redis://h:65536", "redis://h:12x",
        "redis://h/abc",  "redis://h/-1",    "redis://h:1/0?timeout=1",
        "redis://user@h", "redis://:@h",     "redis://:%zz@h",
        "redis://:%00@h", "redis://[::1",    "redis://[::1]x",
        "redis://h:",     "rediss://h",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int rc = cache_redis_url_parse(bad[i], &u);
        if (rc != ERR_VALIDATION)
            fail_msg("accepted %s (rc %d)", bad[i], rc);
        assert_null(u.host);
    }

    struct cache *c = NULL;
    struct cache_opts opts = {"redis://h:notaport", 0, 0};
    assert_int_equal(cache_new(&opts, &c), ERR_VALIDATION);
    assert_null(c);
}

int main(void)
{
    const struct CMUnitTest memory_tests[] = {
        cmocka_unit_test(test_cache_memory_get_set),
        cmocka_unit_test(test_cache_memory_ttl_expiry),
        cmocka_unit_test(test_cache_memory_expired_evicted_first),
        cmocka_unit_test(test_cache_memory_eviction_order),
        cmocka_unit_test(test_cache_memory_large_values),
        cmocka_unit_test(test_cache_memory_threads),
        cmocka_unit_test(test_cache_key_format),
        cmocka_unit_test(test_cache_redis_url_parse),
    };
    return cmocka_run_group_tests_name("cache_memory", memory_tests, NULL, NULL);
}
