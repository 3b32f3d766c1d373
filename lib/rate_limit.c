/* Sliding-window rate limiter (see rate_limit.h). */
#include "lib/rate_limit.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "lib/app_err.h"

struct slot {
    char key[RATE_LIMIT_KEY_MAX]; /* "" = free */
    int64_t last_ms;              /* the newest allowed event */
    int head;                     /* index of the oldest kept time */
    int count;                    /* times kept (<= limit) */
};

struct rate_limit {
    int limit;
    int64_t window_ms;
    size_t nslots;
    struct slot *slots;
    int64_t *times; /* nslots * limit: the ring of slot i starts at i * limit */
    pthread_mutex_t mu;
};

int rate_limit_new(int limit, int64_t window_ms, size_t slots, struct rate_limit **out)
{
    struct rate_limit *rl;
    *out = NULL;
    if (limit < 1 || window_ms < 1 || slots < RATE_LIMIT_WAYS)
        return ERR_VALIDATION;
    slots = (slots + RATE_LIMIT_WAYS - 1) / RATE_LIMIT_WAYS * RATE_LIMIT_WAYS;
    if (!(rl = calloc(1, sizeof *rl)) || !(rl->slots = calloc(slots, sizeof *rl->slots)) ||
        !(rl->times = calloc(slots * (size_t)limit, sizeof *rl->times))) {
        if (rl)
            free(rl->slots);
        free(rl);
        return ERR_NOMEM;
    }
    rl->limit = limit;
    rl->window_ms = window_ms;
    rl->nslots = slots;
    pthread_mutex_init(&rl->mu, NULL);
    *out = rl;
    return 0;
}

void rate_limit_free(struct rate_limit *rl)
{
    if (!rl)
        return;
    pthread_mutex_destroy(&rl->mu);
    free(rl->times);
    free(rl->slots);
    free(rl);
}

int rate_limit_limit(const struct rate_limit *rl)
{
    return rl->limit;
}

static uint64_t hash_key(const char *s)
{
    uint64_t h = 1469598103934665603ULL; /* FNV-1a */
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return h;
}

/* The slot of key in its group: its own, else the least recently used one (a free
 * slot first; a slot whose events all left the window is older than any in use),
 * which is given to key. Under mu. */
static struct slot *find_slot(struct rate_limit *rl, const char *key)
{
    size_t group = (size_t)(hash_key(key) % (rl->nslots / RATE_LIMIT_WAYS)) * RATE_LIMIT_WAYS;
    struct slot *best = NULL;
    for (size_t i = group; i < group + RATE_LIMIT_WAYS; i++) {
        struct slot *s = &rl->slots[i];
        if (!s->key[0]) {
            if (!best || best->key[0])
                best = s;
        } else if (strcmp(s->key, key) == 0) {
            return s;
        } else if (!best || (best->key[0] && s->last_ms < best->last_ms)) {
            best = s;
        }
    }
    memset(best, 0, sizeof *best);
    memcpy(best->key, key, strlen(key) + 1); /* fits: the caller cut it */
    return best;
}

int rate_limit_take(struct rate_limit *rl, const char *key, int64_t now_ms, int *retry_after_s)
{
    char k[RATE_LIMIT_KEY_MAX];
    int rc = 0;

    *retry_after_s = 0;
    strncpy(k, key ? key : "", sizeof k - 1);
    k[sizeof k - 1] = '\0';
    if (!k[0])
        k[0] = '?', k[1] = '\0'; /* "" marks a free slot */
    pthread_mutex_lock(&rl->mu);
    struct slot *s = find_slot(rl, k);
    int64_t *ring = rl->times + (size_t)(s - rl->slots) * (size_t)rl->limit;
    if (s->count < rl->limit) {
        ring[(s->head + s->count) % rl->limit] = now_ms;
        s->count++;
    } else if (now_ms - ring[s->head] >= rl->window_ms) {
        ring[s->head] = now_ms; /* the oldest left the window: its place is taken */
        s->head = (s->head + 1) % rl->limit;
    } else {
        int64_t wait_ms = ring[s->head] + rl->window_ms - now_ms;
        *retry_after_s = (int)((wait_ms + 999) / 1000);
        rc = ERR_RATE_LIMITED;
    }
    if (rc == 0)
        s->last_ms = now_ms;
    pthread_mutex_unlock(&rl->mu);
    return rc;
}
