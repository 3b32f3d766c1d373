/* The request pacer of pacer.h: `rate` slots under one mutex, a FIFO of waiters. */
#include "lib/pacer.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <time.h>

#include "lib/util.h"

#define WAIT_STEP_MS 200 /* longest sleep between two looks at *stop */

struct slot {
    bool busy;         /* a request of ours is in flight on it */
    int64_t answer_ms; /* when its last request was answered (0 = never used) */
};

struct pacer {
    pthread_mutex_t mu;
    pthread_cond_t cv; /* CLOCK_MONOTONIC */
    int rate;
    int64_t window_ms;
    int64_t hold_until_ms;
    struct waiter *head, *tail; /* FIFO of waiting callers: the head is served first */
    struct slot *slots;
};

/* A caller waiting in pacer_acquire() (on its stack). */
struct waiter {
    struct waiter *next;
};

struct pacer *pacer_new(int rate, int window_ms)
{
    struct pacer *rl = calloc(1, sizeof *rl);
    pthread_condattr_t ca;
    if (!rl)
        return NULL;
    rl->rate = rate < 1 ? 1 : rate > PACER_MAX_RATE ? PACER_MAX_RATE : rate;
    rl->window_ms = window_ms < 1 ? 1 : window_ms > 3600000 ? 3600000 : window_ms;
    if (!(rl->slots = calloc((size_t)rl->rate, sizeof *rl->slots))) {
        free(rl);
        return NULL;
    }
    pthread_mutex_init(&rl->mu, NULL);
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&rl->cv, &ca);
    pthread_condattr_destroy(&ca);
    return rl;
}

void pacer_free(struct pacer *rl)
{
    if (!rl)
        return;
    pthread_cond_destroy(&rl->cv);
    pthread_mutex_destroy(&rl->mu);
    free(rl->slots);
    free(rl);
}

/* The slot usable at `now`, or -1; *ready_ms = the earliest time one of the free slots
 * (or the hold) allows a start (INT64_MAX when every slot is busy). Under rl->mu. */
static int usable_slot(const struct pacer *rl, int64_t now, int64_t *ready_ms)
{
    int64_t best = INT64_MAX;
    for (int i = 0; i < rl->rate; i++) {
        const struct slot *s = &rl->slots[i];
        if (s->busy)
            continue;
        int64_t at = s->answer_ms ? s->answer_ms + rl->window_ms : 0;
        if (at < rl->hold_until_ms)
            at = rl->hold_until_ms;
        if (at <= now)
            return i;
        if (at < best)
            best = at;
    }
    *ready_ms = best;
    return -1;
}

/* Waits on the condition variable until `until_ms` (monotonic), at most WAIT_STEP_MS. */
static void wait_until(struct pacer *rl, int64_t now, int64_t until_ms)
{
    int64_t d = until_ms - now;
    if (d > WAIT_STEP_MS)
        d = WAIT_STEP_MS;
    if (d < 1)
        d = 1;
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    ts.tv_sec += (time_t)(d / 1000);
    ts.tv_nsec += (long)(d % 1000) * 1000000L;
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
    }
    pthread_cond_timedwait(&rl->cv, &rl->mu, &ts);
}

/* Takes w out of the queue. Under rl->mu. */
static void unlink_waiter(struct pacer *rl, struct waiter *w)
{
    struct waiter **p = &rl->head, *prev = NULL;
    while (*p && *p != w) {
        prev = *p;
        p = &(*p)->next;
    }
    if (!*p)
        return;
    *p = w->next;
    if (rl->tail == w)
        rl->tail = prev;
}

int pacer_acquire(struct pacer *rl, const atomic_int *stop, int stop_at,
                         int64_t *waited_ms)
{
    int64_t t0 = util_now_ms();
    struct waiter me = {0};
    int slot = -1;

    pthread_mutex_lock(&rl->mu);
    if (rl->tail)
        rl->tail->next = &me;
    else
        rl->head = &me;
    rl->tail = &me;
    for (;;) {
        int64_t now = util_now_ms(), ready = INT64_MAX;
        if (stop && atomic_load(stop) >= (stop_at < 1 ? 1 : stop_at))
            break;
        if (rl->head == &me && (slot = usable_slot(rl, now, &ready)) >= 0)
            break;
        wait_until(rl, now, rl->head == &me ? ready : now + WAIT_STEP_MS);
    }
    if (slot >= 0)
        rl->slots[slot].busy = true;
    unlink_waiter(rl, &me); /* served or given up: the next waiter's turn */
    pthread_cond_broadcast(&rl->cv);
    pthread_mutex_unlock(&rl->mu);
    if (waited_ms)
        *waited_ms = util_now_ms() - t0;
    return slot;
}

void pacer_release(struct pacer *rl, int slot, int64_t answered_ms)
{
    if (slot < 0 || slot >= rl->rate)
        return;
    pthread_mutex_lock(&rl->mu);
    rl->slots[slot].busy = false;
    rl->slots[slot].answer_ms = answered_ms > 0 ? answered_ms : 1;
    pthread_cond_broadcast(&rl->cv);
    pthread_mutex_unlock(&rl->mu);
}

void pacer_hold(struct pacer *rl, int64_t until_ms)
{
    pthread_mutex_lock(&rl->mu);
    if (until_ms > rl->hold_until_ms)
        rl->hold_until_ms = until_ms;
    pthread_mutex_unlock(&rl->mu);
}
