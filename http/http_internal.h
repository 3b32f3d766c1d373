#ifndef PLAYROUTER_HTTP_INTERNAL_H
#define PLAYROUTER_HTTP_INTERNAL_H
/* Shared by http.c (the server, requests, deferred work) and http_stream.c (streamed
 * responses). Not for other modules. */
#include <microhttpd.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "http/http.h"

struct http_server {
    struct MHD_Daemon *daemon;
    struct app *app; /* opaque: only handed to handlers */
    struct metrics *metrics;
    struct workpool *pool; /* runs deferred work; borrowed */
    http_dispatch_fn dispatch;
    long long max_body;
    int port;
    atomic_int stopping;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    /* Requests between their first call and completion: atomic, so that a request
     * takes no lock for it; the mutex + broadcast are only needed once stopping is set
     * (see on_completed). */
    atomic_int inflight;
    int deferred; /* connections suspended for parked or deferred work (under mu) */

    /* Streamed responses (http_stream.c): every open stream, and one clock thread for
     * all of them (heartbeats, postponed wakes). Under streams_mu. */
    pthread_mutex_t streams_mu;
    pthread_cond_t streams_cv;
    struct http_stream *streams; /* doubly linked */
    size_t n_streams;
    bool streams_closing; /* the server stops: every stream (and any new one) ends */
    bool clock_stop;
    bool clock_started;
    pthread_t clock;
};

struct conn_state {
    struct http_server *srv;
    struct request req;
    struct response res;
    struct buf body;
    int too_large;
    int dispatched;
    request_arm_fn arm; /* set by request_park() during dispatch */
    void *arm_arg;
    request_work_fn work; /* request_defer(): run on the pool by defer_arm() */
    void *work_arg;
    bool suspended;       /* under srv->mu */
    atomic_int work_done; /* the answer is written: queue it on the next call */
    struct http_stream *stream; /* set by request_stream() during dispatch */
    int64_t start_ms;
};

/* The conn_state of a request. */
static inline struct conn_state *http_conn_of(struct request *req)
{
    return (struct conn_state *)((char *)req - offsetof(struct conn_state, req));
}

/* Adds the headers every answer carries (Content-Type, X-Request-Id, Cache-Control,
 * the handler's, Connection: close while stopping) to r. */
void http_add_headers(struct conn_state *st, struct MHD_Response *r);

/* The streams' part of the server's life: http_streams_init() at start (starts the
 * clock thread; 0 or -1), http_streams_close_all() first thing in a stop (every stream
 * ends and gives its connection back; new ones end at once), http_streams_release()
 * after the daemon stopped (joins the clock). */
int http_streams_init(struct http_server *srv);
void http_streams_close_all(struct http_server *srv);
void http_streams_release(struct http_server *srv);

/* Queues st->stream's response on conn (from on_request, after dispatch). */
enum MHD_Result http_stream_queue(struct MHD_Connection *conn, struct conn_state *st);
/* The request of st completed: its stream (if any) is detached and released. */
void http_stream_completed(struct conn_state *st);

#endif
