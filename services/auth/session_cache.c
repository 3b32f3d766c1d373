/* The verified-session cache (see session_cache.h for the contract). */
#include "services/auth/session_cache.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "lib/app_err.h"
#include "lib/hash.h"

struct entry {
    unsigned char key[SESSION_CACHE_KEY_LEN];
    struct session_claims claims;
    int64_t from, until;
    uint64_t generation;
};

struct session_cache {
    pthread_rwlock_t lock;            /* entries, index, count, oldest */
    atomic_uint_least64_t generation; /* bumped without the lock */
    size_t capacity;
    size_t count;        /* slots in use: 0..count-1 */
    size_t oldest;       /* when full, the slot to reuse next (FIFO) */
    struct hash index;   /* key -> its entry; sized for capacity: never allocates */
    struct entry *entries;
};

int session_cache_new(size_t capacity, struct session_cache **out)
{
    struct session_cache *c = NULL;
    *out = NULL;
    if (capacity == 0 || capacity > SIZE_MAX / 2 / sizeof(struct entry))
        return ERR_VALIDATION;
    if (!(c = calloc(1, sizeof *c)))
        return ERR_NOMEM;
    c->capacity = capacity;
    c->entries = calloc(capacity, sizeof *c->entries);
    if (!c->entries || hash_init(&c->index, capacity, 0, NULL) != 0 ||
        pthread_rwlock_init(&c->lock, NULL) != 0) {
        hash_release(&c->index);
        free(c->entries);
        free(c);
        return ERR_NOMEM;
    }
    atomic_init(&c->generation, 1);
    *out = c;
    return 0;
}

void session_cache_free(struct session_cache *c)
{
    if (!c)
        return;
    pthread_rwlock_destroy(&c->lock);
    hash_release(&c->index);
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

int session_cache_get(struct session_cache *c, const unsigned char key[SESSION_CACHE_KEY_LEN],
                      int64_t now, struct session_claims *claims)
{
    int rc = ERR_NOT_FOUND;
    uint64_t generation = atomic_load(&c->generation);
    pthread_rwlock_rdlock(&c->lock);
    const struct entry *e = hash_get(&c->index, key, SESSION_CACHE_KEY_LEN);
    if (e) {
        if (e->generation == generation && e->from <= now && now <= e->until) {
            *claims = e->claims;
            rc = 0;
        }
    }
    pthread_rwlock_unlock(&c->lock);
    return rc;
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
    struct entry *e = hash_get(&c->index, key, SESSION_CACHE_KEY_LEN);
    if (!e) {
        bool created;
        if (c->count < c->capacity) {
            e = &c->entries[c->count++];
        } else {
            e = &c->entries[c->oldest];
            c->oldest = (c->oldest + 1) % c->capacity;
            hash_remove(&c->index, e->key, SESSION_CACHE_KEY_LEN);
        }
        memcpy(e->key, key, SESSION_CACHE_KEY_LEN);
        /* At most `capacity` keys in a table sized for them: never fails. */
        hash_insert(&c->index, e->key, SESSION_CACHE_KEY_LEN, &created)->value = e;
    }
    e->claims = *claims;
    e->from = from;
    e->until = until;
    e->generation = generation;
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
