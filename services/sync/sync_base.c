/* A base playlist's side on Spotify, by source: read, snapshot, changed (sync_base.h). */
#include "services/sync/sync_base.h"

#include <string.h>

#include "lib/app_err.h"
#include "repositories/base_playlist_repo.h"
#include "repositories/sync_state_repo.h"

int sync_base_read(struct spotify_client *c, struct arena *a, const struct base_playlist *base,
                   const struct spotify_playlist *first_page, struct spotify_playlist *out,
                   struct report *rep)
{
    if (base_playlist_is_liked(base))
        return spotify_client_get_saved_tracks(c, a, first_page, out, rep);
    return spotify_client_get_playlist(c, a, base->spotify_playlist_id, false, out, rep);
}

/* A Liked Songs base's snapshot: its first page's fingerprint; the page is kept in the
 * arena when the caller wants it. */
static int liked_snapshot(struct spotify_client *c, struct arena *a, const char **snapshot,
                          const struct spotify_playlist **first_page, struct report *rep)
{
    struct spotify_playlist pg, *kept = NULL;
    int rc = spotify_client_get_saved_first_page(c, a, &pg, rep);
    if (rc != 0)
        return rc;
    if (first_page) {
        if (!(kept = arena_alloc(a, sizeof *kept)))
            return ERR_NOMEM;
        *kept = pg;
        *first_page = kept;
    }
    *snapshot = pg.info.snapshot_id;
    return 0;
}

int sync_base_snapshot(struct spotify_client *c, struct arena *a, const struct base_playlist *base,
                       const char **snapshot, const struct spotify_playlist **first_page,
                       struct report *rep)
{
    struct spotify_playlist_info info;
    int rc;
    *snapshot = NULL;
    if (first_page)
        *first_page = NULL;
    if (base_playlist_is_liked(base))
        return liked_snapshot(c, a, snapshot, first_page, rep);
    if ((rc = spotify_client_get_playlist_info(c, a, base->spotify_playlist_id, &info, rep)) != 0)
        return rc;
    if (!info.snapshot_id) { /* a playlist answer without snapshot_id: nothing to compare */
        report_message(rep, "Spotify's answer for playlist %s has no snapshot_id",
                       base->spotify_playlist_id);
        return ERR_SPOTIFY;
    }
    *snapshot = info.snapshot_id;
    return 0;
}

int sync_base_changed(struct db *db, struct spotify_client *c, struct arena *a, const char *user_id,
                      const char *base_id, bool *changed, const char **snapshot, struct report *rep)
{
    struct base_playlist base;
    struct sync_base_state state;
    const char *now = NULL;
    int rc;

    *changed = true;
    if (snapshot)
        *snapshot = NULL;
    if ((rc = base_playlist_repo_find(db, a, user_id, base_id, &base)) != 0 ||
        (rc = sync_state_repo_get_base(db, a, base_id, &state)) != 0 ||
        (rc = sync_base_snapshot(c, a, &base, &now, NULL, rep)) != 0)
        return rc;
    *changed = !state.last_snapshot_id || strcmp(now, state.last_snapshot_id) != 0;
    if (snapshot)
        *snapshot = now;
    return 0;
}
