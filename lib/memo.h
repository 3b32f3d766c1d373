#ifndef PLAYROUTER_MEMO_H
#define PLAYROUTER_MEMO_H
/* A bounded, thread-safe memo of texts that cost more to make than to look up: the
 * answers that clients poll for (sync-status while and after a sync).
 *
 * An entry is found by a short key (an event id) and answers only while the source it
 * was made from (every byte the text depends on) is exactly the caller's: a changed
 * source is a miss, never a stale text. One entry per key (a put replaces it); at most
 * max_entries entries and max_bytes bytes of key + source + text, the oldest leaving
 * first. A memo lives as long as its owner (struct app); every call takes its mutex. */
#include <stddef.h>

struct arena;
struct memo;

/* 0, ERR_VALIDATION (max_entries 0) or ERR_NOMEM; caller frees with memo_free(). */
int memo_new(size_t max_entries, size_t max_bytes, struct memo **out);
void memo_free(struct memo *m); /* NULL ok */

/* The text stored under key for exactly this source, copied into arena `a`; NULL when
 * there is none, it was made from another source, m is NULL, or out of memory. */
const char *memo_get(struct memo *m, const void *key, size_t klen, const void *src, size_t slen,
                     struct arena *a);

/* Stores text under key for source src, replacing what key held. Does nothing when m is
 * NULL, when the entry alone would exceed max_bytes, or when out of memory. */
void memo_put(struct memo *m, const void *key, size_t klen, const void *src, size_t slen,
              const char *text);

/* Entries held; for tests. */
size_t memo_count(struct memo *m);

#endif
