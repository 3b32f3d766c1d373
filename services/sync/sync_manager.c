/* Background syncs, the sweeper, start-up recovery, shutdown. */
#include "services/sync/sync_manager.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "repositories/db.h"
#include "app/app.h"
#include "lib/app_err.h"
#include "app/config.h"
#include "lib/log.h"
#include "services/sync/sync_event_service.h"
#include "services/sync/sync_service.h"

#define DB_WAIT_MS 30000

struct sync_manager {
    struct app *app;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int running; /* background syncs */
    bool stopping;
    bool sweeper_started;
    pthread_t sweeper;
};

struct job {
    struct sync_manager *m;
    char *user_id, *base_id, *event_id;
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

static void sweep_once(struct sync_manager *m)
{
    struct db *db = db_pool_acquire(m->app->db, DB_WAIT_MS);
    int failed = 0, purged = 0;
    if (!db)
        return;
    if (sync_event_service_sweep(db, m->app->cfg->sync_timeout_s, &failed) == 0 && failed > 0)
        log_warn("sync sweep: %d sync(s) in progress for more than %d s marked failed", failed,
                 m->app->cfg->sync_timeout_s);
    sync_service_purge_keys(db, &purged);
    db_pool_release(m->app->db, db);
}

static void *sweeper_main(void *arg)
{
    struct sync_manager *m = arg;
    int interval = m->app->cfg->sync_sweep_interval_s > 0 ? m->app->cfg->sync_sweep_interval_s : 60;
    pthread_mutex_lock(&m->mu);
    while (!m->stopping) {
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_sec += interval;
        while (!m->stopping && pthread_cond_timedwait(&m->cv, &m->mu, &until) != ETIMEDOUT)
            ;
        if (m->stopping)
            break;
        pthread_mutex_unlock(&m->mu);
        sweep_once(m);
        pthread_mutex_lock(&m->mu);
    }
    pthread_mutex_unlock(&m->mu);
    return NULL;
}

int sync_manager_start(struct sync_manager *m)
{
    struct db *db = db_pool_acquire(m->app->db, DB_WAIT_MS);
    int n = 0, rc;
    if (!db)
        return ERR_UNAVAILABLE;
    rc = sync_event_service_recover(db, &n);
    db_pool_release(m->app->db, db);
    if (rc != 0)
        return rc;
    if (n > 0)
        log_warn("sync: %d sync(s) left in progress by a previous run marked failed", n);
    if (pthread_create(&m->sweeper, NULL, sweeper_main, m) != 0)
        return ERR_INTERNAL;
    m->sweeper_started = true;
    return 0;
}

static void job_free(struct job *j)
{
    if (!j)
        return;
    free(j->user_id);
    free(j->base_id);
    free(j->event_id);
    free(j);
}

static void *job_main(void *arg)
{
    struct job *j = arg;
    struct sync_manager *m = j->m;
    struct db *db = db_pool_acquire(m->app->db, DB_WAIT_MS);
    struct arena *a = arena_new();
    struct sync_event ev;

    if (db && a)
        sync_service_run(m->app, db, a, j->user_id, j->base_id, j->event_id, &ev);
    else
        log_error("sync %s: no database connection or memory; the sweep will fail it", j->event_id);
    arena_free(a);
    db_pool_release(m->app->db, db);
    job_free(j);
    pthread_mutex_lock(&m->mu);
    m->running--;
    pthread_cond_broadcast(&m->cv);
    pthread_mutex_unlock(&m->mu);
    return NULL;
}

int sync_manager_run_background(struct sync_manager *m, const char *user_id, const char *base_id,
                                const char *event_id)
{
    struct job *j = calloc(1, sizeof *j);
    pthread_attr_t attr;
    pthread_t t;
    int rc = 0;

    if (!j || !(j->user_id = strdup(user_id)) || !(j->base_id = strdup(base_id)) ||
        !(j->event_id = strdup(event_id))) {
        job_free(j);
        return ERR_NOMEM;
    }
    j->m = m;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    pthread_mutex_lock(&m->mu);
    if (m->stopping) {
        rc = ERR_UNAVAILABLE;
    } else if (pthread_create(&t, &attr, job_main, j) != 0) {
        rc = ERR_INTERNAL;
    } else {
        m->running++;
        j = NULL;
    }
    pthread_mutex_unlock(&m->mu);
    pthread_attr_destroy(&attr);
    job_free(j);
    return rc;
}

int sync_manager_stop(struct sync_manager *m, int timeout_s)
{
    if (!m)
        return 0;
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += timeout_s;
    pthread_mutex_lock(&m->mu);
    m->stopping = true;
    pthread_cond_broadcast(&m->cv);
    pthread_mutex_unlock(&m->mu);
    if (m->sweeper_started) {
        pthread_join(m->sweeper, NULL);
        m->sweeper_started = false;
    }
    pthread_mutex_lock(&m->mu);
    while (m->running > 0 && pthread_cond_timedwait(&m->cv, &m->mu, &until) != ETIMEDOUT)
        ;
    int left = m->running;
    pthread_mutex_unlock(&m->mu);
    if (left > 0)
        log_error("shutdown: %d background sync(s) still running after %d s", left, timeout_s);
    return left;
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
                     "HTTP requests to MusicBrainz by syncs, retries included");
    /* Present from the start (at 0), so that a dashboard sees them before the first. */
    metrics_add(m, "playrouter_spotify_rate_limited_total", "", 0);
    metrics_add(m, "playrouter_cache_hits_total", "", 0);
    metrics_add(m, "playrouter_cache_misses_total", "", 0);
    metrics_add(m, "playrouter_musicbrainz_requests_total", "", 0);
}
