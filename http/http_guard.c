/* Connection deadlines, request-target and framing checks (see http_guard.h). */
#include "http/http_guard.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>

#include "lib/app_err.h"
#include "lib/log.h"
#include "lib/metrics.h"
#include "lib/util.h"

#define SWEEP_MS 250

enum phase { PHASE_HEAD, PHASE_BODY, PHASE_ANSWER };

/* One open connection; lives from MHD's "started" to its "closed" notification.
 * The list links and `cut` are under the guard's mutex; phase and deadline are
 * atomics written by the connection's polling thread without it (three times a
 * request: a shared mutex there cost a tenth of the throughput of /healthz). */
struct watch {
    struct http_guard *g;
    struct watch *prev, *next;
    MHD_socket fd;
    atomic_int phase;           /* enum phase */
    _Atomic int64_t deadline_ms; /* 0: none */
    int cut;                    /* shut down already */
};

struct http_guard {
    int64_t head_ms, body_ms, idle_ms;
    struct metrics *metrics;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    struct watch *head; /* every open connection (under mu) */
    int stop;
    pthread_t sweeper;
};

/* The marks http_guard_on_uri hands to the access handler as *con_cls. */
static const char mark_uri_long, mark_query_many;

/* ---- deadlines ---- */

/* The deadline `ms` from now; 0 (none) when that timeout is off. */
static int64_t due(int64_t now, int64_t ms)
{
    return ms > 0 ? now + ms : 0;
}

static void *sweep_main(void *arg)
{
    struct http_guard *g = arg;
    pthread_mutex_lock(&g->mu);
    while (!g->stop) {
        int64_t now = util_now_ms();
        for (struct watch *w = g->head; w; w = w->next) {
            int64_t deadline = atomic_load(&w->deadline_ms);
            if (w->cut || deadline == 0 || now < deadline)
                continue;
            /* MHD sees the end of the stream and closes the connection itself. */
            (void)shutdown(w->fd, SHUT_RDWR);
            w->cut = 1;
            int head = atomic_load(&w->phase) == PHASE_HEAD;
            log_debug("http: closed a connection whose request %s did not arrive in time",
                      head ? "head" : "body");
            if (g->metrics)
                metrics_add(g->metrics, "playrouter_http_connections_cut_total",
                            head ? "phase=\"head\"" : "phase=\"body\"", 1);
        }
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_nsec += SWEEP_MS * 1000000L;
        if (until.tv_nsec >= 1000000000L) {
            until.tv_sec++;
            until.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&g->cv, &g->mu, &until);
    }
    pthread_mutex_unlock(&g->mu);
    return NULL;
}

int http_guard_new(int head_timeout_s, int body_timeout_s, int idle_timeout_s,
                   struct metrics *metrics, struct http_guard **out)
{
    struct http_guard *g = calloc(1, sizeof *g);
    *out = NULL;
    if (!g)
        return -1;
    g->head_ms = (int64_t)head_timeout_s * 1000;
    g->body_ms = (int64_t)body_timeout_s * 1000;
    g->idle_ms = (int64_t)idle_timeout_s * 1000;
    g->metrics = metrics;
    pthread_mutex_init(&g->mu, NULL);
    pthread_cond_init(&g->cv, NULL);
    if (metrics)
        metrics_describe(metrics, "playrouter_http_connections_cut_total", "counter",
                         "connections closed because a request head or body was not received "
                         "within its deadline");
    if (pthread_create(&g->sweeper, NULL, sweep_main, g) != 0) {
        pthread_mutex_destroy(&g->mu);
        pthread_cond_destroy(&g->cv);
        free(g);
        return -1;
    }
    *out = g;
    return 0;
}

void http_guard_free(struct http_guard *g)
{
    if (!g)
        return;
    pthread_mutex_lock(&g->mu);
    g->stop = 1;
    pthread_cond_broadcast(&g->cv);
    pthread_mutex_unlock(&g->mu);
    pthread_join(g->sweeper, NULL);
    /* MHD_stop_daemon() closed every connection, so the list is empty; a daemon left
     * running (a stuck deferred worker at exit) still holds its entries. */
    while (g->head) {
        struct watch *w = g->head;
        g->head = w->next;
        free(w);
    }
    pthread_mutex_destroy(&g->mu);
    pthread_cond_destroy(&g->cv);
    free(g);
}

void http_guard_on_connection(void *cls, struct MHD_Connection *c, void **socket_context,
                              enum MHD_ConnectionNotificationCode code)
{
    struct http_guard *g = cls;
    struct watch *w = *socket_context;
    if (code == MHD_CONNECTION_NOTIFY_STARTED) {
        const union MHD_ConnectionInfo *ci =
            MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
        if (!ci || !(w = calloc(1, sizeof *w))) {
            log_warn("http: cannot watch a new connection (out of memory)");
            return; /* the connection works, only without a deadline */
        }
        w->g = g;
        w->fd = ci->connect_fd;
        atomic_init(&w->phase, PHASE_HEAD);
        atomic_init(&w->deadline_ms, due(util_now_ms(), g->head_ms));
        pthread_mutex_lock(&g->mu);
        w->next = g->head;
        if (g->head)
            g->head->prev = w;
        g->head = w;
        pthread_mutex_unlock(&g->mu);
        *socket_context = w;
        return;
    }
    if (!w)
        return;
    /* Closed: unregister before MHD closes the fd (see the header). */
    pthread_mutex_lock(&g->mu);
    if (w->prev)
        w->prev->next = w->next;
    else
        g->head = w->next;
    if (w->next)
        w->next->prev = w->prev;
    pthread_mutex_unlock(&g->mu);
    free(w);
    *socket_context = NULL;
}

static void set_phase(struct MHD_Connection *c, enum phase phase)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    struct watch *w = ci ? ci->socket_context : NULL;
    if (!w)
        return;
    const struct http_guard *g = w->g;
    int64_t deadline = 0;
    switch (phase) {
    case PHASE_HEAD:
        deadline = g->head_ms ? due(util_now_ms(), g->idle_ms + g->head_ms) : 0;
        break;
    case PHASE_BODY: deadline = due(util_now_ms(), g->body_ms); break;
    case PHASE_ANSWER: break;
    }
    /* Phase first: the sweeper that sees the new deadline labels it right. */
    atomic_store(&w->phase, (int)phase);
    atomic_store(&w->deadline_ms, deadline);
}

void http_guard_head_received(struct MHD_Connection *c)
{
    set_phase(c, PHASE_BODY);
}

void http_guard_body_received(struct MHD_Connection *c)
{
    set_phase(c, PHASE_ANSWER);
}

void http_guard_request_done(struct MHD_Connection *c)
{
    set_phase(c, PHASE_HEAD);
}

/* ---- request target ---- */

void *http_guard_on_uri(void *cls, const char *uri, struct MHD_Connection *c)
{
    const void *mark = NULL;
    const char *q = strchr(uri, '?');
    size_t params = 0;

    if (q && q[1]) {
        params = 1;
        for (const char *p = q + 1; *p; p++)
            params += *p == '&';
    }
    if (params > HTTP_GUARD_QUERY_MAX)
        mark = &mark_query_many;
    else if (strlen(uri) > HTTP_GUARD_URI_MAX)
        mark = &mark_uri_long;
    /* The target lies in MHD's own read buffer and MHD parses the query right after
     * this call, from the byte after '?': ending the string there leaves it nothing to
     * store. (We answer 414 anyway, so the query is never read.) */
    if (mark && q && q[1])
        ((char *)q)[1] = '\0';
    return (void *)mark;
}

int http_guard_is_mark(const void *con_cls)
{
    return con_cls == &mark_uri_long || con_cls == &mark_query_many;
}

/* ---- framing ---- */

struct framing {
    int content_length, transfer_encoding, other_coding, host, bad_name;
};

static enum MHD_Result note_header(void *cls, enum MHD_ValueKind kind, const char *key,
                                   const char *value)
{
    struct framing *f = cls;
    if (strcasecmp(key, "Content-Length") == 0) {
        f->content_length++;
    } else if (strcasecmp(key, "Transfer-Encoding") == 0) {
        f->transfer_encoding++;
        f->other_coding |= !value || strcasecmp(value, "chunked") != 0;
    } else if (strcasecmp(key, "Host") == 0) {
        f->host = 1;
    }
    /* MHD keeps what stood before the colon: "Content-Length " is another field to it,
     * but not to a proxy that trims it. */
    f->bad_name |= strpbrk(key, " \t") != NULL;
    return MHD_YES;
}

int http_guard_check_request(struct MHD_Connection *c, const void *mark, const char *version,
                             struct report *rep)
{
    struct framing f = {0};
    if (mark == &mark_uri_long) {
        report_message(rep, "the request URI is longer than %d bytes", HTTP_GUARD_URI_MAX);
        return ERR_URI_TOO_LONG;
    }
    if (mark == &mark_query_many) {
        report_message(rep, "the query string has more than %d parameters", HTTP_GUARD_QUERY_MAX);
        return ERR_URI_TOO_LONG;
    }
    MHD_get_connection_values(c, MHD_HEADER_KIND, note_header, &f);
    if (f.bad_name)
        report_message(rep, "a header field name has whitespace before its colon");
    else if (f.content_length > 1)
        report_message(rep, "the request has more than one Content-Length header");
    else if (f.content_length && f.transfer_encoding)
        report_message(rep, "the request has both Content-Length and Transfer-Encoding");
    else if (f.transfer_encoding > 1 || f.other_coding)
        report_message(rep, "Transfer-Encoding must be exactly 'chunked' (once)");
    else if (!f.host && version && strcmp(version, MHD_HTTP_VERSION_1_1) == 0)
        report_message(rep, "an HTTP/1.1 request must have a Host header");
    else
        return 0;
    return ERR_BAD_REQUEST;
}
