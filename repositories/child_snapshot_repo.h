#ifndef PLAYROUTER_CHILD_SNAPSHOT_REPO_H
#define PLAYROUTER_CHILD_SNAPSHOT_REPO_H
/* Rows of child_snapshots: what a child playlist held on Spotify before the last sync
 * that changed it, so that POST /api/child-playlists/{id}/restore can put it back.
 * One row per child (a newer snapshot replaces the older one). Every query is scoped
 * by user_id. */
#include <stddef.h>

#include "lib/arena.h"

struct db;

struct child_snapshot {
    const char *child_playlist_id;
    const char *user_id;
    const char *sync_event_id; /* the sync that replaced these contents; may be NULL */
    const char *const *uris;   /* n_uris entries in playlist order; an entry may be NULL
                                * (an unavailable track has no uri) */
    size_t n_uris;
    const char *created; /* RFC 3339 */
};

/* Stores (replacing any older one) the snapshot of child `child_id` of `user_id`:
 * uris[0..n) (NULL entries kept as JSON null). Strings are borrowed.
 * 0; ERR_CONFLICT (the child or user does not exist); ERR_NOMEM; ERR_INTERNAL. */
int child_snapshot_repo_save(struct db *db, const char *user_id, const char *child_id,
                             const char *sync_event_id, const char *const *uris, size_t n,
                             const char *now);

/* The snapshot of child `child_id` of `user_id`; strings and arrays in arena `a`.
 * 0; ERR_NOT_FOUND (none, or not the user's); ERR_NOMEM; ERR_INTERNAL (also for a row
 * whose uris are not a JSON array). */
int child_snapshot_repo_find(struct db *db, struct arena *a, const char *user_id,
                             const char *child_id, struct child_snapshot *out);

#endif
