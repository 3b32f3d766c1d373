/* The one hash table (contract and the choice of it in hash.h). */
#include "lib/hash.h"

#include <stdlib.h>
#include <string.h>

#include "lib/app_err.h"
#include "lib/arena.h"

#define MIN_CAP 8

uint64_t hash_bytes(const void *p, size_t n, uint64_t seed)
{
    const unsigned char *s = p;
    uint64_t h = 0xcbf29ce484222325ULL ^ seed;
    for (size_t i = 0; i < n; i++) {
        h ^= s[i];
        h *= 0x100000001b3ULL;
    }
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ULL;
    h ^= h >> 33;
    return h;
}

uint64_t hash_str(const char *s)
{
    return hash_bytes(s, strlen(s), 0);
}

/* The smallest capacity that holds n entries at most 3/4 full; 0 on overflow. */
static size_t cap_for(size_t n)
{
    size_t cap = MIN_CAP;
    while (cap / 4 * 3 < n) {
        if (cap > SIZE_MAX / 2 / sizeof(struct hash_slot))
            return 0;
        cap *= 2;
    }
    return cap;
}

static struct hash_slot *slots_new(const struct hash *h, size_t cap)
{
    return h->arena ? arena_alloc(h->arena, cap * sizeof(struct hash_slot))
                    : calloc(cap, sizeof(struct hash_slot));
}

int hash_init(struct hash *h, size_t n, uint64_t seed, struct arena *a)
{
    size_t cap = cap_for(n);
    memset(h, 0, sizeof *h);
    h->seed = seed;
    h->arena = a;
    if (cap == 0 || !(h->slots = slots_new(h, cap)))
        return ERR_NOMEM;
    h->cap = cap;
    return 0;
}

void hash_release(struct hash *h)
{
    if (!h->arena)
        free(h->slots);
    h->slots = NULL;
    h->cap = h->count = 0;
}

/* The slot of key, or the empty slot where it would go. cap > 0. */
static struct hash_slot *probe(const struct hash *h, const void *key, size_t klen, uint64_t hv)
{
    size_t mask = h->cap - 1;
    for (size_t i = (size_t)hv & mask;; i = (i + 1) & mask) {
        struct hash_slot *s = &h->slots[i];
        if (!s->key || (s->hash == hv && s->klen == klen && memcmp(s->key, key, klen) == 0))
            return s;
    }
}

struct hash_slot *hash_find(const struct hash *h, const void *key, size_t klen)
{
    struct hash_slot *s;
    if (h->count == 0)
        return NULL;
    s = probe(h, key, klen, hash_bytes(key, klen, h->seed));
    return s->key ? s : NULL;
}

void *hash_get(const struct hash *h, const void *key, size_t klen)
{
    struct hash_slot *s = hash_find(h, key, klen);
    return s ? s->value : NULL;
}

/* Moves every entry into a table of twice the size (MIN_CAP for an empty one). */
static int grow(struct hash *h)
{
    size_t cap = h->cap ? h->cap * 2 : MIN_CAP;
    struct hash_slot *old = h->slots, *slots;
    size_t old_cap = h->cap;
    if (cap > SIZE_MAX / sizeof(struct hash_slot) || !(slots = slots_new(h, cap)))
        return ERR_NOMEM;
    h->slots = slots;
    h->cap = cap;
    for (size_t i = 0; i < old_cap; i++)
        if (old[i].key)
            *probe(h, old[i].key, old[i].klen, old[i].hash) = old[i];
    if (!h->arena)
        free(old);
    return 0;
}

struct hash_slot *hash_insert(struct hash *h, const void *key, size_t klen, bool *created)
{
    uint64_t hv = hash_bytes(key, klen, h->seed);
    struct hash_slot *s;
    *created = false;
    if (h->cap > 0 && (s = probe(h, key, klen, hv))->key)
        return s;
    if ((h->count + 1) > h->cap / 4 * 3 && grow(h) != 0)
        return NULL;
    s = probe(h, key, klen, hv);
    s->key = key;
    s->klen = klen;
    s->hash = hv;
    s->value = NULL;
    h->count++;
    *created = true;
    return s;
}

void *hash_remove(struct hash *h, const void *key, size_t klen)
{
    struct hash_slot *s = hash_find(h, key, klen);
    size_t mask = h->cap - 1, i, j;
    void *value;
    if (!s)
        return NULL;
    value = s->value;
    /* Backward shift: move later entries of the run into the hole when their home slot
     * does not lie cyclically in (hole, their slot], so every probe still finds them. */
    i = (size_t)(s - h->slots);
    for (j = (i + 1) & mask; h->slots[j].key; j = (j + 1) & mask) {
        size_t home = (size_t)h->slots[j].hash & mask;
        bool stays = i <= j ? (i < home && home <= j) : (i < home || home <= j);
        if (!stays) {
            h->slots[i] = h->slots[j];
            i = j;
        }
    }
    memset(&h->slots[i], 0, sizeof h->slots[i]);
    h->count--;
    return value;
}

struct hash_slot *hash_next(const struct hash *h, size_t *pos)
{
    for (; *pos < h->cap; (*pos)++)
        if (h->slots[*pos].key)
            return &h->slots[(*pos)++];
    return NULL;
}
