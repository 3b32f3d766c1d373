#ifndef PLAYROUTER_HASH_H
#define PLAYROUTER_HASH_H
/* The one hash table of the tree, and the one string hash.
 *
 * A table maps keys (byte strings, borrowed from the caller) to values (void *): open
 * addressing with linear probing, kept at most 3/4 full, deletion by backward shift (no
 * tombstones). Every module that looks things up by a string uses it: the statement
 * cache, the metadata LRU, the verified-session cache, the Spotify session table, the
 * write planner, a sync's de-duplication, the target computation and the metrics index.
 *
 * Why ours and not uthash (Debian's uthash-dev, header-only): an allocation failure must
 * come back to the caller as ERR_NOMEM (uthash calls exit() unless each file defines
 * its non-fatal hook, which still cannot return a status from the middle of a macro);
 * some tables take their memory from a request's arena, and some must never allocate
 * after set-up (the session cache inserts under its lock, from a function that cannot
 * fail), which a table sized up front and fed by the caller's allocator gives directly;
 * keys stay the caller's bytes, with no 56-byte handle embedded in every element.
 * The whole table is below: about 150 lines, tested by tests/test_hash.c.
 *
 * Not thread-safe: a table shared between threads is guarded by its owner's lock
 * (lookups only read, so a reader-writer lock may let them run together).
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct arena;

/* 64-bit hash of n bytes: FNV-1a, then a murmur3 finaliser so that the low bits (the
 * ones a table uses) depend on every byte. `seed` varies it per table (a random seed
 * keeps keys that outsiders choose from being crafted to collide). */
uint64_t hash_bytes(const void *p, size_t n, uint64_t seed);
/* hash_bytes(s, strlen(s), 0). */
uint64_t hash_str(const char *s);

struct hash_slot {
    const void *key; /* NULL = empty; borrowed: must stay valid while the entry is in */
    size_t klen;
    uint64_t hash;
    void *value;
};

struct hash {
    struct hash_slot *slots; /* cap slots (a power of two), or NULL while cap is 0 */
    size_t cap, count;
    uint64_t seed;
    struct arena *arena; /* where slots come from; NULL = the heap */
};

/* An empty table (no memory yet) taking its slots from the heap. */
#define HASH_INIT {NULL, 0, 0, 0, NULL}

/* Makes *h an empty table with room for n entries: inserting up to n keys then never
 * allocates (so never fails). `seed` as for hash_bytes. With an arena, the slots (and
 * any later growth) come from it and hash_release() frees nothing. 0 or ERR_NOMEM. */
int hash_init(struct hash *h, size_t n, uint64_t seed, struct arena *a);
/* Frees the slots (heap tables); the keys and values are the caller's. The table is
 * then empty and may be used again. */
void hash_release(struct hash *h);

/* The slot holding key, or NULL. The slot stays valid until the next insert or remove. */
struct hash_slot *hash_find(const struct hash *h, const void *key, size_t klen);
/* The value stored under key, or NULL when absent (store no NULL values to tell them
 * apart, or use hash_find). */
void *hash_get(const struct hash *h, const void *key, size_t klen);
/* The slot of key: the existing one (*created = false), or a new one holding key with
 * value NULL (*created = true) for the caller to fill. NULL when the table had to grow
 * and could not (out of memory; nothing changed). */
struct hash_slot *hash_insert(struct hash *h, const void *key, size_t klen, bool *created);
/* Takes key out; returns its value, or NULL when it was absent. Never allocates. */
void *hash_remove(struct hash *h, const void *key, size_t klen);

/* Iteration: pos starts at 0; each call returns the next used slot, or NULL at the end.
 * The table must not change during an iteration. */
struct hash_slot *hash_next(const struct hash *h, size_t *pos);

#endif
