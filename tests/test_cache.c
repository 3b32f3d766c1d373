/* Tests of services/cache: the in-process LRU, the Redis URL parser, and the Redis
 * backend against a real redis-server that this test starts, kills, stops and
 * restarts itself on a free loopback port. */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
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

#include "server/app_err.h"
#include "server/util.h"
#include "services/cache.h"
#include "services/cache_internal.h"

/* ---- helpers -------------------------------------------------------------------- */

struct fake_clock {
    int64_t now_ms;
};

static int64_t fake_now(void *arg)
{
    return ((struct fake_clock *)arg)->now_ms;
}

static struct cache *memory_cache(size_t max_bytes)
{
    struct cache_opts opts = {NULL, 0, max_bytes};
    struct cache *c = NULL;
    assert_int_equal(cache_new(&opts, &c), 0);
    assert_non_null(c);
    return c;
}

static void set1(struct cache *c, const char *key, const char *value, int ttl)
{
    const char *k[1] = {key}, *v[1] = {value};
    assert_int_equal(cache_mset(c, k, v, 1, ttl), 0);
}

/* Returns the cached value (caller frees) or NULL. */
static char *get1(struct cache *c, const char *key)
{
    const char *k[1] = {key};
    char *v[1] = {NULL};
    assert_int_equal(cache_mget(c, k, 1, v), 0);
    return v[0];
}

static void assert_cached(struct cache *c, const char *key, const char *want)
{
    char *v = get1(c, key);
    if (want == NULL) {
        assert_null(v);
    } else {
        assert_non_null(v);
        assert_string_equal(v, want);
    }
    free(v);
}

static void free_values(char **v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(v[i]);
        v[i] = NULL;
    }
}

/* ---- LRU ------------------------------------------------------------------------ */

static void test_cache_memory_get_set(void **state)
{
    (void)state;
    struct cache *c = memory_cache(0);
    assert_string_equal(cache_backend_name(c), "memory");
    assert_int_equal(cache_ping(c), 0);

    const char *keys[3] = {"spotify:v1:artist:a", "spotify:v1:artist:b", "spotify:v1:artist:c"};
    const char *vals[3] = {"{\"name\":\"A\"}", "{\"name\":\"B\"}", NULL}; /* NULL: skipped */
    assert_int_equal(cache_mset(c, keys, vals, 3, 60), 0);

    char *out[3] = {(char *)1, (char *)1, (char *)1}; /* garbage in: must be overwritten */
    assert_int_equal(cache_mget(c, keys, 3, out), 0);
    assert_string_equal(out[0], vals[0]);
    assert_string_equal(out[1], vals[1]);
    assert_null(out[2]);
    free_values(out, 3);

    /* Overwrite replaces the value. */
    set1(c, keys[0], "{\"name\":\"A2\"}", 60);
    assert_cached(c, keys[0], "{\"name\":\"A2\"}");

    /* n == 0 is a no-op. */
    assert_int_equal(cache_mget(c, keys, 0, out), 0);
    assert_int_equal(cache_mset(c, keys, vals, 0, 60), 0);

    struct cache_counters cnt;
    cache_counters_get(c, &cnt);
    assert_int_equal(cnt.hits, 3);
    assert_int_equal(cnt.misses, 1);
    assert_int_equal(cnt.errors, 0);
    assert_int_equal(cnt.reconnects, 0);
    cache_free(c);
    cache_free(NULL);
}

static void test_cache_memory_ttl_expiry(void **state)
{
    (void)state;
    struct fake_clock clk = {1000000};
    struct cache *c = memory_cache(0);
    cache_set_clock(c, fake_now, &clk);

    set1(c, "k1", "v1", 1);
    set1(c, "k2", "v2", 2);
    set1(c, "k0", "v0", 0); /* ttl <= 0 means 1 s */
    clk.now_ms += 999;
    assert_cached(c, "k1", "v1");
    assert_cached(c, "k0", "v0");
    clk.now_ms += 1; /* exactly 1 s later: expired */
    assert_cached(c, "k1", NULL);
    assert_cached(c, "k0", NULL);
    assert_cached(c, "k2", "v2");
    clk.now_ms += 1000;
    assert_cached(c, "k2", NULL);

    /* Re-setting an expired key works, with a fresh TTL. */
    set1(c, "k1", "v1b", 1);
    assert_cached(c, "k1", "v1b");

    struct cache_counters cnt;
    cache_counters_get(c, &cnt);
    assert_int_equal(cnt.hits, 4);
    assert_int_equal(cnt.misses, 3);
    cache_free(c);
}

/* Expired entries are evicted (and their bytes released) before live ones: with room
 * for exactly 2 entries, two expired entries must not push out a live one. */
static void test_cache_memory_expired_evicted_first(void **state)
{
    (void)state;
    struct fake_clock clk = {0};
    size_t sz = cache_memory_entry_size(2, 2);
    struct cache *c = memory_cache(2 * sz);
    cache_set_clock(c, fake_now, &clk);

    set1(c, "e1", "xx", 1);
    set1(c, "l1", "yy", 60);
    clk.now_ms = 5000; /* e1 expired, l1 live */
    set1(c, "l2", "zz", 60);
    assert_cached(c, "l1", "yy");
    assert_cached(c, "l2", "zz");
    assert_cached(c, "e1", NULL);
    cache_free(c);
}

static void test_cache_memory_eviction_order(void **state)
{
    (void)state;
    /* Equal-sized entries: the bound holds exactly three. */
    size_t sz = cache_memory_entry_size(2, 6);
    assert_true(sz > 8);
    struct cache *c = memory_cache(3 * sz);

    set1(c, "k1", "value1", 60);
    set1(c, "k2", "value2", 60);
    set1(c, "k3", "value3", 60);
    assert_cached(c, "k1", "value1"); /* recency now: k1 k3 k2 */
    set1(c, "k4", "value4", 60);      /* evicts k2 -> k4 k1 k3 */
    set1(c, "k5", "value5", 60);      /* evicts k3 -> k5 k4 k1 */

    /* One batch, so that checking does not itself reorder before all are read. */
    const char *keys[5] = {"k1", "k2", "k3", "k4", "k5"};
    char *out[5];
    assert_int_equal(cache_mget(c, keys, 5, out), 0);
    assert_string_equal(out[0], "value1");
    assert_null(out[1]);
    assert_null(out[2]);
    assert_string_equal(out[3], "value4");
    assert_string_equal(out[4], "value5");
    free_values(out, 5);
    /* recency after that batch: k5 k4 k1 */

    /* Replacing a value with a longer one counts the new size: "k4" grows by 7 bytes
     * and pushes out the least recent entry (k1). */
    set1(c, "k4", "value4-longer", 60);
    assert_cached(c, "k1", NULL);
    assert_cached(c, "k4", "value4-longer");
    assert_cached(c, "k5", "value5");
    cache_free(c);
}

static void test_cache_memory_large_values(void **state)
{
    (void)state;
    size_t big = 1024 * 1024;
    char *v = malloc(big + 1);
    assert_non_null(v);
    for (size_t i = 0; i < big; i++)
        v[i] = (char)('a' + i % 26);
    v[big] = '\0';

    struct cache *c = memory_cache(4 * 1024 * 1024);
    for (int i = 0; i < 10; i++)
        set1(c, "small", "s", 60);
    set1(c, "big1", v, 60);
    char *got = get1(c, "big1");
    assert_non_null(got);
    assert_int_equal(strlen(got), big);
    assert_memory_equal(got, v, big);
    free(got);

    /* 4 x 1 MiB + overhead > 4 MiB: the fourth big value evicts the oldest ones. */
    set1(c, "big2", v, 60);
    set1(c, "big3", v, 60);
    set1(c, "big4", v, 60);
    assert_cached(c, "small", NULL);
    char *b1 = get1(c, "big1"), *b4 = get1(c, "big4");
    assert_null(b1);
    assert_non_null(b4);
    free(b4);

    /* A value larger than the whole bound is not stored, and drops the old value. */
    struct cache *tiny = memory_cache(1000);
    set1(tiny, "k", "old", 60);
    set1(tiny, "k", v, 60);
    assert_cached(tiny, "k", NULL);
    set1(tiny, "other", "fits", 60);
    assert_cached(tiny, "other", "fits");
    cache_free(tiny);
    cache_free(c);
    free(v);
}

#define HAMMER_THREADS 8
#define HAMMER_OPS 20000
#define HAMMER_KEYS 512

struct hammer_arg {
    struct cache *c;
    unsigned seed;
    unsigned long long lookups;
    unsigned long long bad; /* values that do not belong to their key */
};

static void hammer_value(char *out, size_t len, unsigned k)
{
    snprintf(out, len, "value-of-%u-%0*u", k, (int)(k % 50), k);
}

static void *hammer_thread(void *p)
{
    struct hammer_arg *a = p;
    char keybuf[8][32], valbuf[8][128];
    const char *keys[8], *vals[8];
    char *out[8];

    for (int op = 0; op < HAMMER_OPS; op++) {
        size_t n = 1 + rand_r(&a->seed) % 8;
        unsigned ks[8];
        for (size_t i = 0; i < n; i++) {
            ks[i] = (unsigned)rand_r(&a->seed) % HAMMER_KEYS;
            snprintf(keybuf[i], sizeof keybuf[i], "spotify:v1:track:%u", ks[i]);
            hammer_value(valbuf[i], sizeof valbuf[i], ks[i]);
            keys[i] = keybuf[i];
            vals[i] = valbuf[i];
        }
        if (rand_r(&a->seed) % 3 == 0) {
            cache_mset(a->c, keys, vals, n, 1 + rand_r(&a->seed) % 3);
        } else {
            if (cache_mget(a->c, keys, n, out) != 0) {
                a->bad++;
                continue;
            }
            a->lookups += n;
            for (size_t i = 0; i < n; i++) {
                if (out[i] != NULL && strcmp(out[i], vals[i]) != 0)
                    a->bad++;
                free(out[i]);
            }
        }
    }
    return NULL;
}

/* Runs the hammer on c; returns total lookups, asserts no corrupted value. */
static unsigned long long hammer(struct cache *c)
{
    pthread_t th[HAMMER_THREADS];
    struct hammer_arg args[HAMMER_THREADS];
    unsigned long long lookups = 0;
    for (int i = 0; i < HAMMER_THREADS; i++) {
        args[i] = (struct hammer_arg){c, (unsigned)i * 7919u + 1, 0, 0};
        assert_int_equal(pthread_create(&th[i], NULL, hammer_thread, &args[i]), 0);
    }
    for (int i = 0; i < HAMMER_THREADS; i++) {
        pthread_join(th[i], NULL);
        assert_int_equal(args[i].bad, 0);
        lookups += args[i].lookups;
    }
    return lookups;
}

static double elapsed_ms(const struct timespec *a, const struct timespec *b)
{
    return (double)(b->tv_sec - a->tv_sec) * 1e3 + (double)(b->tv_nsec - a->tv_nsec) / 1e6;
}

static void test_cache_memory_threads(void **state)
{
    (void)state;
    /* Small bound: roughly a third of the keys fit, so eviction runs all the time. */
    struct cache *c = memory_cache(HAMMER_KEYS / 3 * cache_memory_entry_size(24, 80));
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    unsigned long long lookups = hammer(c);
    clock_gettime(CLOCK_MONOTONIC, &t1);

    struct cache_counters cnt;
    cache_counters_get(c, &cnt);
    assert_int_equal(cnt.hits + cnt.misses, lookups);
    assert_true(cnt.hits > 0);
    assert_true(cnt.misses > 0);
    assert_int_equal(cnt.errors, 0);
    double ms = elapsed_ms(&t0, &t1);
    fprintf(stderr,
            "[ perf ] LRU: %d threads x %d calls (1-8 keys each) in %.1f ms = %.0f calls/s\n",
            HAMMER_THREADS, HAMMER_OPS, ms, HAMMER_THREADS * HAMMER_OPS / (ms / 1e3));
    cache_free(c);
}

static void test_cache_key_format(void **state)
{
    (void)state;
    char k[64];
    assert_int_equal(cache_key(k, sizeof k, "artist", "0OdUWJ0sBjDrqHygGUXeCF"), 0);
    assert_string_equal(k, "spotify:v1:artist:0OdUWJ0sBjDrqHygGUXeCF");
    char small[20];
    assert_int_equal(cache_key(small, sizeof small, "artist", "0OdUWJ0sBjDrqHygGUXeCF"),
                     ERR_VALIDATION);
    assert_int_equal(cache_key(k, sizeof k, "", "x"), ERR_VALIDATION);
    assert_int_equal(cache_key(k, sizeof k, "album", NULL), ERR_VALIDATION);
}

static void test_cache_redis_url_parse(void **state)
{
    (void)state;
    struct cache_redis_url u;

    assert_int_equal(cache_redis_url_parse("redis://127.0.0.1:6380/2", &u), 0);
    assert_string_equal(u.host, "127.0.0.1");
    assert_int_equal(u.port, 6380);
    assert_int_equal(u.db, 2);
    assert_null(u.user);
    assert_null(u.password);
    cache_redis_url_release(&u);

    assert_int_equal(cache_redis_url_parse("redis://cache.internal", &u), 0);
    assert_string_equal(u.host, "cache.internal");
    assert_int_equal(u.port, 6379);
    assert_int_equal(u.db, 0);
    cache_redis_url_release(&u);

    assert_int_equal(cache_redis_url_parse("redis://:p%40ss:w@h:1/", &u), 0);
    assert_string_equal(u.host, "h");
    assert_int_equal(u.port, 1);
    assert_null(u.user);
    assert_string_equal(u.password, "p@ss:w");
    cache_redis_url_release(&u);

    assert_int_equal(cache_redis_url_parse("redis://app:secret@[::1]:7000/15", &u), 0);
    assert_string_equal(u.host, "::1");
    assert_string_equal(u.user, "app");
    assert_string_equal(u.password, "secret");
    assert_int_equal(u.port, 7000);
    assert_int_equal(u.db, 15);
    cache_redis_url_release(&u);

    static const char *bad[] = {
        "http://h:1/0",   "redis://",        "redis://:6379",
        "redis://h:0",    "redis://h:65536", "redis://h:12x",
        "redis://h/abc",  "redis://h/-1",    "redis://h:1/0?timeout=1",
        "redis://user@h", "redis://:@h",     "redis://:%zz@h",
        "redis://:%00@h", "redis://[::1",    "redis://[::1]x",
        "redis://h:",     "rediss://h",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int rc = cache_redis_url_parse(bad[i], &u);
        if (rc != ERR_VALIDATION)
            fail_msg("accepted %s (rc %d)", bad[i], rc);
        assert_null(u.host);
    }

    struct cache *c = NULL;
    struct cache_opts opts = {"redis://h:notaport", 0, 0};
    assert_int_equal(cache_new(&opts, &c), ERR_VALIDATION);
    assert_null(c);
}

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
    struct timeval tv = {1, 0};
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
 * Returns its pid once it answers PING. */
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
    for (int i = 0; i < 500; i++) { /* up to 5 s */
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
            skip();                                                                                \
    } while (0)

static struct cache *redis_cache(int port, int db, const char *password)
{
    char url[128];
    if (password != NULL)
        snprintf(url, sizeof url, "redis://:%s@127.0.0.1:%d/%d", password, port, db);
    else
        snprintf(url, sizeof url, "redis://127.0.0.1:%d/%d", port, db);
    struct cache_opts opts = {url, 0, 0};
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
    struct cache *c = redis_cache(redis_port, 0, NULL);
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
    struct cache *c = redis_cache(redis_port, 0, NULL);
    set1(c, "spotify:v1:artist:ttl", "v", 3600);
    set1(c, "spotify:v1:artist:ttl0", "v", 0);

    redisContext *ctx = raw_connect(redis_port);
    redisReply *r = redisCommand(ctx, "TTL %s", "spotify:v1:artist:ttl");
    assert_int_equal(r->type, REDIS_REPLY_INTEGER);
    assert_true(r->integer > 3590 && r->integer <= 3600);
    freeReplyObject(r);
    r = redisCommand(ctx, "PTTL %s", "spotify:v1:artist:ttl0");
    assert_int_equal(r->type, REDIS_REPLY_INTEGER);
    assert_true(r->integer > 0 && r->integer <= 1000); /* ttl <= 0 became 1 s */
    freeReplyObject(r);
    redisFree(ctx);
    cache_free(c);
}

static void test_cache_redis_select_db(void **state)
{
    (void)state;
    SKIP_WITHOUT_REDIS();
    struct cache *c = redis_cache(redis_port, 3, NULL);
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
    struct cache *c = redis_cache(redis_port, 0, NULL);

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
    struct cache *c = redis_cache(redis_port, 0, NULL);
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
    struct cache *c = redis_cache(port, 0, NULL);
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
    struct cache *c = redis_cache(redis_port, 0, NULL);
    assert_int_equal(cache_mset(c, keys, vals, BATCH, 60), 0);

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
     * which a loaded CI machine stretches. */
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

    /* A new cache against the hung server starts degraded within ~2 timeouts. */
    clock_gettime(CLOCK_MONOTONIC, &t0);
    struct cache *c2 = redis_cache(redis_port, 0, NULL);
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

    struct cache *c = redis_cache(port, 1, "s3cr3t");
    assert_int_equal(cache_ping(c), 0);
    set1(c, "spotify:v1:artist:auth", "yes", 60);
    assert_cached(c, "spotify:v1:artist:auth", "yes");

    /* A wrong password degrades the cache, it does not fail it; the log must not
     * contain the password. */
    struct capture cap;
    capture_begin(&cap);
    struct cache *bad = redis_cache(port, 0, "wrong-password");
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
    struct cache *c = redis_cache(redis_port, 0, NULL);
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
    const struct CMUnitTest memory_tests[] = {
        cmocka_unit_test(test_cache_memory_get_set),
        cmocka_unit_test(test_cache_memory_ttl_expiry),
        cmocka_unit_test(test_cache_memory_expired_evicted_first),
        cmocka_unit_test(test_cache_memory_eviction_order),
        cmocka_unit_test(test_cache_memory_large_values),
        cmocka_unit_test(test_cache_memory_threads),
        cmocka_unit_test(test_cache_key_format),
        cmocka_unit_test(test_cache_redis_url_parse),
    };
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
    int failed = cmocka_run_group_tests_name("cache_memory", memory_tests, NULL, NULL);
    failed += cmocka_run_group_tests_name("cache_redis", redis_tests, redis_group_setup,
                                          redis_group_teardown);
    return failed;
}
