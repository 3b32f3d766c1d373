/* The HTTP core's parked and deferred requests: a parked request is answered by
 * another thread through request_resume() (also when that happens inside arm, before
 * anything waited), its polling thread is free meanwhile, deferred work runs on the
 * worker pool it was given, a server without a pool answers 503 instead of starting a
 * thread, and deferred work sees a client that hung up (or half-closed) while its
 * connection is suspended. A real server on a loopback port, a plain-socket client. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
/* cmocka.h needs setjmp.h, stdarg.h and stddef.h first. */
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "http/http.h"
#include "lib/util.h"
#include "lib/workpool.h"

/* A client that gets no answer in this long fails with a message instead of hanging
 * until CTest's timeout. */
#define CLIENT_TIMEOUT_S 30

/* One parked request handed to the answering thread, with the polling thread that
 * parked it. */
static struct {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    struct request *req;
    struct response *res;
    pthread_t polling_thread;
    bool parked; /* polling_thread is set (the last request to /park) */
} slot = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, NULL, NULL, 0, false};

static void arm_later(struct request *req, struct response *res, void *arg)
{
    (void)arg;
    pthread_mutex_lock(&slot.mu);
    slot.req = req;
    slot.res = res;
    slot.polling_thread = pthread_self();
    slot.parked = true;
    pthread_cond_broadcast(&slot.cv);
    pthread_mutex_unlock(&slot.mu);
}

/* /ping says whether it was answered by the polling thread of the parked request. */
static void ping(struct response *res)
{
    pthread_mutex_lock(&slot.mu);
    bool same = slot.parked && pthread_equal(slot.polling_thread, pthread_self());
    pthread_mutex_unlock(&slot.mu);
    response_text(res, 200, "text/plain", same ? "parked-thread" : "other-thread");
}

static void arm_now(struct request *req, struct response *res, void *arg)
{
    response_text(res, 200, "text/plain", (const char *)arg);
    request_resume(req);
}

static void work(struct request *req, struct response *res, void *arg)
{
    (void)req;
    response_text(res, 200, "text/plain", (const char *)arg);
}

/* Deferred work that watches its client: what request_client_gone() said while the
 * client was there, and whether it said "gone" after the client left (within 5 s). */
static struct {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool started;       /* the work runs and has looked once */
    bool gone_at_start; /* request_client_gone() on that first look */
    bool client_left;   /* set by the test once it closed or half-closed */
    bool done;
    bool saw_gone;
} watch = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, false, false, false, false, false};

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void watch_work(struct request *req, struct response *res, void *arg)
{
    (void)arg;
    pthread_mutex_lock(&watch.mu);
    watch.gone_at_start = request_client_gone(req);
    watch.started = true;
    pthread_cond_broadcast(&watch.cv);
    while (!watch.client_left) /* the client is there until the test says otherwise */
        pthread_cond_wait(&watch.cv, &watch.mu);
    pthread_mutex_unlock(&watch.mu);
    bool gone = false;
    for (int64_t end = now_ms() + 5000; !gone && now_ms() < end; usleep(2000))
        gone = request_client_gone(req);
    pthread_mutex_lock(&watch.mu);
    watch.saw_gone = gone;
    watch.done = true;
    pthread_cond_broadcast(&watch.cv);
    pthread_mutex_unlock(&watch.mu);
    response_text(res, 200, "text/plain", "watched");
}

/* GET path on 127.0.0.1:port: 0 with the status and body, or -1 with the reason in
 * why. No cmocka assert: the answering thread calls it too. */
static int get_try(int port, const char *path, int *status, char *body, size_t len, char *why,
                   size_t whylen)
{
    char buf[4096];
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    struct timeval tv = {CLIENT_TIMEOUT_S, 0};
    size_t got = 0, sent = 0, req_len;
    ssize_t n;
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    int rc = -1;

    if (fd < 0) {
        snprintf(why, whylen, "socket: %s", strerror(errno));
        return -1;
    }
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
    if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0) {
        snprintf(why, whylen, "connect to port %d: %s", port, strerror(errno));
        goto done;
    }
    snprintf(buf, sizeof buf, "GET %s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", path);
    req_len = strlen(buf);
    while (sent < req_len) {
        if ((n = write(fd, buf + sent, req_len - sent)) < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            snprintf(why, whylen, "write GET %s: %s", path, n < 0 ? strerror(errno) : "closed");
            goto done;
        }
        sent += (size_t)n;
    }
    while (got < sizeof buf - 1) {
        n = read(fd, buf + got, sizeof buf - 1 - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            snprintf(why, whylen, "GET %s: no answer within %d s (%s)", path, CLIENT_TIMEOUT_S,
                     strerror(errno));
            goto done;
        }
        if (n == 0)
            break;
        got += (size_t)n;
    }
    buf[got] = '\0';
    if (sscanf(buf, "HTTP/1.1 %d", status) != 1) {
        snprintf(why, whylen, "GET %s: not an HTTP/1.1 answer (%zu bytes: \"%.60s\")", path, got,
                 buf);
        goto done;
    }
    const char *b = strstr(buf, "\r\n\r\n");
    snprintf(body, len, "%s", b ? b + 4 : "");
    rc = 0;
done:
    close(fd);
    return rc;
}

/* What the answering thread saw; the main thread asserts on it after the join. */
struct answer_report {
    int port;
    int pings;     /* /ping requests sent before the parked request's thread answered one */
    bool freed;    /* the parked request's polling thread answered a /ping */
    char why[256]; /* the reason when not */
};

/* Waits for the parked request, then for its polling thread to answer another request
 * (proof that the thread returned and is not held by the parked one, where a sleep only
 * hoped so), then answers the parked request. With more than one polling thread a new
 * connection goes to any of them: /ping is asked again until the right one answers, for
 * up to 20 s. */
static void *answerer(void *arg)
{
    struct answer_report *rep = arg;
    pthread_mutex_lock(&slot.mu);
    while (!slot.req)
        pthread_cond_wait(&slot.cv, &slot.mu);
    struct request *req = slot.req;
    struct response *res = slot.res;
    slot.req = NULL;
    pthread_mutex_unlock(&slot.mu);

    int64_t deadline = util_now_ms() + 20000;
    snprintf(rep->why, sizeof rep->why,
             "the polling thread of the parked request answered no other request in 20 s");
    while (!rep->freed && util_now_ms() < deadline) {
        int status = 0;
        char body[64];
        rep->pings++;
        if (get_try(rep->port, "/ping", &status, body, sizeof body, rep->why, sizeof rep->why) != 0)
            break;
        rep->freed = status == 200 && strcmp(body, "parked-thread") == 0;
    }
    response_text(res, 201, "text/plain", "parked");
    request_resume(req);
    return NULL;
}

static void dispatch(struct request *req, struct response *res)
{
    int rc = -1;
    if (strcmp(req->path, "/ping") == 0) {
        ping(res);
        return;
    }
    if (strcmp(req->path, "/park") == 0)
        rc = request_park(req, arm_later, NULL);
    else if (strcmp(req->path, "/park-now") == 0)
        rc = request_park(req, arm_now, "now");
    else if (strcmp(req->path, "/defer") == 0)
        rc = request_defer(req, work, "deferred");
    else if (strcmp(req->path, "/defer-watch") == 0)
        rc = request_defer(req, watch_work, NULL);
    if (rc != 0)
        response_text(res, 404, "text/plain", "no");
}

/* GET path; the status into *status and the body into body. */
static void get(int port, const char *path, int *status, char *body, size_t len)
{
    char why[256];
    if (get_try(port, path, status, body, len, why, sizeof why) != 0)
        fail_msg("%s", why);
}

static struct http_server *start(struct workpool *pool)
{
    struct http_server *srv = NULL;
    struct report err = {0};
    struct http_server_opts o = {.bind = "127.0.0.1", .port = 0, .threads = 2,
                                 .max_connections = 16, .idle_timeout_s = 5, .max_body = 1024,
                                 .pool = pool};
    assert_int_equal(http_server_start(&o, NULL, dispatch, &srv, &err), 0);
    return srv;
}

static void test_http_park_answered_by_another_thread(void **state)
{
    struct http_server *srv = start(NULL);
    struct answer_report rep = {.port = http_server_port(srv)};
    pthread_t t;
    int status = 0;
    char body[64];
    (void)state;
    assert_int_equal(pthread_create(&t, NULL, answerer, &rep), 0);
    get(http_server_port(srv), "/park", &status, body, sizeof body);
    pthread_join(t, NULL);
    if (!rep.freed)
        fail_msg("%s (%d /ping sent)", rep.why, rep.pings);
    assert_int_equal(status, 201);
    assert_string_equal(body, "parked");
    get(http_server_port(srv), "/park-now", &status, body, sizeof body);
    assert_int_equal(status, 200);
    assert_string_equal(body, "now");
    http_server_stop(srv, 5);
}

static void test_http_defer_runs_on_the_pool(void **state)
{
    struct workpool *pool = NULL;
    int status = 0;
    char body[64];
    (void)state;
    assert_int_equal(workpool_new(1, 4, &pool), 0);
    struct http_server *srv = start(pool);
    get(http_server_port(srv), "/defer", &status, body, sizeof body);
    assert_int_equal(status, 200);
    assert_string_equal(body, "deferred");
    assert_int_equal(workpool_peak_running(pool), 1);
    http_server_stop(srv, 5);
    workpool_free(pool);
    /* No pool: 503, never a thread of its own. */
    srv = start(NULL);
    get(http_server_port(srv), "/defer", &status, body, sizeof body);
    assert_int_equal(status, 503);
    http_server_stop(srv, 5);
}

/* Sends GET /defer-watch, lets the work look while the client is there, then closes the
 * socket (half: shutdown(SHUT_WR), the way some clients hang up) and waits for what the
 * work saw. */
static void watch_client(bool half_close)
{
    struct workpool *pool = NULL;
    const char *head = "GET /defer-watch HTTP/1.1\r\nHost: x\r\n\r\n";
    pthread_mutex_lock(&watch.mu); /* before the request: its work may start at once */
    watch.started = watch.client_left = watch.done = watch.saw_gone = false;
    pthread_mutex_unlock(&watch.mu);
    assert_int_equal(workpool_new(1, 4, &pool), 0);
    struct http_server *srv = start(pool);
    struct sockaddr_in a = {.sin_family = AF_INET,
                            .sin_port = htons((uint16_t)http_server_port(srv))};
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
    assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof a), 0);
    assert_int_equal(write(fd, head, strlen(head)), (ssize_t)strlen(head));

    pthread_mutex_lock(&watch.mu);
    while (!watch.started)
        pthread_cond_wait(&watch.cv, &watch.mu);
    bool gone_at_start = watch.gone_at_start; /* suspended, the client still there */
    if (half_close)
        shutdown(fd, SHUT_WR);
    else
        close(fd);
    watch.client_left = true;
    pthread_cond_broadcast(&watch.cv);
    while (!watch.done)
        pthread_cond_wait(&watch.cv, &watch.mu);
    bool saw_gone = watch.saw_gone;
    pthread_mutex_unlock(&watch.mu);
    assert_false(gone_at_start);
    assert_true(saw_gone);
    if (half_close)
        close(fd);
    /* The request completes (its answer cannot be delivered) and nothing is left. */
    for (int64_t end = now_ms() + 5000; http_server_inflight(srv) > 0 && now_ms() < end;)
        usleep(2000);
    assert_int_equal(http_server_inflight(srv), 0);
    http_server_stop(srv, 5);
    workpool_free(pool);
}

static void test_http_defer_sees_a_client_that_left(void **state)
{
    (void)state;
    watch_client(false);
}

static void test_http_defer_sees_a_client_that_half_closed(void **state)
{
    (void)state;
    watch_client(true);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_http_park_answered_by_another_thread),
        cmocka_unit_test(test_http_defer_runs_on_the_pool),
        cmocka_unit_test(test_http_defer_sees_a_client_that_left),
        cmocka_unit_test(test_http_defer_sees_a_client_that_half_closed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
