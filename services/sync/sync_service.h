#ifndef PLAYROUTER_SYNC_SERVICE_H
#define PLAYROUTER_SYNC_SERVICE_H
/* Folder services/sync/: the sync and what a client sees of it. Owns the lifecycle of a
 * sync (sync_service.c, sync_run.c, sync_input.c, sync_spotify.c), the base by its
 * source, a playlist or the Liked Songs (sync_base.c), the base tracks of a run
 * (sync_tracks.c), background runs, recovery and the sweeper (sync_manager.c),
 * the parallel phases (sync_pool.c), SyncEvent reads and JSON (sync_event_service.c),
 * preview with explain (preview_service.c) and restore (sync_restore.c). */

/* The sync (API.md "Sync"; docs/sync.md): makes each child playlist of a base hold
 * exactly its target, with as few Spotify requests as possible.
 *
 * A sync has two halves:
 *   sync_service_start()  takes the lock (inserts the in_progress event, phase
 *                         "queued"; the unique index idx_sync_events_one_active refuses
 *                         a second one, even from another process), queues its job in
 *                         the persisted queue and handles Idempotency-Key; quick,
 *                         database only.
 *   sync_service_run()    the sync itself, on a worker of the queue
 *                         (services/sync/sync_manager.h), taking a database connection
 *                         only for each short database step; ends the event completed
 *                         or failed.
 *
 * Flow of a run: load the base and its children, compile them and fingerprint their
 * configuration -> one request for the snapshot ids of the base and of the children
 * whose contents we know -> nothing changed since the last completed sync (and the
 * stored metadata is within its lifetime): done -> otherwise, when only some children
 * were edited on Spotify, reuse the last targets; else take the base's entries from the
 * stored base when its snapshot has not moved (no page read) or read it whole (and
 * store it), get the metadata the rules need (stored, or cache first), evaluate -> per
 * child, children in parallel: current contents (known when its snapshot is the one we
 * last wrote, else read), a copy for restore, the minimal write, whose answers carry
 * the new snapshot id -> completed. Each progress step and the end are written through
 * step()/finish() in sync_run.c, which also notify the event's watchers (sync_watch.h:
 * live progress). Between steps it stops when the server shuts down
 * (SYNC_MSG_SHUTDOWN) or when its event was failed meanwhile (sweep, restart). */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/arena.h"
#include "lib/buf.h"
#include "lib/report.h"
#include "repositories/idempotency_repo.h"
#include "repositories/sync_event_repo.h"

struct app;
struct db;

#define SYNC_IDEMPOTENCY_TTL_S (24 * 3600)
#define SYNC_IDEMPOTENCY_KEY_MAX IDEMPOTENCY_KEY_MAX /* bytes of an Idempotency-Key */

struct sync_start {
    /* > 0: an Idempotency-Key repeat: answer this status and body (no sync started). */
    int replay_status;
    const char *replay_body; /* arena */
    /* replay_status == 0: the in_progress event just started (strings in the arena). */
    struct sync_event event;
    /* ERR_SYNC_IN_PROGRESS: the id of the active event. */
    char active_id[SYNC_EVENT_ID_MAX];
};

/* Queues a sync of base `base_id` of `user_id` (trigger: SYNC_TRIGGER_MANUAL runs
 * before SYNC_TRIGGER_AUTO); the caller then wakes the workers (sync_manager_kick).
 * idem_key (NULL = none; at most
 * SYNC_IDEMPOTENCY_KEY_MAX bytes, the caller checks) makes a repeat replay the first answer;
 * with wait == false the first answer (202 and the in_progress event) is stored at once,
 * with wait == true the caller stores it with sync_service_remember() when the run ends.
 * 0 (out->replay_status tells which case); ERR_NOT_FOUND (base); ERR_SYNC_IN_PROGRESS
 * (out->active_id: a sync of the base runs, or the key's first request still runs);
 * ERR_VALIDATION (the key was used for another request); ERR_NOMEM; ERR_INTERNAL. */
int sync_service_start(struct app *app, struct db *db, struct arena *a, const char *user_id,
                       const char *base_id, const char *idem_key, bool wait, const char *trigger,
                       struct sync_start *out);

/* Runs the sync of event `event_id` (started by sync_service_start) to its end and
 * fills *out (strings in arena `a`) with the final event, completed or failed. Takes a
 * database connection from the pool for each short database step and holds none while
 * it talks to Spotify. *retry_after_s (may be NULL): when the run stopped on a Spotify
 * 429, its Retry-After (0: none given), else -1. Never leaves the event in progress
 * unless the database itself fails. 0, or ERR_NOMEM / ERR_INTERNAL / ERR_UNAVAILABLE
 * when even the final event cannot be read back. */
int sync_service_run(struct app *app, struct arena *a, const char *user_id, const char *base_id,
                     const char *event_id, struct sync_event *out, int64_t *retry_after_s);

/* Ends an event of `user_id` that will never run (the thread could not start, the
 * server is stopping) as failed with `message`. 0, ERR_NOT_FOUND (no such event in
 * progress), ERR_NOMEM, ERR_INTERNAL. */
int sync_service_abandon(struct db *db, const char *user_id, const char *event_id,
                         const char *message);

/* Stores the answer of the first request of (user_id, idem_key) for its repeats.
 * Errors are logged only: a repeat then finds the event and answers from it. */
void sync_service_remember(struct db *db, const char *user_id, const char *idem_key, int status,
                           const char *body);

/* Forgets (user_id, idem_key): its first request started nothing after all. */
void sync_service_forget(struct db *db, const char *user_id, const char *idem_key);

/* Deletes the Idempotency-Keys that have expired; *n_out (may be NULL) gets how many.
 * 0 or ERR_INTERNAL. */
int sync_service_purge_keys(struct db *db, int *n_out);

/* What POST /api/child-playlists/{id}/restore did. */
struct sync_restore_result {
    const char *child_playlist_id;
    const char *sync_event_id; /* the sync whose change was undone; may be NULL */
    const char *const *uris;   /* the contents put back */
    size_t n_uris;
    size_t added, removed;
    char active_id[SYNC_EVENT_ID_MAX]; /* ERR_SYNC_IN_PROGRESS: who holds the base's lock */
};

/* Puts back the contents child `child_id` had before the last sync that changed it
 * (local files and entries without uri cannot be written back and are left out; a
 * duplicate is kept once). The next sync re-reads the child and writes its target
 * again. While it reads and writes it holds its base's lock as a sync does: an
 * in_progress event (progress.phase "restore", child_playlist_ids [child]) that the
 * unique index idx_sync_events_one_active makes exclusive, deleted when the restore
 * ends; a sync started meanwhile gets 409 with that event's id. Strings in arena
 * `a`; rep's message is Spotify's on a Spotify error.
 * 0; ERR_NOT_FOUND (no such child, or nothing to restore); ERR_SYNC_IN_PROGRESS
 * (out->active_id: a sync or another restore of the base holds the lock); ERR_SPOTIFY,
 * ERR_SPOTIFY_REAUTH, ERR_RATE_LIMITED, ERR_NOMEM, ERR_INTERNAL. */
int sync_service_restore(struct app *app, struct db *db, struct arena *a, const char *user_id,
                         const char *child_id, struct sync_restore_result *out, struct report *rep);

#endif
