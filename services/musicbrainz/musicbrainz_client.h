#ifndef PLAYROUTER_MUSICBRAINZ_CLIENT_H
#define PLAYROUTER_MUSICBRAINZ_CLIENT_H
/* Folder services/musicbrainz/: the MusicBrainz web service (docs/musicbrainz.md).
 * Owns the HTTP client (musicbrainz_client.c: pacing, User-Agent, retries, counting)
 * and the parsing of its answers (musicbrainz_parse.c). What to ask and what to keep is
 * services/metadata/musicbrainz_metadata.c's.
 *
 * The client (one per sync or preview; never shared between threads: it owns a curl easy
 * handle whose connection is kept alive between its requests):
 * - every request, retries included, first takes a slot of the process-wide pacer
 *   (lib/pacer.h), so the process never sends more than PLAYROUTER_MUSICBRAINZ_RATE
 *   requests in any second, whatever the number of syncs;
 * - sends `User-Agent: playrouter/<version> ( <contact> )` (musicbrainz_client_user_agent)
 *   and `Accept: application/json`, asks `fmt=json` (or `fmt=txt` for the genre list);
 * - a 503 (MusicBrainz's answer to a client that goes too fast, or to load) pauses every
 *   request of the process for its Retry-After (at least 1 s, at most retry_after_cap_s),
 *   then the request is sent again; other 5xx and network errors are retried after 1, 2,
 *   4 ... s; at most max_attempts attempts, then ERR_METADATA_UNAVAILABLE;
 * - a 414 (the URL is too long) is ERR_PAYLOAD_TOO_LARGE: the caller halves its batch;
 * - counts every request it sends (musicbrainz_client_requests).
 * Each call takes a `struct report *rep` (may be NULL): a failure sets its message.
 * Errors: ERR_METADATA_UNAVAILABLE (unreachable, refused, unreadable answer; the message
 * names MusicBrainz), ERR_PAYLOAD_TOO_LARGE (414), ERR_UNAVAILABLE (*stop was set while
 * waiting), ERR_NOMEM. */
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/arena.h"
#include "lib/buf.h"
#include "lib/report.h"

struct pacer;
struct musicbrainz_client;

#define MUSICBRAINZ_PAGE 100            /* the most results a search answers (limit=100) */
#define MUSICBRAINZ_DEFAULT_TIMEOUT_MS 20000
#define MUSICBRAINZ_DEFAULT_MAX_ATTEMPTS 5
#define MUSICBRAINZ_DEFAULT_RETRY_AFTER_CAP_S 60
#define MUSICBRAINZ_DEFAULT_MAX_RESPONSE (16u * 1024 * 1024)

struct musicbrainz_client_opts {
    const char *base;          /* e.g. "https://musicbrainz.org/ws/2" (copied) */
    const char *user_agent;    /* the whole header value (copied) */
    struct pacer *pacer; /* borrowed, shared by the process; required */
    const atomic_int *stop;    /* borrowed; reaching stop_at stops waiting (may be NULL) */
    int stop_at;               /* < 1: 1 */
    int timeout_ms;            /* <= 0: MUSICBRAINZ_DEFAULT_TIMEOUT_MS */
    int max_attempts;          /* <= 0: MUSICBRAINZ_DEFAULT_MAX_ATTEMPTS */
    int retry_after_cap_s;     /* <= 0: MUSICBRAINZ_DEFAULT_RETRY_AFTER_CAP_S */
    int backoff_base_ms;       /* <= 0: 1000 */
    size_t max_response_bytes; /* 0: MUSICBRAINZ_DEFAULT_MAX_RESPONSE */
};

/* One recording of a search or ISRC lookup answer (strings in the caller's arena). */
struct mb_recording {
    const char *id;
    const char *first_release_date;  /* "1994", "1994-06", "1994-06-12"; NULL when unknown */
    const char *const *isrcs;        /* as given (a search answer lists them) */
    size_t n_isrcs;
    bool has_isrcs;                  /* the answer had an `isrcs` member */
    const char *const *artist_ids;   /* credited artists' MBIDs, in credit order */
    size_t n_artists;
};

struct mb_recording_page {
    int64_t count; /* total matches of the query (search); recordings listed (lookup) */
    struct mb_recording *items;
    size_t n;
};

struct mb_tag {
    const char *name;
    int64_t count; /* may be 0 or negative in search answers */
};

struct mb_artist {
    const char *id;
    struct mb_tag *tags;
    size_t n_tags;
};

struct mb_artist_page {
    int64_t count;
    struct mb_artist *items;
    size_t n;
};

/* `playrouter/<version> ( <contact> )`, or `playrouter/<version>` without a contact
 * (docs/musicbrainz.md says why). Appends to out; 0 or ERR_NOMEM. */
int musicbrainz_client_user_agent(const char *version, const char *contact, struct buf *out);

/* A client (caller frees with musicbrainz_client_free()). 0; ERR_VALIDATION (no base,
 * user agent or pacer); ERR_NOMEM; ERR_INTERNAL (curl). */
int musicbrainz_client_new(const struct musicbrainz_client_opts *opts,
                           struct musicbrainz_client **out);
/* NULL is accepted. */
void musicbrainz_client_free(struct musicbrainz_client *c);

/* GET /genre/all?fmt=txt: every genre name (arena array of arena strings). */
int musicbrainz_client_genres(struct musicbrainz_client *c, struct arena *a,
                              const char *const **names, size_t *n, struct report *rep);

/* GET /recording?query=isrc:A OR isrc:B ...&limit=100&offset=...&fmt=json: one page.
 * isrcs[0..n) must be valid ISRCs (upper case). */
int musicbrainz_client_search_recordings(struct musicbrainz_client *c, struct arena *a,
                                         const char *const *isrcs, size_t n, int64_t offset,
                                         struct mb_recording_page *out, struct report *rep);

/* GET /isrc/{isrc}?inc=artist-credits&fmt=json: the recordings of one ISRC; an ISRC
 * MusicBrainz does not know is a page of none (not an error). */
int musicbrainz_client_lookup_isrc(struct musicbrainz_client *c, struct arena *a, const char *isrc,
                                   struct mb_recording_page *out, struct report *rep);

/* GET /artist?query=arid:X OR arid:Y ...&limit=100&fmt=json; mbids[0..n) (n <= 100)
 * must be valid MBIDs (lower-case UUIDs). */
int musicbrainz_client_search_artists(struct musicbrainz_client *c, struct arena *a,
                                      const char *const *mbids, size_t n,
                                      struct mb_artist_page *out, struct report *rep);

/* Requests sent so far (every attempt counts). */
unsigned long musicbrainz_client_requests(const struct musicbrainz_client *c);

/* ---- Answers (musicbrainz_parse.c; pure, for the client and the tests) ---------- */

/* A search answer {"count", "recordings": [...]} or an ISRC lookup {"recordings": [...]}.
 * 0; ERR_NOMEM; ERR_METADATA_UNAVAILABLE (not that shape). */
int musicbrainz_parse_recordings(const char *text, size_t len, struct arena *a,
                                 struct mb_recording_page *out);
/* An artist search answer {"count", "artists": [{"id", "tags": [{"count", "name"}]}]}. */
int musicbrainz_parse_artists(const char *text, size_t len, struct arena *a,
                              struct mb_artist_page *out);
/* The genre list of fmt=txt: one name a line (blank lines skipped, '\r' dropped). */
int musicbrainz_parse_genres(const char *text, size_t len, struct arena *a,
                             const char *const **names, size_t *n);
/* MusicBrainz's error message of an error answer ({"error": "..."}), or "" (arena). */
const char *musicbrainz_parse_error(const char *text, size_t len, struct arena *a);

/* Whether s is an ISRC as MusicBrainz accepts it: ^[A-Z]{2}[A-Z0-9]{3}[0-9]{7}$. */
bool musicbrainz_isrc_valid(const char *s);
/* Whether s is a lower-case UUID (an MBID as the answers give them). */
bool musicbrainz_mbid_valid(const char *s);

#endif
