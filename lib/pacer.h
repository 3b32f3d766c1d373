#ifndef PLAYROUTER_PACER_H
#define PLAYROUTER_PACER_H
/* A process-wide request pacer for a remote service that allows at most `rate` requests
 * in any window of `window_ms` (MusicBrainz: 1 per second). Thread-safe; one per process
 * and service (struct app holds MusicBrainz's), shared by every thread and every sync.
 *
 * How it keeps the promise whatever the network does. The pacer has `rate` slots.
 * A request may start only on a slot that is free (no request of ours in flight on it)
 * and whose previous request was ANSWERED at least window_ms ago; it holds the slot
 * until pacer_release() is called with the time its answer came back. Proof that
 * no window shorter than window_ms ever sees more than `rate` of our requests ARRIVE at
 * the service, whatever the delays: of rate + 1 requests, two used the same slot, and
 * the later one started after the earlier one's answer + window_ms, so it arrived at
 * least window_ms after the earlier one arrived (an answer comes after its arrival). The
 * price is the answer time of each request: at 1 per second and 300 ms answers, one
 * request every 1.3 s.
 *
 * Waiters are served in arrival order (a queue), so two syncs share the rate fairly.
 * pacer_hold() pauses every start until a given time (a 503's Retry-After). */
#include <stdatomic.h>
#include <stdint.h>

struct pacer;

#define PACER_MAX_RATE 1000

/* A pacer of `rate` requests (1..PACER_MAX_RATE, clamped) per window_ms
 * (> 0; clamped to 1..3600000). Caller frees with pacer_free(). NULL when out of
 * memory. */
struct pacer *pacer_new(int rate, int window_ms);
/* NULL is accepted. No call may be waiting in pacer_acquire(). */
void pacer_free(struct pacer *rl);

/* Waits for a slot. Returns the slot (>= 0) to hand back to pacer_release(), or -1
 * when *stop reached stop_at (< 1: 1) while waiting (checked at least every 200 ms; stop
 * may be NULL). *waited_ms (may be NULL) receives how long the call waited. */
int pacer_acquire(struct pacer *rl, const atomic_int *stop, int stop_at,
                         int64_t *waited_ms);
/* Gives back `slot` (from pacer_acquire) whose request was answered (or failed)
 * at answered_ms (util_now_ms(); the caller takes it right after the answer). */
void pacer_release(struct pacer *rl, int slot, int64_t answered_ms);
/* No request starts before until_ms (util_now_ms() clock); a later hold extends it,
 * an earlier one changes nothing. */
void pacer_hold(struct pacer *rl, int64_t until_ms);

#endif
