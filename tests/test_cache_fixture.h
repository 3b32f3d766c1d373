/* Shared by tests/test_cache_memory.c and tests/test_cache_redis.c: one-key get/set
 * helpers and the multi-threaded hammer. static inline so that a file that uses only
 * some of them does not trip -Wunused-function. */
#ifndef PLAYROUTER_TEST_CACHE_FIXTURE_H
#define PLAYROUTER_TEST_CACHE_FIXTURE_H
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

#include "services/cache/cache.h"

static inline void set1(struct cache *c, const char *key, const char *value, int ttl)
{
    const char *k[1] = {key}, *v[1] = {value};
    assert_int_equal(cache_mset(c, k, v, 1, ttl), 0);
}

/* Returns the cached value (caller frees) or NULL. */
static inline char *get1(struct cache *c, const char *key)
{
    const char *k[1] = {key};
    char *v[1] = {NULL};
    assert_int_equal(cache_mget(c, k, 1, v), 0);
    return v[0];
}

static inline void assert_cached(struct cache *c, const char *key, const char *want)
{
    char *v = get1(c, key);
    if (want == NULL) {
        assert_null(v);
    } else {
        assert_non_null(v);
        assert_string_equal(v, want);
    }
    free(v);
}

static inline void free_values(char **v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(v[i]);
        v[i] = NULL;
    }
}

#define HAMMER_THREADS 8
#define HAMMER_OPS 20000
#define HAMMER_KEYS 512

struct hammer_arg {
    struct cache *c;
    unsigned seed;
    unsigned long long lookups;
    unsigned long long bad; /* values that do not belong to their key */
};

static inline void hammer_value(char *out, size_t len, unsigned k)
{
    snprintf(out, len, "value-of-%u-%0*u", k, (int)(k % 50), k);
}

static inline void *hammer_thread(void *p)
{
    struct hammer_arg *a = p;
    char keybuf[8][32], valbuf[8][128];
    const char *keys[8], *vals[8];
    char *out[8];

    for (int op = 0; op < HAMMER_OPS; op++) {
        size_t n = 1 + rand_r(&a->seed) % 8;
        unsigned ks[8];
        for (size_t i = 0; i < n; i++) {
            ks[i] = (unsigned)rand_r(&a->seed) % HAMMER_KEYS;
            snprintf(keybuf[i], sizeof keybuf[i], "spotify:v1:track:%u", ks[i]);
            hammer_value(valbuf[i], sizeof valbuf[i], ks[i]);
            keys[i] = keybuf[i];
            vals[i] = valbuf[i];
        }
        if (rand_r(&a->seed) % 3 == 0) {
            cache_mset(a->c, keys, vals, n, 1 + rand_r(&a->seed) % 3);
        } else {
            if (cache_mget(a->c, keys, n, out) != 0) {
                a->bad++;
                continue;
            }
            a->lookups += n;
            for (size_t i = 0; i < n; i++) {
                if (out[i] != NULL && strcmp(out[i], vals[i]) != 0)
                    a->bad++;
                free(out[i]);
            }
        }
    }
    return NULL;
}

/* Runs the hammer on c; returns total lookups, asserts no corrupted value. */
static inline unsigned long long hammer(struct cache *c)
{
    pthread_t th[HAMMER_THREADS];
    struct hammer_arg args[HAMMER_THREADS];
    unsigned long long lookups = 0;
    for (int i = 0; i < HAMMER_THREADS; i++) {
        args[i] = (struct hammer_arg){c, (unsigned)i * 7919u + 1, 0, 0};
        assert_int_equal(pthread_create(&th[i], NULL, hammer_thread, &args[i]), 0);
    }
    for (int i = 0; i < HAMMER_THREADS; i++) {
        pthread_join(th[i], NULL);
        assert_int_equal(args[i].bad, 0);
        lookups += args[i].lookups;
    }
    return lookups;
}

static inline double elapsed_ms(const struct timespec *a, const struct timespec *b)
{
    return (double)(b->tv_sec - a->tv_sec) * 1e3 + (double)(b->tv_nsec - a->tv_nsec) / 1e6;
}

#endif
