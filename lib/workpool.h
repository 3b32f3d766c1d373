#ifndef PLAYROUTER_WORKPOOL_H
#define PLAYROUTER_WORKPOOL_H
/* The one bounded pool of worker threads that runs everything beside the HTTP threads
 * (issue #11): the sync engine's workers (services/sync/sync_manager.c), the helpers of
 * a sync's parallel Spotify phases (services/sync/sync_pool.c) and the HTTP core's
 * deferred work (request_defer). A fixed number of threads, started once, and a task
 * queue of fixed capacity: a submit beyond it is refused, never queued without bound.
 *
 * Ownership: the pool owns its threads and its queue; a task's `arg` stays the
 * submitter's (the task frees it when that is the contract between them). */

struct workpool;
typedef void (*workpool_fn)(void *arg);

/* Starts `threads` threads (1..1024) and a queue of `queue_max` tasks (>= 1).
 * 0, ERR_NOMEM or ERR_INTERNAL (a thread could not start: none is left running).
 * *out: caller frees with workpool_free(). */
int workpool_new(int threads, int queue_max, struct workpool **out);

/* Queues fn(arg) for the next free thread. 0; ERR_UNAVAILABLE when the queue is full
 * or the pool is stopping (fn is then not run: the caller undoes what it prepared). */
int workpool_submit(struct workpool *p, workpool_fn fn, void *arg);

/* Threads of the pool, tasks running now, tasks waiting, and the most tasks that ever
 * ran at once (for tests and benchmarks). */
int workpool_threads(const struct workpool *p);
int workpool_running(struct workpool *p);
int workpool_queued(struct workpool *p);
int workpool_peak_running(struct workpool *p);

/* Refuses further submits, lets the threads run every task already queued, joins
 * them and frees the pool. A task that never returns blocks this: tasks must end
 * on their own once the server stops (app->shutting_down). NULL ok. */
void workpool_free(struct workpool *p);

#endif
