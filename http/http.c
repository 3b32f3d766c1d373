/* libmicrohttpd plumbing: body accumulation with a cap, request ids, suspended
 * (deferred) work, access log, graceful shutdown. The defences against hostile
 * clients (deadlines, target size, framing) are in http_guard.c. */
#include "http/http.h"

#include <arpa/inet.h>
#include <errno.h>
#include <ctype.h>
#include <microhttpd.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "domain/version.h"
#include "http/http_guard.h"
#include "http/http_internal.h"
#include "lib/app_err.h"
#include "lib/json_text.h"
#include "lib/log.h"
#include "lib/metrics.h"
#include "lib/report.h"
#include "lib/util.h"

/* Each connection's memory pool (request line, headers, read buffer, response headers;
 * bodies go to our own buffer). MHD reads the headers into half the pool and zeroes
 * that half when it gives it back, so every open connection keeps about half its pool
 * resident: with open event streams that is what a stream costs (32 KiB: ~16 KiB,
 * against ~64 KiB with 128 KiB). 32 KiB is MHD's own default and holds any request
 * head we accept (a session cookie and a JWT are well under 2 KiB). */
#define HTTP_CONN_MEMORY ((size_t)32 * 1024)
#include "lib/workpool.h"

/* ---- request accessors ---- */

const char *request_header(struct request *req, const char *name)
{
    return MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, name);
}

const char *request_query(struct request *req, const char *name)
{
    return MHD_lookup_connection_value(req->conn, MHD_GET_ARGUMENT_KIND, name);
}

const char *request_cookie(struct request *req, const char *name)
{
    return MHD_lookup_connection_value(req->conn, MHD_COOKIE_KIND, name);
}

int request_client_ip(struct request *req, char *out, size_t outlen)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(req->conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    const struct sockaddr *sa = ci ? ci->client_addr : NULL;
    const void *addr = NULL;
    if (sa && sa->sa_family == AF_INET)
        addr = &((const struct sockaddr_in *)(const void *)sa)->sin_addr;
    else if (sa && sa->sa_family == AF_INET6)
        addr = &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr;
    if (!addr || !inet_ntop(sa->sa_family, addr, out, (socklen_t)outlen))
        return -1;
    return 0;
}

const char *request_param(struct request *req, const char *name)
{
    for (int i = 0; i < req->nparams; i++)
        if (strcmp(req->param_names[i], name) == 0)
            return req->param_values[i];
    return NULL;
}

int request_json(struct request *req, json_t **out)
{
    *out = NULL;
    if (!req->body || req->body_len == 0)
        return ERR_INVALID_JSON;
    json_error_t jerr;
    json_t *j = json_text_loadb(req->body, req->body_len, JSON_REJECT_DUPLICATES, &jerr);
    if (!j || !json_is_object(j)) {
        json_decref(j);
        return ERR_INVALID_JSON;
    }
    *out = j;
    return 0;
}

int64_t request_if_match(struct request *req)
{
    const char *h = request_header(req, "If-Match");
    char num[32];
    size_t len;
    int64_t v;

    if (!h)
        return PLAYLIST_IF_MATCH_NONE;
    while (*h == ' ' || *h == '\t')
        h++;
    len = strlen(h);
    while (len > 0 && (h[len - 1] == ' ' || h[len - 1] == '\t'))
        len--;
    if (len == 1 && h[0] == '*')
        return PLAYLIST_IF_MATCH_NONE;
    if (len >= 2 && h[0] == 'W' && h[1] == '/') { /* a weak tag compares by its value */
        h += 2;
        len -= 2;
    }
    if (len >= 2 && h[0] == '"' && h[len - 1] == '"') {
        h++;
        len -= 2;
    }
    if (len == 0 || len >= sizeof num)
        return PLAYLIST_IF_MATCH_NEVER;
    memcpy(num, h, len);
    num[len] = '\0';
    if (util_parse_int64(num, 1, INT64_MAX, &v) != 0)
        return PLAYLIST_IF_MATCH_NEVER;
    return v;
}

bool request_client_gone(struct request *req)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(req->conn, MHD_CONNECTION_INFO_CONNECTION_FD);
    if (!ci)
        return false;
    struct pollfd p = {.fd = ci->connect_fd, .events = POLLIN | POLLRDHUP};
    if (poll(&p, 1, 0) <= 0)
        return false;
    if (p.revents & (POLLHUP | POLLERR | POLLRDHUP | POLLNVAL))
        return true;
    char c;
    /* Readable: a pipelined next request (still here) or the end of the stream (gone). */
    return (p.revents & POLLIN) && recv(ci->connect_fd, &c, 1, MSG_PEEK | MSG_DONTWAIT) == 0;
}

int request_on_complete(struct request *req, request_cleanup_fn fn)
{
    if (req->ncleanups >= REQUEST_MAX_CLEANUPS)
        return ERR_NOMEM;
    req->cleanups[req->ncleanups++] = fn;
    return 0;
}

/* ---- parked and deferred work ----
 * A parked request's connection is suspended once the handler has returned; then its
 * arm function runs (it hands the request to whoever will answer it), and whoever
 * answers writes res and calls request_resume(). No thread waits meanwhile. Deferred
 * work is a parked request whose arm queues the work on the server's bounded pool. */

int request_park(struct request *req, request_arm_fn arm, void *arg)
{
    struct conn_state *st = http_conn_of(req);
    if (atomic_load(&st->srv->stopping))
        return ERR_UNAVAILABLE;
    st->arm = arm;
    st->arm_arg = arg;
    return 0;
}

void request_resume(struct request *req)
{
    struct conn_state *st = http_conn_of(req);
    struct http_server *srv = st->srv;
    /* Keep the lock while resuming so that http_server_stop() never stops the daemon
     * between our resume and our decrement. */
    pthread_mutex_lock(&srv->mu);
    atomic_store(&st->work_done, 1);
    if (st->suspended) {
        st->suspended = false;
        MHD_resume_connection(st->req.conn);
        srv->deferred--;
        pthread_cond_broadcast(&srv->cv);
    }
    pthread_mutex_unlock(&srv->mu);
}

static void deferred_main(void *arg)
{
    struct conn_state *st = arg;
    st->work(&st->req, &st->res, st->work_arg);
    request_resume(&st->req);
}

static void defer_arm(struct request *req, struct response *res, void *arg)
{
    struct conn_state *st = http_conn_of(req);
    if (!st->srv->pool || workpool_submit(st->srv->pool, deferred_main, st) != 0) {
        response_error_msg(res, ERR_UNAVAILABLE, "no worker is free; retry later");
        request_resume(req);
    }
}

int request_defer(struct request *req, request_work_fn work, void *arg)
{
    struct conn_state *st = http_conn_of(req);
    st->work = work;
    st->work_arg = arg;
    return request_park(req, defer_arm, NULL);
}

/* ---- responses ---- */

void http_add_headers(struct conn_state *st, struct MHD_Response *r)
{
    struct response *res = &st->res;
    if (res->content_type)
        MHD_add_response_header(r, "Content-Type", res->content_type);
    MHD_add_response_header(r, "X-Request-Id", st->req.request_id);
    int cache_set = 0; /* a handler's Cache-Control (the web app's files) wins */
    for (int i = 0; i < res->nheaders; i++) {
        MHD_add_response_header(r, res->headers[i].name, res->headers[i].value);
        cache_set |= strcasecmp(res->headers[i].name, "Cache-Control") == 0;
    }
    if (!cache_set)
        MHD_add_response_header(r, "Cache-Control", "no-store");
    if (atomic_load(&st->srv->stopping))
        MHD_add_response_header(r, "Connection", "close");
}

static enum MHD_Result queue(struct MHD_Connection *conn, struct conn_state *st)
{
    struct response *res = &st->res;
    struct MHD_Response *r;
    if (res->body.len) {
        /* The body is handed over, not copied: MHD frees it with the response. */
        size_t len = 0;
        char *body = buf_detach(&res->body, &len);
        if (!body)
            return MHD_NO;
        if (!(r = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE))) {
            free(body);
            return MHD_NO;
        }
    } else if (!(r = MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT))) {
        return MHD_NO;
    }
    http_add_headers(st, r);
    enum MHD_Result ret = MHD_queue_response(conn, (unsigned)res->status, r);
    MHD_destroy_response(r);
    return ret;
}

/* Random bytes for request ids, taken from getrandom() RID_POOL bytes at a time
 * instead of one system call per request. Thread-local (each polling thread draws
 * from its own pool, nothing is shared); ids are not secrets, only unpredictable. */
#define RID_POOL 1024
static _Thread_local unsigned char rid_pool[RID_POOL];
static _Thread_local size_t rid_left;

static int rid_random(unsigned char *out, size_t n)
{
    if (rid_left < n) {
        if (util_random_bytes(rid_pool, RID_POOL) != 0)
            return -1;
        rid_left = RID_POOL;
    }
    memcpy(out, rid_pool + (RID_POOL - rid_left), n);
    rid_left -= n;
    return 0;
}

/* An incoming X-Request-Id is echoed if it is short and plain; else we make one. */
static void set_request_id(struct request *req)
{
    const char *in = request_header(req, "X-Request-Id");
    if (in && *in && strlen(in) <= 64) {
        int ok = 1;
        for (const char *p = in; *p; p++)
            ok &= isalnum((unsigned char)*p) || *p == '-' || *p == '_' || *p == '.';
        if (ok) {
            snprintf(req->request_id, sizeof req->request_id, "%s", in);
            return;
        }
    }
    unsigned char raw[8];
    if (rid_random(raw, sizeof raw) == 0)
        util_hex_encode(raw, sizeof raw, req->request_id);
    else
        snprintf(req->request_id, sizeof req->request_id, "unknown");
}

/* Answers at once, before the body is read: MHD then closes the connection. */
static enum MHD_Result answer_early(struct MHD_Connection *conn, struct conn_state *st)
{
    st->dispatched = 1;
    http_guard_body_received(conn);
    response_header(&st->res, "Connection", "close");
    return queue(conn, st);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version,
                                  const char *upload_data, size_t *upload_data_size,
                                  void **con_cls)
{
    struct http_server *srv = cls;
    struct conn_state *st = *con_cls;

    if (!st || http_guard_is_mark(st)) {
        const void *mark = st; /* from http_guard_on_uri */
        int bad;
        http_guard_head_received(conn);
        st = calloc(1, sizeof *st);
        if (!st || !(st->req.arena = arena_new())) {
            free(st);
            return MHD_NO;
        }
        st->srv = srv;
        st->start_ms = util_now_ms();
        st->req.app = srv->app;
        st->req.conn = conn;
        st->req.method = arena_strdup(st->req.arena, method);
        st->req.path = arena_strdup(st->req.arena, url);
        st->res.arena = st->req.arena;
        st->res.status = 500;
        set_request_id(&st->req);
        atomic_fetch_add(&srv->inflight, 1);
        *con_cls = st;
        struct report why = {0};
        if ((bad = http_guard_check_request(conn, mark, version, &why)) != 0) {
            response_error_report(&st->res, bad, &why);
            report_release(&why);
            return answer_early(conn, st);
        }
        /* Refuse a declared oversized body before reading it. */
        const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Length");
        int64_t n;
        if (cl && util_parse_int64(cl, 0, INT64_MAX, &n) == 0 && n > srv->max_body) {
            st->too_large = 1;
            response_error_msg(&st->res, ERR_PAYLOAD_TOO_LARGE,
                               "the request body is larger than %lld bytes", srv->max_body);
            return answer_early(conn, st);
        }
        return MHD_YES;
    }

    if (*upload_data_size) {
        if (!st->too_large) {
            if ((long long)(st->body.len + *upload_data_size) > srv->max_body) {
                st->too_large = 1; /* chunked bodies have no length: cut at the cap */
                buf_release(&st->body);
            } else if (buf_append(&st->body, upload_data, *upload_data_size) != 0) {
                return MHD_NO;
            }
        }
        *upload_data_size = 0;
        return MHD_YES;
    }

    if (st->dispatched) {
        /* Called again after resume: the parked request's answer is written. */
        if (st->arm && atomic_load(&st->work_done))
            return queue(conn, st);
        return MHD_YES;
    }
    st->dispatched = 1;
    http_guard_body_received(conn);
    st->req.body = st->body.data;
    st->req.body_len = st->body.len;

    if (atomic_load(&srv->stopping)) {
        response_error_msg(&st->res, ERR_UNAVAILABLE, "the server is shutting down");
    } else if (st->too_large) {
        response_error_msg(&st->res, ERR_PAYLOAD_TOO_LARGE,
                           "the request body is larger than %lld bytes", srv->max_body);
    } else {
        srv->dispatch(&st->req, &st->res);
    }
    if (st->stream)
        return http_stream_queue(conn, st);
    if (st->arm) {
        pthread_mutex_lock(&srv->mu);
        MHD_suspend_connection(conn);
        st->suspended = true;
        srv->deferred++;
        pthread_mutex_unlock(&srv->mu);
        st->arm(&st->req, &st->res, st->arm_arg); /* may resume at once */
        return MHD_YES;
    }
    return queue(conn, st);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    struct http_server *srv = cls;
    struct conn_state *st = *con_cls;
    if (!st || http_guard_is_mark(st)) /* MHD refused the head itself */
        return;
    http_guard_request_done(conn);
    int64_t ms = util_now_ms() - st->start_ms;
    const char *route = st->req.route_pattern ? st->req.route_pattern : "unmatched";
    log_info("http %s %s %d %lldms rid=%s%s", st->req.method, st->req.path, st->res.status,
             (long long)ms, st->req.request_id,
             toe == MHD_REQUEST_TERMINATED_COMPLETED_OK ? "" : " (connection closed early)");
    if (srv->metrics) {
        char labels[256];
        snprintf(labels, sizeof labels, "method=\"%s\",route=\"%s\",status=\"%d\"", st->req.method,
                 route, st->res.status);
        metrics_add(srv->metrics, "playrouter_http_requests_total", labels, 1);
        snprintf(labels, sizeof labels, "method=\"%s\",route=\"%s\"", st->req.method, route);
        metrics_observe(srv->metrics, "playrouter_http_request_duration_seconds", labels,
                        (double)ms / 1000.0);
    }
    http_stream_completed(st); /* before the cleanups: its producer may use what they free */
    /* Last registered, first run: a layer releases what it took after the layers
     * that built on it. */
    while (st->req.ncleanups > 0)
        st->req.cleanups[--st->req.ncleanups](&st->req);
    buf_release(&st->body);
    buf_release(&st->res.body);
    arena_free(st->req.arena);
    free(st);
    *con_cls = NULL;
    atomic_fetch_sub(&srv->inflight, 1);
    /* Only a stopping server waits for inflight to drop (wait_idle). It sets stopping
     * before reading inflight and we read stopping after the decrement (both seq_cst),
     * so one of us sees the other; the broadcast under mu cannot slip between the
     * waiter's check and its wait. */
    if (atomic_load(&srv->stopping)) {
        pthread_mutex_lock(&srv->mu);
        pthread_cond_broadcast(&srv->cv);
        pthread_mutex_unlock(&srv->mu);
    }
}

/* bind(2) with the address cast in one place. */
static int bind_socket(int fd, const struct sockaddr_in *addr)
{
    return bind(fd, (const struct sockaddr *)addr, sizeof *addr);
}

int http_listen(const char *bind, int port, int *fd_out, int *port_out, struct report *rep)
{
    struct sockaddr_in addr = {0};
    socklen_t len = sizeof addr;
    int fd = -1, one = 1;

    addr.sin_family = AF_INET;
    addr.sin_port = htons((uint16_t)port);
    if (inet_pton(AF_INET, bind, &addr.sin_addr) != 1) {
        report_message(rep, "invalid bind address '%s' (an IPv4 address is expected)", bind);
        return -1;
    }
    /* SO_REUSEADDR only lets us rebind over connections in TIME_WAIT; no SO_REUSEPORT,
     * so a second server on a port in use fails here instead of sharing it. */
    if ((fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0 ||
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0) {
        report_message(rep, "cannot create a socket: %s", strerror(errno));
        goto fail;
    }
    if (bind_socket(fd, &addr) != 0) {
        if (errno == EADDRINUSE)
            report_message(rep,
                           "port %d on %s is already in use (is another playrouter running?); "
                           "choose another with PLAYROUTER_PORT or --port (0 picks a free one)",
                           port, bind);
        else
            report_message(rep, "cannot listen on %s:%d: %s (see PLAYROUTER_PORT, PLAYROUTER_BIND)",
                           bind, port, strerror(errno));
        goto fail;
    }
    if (listen(fd, 512) != 0 || getsockname(fd, (struct sockaddr *)&addr, &len) != 0) {
        report_message(rep, "cannot listen on %s:%d: %s", bind, port, strerror(errno));
        goto fail;
    }
    *fd_out = fd;
    *port_out = ntohs(addr.sin_port);
    return 0;
fail:
    if (fd >= 0)
        close(fd);
    return -1;
}

int http_server_start(const struct http_server_opts *opts, struct app *app, http_dispatch_fn fn,
                      struct http_server **out, struct report *rep)
{
    /* listen_fd 0 (a zero-initialised opts) or -1: no socket given, bind one here. */
    int fd = opts->listen_fd > 0 ? opts->listen_fd : -1, port = opts->port;

    if (fd < 0 && http_listen(opts->bind, opts->port, &fd, &port, rep) != 0)
        return -1;
    struct http_server *srv = calloc(1, sizeof *srv);
    if (!srv) {
        report_message(rep, "out of memory");
        close(fd);
        return -1;
    }
    srv->app = app;
    srv->metrics = opts->metrics;
    srv->pool = opts->pool;
    srv->dispatch = fn;
    srv->max_body = opts->max_body;
    if (http_guard_new(opts->head_timeout_s, opts->body_timeout_s, opts->idle_timeout_s,
                       opts->metrics, &srv->guard) != 0) {
        report_message(rep, "out of memory");
        free(srv);
        close(fd);
        return -1;
    }
    pthread_mutex_init(&srv->mu, NULL);
    pthread_cond_init(&srv->cv, NULL);
    if (http_streams_init(srv) != 0) {
        report_message(rep, "cannot start the streams' clock thread");
        http_guard_free(srv->guard);
        pthread_mutex_destroy(&srv->mu);
        pthread_cond_destroy(&srv->cv);
        free(srv);
        close(fd);
        return -1;
    }
    srv->daemon = MHD_start_daemon(
        MHD_USE_EPOLL_INTERNAL_THREAD | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ITC, 0, NULL, NULL,
        on_request, srv, MHD_OPTION_LISTEN_SOCKET, fd,
        MHD_OPTION_THREAD_POOL_SIZE, (unsigned)opts->threads, MHD_OPTION_CONNECTION_LIMIT,
        (unsigned)opts->max_connections, MHD_OPTION_CONNECTION_TIMEOUT,
        (unsigned)opts->idle_timeout_s, MHD_OPTION_CONNECTION_MEMORY_LIMIT, HTTP_CONN_MEMORY,
        MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned)opts->max_connections_per_ip,
        MHD_OPTION_NOTIFY_COMPLETED, on_completed, srv,
        MHD_OPTION_NOTIFY_CONNECTION, http_guard_on_connection, srv->guard,
        MHD_OPTION_URI_LOG_CALLBACK, http_guard_on_uri, srv->guard, MHD_OPTION_END);
    if (!srv->daemon) {
        report_message(rep, "cannot start the HTTP server on %s:%d", opts->bind, port);
        http_streams_release(srv);
        pthread_mutex_destroy(&srv->mu);
        pthread_cond_destroy(&srv->cv);
        http_guard_free(srv->guard);
        free(srv);
        close(fd);
        return -1;
    }
    srv->port = port;
    *out = srv;
    return 0;
}

int http_server_port(const struct http_server *s)
{
    return s->port;
}

int http_server_inflight(struct http_server *s)
{
    return atomic_load(&s->inflight);
}

/* Waits until no request is in flight and no deferred work runs, or the deadline. */
static int wait_idle(struct http_server *s, int seconds)
{
    struct timespec deadline;
    clock_gettime(CLOCK_REALTIME, &deadline);
    deadline.tv_sec += seconds;
    pthread_mutex_lock(&s->mu);
    while ((atomic_load(&s->inflight) > 0 || s->deferred > 0) &&
           pthread_cond_timedwait(&s->cv, &s->mu, &deadline) == 0)
        ;
    int busy = atomic_load(&s->inflight) + s->deferred;
    pthread_mutex_unlock(&s->mu);
    return busy;
}

void http_server_end_streams(struct http_server *s)
{
    if (s)
        http_streams_close_all(s);
}

void http_server_stop(struct http_server *s, int grace_s)
{
    if (!s)
        return;
    atomic_store(&s->stopping, 1);
    /* Open streams would never end by themselves: end them now (the clients of an event
     * stream reconnect). */
    http_streams_close_all(s);
    MHD_socket fd = MHD_quiesce_daemon(s->daemon); /* stop accepting */
    if (fd != MHD_INVALID_SOCKET)
        close(fd);
    int busy = wait_idle(s, grace_s);
    if (busy > 0) {
        log_warn("shutdown: %d request(s) still running after %d s grace", busy, grace_s);
        pthread_mutex_lock(&s->mu);
        int deferred = s->deferred;
        pthread_mutex_unlock(&s->mu);
        if (deferred > 0 && wait_idle(s, 30) > 0) {
            /* A deferred worker still holds its connection: stopping the daemon under it
             * would be a use-after-free. Leave it; the process is exiting anyway. */
            log_error("shutdown: background work did not finish; exiting without cleanup");
            return;
        }
    }
    MHD_stop_daemon(s->daemon);
    http_guard_free(s->guard);
    http_streams_release(s);
    pthread_mutex_destroy(&s->mu);
    pthread_cond_destroy(&s->cv);
    free(s);
}
