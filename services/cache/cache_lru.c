/* In-process LRU backend of the metadata cache: a hash table (lib/hash.h) for lookups
 * and a doubly linked list for recency (head = most recently used), both under one mutex.
 * Memory is bounded in bytes, counted per entry by cache_memory_entry_size(). */
#include <assert.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/app_err.h"
#include "lib/hash.h"
#include "lib/util.h"
#include "services/cache/cache_internal.h"

#define LRU_INITIAL_ENTRIES 64
/* How many expired entries a write removes from the cold end of the list, so that
 * entries nobody asks for again do not sit there until memory pressure evicts them. */
#define LRU_EXPIRED_SWEEP 4

struct lru_entry {
    struct lru_entry *prev, *next; /* recency list */
    int64_t expires_ms; /* expired when now >= expires_ms */
    size_t klen, vlen;
    char data[]; /* key, NUL, value, NUL */
};

struct cache_lru {
    pthread_mutex_t mu;
    struct hash index; /* key (in the entry) -> entry; seeded at random: keys are partly
                          chosen by outsiders */
    size_t count;
    struct lru_entry *head, *tail; /* most / least recently used */
    size_t used_bytes, max_bytes;
    struct cache_stats *stats;       /* borrowed from struct cache */
    const struct cache_clock *clock; /* borrowed from struct cache */
};

size_t cache_memory_entry_size(size_t key_len, size_t value_len)
{
    /* Header, the two NUL terminators, and two table slots (the table is kept between
     * 3/8 and 3/4 full, so about two slots per entry). */
    size_t overhead = sizeof(struct lru_entry) + 2 + 2 * sizeof(struct hash_slot);
    if (key_len > SIZE_MAX - overhead || value_len > SIZE_MAX - overhead - key_len)
        return SIZE_MAX;
    return overhead + key_len + value_len;
}

static size_t entry_size(const struct lru_entry *e)
{
    return cache_memory_entry_size(e->klen, e->vlen);
}

static struct lru_entry *lru_find(const struct cache_lru *lru, const char *key, size_t klen)
{
    return hash_get(&lru->index, key, klen);
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
    void *found = hash_remove(&lru->index, e->data, e->klen);
    assert(found == e);
    (void)found;
    list_unlink(lru, e);
    assert(lru->used_bytes >= entry_size(e) && lru->count > 0);
    lru->used_bytes -= entry_size(e);
    lru->count--;
    free(e);
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
    uint64_t seed;
    if (util_random_bytes(&seed, sizeof seed) != 0)
        seed = (uint64_t)util_now_ms() * 0x9e3779b97f4a7c15ULL; /* still works, less random */
    if (hash_init(&lru->index, LRU_INITIAL_ENTRIES, seed, NULL) != 0)
        goto done;
    lru->max_bytes = max_bytes;
    lru->stats = stats;
    lru->clock = clk;
    if (pthread_mutex_init(&lru->mu, NULL) != 0) {
        rc = ERR_INTERNAL;
        goto done;
    }
    *out = lru;
    lru = NULL;
    rc = 0;
done:
    if (lru != NULL) {
        hash_release(&lru->index);
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
    hash_release(&lru->index);
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
        struct lru_entry *e = lru_find(lru, keys[i], klen);
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
 * from the cold end until the bound holds again. Called with the mutex held. When the
 * table cannot grow, e is freed and the key is left out (never a stale value). */
static void lru_insert(struct cache_lru *lru, struct lru_entry *e, int64_t now)
{
    struct lru_entry *old = lru_find(lru, e->data, e->klen);
    struct hash_slot *slot;
    bool created;
    if (old != NULL)
        lru_remove(lru, old);
    if (!(slot = hash_insert(&lru->index, e->data, e->klen, &created))) {
        free(e);
        return;
    }
    slot->value = e;
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
    pthread_mutex_lock(&lru->mu);
    struct lru_entry *e = lru_find(lru, key, klen);
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
        e->expires_ms = expires;
        e->prev = e->next = NULL;

        pthread_mutex_lock(&lru->mu);
        lru_insert(lru, e, now);
        pthread_mutex_unlock(&lru->mu);
    }
    return 0;
}
