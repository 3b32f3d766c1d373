/* POST /api/child-playlists/{id}/restore: put back what the last sync replaced. */
#include <string.h>

#include "repositories/child_playlist_repo.h"
#include "repositories/child_snapshot_repo.h"
#include "repositories/sync_state_repo.h"
#include "lib/app_err.h"
#include "services/database.h"
#include "services/spotify/spotify_session.h"
#include "services/sync/sync_internal.h"
#include "services/sync/sync_service.h"

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

int sync_service_restore(struct app *app, struct db *db, struct arena *a, const char *user_id,
                         const char *child_id, struct sync_restore_result *out, struct buf *why)
{
    struct child_playlist cp;
    struct child_snapshot snap;
    struct spotify_client *client = NULL;
    struct spotify_apply_result res = {0, 0, 0, 0};
    struct spotify_stats ss;
    const char **target = NULL, **current = NULL, *snapshot_id = NULL;
    size_t n_target = 0, n_current = 0;
    int rc;

    memset(out, 0, sizeof *out);
    if ((rc = child_playlist_repo_find(db, a, user_id, child_id, &cp)) != 0)
        return rc;
    if ((rc = child_snapshot_repo_find(db, a, user_id, child_id, &snap)) == ERR_NOT_FOUND) {
        buf_append_str(why, "no sync has changed this child playlist yet: nothing to restore");
        return rc;
    }
    if (rc != 0 || (rc = writable(a, &snap, &target, &n_target)) != 0)
        return rc;
    int lent = database_lend(app, db); /* not held across the Spotify calls */
    if ((rc = spotify_session_client(app, user_id, &client)) == 0)
        rc = sync_spotify_read_uris(client, a, cp.spotify_playlist_id, &current, &n_current,
                                    &snapshot_id);
    if (rc == 0)
        rc = spotify_client_apply_target(client, cp.spotify_playlist_id, current, n_current, target,
                                         n_target, &res);
    if (database_reclaim(app, db, lent) != 0) {
        spotify_client_free(client);
        return ERR_UNAVAILABLE;
    }
    if (!client)
        return rc;
    if (rc != 0) {
        buf_append_str(why, spotify_client_last_error(client));
    } else {
        /* The child no longer holds what the sync wrote: the next sync must read it. */
        sync_state_repo_set_child_snapshot(db, child_id, NULL);
        out->child_playlist_id = cp.id;
        out->sync_event_id = snap.sync_event_id;
        out->uris = target;
        out->n_uris = n_target;
        out->added = res.added;
        out->removed = res.removed;
    }
    spotify_client_stats(client, &ss);
    sync_count_client_metrics(app, &ss, NULL);
    spotify_client_free(client);
    return rc;
}
