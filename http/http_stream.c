/* Streamed responses without a thread per stream (contract in http.h).
 *
 * How: the answer is an MHD callback response of unknown size (chunked). MHD calls
 * stream_read() on the connection's polling thread whenever it can send more. When
 * the producer has nothing pending, stream_read() suspends the connection
 * (MHD_suspend_connection from the content reader, which libmicrohttpd allows) and
 * returns 0: the connection leaves MHD's event loop and costs only its memory. A wake,
 * a tick or the server's stop sets a pending reason and resumes it (MHD_USE_ITC makes
 * the polling thread notice at once); MHD then calls stream_read() again, which calls
 * the producer. One clock thread per server keeps the ticks and the postponed wakes of
 * every stream (a timed wait until the earliest one).
 *
 * Locking: srv->streams_mu guards each stream's pending reasons, its suspended flag, its
 * timers and the list. It is taken before MHD's own locks (suspend and resume take the
 * daemon's cleanup mutex), never after: MHD calls our callbacks without holding that
 * mutex. A waker from above (the sync notifier) holds its own lock while it calls
 * http_stream_wake(); ops->release runs without streams_mu, so that lock always comes
 * first.
 *
 * Lifetime: two references, the server's (dropped in http_stream_completed(), when the
 * request completes, after ops->release) and the MHD response's (dropped by
 * stream_free() when MHD destroys the response, which it does after the completion
 * callback). */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "http/http_internal.h"
#include "lib/app_err.h"
#include "lib/util.h"

#define STREAM_BLOCK 4096

struct http_stream {
    struct http_server *srv;
    struct MHD_Connection *conn;
    struct http_stream_ops ops;
    void *ud;
    atomic_int refs;
    /* The polling thread's (stream_read): what is being sent. */
    struct buf out;
    size_t sent;
    bool end;
    /* Under srv->streams_mu. */
    unsigned pending; /* HTTP_STREAM_* not yet handed to the producer */
    bool suspended;
    bool attached;     /* in srv->streams: until the request completes */
    int64_t last_ms;   /* the producer's last call (0 = never) */
    int64_t wake_at;   /* a postponed wake (0 = none) */
    int64_t tick_at;   /* the next tick (0 = none) */
    struct http_stream *prev, *next;
};

static void unref(struct http_stream *s)
{
    if (atomic_fetch_sub(&s->refs, 1) == 1) {
        buf_release(&s->out);
        free(s);
    }
}

/* Under streams_mu: let MHD call stream_read() again. */
static void resume(struct http_stream *s)
{
    if (s->suspended) {
        s->suspended = false;
        MHD_resume_connection(s->conn);
    }
}

/* Under streams_mu. */
static void raise_reason(struct http_stream *s, unsigned why)
{
    s->pending |= why;
    resume(s);
}

static ssize_t stream_read(void *cls, uint64_t pos, char *buf, size_t max)
{
    struct http_stream *s = cls;
    struct http_server *srv = s->srv;
    (void)pos;
    for (;;) {
        if (s->sent < s->out.len) {
            size_t n = s->out.len - s->sent < max ? s->out.len - s->sent : max;
            memcpy(buf, s->out.data + s->sent, n);
            s->sent += n;
            return (ssize_t)n;
        }
        if (s->end)
            return MHD_CONTENT_READER_END_OF_STREAM;
        pthread_mutex_lock(&srv->streams_mu);
        unsigned why = s->pending;
        s->pending = 0;
        if (!why) {
            /* Nothing to say: out of the event loop until a reason comes. */
            s->suspended = true;
            MHD_suspend_connection(s->conn);
            pthread_mutex_unlock(&srv->streams_mu);
            return 0;
        }
        s->last_ms = util_now_ms();
        pthread_mutex_unlock(&srv->streams_mu);
        bool end = false;
        buf_reset(&s->out);
        s->sent = 0;
        if (s->ops.produce(s->ud, why, &s->out, &end) != 0)
            return MHD_CONTENT_READER_END_WITH_ERROR;
        s->end = end || (why & HTTP_STREAM_CLOSE);
    }
}

static void stream_free(void *cls)
{
    unref(cls);
}

int request_stream(struct request *req, const char *content_type,
                   const struct http_stream_ops *ops, void *ud, struct http_stream **out)
{
    struct conn_state *st = http_conn_of(req);
    struct http_server *srv = st->srv;
    struct http_stream *s;

    if (atomic_load(&srv->stopping))
        return ERR_UNAVAILABLE;
    if (!(s = calloc(1, sizeof *s)))
        return ERR_NOMEM;
    s->srv = srv;
    s->conn = req->conn;
    s->ops = *ops;
    s->ud = ud;
    atomic_init(&s->refs, 1);
    s->pending = HTTP_STREAM_START;
    s->attached = true;
    pthread_mutex_lock(&srv->streams_mu);
    if (ops->tick_ms > 0)
        s->tick_at = util_now_ms() + ops->tick_ms;
    if (srv->streams_closing)
        s->pending |= HTTP_STREAM_CLOSE; /* the stop's sweep has passed already */
    s->next = srv->streams;
    if (srv->streams)
        srv->streams->prev = s;
    srv->streams = s;
    srv->n_streams++;
    pthread_cond_signal(&srv->streams_cv); /* a new earliest timer, maybe */
    pthread_mutex_unlock(&srv->streams_mu);
    st->stream = s;
    st->res.status = 200;
    st->res.content_type = content_type;
    if (out)
        *out = s;
    return 0;
}

void http_stream_wake(struct http_stream *s)
{
    struct http_server *srv = s->srv;
    pthread_mutex_lock(&srv->streams_mu);
    if (s->attached && !s->wake_at) {
        int64_t now = util_now_ms();
        if (s->last_ms && now - s->last_ms < s->ops.min_gap_ms) {
            s->wake_at = s->last_ms + s->ops.min_gap_ms; /* coalesced with later wakes */
            pthread_cond_signal(&srv->streams_cv);
        } else {
            raise_reason(s, HTTP_STREAM_WAKE);
        }
    }
    pthread_mutex_unlock(&srv->streams_mu);
}

enum MHD_Result http_stream_queue(struct MHD_Connection *conn, struct conn_state *st)
{
    struct http_stream *s = st->stream;
    struct MHD_Response *r =
        MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, STREAM_BLOCK, stream_read, s,
                                          stream_free);
    if (!r)
        return MHD_NO; /* MHD closes the connection; http_stream_completed() cleans up */
    atomic_fetch_add(&s->refs, 1); /* the response's, dropped by stream_free() */
    http_add_headers(st, r);
    enum MHD_Result ret = MHD_queue_response(conn, (unsigned)st->res.status, r);
    MHD_destroy_response(r);
    return ret;
}

void http_stream_completed(struct conn_state *st)
{
    struct http_stream *s = st->stream;
    struct http_server *srv = st->srv;
    if (!s)
        return;
    st->stream = NULL;
    pthread_mutex_lock(&srv->streams_mu);
    s->attached = false;
    if (s->prev)
        s->prev->next = s->next;
    else
        srv->streams = s->next;
    if (s->next)
        s->next->prev = s->prev;
    s->prev = s->next = NULL;
    srv->n_streams--;
    pthread_mutex_unlock(&srv->streams_mu);
    s->ops.release(s->ud); /* outside streams_mu: wakers hold their own lock, then ours */
    unref(s);
}

int http_server_streams(struct http_server *srv)
{
    pthread_mutex_lock(&srv->streams_mu);
    int n = (int)srv->n_streams;
    pthread_mutex_unlock(&srv->streams_mu);
    return n;
}

/* ---- The clock: ticks and postponed wakes of every stream ------------------------ */

static void *clock_main(void *arg)
{
    struct http_server *srv = arg;
    pthread_mutex_lock(&srv->streams_mu);
    while (!srv->clock_stop) {
        int64_t now = util_now_ms(), next = INT64_MAX;
        for (struct http_stream *s = srv->streams; s; s = s->next) {
            if (s->wake_at && now >= s->wake_at) {
                s->wake_at = 0;
                raise_reason(s, HTTP_STREAM_WAKE);
            }
            if (s->tick_at && now >= s->tick_at) {
                s->tick_at = now + s->ops.tick_ms;
                raise_reason(s, HTTP_STREAM_TICK);
            }
            if (s->wake_at && s->wake_at < next)
                next = s->wake_at;
            if (s->tick_at && s->tick_at < next)
                next = s->tick_at;
        }
        if (next == INT64_MAX) {
            pthread_cond_wait(&srv->streams_cv, &srv->streams_mu);
            continue;
        }
        struct timespec until;
        clock_gettime(CLOCK_MONOTONIC, &until);
        int64_t wait_ms = next - now;
        until.tv_sec += wait_ms / 1000;
        until.tv_nsec += (wait_ms % 1000) * 1000000L;
        if (until.tv_nsec >= 1000000000L) {
            until.tv_sec++;
            until.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&srv->streams_cv, &srv->streams_mu, &until);
    }
    pthread_mutex_unlock(&srv->streams_mu);
    return NULL;
}

int http_streams_init(struct http_server *srv)
{
    pthread_condattr_t ca;
    pthread_mutex_init(&srv->streams_mu, NULL);
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC); /* util_now_ms() is monotonic */
    pthread_cond_init(&srv->streams_cv, &ca);
    pthread_condattr_destroy(&ca);
    /* Started now, not with the first stream: the thread count does not move with
     * the streams. */
    if (pthread_create(&srv->clock, NULL, clock_main, srv) != 0) {
        pthread_cond_destroy(&srv->streams_cv);
        pthread_mutex_destroy(&srv->streams_mu);
        return -1;
    }
    srv->clock_started = true;
    return 0;
}

void http_streams_close_all(struct http_server *srv)
{
    pthread_mutex_lock(&srv->streams_mu);
    srv->streams_closing = true;
    for (struct http_stream *s = srv->streams; s; s = s->next)
        raise_reason(s, HTTP_STREAM_CLOSE);
    pthread_mutex_unlock(&srv->streams_mu);
}

void http_streams_release(struct http_server *srv)
{
    if (!srv->clock_started)
        return;
    pthread_mutex_lock(&srv->streams_mu);
    srv->clock_stop = true;
    pthread_cond_signal(&srv->streams_cv);
    pthread_mutex_unlock(&srv->streams_mu);
    pthread_join(srv->clock, NULL);
    srv->clock_started = false;
    pthread_cond_destroy(&srv->streams_cv);
    pthread_mutex_destroy(&srv->streams_mu);
}
