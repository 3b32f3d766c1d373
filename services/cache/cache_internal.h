#ifndef PLAYROUTER_SERVICES_CACHE_INTERNAL_H
#define PLAYROUTER_SERVICES_CACHE_INTERNAL_H
/* Shared between services/cache.c (the front door) and its two backends,
 * services/cache_lru.c and services/cache_redis.c. Not for other modules. */
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "services/cache/cache.h"

/* Counters owned by struct cache, updated by the backends without a lock. */
struct cache_stats {
    atomic_ullong hits, misses, errors, reconnects;
};

static inline void cache_stats_add(atomic_ullong *counter, unsigned long long n)
{
    atomic_fetch_add_explicit(counter, n, memory_order_relaxed);
}

/* The clock of a cache (owned by struct cache; the backends borrow it). The function
 * pointer is set before the cache is shared, so it is read without a lock. */
struct cache_clock {
    cache_clock_fn now_ms; /* NULL = util_now_ms() */
    void *arg;
};

int64_t cache_clock_now(const struct cache_clock *clk);

/* In-process LRU (services/cache_lru.c). Same contracts as cache_mget/cache_mset. */
struct cache_lru;
int cache_lru_new(size_t max_bytes, struct cache_stats *stats, const struct cache_clock *clk,
                  struct cache_lru **out);
void cache_lru_free(struct cache_lru *lru);
int cache_lru_mget(struct cache_lru *lru, const char *const *keys, size_t n, char **values);
int cache_lru_mset(struct cache_lru *lru, const char *const *keys, const char *const *values,
                   size_t n, int ttl_seconds);

/* Redis (services/cache_redis.c). Same contracts as cache_mget/cache_mset/cache_ping. */
struct cache_redis;
int cache_redis_new(const char *url, int timeout_ms, struct cache_stats *stats,
                    const struct cache_clock *clk, struct cache_redis **out);
void cache_redis_free(struct cache_redis *r);
int cache_redis_mget(struct cache_redis *r, const char *const *keys, size_t n, char **values);
int cache_redis_mset(struct cache_redis *r, const char *const *keys, const char *const *values,
                     size_t n, int ttl_seconds);
int cache_redis_ping(struct cache_redis *r);

/* A parsed "redis://[[user]:password@]host[:port][/db]" URL (strings malloc'd;
 * release with cache_redis_url_release()). Exposed for the tests. */
struct cache_redis_url {
    char *host;     /* without IPv6 brackets */
    int port;       /* default 6379 */
    int db;         /* default 0 */
    char *user;     /* NULL when absent (AUTH password) */
    char *password; /* NULL when absent (no AUTH); percent-decoded */
};
/* 0, ERR_VALIDATION or ERR_NOMEM; on failure *out is left zeroed. */
int cache_redis_url_parse(const char *url, struct cache_redis_url *out);
void cache_redis_url_release(struct cache_redis_url *u);

#endif
