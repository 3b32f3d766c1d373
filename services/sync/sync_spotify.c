/* The sync engine's Spotify reads: the snapshot check of the base and children, and
 * a playlist's contents as uris. (The base's own reads: sync_base.c.) */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/app.h"
#include "lib/app_err.h"
#include "lib/metrics.h"
#include "services/spotify/spotify_client.h"
#include "services/sync/sync_base.h"
#include "services/sync/sync_internal.h"

int sync_spotify_check(struct spotify_client *c, struct arena *a, const struct sync_input *in,
                       bool ask_base, struct sync_base_seen *base, bool *child_same,
                       struct report *rep)
{
    size_t n = in->n_children, nids = 0, base_slot = SIZE_MAX;
    const char **ids = arena_alloc(a, (n + 1) * sizeof *ids);
    const char **snaps = arena_alloc(a, (n + 1) * sizeof *snaps);
    size_t *slot = arena_alloc(a, (n + 1) * sizeof *slot);
    bool liked = base_playlist_is_liked(&in->base);
    int rc;

    memset(base, 0, sizeof *base);
    if (!ids || !snaps || !slot)
        return ERR_NOMEM;
    bool known = in->state.last_snapshot_id || in->store.snapshot_id;
    if (ask_base && known && !liked) {
        base_slot = nids;
        ids[nids++] = in->base.spotify_playlist_id;
    }
    for (size_t i = 0; i < n; i++) {
        slot[i] = SIZE_MAX;
        if (in->child_state[i].has_contents && in->child_state[i].snapshot_id) {
            slot[i] = nids;
            ids[nids++] = in->children[i].spotify_playlist_id;
        }
    }
    if ((rc = spotify_client_get_snapshots(c, a, ids, nids, snaps, rep)) != 0)
        return rc;
    if (base_slot != SIZE_MAX)
        base->snapshot = snaps[base_slot];
    /* A Liked Songs base is not in the library listing: its first page is its snapshot
     * (one request of its own, docs/sync.md "Liked Songs"), kept for a whole read. Asked
     * last, so that a read which follows asks the later pages right after it. */
    if (ask_base && known && liked &&
        (rc = sync_base_snapshot(c, a, &in->base, &base->snapshot, &base->first_page, rep)) != 0)
        return rc;
    for (size_t i = 0; i < n; i++)
        child_same[i] = slot[i] != SIZE_MAX && snaps[slot[i]] &&
                        strcmp(snaps[slot[i]], in->child_state[i].snapshot_id) == 0;
    return 0;
}

int sync_spotify_read_uris(struct spotify_client *c, struct arena *a, const char *playlist_id,
                           const char ***uris, size_t *n, const char **snapshot_id,
                           struct report *rep)
{
    struct spotify_playlist pl;
    const char **u = NULL;
    int rc = spotify_client_get_playlist(c, a, playlist_id, true, &pl, rep);

    *uris = NULL;
    *n = 0;
    *snapshot_id = NULL;
    if (rc != 0)
        return rc;
    if (pl.n_items && !(u = arena_alloc(a, pl.n_items * sizeof *u)))
        return ERR_NOMEM;
    for (size_t i = 0; i < pl.n_items; i++)
        u[i] = pl.items[i].uri;
    *uris = u;
    *n = pl.n_items;
    *snapshot_id = pl.info.snapshot_id;
    return 0;
}

void sync_count_client_metrics(struct app *app, const struct spotify_stats *ss,
                               const struct metadata_stats *ms)
{
    if (!app->metrics)
        return;
    if (ss && ss->rate_limited)
        metrics_add(app->metrics, "playrouter_spotify_rate_limited_total", "",
                    (double)ss->rate_limited);
    if (ms && ms->cache_hits)
        metrics_add(app->metrics, "playrouter_cache_hits_total", "", (double)ms->cache_hits);
    if (ms && ms->cache_misses)
        metrics_add(app->metrics, "playrouter_cache_misses_total", "", (double)ms->cache_misses);
}
