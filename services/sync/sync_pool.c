/* Children in parallel: a small pool of worker threads, each with its own Spotify
 * client (a client belongs to one thread) and arena (an arena has one owner). The
 * database stays with the calling thread: workers only talk to Spotify. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "app/app.h"
#include "lib/app_err.h"
#include "app/config.h"
#include "services/spotify/spotify_session.h"
#include "services/sync/sync_internal.h"

struct phase {
    struct sync_pool *p;
    sync_job_fn job;
    void *ud;
    size_t n;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    size_t next;    /* next job to start */
    size_t *ended;  /* jobs in the order they ended */
    size_t n_ended; /* entries of ended[] */
    size_t running; /* workers still in their loop */
    bool stop;      /* start no further job */
};

struct worker {
    struct phase *ph;
    size_t w;
};

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

static void *worker_main(void *arg)
{
    struct worker *wk = arg;
    struct phase *ph = wk->ph;
    pthread_mutex_lock(&ph->mu);
    for (;;) {
        if (ph->stop || ph->next >= ph->n || atomic_load(&ph->p->app->shutting_down))
            break;
        size_t j = ph->next++;
        pthread_mutex_unlock(&ph->mu);
        ph->job(ph->p, wk->w, j, ph->ud);
        pthread_mutex_lock(&ph->mu);
        ph->ended[ph->n_ended++] = j;
        pthread_cond_broadcast(&ph->cv);
    }
    ph->running--;
    pthread_cond_broadcast(&ph->cv);
    pthread_mutex_unlock(&ph->mu);
    return NULL;
}

int sync_pool_run(struct sync_pool *p, size_t n, sync_job_fn job, sync_done_fn on_done, void *ud)
{
    struct phase ph = {.p = p, .job = job, .ud = ud, .n = n};
    struct worker wk[SYNC_POOL_MAX_WORKERS];
    pthread_t th[SYNC_POOL_MAX_WORKERS];
    size_t started = 0, handled = 0;
    int rc = 0;

    if (n == 0)
        return 0;
    if (p->n_workers == 0 || !(ph.ended = calloc(n, sizeof *ph.ended)))
        return p->n_workers == 0 ? ERR_INTERNAL : ERR_NOMEM;
    pthread_mutex_init(&ph.mu, NULL);
    pthread_cond_init(&ph.cv, NULL);
    pthread_mutex_lock(&ph.mu);
    for (size_t w = 0; w < p->n_workers && w < n; w++) {
        wk[w] = (struct worker){&ph, w};
        if (pthread_create(&th[w], NULL, worker_main, &wk[w]) != 0)
            break;
        started++;
        ph.running++;
    }
    if (started == 0)
        rc = ERR_INTERNAL;
    /* Hand each ended job to on_done here, on the caller's thread (it owns the
     * database), while the workers go on with the next ones. */
    while (started > 0 && (ph.running > 0 || handled < ph.n_ended)) {
        if (handled == ph.n_ended) {
            pthread_cond_wait(&ph.cv, &ph.mu);
            continue;
        }
        size_t j = ph.ended[handled++];
        pthread_mutex_unlock(&ph.mu);
        int drc = on_done ? on_done(ud, j) : 0;
        pthread_mutex_lock(&ph.mu);
        if (drc != 0 && rc == 0) {
            rc = drc;
            ph.stop = true;
        }
    }
    pthread_mutex_unlock(&ph.mu);
    for (size_t w = 0; w < started; w++)
        pthread_join(th[w], NULL);
    pthread_mutex_destroy(&ph.mu);
    pthread_cond_destroy(&ph.cv);
    free(ph.ended);
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
