/* The queue's workers, waiters, the scheduler thread, start-up recovery and shutdown
 * (contract in sync_manager.h; docs/sync.md "The queue"). */
#include "services/sync/sync_manager.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "repositories/sync_queue_repo.h"
#include "app/app.h"
#include "lib/app_err.h"
#include "app/config.h"
#include "lib/log.h"
#include "lib/metrics.h"
#include "lib/util.h"
#include "lib/workpool.h"
#include "services/database.h"
#include "services/sync/sync_event_service.h"
#include "services/sync/sync_scheduler.h"
#include "services/sync/sync_service.h"

#define DB_WAIT_MS 30000
/* sync_manager_wait() runs on a polling thread: it waits no longer than a request. */
#define WAIT_CHECK_DB_MS 5000
/* An idle worker looks at the queue at least this often (jobs queued by another
 * process on the same database, jobs whose next_run_at comes). */
#define IDLE_POLL_S 30
/* A job whose run could not start is tried again after 2^attempts seconds, this many
 * times at most; then its event fails. */
#define MAX_ATTEMPTS 5
/* How long running syncs get after the grace to record that they stopped. */
#define ABORT_WAIT_S 30

struct sync_manager {
    struct app *app;
    pthread_mutex_t mu;
    pthread_cond_t cv;      /* workers and the scheduler wait on it; stop waits on it */
    int n_workers;          /* worker tasks submitted to the pool */
    int alive;              /* worker tasks still in their loop */
    int running, peak;      /* syncs running now / at most */
    uint64_t wakes;         /* bumped by sync_manager_kick: no lost wake-up */
    bool stopping;
    bool scheduler_started;
    pthread_t scheduler;
    struct sync_waiter *waiters;
};

int sync_manager_new(struct app *app, struct sync_manager **out)
{
    struct sync_manager *m = calloc(1, sizeof *m);
    *out = NULL;
    if (!m)
        return ERR_NOMEM;
    m->app = app;
    pthread_mutex_init(&m->mu, NULL);
    pthread_cond_init(&m->cv, NULL);
    *out = m;
    return 0;
}

static void deadline_in(struct timespec *ts, int64_t seconds)
{
    clock_gettime(CLOCK_REALTIME, ts);
    ts->tv_sec += (time_t)seconds;
}

/* ---- Waiters ---------------------------------------------------------------------- */

/* Unlinks and returns the waiters of event_id (a list through ->next). */
static struct sync_waiter *take_waiters(struct sync_manager *m, const char *event_id)
{
    struct sync_waiter *out = NULL, **pp = &m->waiters;
    pthread_mutex_lock(&m->mu);
    while (*pp) {
        struct sync_waiter *w = *pp;
        if (!event_id || strcmp(w->event_id, event_id) == 0) {
            *pp = w->next;
            w->next = out;
            out = w;
        } else {
            pp = &w->next;
        }
    }
    pthread_mutex_unlock(&m->mu);
    return out;
}

static void call_waiters(struct sync_waiter *w, int status)
{
    while (w) {
        struct sync_waiter *next = w->next;
        w->done(w, status); /* may free w */
        w = next;
    }
}

/* 1 when event (user_id, event_id) is no longer in progress (or is gone), else 0. */
static int event_ended(struct app *app, const char *user_id, const char *event_id)
{
    struct arena *a = arena_new();
    struct db *db = a ? database_acquire(app, WAIT_CHECK_DB_MS) : NULL;
    struct sync_event ev;
    int ended = 0;
    if (db) {
        int rc = sync_event_service_get(db, a, user_id, event_id, &ev);
        ended = rc == ERR_NOT_FOUND || (rc == 0 && strcmp(ev.status, "in_progress") != 0);
    }
    database_release(app, db);
    arena_free(a);
    return ended;
}

int sync_manager_wait(struct sync_manager *m, struct sync_waiter *w)
{
    pthread_mutex_lock(&m->mu);
    if (m->stopping) {
        pthread_mutex_unlock(&m->mu);
        return ERR_UNAVAILABLE;
    }
    w->next = m->waiters;
    m->waiters = w;
    pthread_mutex_unlock(&m->mu);
    /* The sync may have ended before we were listed: then nobody will call us. */
    if (event_ended(m->app, w->user_id, w->event_id)) {
        bool mine = false;
        pthread_mutex_lock(&m->mu);
        for (struct sync_waiter **pp = &m->waiters; *pp; pp = &(*pp)->next)
            if (*pp == w) {
                *pp = w->next;
                mine = true;
                break;
            }
        pthread_mutex_unlock(&m->mu);
        if (mine) /* else a worker took it and calls done */
            w->done(w, 0);
    }
    return 0;
}

/* ---- Workers ---------------------------------------------------------------------- */

/* A taken job whose run could not start: back to the queue, or failed for good. */
static void put_back(struct sync_manager *m, struct db *db, const struct sync_job_row *job,
                     const char *why)
{
    int64_t now = (int64_t)time(NULL);
    if (job->attempts < MAX_ATTEMPTS &&
        sync_queue_repo_requeue(db, job->event_id, why, now + (1LL << job->attempts)) == 0)
        return;
    sync_service_abandon(db, job->user_id, job->event_id, why);
    sync_queue_repo_delete(db, job->event_id);
}

/* Takes the next runnable job and runs it. 1: a job was taken; 0: none is runnable
 * (*next_at: the earliest next_run_at of a queued job, 0 when none); -1: no database. */
static int take_and_run(struct sync_manager *m, int64_t *next_at)
{
    struct app *app = m->app;
    struct arena *a = arena_new(), *run_arena = NULL;
    struct db *db = a ? database_acquire(app, DB_WAIT_MS) : NULL;
    struct sync_job_row job;
    struct sync_event ev;
    int64_t retry_after = -1;
    char now[21];
    int rc;

    *next_at = 0;
    pthread_mutex_lock(&m->mu);
    bool stopping = m->stopping;
    pthread_mutex_unlock(&m->mu);
    if (!db || stopping) { /* stopping: take no new job, it stays queued */
        database_release(app, db);
        arena_free(a);
        return db ? 0 : -1;
    }
    util_time_format(time(NULL), now);
    rc = sync_queue_repo_claim(db, a, (int64_t)time(NULL), now, &job);
    if (rc != 0) {
        if (rc == ERR_NOT_FOUND)
            sync_queue_repo_next_run_at(db, next_at);
        database_release(app, db);
        arena_free(a);
        return rc == ERR_NOT_FOUND ? 0 : -1;
    }
    if (!(run_arena = arena_new())) {
        put_back(m, db, &job, "out of memory");
        database_release(app, db);
        arena_free(a);
        return 1;
    }
    database_release(app, db); /* the run takes connections step by step */
    pthread_mutex_lock(&m->mu);
    bool new_peak = ++m->running > m->peak;
    if (new_peak)
        m->peak = m->running;
    pthread_mutex_unlock(&m->mu);
    if (app->metrics) {
        metrics_add(app->metrics, "playrouter_syncs_running", "", 1);
        if (new_peak)
            metrics_add(app->metrics, "playrouter_syncs_running_peak", "", 1);
    }

    rc = sync_service_run(app, run_arena, job.user_id, job.base_playlist_id, job.event_id, &ev,
                          &retry_after);
    if ((db = database_acquire(app, DB_WAIT_MS))) {
        if (sync_queue_repo_delete(db, job.event_id) != 0)
            log_warn("sync %s: could not take its job off the queue", job.event_id);
        if (rc == 0)
            sync_scheduler_after_run(app, db, run_arena, &job, &ev, retry_after);
        database_release(app, db);
    } else {
        log_error("sync %s: no database connection to take its job off the queue", job.event_id);
    }
    if (app->metrics)
        metrics_add(app->metrics, "playrouter_syncs_running", "", -1);
    pthread_mutex_lock(&m->mu);
    m->running--;
    pthread_cond_broadcast(&m->cv);
    pthread_mutex_unlock(&m->mu);
    call_waiters(take_waiters(m, job.event_id), 0);
    arena_free(run_arena);
    arena_free(a);
    return 1;
}

static void worker_main(void *arg)
{
    struct sync_manager *m = arg;
    pthread_mutex_lock(&m->mu);
    while (!m->stopping) {
        uint64_t seen = m->wakes;
        int64_t next_at = 0;
        pthread_mutex_unlock(&m->mu);
        int took = take_and_run(m, &next_at);
        pthread_mutex_lock(&m->mu);
        if (took == 1 || m->stopping || seen != m->wakes)
            continue;
        /* Nothing runnable: sleep until kicked, until the next job is due, or a while
         * (a database error also lands here: try again later). */
        int64_t now = (int64_t)time(NULL);
        int64_t wait = next_at > now ? next_at - now : IDLE_POLL_S;
        struct timespec until;
        deadline_in(&until, wait < IDLE_POLL_S ? wait : IDLE_POLL_S);
        while (!m->stopping && seen == m->wakes &&
               pthread_cond_timedwait(&m->cv, &m->mu, &until) != ETIMEDOUT)
            ;
    }
    m->alive--;
    pthread_cond_broadcast(&m->cv);
    pthread_mutex_unlock(&m->mu);
}

void sync_manager_kick(struct sync_manager *m)
{
    if (!m)
        return;
    pthread_mutex_lock(&m->mu);
    m->wakes++;
    pthread_cond_broadcast(&m->cv);
    pthread_mutex_unlock(&m->mu);
}

int sync_manager_running(struct sync_manager *m)
{
    pthread_mutex_lock(&m->mu);
    int n = m->running;
    pthread_mutex_unlock(&m->mu);
    return n;
}

int sync_manager_peak_running(struct sync_manager *m)
{
    pthread_mutex_lock(&m->mu);
    int n = m->peak;
    pthread_mutex_unlock(&m->mu);
    return n;
}

/* ---- The scheduler thread: sweep and auto-sync passes ------------------------------ */

static void sweep_once(struct sync_manager *m)
{
    struct db *db = database_acquire(m->app, DB_WAIT_MS);
    int failed = 0, purged = 0;
    if (!db)
        return;
    if (sync_event_service_sweep(db, m->app->cfg->sync_timeout_s, &failed) == 0 && failed > 0)
        log_warn("sync sweep: %d sync(s) in progress for more than %d s marked failed", failed,
                 m->app->cfg->sync_timeout_s);
    sync_service_purge_keys(db, &purged);
    database_release(m->app, db);
}

static void *scheduler_main(void *arg)
{
    struct sync_manager *m = arg;
    const struct config *cfg = m->app->cfg;
    int64_t sweep_every = cfg->sync_sweep_interval_s > 0 ? cfg->sync_sweep_interval_s : 60;
    int64_t tick_every = cfg->auto_sync_tick_s > 0 ? cfg->auto_sync_tick_s : 60;
    int64_t now = util_now_ms() / 1000, next_sweep = now + sweep_every, next_tick = now + tick_every;

    pthread_mutex_lock(&m->mu);
    while (!m->stopping) {
        now = util_now_ms() / 1000;
        int64_t next = next_sweep < next_tick ? next_sweep : next_tick;
        if (next > now) {
            struct timespec until;
            deadline_in(&until, next - now);
            pthread_cond_timedwait(&m->cv, &m->mu, &until);
            continue; /* re-reads the clock and stopping */
        }
        pthread_mutex_unlock(&m->mu);
        if (now >= next_sweep) {
            sweep_once(m);
            next_sweep = now + sweep_every;
        }
        if (now >= next_tick) {
            if (sync_scheduler_pass(m->app) > 0)
                sync_manager_kick(m);
            next_tick = util_now_ms() / 1000 + tick_every;
        }
        pthread_mutex_lock(&m->mu);
    }
    pthread_mutex_unlock(&m->mu);
    return NULL;
}

/* ---- Lifecycle -------------------------------------------------------------------- */

int sync_manager_start(struct sync_manager *m)
{
    struct db *db = database_acquire(m->app, DB_WAIT_MS);
    int failed = 0, queued = 0, rc;
    if (!db)
        return ERR_UNAVAILABLE;
    rc = sync_event_service_recover(db, &failed, &queued);
    database_release(m->app, db);
    if (rc != 0)
        return rc;
    if (failed > 0)
        log_warn("sync: %d sync(s) running in a previous process marked failed", failed);
    if (queued > 0)
        log_info("sync: %d queued sync(s) from a previous process will run", queued);
    if (!m->app->workers)
        return ERR_INTERNAL;
    for (int i = 0; i < m->app->cfg->sync_workers; i++) {
        pthread_mutex_lock(&m->mu);
        m->alive++;
        pthread_mutex_unlock(&m->mu);
        if (workpool_submit(m->app->workers, worker_main, m) != 0) {
            pthread_mutex_lock(&m->mu);
            m->alive--;
            pthread_mutex_unlock(&m->mu);
            return ERR_INTERNAL;
        }
        m->n_workers++;
    }
    if (pthread_create(&m->scheduler, NULL, scheduler_main, m) != 0)
        return ERR_INTERNAL;
    m->scheduler_started = true;
    return 0;
}

/* Waits (m->mu held) until no sync runs, or the deadline. */
static void wait_running(struct sync_manager *m, int seconds)
{
    struct timespec until;
    deadline_in(&until, seconds);
    while (m->running > 0 && pthread_cond_timedwait(&m->cv, &m->mu, &until) != ETIMEDOUT)
        ;
}

int sync_manager_stop(struct sync_manager *m, int grace_s)
{
    if (!m)
        return 0;
    pthread_mutex_lock(&m->mu);
    m->stopping = true;
    pthread_cond_broadcast(&m->cv);
    pthread_mutex_unlock(&m->mu);
    if (m->scheduler_started) {
        pthread_join(m->scheduler, NULL);
        m->scheduler_started = false;
    }
    pthread_mutex_lock(&m->mu);
    wait_running(m, grace_s);
    if (m->running > 0) {
        log_warn("shutdown: %d sync(s) still running after %d s; stopping them", m->running,
                 grace_s);
        atomic_store(&m->app->shutting_down, 2);
        wait_running(m, ABORT_WAIT_S);
    }
    /* Idle workers leave their loop at once; one that is between two jobs soon. */
    struct timespec until;
    deadline_in(&until, ABORT_WAIT_S);
    while (m->alive > 0 && pthread_cond_timedwait(&m->cv, &m->mu, &until) != ETIMEDOUT)
        ;
    int left = m->running;
    int alive = m->alive;
    pthread_mutex_unlock(&m->mu);
    /* Whoever still waits waits for a sync that stays queued. */
    call_waiters(take_waiters(m, NULL), ERR_UNAVAILABLE);
    if (left > 0 || alive > 0)
        log_error("shutdown: %d sync(s) still running, %d worker(s) busy", left, alive);
    return left > 0 ? left : alive;
}

void sync_manager_free(struct sync_manager *m)
{
    if (!m)
        return;
    pthread_mutex_destroy(&m->mu);
    pthread_cond_destroy(&m->cv);
    free(m);
}

void sync_manager_describe_metrics(struct metrics *m)
{
    metrics_describe(m, "playrouter_sync_duration_seconds", "histogram",
                     "Duration of syncs by final status");
    metrics_describe(m, "playrouter_syncs_total", "counter", "Syncs run, by final status");
    metrics_describe(m, "playrouter_spotify_requests_total", "counter",
                     "HTTP requests to Spotify by endpoint template and status (0 = no answer)");
    metrics_describe(m, "playrouter_spotify_rate_limited_total", "counter", "Spotify 429 answers");
    metrics_describe(m, "playrouter_cache_hits_total", "counter",
                     "Metadata cache lookups that hit");
    metrics_describe(m, "playrouter_cache_misses_total", "counter",
                     "Metadata cache lookups that missed");
    metrics_describe(m, "playrouter_musicbrainz_requests_total", "counter",
                     "HTTP requests to MusicBrainz by syncs and previews, retries included");
    metrics_describe(m, "playrouter_auto_sync_checks_total", "counter",
                     "Auto-sync checks of bases, by outcome (queued, unchanged, failed)");
    metrics_describe(m, "playrouter_auto_sync_passes_total", "counter",
                     "Passes of the auto-sync scheduler");
    metrics_describe(m, "playrouter_syncs_running", "gauge", "Syncs running now");
    metrics_describe(m, "playrouter_syncs_running_peak", "gauge",
                     "The most syncs that ran at once since the start");
    /* Present from the start (at 0), so that a dashboard sees them before the first. */
    metrics_add(m, "playrouter_spotify_rate_limited_total", "", 0);
    metrics_add(m, "playrouter_cache_hits_total", "", 0);
    metrics_add(m, "playrouter_cache_misses_total", "", 0);
    metrics_add(m, "playrouter_musicbrainz_requests_total", "", 0);
    metrics_add(m, "playrouter_auto_sync_passes_total", "", 0);
    metrics_add(m, "playrouter_syncs_running", "", 0);
    metrics_add(m, "playrouter_syncs_running_peak", "", 0);
}
