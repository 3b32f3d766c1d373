/* Plumbing both emulators' HTTP layers share (this one and
 * tools/musicbrainz-emulator): per-request state, the latency queue that
 * resumes suspended MHD connections when they are due, and the loopback
 * listening socket. */
#include "http_common.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* ---- delay queue: resumes suspended connections when their latency is over ---- */

struct delay_item {
    struct MHD_Connection *conn;
    int64_t due_ms; /* monotonic; HELD_MS while held */
};

#define HELD_MS INT64_MAX

struct delay_queue {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    struct delay_item *items;
    size_t n, cap;
    bool stop;
    pthread_t thread;
    char *hold_prefix; /* NULL: no hold */
    size_t n_held;     /* items with due_ms == HELD_MS */
};

static void *delay_main(void *arg)
{
    struct delay_queue *q = arg;
    struct MHD_Connection *due[64];
    pthread_mutex_lock(&q->mu);
    for (;;) {
        size_t ndue = 0;
        int64_t now = mono_ms(), next = INT64_MAX;
        for (size_t i = 0; i < q->n;) {
            if (q->stop || q->items[i].due_ms <= now) {
                if (ndue == sizeof due / sizeof *due)
                    break;
                due[ndue++] = q->items[i].conn;
                q->items[i] = q->items[--q->n];
            } else {
                if (q->items[i].due_ms < next)
                    next = q->items[i].due_ms;
                i++;
            }
        }
        if (ndue) {
            /* Resume outside our lock: MHD takes its own. */
            pthread_mutex_unlock(&q->mu);
            for (size_t i = 0; i < ndue; i++)
                MHD_resume_connection(due[i]);
            pthread_mutex_lock(&q->mu);
            continue;
        }
        if (q->stop)
            break;
        if (next == INT64_MAX) {
            pthread_cond_wait(&q->cv, &q->mu);
        } else {
            struct timespec ts;
            clock_gettime(CLOCK_MONOTONIC, &ts);
            int64_t wait = next - now;
            ts.tv_sec += wait / 1000;
            ts.tv_nsec += (wait % 1000) * 1000000;
            if (ts.tv_nsec >= 1000000000) {
                ts.tv_sec++;
                ts.tv_nsec -= 1000000000;
            }
            pthread_cond_timedwait(&q->cv, &q->mu, &ts);
        }
    }
    pthread_mutex_unlock(&q->mu);
    return NULL;
}

struct delay_queue *delay_new(void)
{
    struct delay_queue *q = calloc(1, sizeof *q);
    if (!q)
        return NULL;
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&q->cv, &ca);
    pthread_condattr_destroy(&ca);
    pthread_mutex_init(&q->mu, NULL);
    if (pthread_create(&q->thread, NULL, delay_main, q) != 0) {
        pthread_cond_destroy(&q->cv);
        pthread_mutex_destroy(&q->mu);
        free(q);
        return NULL;
    }
    return q;
}

/* Room for one more item (mutex held); 0 or -1. */
static int delay_reserve(struct delay_queue *q)
{
    if (q->n < q->cap)
        return 0;
    size_t ncap = q->cap ? q->cap * 2 : 64;
    struct delay_item *ni = realloc(q->items, ncap * sizeof *ni);
    if (!ni)
        return -1;
    q->items = ni;
    q->cap = ncap;
    return 0;
}

int delay_add(struct delay_queue *q, struct MHD_Connection *conn, int64_t due)
{
    int rc = 0;
    pthread_mutex_lock(&q->mu);
    if (delay_reserve(q) != 0) {
        rc = -1;
        goto done;
    }
    q->items[q->n].conn = conn;
    q->items[q->n].due_ms = due;
    q->n++;
    pthread_cond_signal(&q->cv);
done:
    pthread_mutex_unlock(&q->mu);
    return rc;
}

int delay_hold_set(struct delay_queue *q, const char *path_prefix)
{
    char *copy = strdup(path_prefix);
    if (!copy)
        return -1;
    pthread_mutex_lock(&q->mu);
    free(q->hold_prefix);
    q->hold_prefix = copy;
    pthread_mutex_unlock(&q->mu);
    return 0;
}

size_t delay_hold_release(struct delay_queue *q)
{
    pthread_mutex_lock(&q->mu);
    size_t released = q->n_held;
    free(q->hold_prefix);
    q->hold_prefix = NULL;
    for (size_t i = 0; i < q->n; i++)
        if (q->items[i].due_ms == HELD_MS)
            q->items[i].due_ms = 0; /* due now: the thread resumes it */
    q->n_held = 0;
    pthread_cond_signal(&q->cv);
    pthread_mutex_unlock(&q->mu);
    return released;
}

int delay_hold_json(struct delay_queue *q, struct buf *b)
{
    pthread_mutex_lock(&q->mu);
    int rc = buf_append_str(b, "{\"path_prefix\":");
    if (rc == 0)
        rc = q->hold_prefix ? jw_str(b, q->hold_prefix) : buf_append_str(b, "null");
    if (rc == 0)
        rc = buf_appendf(b, ",\"held\":%zu}", q->n_held);
    pthread_mutex_unlock(&q->mu);
    return rc;
}

bool delay_hold_take(struct delay_queue *q, struct MHD_Connection *conn, const char *path)
{
    bool held = false;
    pthread_mutex_lock(&q->mu);
    /* Checked and queued under the mutex, so that a release cannot slip in between and
     * leave this connection held with no one to resume it. MHD's own lock is taken
     * inside ours here only; the thread resumes outside ours. */
    if (q->hold_prefix && strncmp(path, q->hold_prefix, strlen(q->hold_prefix)) == 0 &&
        delay_reserve(q) == 0) {
        MHD_suspend_connection(conn);
        q->items[q->n].conn = conn;
        q->items[q->n].due_ms = HELD_MS;
        q->n++;
        q->n_held++;
        held = true;
    }
    pthread_mutex_unlock(&q->mu);
    return held;
}

void delay_free(struct delay_queue *q)
{
    if (!q)
        return;
    pthread_mutex_lock(&q->mu);
    q->stop = true;
    pthread_cond_signal(&q->cv);
    pthread_mutex_unlock(&q->mu);
    pthread_join(q->thread, NULL);
    pthread_cond_destroy(&q->cv);
    pthread_mutex_destroy(&q->mu);
    free(q->items);
    free(q->hold_prefix);
    free(q);
}

/* ---- listening socket ---- */

int listen_loopback(int port, int *chosen)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t sl = sizeof sa;
    if (bind(fd, (struct sockaddr *)&sa, sizeof sa) != 0 || listen(fd, 1024) != 0 ||
        getsockname(fd, (struct sockaddr *)&sa, &sl) != 0) {
        close(fd);
        return -1;
    }
    *chosen = ntohs(sa.sin_port);
    return fd;
}

/* ---- per-request state ---- */

void *http_conn_open(void *cls, const char *uri, struct MHD_Connection *conn)
{
    (void)cls;
    (void)conn;
    struct http_conn *cs = calloc(1, sizeof *cs);
    if (cs) {
        cs->uri = strdup(uri);
        cs->start_ms = now_ms();
    }
    return cs; /* NULL: the handler answers MHD_NO */
}

void http_conn_close(void *cls, struct MHD_Connection *conn, void **con_cls,
                     enum MHD_RequestTerminationCode toe)
{
    (void)cls;
    (void)conn;
    (void)toe;
    struct http_conn *cs = *con_cls;
    if (!cs)
        return;
    buf_release(&cs->body);
    free(cs->uri);
    free(cs);
    *con_cls = NULL;
}

void http_conn_upload(struct http_conn *cs, const char *data, size_t *size, size_t max)
{
    if (!cs->too_large && (cs->body.len + *size > max || buf_append(&cs->body, data, *size) != 0))
        cs->too_large = true;
    *size = 0;
}

const char *http_conn_query(const struct http_conn *cs)
{
    const char *q = strchr(cs->uri, '?');
    return q ? q + 1 : "";
}

bool http_conn_delay(struct http_conn *cs, struct MHD_Connection *conn, struct delay_queue *q,
                     int latency_ms)
{
    if (cs->delayed)
        return false;
    cs->delayed = true;
    if (latency_ms <= 0)
        return false;
    MHD_suspend_connection(conn);
    if (delay_add(q, conn, mono_ms() + latency_ms) == 0)
        return true;
    MHD_resume_connection(conn);
    return false;
}
