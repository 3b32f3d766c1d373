#ifndef PLAYROUTER_SYNC_INTERNAL_H
#define PLAYROUTER_SYNC_INTERNAL_H
/* Shared by the sync engine's files (sync_service.c, sync_input.c, sync_spotify.c,
 * sync_restore.c) and preview_service.c. Not for other modules. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "repositories/base_playlist_repo.h"
#include "repositories/child_playlist_repo.h"
#include "repositories/sync_state_repo.h"
#include "repositories/tag_repo.h"
#include "lib/arena.h"
#include "lib/buf.h"
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
    struct tag_item *tags; /* with RULE_NEEDS_TAGS: every tagged item of the user (arena) */
    size_t n_tags;
};

/* Loads base `base_id` of `user_id` and its children, compiles them in the configured
 * mode (and MusicBrainz on or off) and computes the fingerprint: routing, every child's
 * configuration, the day (in_the_last), the user's tag version (a rule uses `tag`) and
 * the 30-day period of the MusicBrainz store (a rule needs MusicBrainz: its values are
 * refreshed at least that often, and the next period re-evaluates). With RULE_NEEDS_TAGS
 * it loads the user's tags too. Strings in arena `a`. On ERR_VALIDATION (a stored
 * rule no longer compiles, e.g. after a mode change) `why` says which child and why.
 * 0, ERR_NOT_FOUND (base), ERR_VALIDATION, ERR_NOMEM, ERR_INTERNAL. Release with
 * sync_input_release() whatever the outcome. */
int sync_input_load(struct app *app, struct db *db, struct arena *a, const char *user_id,
                    const char *base_id, struct sync_input *in, struct buf *why);
void sync_input_release(struct sync_input *in);

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
    struct buf why; /* the message of ERR_METADATA_UNAVAILABLE */
};

/* Reads the base whole, builds the tracks, fetches the metadata the rules need (Spotify's
 * through the cache, MusicBrainz's through its store), applies the user's tags and
 * computes every child's target. `phase` (may be NULL) is called at each phase with its
 * name (and, in "musicbrainz", with done/total). Errors: the Spotify client's (message in
 * spotify_client_last_error()), ERR_METADATA_UNAVAILABLE (message in ev->why),
 * ERR_UNAVAILABLE (shutting down), ERR_VALIDATION (two catch-all children), ERR_NOMEM, or
 * a `phase` callback's. Release with sync_eval_release() whatever the outcome. */
typedef metadata_progress_fn sync_phase_fn;
int sync_eval_run(struct app *app, struct db *db, struct spotify_client *c, struct arena *a,
                  const struct sync_input *in, sync_phase_fn phase, void *ud, struct sync_eval *ev);
void sync_eval_release(struct sync_eval *ev);

/* Child i's target as uris (arena array), from an evaluation. */
int sync_eval_target_uris(const struct sync_eval *ev, size_t child, struct arena *a,
                          const char ***uris, size_t *n);

/* Which children still hold the contents recorded for them (child_same[i]) and, when
 * ask_base, whether the base is still at in->state.last_snapshot_id (*base_same): asks
 * the snapshot ids of the base and of every child with recorded contents, with
 * spotify_client_get_snapshots() (one request for all where possible; none when there is
 * nothing to ask). Errors: the client's. */
int sync_spotify_check(struct spotify_client *c, struct arena *a, const struct sync_input *in,
                       bool ask_base, bool *base_same, bool *child_same);

/* A child playlist's current contents as uris (NULL for an entry without uri), read
 * from Spotify (uris only), and its snapshot id. Errors: the client's. */
int sync_spotify_read_uris(struct spotify_client *c, struct arena *a, const char *playlist_id,
                           const char ***uris, size_t *n, const char **snapshot_id);

/* Adds a client's rate-limited answers and a metadata call's cache hits and misses to
 * the app's metrics (playrouter_spotify_rate_limited_total, playrouter_cache_hits_total,
 * playrouter_cache_misses_total). ss and ms may be NULL. */
void sync_count_client_metrics(struct app *app, const struct spotify_stats *ss,
                               const struct metadata_stats *ms);

/* ---- Children in parallel (sync_pool.c) ------------------------------------------ */

#define SYNC_POOL_MAX_WORKERS 8

/* Up to SYNC_POOL_MAX_WORKERS worker threads (never more than the configured Spotify
 * parallelism, nor than jobs), each with its own Spotify client (the configured
 * parallelism shared between them) and arena, that run jobs 0..n-1 of a phase. The pool lives for a
 * whole sync: clients and arenas (and what jobs allocate in them) last until sync_pool_release().
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
/* Runs jobs 0..n-1 (n may be 0) and returns when every job started has ended: 0, the
 * first non-zero return of on_done, or ERR_INTERNAL when no thread could start. A job is
 * not started once app->shutting_down is set (on_done then sees fewer jobs end). */
int sync_pool_run(struct sync_pool *p, size_t n, sync_job_fn job, sync_done_fn on_done, void *ud);
/* Adds the workers' request counts to *sum (requests, token_requests, retries,
 * rate_limited, wait_ms). */
void sync_pool_add_stats(const struct sync_pool *p, struct spotify_stats *sum);
void sync_pool_release(struct sync_pool *p);

/* True when a[0..na) and b[0..nb) hold the same uris in the same order. */
bool sync_uris_equal(const char *const *a, size_t na, const char *const *b, size_t nb);

#endif
