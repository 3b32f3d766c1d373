/* Tests of the Redis backend of services/cache against a real redis-server that this
 * test starts, kills, stops and restarts itself on a free loopback port. The LRU, key
 * format and URL parser are in tests/test_cache_memory.c.
 *
 * Timeouts. The production default (opts.timeout_ms 0: CACHE_DEFAULT_TIMEOUT_MS, 50 ms)
 * bounds what a hung Redis costs a caller, and test_cache_redis_stopped_is_a_miss_within_timeout
 * checks that bound with it. Every other test talks to a healthy Redis, or to a killed one
 * (connection refused or reset: answered at once, no timeout involved), and asserts hits,
 * command counts, log lines or counters. With 50 ms, one scheduling stall of redis-server
 * on a loaded machine (load 12+ on 2 cores) is a timeout: the cache goes down, the test
 * sees misses, or a second "unavailable" line and an extra reconnect. Those tests use
 * TEST_TIMEOUT_MS, which no healthy round trip reaches; a call that did wait for the
 * timeout against a dead Redis would now also break their "< 500 ms" bounds. */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <hiredis/hiredis.h>

#include "lib/app_err.h"
#include "lib/util.h"
#include "services/cache/cache.h"
#include "services/cache/cache_internal.h"
#include "test_cache_fixture.h"

/* Connect and command timeout of the caches and raw connections of the tests that do
 * not test the timeout itself (see above). */
#define TEST_TIMEOUT_MS 5000

/* ---- redis-server harness ------------------------------------------------------- */

static int redis_available = -1; /* -1 unknown, 0 missing, 1 present */
static int redis_port;
static pid_t redis_pid = -1;

/* A free loopback port: bind to port 0, read it back, close. */
static int free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    struct sockaddr_in sa = {0};
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    sa.sin_port = 0;
    assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof sa), 0);
    socklen_t len = sizeof sa;
    assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
    close(fd);
    return ntohs(sa.sin_port);
}

static redisContext *raw_connect(int port)
{
    struct timeval tv = {TEST_TIMEOUT_MS / 1000, (TEST_TIMEOUT_MS % 1000) * 1000};
    redisContext *ctx = redisConnectWithTimeout("127.0.0.1", port, tv);
    if (ctx != NULL && ctx->err != 0) {
        redisFree(ctx);
        return NULL;
    }
    if (ctx != NULL)
        redisSetTimeout(ctx, tv);
    return ctx;
}

static int raw_ping(int port, const char *password)
{
    redisContext *ctx = raw_connect(port);
    if (ctx == NULL)
        return -1;
    redisReply *r = password != NULL ? redisCommand(ctx, "AUTH %s", password) : NULL;
    freeReplyObject(r);
    r = redisCommand(ctx, "PING");
    int ok = r != NULL && r->type == REDIS_REPLY_STATUS;
    freeReplyObject(r);
    redisFree(ctx);
    return ok ? 0 : -1;
}

/* Starts redis-server on port (with --requirepass when password is not NULL).
 * Returns its pid once it answers PING; fails the test after 20 s (wall clock, not a
 * count of polls, so that a slow poll does not shorten it). */
static pid_t redis_start(int port, const char *password)
{
    char portstr[16];
    snprintf(portstr, sizeof portstr, "%d", port);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        int devnull = open("/dev/null", O_RDWR);
        if (devnull >= 0) {
            dup2(devnull, 0);
            dup2(devnull, 1);
            dup2(devnull, 2);
        }
        if (password != NULL)
            execlp("redis-server", "redis-server", "--port", portstr, "--bind", "127.0.0.1",
                   "--save", "", "--appendonly", "no", "--requirepass", password, (char *)NULL);
        else
            execlp("redis-server", "redis-server", "--port", portstr, "--bind", "127.0.0.1",
                   "--save", "", "--appendonly", "no", (char *)NULL);
        _exit(127);
    }
    int64_t deadline = util_now_ms() + 20000;
    while (util_now_ms() < deadline) {
        if (raw_ping(port, password) == 0)
            return pid;
        int status;
        if (waitpid(pid, &status, WNOHANG) == pid)
            fail_msg("redis-server exited at start (status %d)", status);
        usleep(10000);
    }
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    fail_msg("redis-server on port %d did not answer PING", port);
    return -1;
}

static void redis_stop(pid_t *pid)
{
    if (*pid <= 0)
        return;
    kill(*pid, SIGCONT); /* in case a test left it stopped */
    kill(*pid, SIGKILL);
    waitpid(*pid, NULL, 0);
    *pid = -1;
}

static void stop_all_redis(void)
{
    redis_stop(&redis_pid);
}

static int redis_group_setup(void **state)
{
    (void)state;
    redis_available = system("redis-server --version >/dev/null 2>&1") == 0;
    if (!redis_available)
        return 0;
    atexit(stop_all_redis);
    redis_port = free_port();
    redis_pid = redis_start(redis_port, NULL);
    return 0;
}

static int redis_group_teardown(void **state)
{
    (void)state;
    stop_all_redis();
    return 0;
}

/* Each Redis test starts from a running, empty server. */
static int redis_test_setup(void **state)
{
    (void)state;
    if (!redis_available)
        return 0;
    if (redis_pid <= 0)
        redis_pid = redis_start(redis_port, NULL);
    redisContext *ctx = raw_connect(redis_port);
    assert_non_null(ctx);
    redisReply *r = redisCommand(ctx, "FLUSHALL");
    freeReplyObject(r);
    redisFree(ctx);
    return 0;
}

#define SKIP_WITHOUT_REDIS()                                                                       \
    do {                                                                                           \
        if (!redis_available)                                                                      \
            fail_msg("redis-server could not be started (scripts/install-deps.sh installs it)");   \
    } while (0)

/* A Redis cache on 127.0.0.1:port/db; timeout_ms as in struct cache_opts (0: the
 * production default). */
static struct cache *redis_cache(int port, int db, const char *password, int timeout_ms)
{
    char url[128];
    if (password != NULL)
        snprintf(url, sizeof url, "redis://:%s@127.0.0.1:%d/%d", password, port, db);
    else
        snprintf(url, sizeof url, "redis://127.0.0.1:%d/%d", port, db);
    struct cache_opts opts = {url, timeout_ms, 0};
    struct cache *c = NULL;
    assert_int_equal(cache_new(&opts, &c), 0);
    assert_non_null(c);
    assert_string_equal(cache_backend_name(c), "redis");
    return c;
}

/* Polls up to 10 s until the cache answers a write+read round trip again. */
static int wait_recovered(struct cache *c)
{
    for (int i = 0; i < 200; i++) {
        if (cache_ping(c) == 0) {
            set1(c, "spotify:v1:probe:x", "ok", 60);
            char *v = get1(c, "spotify:v1:probe:x");
            int ok = v != NULL && strcmp(v, "ok") == 0;
            free(v);
            if (ok)
                return 0;
        }
        usleep(50000);
    }
    return -1;
}

/* Polls up to 10 s until c answers every key of keys with its value from vals: then the
 * cache is up (a down cache answers misses without asking) and the values are stored. */
static int wait_cached(struct cache *c, const char *const *keys, const char *const *vals, size_t n)
{
    char *out[64];
    assert_true(n <= 64);
    int64_t deadline = util_now_ms() + 10000;
    while (util_now_ms() < deadline) {
        assert_int_equal(cache_mget(c, keys, n, out), 0);
        size_t same = 0;
        for (size_t i = 0; i < n; i++)
            same += out[i] != NULL && strcmp(out[i], vals[i]) == 0;
        free_values(out, n);
        if (same == n)
            return 0;
        usleep(50000);
    }
    return -1;
}

/* The clock of a cache under test: the real one, or frozen at frozen_ms (when not 0) so
 * that a stall of the test itself cannot end a reconnect back-off between two calls. */
struct test_clock {
    _Atomic int64_t frozen_ms;
};

static int64_t test_clock_now(void *arg)
{
    struct test_clock *clk = arg;
    int64_t frozen = atomic_load(&clk->frozen_ms);
    return frozen != 0 ? frozen : util_now_ms();
}

/* The value of "name:calls=N," in INFO commandstats, or -1. */
static long long cmdstat_calls(const char *name)
{
    redisContext *ctx = raw_connect(redis_port);
    assert_non_null(ctx);
    redisReply *r = redisCommand(ctx, "INFO commandstats");
    assert_non_null(r);
    long long calls = -1;
    char pat[64];
    snprintf(pat, sizeof pat, "cmdstat_%s:calls=", name);
    const char *p = r->type == REDIS_REPLY_STRING ? strstr(r->str, pat) : NULL;
    if (p != NULL)
        calls = strtoll(p + strlen(pat), NULL, 10);
    freeReplyObject(r);
    redisFree(ctx);
    return calls;
}

static void raw_command_ok(const char *cmd)
{
    redisContext *ctx = raw_connect(redis_port);
    assert_non_null(ctx);
    redisReply *r = redisCommand(ctx, cmd);
    assert_non_null(r);
    assert_int_not_equal(r->type, REDIS_REPLY_ERROR);
    freeReplyObject(r);
    redisFree(ctx);
}

/* Captures stderr (the log) into a temporary file between begin and end. */
struct capture {
    int saved_fd;
    char path[64];
};

static void capture_begin(struct capture *cap)
{
    snprintf(cap->path, sizeof cap->path, "/tmp/test_cache_log_XXXXXX");
    int fd = mkstemp(cap->path);
    assert_true(fd >= 0);
    fflush(stderr);
    cap->saved_fd = dup(2);
    dup2(fd, 2);
    close(fd);
}

/* Returns how many times needle occurs in what was logged. */
static int capture_end(struct capture *cap, const char *needle)
{
    fflush(stderr);
    dup2(cap->saved_fd, 2);
    close(cap->saved_fd);
    FILE *f = fopen(cap->path, "r");
    assert_non_null(f);
    char line[4096];
    int count = 0;
    while (fgets(line, sizeof line, f) != NULL)
        if (strstr(line, needle) != NULL)
            count++;
    fclose(f);
    unlink(cap->path);
    return count;
}

/* ---- Redis ---------------------------------------------------------------------- */

static void test_cache_redis_roundtrip_binary_safe(void **state)
{
    (void)state;
    SKIP_WITHOUT_REDIS();
    struct cache *c = redis_cache(redis_port, 0, NULL, TEST_TIMEOUT_MS);
    assert_int_equal(cache_ping(c), 0);

    char high[4] = {(char)0xff, (char)0xc3, (char)0xa9, 0};
    const char *keys[6] = {"spotify:v1:artist:1",   "spotify:v1:artist:with space\r\nSET x y",
                           "spotify:v1:album:%s%n", "spotify:v1:track:empty",
                           "spotify:v1:track:high", "spotify:v1:track:json"};
    const char *vals[6] = {"plain",       "a b\r\n*3\r\n$3\r\nSET\r\n",
                           "%s%n%d%b %%", "",
                           high,          "{\"name\":\"Beyonc\\u00e9\",\"genres\":[\"pop\"]}"};
    assert_int_equal(cache_mset(c, keys, vals, 6, 60), 0);

    const char *qkeys[7] = {
        keys[0], keys[1], keys[2], keys[3], keys[4], keys[5], "spotify:v1:artist:missing"};
    char *out[7];
    assert_int_equal(cache_mget(c, qkeys, 7, out), 0);
    for (int i = 0; i < 6; i++) {
        assert_non_null(out[i]);
        assert_string_equal(out[i], vals[i]);
    }
    assert_null(out[6]);
    free_values(out, 7);

    /* The injection-looking key was stored under its literal name, no key "x". */
    redisContext *ctx = raw_connect(redis_port);
    redisReply *r = redisCommand(ctx, "EXISTS x");
    assert_int_equal(r->integer, 0);
    freeReplyObject(r);
    redisFree(ctx);

    struct cache_counters cnt;
    cache_counters_get(c, &cnt);
    assert_int_equal(cnt.hits, 6);
    assert_int_equal(cnt.misses, 1);
    assert_int_equal(cnt.errors, 0);
    cache_free(c);
}

static void test_cache_redis_ttl_is_set(void **state)
{
    (void)state;
    SKIP_WITHOUT_REDIS();
    struct cache *c = redis_cache(redis_port, 0, NULL, TEST_TIMEOUT_MS);
    set1(c, "spotify:v1:artist:ttl", "v", 3600);

    redisContext *ctx = raw_connect(redis_port);
    assert_non_null(ctx);
    redisReply *r = redisCommand(ctx, "TTL %s", "spotify:v1:artist:ttl");
    assert_int_equal(r->type, REDIS_REPLY_INTEGER);
    assert_true(r->integer > 3590 && r->integer <= 3600);
    freeReplyObject(r);

    /* ttl <= 0 became 1 s. A machine that stalls this test for a second between the
     * write and PTTL lets the key expire (PTTL -2): that attempt shows nothing either way
     * and is made again. A key missing sooner, or with no TTL or a longer one, fails. */
    long long pttl = -2;
    for (int attempt = 0; attempt < 20; attempt++) {
        struct timespec t0, t1;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        set1(c, "spotify:v1:artist:ttl0", "v", 0);
        r = redisCommand(ctx, "PTTL %s", "spotify:v1:artist:ttl0");
        clock_gettime(CLOCK_MONOTONIC, &t1);
        assert_non_null(r);
        assert_int_equal(r->type, REDIS_REPLY_INTEGER);
        pttl = r->integer;
        freeReplyObject(r);
        if (pttl != -2 || elapsed_ms(&t0, &t1) < 1000)
            break;
    }
    if (pttl == -2)
        fail_msg("the key written with ttl 0 was gone before PTTL in under 1 s (or 20 "
                 "attempts each took over 1 s)");
    assert_true(pttl > 0 && pttl <= 1000);
    redisFree(ctx);
    cache_free(c);
}

static void test_cache_redis_select_db(void **state)
{
    (void)state;
    SKIP_WITHOUT_REDIS();
    struct cache *c = redis_cache(redis_port, 3, NULL, TEST_TIMEOUT_MS);
    set1(c, "spotify:v1:album:db", "in-db-3", 60);
    assert_cached(c, "spotify:v1:album:db", "in-db-3");

    redisContext *ctx = raw_connect(redis_port);
    redisReply *r = redisCommand(ctx, "GET %s", "spotify:v1:album:db");
    assert_int_equal(r->type, REDIS_REPLY_NIL); /* not in db 0 */
    freeReplyObject(r);
    r = redisCommand(ctx, "SELECT 3");
    freeReplyObject(r);
    r = redisCommand(ctx, "GET %s", "spotify:v1:album:db");
    assert_int_equal(r->type, REDIS_REPLY_STRING);
    assert_string_equal(r->str, "in-db-3");
    freeReplyObject(r);
    redisFree(ctx);
    cache_free(c);
}

#define BATCH 50

static void make_batch(char keybuf[BATCH][48], const char *keys[BATCH], char valbuf[BATCH][64],
                       const char *vals[BATCH])
{
    for (int i = 0; i < BATCH; i++) {
        snprintf(keybuf[i], 48, "spotify:v1:track:%022d", i);
        snprintf(valbuf[i], 64, "{\"id\":%d}", i);
        keys[i] = keybuf[i];
        if (vals != NULL)
            vals[i] = valbuf[i];
    }
}

static void test_cache_redis_one_round_trip(void **state)
{
    (void)state;
    SKIP_WITHOUT_REDIS();
    char keybuf[BATCH][48], valbuf[BATCH][64];
    const char *keys[BATCH], *vals[BATCH];
    char *out[BATCH];
    make_batch(keybuf, keys, valbuf, vals);
    struct cache *c = redis_cache(redis_port, 0, NULL, TEST_TIMEOUT_MS);

    raw_command_ok("CONFIG RESETSTAT");
    assert_int_equal(cache_mset(c, keys, vals, BATCH, 60), 0);
    assert_int_equal(cache_mget(c, keys, BATCH, out), 0);
    for (int i = 0; i < BATCH; i++)
        assert_string_equal(out[i], vals[i]);
    free_values(out, BATCH);
    assert_int_equal(cmdstat_calls("mget"), 1);
    assert_int_equal(cmdstat_calls("set"), BATCH);
    assert_int_equal(cmdstat_calls("get"), -1);

    /* Latency of a 50-key batch against a local Redis. */
    enum { ROUNDS = 2000 };
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (int i = 0; i < ROUNDS; i++) {
        assert_int_equal(cache_mget(c, keys, BATCH, out), 0);
        assert_non_null(out[BATCH - 1]);
        free_values(out, BATCH);
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double mget_us = elapsed_ms(&t0, &t1) * 1e3 / ROUNDS;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (int i = 0; i < ROUNDS / 4; i++)
        assert_int_equal(cache_mset(c, keys, vals, BATCH, 60), 0);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double mset_us = elapsed_ms(&t0, &t1) * 1e3 / (ROUNDS / 4);
    fprintf(stderr, "[ perf ] redis: mget of %d keys %.1f us, pipelined mset of %d %.1f us\n",
            BATCH, mget_us, BATCH, mset_us);
    assert_int_equal(cmdstat_calls("mget"), 1 + ROUNDS);
    cache_free(c);
}

/* SIGKILL in the middle: misses, fast, one log line; restart: it comes back alone. */
static void test_cache_redis_killed_then_restarted(void **state)
{
    (void)state;
    SKIP_WITHOUT_REDIS();
    char keybuf[BATCH][48], valbuf[BATCH][64];
    const char *keys[BATCH], *vals[BATCH];
    char *out[BATCH];
    make_batch(keybuf, keys, valbuf, vals);
    struct cache *c = redis_cache(redis_port, 0, NULL, TEST_TIMEOUT_MS);
    assert_int_equal(cache_mset(c, keys, vals, BATCH, 60), 0);
    assert_int_equal(cache_mget(c, keys, BATCH, out), 0);
    assert_non_null(out[0]);
    free_values(out, BATCH);

    struct capture cap;
    capture_begin(&cap);
    redis_stop(&redis_pid);
    double worst = 0;
    for (int round = 0; round < 20; round++) {
        struct timespec t0, t1;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        assert_int_equal(cache_mget(c, keys, BATCH, out), 0);
        assert_int_equal(cache_mset(c, keys, vals, BATCH, 60), 0);
        clock_gettime(CLOCK_MONOTONIC, &t1);
        for (int i = 0; i < BATCH; i++)
            assert_null(out[i]);
        double ms = elapsed_ms(&t0, &t1);
        worst = ms > worst ? ms : worst;
    }
    assert_int_equal(cache_ping(c), ERR_UNAVAILABLE);
    int down_lines = capture_end(&cap, "cache: redis unavailable, continuing without cache");
    fprintf(stderr, "[ perf ] redis killed: worst mget+mset of %d keys %.2f ms\n", BATCH, worst);
    assert_true(worst < 500);
    assert_int_equal(down_lines, 1);

    struct cache_counters cnt;
    cache_counters_get(c, &cnt);
    assert_true(cnt.errors >= 1);
    assert_int_equal(cnt.reconnects, 0);

    capture_begin(&cap);
    redis_pid = redis_start(redis_port, NULL);
    int rc = wait_recovered(c);
    int up_lines = capture_end(&cap, "cache: redis available again");
    assert_int_equal(rc, 0);
    assert_int_equal(up_lines, 1);
    cache_counters_get(c, &cnt);
    assert_int_equal(cnt.reconnects, 1);
    cache_free(c);
}

/* A Redis that is down at cache_new: degraded, not an error; it connects later. */
static void test_cache_redis_down_at_start(void **state)
{
    (void)state;
    SKIP_WITHOUT_REDIS();
    int port = free_port();
    struct timespec t0, t1;
    struct capture cap;
    capture_begin(&cap);
    struct cache *c = redis_cache(port, 0, NULL, TEST_TIMEOUT_MS);
    int down_lines = capture_end(&cap, "cache: redis unavailable, continuing without cache");
    assert_int_equal(down_lines, 1);

    clock_gettime(CLOCK_MONOTONIC, &t0);
    assert_cached(c, "spotify:v1:artist:x", NULL);
    set1(c, "spotify:v1:artist:x", "v", 60);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    assert_true(elapsed_ms(&t0, &t1) < 500);
    assert_int_equal(cache_ping(c), ERR_UNAVAILABLE);

    pid_t pid = redis_start(port, NULL);
    int rc = wait_recovered(c);
    struct cache_counters cnt;
    cache_counters_get(c, &cnt);
    cache_free(c);
    redis_stop(&pid);
    assert_int_equal(rc, 0);
    assert_int_equal(cnt.reconnects, 1);
    assert_true(cnt.errors >= 1);
}

/* A hung Redis (SIGSTOP): calls return within about the timeout, all misses. */
static void test_cache_redis_stopped_is_a_miss_within_timeout(void **state)
{
    (void)state;
    SKIP_WITHOUT_REDIS();
    char keybuf[BATCH][48], valbuf[BATCH][64];
    const char *keys[BATCH], *vals[BATCH];
    char *out[BATCH];
    make_batch(keybuf, keys, valbuf, vals);
    struct test_clock clk = {0};
    struct cache *c = redis_cache(redis_port, 0, NULL, 0); /* the production 50 ms */
    cache_set_clock(c, test_clock_now, &clk);

    /* The batch is written by a cache with the tests' long timeout; then c must be up
     * and answer it. c's own 50 ms calls may time out on a loaded machine before the
     * stop (c is then down, and its first call below would not wait at all): the
     * wait retries until one round trip of c succeeds, so c is up when Redis stops. */
    struct cache *w = redis_cache(redis_port, 0, NULL, TEST_TIMEOUT_MS);
    assert_int_equal(cache_mset(w, keys, vals, BATCH, 60), 0);
    cache_free(w);
    if (wait_cached(c, keys, vals, BATCH) != 0)
        fail_msg("the 50 ms cache never answered the stored batch from a running Redis in 10 s");

    /* The back-off clock stands still from here until the counters are read. */
    atomic_store(&clk.frozen_ms, util_now_ms());
    assert_int_equal(kill(redis_pid, SIGSTOP), 0);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    int rc = cache_mget(c, keys, BATCH, out);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double first_ms = elapsed_ms(&t0, &t1);
    assert_int_equal(rc, 0);
    for (int i = 0; i < BATCH; i++)
        assert_null(out[i]);

    /* Once down, calls do not touch the network at all (no new error, no reconnect
     * attempt) until the back-off ends. Checked by the counters, not by wall time,
     * which a loaded CI machine stretches; the frozen clock keeps the back-off from
     * ending however long the machine stalls this thread. */
    struct cache_counters before, after;
    cache_counters_get(c, &before);
    clock_gettime(CLOCK_MONOTONIC, &t0);
    assert_int_equal(cache_mget(c, keys, BATCH, out), 0);
    assert_null(out[0]);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double second_ms = elapsed_ms(&t0, &t1);
    cache_counters_get(c, &after);
    assert_int_equal(after.errors, before.errors);
    assert_int_equal(after.reconnects, before.reconnects);
    assert_int_equal(after.misses, before.misses + BATCH);
    atomic_store(&clk.frozen_ms, 0);

    /* A new cache against the hung server starts degraded within ~2 timeouts. */
    clock_gettime(CLOCK_MONOTONIC, &t0);
    struct cache *c2 = redis_cache(redis_port, 0, NULL, 0);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double new_ms = elapsed_ms(&t0, &t1);
    assert_int_equal(cache_ping(c2), ERR_UNAVAILABLE);

    fprintf(stderr, "[ perf ] redis stopped: first mget %.1f ms, next %.3f ms, cache_new %.1f ms\n",
            first_ms, second_ms, new_ms);
    /* Bounded by the 50 ms timeout (a hung Redis never blocks for long); the upper
     * bounds leave room for a loaded machine. */
    assert_true(first_ms >= 40 && first_ms < 2000);
    assert_true(new_ms < 2000);

    assert_int_equal(kill(redis_pid, SIGCONT), 0);
    assert_int_equal(wait_recovered(c), 0);
    assert_int_equal(wait_recovered(c2), 0);
    cache_free(c2);
    cache_free(c);
}

static void test_cache_redis_auth(void **state)
{
    (void)state;
    SKIP_WITHOUT_REDIS();
    int port = free_port();
    pid_t pid = redis_start(port, "s3cr3t");

    struct cache *c = redis_cache(port, 1, "s3cr3t", TEST_TIMEOUT_MS);
    assert_int_equal(cache_ping(c), 0);
    set1(c, "spotify:v1:artist:auth", "yes", 60);
    assert_cached(c, "spotify:v1:artist:auth", "yes");

    /* A wrong password degrades the cache, it does not fail it; the log must not
     * contain the password. */
    struct capture cap;
    capture_begin(&cap);
    struct cache *bad = redis_cache(port, 0, "wrong-password", TEST_TIMEOUT_MS);
    assert_int_equal(cache_ping(bad), ERR_UNAVAILABLE);
    assert_cached(bad, "spotify:v1:artist:auth", NULL);
    int leaked = capture_end(&cap, "wrong-password");
    assert_int_equal(leaked, 0);

    cache_free(bad);
    cache_free(c);
    redis_stop(&pid);
}

/* Threads share one cache while Redis is killed and restarted under them. */
static void *kill_restart_thread(void *p)
{
    (void)p;
    usleep(150000);
    redis_stop(&redis_pid);
    usleep(300000);
    return NULL;
}

static void test_cache_redis_threads_through_restart(void **state)
{
    (void)state;
    SKIP_WITHOUT_REDIS();
    struct cache *c = redis_cache(redis_port, 0, NULL, TEST_TIMEOUT_MS);
    pthread_t killer;
    struct capture cap;
    capture_begin(&cap);
    assert_int_equal(pthread_create(&killer, NULL, kill_restart_thread, NULL), 0);
    unsigned long long lookups = hammer(c);
    pthread_join(killer, NULL);
    int down_lines = capture_end(&cap, "cache: redis unavailable");

    struct cache_counters cnt;
    cache_counters_get(c, &cnt);
    assert_int_equal(cnt.hits + cnt.misses, lookups);
    fprintf(stderr, "[ info ] redis threads: %llu lookups, %llu hits, %llu errors, %d down logs\n",
            lookups, cnt.hits, cnt.errors, down_lines);
    assert_true(down_lines <= 1); /* 0 if the hammer finished before the kill */

    redis_pid = redis_start(redis_port, NULL);
    assert_int_equal(wait_recovered(c), 0);
    cache_free(c);
}

int main(void)
{
    const struct CMUnitTest redis_tests[] = {
        cmocka_unit_test_setup(test_cache_redis_roundtrip_binary_safe, redis_test_setup),
        cmocka_unit_test_setup(test_cache_redis_ttl_is_set, redis_test_setup),
        cmocka_unit_test_setup(test_cache_redis_select_db, redis_test_setup),
        cmocka_unit_test_setup(test_cache_redis_one_round_trip, redis_test_setup),
        cmocka_unit_test_setup(test_cache_redis_killed_then_restarted, redis_test_setup),
        cmocka_unit_test_setup(test_cache_redis_down_at_start, redis_test_setup),
        cmocka_unit_test_setup(test_cache_redis_stopped_is_a_miss_within_timeout, redis_test_setup),
        cmocka_unit_test_setup(test_cache_redis_auth, redis_test_setup),
        cmocka_unit_test_setup(test_cache_redis_threads_through_restart, redis_test_setup),
    };
    return cmocka_run_group_tests_name("cache_redis", redis_tests, redis_group_setup,
                                       redis_group_teardown);
}
