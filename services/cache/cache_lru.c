/* In-process LRU backend of the metadata cache: a chained hash map for lookups and a
 * doubly linked list for recency (head = most recently used), both under one mutex.
 * Memory is bounded in bytes, counted per entry by cache_memory_entry_size(). */
#include <assert.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/app_err.h"
#include "lib/util.h"
#include "services/cache/cache_internal.h"

#define LRU_INITIAL_BUCKETS 64
/* How many expired entries a write removes from the cold end of the list, so that
 * entries nobody asks for again do not sit there until memory pressure evicts them. */
#define LRU_EXPIRED_SWEEP 4

struct lru_entry {
    struct lru_entry *hnext;       /* next in the hash bucket */
    struct lru_entry *prev, *next; /* recency list */
    uint64_t hash;
    int64_t expires_ms; /* expired when now >= expires_ms */
    size_t klen, vlen;
    char data[]; /* key, NUL, value, NUL */
};

struct cache_lru {
    pthread_mutex_t mu;
    struct lru_entry **buckets; /* nbuckets slots, a power of two */
    size_t nbuckets;
    size_t count;
    struct lru_entry *head, *tail; /* most / least recently used */
    size_t used_bytes, max_bytes;
    uint64_t seed;                   /* random per cache: keys are partly chosen by outsiders */
    struct cache_stats *stats;       /* borrowed from struct cache */
    const struct cache_clock *clock; /* borrowed from struct cache */
};

size_t cache_memory_entry_size(size_t key_len, size_t value_len)
{
    /* Header, the two NUL terminators, and one bucket slot (the table is kept at a
     * load factor of at most 1, so about one pointer per entry). */
    size_t overhead = sizeof(struct lru_entry) + 2 + sizeof(struct lru_entry *);
    if (key_len > SIZE_MAX - overhead || value_len > SIZE_MAX - overhead - key_len)
        return SIZE_MAX;
    return overhead + key_len + value_len;
}

static size_t entry_size(const struct lru_entry *e)
{
    return cache_memory_entry_size(e->klen, e->vlen);
}

/* FNV-1a over the key, seeded, with a murmur3 finaliser so that the low bits used to
 * pick a bucket depend on every byte. */
static uint64_t key_hash(const struct cache_lru *lru, const char *key, size_t klen)
{
    uint64_t h = 0xcbf29ce484222325ULL ^ lru->seed;
    for (size_t i = 0; i < klen; i++) {
        h ^= (unsigned char)key[i];
        h *= 0x100000001b3ULL;
    }
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ULL;
    h ^= h >> 33;
    return h;
}

static struct lru_entry *lru_find(const struct cache_lru *lru, const char *key, size_t klen,
                                  uint64_t hash)
{
    for (struct lru_entry *e = lru->buckets[hash & (lru->nbuckets - 1)]; e != NULL; e = e->hnext)
        if (e->hash == hash && e->klen == klen && memcmp(e->data, key, klen) == 0)
            return e;
    return NULL;
}

static void list_unlink(struct cache_lru *lru, struct lru_entry *e)
{
    if (e->prev != NULL)
        e->prev->next = e->next;
    else
        lru->head = e->next;
    if (e->next != NULL)
        e->next->prev = e->prev;
    else
        lru->tail = e->prev;
    e->prev = e->next = NULL;
}

static void list_push_head(struct cache_lru *lru, struct lru_entry *e)
{
    e->prev = NULL;
    e->next = lru->head;
    if (lru->head != NULL)
        lru->head->prev = e;
    lru->head = e;
    if (lru->tail == NULL)
        lru->tail = e;
}

/* Unlinks e from both structures, updates the accounting and frees it. */
static void lru_remove(struct cache_lru *lru, struct lru_entry *e)
{
    struct lru_entry **link = &lru->buckets[e->hash & (lru->nbuckets - 1)];
    while (*link != e) {
        assert(*link != NULL);
        link = &(*link)->hnext;
    }
    *link = e->hnext;
    list_unlink(lru, e);
    assert(lru->used_bytes >= entry_size(e) && lru->count > 0);
    lru->used_bytes -= entry_size(e);
    lru->count--;
    free(e);
}

/* Doubles the table; on allocation failure the old table stays (longer chains only). */
static void lru_grow(struct cache_lru *lru)
{
    if (lru->nbuckets > SIZE_MAX / 2 / sizeof(struct lru_entry *))
        return;
    size_t nb = lru->nbuckets * 2;
    struct lru_entry **b = calloc(nb, sizeof *b);
    if (b == NULL)
        return;
    for (size_t i = 0; i < lru->nbuckets; i++) {
        struct lru_entry *e = lru->buckets[i];
        while (e != NULL) {
            struct lru_entry *next = e->hnext;
            e->hnext = b[e->hash & (nb - 1)];
            b[e->hash & (nb - 1)] = e;
            e = next;
        }
    }
    free(lru->buckets);
    lru->buckets = b;
    lru->nbuckets = nb;
}

int cache_lru_new(size_t max_bytes, struct cache_stats *stats, const struct cache_clock *clk,
                  struct cache_lru **out)
{
    struct cache_lru *lru = NULL;
    int rc = ERR_NOMEM;

    *out = NULL;
    lru = calloc(1, sizeof *lru);
    if (lru == NULL)
        goto done;
    lru->buckets = calloc(LRU_INITIAL_BUCKETS, sizeof *lru->buckets);
    if (lru->buckets == NULL)
        goto done;
    lru->nbuckets = LRU_INITIAL_BUCKETS;
    lru->max_bytes = max_bytes;
    lru->stats = stats;
    lru->clock = clk;
    if (util_random_bytes(&lru->seed, sizeof lru->seed) != 0)
        lru->seed = (uint64_t)util_now_ms() * 0x9e3779b97f4a7c15ULL; /* still works, less random */
    if (pthread_mutex_init(&lru->mu, NULL) != 0) {
        rc = ERR_INTERNAL;
        goto done;
    }
    *out = lru;
    lru = NULL;
    rc = 0;
done:
    if (lru != NULL) {
        free(lru->buckets);
        free(lru);
    }
    return rc;
}

void cache_lru_free(struct cache_lru *lru)
{
    if (lru == NULL)
        return;
    struct lru_entry *e = lru->head;
    while (e != NULL) {
        struct lru_entry *next = e->next;
        free(e);
        e = next;
    }
    free(lru->buckets);
    pthread_mutex_destroy(&lru->mu);
    free(lru);
}

int cache_lru_mget(struct cache_lru *lru, const char *const *keys, size_t n, char **values)
{
    unsigned long long hits = 0, misses = 0;
    bool oom = false;
    int64_t now = cache_clock_now(lru->clock);

    pthread_mutex_lock(&lru->mu);
    for (size_t i = 0; i < n; i++) {
        assert(keys[i] != NULL);
        size_t klen = strlen(keys[i]);
        uint64_t h = key_hash(lru, keys[i], klen);
        struct lru_entry *e = lru_find(lru, keys[i], klen, h);
        if (e != NULL && now >= e->expires_ms) {
            lru_remove(lru, e);
            e = NULL;
        }
        if (e == NULL) {
            misses++;
            continue;
        }
        hits++;
        if (e != lru->head) {
            list_unlink(lru, e);
            list_push_head(lru, e);
        }
        values[i] = malloc(e->vlen + 1);
        if (values[i] == NULL) {
            oom = true;
            break;
        }
        memcpy(values[i], e->data + e->klen + 1, e->vlen + 1);
    }
    pthread_mutex_unlock(&lru->mu);

    if (oom) {
        for (size_t i = 0; i < n; i++) {
            free(values[i]);
            values[i] = NULL;
        }
        return ERR_NOMEM;
    }
    cache_stats_add(&lru->stats->hits, hits);
    cache_stats_add(&lru->stats->misses, misses);
    return 0;
}

/* Inserts e (not yet linked) in place of any entry with the same key, then evicts
 * from the cold end until the bound holds again. Called with the mutex held. */
static void lru_insert(struct cache_lru *lru, struct lru_entry *e, int64_t now)
{
    struct lru_entry *old = lru_find(lru, e->data, e->klen, e->hash);
    if (old != NULL)
        lru_remove(lru, old);
    if (lru->count >= lru->nbuckets)
        lru_grow(lru);
    struct lru_entry **slot = &lru->buckets[e->hash & (lru->nbuckets - 1)];
    e->hnext = *slot;
    *slot = e;
    list_push_head(lru, e);
    lru->used_bytes += entry_size(e);
    lru->count++;

    for (int i = 0; i < LRU_EXPIRED_SWEEP && lru->tail != NULL && lru->tail != e &&
                    now >= lru->tail->expires_ms;
         i++)
        lru_remove(lru, lru->tail);
    while (lru->used_bytes > lru->max_bytes && lru->tail != e)
        lru_remove(lru, lru->tail);
}

/* Drops the entry under key, if any (a value too large to keep must not leave an
 * older value behind). */
static void lru_delete(struct cache_lru *lru, const char *key, size_t klen)
{
    uint64_t h = key_hash(lru, key, klen);
    pthread_mutex_lock(&lru->mu);
    struct lru_entry *e = lru_find(lru, key, klen, h);
    if (e != NULL)
        lru_remove(lru, e);
    pthread_mutex_unlock(&lru->mu);
}

int cache_lru_mset(struct cache_lru *lru, const char *const *keys, const char *const *values,
                   size_t n, int ttl_seconds)
{
    int64_t now = cache_clock_now(lru->clock);
    int64_t expires = now + (int64_t)ttl_seconds * 1000;

    for (size_t i = 0; i < n; i++) {
        assert(keys[i] != NULL);
        if (values[i] == NULL)
            continue;
        size_t klen = strlen(keys[i]), vlen = strlen(values[i]);
        size_t size = cache_memory_entry_size(klen, vlen);
        if (size > lru->max_bytes) {
            lru_delete(lru, keys[i], klen);
            continue;
        }
        /* Built outside the lock: other threads only wait for the linking. */
        struct lru_entry *e = malloc(sizeof *e + klen + vlen + 2);
        if (e == NULL) {
            lru_delete(lru, keys[i], klen); /* never leave a stale value behind */
            continue;
        }
        memcpy(e->data, keys[i], klen + 1);
        memcpy(e->data + klen + 1, values[i], vlen + 1);
        e->klen = klen;
        e->vlen = vlen;
        e->hash = key_hash(lru, keys[i], klen);
        e->expires_ms = expires;
        e->hnext = e->prev = e->next = NULL;

        pthread_mutex_lock(&lru->mu);
        lru_insert(lru, e, now);
        pthread_mutex_unlock(&lru->mu);
    }
    return 0;
}
