#ifndef PLAYROUTER_SYNC_MANAGER_H
#define PLAYROUTER_SYNC_MANAGER_H
/* The sync engine's threads (app->syncs): syncs run in the background
 * (POST .../sync?wait=false), the sweeper that fails events stuck in progress
 * (every cfg->sync_sweep_interval_s, those older than cfg->sync_timeout_s) and purges
 * expired Idempotency-Keys, start-up recovery, and the wait at shutdown.
 *
 * Lifecycle (main.c): sync_manager_new() -> sync_manager_start() before the HTTP server
 * starts -> ... SIGTERM: app->shutting_down = 1, http_server_stop() (waits for the
 * deferred waiting syncs) -> sync_manager_stop() -> sync_manager_free().
 * A running sync notices app->shutting_down between its steps and fails its event
 * ("interrupted by server shutdown") rather than being cut in the middle of a write. */
#include "lib/metrics.h"

struct app;
struct sync_manager;

/* 0 or ERR_NOMEM. *out: caller frees with sync_manager_free(). app is borrowed. */
int sync_manager_new(struct app *app, struct sync_manager **out);

/* Start-up recovery (every in_progress event becomes failed: "interrupted by server
 * restart"), then starts the sweeper thread. 0, ERR_UNAVAILABLE (no database
 * connection), ERR_INTERNAL. */
int sync_manager_start(struct sync_manager *m);

/* Runs sync_service_run() of an event already started (sync_service_start) on a new
 * thread with its own database connection. Strings are copied. 0, ERR_UNAVAILABLE
 * (stopping), ERR_NOMEM, ERR_INTERNAL (no thread): the caller then abandons the event. */
int sync_manager_run_background(struct sync_manager *m, const char *user_id, const char *base_id,
                                const char *event_id);

/* Stops the sweeper and waits up to timeout_s seconds for background syncs. Returns how
 * many are still running (then the caller must not free what they use). NULL ok. */
int sync_manager_stop(struct sync_manager *m, int timeout_s);

/* NULL ok; only after sync_manager_stop() returned 0. */
void sync_manager_free(struct sync_manager *m);

/* HELP and TYPE of the sync engine's metrics. */
void sync_manager_describe_metrics(struct metrics *m);

#endif
