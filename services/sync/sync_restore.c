/* POST /api/child-playlists/{id}/restore: put back what the last sync replaced, holding
 * the base's lock while Spotify is read and written. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "repositories/child_playlist_repo.h"
#include "repositories/child_snapshot_repo.h"
#include "repositories/sync_lock_repo.h"
#include "repositories/sync_state_repo.h"
#include "app/app.h"
#include "lib/app_err.h"
#include "lib/log.h"
#include "lib/util.h"
#include "services/database.h"
#include "services/spotify/spotify_session.h"
#include "services/sync/sync_internal.h"
#include "services/sync/sync_service.h"
#include "services/sync/sync_watch.h"

/* What can be written back: entries with a uri, no local file (Spotify cannot add
 * those), each uri once. */
static int writable(struct arena *a, const struct child_snapshot *snap, const char ***out,
                    size_t *n)
{
    struct sync_strset seen;
    const char **list = arena_alloc(a, (snap->n_uris + 1) * sizeof *list);
    *n = 0;
    if (!list || sync_strset_init(&seen, a, snap->n_uris) != 0)
        return ERR_NOMEM;
    for (size_t i = 0; i < snap->n_uris; i++) {
        const char *u = snap->uris[i];
        if (u && strncmp(u, "spotify:local:", 14) != 0 && sync_strset_add(&seen, u))
            list[(*n)++] = u;
    }
    *out = list;
    return 0;
}

/* Takes the lock of the child's base as a sync does: an in_progress event (the unique
 * index idx_sync_events_one_active admits one per base). Its id goes into lock_id.
 * 0; ERR_SYNC_IN_PROGRESS with active_id (a sync, queued or running, or another
 * restore); ERR_NOMEM; ERR_INTERNAL. */
static int lock_base(struct db *db, struct arena *a, const struct child_playlist *cp,
                     char lock_id[ID_LEN + 1], char active_id[SYNC_EVENT_ID_MAX])
{
    struct sync_event ev = {0};
    char now[21];
    int rc = ERR_SYNC_IN_PROGRESS;

    util_time_format(time(NULL), now);
    if (util_id_new(lock_id) != 0)
        return ERR_INTERNAL;
    ev.id = lock_id;
    ev.user_id = cp->user_id;
    ev.base_playlist_id = cp->base_playlist_id;
    ev.status = "in_progress";
    ev.started_at = ev.created = ev.updated = now;
    ev.children = "[]";
    ev.progress_phase = "restore";
    if (!(ev.child_playlist_ids = arena_sprintf(a, "[\"%s\"]", cp->id)))
        return ERR_NOMEM;
    /* Twice at most: the holder may end between our insert and our look at it. */
    for (int round = 0; round < 2 && rc == ERR_SYNC_IN_PROGRESS; round++) {
        if ((rc = sync_lock_repo_acquire(db, &ev, SYNC_LOCK_NO_JOB, 0, NULL)) !=
            ERR_SYNC_IN_PROGRESS)
            return rc;
        rc = sync_event_repo_find_active(db, cp->user_id, cp->base_playlist_id, active_id);
        if (rc == 0)
            return ERR_SYNC_IN_PROGRESS;
        if (rc == ERR_NOT_FOUND)
            rc = ERR_SYNC_IN_PROGRESS; /* ended meanwhile: try again */
    }
    return rc;
}

/* Reads the child's playlist and writes the restored contents back. */
static int put_back(struct app *app, struct arena *a, const char *user_id,
                    const struct child_playlist *cp, const char *const *target, size_t n_target,
                    struct spotify_apply_result *res, struct report *rep)
{
    struct spotify_client *client = NULL;
    struct spotify_stats ss;
    const char **current = NULL, *snapshot_id = NULL;
    size_t n_current = 0;
    int rc = spotify_session_client(app, user_id, &client);

    if (rc != 0)
        return rc;
    /* A Spotify failure's message goes to rep. */
    rc = sync_spotify_read_uris(client, a, cp->spotify_playlist_id, &current, &n_current,
                                &snapshot_id, rep);
    if (rc == 0)
        rc = spotify_client_apply_target(client, cp->spotify_playlist_id, current, n_current,
                                         target, n_target, res, rep);
    spotify_client_stats(client, &ss);
    sync_count_client_metrics(app, &ss, NULL);
    spotify_client_free(client);
    return rc;
}

int sync_service_restore(struct app *app, struct db *db, struct arena *a, const char *user_id,
                         const char *child_id, struct sync_restore_result *out, struct report *rep)
{
    struct child_playlist cp;
    struct child_snapshot snap;
    struct spotify_apply_result res = {0};
    const char **target = NULL;
    size_t n_target = 0;
    char lock_id[ID_LEN + 1];
    int rc;

    memset(out, 0, sizeof *out);
    if ((rc = child_playlist_repo_find(db, a, user_id, child_id, &cp)) != 0)
        return rc;
    if ((rc = child_snapshot_repo_find(db, a, user_id, child_id, &snap)) == ERR_NOT_FOUND) {
        report_message(rep, "no sync has changed this child playlist yet: nothing to restore");
        return rc;
    }
    if (rc != 0 || (rc = writable(a, &snap, &target, &n_target)) != 0)
        return rc;
    if ((rc = lock_base(db, a, &cp, lock_id, out->active_id)) != 0)
        return rc;
    int lent = database_lend(app, db); /* not held across the Spotify calls */
    rc = put_back(app, a, user_id, &cp, target, n_target, &res, rep);
    if (database_reclaim(app, db, lent) != 0) {
        /* Our connection did not come back in time: give the lock back on another. */
        struct db *other = database_acquire(app, DATABASE_RECLAIM_WAIT_MS);
        if (!other || sync_lock_repo_release(other, lock_id) != 0)
            log_error("restore of child %s: could not give back the lock of its base", child_id);
        database_release(app, other);
        sync_watch_service_notify(app->sync_watch, lock_id);
        return ERR_UNAVAILABLE;
    }
    if (rc == 0) {
        /* The child no longer holds what the sync wrote: the next sync must read it. */
        sync_state_repo_set_child_snapshot(db, child_id, NULL);
        out->child_playlist_id = cp.id;
        out->sync_event_id = snap.sync_event_id;
        out->uris = target;
        out->n_uris = n_target;
        out->added = res.added;
        out->removed = res.removed;
    }
    if (sync_lock_repo_release(db, lock_id) != 0)
        log_error("restore of child %s: could not give back the lock of its base", child_id);
    sync_watch_service_notify(app->sync_watch, lock_id); /* its streams end: it is gone */
    return rc;
}
