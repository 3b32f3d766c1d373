/* The registry of sync watchers: a small hash table of doubly linked lists under one
 * mutex (a notification walks one bucket). */
#include "services/sync/sync_watch.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/app_err.h"

#define WATCH_BUCKETS 256

struct sync_watch {
    pthread_mutex_t mu;
    struct sync_watcher *buckets[WATCH_BUCKETS];
    size_t n;
};

static size_t bucket_of(const char *id)
{
    uint32_t h = 2166136261u; /* FNV-1a */
    for (const unsigned char *p = (const unsigned char *)id; *p; p++)
        h = (h ^ *p) * 16777619u;
    return h % WATCH_BUCKETS;
}

int sync_watch_service_new(struct sync_watch **out)
{
    struct sync_watch *w = calloc(1, sizeof *w);
    *out = NULL;
    if (!w)
        return ERR_NOMEM;
    pthread_mutex_init(&w->mu, NULL);
    *out = w;
    return 0;
}

void sync_watch_service_free(struct sync_watch *w)
{
    if (!w)
        return;
    pthread_mutex_destroy(&w->mu);
    free(w);
}

void sync_watch_service_add(struct sync_watch *w, struct sync_watcher *wt, const char *event_id,
                            sync_watch_fn fn, void *ud)
{
    size_t len = strlen(event_id);
    memset(wt, 0, sizeof *wt);
    if (!w || len >= sizeof wt->event_id)
        return;
    memcpy(wt->event_id, event_id, len + 1);
    wt->fn = fn;
    wt->ud = ud;
    wt->bucket = bucket_of(event_id);
    pthread_mutex_lock(&w->mu);
    wt->next = w->buckets[wt->bucket];
    if (wt->next)
        wt->next->prev = wt;
    w->buckets[wt->bucket] = wt;
    wt->added = 1;
    w->n++;
    pthread_mutex_unlock(&w->mu);
}

void sync_watch_service_remove(struct sync_watch *w, struct sync_watcher *wt)
{
    if (!w)
        return;
    pthread_mutex_lock(&w->mu);
    if (wt->added) {
        if (wt->prev)
            wt->prev->next = wt->next;
        else
            w->buckets[wt->bucket] = wt->next;
        if (wt->next)
            wt->next->prev = wt->prev;
        wt->prev = wt->next = NULL;
        wt->added = 0;
        w->n--;
    }
    pthread_mutex_unlock(&w->mu);
}

void sync_watch_service_notify(struct sync_watch *w, const char *event_id)
{
    if (!w || !event_id)
        return;
    size_t b = bucket_of(event_id);
    pthread_mutex_lock(&w->mu);
    for (struct sync_watcher *wt = w->buckets[b]; wt; wt = wt->next)
        if (strcmp(wt->event_id, event_id) == 0)
            wt->fn(wt->ud);
    pthread_mutex_unlock(&w->mu);
}

size_t sync_watch_service_count(struct sync_watch *w)
{
    if (!w)
        return 0;
    pthread_mutex_lock(&w->mu);
    size_t n = w->n;
    pthread_mutex_unlock(&w->mu);
    return n;
}
