/* The verified-session cache (see session_cache.h for the contract). */
#include "services/auth/session_cache.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "lib/app_err.h"

#define NONE UINT32_MAX

struct entry {
    unsigned char key[SESSION_CACHE_KEY_LEN];
    struct session_claims claims;
    int64_t from, until;
    uint64_t generation;
    uint32_t next; /* next entry of the same bucket, or NONE */
};

struct session_cache {
    pthread_rwlock_t lock;            /* entries, buckets, count, oldest */
    atomic_uint_least64_t generation; /* bumped without the lock */
    size_t capacity, nbuckets;        /* nbuckets: a power of two >= 2 * capacity */
    size_t count;                     /* slots in use: 0..count-1 */
    size_t oldest;                    /* when full, the slot to reuse next (FIFO) */
    uint32_t *buckets;
    struct entry *entries;
};

/* Keys are digests: their first bytes are already uniformly spread. */
static size_t bucket_of(const struct session_cache *c, const unsigned char *key)
{
    uint64_t h;
    memcpy(&h, key, sizeof h);
    return (size_t)(h & (c->nbuckets - 1));
}

int session_cache_new(size_t capacity, struct session_cache **out)
{
    struct session_cache *c = NULL;
    *out = NULL;
    if (capacity == 0 || capacity >= NONE / 2)
        return ERR_VALIDATION;
    if (!(c = calloc(1, sizeof *c)))
        return ERR_NOMEM;
    c->capacity = capacity;
    for (c->nbuckets = 1; c->nbuckets < 2 * capacity; c->nbuckets *= 2)
        ;
    c->buckets = malloc(c->nbuckets * sizeof *c->buckets);
    c->entries = calloc(capacity, sizeof *c->entries);
    if (!c->buckets || !c->entries || pthread_rwlock_init(&c->lock, NULL) != 0) {
        free(c->buckets);
        free(c->entries);
        free(c);
        return ERR_NOMEM;
    }
    for (size_t i = 0; i < c->nbuckets; i++)
        c->buckets[i] = NONE;
    atomic_init(&c->generation, 1);
    *out = c;
    return 0;
}

void session_cache_free(struct session_cache *c)
{
    if (!c)
        return;
    pthread_rwlock_destroy(&c->lock);
    free(c->buckets);
    free(c->entries);
    free(c);
}

uint64_t session_cache_generation(struct session_cache *c)
{
    return atomic_load(&c->generation);
}

void session_cache_invalidate(struct session_cache *c)
{
    atomic_fetch_add(&c->generation, 1);
}

/* The slot holding key, or NONE. Under the lock (either mode). */
static uint32_t find(const struct session_cache *c, const unsigned char *key)
{
    for (uint32_t i = c->buckets[bucket_of(c, key)]; i != NONE; i = c->entries[i].next)
        if (memcmp(c->entries[i].key, key, SESSION_CACHE_KEY_LEN) == 0)
            return i;
    return NONE;
}

int session_cache_get(struct session_cache *c, const unsigned char key[SESSION_CACHE_KEY_LEN],
                      int64_t now, struct session_claims *claims)
{
    int rc = ERR_NOT_FOUND;
    uint64_t generation = atomic_load(&c->generation);
    pthread_rwlock_rdlock(&c->lock);
    uint32_t i = find(c, key);
    if (i != NONE) {
        const struct entry *e = &c->entries[i];
        if (e->generation == generation && e->from <= now && now <= e->until) {
            *claims = e->claims;
            rc = 0;
        }
    }
    pthread_rwlock_unlock(&c->lock);
    return rc;
}

/* Takes slot i out of its bucket's chain. Under the write lock. */
static void unlink_slot(struct session_cache *c, uint32_t i)
{
    uint32_t *link = &c->buckets[bucket_of(c, c->entries[i].key)];
    while (*link != NONE && *link != i)
        link = &c->entries[*link].next;
    if (*link == i)
        *link = c->entries[i].next;
}

void session_cache_put(struct session_cache *c, const unsigned char key[SESSION_CACHE_KEY_LEN],
                       const struct session_claims *claims, int64_t from, int64_t until,
                       uint64_t generation)
{
    pthread_rwlock_wrlock(&c->lock);
    /* Checked under the lock, but an invalidation may still come right after: the
     * entry then carries the old generation and is never answered. */
    if (generation != atomic_load(&c->generation))
        goto done;
    uint32_t i = find(c, key);
    if (i == NONE) {
        if (c->count < c->capacity) {
            i = (uint32_t)c->count++;
        } else {
            i = (uint32_t)c->oldest;
            c->oldest = (c->oldest + 1) % c->capacity;
            unlink_slot(c, i);
        }
        size_t b = bucket_of(c, key);
        memcpy(c->entries[i].key, key, SESSION_CACHE_KEY_LEN);
        c->entries[i].next = c->buckets[b];
        c->buckets[b] = i;
    }
    c->entries[i].claims = *claims;
    c->entries[i].from = from;
    c->entries[i].until = until;
    c->entries[i].generation = generation;
done:
    pthread_rwlock_unlock(&c->lock);
}

size_t session_cache_count(struct session_cache *c)
{
    pthread_rwlock_rdlock(&c->lock);
    size_t n = c->count;
    pthread_rwlock_unlock(&c->lock);
    return n;
}
