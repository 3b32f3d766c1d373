#ifndef PLAYROUTER_SYNC_INTERNAL_H
#define PLAYROUTER_SYNC_INTERNAL_H
/* Shared by the sync engine's files (sync_service.c, sync_input.c, sync_spotify.c,
 * sync_restore.c) and preview_service.c. Not for other modules. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "repositories/base_playlist_repo.h"
#include "repositories/base_store_repo.h"
#include "repositories/child_playlist_repo.h"
#include "repositories/sync_state_repo.h"
#include "repositories/tag_repo.h"
#include "lib/arena.h"
#include "lib/buf.h"
#include "lib/cancel.h"
#include "services/metadata/metadata.h"
#include "services/metadata/musicbrainz_metadata.h"
#include "services/spotify/spotify_client.h"
#include "services/sync/sync_tracks.h"
#include "services/rules/target.h"

struct app;
struct db;

#define SYNC_HASH_HEX 65 /* SHA-256 in hex + NUL */

/* A base playlist's inputs: rows from the database, compiled children, and what the
 * incremental sync remembered. */
struct sync_input {
    struct base_playlist base;
    struct child_playlist *children; /* n_children, by position (arena) */
    size_t n_children;
    struct target_child **compiled; /* n_children; owned (sync_input_release) */
    enum target_routing routing;
    unsigned needs;                  /* OR of every child's target_child_needs() */
    int32_t today;                   /* UTC day of the run (in_the_last) */
    char config_hash[SYNC_HASH_HEX]; /* fingerprint of routing + every child's config */
    struct sync_base_state state;
    struct sync_child_state *child_state; /* n_children (arena) */
    enum spotify_mode api_mode;           /* the configured mode of this run */
    struct base_store_info store;         /* the stored base's header (snapshot_id NULL: none) */
    const struct cancel *cancel; /* NULL (a sync runs to its end); a preview's: its client
                                  * hung up -> sync_eval_run stops with ERR_UNAVAILABLE */
};

/* Loads base `base_id` of `user_id` and its children, compiles them in the configured
 * mode (and MusicBrainz on or off) and computes the fingerprint: routing, every child's
 * configuration, the day (in_the_last), the user's tag version (a rule uses `tag`) and
 * the 30-day period of the MusicBrainz store (a rule needs MusicBrainz: its values are
 * refreshed at least that often, and the next period re-evaluates). Strings in arena
 * `a`. On ERR_VALIDATION (a stored rule no longer compiles, e.g. after a mode change)
 * rep's message says which child and why.
 * 0, ERR_NOT_FOUND (base), ERR_VALIDATION, ERR_NOMEM, ERR_INTERNAL. Release with
 * sync_input_release() whatever the outcome. */
int sync_input_load(struct app *app, struct db *db, struct arena *a, const char *user_id,
                    const char *base_id, struct sync_input *in, struct report *rep);
void sync_input_release(struct sync_input *in);

/* True when the stored base holds metadata values the rules need that are missing or
 * older than the cache lifetime of their kind (at unix time `now`): they may have
 * changed on Spotify, so the rules are evaluated again (from the stored entries when the
 * base has not moved) with values fetched again. False when nothing is stored. */
bool sync_input_metadata_stale(const struct app *app, const struct sync_input *in, int64_t now);

/* SHA-256 of uris[0..n) joined by '\n', in hex. */
void sync_hash_uris(const char *const *uris, size_t n, char out[SYNC_HASH_HEX]);

/* The base read and evaluated: its entries, the filterable tracks and every child's
 * target. */
struct sync_eval {
    struct spotify_playlist base;  /* arena */
    struct sync_tracks tracks;     /* arena */
    struct target_result *targets; /* owned (sync_eval_release) */
    struct metadata_stats mstats;
    struct musicbrainz_stats mbstats;
    struct report why;             /* a failure of MusicBrainz, its store or the tags */
    bool from_store;               /* the entries came from the stored base, not Spotify */
};

/* What the check saw of the base (sync_spotify_check()), for the evaluation that follows
 * (sync_eval_run()). */
struct sync_base_seen {
    const char *snapshot; /* its current snapshot id (arena); NULL: not asked */
    /* A Liked Songs base's first page, read for that snapshot (arena): a whole read
     * starts from it instead of asking it again. NULL otherwise. */
    const struct spotify_playlist *first_page;
};

/* Gets the base's entries, builds the tracks, gets the metadata the rules need and
 * computes every child's target. The entries come from the stored base when
 * seen->snapshot (from sync_spotify_check(); seen NULL or its snapshot NULL = unknown)
 * is the one it was stored under, else from a read of the whole base (starting from
 * seen->first_page when the check read one: a Liked Songs base's first page is asked
 * once per sync). The
 * metadata values come from the stored base when it holds every kind the rules need
 * and they are younger than the cache lifetime of their kind, else from
 * metadata_enrich() (cache first). A read, or metadata fetched, is saved as the
 * stored base (a failure to save is logged, not an error); each store step takes a
 * database connection of its own for that step only. Then MusicBrainz's values (through
 * its own shared store: musicbrainz_metadata.h) and the user's tags. `phase`
 * (may be NULL) is called at each phase with its name (and, in "musicbrainz", with
 * done/total). Errors: the client's (its message in rep), ERR_METADATA_UNAVAILABLE
 * (message in ev->why, as for a failure to read the MusicBrainz store or the tags: rep
 * holds Spotify's messages only), ERR_UNAVAILABLE (cancelled or shutting down),
 * ERR_VALIDATION (two catch-all children), ERR_NOMEM, or a `phase` callback's.
 * Release with sync_eval_release() whatever the outcome. */
typedef metadata_progress_fn sync_phase_fn;
int sync_eval_run(struct app *app, struct spotify_client *c, struct arena *a,
                  const struct sync_input *in, const struct sync_base_seen *seen,
                  sync_phase_fn phase, void *ud, struct sync_eval *ev, struct report *rep);
void sync_eval_release(struct sync_eval *ev);

/* Child i's target as uris (arena array), from an evaluation. */
int sync_eval_target_uris(const struct sync_eval *ev, size_t child, struct arena *a,
                          const char ***uris, size_t *n);

/* Which children still hold the contents recorded for them (child_same[i]) and, when
 * ask_base and something is known of the base (the last completed sync's snapshot or
 * a stored base), what the base is now (*base: its snapshot id; zeroed when not
 * asked): asks the snapshot ids of the base and of every child with recorded contents,
 * with spotify_client_get_snapshots() (one request for all where possible; none when
 * there is nothing to ask). A Liked Songs base is asked apart: its first page (one
 * request, sync_base_snapshot()), kept in base->first_page. Errors: the client's (its
 * message in rep). */
int sync_spotify_check(struct spotify_client *c, struct arena *a, const struct sync_input *in,
                       bool ask_base, struct sync_base_seen *base, bool *child_same,
                       struct report *rep);

/* ---- The stored base (sync_store.c; repositories/base_store_repo.h) -------------- */

#define SYNC_STORE_FORMAT 1

/* One entry as stored: it (kind, uri, track fields) with the metadata values of `meta`
 * (its enriched filterable track; NULL = the entry's own track). out is reset first.
 * 0 or ERR_NOMEM. */
int sync_store_encode(const struct spotify_item *it, const struct track *meta, struct buf *out);
/* The entry back from its text (strings in arena `a`, base_index = index).
 * 0; ERR_INTERNAL (not an entry of this format); ERR_NOMEM. */
int sync_store_decode(const char *text, size_t len, size_t index, struct arena *a,
                      struct spotify_item *out);
/* The stored base of in->base at `snapshot_id` as a playlist read (arena `a`).
 * 0; ERR_NOT_FOUND (nothing stored for that snapshot, mode and format); ERR_NOMEM;
 * ERR_INTERNAL. */
int sync_store_load(struct db *db, struct arena *a, const struct sync_input *in,
                    const char *snapshot_id, struct spotify_playlist *out);
/* Stores pl's entries under pl->info.snapshot_id, with the metadata values of `tracks`
 * (the filterable tracks built from pl, enriched) answering `needs`, fetched at
 * metadata_at. 0; ERR_NOT_FOUND (the base is gone, or pl has no snapshot id);
 * ERR_NOMEM; ERR_INTERNAL. */
int sync_store_save(struct db *db, struct arena *a, const struct sync_input *in,
                    const struct spotify_playlist *pl, const struct sync_tracks *tracks,
                    unsigned needs, int64_t metadata_at);

/* A child playlist's current contents as uris (NULL for an entry without uri), read
 * from Spotify (uris only), and its snapshot id. Errors: the client's (its message in
 * rep). */
int sync_spotify_read_uris(struct spotify_client *c, struct arena *a, const char *playlist_id,
                           const char ***uris, size_t *n, const char **snapshot_id,
                           struct report *rep);

/* Adds a client's rate-limited answers and a metadata call's cache hits and misses to
 * the app's metrics (playrouter_spotify_rate_limited_total, playrouter_cache_hits_total,
 * playrouter_cache_misses_total). ss and ms may be NULL. */
void sync_count_client_metrics(struct app *app, const struct spotify_stats *ss,
                               const struct metadata_stats *ms);

/* ---- Children in parallel (sync_pool.c) ------------------------------------------ */

#define SYNC_POOL_MAX_WORKERS 8

/* Up to SYNC_POOL_MAX_WORKERS runners (never more than the configured Spotify
 * parallelism, nor than jobs): the calling thread and helpers on the server's worker
 * pool (app->workers), each runner with its own Spotify client (the configured
 * parallelism shared between them) and arena, that run jobs 0..n-1 of a phase. The
 * clients live for a whole sync: clients and arenas (and what jobs allocate in them)
 * last until sync_pool_release(). No thread is created per phase.
 */
struct sync_pool {
    struct app *app;
    size_t n_workers;
    struct spotify_client *clients[SYNC_POOL_MAX_WORKERS];
    struct arena *arenas[SYNC_POOL_MAX_WORKERS];
};

/* A job: runs on worker `w` with p->clients[w] and p->arenas[w]. Its result goes into
 * the caller's own per-job storage (through ud). */
typedef void (*sync_job_fn)(struct sync_pool *p, size_t w, size_t job, void *ud);
/* Called on the thread of sync_pool_run() as each job ends, in the order they end. A
 * non-zero return starts no further job (those running finish). */
typedef int (*sync_done_fn)(void *ud, size_t job);

/* Sets up workers for phases of at most n_jobs jobs for user_id. 0, or the error of
 * the session's token source or spotify_client_new(); release with sync_pool_release()
 * whatever the outcome. */
int sync_pool_init(struct sync_pool *p, struct app *app, const char *user_id, size_t n_jobs);
/* Runs jobs 0..n-1 (n may be 0), on the calling thread and on helpers of the worker
 * pool, and returns when every job started has ended: 0, the first non-zero return of
 * on_done, ERR_NOMEM, or ERR_INTERNAL (no runner was set up). A job is not started once
 * the server gives up on running syncs (app->shutting_down > 1; on_done then sees fewer
 * jobs end). */
int sync_pool_run(struct sync_pool *p, size_t n, sync_job_fn job, sync_done_fn on_done, void *ud);
/* Adds the workers' request counts to *sum (requests, token_requests, retries,
 * rate_limited, wait_ms). */
void sync_pool_add_stats(const struct sync_pool *p, struct spotify_stats *sum);
void sync_pool_release(struct sync_pool *p);

/* True when a[0..na) and b[0..nb) hold the same uris in the same order. */
bool sync_uris_equal(const char *const *a, size_t na, const char *const *b, size_t nb);

#endif
