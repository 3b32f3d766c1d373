#ifndef PLAYROUTER_RATE_LIMIT_H
#define PLAYROUTER_RATE_LIMIT_H
/* A per-key sliding-window limiter with bounded memory (the sign-in limit of API.md:
 * at most N requests a minute from one client address).
 *
 * Exact: a key keeps the times of its last `limit` allowed events, and an event is
 * allowed when fewer than `limit` of them lie in the last `window_ms`. Refused events
 * are not counted (a client that waits is let in on time, however hard it pushed).
 *
 * Bounded: at most `slots` keys are remembered, in a set-associative table (a key
 * hashes to a group of RATE_LIMIT_WAYS slots; a new key takes the least recently
 * used slot of its group: a free one first, and one whose events all left the window
 * is older than any still in use; the key it held is forgotten). Memory: slots * (limit * 8 + 80) bytes, allocated
 * once. Forgetting a key can only let that key in early; it takes more than `slots`
 * addresses active within one window.
 *
 * Thread-safe (one mutex). */
#include <stddef.h>
#include <stdint.h>

#define RATE_LIMIT_WAYS 8
#define RATE_LIMIT_KEY_MAX 64 /* longer keys are cut (an IPv6 address text is <= 45) */

struct rate_limit;

/* limit >= 1 events per window_ms >= 1, slots >= RATE_LIMIT_WAYS (rounded up to a
 * multiple of it). 0, or ERR_NOMEM / ERR_VALIDATION (bad arguments). Caller frees
 * with rate_limit_free(). */
int rate_limit_new(int limit, int64_t window_ms, size_t slots, struct rate_limit **out);
void rate_limit_free(struct rate_limit *rl); /* NULL ok */

/* The limit it was made with. */
int rate_limit_limit(const struct rate_limit *rl);

/* Counts one event of `key` at now_ms (a monotonic clock). 0 when allowed;
 * ERR_RATE_LIMITED when `limit` events of key lie in the window ending now, with
 * *retry_after_s = whole seconds (>= 1) until the next one is allowed. */
int rate_limit_take(struct rate_limit *rl, const char *key, int64_t now_ms, int *retry_after_s);

#endif
