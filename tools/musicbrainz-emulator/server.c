/* HTTP: our own accept thread hands connections to libmicrohttpd (so that
 * "down" can really close the listening socket and later listen again on the
 * same port), one MHD polling thread (epoll; latency by suspend/resume through
 * the shared delay queue, never a sleeping thread), routing, and the gate in
 * front of /ws/2 that plays MusicBrainz's edge: down, 414 for a long URI, 403
 * without User-Agent, 503 storms and the 503 of the rate limit. Every /ws/2
 * request is counted and logged (knobs.c); /__admin never is. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "http_common.h"
#include "knobs.h"
#include "mb.h"

#define MAX_ADMIN_BODY (1u << 20)

static const char RATE_BODY[] =
    "{\"error\": \"Your requests are exceeding the allowable rate limit. Please see "
    "http://wiki.musicbrainz.org/XMLWebService for more information.\"}";
static const char BUSY_BODY[] =
    "{\"error\": \"The MusicBrainz web server is currently busy. Please try again later.\"}";
static const char NO_UA_BODY[] =
    "{\"error\": \"Your requests are being throttled by MusicBrainz because the application you "
    "are using has not identified itself. Please update your application, and see "
    "http://musicbrainz.org/doc/XML_Web_Service/Rate_Limiting for more information.\"}";
static const char URI_BODY[] =
    "<html>\r\n<head><title>414 Request-URI Too Large</title></head>\r\n<body>\r\n"
    "<center><h1>414 Request-URI Too Large</h1></center>\r\n<hr><center>openresty</center>\r\n"
    "</body>\r\n</html>\r\n";

struct route {
    const char *tmpl; /* static: the counters keep it by pointer */
    mb_handler_fn fn;
};

static const struct route ROUTES[] = {
    {"/ws/2/recording", ws_recording_search}, {"/ws/2/recording/{id}", ws_recording_lookup},
    {"/ws/2/artist", ws_artist_search},       {"/ws/2/artist/{id}", ws_artist_lookup},
    {"/ws/2/isrc/{id}", ws_isrc_lookup},      {"/ws/2/genre/all", ws_genre_all},
};
#define NROUTES (sizeof ROUTES / sizeof *ROUTES)
static const char UNMATCHED[] = "(unmatched)";

/* ---- the accept thread ---- */

struct acceptor {
    struct mb *mb;
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int listen_fd; /* -1 while refusing */
    int wake[2];
    int64_t reopen_at; /* mono ms; 0 = no reopen pending */
    bool close_now, stop, running;
};

static void wake(struct acceptor *a)
{
    char c = 1;
    ssize_t r = write(a->wake[1], &c, 1);
    (void)r; /* a full pipe already wakes the thread */
}

static void *accept_main(void *arg)
{
    struct acceptor *a = arg;
    pthread_mutex_lock(&a->mu);
    while (!a->stop) {
        if (a->close_now && a->listen_fd >= 0) {
            close(a->listen_fd);
            a->listen_fd = -1;
            a->close_now = false;
            pthread_cond_broadcast(&a->cv);
        }
        int64_t now = mono_ms();
        if (a->listen_fd < 0 && a->reopen_at && now >= a->reopen_at) {
            int port;
            a->listen_fd = listen_loopback(a->mb->port, &port);
            if (a->listen_fd >= 0) {
                a->reopen_at = 0;
                atomic_store(&a->mb->down, DOWN_NO);
                fprintf(stderr, "musicbrainz-emulator: listening again on port %d\n", port);
            } else {
                a->reopen_at = now + 100; /* the port is busy: try again shortly */
            }
        }
        struct pollfd p[2] = {{a->wake[0], POLLIN, 0}, {a->listen_fd, POLLIN, 0}};
        int timeout = a->listen_fd < 0 && a->reopen_at ? (int)(a->reopen_at - now) : -1;
        int fd = a->listen_fd;
        pthread_mutex_unlock(&a->mu);
        int n = poll(p, fd >= 0 ? 2 : 1, timeout < 0 ? -1 : timeout);
        if (n > 0 && (p[0].revents & POLLIN)) {
            char buf[64];
            while (read(a->wake[0], buf, sizeof buf) > 0) {
            }
        }
        if (n > 0 && fd >= 0 && (p[1].revents & POLLIN)) {
            struct sockaddr_storage sa;
            socklen_t sl = sizeof sa;
            int c = accept4(fd, (struct sockaddr *)&sa, &sl, SOCK_NONBLOCK | SOCK_CLOEXEC);
            if (c >= 0)
                MHD_add_connection(a->mb->daemon, c, (struct sockaddr *)&sa,
                                   sl); /* closes c on failure */
        }
        pthread_mutex_lock(&a->mu);
    }
    if (a->listen_fd >= 0)
        close(a->listen_fd);
    a->listen_fd = -1;
    pthread_mutex_unlock(&a->mu);
    return NULL;
}

int server_refuse_for(struct mb *mb, int ms)
{
    struct acceptor *a = mb->acceptor;
    int rc = 0;
    pthread_mutex_lock(&a->mu);
    atomic_store(&mb->down, DOWN_REFUSE);
    a->reopen_at = mono_ms() + ms;
    if (a->listen_fd >= 0) {
        a->close_now = true;
        wake(a);
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_sec += 2;
        while (a->close_now && rc == 0)
            rc = pthread_cond_timedwait(&a->cv, &a->mu, &ts) == 0 ? 0 : -1;
    } else {
        wake(a); /* already refusing: the new reopen time counts */
    }
    pthread_mutex_unlock(&a->mu);
    return rc;
}

bool storm_take(struct mb *mb, int *kind, int *retry_after)
{
    bool hit = false;
    pthread_mutex_lock(&mb->storm_mu);
    if (mb->storm_left != 0) {
        if (mb->storm_left > 0)
            mb->storm_left--;
        *kind = mb->storm_kind;
        *retry_after = mb->storm_retry_after;
        hit = true;
    }
    pthread_mutex_unlock(&mb->storm_mu);
    return hit;
}

/* ---- requests and answers ---- */

char *req_arg(const struct mb_req *req, const char *key)
{
    return form_get(req->query, strlen(req->query), key);
}

const char *req_header(const struct mb_req *req, const char *name)
{
    return MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, name);
}

void resp_error(struct mb_resp *res, int status, const char *message)
{
    buf_reset(&res->body);
    res->status = status;
    if (buf_append_str(&res->body, "{\"error\":") || jw_str(&res->body, message) ||
        buf_append_str(&res->body,
                 ",\"help\":\"For usage, please see: https://musicbrainz.org/development/mmd\"}")) {
        buf_reset(&res->body);
        res->status = 500;
    }
}

void resp_json(struct mb_resp *res, int status, int rc)
{
    if (rc != 0)
        resp_error(res, 500, "out of memory");
    else
        res->status = status;
}

static void header_int(struct MHD_Response *r, const char *name, int v)
{
    char s[16];
    snprintf(s, sizeof s, "%d", v);
    MHD_add_response_header(r, name, s);
}

static enum MHD_Result send_resp(struct MHD_Connection *conn, struct mb_resp *res)
{
    size_t len;
    char *data = buf_detach(&res->body, &len);
    struct MHD_Response *r =
        data ? MHD_create_response_from_buffer(len, data, MHD_RESPMEM_MUST_FREE) : NULL;
    if (!r) {
        free(data);
        return MHD_NO;
    }
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE,
                            res->ctype ? res->ctype : "application/json; charset=utf-8");
    MHD_add_response_header(r, "Access-Control-Allow-Origin", "*");
    if (res->edge)
        MHD_add_response_header(r, MHD_HTTP_HEADER_SERVER, "openresty");
    if (res->zone) {
        header_int(r, MHD_HTTP_HEADER_RETRY_AFTER, res->retry_after);
        MHD_add_response_header(r, "X-RateLimit-Zone", res->zone);
        header_int(r, "X-RateLimit-Limit", res->rate_limit);
        header_int(r, "X-RateLimit-Remaining", res->rate_remaining);
    }
    enum MHD_Result ret = MHD_queue_response(conn, (unsigned)res->status, r);
    MHD_destroy_response(r);
    return ret;
}

/* The gateway's own answers. */
static void edge(struct mb_resp *res, int status, const char *body, const char *ctype)
{
    buf_reset(&res->body);
    res->status = buf_append_str(&res->body, body) == 0 ? status : 500;
    res->ctype = ctype;
    res->edge = true;
}

static void edge_503(struct mb *mb, struct mb_resp *res, int kind, int retry_after)
{
    edge(res, 503, kind == STORM_BUSY ? BUSY_BODY : RATE_BODY, NULL);
    res->zone = kind == STORM_BUSY ? "global" : "ws ip=127.0.0.1";
    res->retry_after = retry_after;
    res->rate_limit = kind == STORM_BUSY ? 15 : atomic_load(&mb->rate);
    res->rate_remaining = kind == STORM_BUSY ? 12 : 0;
}

static void gate(struct mb *mb, struct mb_req *req, struct mb_resp *res, const struct route *rt,
                 size_t uri_len)
{
    int kind, ra;
    int down = atomic_load(&mb->down);
    if (down == DOWN_REFUSE) {
        res->drop = true; /* a connection opened before the server went down */
    } else if (down == DOWN_503) {
        edge_503(mb, res, STORM_BUSY, 0);
    } else if (uri_len > (size_t)mb->max_uri) {
        edge(res, 414, URI_BODY, "text/html");
    } else if (atomic_load(&mb->require_ua) && !req_header(req, "User-Agent")) {
        edge(res, 403, NO_UA_BODY, NULL);
    } else if (storm_take(mb, &kind, &ra)) {
        edge_503(mb, res, kind, ra);
    } else if ((ra = knobs_rate_check(mb->knobs, mono_ms())) > 0) {
        edge_503(mb, res, STORM_RATE, ra);
    } else if (!rt) {
        resp_error(res, 404, "Not Found");
    } else if (strcmp(req->method, "GET") != 0) {
        char msg[64];
        snprintf(msg, sizeof msg, "%.16s is not allowed on this endpoint.", req->method);
        resp_error(res, 405, msg);
    } else {
        rt->fn(req, res);
    }
}

/* Matches path against a template whose "{id}" takes one non-empty segment. */
static bool match(const char *tmpl, const char *path, char *param, size_t psz)
{
    const char *ph = strstr(tmpl, "{id}");
    size_t pre = ph ? (size_t)(ph - tmpl) : strlen(tmpl);
    if (strncmp(tmpl, path, pre) != 0)
        return false;
    if (!ph)
        return path[pre] == '\0';
    const char *seg = path + pre;
    size_t len = strlen(seg);
    if (len == 0 || len >= psz || strchr(seg, '/'))
        return false;
    memcpy(param, seg, len + 1);
    return true;
}

static const struct route *route_of(const char *url, char *param, size_t psz)
{
    char path[512];
    size_t n = strlen(url);
    if (n >= sizeof path)
        return NULL;
    memcpy(path, url, n + 1);
    if (n > 1 && path[n - 1] == '/')
        path[n - 1] = '\0'; /* /ws/2/artist/?query= is /ws/2/artist */
    for (size_t i = 0; i < NROUTES; i++)
        if (match(ROUTES[i].tmpl, path, param, psz))
            return &ROUTES[i];
    return NULL;
}

static const char *static_method(const char *m)
{
    static const char *const M[] = {"GET", "POST", "PUT", "DELETE", "HEAD", "PATCH", "OPTIONS"};
    for (size_t i = 0; i < sizeof M / sizeof *M; i++)
        if (strcmp(m, M[i]) == 0)
            return M[i];
    return "OTHER";
}

static enum MHD_Result dispatch(struct mb *mb, struct http_conn *cs, struct MHD_Connection *conn,
                                const char *url, const char *method)
{
    char param[256];
    const char *q = strchr(cs->uri, '?');
    struct mb_req req = {
        .mb = mb, .conn = conn, .method = method, .path = url, .query = q ? q + 1 : ""};
    struct mb_resp res = {.status = 200, .body = BUF_INIT};
    char *fmt = req_arg(&req, "fmt");
    const char *accept = req_header(&req, "Accept");
    req.json = fmt ? strcmp(fmt, "json") == 0 : accept && strstr(accept, "application/json");
    free(fmt);
    enum MHD_Result ret;
    if (strncmp(url, "/__admin", 8) == 0) {
        req.body = cs->body.data;
        req.body_len = cs->body.len;
        if (cs->too_large)
            resp_error(&res, 413, "body too large");
        else
            admin_handle(&req, &res);
        ret = send_resp(conn, &res);
    } else {
        const struct route *rt = route_of(url, param, sizeof param);
        req.param = rt ? param : NULL;
        gate(mb, &req, &res, rt, strlen(cs->uri));
        knobs_record(mb->knobs, static_method(method), rt ? rt->tmpl : UNMATCHED, url, req.query,
                     req_header(&req, "User-Agent"), res.drop ? 0 : res.status, cs->start_ms,
                     now_ms());
        ret = res.drop ? MHD_NO : send_resp(conn, &res);
    }
    buf_release(&res.body);
    return ret;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **con_cls)
{
    (void)version;
    struct mb *mb = cls;
    struct http_conn *cs = *con_cls;
    if (!cs || !cs->uri)
        return MHD_NO;
    if (!cs->started) {
        cs->started = true;
        return MHD_YES;
    }
    if (*upload_data_size) {
        http_conn_upload(cs, upload_data, upload_data_size, MAX_ADMIN_BODY);
        return MHD_YES;
    }
    if (strncmp(url, "/__admin", 8) != 0 &&
        http_conn_delay(cs, conn, mb->delays, knobs_latency(mb->knobs)))
        return MHD_YES;
    return dispatch(mb, cs, conn, url, method);
}

/* ---- start / stop ---- */

int server_start(struct mb *mb, int port)
{
    struct acceptor *a = calloc(1, sizeof *a);
    if (!a)
        return -1;
    a->mb = mb;
    a->wake[0] = a->wake[1] = -1;
    pthread_mutex_init(&a->mu, NULL);
    pthread_cond_init(&a->cv, NULL);
    mb->acceptor = a;
    a->listen_fd = listen_loopback(port, &mb->port);
    if (a->listen_fd < 0) {
        perror("musicbrainz-emulator: bind");
        return -1;
    }
    if (pipe2(a->wake, O_NONBLOCK | O_CLOEXEC) != 0 || !(mb->delays = delay_new()))
        return -1;
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME |
                     MHD_USE_NO_LISTEN_SOCKET | MHD_USE_ITC | MHD_USE_ERROR_LOG;
    mb->daemon = MHD_start_daemon(
        flags, 0, NULL, NULL, on_request, mb, MHD_OPTION_CONNECTION_LIMIT, (unsigned)1000,
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)120, MHD_OPTION_CONNECTION_MEMORY_LIMIT,
        (size_t)(256 * 1024), MHD_OPTION_URI_LOG_CALLBACK, http_conn_open, NULL,
        MHD_OPTION_NOTIFY_COMPLETED, http_conn_close, NULL, MHD_OPTION_END);
    if (!mb->daemon) {
        fprintf(stderr, "musicbrainz-emulator: cannot start the HTTP daemon\n");
        return -1;
    }
    if (pthread_create(&a->thread, NULL, accept_main, a) != 0)
        return -1;
    a->running = true;
    return 0;
}

void server_stop(struct mb *mb)
{
    struct acceptor *a = mb->acceptor;
    if (a && a->running) {
        pthread_mutex_lock(&a->mu);
        a->stop = true;
        wake(a);
        pthread_mutex_unlock(&a->mu);
        pthread_join(a->thread, NULL);
    }
    delay_free(mb->delays); /* resumes what still waits before MHD stops */
    mb->delays = NULL;
    if (mb->daemon)
        MHD_stop_daemon(mb->daemon);
    mb->daemon = NULL;
    if (a) {
        if (a->listen_fd >= 0)
            close(a->listen_fd);
        for (int i = 0; i < 2; i++)
            if (a->wake[i] >= 0)
                close(a->wake[i]);
        pthread_cond_destroy(&a->cv);
        pthread_mutex_destroy(&a->mu);
        free(a);
    }
    mb->acceptor = NULL;
}
