#ifndef PLAYROUTER_SESSION_CACHE_H
#define PLAYROUTER_SESSION_CACHE_H
/* A small bounded cache of sessions already verified (signature, claims, not revoked,
 * user exists), so that the next requests with the same token skip that work for a
 * short time (docs/auth.md, "Session cache").
 *
 * Keys are SHA-256 digests (session_service hashes the secret and the token; the token
 * itself is never stored). An entry answers only inside its validity window [from,
 * until], which the caller sets from the token's claims and the cache lifetime.
 *
 * Revocation is by generation: session_cache_invalidate() bumps the generation and every
 * entry made before it becomes a miss at once. A caller that checks the database must
 * read the generation first (session_cache_generation) and hand it to session_cache_put:
 * a put whose generation is no longer current is dropped, so a session checked before a
 * concurrent logout finished can never be stored after it.
 *
 * Thread-safe (a reader-writer lock: hits only read). The cache is per process: a
 * logout in another process sharing the database is seen when the entry runs out. */
#include <stddef.h>
#include <stdint.h>

#include "services/auth/session_service.h"

#define SESSION_CACHE_KEY_LEN 32

struct session_cache;

/* A cache of at most `capacity` (>= 1) sessions; when full, the oldest entry makes
 * room. 0, ERR_VALIDATION (capacity 0), or ERR_NOMEM. Caller frees with
 * session_cache_free(). */
int session_cache_new(size_t capacity, struct session_cache **out);
void session_cache_free(struct session_cache *c); /* NULL ok */

/* The current generation; read it before the checks whose result will be put. */
uint64_t session_cache_generation(struct session_cache *c);

/* 0 and *claims when key is cached, of the current generation, and from <= now <=
 * until; else ERR_NOT_FOUND (claims untouched). */
int session_cache_get(struct session_cache *c, const unsigned char key[SESSION_CACHE_KEY_LEN],
                      int64_t now, struct session_claims *claims);

/* Stores (or replaces) key -> *claims, answering while from <= now <= until, unless
 * `generation` is no longer current (then nothing is stored). */
void session_cache_put(struct session_cache *c, const unsigned char key[SESSION_CACHE_KEY_LEN],
                       const struct session_claims *claims, int64_t from, int64_t until,
                       uint64_t generation);

/* Every entry becomes a miss (logout, a deleted user). */
void session_cache_invalidate(struct session_cache *c);

/* Entries stored (including ones no longer answered); for tests. */
size_t session_cache_count(struct session_cache *c);

#endif
