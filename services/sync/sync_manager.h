#ifndef PLAYROUTER_SYNC_MANAGER_H
#define PLAYROUTER_SYNC_MANAGER_H
/* The sync engine's running parts (app->syncs), docs/sync.md "The queue":
 *   - PLAYROUTER_SYNC_WORKERS workers, each a task on the server's one worker pool
 *     (app->workers, lib/workpool.h), that take queued syncs from the persisted queue
 *     (sync_jobs: manual before auto, then oldest first) and run them; never more than
 *     that many syncs run at once, whoever queued them;
 *   - waiters: a waiting POST .../sync parks its connection and is told when its sync
 *     ended (no thread and no database connection is held while it waits);
 *   - one scheduler thread: the sweep of stale events every sync_sweep_interval_s and
 *     the auto-sync pass every auto_sync_tick_s (services/sync/sync_scheduler.h);
 *   - start-up recovery and the shutdown.
 *
 * Lifecycle (main.c): sync_manager_new() -> sync_manager_start() before the HTTP server
 * starts -> ... SIGTERM: app->shutting_down = 1 -> sync_manager_stop() (no new job is
 * taken, running syncs get the grace to finish, queued ones stay queued for the next
 * start, waiting requests are answered) -> http_server_stop() -> sync_manager_free(). */
#include <stdint.h>

#include "lib/metrics.h"

struct app;
struct sync_manager;

/* 0 or ERR_NOMEM. *out: caller frees with sync_manager_free(). app is borrowed; its
 * workers pool must outlive the manager. */
int sync_manager_new(struct app *app, struct sync_manager **out);

/* Start-up recovery (an event whose sync was running when the previous process died
 * becomes failed: "interrupted by server restart"; a queued one stays queued and
 * runs), then the workers (on app->workers) and the scheduler thread. 0,
 * ERR_UNAVAILABLE (no database connection), ERR_INTERNAL. */
int sync_manager_start(struct sync_manager *m);

/* A sync was queued (sync_service_start): wakes a free worker. NULL ok. */
void sync_manager_kick(struct sync_manager *m);

/* A party waiting for the end of a sync. Owned by the caller (e.g. in a request's
 * arena); it must stay valid until done() has been called. */
struct sync_waiter {
    const char *user_id, *event_id; /* borrowed */
    /* Called once, on a worker thread (or inside sync_manager_wait()): status 0 = the
     * event has ended (read it); ERR_UNAVAILABLE = the server stops while the sync is
     * still queued (it runs after the restart). */
    void (*done)(struct sync_waiter *w, int status);
    struct sync_waiter *next; /* the manager's */
};

/* Registers w; w->done is called when its event ends (at once when it already has).
 * 0; ERR_UNAVAILABLE (stopping: done is not called). */
int sync_manager_wait(struct sync_manager *m, struct sync_waiter *w);

/* Syncs running now, and the most that ever ran at once (tests, benchmarks). */
int sync_manager_running(struct sync_manager *m);
int sync_manager_peak_running(struct sync_manager *m);

/* Takes no further job, stops the scheduler, waits up to grace_s seconds for running
 * syncs, then tells them to stop at their next step (app->shutting_down = 2) and waits
 * up to 30 s more; answers the waiters of syncs still queued (ERR_UNAVAILABLE).
 * Returns how many syncs still run (then the caller must not free what they use). NULL
 * ok. */
int sync_manager_stop(struct sync_manager *m, int grace_s);

/* NULL ok; only after sync_manager_stop() returned 0. */
void sync_manager_free(struct sync_manager *m);

/* HELP and TYPE of the sync engine's metrics. */
void sync_manager_describe_metrics(struct metrics *m);

#endif
