/* Children in parallel on the server's one worker pool (app->workers, lib/workpool.h):
 * up to n_workers runners at once, each with its own Spotify client (a client belongs
 * to one thread at a time) and arena (an arena has one owner), picked from the pool's
 * slots. The calling thread is one of the runners: a phase always makes progress even
 * when every pool thread is busy (no thread waits for a helper that cannot start), and
 * helpers that start late find nothing left and return. The database stays with the
 * calling thread: runners only talk to Spotify. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "app/app.h"
#include "lib/app_err.h"
#include "app/config.h"
#include "lib/workpool.h"
#include "services/spotify/spotify_session.h"
#include "services/sync/sync_internal.h"

/* One phase. On the heap: a helper queued in the pool may start after the caller has
 * returned; it then only drops its reference. */
struct phase {
    struct sync_pool *p;
    sync_job_fn job;
    void *ud;
    size_t n;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    size_t next;       /* next job to start */
    size_t *ended;     /* jobs in the order they ended */
    size_t n_ended;    /* entries of ended[] */
    size_t running;    /* jobs running now */
    bool slot_busy[SYNC_POOL_MAX_WORKERS];
    bool stop;         /* start no further job */
    bool closed;       /* the caller has returned: late helpers only drop their ref */
    int refs;          /* the caller + helpers not yet done */
};

static void phase_unref_locked(struct phase *ph)
{
    bool last = --ph->refs == 0;
    pthread_mutex_unlock(&ph->mu);
    if (last) {
        pthread_mutex_destroy(&ph->mu);
        pthread_cond_destroy(&ph->cv);
        free(ph->ended);
        free(ph);
    }
}

static bool may_start(const struct phase *ph)
{
    return !ph->stop && !ph->closed && ph->next < ph->n &&
           atomic_load(&ph->p->app->shutting_down) <= 1;
}

/* Runs one job with a free slot; called with ph->mu held, returns with it held. */
static void run_one(struct phase *ph)
{
    size_t w = 0, j = ph->next++;
    while (ph->slot_busy[w])
        w++; /* runners <= slots: one is free */
    ph->slot_busy[w] = true;
    ph->running++;
    pthread_mutex_unlock(&ph->mu);
    ph->job(ph->p, w, j, ph->ud);
    pthread_mutex_lock(&ph->mu);
    ph->slot_busy[w] = false;
    ph->running--;
    ph->ended[ph->n_ended++] = j;
    pthread_cond_broadcast(&ph->cv);
}

static void helper_main(void *arg)
{
    struct phase *ph = arg;
    pthread_mutex_lock(&ph->mu);
    while (may_start(ph))
        run_one(ph);
    phase_unref_locked(ph);
}

int sync_pool_init(struct sync_pool *p, struct app *app, const char *user_id, size_t n_jobs)
{
    int parallelism = app->cfg->spotify_parallelism > 0 ? app->cfg->spotify_parallelism : 1;
    struct spotify_client_opts opts;
    struct spotify_token_source src;
    size_t n = (size_t)parallelism;
    int rc;

    memset(p, 0, sizeof *p);
    p->app = app;
    if (n > SYNC_POOL_MAX_WORKERS)
        n = SYNC_POOL_MAX_WORKERS;
    if (n > n_jobs)
        n = n_jobs;
    if (n == 0)
        return 0;
    /* The workers share the configured parallelism: all of them together keep about as
     * many requests in flight as one client would. */
    spotify_session_client_opts(app, &opts);
    opts.parallelism = parallelism / (int)n > 0 ? parallelism / (int)n : 1;
    if ((rc = spotify_session_token_source(app, user_id, &src)) != 0)
        return rc;
    for (size_t w = 0; w < n; w++) {
        if ((rc = spotify_client_new(&opts, &src, &p->clients[w])) != 0)
            return rc;
        if (!(p->arenas[w] = arena_new()))
            return ERR_NOMEM;
        p->n_workers++;
    }
    return 0;
}

int sync_pool_run(struct sync_pool *p, size_t n, sync_job_fn job, sync_done_fn on_done, void *ud)
{
    struct phase *ph;
    size_t handled = 0;
    int rc = 0;

    if (n == 0)
        return 0;
    if (p->n_workers == 0)
        return ERR_INTERNAL;
    if (!(ph = calloc(1, sizeof *ph)) || !(ph->ended = calloc(n, sizeof *ph->ended))) {
        free(ph);
        return ERR_NOMEM;
    }
    *ph = (struct phase){.p = p, .job = job, .ud = ud, .n = n, .ended = ph->ended, .refs = 1};
    pthread_mutex_init(&ph->mu, NULL);
    pthread_cond_init(&ph->cv, NULL);
    pthread_mutex_lock(&ph->mu);
    /* Helpers for the other slots; a full pool queue only means fewer helpers. */
    for (size_t h = 1; h < p->n_workers && h < n && p->app->workers; h++) {
        ph->refs++;
        if (workpool_submit(p->app->workers, helper_main, ph) != 0) {
            ph->refs--;
            break;
        }
    }
    /* Hand each ended job to on_done here, on the caller's thread (it owns the
     * database), in the order they end; run jobs ourselves when nothing else is to do. */
    for (;;) {
        if (handled < ph->n_ended) {
            size_t j = ph->ended[handled++];
            pthread_mutex_unlock(&ph->mu);
            int drc = on_done ? on_done(ud, j) : 0;
            pthread_mutex_lock(&ph->mu);
            if (drc != 0 && rc == 0) {
                rc = drc;
                ph->stop = true;
            }
        } else if (may_start(ph)) {
            run_one(ph);
        } else if (ph->running > 0) {
            pthread_cond_wait(&ph->cv, &ph->mu);
        } else {
            break;
        }
    }
    ph->closed = true;
    phase_unref_locked(ph);
    return rc;
}

void sync_pool_add_stats(const struct sync_pool *p, struct spotify_stats *sum)
{
    for (size_t w = 0; w < p->n_workers; w++) {
        struct spotify_stats s;
        spotify_client_stats(p->clients[w], &s);
        sum->requests += s.requests;
        sum->token_requests += s.token_requests;
        sum->retries += s.retries;
        sum->rate_limited += s.rate_limited;
        sum->wait_ms += s.wait_ms;
    }
}

void sync_pool_release(struct sync_pool *p)
{
    for (size_t w = 0; w < SYNC_POOL_MAX_WORKERS; w++) {
        spotify_client_free(p->clients[w]);
        arena_free(p->arenas[w]);
        p->clients[w] = NULL;
        p->arenas[w] = NULL;
    }
    p->n_workers = 0;
}
