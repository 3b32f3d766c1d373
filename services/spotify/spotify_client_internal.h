#ifndef PLAYROUTER_SPOTIFY_CLIENT_INTERNAL_H
#define PLAYROUTER_SPOTIFY_CLIENT_INTERNAL_H
/* Shared between spotify_client.c (lifecycle, stats, the request engine),
 * spotify_client_read.c, spotify_client_write.c and spotify_client_library.c
 * (spotify_accounts.c borrows sc_escape()). Not for other modules. */
#include <curl/curl.h>
#include <stdbool.h>
#include <stdint.h>

#include "lib/buf.h"
#include "lib/report.h"
#include "services/spotify/spotify_client.h"

#define SC_MAX_PARALLELISM 64

struct spotify_client {
    char *api_base; /* without trailing '/' */
    const struct spotify_api *api;
    struct spotify_client_opts opts; /* normalised; string pointers not used */
    struct spotify_token_source tokens;

    char *token;        /* current access token (never logged) */
    unsigned token_gen; /* bumped on every new token */

    CURLM *multi; /* owns the connection cache: keep-alive across calls */
    CURL *pool[SC_MAX_PARALLELISM];
    size_t n_pool; /* idle easy handles in pool[0..n_pool) */

    /* Adaptive parallelism (AIMD): halved on a 429, +1 after `limit` successes. */
    int limit;
    int ok_streak;
    int64_t pause_until_ms; /* no request starts before (a 429's Retry-After) */
    unsigned rl_epoch;      /* bumped at each halving: one 429 burst halves once */
    bool stopping;          /* a run failed: answers in flight are final, no retries */
    int64_t rl_fail_after_s; /* -1, or the Retry-After of a 429 that failed a call (0: none given) */
    uint64_t rng;           /* xorshift state for the backoff jitter */

    struct spotify_stats stats;
    struct report err; /* the current call's failure message (sc_fail); its caller's
                          report gets it at the end of the call (sc_end) */
};

struct sc_req;
/* Called once per request that succeeded (2xx), in completion order. May consume
 * r->resp. A non-zero return fails the whole run with that code (set the message
 * with sc_fail()). */
typedef int (*sc_done_fn)(struct spotify_client *c, struct sc_req *r, void *ud);

struct sc_req {
    /* set by the caller (sc_req_init / directly) */
    const char *method;   /* "GET", "POST", "PUT", "DELETE" (static) */
    const char *endpoint; /* static template for the stats */
    char *url;            /* owned; freed by sc_req_release */
    char *body;           /* owned JSON or NULL */
    bool idempotent;      /* may be sent again after a 5xx / timeout */
    bool playlist_read;   /* a 403 means "not readable": ERR_NOT_FOUND */
    sc_done_fn on_done;
    void *ud;
    size_t index; /* free for the caller (page offset, batch start) */

    /* results */
    long status;     /* last HTTP status (0 = none) */
    struct buf resp; /* body of the last answer */
    int rc;          /* 0, or the error that ended this request */
    bool uncertain;  /* a non-idempotent request failed after it may have been applied */

    /* engine state */
    int attempts, rl_waits;
    bool refreshed, started, done, too_large;
    unsigned token_gen, rl_epoch;
    int64_t not_before_ms;
    size_t max_bytes; /* answer size cap while in flight */
    CURL *easy;
    struct curl_slist *hdrs;
};

/* Fills *r for one call: url = api_base + path (+ '?' + query when query != NULL).
 * body is copied (NULL = none). Returns 0 or ERR_NOMEM. */
int sc_req_init(struct spotify_client *c, struct sc_req *r, const char *method,
                const char *endpoint, const char *path, const char *query, const char *body,
                bool idempotent);
void sc_req_release(struct sc_req *r);

/* Starts a public call: clears the last error and makes sure a token is at hand. */
int sc_begin(struct spotify_client *c);
/* Ends a public call with status rc: a failure's message (c->err) goes to the caller's
 * report `rep` (may be NULL). Returns rc. */
int sc_end(struct spotify_client *c, int rc, struct report *rep);

/* Runs reqs[0..n): at most c->limit at once, with the retry rules of the header.
 * Returns 0 when every request succeeded (and every on_done returned 0), else the
 * first error; the message is in c->err. On failure, requests not yet started are
 * not sent. */
int sc_run(struct spotify_client *c, struct sc_req *reqs, size_t n);

/* Sets c->err's message and returns rc (a run that is stopping keeps its first). */
int sc_fail(struct spotify_client *c, int rc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* A paged list read in parallel (spotify_client_read.c): playlist items, saved tracks.
 * Each page's entries land at their offset in items[0..total) (allocated by the caller
 * from the first page's total), so order is kept whatever order the answers come in. */
struct sc_pages {
    struct arena *a;
    struct spotify_item *items;
    size_t total;
    size_t page_limit;
    bool changed; /* a page disagreed with the first answer (another total, too many
                     entries): the list moved while it was read */
};
/* GETs path?offset=O&limit=L[&query_tail] for O = first, first + L, ... < p->total, in
 * parallel (adaptive), parsing each page into p->items (entries as
 * spotify_parse_page()). endpoint: the stats template. playlist_read: a 403 means "not
 * readable" (ERR_NOT_FOUND). 0 (check p->changed), or the run's error. */
int sc_read_pages(struct spotify_client *c, struct sc_pages *p, const char *path,
                  const char *endpoint, const char *query_tail, size_t first, bool playlist_read);

/* Appends s percent-encoded (RFC 3986 unreserved characters kept). 0 or -1.
 * spotify_accounts.c uses it too (form encoding of the token requests). */
int sc_escape(struct buf *b, const char *s);

/* Appends "/playlists/<escaped id>", then "/<segment>" when segment != NULL
 * (e.g. c->api->items_segment). 0 or -1. */
int sc_playlist_path(struct buf *b, const char *id, const char *segment);

#endif
