#ifndef PLAYROUTER_SERVICES_CACHE_H
#define PLAYROUTER_SERVICES_CACHE_H
/* Folder services/cache/: the metadata cache, Redis or an in-process LRU, behind one API
 * (cache.c; cache_redis.c, cache_redis_url.c, cache_lru.c). */

/* Metadata cache for Spotify artist/album/track objects (issue 6).
 *
 * Two backends behind one API:
 *   - "redis":  hiredis 0.14.1, a small pool of redisContexts behind a mutex;
 *               every command is bounded by timeout_ms; a dead connection is
 *               dropped and reconnected later with back-off (at most one attempt
 *               per second), never blocking a caller on reconnect attempts.
 *   - "memory": in-process LRU (hash map + doubly linked list), bounded in bytes
 *               (keys + values + per-entry overhead), TTL honoured.
 *
 * The cache is an optimisation only: a failing backend turns into misses (reads)
 * and skipped writes, never into an error for the caller.
 *
 * Thread-safety: one struct cache is shared by all threads; every function may be
 * called concurrently except cache_free(). */
#include <stddef.h>
#include <stdint.h>

struct cache; /* thread-safe: one object shared by all threads */

struct cache_opts {
    const char *redis_url;   /* "redis://host:port/db" (also "redis://:password@host:port/db");
                                NULL or "" = in-process LRU */
    int timeout_ms;          /* connect and command timeout for Redis; <= 0 means 50 */
    size_t memory_max_bytes; /* bound of the in-process LRU; 0 means 64 MiB */
};

#define CACHE_DEFAULT_TIMEOUT_MS 50
#define CACHE_DEFAULT_MEMORY_MAX_BYTES ((size_t)64 * 1024 * 1024)

/* Creates a cache. opts may be NULL (in-process LRU with defaults); opts->redis_url
 * is copied. *out receives the cache (caller frees with cache_free()).
 * Returns 0, ERR_VALIDATION for a malformed redis_url, ERR_NOMEM.
 * A Redis that is down at start is NOT an error: the cache starts degraded (every
 * lookup a miss) and reconnects later by itself. */
int cache_new(const struct cache_opts *opts, struct cache **out);

/* Frees the cache and closes its connections. NULL ok. No other call may be running. */
void cache_free(struct cache *c);

/* Looks up n keys in ONE round trip (MGET). keys are borrowed NUL-terminated strings.
 * values[i] receives a malloc'd NUL-terminated string (caller frees with free()) or
 * NULL on a miss. Backend down or slow -> every key is a miss, returns 0, logs once
 * (when it goes down, and once when it comes back).
 * Returns 0, or ERR_NOMEM (then every values[i] is NULL). n == 0 is a no-op. */
int cache_mget(struct cache *c, const char *const *keys, size_t n, char **values);

/* Stores n values with a TTL in seconds (ttl_seconds <= 0 is treated as 1),
 * pipelined (SET key value EX ttl) in one round trip. keys/values are borrowed
 * NUL-terminated strings, sent binary-safe (any byte but NUL round-trips); a NULL
 * values[i] is skipped. Backend down -> silently skipped. Returns 0.
 * In the LRU, a value whose entry alone exceeds memory_max_bytes is not stored
 * (and an older value under that key is dropped). */
int cache_mset(struct cache *c, const char *const *keys, const char *const *values, size_t n,
               int ttl_seconds);

/* For /readyz: 0 when the backend answers (always 0 for the LRU), else ERR_UNAVAILABLE.
 * Bounded by timeout_ms; never attempts a reconnect more often than the back-off allows. */
int cache_ping(struct cache *c);

/* Cumulative counters for /metrics.
 *   hits, misses: per key looked up (a down backend counts every key as a miss);
 *   errors:       failed backend operations (failed connects, NULL/error replies);
 *   reconnects:   successful connects that ended a degraded period (Redis was down
 *                 at start or went down later). Always 0 for the LRU. */
struct cache_counters {
    unsigned long long hits, misses, errors, reconnects;
};
void cache_counters_get(struct cache *c, struct cache_counters *out);

/* "redis" or "memory". */
const char *cache_backend_name(const struct cache *c);

/* Writes "spotify:v1:<kind>:<id>" into out. Returns 0, or ERR_VALIDATION when
 * kind/id is NULL or empty, or the key does not fit in outlen bytes. */
int cache_key(char *out, size_t outlen, const char *kind, const char *id);

/* Bytes one LRU entry counts against memory_max_bytes: key + value + fixed overhead.
 * Exposed so that callers and tests can size the bound exactly. */
size_t cache_memory_entry_size(size_t key_len, size_t value_len);

/* Test hook: replaces the clock used for TTLs and reconnect back-off (milliseconds,
 * monotonic). NULL restores the real clock. Call before the cache is shared. */
typedef int64_t (*cache_clock_fn)(void *arg);
void cache_set_clock(struct cache *c, cache_clock_fn now_ms, void *arg);

#endif
