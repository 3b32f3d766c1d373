/* The metadata cache: picks a backend at cache_new() and forwards to it.
 * The backends live in cache_lru.c and cache_redis.c. */
#include "services/cache/cache.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/app_err.h"
#include "lib/util.h"
#include "services/cache/cache_internal.h"

struct cache {
    struct cache_redis *redis; /* exactly one of redis and lru is set */
    struct cache_lru *lru;
    struct cache_stats stats;
    struct cache_clock clock;
};

int64_t cache_clock_now(const struct cache_clock *clk)
{
    if (clk != NULL && clk->now_ms != NULL)
        return clk->now_ms(clk->arg);
    return util_now_ms();
}

int cache_new(const struct cache_opts *opts, struct cache **out)
{
    struct cache *c = NULL;
    int rc = ERR_NOMEM;

    assert(out != NULL);
    *out = NULL;
    c = calloc(1, sizeof *c);
    if (c == NULL)
        goto done;
    atomic_init(&c->stats.hits, 0);
    atomic_init(&c->stats.misses, 0);
    atomic_init(&c->stats.errors, 0);
    atomic_init(&c->stats.reconnects, 0);

    int timeout_ms =
        opts != NULL && opts->timeout_ms > 0 ? opts->timeout_ms : CACHE_DEFAULT_TIMEOUT_MS;
    size_t max_bytes = opts != NULL && opts->memory_max_bytes > 0 ? opts->memory_max_bytes
                                                                  : CACHE_DEFAULT_MEMORY_MAX_BYTES;
    if (opts != NULL && opts->redis_url != NULL && opts->redis_url[0] != '\0')
        rc = cache_redis_new(opts->redis_url, timeout_ms, &c->stats, &c->clock, &c->redis);
    else
        rc = cache_lru_new(max_bytes, &c->stats, &c->clock, &c->lru);
    if (rc != 0)
        goto done;
    *out = c;
    c = NULL;
done:
    cache_free(c);
    return rc;
}

void cache_free(struct cache *c)
{
    if (c == NULL)
        return;
    cache_redis_free(c->redis);
    cache_lru_free(c->lru);
    free(c);
}

int cache_mget(struct cache *c, const char *const *keys, size_t n, char **values)
{
    assert(c != NULL);
    assert(n == 0 || (keys != NULL && values != NULL));
    for (size_t i = 0; i < n; i++)
        values[i] = NULL;
    if (n == 0)
        return 0;
    if (c->redis != NULL)
        return cache_redis_mget(c->redis, keys, n, values);
    return cache_lru_mget(c->lru, keys, n, values);
}

int cache_mset(struct cache *c, const char *const *keys, const char *const *values, size_t n,
               int ttl_seconds)
{
    assert(c != NULL);
    assert(n == 0 || (keys != NULL && values != NULL));
    if (n == 0)
        return 0;
    if (ttl_seconds <= 0)
        ttl_seconds = 1;
    if (c->redis != NULL)
        return cache_redis_mset(c->redis, keys, values, n, ttl_seconds);
    return cache_lru_mset(c->lru, keys, values, n, ttl_seconds);
}

int cache_ping(struct cache *c)
{
    assert(c != NULL);
    if (c->redis != NULL)
        return cache_redis_ping(c->redis);
    return 0;
}

void cache_counters_get(struct cache *c, struct cache_counters *out)
{
    assert(c != NULL && out != NULL);
    out->hits = atomic_load_explicit(&c->stats.hits, memory_order_relaxed);
    out->misses = atomic_load_explicit(&c->stats.misses, memory_order_relaxed);
    out->errors = atomic_load_explicit(&c->stats.errors, memory_order_relaxed);
    out->reconnects = atomic_load_explicit(&c->stats.reconnects, memory_order_relaxed);
}

const char *cache_backend_name(const struct cache *c)
{
    assert(c != NULL);
    return c->redis != NULL ? "redis" : "memory";
}

int cache_key(char *out, size_t outlen, const char *kind, const char *id)
{
    if (out == NULL || outlen == 0 || kind == NULL || id == NULL || kind[0] == '\0' ||
        id[0] == '\0')
        return ERR_VALIDATION;
    int n = snprintf(out, outlen, "spotify:v1:%s:%s", kind, id);
    if (n < 0 || (size_t)n >= outlen) {
        out[0] = '\0';
        return ERR_VALIDATION;
    }
    return 0;
}

void cache_set_clock(struct cache *c, cache_clock_fn now_ms, void *arg)
{
    assert(c != NULL);
    c->clock.now_ms = now_ms;
    c->clock.arg = arg;
}
