#ifndef PLAYROUTER_CANCEL_H
#define PLAYROUTER_CANCEL_H
/* "Should this work stop?": the question a long computation asks between its steps, so
 * that work nobody waits for any more (a preview whose client hung up) stops early.
 * The asker owns the struct; stop(ud) must be cheap and safe to call from the thread
 * doing the work. A NULL struct cancel * never asks to stop. Work that stops this way
 * returns ERR_UNAVAILABLE. */
#include <stdbool.h>
#include <stddef.h>

struct cancel {
    bool (*stop)(void *ud);
    void *ud;
};

static inline bool cancel_requested(const struct cancel *c)
{
    return c && c->stop && c->stop(c->ud);
}

#endif
