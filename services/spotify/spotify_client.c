/* The Spotify client's lifecycle, accounting and request engine: one curl multi handle
 * driving up to `limit` requests at once, with the retry rules of spotify_client.h. */
#include "services/spotify/spotify_client.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib/app_err.h"
#include "lib/curl_util.h"
#include "lib/log.h"
#include "lib/util.h"
#include "services/spotify/spotify_client_internal.h"
#include "services/auth/token_crypto.h"

/* ---- Small helpers ---------------------------------------------------------------- */

int sc_fail(struct spotify_client *c, int rc, const char *fmt, ...)
{
    va_list ap;
    if (c->stopping && c->err.message)
        return rc; /* a run already failed: its first message is the one to keep */
    va_start(ap, fmt);
    report_vmessage(&c->err, fmt, ap); /* out of memory: no message */
    va_end(ap);
    return rc;
}

int sc_escape(struct buf *b, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if ((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
            ch == '-' || ch == '_' || ch == '.' || ch == '~') {
            if (buf_append(b, s, 1) != 0)
                return -1;
        } else {
            char e[3] = {'%', hex[ch >> 4], hex[ch & 15]};
            if (buf_append(b, e, 3) != 0)
                return -1;
        }
    }
    return 0;
}

int sc_playlist_path(struct buf *b, const char *id, const char *segment)
{
    if (buf_append_str(b, "/playlists/") != 0 || sc_escape(b, id) != 0 ||
        (segment && buf_appendf(b, "/%s", segment) != 0))
        return -1;
    return 0;
}

static uint64_t sc_rand(struct spotify_client *c)
{
    c->rng ^= c->rng << 13;
    c->rng ^= c->rng >> 7;
    c->rng ^= c->rng << 17;
    return c->rng;
}

static int clampi(int v, int dflt, int lo, int hi)
{
    if (v <= 0)
        v = dflt;
    return v < lo ? lo : v > hi ? hi : v;
}

static void sleep_ms(int64_t ms)
{
    if (ms <= 0)
        return;
    struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

/* ---- Accounting ------------------------------------------------------------------- */

static void stats_count(struct spotify_client *c, const char *endpoint, long status,
                        unsigned long n)
{
    struct spotify_stats *s = &c->stats;
    s->requests += n;
    size_t i = 0;
    for (; i < s->n_rows; i++)
        if (s->rows[i].status == status && strcmp(s->rows[i].endpoint, endpoint) == 0)
            break;
    if (i == s->n_rows) {
        if (s->n_rows == SPOTIFY_STATS_ROWS)
            goto hook; /* table full: counted in `requests` only */
        s->rows[i].endpoint = endpoint;
        s->rows[i].status = status;
        s->rows[i].count = 0;
        s->n_rows++;
    }
    s->rows[i].count += n;
hook:
    if (c->opts.on_request)
        for (unsigned long k = 0; k < n; k++)
            c->opts.on_request(c->opts.on_request_ud, endpoint, status);
}

void spotify_client_stats(const struct spotify_client *c, struct spotify_stats *out)
{
    *out = c->stats;
}

void spotify_client_stats_reset(struct spotify_client *c)
{
    memset(&c->stats, 0, sizeof(c->stats));
}

unsigned long spotify_stats_count(const struct spotify_stats *s, const char *endpoint, long status)
{
    unsigned long n = 0;
    for (size_t i = 0; i < s->n_rows; i++)
        if (strcmp(s->rows[i].endpoint, endpoint) == 0 && (status < 0 || s->rows[i].status == status))
            n += s->rows[i].count;
    return n;
}

/* ---- Lifecycle -------------------------------------------------------------------- */

int spotify_client_new(const struct spotify_client_opts *opts,
                       const struct spotify_token_source *tokens, struct spotify_client **out)
{
    struct spotify_client *c = NULL;
    int rc = ERR_NOMEM;

    *out = NULL;
    if (!opts || !opts->api_base || !*opts->api_base || !tokens || !tokens->get)
        return ERR_VALIDATION;
    if (!(c = calloc(1, sizeof(*c))))
        return ERR_NOMEM;
    c->opts = *opts;
    c->opts.api_base = NULL;
    c->opts.parallelism = clampi(opts->parallelism, SPOTIFY_DEFAULT_PARALLELISM, 1,
                                 SC_MAX_PARALLELISM);
    c->opts.connect_timeout_ms =
        clampi(opts->connect_timeout_ms, SPOTIFY_DEFAULT_CONNECT_TIMEOUT_MS, 1, 600000);
    c->opts.timeout_ms = clampi(opts->timeout_ms, SPOTIFY_DEFAULT_TIMEOUT_MS, 1, 3600000);
    c->opts.max_attempts = clampi(opts->max_attempts, SPOTIFY_DEFAULT_MAX_ATTEMPTS, 1, 20);
    c->opts.retry_after_cap_s =
        clampi(opts->retry_after_cap_s, SPOTIFY_DEFAULT_RETRY_AFTER_CAP_S, 1, 86400);
    c->opts.backoff_base_ms =
        clampi(opts->backoff_base_ms, SPOTIFY_DEFAULT_BACKOFF_BASE_MS, 1, 60000);
    if (c->opts.max_response_bytes == 0)
        c->opts.max_response_bytes = SPOTIFY_DEFAULT_MAX_RESPONSE;
    c->api = spotify_api_for(opts->mode);
    c->tokens = *tokens;
    c->limit = c->opts.parallelism;
    c->rl_fail_after_s = -1;

    size_t len = strlen(opts->api_base);
    while (len > 0 && opts->api_base[len - 1] == '/')
        len--;
    if (!(c->api_base = strndup(opts->api_base, len)))
        goto done;
    if (util_random_bytes(&c->rng, sizeof(c->rng)) != 0 || c->rng == 0)
        c->rng = 0x9E3779B97F4A7C15ULL ^ (uint64_t)util_now_ms();
    if (!(c->multi = curl_multi_init())) {
        rc = ERR_INTERNAL;
        goto done;
    }
    /* Multiplex on HTTP/2; at most `parallelism` connections to the API host. */
    curl_multi_setopt(c->multi, CURLMOPT_PIPELINING, (long)CURLPIPE_MULTIPLEX);
    curl_multi_setopt(c->multi, CURLMOPT_MAX_HOST_CONNECTIONS, (long)c->opts.parallelism);
    curl_multi_setopt(c->multi, CURLMOPT_MAXCONNECTS, (long)c->opts.parallelism + 2);
    rc = 0;
done:
    if (rc != 0)
        spotify_client_free(c);
    else
        *out = c;
    return rc;
}

void spotify_client_free(struct spotify_client *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < c->n_pool; i++)
        curl_easy_cleanup(c->pool[i]);
    if (c->multi)
        curl_multi_cleanup(c->multi);
    token_crypto_free_secret(c->token);
    free(c->api_base);
    report_release(&c->err);
    free(c);
}

const struct spotify_api *spotify_client_api(const struct spotify_client *c)
{
    return c->api;
}

int spotify_client_parallelism(const struct spotify_client *c)
{
    return c->limit;
}

int64_t spotify_client_retry_after(const struct spotify_client *c)
{
    return c ? c->rl_fail_after_s : -1;
}

/* ---- Tokens ----------------------------------------------------------------------- */

static int fetch_token(struct spotify_client *c, int force)
{
    char *tok = NULL;
    int made = 0;
    int rc = c->tokens.get(c->tokens.ud, force, &tok, &made);
    if (made > 0) {
        /* The source says how many requests it made, not their statuses: a success
         * is counted as 200s, a sign-in-again as 400s, other failures as 0. */
        long status = rc == 0 ? 200 : rc == ERR_SPOTIFY_REAUTH ? 400 : 0;
        stats_count(c, SPOTIFY_EP_TOKEN, status, (unsigned long)made);
        c->stats.token_requests += (unsigned long)made;
    }
    if (rc != 0 || !tok) {
        free(tok);
        if (rc == ERR_SPOTIFY_REAUTH)
            return sc_fail(c, ERR_SPOTIFY_REAUTH,
                           "Spotify sign-in expired or was revoked: the user must sign in again");
        if (rc == ERR_NOMEM)
            return sc_fail(c, ERR_NOMEM, "out of memory getting a Spotify access token");
        return sc_fail(c, ERR_SPOTIFY, "could not get a Spotify access token");
    }
    token_crypto_free_secret(c->token);
    c->token = tok;
    c->token_gen++;
    return 0;
}

int sc_begin(struct spotify_client *c)
{
    report_release(&c->err);
    return fetch_token(c, 0);
}

int sc_end(struct spotify_client *c, int rc, struct report *rep)
{
    if (rc != 0 && c->err.message)
        report_message(rep, "%s", c->err.message);
    return rc;
}

/* ---- Requests --------------------------------------------------------------------- */

int sc_req_init(struct spotify_client *c, struct sc_req *r, const char *method,
                const char *endpoint, const char *path, const char *query, const char *body,
                bool idempotent)
{
    struct buf url = BUF_INIT;
    memset(r, 0, sizeof(*r));
    r->method = method;
    r->endpoint = endpoint;
    r->idempotent = idempotent;
    if (buf_append_str(&url, c->api_base) != 0 || buf_append_str(&url, path) != 0 ||
        (query && (buf_append(&url, "?", 1) != 0 || buf_append_str(&url, query) != 0)))
        goto oom;
    r->url = buf_detach(&url, NULL);
    if (!r->url || (body && !(r->body = strdup(body))))
        goto oom;
    return 0;
oom:
    buf_release(&url);
    sc_req_release(r);
    return ERR_NOMEM;
}

void sc_req_release(struct sc_req *r)
{
    if (!r)
        return;
    free(r->url);
    free(r->body);
    buf_release(&r->resp);
    curl_slist_free_all(r->hdrs);
    r->url = r->body = NULL;
    r->hdrs = NULL;
}

static size_t on_write(char *data, size_t size, size_t nmemb, void *ud)
{
    struct sc_req *r = ud;
    size_t n = size * nmemb;
    if (n > r->max_bytes || r->resp.len > r->max_bytes - n) {
        r->too_large = true;
        return 0; /* curl fails the transfer with CURLE_WRITE_ERROR */
    }
    return buf_append(&r->resp, data, n) == 0 ? n : 0;
}

/* Takes an idle easy handle (or makes one), sets every option and adds it to the
 * multi handle. */
static int start_request(struct spotify_client *c, struct sc_req *r)
{
    CURL *e = c->n_pool ? c->pool[--c->n_pool] : curl_easy_init();
    struct buf auth = BUF_INIT;
    struct curl_slist *h = NULL;
    int rc = ERR_NOMEM;

    if (!e)
        return sc_fail(c, ERR_NOMEM, "out of memory (curl handle)");
    curl_easy_reset(e);
    curl_slist_free_all(r->hdrs);
    r->hdrs = NULL;
    buf_reset(&r->resp);
    r->too_large = false;
    r->status = 0;
    if (buf_appendf(&auth, "Authorization: Bearer %s", c->token) != 0 ||
        !(h = curl_slist_append(h, auth.data)) ||
        !(h = curl_slist_append(h, "Accept: application/json")))
        goto done;
    if (r->body && (!(h = curl_slist_append(h, "Content-Type: application/json")) ||
                    !(h = curl_slist_append(h, "Expect:")))) /* no 100-continue round trip */
        goto done;
    r->hdrs = h;
    h = NULL;

    curl_easy_setopt(e, CURLOPT_URL, r->url);
    curl_easy_setopt(e, CURLOPT_PRIVATE, (char *)r);
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, r->hdrs);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_write);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, r);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, (long)c->opts.connect_timeout_ms);
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)c->opts.timeout_ms);
    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(e, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_2TLS);
    curl_easy_setopt(e, CURLOPT_PIPEWAIT, 1L);
    curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, ""); /* gzip when offered: fewer bytes */
    if (strcmp(r->method, "GET") == 0) {
        curl_easy_setopt(e, CURLOPT_HTTPGET, 1L);
    } else {
        if (strcmp(r->method, "POST") != 0)
            curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, r->method);
        else
            curl_easy_setopt(e, CURLOPT_POST, 1L);
        curl_easy_setopt(e, CURLOPT_POSTFIELDS, r->body ? r->body : "");
        curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE, (long)(r->body ? strlen(r->body) : 0));
    }
    r->max_bytes = c->opts.max_response_bytes;
    r->token_gen = c->token_gen;
    r->rl_epoch = c->rl_epoch;
    r->started = true;
    r->easy = e;
    if (curl_multi_add_handle(c->multi, e) != CURLM_OK) {
        r->easy = NULL;
        rc = sc_fail(c, ERR_INTERNAL, "curl could not start a request");
        goto done;
    }
    e = NULL;
    rc = 0;
done:
    if (auth.data)
        explicit_bzero(auth.data, auth.len);
    buf_release(&auth);
    curl_slist_free_all(h);
    if (e)
        curl_easy_cleanup(e);
    if (rc == ERR_NOMEM && !c->err.message)
        sc_fail(c, ERR_NOMEM, "out of memory");
    return rc;
}

static void release_handle(struct spotify_client *c, struct sc_req *r)
{
    curl_multi_remove_handle(c->multi, r->easy);
    if (c->n_pool < SC_MAX_PARALLELISM)
        c->pool[c->n_pool++] = r->easy; /* keeps its state; reset before reuse */
    else
        curl_easy_cleanup(r->easy);
    r->easy = NULL;
    curl_slist_free_all(r->hdrs); /* holds the token */
    r->hdrs = NULL;
}

static int64_t backoff_ms(struct spotify_client *c, int attempt)
{
    int shift = attempt - 1 < 5 ? attempt - 1 : 5; /* capped at 32x the base */
    int64_t d = (int64_t)c->opts.backoff_base_ms << (shift < 0 ? 0 : shift);
    return d / 2 + (int64_t)(sc_rand(c) % (uint64_t)(d / 2 + 1)); /* "equal jitter" */
}

/* "(at 2026-11-23T15:30:00Z)" for a wait of `s` seconds from now. */
static void when_after(int64_t s, char out[21])
{
    util_time_format(time(NULL) + (time_t)s, out);
}

/* Done: the request ends with rc (message already set when rc != 0). */
static int finish(struct sc_req *r, int rc)
{
    r->done = true;
    r->rc = rc;
    return rc;
}

static void requeue(struct sc_req *r, int64_t at_ms)
{
    r->not_before_ms = at_ms;
}

/* Decides what an answer (or its absence) means: done, retry later, or a failure. */
static int finish_request(struct spotify_client *c, struct sc_req *r, CURLcode res)
{
    long status = 0;
    int64_t ra = -1;
    struct buf msg = BUF_INIT;
    bool quota = false;
    int rc = 0;

    long connects = 0;
    curl_easy_getinfo(r->easy, CURLINFO_RESPONSE_CODE, &status);
    if (curl_easy_getinfo(r->easy, CURLINFO_NUM_CONNECTS, &connects) == CURLE_OK && connects > 0)
        c->stats.connects += (unsigned long)connects;
    if (res != CURLE_OK)
        status = status >= 200 ? status : 0;
    if (status == 429)
        ra = curl_util_retry_after_s(r->easy);
    release_handle(c, r);
    r->status = status;
    stats_count(c, r->endpoint, res == CURLE_OK ? status : 0, 1);
    int64_t now = util_now_ms();

    if (res != CURLE_OK) {
        if (r->too_large) {
            rc = sc_fail(c, ERR_SPOTIFY, "Spotify answer to %s larger than %zu bytes",
                         r->endpoint, c->opts.max_response_bytes);
            goto done;
        }
        /* Never connected: nothing was sent, so even a non-idempotent call may go again. */
        bool unsent = res == CURLE_COULDNT_CONNECT || res == CURLE_COULDNT_RESOLVE_HOST;
        r->attempts++;
        if ((r->idempotent || unsent) && r->attempts < c->opts.max_attempts && !c->stopping) {
            int64_t d = backoff_ms(c, r->attempts);
            log_warn("spotify %s: %s; retry %d in %lld ms", r->endpoint, curl_easy_strerror(res),
                     r->attempts, (long long)d);
            c->stats.retries++;
            requeue(r, now + d);
            goto done;
        }
        r->uncertain = !r->idempotent && !unsent;
        rc = sc_fail(c, ERR_SPOTIFY, "Spotify request %s failed: %s (after %d attempt%s)%s",
                     r->endpoint, curl_easy_strerror(res), r->attempts,
                     r->attempts == 1 ? "" : "s",
                     r->uncertain ? "; the change may or may not have been applied" : "");
        goto done;
    }
    if (status >= 200 && status < 300) {
        if (c->limit < c->opts.parallelism && ++c->ok_streak >= c->limit) {
            c->limit++; /* additive increase after a round of successes */
            c->ok_streak = 0;
        }
        rc = finish(r, 0);
        goto out;
    }
    if (spotify_parse_error(r->resp.data, r->resp.len, &msg, &quota) != 0) {
        rc = sc_fail(c, ERR_NOMEM, "out of memory");
        goto done;
    }
    const char *sm = msg.len ? msg.data : "no message";
    if (status == 401) {
        if (!r->refreshed && !c->stopping) {
            r->refreshed = true;
            /* Several answers of one burst may be 401: refresh once per token. */
            if (r->token_gen == c->token_gen && (rc = fetch_token(c, 1)) != 0)
                goto done;
            c->stats.retries++;
            requeue(r, now);
            goto done;
        }
        rc = sc_fail(c, ERR_SPOTIFY_REAUTH,
                     "Spotify rejected the access token even after a refresh (401: %s); the "
                     "user must sign in again",
                     sm);
        goto done;
    }
    if (status == 429) {
        char at[21];
        c->stats.rate_limited++;
        if (quota) {
            c->rl_fail_after_s = ra > 0 ? ra : 0;
            if (ra >= 0) {
                when_after(ra, at);
                rc = sc_fail(c, ERR_RATE_LIMITED,
                             "Spotify quota exceeded: retry after %lld s (at %s)", (long long)ra,
                             at);
            } else {
                rc = sc_fail(c, ERR_RATE_LIMITED,
                             "Spotify quota exceeded (QUOTA_EXCEEDED): try again later");
            }
            goto done;
        }
        if (ra < 0)
            ra = 1; /* Spotify always sends Retry-After; be polite without one */
        if (ra > c->opts.retry_after_cap_s || r->rl_waits >= SPOTIFY_MAX_RATE_LIMIT_WAITS ||
            c->stopping) {
            c->rl_fail_after_s = ra;
            when_after(ra, at);
            rc = sc_fail(c, ERR_RATE_LIMITED, "Spotify rate limit: retry after %lld s (at %s)",
                         (long long)ra, at);
            goto done;
        }
        r->rl_waits++;
        c->stats.retries++;
        if (r->rl_epoch == c->rl_epoch) { /* halve once per burst of 429s */
            c->rl_epoch++;
            c->limit = c->limit > 1 ? c->limit / 2 : 1;
            c->ok_streak = 0;
            log_warn("spotify %s: 429, waiting %lld s, parallelism now %d", r->endpoint,
                     (long long)ra, c->limit);
        }
        if (now + ra * 1000 > c->pause_until_ms)
            c->pause_until_ms = now + ra * 1000;
        requeue(r, c->pause_until_ms);
        goto done;
    }
    if (status >= 500) {
        r->attempts++;
        if (r->idempotent && r->attempts < c->opts.max_attempts && !c->stopping) {
            int64_t d = backoff_ms(c, r->attempts);
            log_warn("spotify %s -> %ld; retry %d in %lld ms", r->endpoint, status, r->attempts,
                     (long long)d);
            c->stats.retries++;
            requeue(r, now + d);
            goto done;
        }
        r->uncertain = !r->idempotent;
        rc = sc_fail(c, ERR_SPOTIFY, "Spotify server error %ld on %s after %d attempt%s: %s%s",
                     status, r->endpoint, r->attempts, r->attempts == 1 ? "" : "s", sm,
                     r->uncertain ? "; the change may or may not have been applied" : "");
        goto done;
    }
    if (status == 404 || (status == 403 && r->playlist_read)) {
        rc = sc_fail(c, ERR_NOT_FOUND,
                     r->playlist_read
                         ? "Spotify playlist not found, or this user may not read it (%ld: %s)"
                         : "Spotify: not found (%ld: %s)",
                     status, sm);
        goto done;
    }
    rc = sc_fail(c, ERR_SPOTIFY, "Spotify refused %s (%ld): %s", r->endpoint, status, sm);
done:
    if (rc != 0)
        finish(r, rc);
out:
    buf_release(&msg);
    return rc;
}

/* The earliest time a waiting request may start, or INT64_MAX when none waits. */
static int64_t next_start(const struct spotify_client *c, const struct sc_req *reqs, size_t n)
{
    int64_t t = INT64_MAX;
    for (size_t i = 0; i < n; i++) {
        if (reqs[i].done || reqs[i].easy)
            continue;
        int64_t at = reqs[i].not_before_ms > c->pause_until_ms ? reqs[i].not_before_ms
                                                                : c->pause_until_ms;
        if (at < t)
            t = at;
    }
    return t;
}

int sc_run(struct spotify_client *c, struct sc_req *reqs, size_t n)
{
    size_t in_flight = 0, left = n;
    int rc = 0;

    c->stopping = false;
    while (left > 0) {
        int64_t now = util_now_ms();
        if (rc == 0 && now >= c->pause_until_ms) {
            for (size_t i = 0; i < n && (int)in_flight < c->limit; i++) {
                struct sc_req *r = &reqs[i];
                if (r->done || r->easy || r->not_before_ms > now)
                    continue;
                if ((rc = start_request(c, r)) != 0) {
                    finish(r, rc);
                    left--;
                    c->stopping = true;
                    break;
                }
                in_flight++;
            }
        }
        if (in_flight == 0) {
            if (rc != 0)
                break; /* what is left was never sent */
            int64_t wake = next_start(c, reqs, n);
            if (wake == INT64_MAX)
                break;
            if (wake > now) { /* everyone waits for a Retry-After or a backoff */
                sleep_ms(wake - now);
                c->stats.wait_ms += wake - now;
            }
            continue;
        }

        int running = 0;
        curl_multi_perform(c->multi, &running);
        CURLMsg *m;
        int queued;
        while ((m = curl_multi_info_read(c->multi, &queued))) {
            if (m->msg != CURLMSG_DONE)
                continue;
            CURL *e = m->easy_handle;
            CURLcode res = m->data.result; /* m is invalid after the handle is removed */
            struct sc_req *r = NULL;
            curl_easy_getinfo(e, CURLINFO_PRIVATE, (char **)&r);
            in_flight--;
            int s = finish_request(c, r, res);
            if (r->done)
                left--;
            if (s == 0 && r->done && r->on_done && rc == 0)
                s = r->on_done(c, r, r->ud);
            if (s != 0 && rc == 0) {
                rc = s;
                c->stopping = true; /* answers in flight are final now */
            }
        }
        if (in_flight == 0)
            continue;
        if (rc != 0 && left > 0) {
            /* Requests not yet started are dropped: count them out. */
            for (size_t i = 0; i < n; i++)
                if (!reqs[i].done && !reqs[i].easy) {
                    reqs[i].done = true;
                    left--;
                }
        }
        int timeout = 1000;
        int64_t wake = rc == 0 && (int)in_flight < c->limit ? next_start(c, reqs, n) : INT64_MAX;
        if (wake != INT64_MAX)
            timeout = wake <= now ? 0 : wake - now < 1000 ? (int)(wake - now) : 1000;
        curl_multi_poll(c->multi, NULL, 0, timeout, NULL);
    }
    c->stopping = false;
    return rc;
}
