/* A fixed set of threads over a ring buffer of tasks (contract in workpool.h). */
#include "lib/workpool.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>

#include "lib/app_err.h"

struct task {
    workpool_fn fn;
    void *arg;
};

struct workpool {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    pthread_t *threads;
    int n_threads;
    struct task *ring;
    int cap, head, len; /* ring[head .. head+len) (mod cap) */
    int running, peak;
    bool stopping;
};

static void *thread_main(void *arg)
{
    struct workpool *p = arg;
    pthread_mutex_lock(&p->mu);
    for (;;) {
        while (p->len == 0 && !p->stopping)
            pthread_cond_wait(&p->cv, &p->mu);
        if (p->len == 0)
            break; /* stopping and drained */
        struct task t = p->ring[p->head];
        p->head = (p->head + 1) % p->cap;
        p->len--;
        if (++p->running > p->peak)
            p->peak = p->running;
        pthread_mutex_unlock(&p->mu);
        t.fn(t.arg);
        pthread_mutex_lock(&p->mu);
        p->running--;
    }
    pthread_mutex_unlock(&p->mu);
    return NULL;
}

static void stop_and_join(struct workpool *p)
{
    pthread_mutex_lock(&p->mu);
    p->stopping = true;
    pthread_cond_broadcast(&p->cv);
    pthread_mutex_unlock(&p->mu);
    for (int i = 0; i < p->n_threads; i++)
        pthread_join(p->threads[i], NULL);
    p->n_threads = 0;
}

int workpool_new(int threads, int queue_max, struct workpool **out)
{
    struct workpool *p = NULL;
    *out = NULL;
    if (threads < 1 || threads > 1024 || queue_max < 1)
        return ERR_INTERNAL;
    if (!(p = calloc(1, sizeof *p)) || !(p->threads = calloc((size_t)threads, sizeof *p->threads)) ||
        !(p->ring = calloc((size_t)queue_max, sizeof *p->ring))) {
        if (p)
            free(p->threads);
        free(p);
        return ERR_NOMEM;
    }
    p->cap = queue_max;
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->cv, NULL);
    for (int i = 0; i < threads; i++) {
        if (pthread_create(&p->threads[i], NULL, thread_main, p) != 0) {
            workpool_free(p);
            return ERR_INTERNAL;
        }
        p->n_threads++;
    }
    *out = p;
    return 0;
}

int workpool_submit(struct workpool *p, workpool_fn fn, void *arg)
{
    int rc = ERR_UNAVAILABLE;
    pthread_mutex_lock(&p->mu);
    if (!p->stopping && p->len < p->cap) {
        p->ring[(p->head + p->len) % p->cap] = (struct task){fn, arg};
        p->len++;
        pthread_cond_signal(&p->cv);
        rc = 0;
    }
    pthread_mutex_unlock(&p->mu);
    return rc;
}

int workpool_threads(const struct workpool *p)
{
    return p->n_threads;
}

static int read_locked(struct workpool *p, const int *field)
{
    pthread_mutex_lock(&p->mu);
    int v = *field;
    pthread_mutex_unlock(&p->mu);
    return v;
}

int workpool_running(struct workpool *p)
{
    return read_locked(p, &p->running);
}

int workpool_queued(struct workpool *p)
{
    return read_locked(p, &p->len);
}

int workpool_peak_running(struct workpool *p)
{
    return read_locked(p, &p->peak);
}

void workpool_free(struct workpool *p)
{
    if (!p)
        return;
    stop_and_join(p);
    pthread_mutex_destroy(&p->mu);
    pthread_cond_destroy(&p->cv);
    free(p->threads);
    free(p->ring);
    free(p);
}
