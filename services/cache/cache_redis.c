/* Redis backend of the metadata cache (hiredis 0.14.1, blocking API).
 *
 * Connections: a small pool of redisContexts behind one mutex. A caller leases a
 * context, runs one round trip without the lock, and hands it back. Every context
 * has redisSetTimeout(timeout_ms) and keep-alive, so a hung Redis costs a caller at
 * most about timeout_ms per socket operation.
 *
 * Failure: a NULL reply (I/O error, timeout, closed connection) kills a context. The
 * first such failure puts the backend "down": idle contexts are closed (they talk to
 * the same dead or hung server), contexts still leased are closed when they come
 * back (generation counter), and every call is a miss / a skipped write without
 * touching the network. One caller at a time, at most once per REDIS_BACKOFF_MS, may
 * try to reconnect; a success (the server answered PING/AUTH/SELECT) ends the
 * down period. Both transitions are logged once.
 *
 * An error reply (-ERR, -LOADING, -OOM...) is counted but leaves the context alone:
 * the protocol stream is still in sync, and reconnecting would not cure it. */
#include <assert.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/time.h>
#include <time.h>

#include <hiredis/hiredis.h>

#include "lib/app_err.h"
#include "lib/log.h"
#include "lib/report.h"
#include "lib/util.h"
#include "services/cache/cache_internal.h"

#define REDIS_POOL_MAX 8
#define REDIS_BACKOFF_MS 1000
#define REDIS_ERROR_LOG_INTERVAL_MS 60000

struct cache_redis {
    struct cache_redis_url url;
    struct timeval tv; /* timeout_ms, for connect and every socket operation */
    int timeout_ms;

    pthread_mutex_t mu;
    pthread_cond_t cv; /* a context came back or a pool slot was freed */
    redisContext *idle[REDIS_POOL_MAX];
    size_t n_idle;
    size_t n_open;   /* idle + leased + being connected; <= REDIS_POOL_MAX */
    unsigned gen;    /* bumped when going down; leases of an older gen are closed on return */
    bool down;       /* degraded: no idle contexts, reconnects gated by next_attempt_ms */
    bool connecting; /* one thread is attempting the recovery connect */
    int64_t next_attempt_ms;
    int64_t last_error_log_ms; /* rate limit for error-reply warnings */
    bool error_logged;

    struct cache_stats *stats;       /* borrowed from struct cache */
    const struct cache_clock *clock; /* borrowed from struct cache */
};

/* A leased context. */
struct lease {
    redisContext *ctx;
    unsigned gen;
};

/* ---- SIGPIPE ---------------------------------------------------------------------
 * hiredis writes with write(2): a write to a connection the server has reset raises
 * SIGPIPE, which kills the process unless it is ignored. A library must not change
 * the process's signal dispositions, so SIGPIPE is blocked in the calling thread
 * around our socket I/O and a SIGPIPE we caused is consumed before unblocking. */
struct sigpipe_guard {
    sigset_t old_mask;
    bool was_pending;
};

static void sigpipe_block(struct sigpipe_guard *g)
{
    sigset_t set, pending;
    sigemptyset(&set);
    sigaddset(&set, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &set, &g->old_mask);
    sigemptyset(&pending);
    sigpending(&pending);
    g->was_pending = sigismember(&pending, SIGPIPE) == 1;
}

static void sigpipe_restore(struct sigpipe_guard *g)
{
    int saved_errno = errno;
    if (!g->was_pending) {
        sigset_t set, pending;
        sigemptyset(&pending);
        sigpending(&pending);
        if (sigismember(&pending, SIGPIPE) == 1) {
            const struct timespec zero = {0, 0};
            sigemptyset(&set);
            sigaddset(&set, SIGPIPE);
            while (sigtimedwait(&set, NULL, &zero) == -1 && errno == EINTR)
                ;
        }
    }
    pthread_sigmask(SIG_SETMASK, &g->old_mask, NULL);
    errno = saved_errno;
}

/* ---- connections ---------------------------------------------------------------- */

/* Runs one setup command, checking that it answered with a status ("OK"/"PONG").
 * The password travels as a %b argument, never inside the format. */
static int setup_command(redisContext *ctx, struct report *err, int argc, const char **argv,
                         const size_t *lens)
{
    redisReply *reply = redisCommandArgv(ctx, argc, argv, lens);
    int rc = -1;
    if (reply == NULL) {
        report_message(err, "%s: %s", argv[0], ctx->errstr[0] ? ctx->errstr : "no reply");
    } else if (reply->type == REDIS_REPLY_ERROR) {
        /* Redis's own message ("WRONGPASS ...", "NOAUTH ..."); it never echoes a password */
        report_message(err, "%s: %s", argv[0], reply->str != NULL ? reply->str : "error");
    } else if (reply->type != REDIS_REPLY_STATUS) {
        report_message(err, "%s: unexpected reply type %d", argv[0], reply->type);
    } else {
        rc = 0;
    }
    freeReplyObject(reply);
    return rc;
}

/* Opens and prepares one context: timeouts, keep-alive, AUTH, SELECT (or PING, so
 * that a context is only handed out once the server has answered). Returns NULL with
 * a reason in err on failure. Blocks at most ~timeout_ms per step. No lock held. */
static redisContext *connect_one(struct cache_redis *r, struct report *err)
{
    const struct cache_redis_url *u = &r->url;
    redisContext *ctx = NULL;
    struct sigpipe_guard g;

    sigpipe_block(&g);
    ctx = redisConnectWithTimeout(u->host, u->port, r->tv);
    if (ctx == NULL) {
        report_message(err, "out of memory");
        goto fail;
    }
    if (ctx->err != 0) {
        report_message(err, "connect: %s", ctx->errstr);
        goto fail;
    }
    if (redisSetTimeout(ctx, r->tv) != REDIS_OK) {
        report_message(err, "set timeout: %s", ctx->errstr);
        goto fail;
    }
    (void)redisEnableKeepAlive(ctx); /* best effort: the timeouts bound us anyway */

    if (u->password != NULL) {
        const char *argv[3] = {"AUTH", u->user, u->password};
        size_t lens[3] = {4, u->user != NULL ? strlen(u->user) : 0, strlen(u->password)};
        if (u->user == NULL) {
            argv[1] = u->password;
            lens[1] = lens[2];
        }
        if (setup_command(ctx, err, u->user != NULL ? 3 : 2, argv, lens) != 0)
            goto fail;
    }
    if (u->db != 0) {
        char db[16];
        snprintf(db, sizeof db, "%d", u->db);
        const char *argv[2] = {"SELECT", db};
        size_t lens[2] = {6, strlen(db)};
        if (setup_command(ctx, err, 2, argv, lens) != 0)
            goto fail;
    } else if (u->password == NULL) {
        const char *argv[1] = {"PING"};
        size_t lens[1] = {4};
        if (setup_command(ctx, err, 1, argv, lens) != 0)
            goto fail;
    }
    sigpipe_restore(&g);
    return ctx;
fail:
    if (ctx != NULL)
        redisFree(ctx);
    sigpipe_restore(&g);
    return NULL;
}

/* Puts the backend down (mutex held). Returns true when this call made the
 * transition, so that the caller logs it once, after unlocking. Idle contexts move
 * to *to_close (closed by the caller without the lock). */
static bool mark_down(struct cache_redis *r, redisContext **to_close, size_t *n_close)
{
    if (r->down)
        return false;
    r->down = true;
    r->gen++;
    r->next_attempt_ms = cache_clock_now(r->clock) + REDIS_BACKOFF_MS;
    for (size_t i = 0; i < r->n_idle; i++)
        to_close[(*n_close)++] = r->idle[i];
    r->n_open -= r->n_idle;
    r->n_idle = 0;
    pthread_cond_broadcast(&r->cv);
    return true;
}

static void log_down(const struct cache_redis *r, const char *why)
{
    log_warn("cache: redis unavailable, continuing without cache (%s:%d: %s)", r->url.host,
             r->url.port, why);
}

static void log_up(const struct cache_redis *r)
{
    log_info("cache: redis available again (%s:%d)", r->url.host, r->url.port);
}

/* Absolute CLOCK_MONOTONIC time timeout_ms from now, for pthread_cond_timedwait. */
static struct timespec deadline_after_ms(int ms)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    ts.tv_sec += ms / 1000;
    ts.tv_nsec += (long)(ms % 1000) * 1000000L;
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
    }
    return ts;
}

/* Leases a connected context. Returns 0, or -1 when the backend is unavailable (down
 * and in back-off, a connect failed, or the pool stayed exhausted for timeout_ms). */
static int lease_get(struct cache_redis *r, struct lease *out)
{
    struct report err = {0}; /* why a connect failed (only ever set on the way to a -1) */
    struct timespec deadline;
    bool have_deadline = false;

    pthread_mutex_lock(&r->mu);
    for (;;) {
        if (r->down) {
            if (r->connecting || cache_clock_now(r->clock) < r->next_attempt_ms) {
                pthread_mutex_unlock(&r->mu);
                return -1;
            }
            /* This thread makes the one recovery attempt of this back-off period. */
            r->connecting = true;
            r->n_open++;
            pthread_mutex_unlock(&r->mu);
            redisContext *ctx = connect_one(r, &err);
            pthread_mutex_lock(&r->mu);
            r->connecting = false;
            if (ctx == NULL) {
                r->n_open--;
                r->next_attempt_ms = cache_clock_now(r->clock) + REDIS_BACKOFF_MS;
                pthread_cond_broadcast(&r->cv);
                pthread_mutex_unlock(&r->mu);
                cache_stats_add(&r->stats->errors, 1);
                log_debug("cache: redis reconnect failed (%s)", report_text(&err));
                report_release(&err);
                return -1;
            }
            r->down = false;
            out->ctx = ctx;
            out->gen = r->gen;
            pthread_mutex_unlock(&r->mu);
            cache_stats_add(&r->stats->reconnects, 1);
            log_up(r);
            return 0;
        }
        if (r->n_idle > 0) {
            out->ctx = r->idle[--r->n_idle];
            out->gen = r->gen;
            pthread_mutex_unlock(&r->mu);
            return 0;
        }
        if (r->n_open < REDIS_POOL_MAX) {
            /* Grow the pool while healthy. */
            r->n_open++;
            unsigned gen = r->gen;
            pthread_mutex_unlock(&r->mu);
            redisContext *ctx = connect_one(r, &err);
            if (ctx != NULL) {
                out->ctx = ctx;
                out->gen = gen;
                return 0;
            }
            redisContext *to_close[REDIS_POOL_MAX];
            size_t n_close = 0;
            pthread_mutex_lock(&r->mu);
            r->n_open--;
            bool went_down = r->gen == gen && mark_down(r, to_close, &n_close);
            pthread_cond_broadcast(&r->cv);
            pthread_mutex_unlock(&r->mu);
            for (size_t i = 0; i < n_close; i++)
                redisFree(to_close[i]);
            cache_stats_add(&r->stats->errors, 1);
            if (went_down)
                log_down(r, report_text(&err));
            report_release(&err);
            return -1;
        }
        /* Every context is leased: wait a little for one to come back. */
        if (!have_deadline) {
            deadline = deadline_after_ms(r->timeout_ms);
            have_deadline = true;
        }
        if (pthread_cond_timedwait(&r->cv, &r->mu, &deadline) == ETIMEDOUT) {
            pthread_mutex_unlock(&r->mu);
            log_debug("cache: redis pool exhausted for %d ms", r->timeout_ms);
            return -1;
        }
    }
}

/* Returns a lease. ok == false means the context is dead (NULL reply or I/O error):
 * it is closed and the backend goes down; why is logged once. */
static void lease_put(struct cache_redis *r, struct lease *l, bool ok, const char *why)
{
    redisContext *to_close[REDIS_POOL_MAX + 1];
    size_t n_close = 0;
    bool went_down = false;

    pthread_mutex_lock(&r->mu);
    if (ok && !r->down && l->gen == r->gen) {
        assert(r->n_idle < REDIS_POOL_MAX);
        r->idle[r->n_idle++] = l->ctx;
    } else {
        to_close[n_close++] = l->ctx;
        r->n_open--;
        if (!ok && l->gen == r->gen)
            went_down = mark_down(r, to_close, &n_close);
    }
    pthread_cond_signal(&r->cv);
    pthread_mutex_unlock(&r->mu);

    for (size_t i = 0; i < n_close; i++)
        redisFree(to_close[i]);
    if (!ok)
        cache_stats_add(&r->stats->errors, 1);
    if (went_down)
        log_down(r, why);
    l->ctx = NULL;
}

/* Why a context failed, copied before the context is freed. */
static void ctx_error(const redisContext *ctx, char *why, size_t len)
{
    snprintf(why, len, "%s", ctx->errstr[0] != '\0' ? ctx->errstr : "no reply");
}

/* An error reply: counted, logged at most once a minute. */
static void error_reply(struct cache_redis *r, const char *cmd, const redisReply *reply)
{
    int64_t now = cache_clock_now(r->clock);
    bool log = false;

    cache_stats_add(&r->stats->errors, 1);
    pthread_mutex_lock(&r->mu);
    if (!r->error_logged || now - r->last_error_log_ms >= REDIS_ERROR_LOG_INTERVAL_MS) {
        r->error_logged = true;
        r->last_error_log_ms = now;
        log = true;
    }
    pthread_mutex_unlock(&r->mu);
    if (log)
        log_warn("cache: redis %s -> %s", cmd, reply->str != NULL ? reply->str : "(error reply)");
}

/* ---- public (to cache.c) -------------------------------------------------------- */

int cache_redis_new(const char *url, int timeout_ms, struct cache_stats *stats,
                    const struct cache_clock *clk, struct cache_redis **out)
{
    struct cache_redis *r = NULL;
    pthread_condattr_t ca;
    bool mu_ok = false, ca_ok = false;
    int rc = ERR_NOMEM;
    struct report err = {0};

    *out = NULL;
    r = calloc(1, sizeof *r);
    if (r == NULL)
        goto done;
    rc = cache_redis_url_parse(url, &r->url);
    if (rc != 0) {
        if (rc == ERR_VALIDATION)
            log_error("cache: invalid redis_url (expected redis://[:password@]host[:port][/db])");
        goto done;
    }
    r->timeout_ms = timeout_ms;
    r->tv.tv_sec = timeout_ms / 1000;
    r->tv.tv_usec = (timeout_ms % 1000) * 1000;
    r->stats = stats;
    r->clock = clk;

    rc = ERR_INTERNAL;
    if (pthread_mutex_init(&r->mu, NULL) != 0)
        goto done;
    mu_ok = true;
    if (pthread_condattr_init(&ca) != 0)
        goto done;
    ca_ok =
        pthread_condattr_setclock(&ca, CLOCK_MONOTONIC) == 0 && pthread_cond_init(&r->cv, &ca) == 0;
    pthread_condattr_destroy(&ca);
    if (!ca_ok)
        goto done;

    /* One connection now; a Redis that is down at start only means "degraded". */
    redisContext *ctx = connect_one(r, &err);
    if (ctx != NULL) {
        r->idle[r->n_idle++] = ctx;
        r->n_open = 1;
    } else {
        r->down = true;
        r->next_attempt_ms = cache_clock_now(r->clock) + REDIS_BACKOFF_MS;
        cache_stats_add(&stats->errors, 1);
        log_down(r, report_text(&err));
        report_release(&err);
    }
    *out = r;
    r = NULL;
    rc = 0;
done:
    if (r != NULL) {
        if (ca_ok)
            pthread_cond_destroy(&r->cv);
        if (mu_ok)
            pthread_mutex_destroy(&r->mu);
        cache_redis_url_release(&r->url);
        free(r);
    }
    return rc;
}

void cache_redis_free(struct cache_redis *r)
{
    if (r == NULL)
        return;
    assert(r->n_open == r->n_idle && !r->connecting); /* no call may still be running */
    for (size_t i = 0; i < r->n_idle; i++)
        redisFree(r->idle[i]);
    pthread_cond_destroy(&r->cv);
    pthread_mutex_destroy(&r->mu);
    cache_redis_url_release(&r->url);
    free(r);
}

int cache_redis_mget(struct cache_redis *r, const char *const *keys, size_t n, char **values)
{
    const char **argv = NULL;
    size_t *lens = NULL;
    redisReply *reply = NULL;
    struct lease l = {NULL, 0};
    unsigned long long hits = 0;
    int rc = 0;

    if (n >= INT_MAX) {
        log_warn("cache: mget of %zu keys refused", n);
        goto done;
    }
    argv = malloc((n + 1) * sizeof *argv);
    lens = malloc((n + 1) * sizeof *lens);
    if (argv == NULL || lens == NULL) {
        rc = ERR_NOMEM;
        goto done;
    }
    argv[0] = "MGET";
    lens[0] = 4;
    for (size_t i = 0; i < n; i++) {
        assert(keys[i] != NULL);
        argv[i + 1] = keys[i];
        lens[i + 1] = strlen(keys[i]);
    }
    if (lease_get(r, &l) != 0)
        goto done;

    struct sigpipe_guard g;
    sigpipe_block(&g);
    reply = redisCommandArgv(l.ctx, (int)(n + 1), argv, lens);
    sigpipe_restore(&g);
    if (reply == NULL) {
        char why[160];
        ctx_error(l.ctx, why, sizeof why);
        lease_put(r, &l, false, why);
        goto done;
    }
    lease_put(r, &l, true, NULL);
    if (reply->type == REDIS_REPLY_ERROR) {
        error_reply(r, "MGET", reply);
        goto done;
    }
    if (reply->type != REDIS_REPLY_ARRAY || reply->elements != n) {
        cache_stats_add(&r->stats->errors, 1);
        log_warn("cache: redis MGET: unexpected reply (type %d, %zu elements for %zu keys)",
                 reply->type, reply->type == REDIS_REPLY_ARRAY ? reply->elements : 0, n);
        goto done;
    }
    for (size_t i = 0; i < n; i++) {
        const redisReply *e = reply->element[i];
        if (e == NULL || e->type != REDIS_REPLY_STRING)
            continue; /* nil: a miss */
        values[i] = malloc((size_t)e->len + 1);
        if (values[i] == NULL) {
            rc = ERR_NOMEM;
            goto done;
        }
        memcpy(values[i], e->str, (size_t)e->len);
        values[i][e->len] = '\0';
        hits++;
    }
done:
    if (rc != 0) {
        for (size_t i = 0; i < n; i++) {
            free(values[i]);
            values[i] = NULL;
        }
        hits = 0;
    }
    cache_stats_add(&r->stats->hits, hits);
    cache_stats_add(&r->stats->misses, n - hits);
    freeReplyObject(reply); /* frees the elements too; NULL ok */
    free(argv);
    free(lens);
    return rc;
}

int cache_redis_mset(struct cache_redis *r, const char *const *keys, const char *const *values,
                     size_t n, int ttl_seconds)
{
    struct lease l = {NULL, 0};
    size_t appended = 0;
    bool ok = true;
    char why[160] = "";
    redisReply *first_error = NULL;

    if (lease_get(r, &l) != 0)
        return 0; /* down: the write is skipped, nothing to report */

    struct sigpipe_guard g;
    sigpipe_block(&g);
    for (size_t i = 0; i < n; i++) {
        assert(keys[i] != NULL);
        if (values[i] == NULL)
            continue;
        /* Data goes only through %b (pointer + length), never into the format. */
        if (redisAppendCommand(l.ctx, "SET %b %b EX %d", keys[i], strlen(keys[i]), values[i],
                               strlen(values[i]), ttl_seconds) != REDIS_OK) {
            ok = false; /* out of memory in hiredis: the output buffer is suspect */
            ctx_error(l.ctx, why, sizeof why);
            break;
        }
        appended++;
    }
    /* The first redisGetReply flushes the whole pipeline, then replies are read. */
    for (size_t i = 0; ok && i < appended; i++) {
        redisReply *reply = NULL;
        if (redisGetReply(l.ctx, (void **)&reply) != REDIS_OK || reply == NULL) {
            ok = false;
            ctx_error(l.ctx, why, sizeof why);
            break;
        }
        if (reply->type == REDIS_REPLY_ERROR && first_error == NULL)
            first_error = reply; /* logged below, freed below */
        else
            freeReplyObject(reply);
    }
    sigpipe_restore(&g);
    lease_put(r, &l, ok, why);
    if (first_error != NULL)
        error_reply(r, "SET", first_error);
    freeReplyObject(first_error);
    return 0;
}

int cache_redis_ping(struct cache_redis *r)
{
    struct lease l = {NULL, 0};
    redisReply *reply = NULL;
    int rc = ERR_UNAVAILABLE;

    if (lease_get(r, &l) != 0)
        return ERR_UNAVAILABLE;
    struct sigpipe_guard g;
    sigpipe_block(&g);
    reply = redisCommand(l.ctx, "PING");
    sigpipe_restore(&g);
    if (reply == NULL) {
        char why[160];
        ctx_error(l.ctx, why, sizeof why);
        lease_put(r, &l, false, why);
        return ERR_UNAVAILABLE;
    }
    lease_put(r, &l, true, NULL);
    if (reply->type == REDIS_REPLY_STATUS)
        rc = 0;
    else if (reply->type == REDIS_REPLY_ERROR)
        error_reply(r, "PING", reply);
    freeReplyObject(reply);
    return rc;
}
