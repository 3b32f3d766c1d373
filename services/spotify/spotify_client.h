#ifndef PLAYROUTER_SPOTIFY_CLIENT_H
#define PLAYROUTER_SPOTIFY_CLIENT_H
/* Folder services/spotify/: everything that talks to Spotify. Owns the Web API client
 * (spotify_client*.c: reads, writes, the library listing, the saved tracks, the two
 * API modes), the
 * answer parsers (spotify_parse.c), the accounts service (spotify_accounts.c: token
 * exchange and refresh), a user's token state (spotify_session.c) and the write
 * planner that turns current -> target into the fewest calls (write_plan.c). */

/* The Spotify Web API client (libcurl). docs/spotify_client.md has the details.
 *
 * Threading: one struct spotify_client per thread, never shared. It owns a curl multi
 * handle and a few easy handles whose connection cache keeps connections to the API
 * alive between calls (HTTP/2 multiplexing where offered). curl_global_init() must have
 * been called (main does it; tests do it themselves).
 *
 * Every public call:
 *   - asks the token source for a token (it refreshes when needed) and, on a 401,
 *     forces ONE refresh and retries the request once (a second 401: ERR_SPOTIFY_REAUTH);
 *   - retries 5xx answers, connection failures and timeouts of idempotent requests
 *     with capped exponential backoff and jitter (max_attempts in all);
 *   - waits out a 429's Retry-After (halving its parallelism, then growing it back one
 *     step per round of successes) unless the wait exceeds retry_after_cap_s or the
 *     body says QUOTA_EXCEEDED: then it fails at once with ERR_RATE_LIMITED;
 *   - never retries other 4xx;
 *   - counts every HTTP request (retries and token refreshes included) into the
 *     client's struct spotify_stats and reports each to opts.on_request;
 *   - takes a `struct report *rep` (may be NULL) and on failure sets its message to a
 *     readable one (no token, fit for a SyncEvent's error_message), e.g.
 *     "Spotify rate limit: retry after 3600 s (at 2026-11-23T15:30:00Z)".
 *
 * Errors returned: 0; ERR_NOMEM; ERR_NOT_FOUND (404, or 403 on a playlist read: the
 * playlist is unknown or the user may not read it); ERR_RATE_LIMITED; ERR_SPOTIFY_REAUTH
 * (token source says so, or 401 after a refresh); ERR_SPOTIFY (any other failure:
 * other 4xx with Spotify's message, 5xx after the last attempt, transport errors,
 * malformed answers, a non-idempotent write whose outcome is unknown). */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "domain/spotify_mode.h"
#include "domain/track.h"
#include "lib/arena.h"
#include "lib/report.h"
#include "services/spotify/spotify_client_mode.h"
#include "services/spotify/spotify_parse.h"

struct spotify_client;

/* Gives access tokens for ONE user. */
struct spotify_token_source {
    /* Sets *token (caller frees with free()) to a valid access token for the user.
     * force_refresh=1 after a 401: refresh now. Sets *requests_made to how many HTTP
     * requests to Spotify it made (a token refresh counts). Returns 0, ERR_SPOTIFY_REAUTH
     * (user must sign in again) or ERR_SPOTIFY. */
    int (*get)(void *ud, int force_refresh, char **token, int *requests_made);
    void *ud;
};

/* Called after every HTTP request (from the client's thread): endpoint template
 * ("GET /playlists/{id}/items", static storage) and status (0 = no HTTP answer:
 * connection failure, timeout). For global metrics. */
typedef void (*spotify_on_request_fn)(void *ud, const char *endpoint, long status);

struct spotify_client_opts {
    const char *api_base;      /* "https://api.spotify.com/v1" (no trailing slash needed); copied */
    enum spotify_mode mode;
    int parallelism;        /* parallel page/batch requests; <= 0: 8; clamped to 1..64 */
    int connect_timeout_ms; /* <= 0: 5000 */
    int timeout_ms;         /* whole request; <= 0: 30000 */
    int max_attempts;       /* per request, for 5xx/transport failures; <= 0: 4 */
    int retry_after_cap_s;  /* longest Retry-After waited out; <= 0: 60 */
    int backoff_base_ms;    /* first backoff; doubles, capped at 32x; <= 0: 250 */
    size_t max_response_bytes; /* larger answers fail; 0: 32 MiB */
    spotify_on_request_fn on_request; /* may be NULL */
    void *on_request_ud;
};

#define SPOTIFY_DEFAULT_PARALLELISM 8
#define SPOTIFY_DEFAULT_CONNECT_TIMEOUT_MS 5000
#define SPOTIFY_DEFAULT_TIMEOUT_MS 30000
#define SPOTIFY_DEFAULT_MAX_ATTEMPTS 4
#define SPOTIFY_DEFAULT_RETRY_AFTER_CAP_S 60
#define SPOTIFY_DEFAULT_BACKOFF_BASE_MS 250
#define SPOTIFY_DEFAULT_MAX_RESPONSE ((size_t)32 * 1024 * 1024)
/* 429s waited out per request before giving up (each wait <= retry_after_cap_s). */
#define SPOTIFY_MAX_RATE_LIMIT_WAITS 8

/* Endpoint templates used in the stats and on_request (static strings). */
#define SPOTIFY_EP_TOKEN "POST /api/token"

/* Per-sync accounting; read with spotify_client_stats(), zero with _stats_reset(). */
#define SPOTIFY_STATS_ROWS 48
struct spotify_stat_row {
    const char *endpoint; /* static template, e.g. "GET /playlists/{id}/items" */
    long status;          /* HTTP status; 0 = no answer */
    unsigned long count;
};
struct spotify_stats {
    unsigned long requests;       /* every HTTP request: API calls, retries, token refreshes */
    unsigned long token_requests; /* of which made by the token source */
    unsigned long retries;        /* requests sent again (429, 5xx, transport, 401) */
    unsigned long rate_limited;   /* 429 answers */
    int64_t wait_ms;              /* time spent waiting for Retry-After or backoff */
    unsigned long connects;       /* new connections opened (keep-alive reuses the rest) */
    size_t n_rows;                /* rows of endpoint x status (SPOTIFY_STATS_ROWS at most;
                                     further pairs are counted in `requests` only) */
    struct spotify_stat_row rows[SPOTIFY_STATS_ROWS];
};

/* Creates a client. opts and tokens are copied (tokens->ud stays borrowed and must
 * outlive the client). *out: caller frees with spotify_client_free().
 * Returns 0, ERR_VALIDATION (no api_base / token getter), ERR_NOMEM, ERR_INTERNAL
 * (curl handle creation failed). */
int spotify_client_new(const struct spotify_client_opts *opts,
                       const struct spotify_token_source *tokens, struct spotify_client **out);
/* Frees the client and closes its connections. NULL is accepted. */
void spotify_client_free(struct spotify_client *c);

/* The mode table row the client uses. */
const struct spotify_api *spotify_client_api(const struct spotify_client *c);

/* The current adaptive parallelism (1..opts.parallelism): halved by a 429, grown back
 * by one after each round of successes. For tests and metrics. */
int spotify_client_parallelism(const struct spotify_client *c);

/* After a call failed with ERR_RATE_LIMITED: the Retry-After (seconds) of the 429 that
 * made it fail, 0 when that 429 gave none (a quota 429); -1 when no call of this client
 * failed on a 429. NULL: -1. */
int64_t spotify_client_retry_after(const struct spotify_client *c);

/* Copies the counters since the last reset into *out. */
void spotify_client_stats(const struct spotify_client *c, struct spotify_stats *out);
void spotify_client_stats_reset(struct spotify_client *c);
/* Count of one endpoint x status pair (status < 0: every status). For tests. */
unsigned long spotify_stats_count(const struct spotify_stats *s, const char *endpoint,
                                  long status);

/* ---- Reads -------------------------------------------------------------------- */

/* Reads a playlist whole: GET /playlists/{id} (header + first page, `fields` trimmed to
 * what we use) then the remaining pages in parallel (adaptive, see above) and puts them
 * back in order. Requests: 1 + ceil((total - first page) / page_limit). If the playlist
 * changes while it is read (a page reports another total), the read restarts once.
 * Everything in *out lives in arena `a`. uris_only: fetch only what writes need (uri,
 * kind), not the track metadata. Errors: see the top; ERR_NOT_FOUND = unknown or not
 * readable by this user. */
int spotify_client_get_playlist(struct spotify_client *c, struct arena *a, const char *playlist_id,
                                bool uris_only, struct spotify_playlist *out, struct report *rep);

/* One request: GET /playlists/{id}?fields=id,name,snapshot_id,owner(id),<total>
 * for the incremental-sync check. Strings in arena `a`. */
int spotify_client_get_playlist_info(struct spotify_client *c, struct arena *a,
                                     const char *playlist_id, struct spotify_playlist_info *out,
                                     struct report *rep);

/* The current snapshot_id of each playlist ids[0..n) into snaps[i] (strings in arena
 * `a`). As few requests as it can: one GET /me/playlists page lists every playlist of
 * the user's library with its snapshot (50 per page; further pages only when cheaper
 * than asking one by one); the ids it does not list are asked one by one
 * (GET /playlists/{id}?fields=...). A single id is asked directly. Errors: see the top. */
int spotify_client_get_snapshots(struct spotify_client *c, struct arena *a, const char *const *ids,
                                 size_t n, const char **snaps, struct report *rep);

/* ---- The user's saved tracks (Liked Songs; spotify_client_saved.c) -------------- */

/* GET /me/tracks: at most 50 entries a page in both modes, newest save first. */
#define SPOTIFY_SAVED_PAGE 50
/* The snapshot-like string of a user's saved tracks: "liked:v1:<total>:<64 hex>", the
 * SHA-256 of the first page's (uri, added_at) pairs. Spotify keeps no snapshot_id for
 * them; because the list is ordered by save date, newest first, this string changes on
 * every save, re-save and removal (docs/sync.md, "Liked Songs": the argument and its
 * one blind spot). At most this many bytes, NUL included. */
#define SPOTIFY_SAVED_FINGERPRINT_MAX 96

/* Reads the user's saved tracks whole: GET /me/tracks?offset=0&limit=50 (the first page
 * gives `total`), then the remaining pages in parallel (adaptive, as playlist pages).
 * Requests: max(1, ceil(total / 50)). Entries come in Spotify's order (newest save
 * first), each a SPOTIFY_ITEM_TRACK (or _UNAVAILABLE) with `added_at` = when it was
 * saved and no `added_by`. out->info: id NULL, name "Liked Songs", owner_id NULL,
 * total, snapshot_id = the fingerprint of the first page read. If the list changes
 * while it is read (a page reports another total), the read restarts once, from a first
 * page asked then. Everything in arena `a`. Needs the user-library-read scope: a 403 is
 * ERR_SPOTIFY whose message says to sign in again. Errors: see the top.
 *
 * first_page (may be NULL): the answer of spotify_client_get_saved_first_page() for the
 * same user, borrowed (its entries are copied into *out, their strings shared: they
 * must live as long as *out, e.g. in the same arena). The read starts from it and asks
 * only the pages after it: ceil(total / 50) - 1 requests, none when it holds every
 * entry; a page that reports another total than first_page's means the list moved
 * since it was read, and the read restarts once as above. out->info is first_page's. */
int spotify_client_get_saved_tracks(struct spotify_client *c, struct arena *a,
                                    const struct spotify_playlist *first_page,
                                    struct spotify_playlist *out, struct report *rep);

/* One request (GET /me/tracks?offset=0&limit=50): the first page of the saved tracks.
 * out->info as a whole read's (total, snapshot_id = the current fingerprint: the same
 * string a whole read starting now would give); out->items[0..n_items) the newest
 * entries (50, or all when fewer), as a whole read gives them. Everything in arena `a`.
 * Handed to spotify_client_get_saved_tracks(), it spares that read its first request.
 * Errors as spotify_client_get_saved_tracks(). */
int spotify_client_get_saved_first_page(struct spotify_client *c, struct arena *a,
                                        struct spotify_playlist *out, struct report *rep);

/* GET /me. Strings in arena `a`. */
int spotify_client_get_me(struct spotify_client *c, struct arena *a, struct spotify_user *out,
                          struct report *rep);

/* Batch metadata, extended mode only (development mode: ERR_SPOTIFY at once, no
 * request). ids[0..n) are fetched in batches of the endpoint's maximum (artists 50,
 * albums 20, tracks 50), batches in parallel; out[i] answers ids[i] (out has n entries;
 * an id Spotify does not know gets id == NULL). The caller removes duplicates and known
 * ids first (metadata.c does). Strings in arena `a`. */
int spotify_client_get_artists(struct spotify_client *c, struct arena *a, const char *const *ids,
                               size_t n, struct spotify_artist *out, struct report *rep);
int spotify_client_get_albums(struct spotify_client *c, struct arena *a, const char *const *ids,
                              size_t n, struct spotify_album *out, struct report *rep);
int spotify_client_get_tracks(struct spotify_client *c, struct arena *a, const char *const *ids,
                              size_t n, struct track *out, struct report *rep);

/* ---- Writes ------------------------------------------------------------------- */

/* Creates a playlist on the user's account (POST opts' create_path, here /me/playlists
 * in both modes, which needs no user id). *out_id: caller frees with free().
 * Not retried after a 5xx or timeout (the playlist may exist): ERR_SPOTIFY then. */
int spotify_client_create_playlist(struct spotify_client *c, const char *name, bool is_public,
                                   const char *description, char **out_id, struct report *rep);

#define SPOTIFY_SNAPSHOT_ID_MAX 128 /* bytes of a snapshot_id we keep, NUL included */

struct spotify_apply_result {
    size_t calls;   /* write requests sent (retries of one call not counted twice) */
    size_t replans; /* times the playlist was re-read and the plan rebuilt */
    size_t added;   /* distinct uris the playlist gained */
    size_t removed; /* distinct uris the playlist lost */
    /* The snapshot_id Spotify answered to the last write (every write answers one):
     * the playlist's snapshot once the target is in place. "" when nothing was written
     * or the answer did not say (or said something longer than we keep). */
    char snapshot_id[SPOTIFY_SNAPSHOT_ID_MAX];
};

/* Makes playlist `playlist_id` hold exactly target[0..n_target) in order, given its
 * current entries current[0..n_current) (uris from a read; NULL for entries without
 * uri). Plans with write_plan_build() (services/write_plan.h) and sends the plan:
 * NO request at all when current == target. If an add (POST, not idempotent) or a
 * reorder fails with a 5xx or a timeout, it re-reads the playlist (uris only) and
 * plans again from what is there (at most 2 times). *res (may be NULL) gets counts
 * and the snapshot id of the last write's answer (so the caller needs no read to learn
 * it).
 * target must not hold duplicates or NULL (ERR_VALIDATION). */
int spotify_client_apply_target(struct spotify_client *c, const char *playlist_id,
                                const char *const *current, size_t n_current,
                                const char *const *target, size_t n_target,
                                struct spotify_apply_result *res, struct report *rep);

#endif
