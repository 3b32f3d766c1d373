#ifndef PLAYROUTER_SYNC_STATE_REPO_H
#define PLAYROUTER_SYNC_STATE_REPO_H
/* What the incremental sync remembers between syncs (docs/sync.md):
 *   per base  - base_playlists.last_snapshot_id / last_synced_at and base_sync_state
 *               (config fingerprint and counts of the last completed sync);
 *   per child - child_playlists.last_written_snapshot_id / last_target_hash and
 *               child_written_contents (the uris that go with that snapshot).
 * Callers pass ids they have already checked to belong to the user. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/arena.h"

struct db;

struct sync_base_state {
    const char *last_snapshot_id; /* base snapshot of the last completed sync; NULL = none */
    const char *config_hash;      /* NULL = unknown (never completed, or a write since) */
    int64_t tracks_processed, tracks_skipped;
};

/* The state of base `base_id`; strings in arena `a`; a base without state gets every
 * member NULL / 0. 0, ERR_NOMEM or ERR_INTERNAL. */
int sync_state_repo_get_base(struct db *db, struct arena *a, const char *base_id,
                             struct sync_base_state *out);

/* Forgets the config fingerprint of base `base_id` (before a sync writes anything).
 * 0 or ERR_INTERNAL. */
int sync_state_repo_invalidate_base(struct db *db, const char *base_id, const char *now);

/* Records a completed sync of base `base_id`: last_snapshot_id, last_synced_at = now,
 * config fingerprint and counts. 0; ERR_NOT_FOUND (the base is gone); ERR_INTERNAL. */
int sync_state_repo_complete_base(struct db *db, const char *base_id, const char *snapshot_id,
                                  const char *config_hash, int64_t tracks_processed,
                                  int64_t tracks_skipped, const char *now);

struct sync_child_state {
    const char *snapshot_id; /* last_written_snapshot_id; NULL = unknown */
    const char *target_hash; /* last_target_hash */
    const char *const *uris; /* the contents that go with snapshot_id (NULL when none) */
    size_t n_uris;
    bool has_contents; /* a child_written_contents row exists */
};

/* The state of child `child_id`; strings and arrays in arena `a`; a child without
 * state gets every member NULL / 0. 0, ERR_NOMEM or ERR_INTERNAL. */
int sync_state_repo_get_child(struct db *db, struct arena *a, const char *child_id,
                              struct sync_child_state *out);

/* Records that child `child_id`'s Spotify playlist holds uris[0..n) (in order) at
 * snapshot `snapshot_id` (NULL = not known yet), with target_hash (may be NULL).
 * Runs its own transaction (so not inside the caller's).
 * 0; ERR_NOT_FOUND (the child is gone); ERR_NOMEM; ERR_INTERNAL. */
int sync_state_repo_set_child(struct db *db, const char *child_id, const char *snapshot_id,
                              const char *target_hash, const char *const *uris, size_t n,
                              const char *now);

/* Sets only the snapshot id that goes with the stored contents of child `child_id`
 * (learnt after a write). 0, ERR_NOT_FOUND, ERR_INTERNAL. */
int sync_state_repo_set_child_snapshot(struct db *db, const char *child_id,
                                       const char *snapshot_id);

#endif
