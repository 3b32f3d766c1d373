/* The MusicBrainz HTTP client: one curl easy handle, every request paced by the
 * process-wide pacer, retried on 503 / 5xx / network errors (musicbrainz_client.h). */
#include "services/musicbrainz/musicbrainz_client.h"

#include <curl/curl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "lib/app_err.h"
#include "lib/curl_util.h"
#include "lib/log.h"
#include "lib/pacer.h"
#include "lib/util.h"

#define BACKOFF_CAP_MS 16000

struct musicbrainz_client {
    char *base; /* without trailing '/' */
    char *user_agent;
    struct musicbrainz_client_opts opts; /* normalised; string pointers not used */
    CURL *easy;
    struct curl_slist *hdrs;
    unsigned long requests;
    struct buf resp; /* body of the last answer */
    bool too_large;
    struct report err; /* the current call's failure (fail); the caller's report gets it at
                          the end of the call (end_call) */
};

static int fail(struct musicbrainz_client *c, int rc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int fail(struct musicbrainz_client *c, int rc, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    report_vmessage(&c->err, fmt, ap); /* out of memory: no message */
    va_end(ap);
    return rc;
}

/* Ends a public call with status rc: a failure's message goes to the caller's rep (may be
 * NULL), and the next call starts without one. Returns rc. */
static int end_call(struct musicbrainz_client *c, int rc, struct report *rep)
{
    if (rc != 0 && c->err.message)
        report_message(rep, "%s", c->err.message);
    report_release(&c->err);
    return rc;
}

int musicbrainz_client_user_agent(const char *version, const char *contact, struct buf *out)
{
    int rc = contact && *contact ? buf_appendf(out, "playrouter/%s ( %s )", version, contact)
                                 : buf_appendf(out, "playrouter/%s", version);
    return rc == 0 ? 0 : ERR_NOMEM;
}

static int clampi(int v, int dflt, int lo, int hi)
{
    if (v <= 0)
        v = dflt;
    return v < lo ? lo : v > hi ? hi : v;
}

static size_t on_write(char *data, size_t size, size_t nmemb, void *ud)
{
    struct musicbrainz_client *c = ud;
    size_t n = size * nmemb;
    if (n > c->opts.max_response_bytes || c->resp.len > c->opts.max_response_bytes - n) {
        c->too_large = true;
        return 0; /* curl fails the transfer with CURLE_WRITE_ERROR */
    }
    return buf_append(&c->resp, data, n) == 0 ? n : 0;
}

int musicbrainz_client_new(const struct musicbrainz_client_opts *opts,
                           struct musicbrainz_client **out)
{
    struct musicbrainz_client *c = NULL;
    int rc = ERR_NOMEM;

    *out = NULL;
    if (!opts || !opts->base || !*opts->base || !opts->user_agent || !opts->pacer)
        return ERR_VALIDATION;
    if (!(c = calloc(1, sizeof *c)))
        return ERR_NOMEM;
    c->opts = *opts;
    c->opts.timeout_ms = clampi(opts->timeout_ms, MUSICBRAINZ_DEFAULT_TIMEOUT_MS, 100, 600000);
    c->opts.max_attempts = clampi(opts->max_attempts, MUSICBRAINZ_DEFAULT_MAX_ATTEMPTS, 1, 20);
    c->opts.retry_after_cap_s =
        clampi(opts->retry_after_cap_s, MUSICBRAINZ_DEFAULT_RETRY_AFTER_CAP_S, 1, 3600);
    c->opts.backoff_base_ms = clampi(opts->backoff_base_ms, 1000, 1, 60000);
    if (c->opts.max_response_bytes == 0)
        c->opts.max_response_bytes = MUSICBRAINZ_DEFAULT_MAX_RESPONSE;
    size_t len = strlen(opts->base);
    while (len > 0 && opts->base[len - 1] == '/')
        len--;
    if (!(c->base = strndup(opts->base, len)) || !(c->user_agent = strdup(opts->user_agent)) ||
        !(c->hdrs = curl_slist_append(NULL, "Accept: application/json")))
        goto done;
    rc = ERR_INTERNAL;
    if (!(c->easy = curl_easy_init()))
        goto done;
    CURL *e = c->easy;
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, c->hdrs);
    curl_easy_setopt(e, CURLOPT_USERAGENT, c->user_agent);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_write);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, c);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, (long)(c->opts.timeout_ms / 2 + 1));
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)c->opts.timeout_ms);
    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, ""); /* gzip when offered */
    curl_easy_setopt(e, CURLOPT_HTTPGET, 1L);
    rc = 0;
done:
    if (rc != 0)
        musicbrainz_client_free(c);
    else
        *out = c;
    return rc;
}

void musicbrainz_client_free(struct musicbrainz_client *c)
{
    if (!c)
        return;
    if (c->easy)
        curl_easy_cleanup(c->easy);
    curl_slist_free_all(c->hdrs);
    free(c->base);
    free(c->user_agent);
    buf_release(&c->resp);
    report_release(&c->err);
    free(c);
}

unsigned long musicbrainz_client_requests(const struct musicbrainz_client *c)
{
    return c->requests;
}

static int64_t backoff_ms(const struct musicbrainz_client *c, int attempt)
{
    int shift = attempt - 1 < 5 ? attempt - 1 : 5;
    int64_t d = (int64_t)c->opts.backoff_base_ms << (shift < 0 ? 0 : shift);
    return d > BACKOFF_CAP_MS ? BACKOFF_CAP_MS : d;
}

/* GET base + path_query with the retry rules above. 0 with *status (the final answer:
 * 2xx, or a 4xx for the caller to read) and the body in c->resp; or an error. `what`
 * names the request in messages ("recording search"). */
static int get(struct musicbrainz_client *c, const char *path_query, const char *what,
               long *status)
{
    struct buf url = BUF_INIT;
    int rc = 0;

    *status = 0;
    if (buf_appendf(&url, "%s%s", c->base, path_query) != 0)
        return fail(c, ERR_NOMEM, "out of memory");
    curl_easy_setopt(c->easy, CURLOPT_URL, url.data);
    for (int attempt = 1;; attempt++) {
        int slot = pacer_acquire(c->opts.pacer, c->opts.stop, c->opts.stop_at, NULL);
        if (slot < 0) {
            rc = fail(c, ERR_UNAVAILABLE, "stopped while waiting to ask MusicBrainz");
            break;
        }
        buf_reset(&c->resp);
        c->too_large = false;
        CURLcode res = curl_easy_perform(c->easy);
        int64_t now = util_now_ms();
        pacer_release(c->opts.pacer, slot, now);
        c->requests++;
        long st = 0;
        curl_easy_getinfo(c->easy, CURLINFO_RESPONSE_CODE, &st);
        if (res == CURLE_OK && st != 503 && st < 500) {
            *status = st;
            break;
        }
        if (c->too_large) {
            rc = fail(c, ERR_METADATA_UNAVAILABLE, "MusicBrainz's answer to the %s is larger than %zu bytes",
                      what, c->opts.max_response_bytes);
            break;
        }
        int64_t delay = backoff_ms(c, attempt);
        if (res == CURLE_OK && st == 503) {
            int64_t ra = curl_util_retry_after_s(c->easy);
            if (ra > c->opts.retry_after_cap_s) {
                rc = fail(c, ERR_METADATA_UNAVAILABLE,
                          "MusicBrainz asked to wait %lld s (503) before the %s, longer than we "
                          "wait (%d s)",
                          (long long)ra, what, c->opts.retry_after_cap_s);
                break;
            }
            /* Retry-After 1 (too fast) or 0 (busy): never sooner than a second, and
             * longer when it keeps answering 503. */
            if (ra * 1000 > delay)
                delay = ra * 1000;
        }
        if (attempt >= c->opts.max_attempts) {
            if (res != CURLE_OK)
                rc = fail(c, ERR_METADATA_UNAVAILABLE,
                          "MusicBrainz could not be reached for the %s (%s) after %d attempt%s",
                          what, curl_easy_strerror(res), attempt, attempt == 1 ? "" : "s");
            else
                rc = fail(c, ERR_METADATA_UNAVAILABLE,
                          "MusicBrainz answered %ld to the %s after %d attempt%s", st, what,
                          attempt, attempt == 1 ? "" : "s");
            break;
        }
        log_warn("musicbrainz %s: %s; retry %d in %lld ms", what,
                 res != CURLE_OK ? curl_easy_strerror(res) : st == 503 ? "503" : "server error",
                 attempt, (long long)delay);
        /* Every request of the process waits: a 503 is about our IP, not this call. */
        pacer_hold(c->opts.pacer, now + delay);
    }
    buf_release(&url);
    return rc;
}

/* An answer that is not 200: 404 -> ERR_NOT_FOUND, 414 -> ERR_PAYLOAD_TOO_LARGE, else
 * ERR_METADATA_UNAVAILABLE with MusicBrainz's message. */
static int refused(struct musicbrainz_client *c, long status, const char *what)
{
    struct arena *a = arena_new();
    const char *msg = a ? musicbrainz_parse_error(c->resp.data, c->resp.len, a) : "";
    int rc;
    if (status == 404)
        rc = fail(c, ERR_NOT_FOUND, "MusicBrainz: not found (%s)", what);
    else if (status == 414)
        rc = fail(c, ERR_PAYLOAD_TOO_LARGE, "MusicBrainz: the %s URL is too long (414)", what);
    else
        rc = fail(c, ERR_METADATA_UNAVAILABLE, "MusicBrainz refused the %s (%ld%s%s)", what,
                  status, *msg ? ": " : "", msg);
    arena_free(a);
    return rc;
}

/* "?query=<escaped q>&limit=100&offset=N&fmt=json" for a search of `resource`. */
static int search(struct musicbrainz_client *c, const char *resource, const char *prefix,
                  const char *const *terms, size_t n, int64_t offset, const char *what)
{
    struct buf q = BUF_INIT, pq = BUF_INIT;
    char *esc = NULL;
    long status = 0;
    int rc = ERR_NOMEM;

    for (size_t i = 0; i < n; i++)
        if (buf_appendf(&q, "%s%s:%s", i ? " OR " : "", prefix, terms[i]) != 0)
            goto done;
    if (!q.data || !(esc = curl_easy_escape(c->easy, q.data, (int)q.len)) ||
        buf_appendf(&pq, "/%s?query=%s&limit=%d&offset=%lld&fmt=json", resource, esc,
                    MUSICBRAINZ_PAGE, (long long)offset) != 0) {
        rc = fail(c, ERR_NOMEM, "out of memory");
        goto done;
    }
    if ((rc = get(c, pq.data, what, &status)) == 0 && status != 200)
        rc = refused(c, status, what);
done:
    curl_free(esc);
    buf_release(&q);
    buf_release(&pq);
    return rc;
}

/* The answer in c->resp was unreadable. */
static int unreadable(struct musicbrainz_client *c, int rc, const char *what)
{
    if (rc == ERR_NOMEM)
        return fail(c, rc, "out of memory");
    return fail(c, rc, "MusicBrainz's answer to the %s is not what it documents", what);
}

static int search_recordings(struct musicbrainz_client *c, struct arena *a,
                             const char *const *isrcs, size_t n, int64_t offset,
                             struct mb_recording_page *out)
{
    int rc = search(c, "recording", "isrc", isrcs, n, offset, "recording search");
    memset(out, 0, sizeof *out);
    if (rc == 0 && (rc = musicbrainz_parse_recordings(c->resp.data, c->resp.len, a, out)) != 0)
        return unreadable(c, rc, "recording search");
    return rc;
}

static int search_artists(struct musicbrainz_client *c, struct arena *a, const char *const *mbids,
                          size_t n, struct mb_artist_page *out)
{
    int rc = search(c, "artist", "arid", mbids, n, 0, "artist search");
    memset(out, 0, sizeof *out);
    if (rc == 0 && (rc = musicbrainz_parse_artists(c->resp.data, c->resp.len, a, out)) != 0)
        return unreadable(c, rc, "artist search");
    return rc;
}

static int lookup_isrc(struct musicbrainz_client *c, struct arena *a, const char *isrc,
                       struct mb_recording_page *out)
{
    struct buf pq = BUF_INIT;
    long status = 0;
    int rc;

    memset(out, 0, sizeof *out);
    if (!musicbrainz_isrc_valid(isrc))
        return 0; /* never sent: MusicBrainz would answer 400 "Invalid isrc." */
    if (buf_appendf(&pq, "/isrc/%s?inc=artist-credits&fmt=json", isrc) != 0)
        return fail(c, ERR_NOMEM, "out of memory");
    rc = get(c, pq.data, "ISRC lookup", &status);
    buf_release(&pq);
    if (rc != 0)
        return rc;
    if (status == 404)
        return 0; /* MusicBrainz does not know it */
    if (status != 200)
        return refused(c, status, "ISRC lookup");
    if ((rc = musicbrainz_parse_recordings(c->resp.data, c->resp.len, a, out)) != 0)
        return unreadable(c, rc, "ISRC lookup");
    return 0;
}

static int genres(struct musicbrainz_client *c, struct arena *a, const char *const **names,
                  size_t *n)
{
    long status = 0;
    int rc = get(c, "/genre/all?fmt=txt", "genre list", &status);
    *names = NULL;
    *n = 0;
    if (rc != 0)
        return rc;
    if (status != 200)
        return refused(c, status, "genre list");
    if ((rc = musicbrainz_parse_genres(c->resp.data, c->resp.len, a, names, n)) != 0)
        return fail(c, rc, "out of memory");
    if (*n == 0)
        return fail(c, ERR_METADATA_UNAVAILABLE, "MusicBrainz's genre list is empty");
    return 0;
}

int musicbrainz_client_search_recordings(struct musicbrainz_client *c, struct arena *a,
                                         const char *const *isrcs, size_t n, int64_t offset,
                                         struct mb_recording_page *out, struct report *rep)
{
    return end_call(c, search_recordings(c, a, isrcs, n, offset, out), rep);
}

int musicbrainz_client_search_artists(struct musicbrainz_client *c, struct arena *a,
                                      const char *const *mbids, size_t n,
                                      struct mb_artist_page *out, struct report *rep)
{
    return end_call(c, search_artists(c, a, mbids, n, out), rep);
}

int musicbrainz_client_lookup_isrc(struct musicbrainz_client *c, struct arena *a, const char *isrc,
                                   struct mb_recording_page *out, struct report *rep)
{
    return end_call(c, lookup_isrc(c, a, isrc, out), rep);
}

int musicbrainz_client_genres(struct musicbrainz_client *c, struct arena *a,
                              const char *const **names, size_t *n, struct report *rep)
{
    return end_call(c, genres(c, a, names, n), rep);
}
