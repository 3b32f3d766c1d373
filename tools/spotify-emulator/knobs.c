#include "knobs.h"

#include <fnmatch.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#define MAX_FAULTS 64
#define LOG_CAP 50000

struct fault {
    int id;
    char method[12];
    char prefix[256];
    char pattern[256];
    int status;
    int remaining; /* -1 = unlimited */
    bool drop;
    int retry_after;
    char message[128];
};

struct counter {
    const char *method, *tmpl;
    int status;
    long count;
};

struct log_entry {
    int64_t start_ms, end_ms;
    const char *method, *tmpl;
    int status;
    char path[200];
    char *query, *ua; /* malloc'ed (NULL: none, or out of memory) */
};

struct knobs {
    atomic_int latency_ms;

    pthread_mutex_t rate_mu;
    int rate_max, rate_window_ms, rate_retry_after;
    int64_t *ring; /* the last rate_max allowed request times */
    int ring_head, ring_len;

    atomic_int quota_on, quota_retry_after;

    pthread_mutex_t fault_mu;
    struct fault faults[MAX_FAULTS];
    int nfaults, next_fault_id;

    pthread_mutex_t stat_mu;
    struct counter *counters;
    size_t ncounters, capcounters;
    struct log_entry *log;
    size_t log_head, log_len;
    bool log_ua;
};

struct knobs *knobs_new(void)
{
    struct knobs *k = calloc(1, sizeof *k);
    if (!k)
        return NULL;
    k->log = calloc(LOG_CAP, sizeof *k->log);
    if (!k->log) {
        free(k);
        return NULL;
    }
    pthread_mutex_init(&k->rate_mu, NULL);
    pthread_mutex_init(&k->fault_mu, NULL);
    pthread_mutex_init(&k->stat_mu, NULL);
    return k;
}

static void log_clear(struct knobs *k)
{
    for (size_t i = 0; i < k->log_len; i++) {
        struct log_entry *e = &k->log[(k->log_head + i) % LOG_CAP];
        free(e->query);
        free(e->ua);
        e->query = e->ua = NULL;
    }
    k->log_head = k->log_len = 0;
}

void knobs_free(struct knobs *k)
{
    if (!k)
        return;
    log_clear(k);
    pthread_mutex_destroy(&k->rate_mu);
    pthread_mutex_destroy(&k->fault_mu);
    pthread_mutex_destroy(&k->stat_mu);
    free(k->ring);
    free(k->counters);
    free(k->log);
    free(k);
}

int knobs_latency(struct knobs *k)
{
    return atomic_load(&k->latency_ms);
}

void knobs_set_latency(struct knobs *k, int ms)
{
    atomic_store(&k->latency_ms, ms < 0 ? 0 : ms);
}

/* ---- rate limit ---- */

void knobs_set_rate_limit(struct knobs *k, int max, int window_ms, int retry_after)
{
    int64_t *ring = max > 0 ? calloc((size_t)max, sizeof *ring) : NULL;
    pthread_mutex_lock(&k->rate_mu);
    free(k->ring);
    k->ring = ring;
    k->rate_max = ring ? max : 0; /* out of memory turns the limit off */
    k->rate_window_ms = window_ms > 0 ? window_ms : 30000;
    k->rate_retry_after = retry_after > 0 ? retry_after : 0;
    k->ring_head = k->ring_len = 0;
    pthread_mutex_unlock(&k->rate_mu);
}

int knobs_rate_check(struct knobs *k, int64_t now)
{
    int wait = 0;
    pthread_mutex_lock(&k->rate_mu);
    if (k->rate_max > 0) {
        if (k->ring_len == k->rate_max) {
            int64_t oldest = k->ring[k->ring_head];
            int64_t free_at = oldest + k->rate_window_ms;
            if (free_at > now) {
                /* Whole seconds, rounded up: waiting that long is always enough. */
                wait =
                    k->rate_retry_after ? k->rate_retry_after : (int)((free_at - now + 999) / 1000);
                if (wait < 1)
                    wait = 1;
            } else {
                k->ring_head = (k->ring_head + 1) % k->rate_max;
                k->ring_len--;
            }
        }
        if (!wait) {
            k->ring[(k->ring_head + k->ring_len) % k->rate_max] = now;
            k->ring_len++;
        }
    }
    pthread_mutex_unlock(&k->rate_mu);
    return wait;
}

int knobs_rate_json(struct knobs *k, struct buf *b)
{
    pthread_mutex_lock(&k->rate_mu);
    int rc = buf_appendf(b, "{\"max\":%d,\"window_ms\":%d,\"retry_after\":%d,\"in_window\":%d}",
                        k->rate_max, k->rate_window_ms, k->rate_retry_after, k->ring_len);
    pthread_mutex_unlock(&k->rate_mu);
    return rc;
}

void knobs_set_quota(struct knobs *k, bool on, int retry_after)
{
    atomic_store(&k->quota_retry_after, retry_after < 0 ? 0 : retry_after);
    atomic_store(&k->quota_on, on ? 1 : 0);
}

bool knobs_quota(struct knobs *k, int *retry_after)
{
    if (!atomic_load(&k->quota_on))
        return false;
    *retry_after = atomic_load(&k->quota_retry_after);
    return true;
}

/* ---- faults ---- */

static void copy_str(char *dst, size_t sz, const char *src)
{
    size_t n = src ? strlen(src) : 0;
    if (n >= sz)
        n = sz - 1;
    if (n)
        memcpy(dst, src, n);
    dst[n] = '\0';
}

int knobs_add_fault(struct knobs *k, const char *method, const char *prefix, const char *pattern,
                    int status, int count, bool drop, int retry_after, const char *message)
{
    int id = -1;
    pthread_mutex_lock(&k->fault_mu);
    if (k->nfaults < MAX_FAULTS) {
        struct fault *f = &k->faults[k->nfaults++];
        memset(f, 0, sizeof *f);
        f->id = id = ++k->next_fault_id;
        copy_str(f->method, sizeof f->method, method && strcmp(method, "*") ? method : "");
        copy_str(f->prefix, sizeof f->prefix, prefix);
        copy_str(f->pattern, sizeof f->pattern, pattern);
        f->status = status;
        f->remaining = count;
        f->drop = drop;
        f->retry_after = retry_after;
        copy_str(f->message, sizeof f->message, message);
    }
    pthread_mutex_unlock(&k->fault_mu);
    return id;
}

bool knobs_fault_match(struct knobs *k, const char *method, const char *path, struct fault_hit *hit)
{
    bool found = false;
    pthread_mutex_lock(&k->fault_mu);
    for (int i = 0; i < k->nfaults && !found; i++) {
        struct fault *f = &k->faults[i];
        if (f->method[0] && strcasecmp(f->method, method) != 0)
            continue;
        if (f->prefix[0] && strncmp(path, f->prefix, strlen(f->prefix)) != 0)
            continue;
        if (f->pattern[0] && fnmatch(f->pattern, path, 0) != 0)
            continue;
        found = true;
        hit->status = f->status;
        hit->drop = f->drop;
        hit->retry_after = f->retry_after;
        copy_str(hit->message, sizeof hit->message, f->message);
        if (f->remaining > 0 && --f->remaining == 0) {
            memmove(f, f + 1, (size_t)(k->nfaults - i - 1) * sizeof *f);
            k->nfaults--;
        }
    }
    pthread_mutex_unlock(&k->fault_mu);
    return found;
}

void knobs_clear_faults(struct knobs *k)
{
    pthread_mutex_lock(&k->fault_mu);
    k->nfaults = 0;
    pthread_mutex_unlock(&k->fault_mu);
}

int knobs_faults_json(struct knobs *k, struct buf *b)
{
    int rc = buf_append_str(b, "{\"faults\":[");
    pthread_mutex_lock(&k->fault_mu);
    for (int i = 0; i < k->nfaults && rc == 0; i++) {
        struct fault *f = &k->faults[i];
        rc = buf_appendf(b, "%s{\"id\":%d,\"method\":", i ? "," : "", f->id) ||
             jw_str(b, f->method[0] ? f->method : "*") || buf_append_str(b, ",\"path_prefix\":") ||
             jw_str(b, f->prefix) || buf_append_str(b, ",\"path_pattern\":") || jw_str(b, f->pattern) ||
             buf_appendf(b, ",\"status\":%d,\"remaining\":%d,\"drop\":%s,\"retry_after\":%d}",
                        f->status, f->remaining, f->drop ? "true" : "false", f->retry_after);
    }
    pthread_mutex_unlock(&k->fault_mu);
    return rc || buf_append_str(b, "]}");
}

/* ---- counters and log ---- */

void knobs_log_user_agents(struct knobs *k, bool on)
{
    pthread_mutex_lock(&k->stat_mu);
    k->log_ua = on;
    pthread_mutex_unlock(&k->stat_mu);
}

void knobs_record(struct knobs *k, const char *method, const char *tmpl, const char *path,
                  const char *query, const char *user_agent, int status, int64_t start_ms,
                  int64_t end_ms)
{
    char *q = query ? strndup(query, 8192) : NULL;
    char *ua = user_agent ? strndup(user_agent, 255) : NULL;
    pthread_mutex_lock(&k->stat_mu);
    struct counter *c = NULL;
    for (size_t i = 0; i < k->ncounters; i++) {
        struct counter *x = &k->counters[i];
        if (x->tmpl == tmpl && x->method == method && x->status == status) {
            c = x;
            break;
        }
    }
    if (!c) {
        if (k->ncounters == k->capcounters) {
            size_t ncap = k->capcounters ? k->capcounters * 2 : 32;
            struct counter *nc = realloc(k->counters, ncap * sizeof *nc);
            if (nc) {
                k->counters = nc;
                k->capcounters = ncap;
            }
        }
        if (k->ncounters < k->capcounters) {
            c = &k->counters[k->ncounters++];
            c->method = method;
            c->tmpl = tmpl;
            c->status = status;
            c->count = 0;
        }
    }
    if (c)
        c->count++;
    struct log_entry *e = &k->log[(k->log_head + k->log_len) % LOG_CAP];
    if (k->log_len == LOG_CAP) {
        k->log_head = (k->log_head + 1) % LOG_CAP;
        free(e->query);
        free(e->ua);
    } else {
        k->log_len++;
    }
    e->start_ms = start_ms;
    e->end_ms = end_ms;
    e->method = method;
    e->tmpl = tmpl;
    e->status = status;
    copy_str(e->path, sizeof e->path, path);
    e->query = q;
    e->ua = ua;
    pthread_mutex_unlock(&k->stat_mu);
}

static int status_key(struct buf *b, int status)
{
    return status ? buf_appendf(b, "\"%d\"", status) : buf_append_str(b, "\"dropped\"");
}

/* {"GET /v1/me": {"200": 3, "401": 1}, ...}: entries of one route are grouped
 * by scanning for the first occurrence of each (method, template). */
int knobs_counters_json(struct knobs *k, struct buf *b)
{
    int rc = buf_append_str(b, "{");
    bool first = true;
    pthread_mutex_lock(&k->stat_mu);
    for (size_t i = 0; i < k->ncounters && rc == 0; i++) {
        struct counter *c = &k->counters[i];
        bool seen = false;
        for (size_t j = 0; j < i && !seen; j++)
            seen = k->counters[j].tmpl == c->tmpl && k->counters[j].method == c->method;
        if (seen)
            continue;
        rc = buf_appendf(b, "%s\"%s %s\":{", first ? "" : ",", c->method, c->tmpl);
        first = false;
        bool f2 = true;
        for (size_t j = i; j < k->ncounters && rc == 0; j++) {
            struct counter *d = &k->counters[j];
            if (d->tmpl != c->tmpl || d->method != c->method)
                continue;
            rc = (!f2 && buf_append_str(b, ",")) || status_key(b, d->status) ||
                 buf_appendf(b, ":%ld", d->count);
            f2 = false;
        }
        rc = rc || buf_append_str(b, "}");
    }
    pthread_mutex_unlock(&k->stat_mu);
    return rc || buf_append_str(b, "}");
}

void knobs_reset_counters(struct knobs *k)
{
    pthread_mutex_lock(&k->stat_mu);
    k->ncounters = 0;
    pthread_mutex_unlock(&k->stat_mu);
}

int knobs_log_json(struct knobs *k, int64_t since_ms, struct buf *b)
{
    int rc = buf_append_str(b, "{\"requests\":[");
    bool first = true;
    pthread_mutex_lock(&k->stat_mu);
    for (size_t i = 0; i < k->log_len && rc == 0; i++) {
        struct log_entry *e = &k->log[(k->log_head + i) % LOG_CAP];
        if (e->start_ms < since_ms)
            continue;
        rc = buf_appendf(b,
                        "%s{\"t_ms\":%lld,\"end_ms\":%lld,\"method\":\"%s\",\"route\":\"%s %s\","
                        "\"status\":%d,\"path\":",
                        first ? "" : ",", (long long)e->start_ms, (long long)e->end_ms, e->method,
                        e->method, e->tmpl, e->status) ||
             jw_str(b, e->path) || buf_append_str(b, ",\"query\":") ||
             jw_str(b, e->query ? e->query : "") ||
             (k->log_ua && (buf_append_str(b, ",\"user_agent\":") || jw_str(b, e->ua))) ||
             buf_append_str(b, "}");
        first = false;
    }
    pthread_mutex_unlock(&k->stat_mu);
    return rc || buf_append_str(b, "]}");
}

void knobs_reset_log(struct knobs *k)
{
    pthread_mutex_lock(&k->stat_mu);
    log_clear(k);
    pthread_mutex_unlock(&k->stat_mu);
}

void knobs_reset(struct knobs *k)
{
    knobs_set_latency(k, 0);
    knobs_set_rate_limit(k, 0, 0, 0);
    knobs_set_quota(k, false, 0);
    knobs_clear_faults(k);
}
