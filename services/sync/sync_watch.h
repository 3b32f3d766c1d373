#ifndef PLAYROUTER_SYNC_WATCH_H
#define PLAYROUTER_SYNC_WATCH_H
/* Who follows which sync event (app->sync_watch): the notifier of the sync engine's
 * progress path. The engine calls sync_watch_service_notify() each time it writes an
 * event's progress or end (sync_run.c: step() and finish()); each watcher of that event
 * gets its callback (GET /api/sync-events/{id}/stream wakes its stream with it).
 *
 * Thread-safe. A watcher is caller-owned storage (no allocation: adding cannot fail);
 * callbacks run under the registry's lock, so they must be quick and must not call
 * back into the registry. After sync_watch_service_remove() returns, the watcher's
 * callback is not running and will not run again. */
#include <stddef.h>

#include "domain/sync_event.h"

struct sync_watch;

typedef void (*sync_watch_fn)(void *ud);

struct sync_watcher { /* members private to sync_watch.c */
    char event_id[SYNC_EVENT_ID_MAX];
    sync_watch_fn fn;
    void *ud;
    size_t bucket;
    struct sync_watcher *prev, *next;
    int added;
};

/* 0 or ERR_NOMEM. *out: caller frees with sync_watch_service_free() once no watcher is
 * left and no sync runs. */
int sync_watch_service_new(struct sync_watch **out);
void sync_watch_service_free(struct sync_watch *w); /* NULL ok */

/* Watches event `event_id` (shorter than SYNC_EVENT_ID_MAX; a longer one is never
 * notified): fn(ud) on each of its notifications. w may be NULL (nothing happens). */
void sync_watch_service_add(struct sync_watch *w, struct sync_watcher *wt, const char *event_id,
                            sync_watch_fn fn, void *ud);
/* Stops watching; a watcher never added (or removed already) is ignored. */
void sync_watch_service_remove(struct sync_watch *w, struct sync_watcher *wt);

/* The progress or the end of event `event_id` was written: its watchers are called.
 * w may be NULL. Cheap when nobody watches (one hash, one bucket). */
void sync_watch_service_notify(struct sync_watch *w, const char *event_id);

/* Watchers now (for tests). */
size_t sync_watch_service_count(struct sync_watch *w);

#endif
