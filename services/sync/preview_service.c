/* Preview: a sync's evaluation without its writes. */
#include "services/sync/preview_service.h"

#include <assert.h>
#include <string.h>

#include "app/app.h"
#include "lib/app_err.h"
#include "lib/metrics.h"
#include "services/database.h"
#include "services/spotify/spotify_session.h"
#include "services/sync/sync_internal.h"

#define TRACK_URI_PREFIX "spotify:track:"

/* "spotify:track:<id>" -> "<id>"; any other uri as it is. */
static const char *id_of(const char *uri)
{
    size_t n = strlen(TRACK_URI_PREFIX);
    return strncmp(uri, TRACK_URI_PREFIX, n) == 0 ? uri + n : uri;
}

/* Ids of the uris of `from` that `other` lacks, each once, in the order of `from`. */
static int difference(struct arena *a, const char *const *from, size_t n_from,
                      const char *const *other, size_t n_other, const char *const **out,
                      size_t *n_out)
{
    struct sync_strset seen; /* other's uris, then those of `from` already listed */
    const char **list = arena_alloc(a, (n_from + 1) * sizeof *list);
    *n_out = 0;
    if (!list || sync_strset_init(&seen, a, n_other + n_from) != 0)
        return ERR_NOMEM;
    for (size_t i = 0; i < n_other; i++)
        if (other[i])
            sync_strset_add(&seen, other[i]);
    for (size_t i = 0; i < n_from; i++)
        if (from[i] && sync_strset_add(&seen, from[i]))
            list[(*n_out)++] = id_of(from[i]);
    *out = list;
    return 0;
}

/* The current contents of every child: from the database for a child whose snapshot
 * is still the one we recorded (known[i]), else read. */
static int current_contents(struct spotify_client *c, struct arena *a, const struct sync_input *in,
                            const bool *known, const char *const **cur, size_t *n_cur,
                            struct report *rep)
{
    size_t n = in->n_children;
    int rc;
    for (size_t i = 0; i < n; i++) {
        const char **uris = NULL, *snap = NULL;
        if (cancel_requested(in->cancel))
            return ERR_UNAVAILABLE;
        if (known[i]) {
            cur[i] = in->child_state[i].uris;
            n_cur[i] = in->child_state[i].n_uris;
        } else if ((rc = sync_spotify_read_uris(c, a, in->children[i].spotify_playlist_id, &uris,
                                                &n_cur[i], &snap, rep)) == 0) {
            cur[i] = uris;
        } else {
            return rc;
        }
    }
    return 0;
}

static int explain(struct arena *a, const struct sync_input *in, const struct sync_eval *ev,
                   const char *explain_id, struct preview_result *out)
{
    size_t n = in->n_children;
    const char *id = id_of(explain_id);
    int kind = sync_tracks_find_kind(ev->base.items, ev->base.n_items, explain_id);
    const char *skipped = kind == SPOTIFY_ITEM_LOCAL         ? "skipped_local"
                          : kind == SPOTIFY_ITEM_EPISODE     ? "skipped_episode"
                          : kind == SPOTIFY_ITEM_UNAVAILABLE ? "skipped_unavailable"
                                                             : NULL;
    if (!skipped) {
        struct target_explain *ex = arena_alloc(a, (n + 1) * sizeof *ex);
        int rc;
        if (!ex)
            return ERR_NOMEM;
        if ((rc = target_explain(ev->tracks.tracks, ev->tracks.n, in->routing,
                                 (const struct target_child *const *)in->compiled, n, in->today,
                                 ev->targets, id, a, ex)) != 0)
            return rc;
        for (size_t i = 0; i < n; i++) {
            out->children[i].matched = ex[i].matched;
            out->children[i].reason = ex[i].reason;
            out->children[i].path = ex[i].path;
            out->children[i].field = ex[i].field;
            out->children[i].track = ex[i].track;
        }
    } else {
        for (size_t i = 0; i < n; i++) {
            out->children[i].reason = skipped;
            out->children[i].field = -1;
        }
    }
    for (size_t i = 0; i < n; i++)
        out->children[i].has_explain = true;
    return 0;
}

/* out->tracks: the base's tracks that the answer names (preview_service.h), found
 * without a table of the whole base: targets by index, the few remove ids in a set
 * that one pass over the base asks. */
static int named_tracks(struct arena *a, const struct sync_eval *ev, struct preview_result *out)
{
    const struct sync_tracks *t = &ev->tracks;
    const struct track *explained = out->n_children ? out->children[0].track : NULL;
    const struct track **list;
    struct sync_strset removed;
    size_t n_removed = 0, n = 0;
    bool *named;

    if (t->n == 0)
        return 0;
    if (!(named = arena_alloc(a, t->n * sizeof *named)))
        return ERR_NOMEM;
    for (size_t i = 0; i < ev->targets->n_children; i++)
        for (size_t k = 0; k < ev->targets->lists[i].n; k++)
            named[ev->targets->lists[i].idx[k]] = true;
    for (size_t i = 0; i < out->n_children; i++)
        n_removed += out->children[i].n_remove;
    if (n_removed) {
        if (sync_strset_init(&removed, a, n_removed) != 0)
            return ERR_NOMEM;
        for (size_t i = 0; i < out->n_children; i++)
            for (size_t k = 0; k < out->children[i].n_remove; k++)
                sync_strset_add(&removed, out->children[i].remove[k]);
        for (size_t j = 0; j < t->n; j++)
            if (!named[j] && sync_strset_has(&removed, t->tracks[j].id))
                named[j] = true;
    }
    if (explained) {
        assert(explained >= t->tracks && explained < t->tracks + t->n);
        named[explained - t->tracks] = true;
    }
    for (size_t j = 0; j < t->n; j++)
        n += named[j];
    if (n == 0)
        return 0;
    if (!(list = arena_alloc(a, n * sizeof *list)))
        return ERR_NOMEM;
    out->n_tracks = 0;
    for (size_t j = 0; j < t->n; j++)
        if (named[j])
            list[out->n_tracks++] = &t->tracks[j];
    out->tracks = list;
    return 0;
}

int preview_service_run(struct app *app, struct db *db, struct arena *a, const char *user_id,
                        const char *base_id, const char *explain_id, const struct cancel *cancel,
                        struct preview_result *out, struct report *rep)
{
    struct report spotify = {0}; /* a Spotify call's failure, said unless out of memory */
    struct sync_input in;
    struct sync_eval ev;
    struct spotify_client *client = NULL;
    struct spotify_stats ss;
    struct sync_base_seen seen = {0};
    const char *const **cur = NULL;
    size_t *n_cur = NULL;
    bool *known = NULL;
    int rc, lent = -1;

    memset(out, 0, sizeof *out);
    memset(&ev, 0, sizeof ev);
    if ((rc = sync_input_load(app, db, a, user_id, base_id, &in, rep)) != 0)
        goto done;
    in.cancel = cancel;
    size_t n = in.n_children;
    out->children = arena_alloc(a, (n + 1) * sizeof *out->children);
    cur = arena_alloc(a, (n + 1) * sizeof *cur);
    n_cur = arena_alloc(a, (n + 1) * sizeof *n_cur);
    known = arena_alloc(a, (n + 1) * sizeof *known);
    if (!out->children || !cur || !n_cur || !known) {
        rc = ERR_NOMEM;
        goto done;
    }
    out->n_children = n;
    /* Nothing below reads the database: the request's connection is lent meanwhile. */
    lent = database_lend(app, db);
    if ((rc = spotify_session_client(app, user_id, &client)) != 0)
        goto done;
    /* One request for the snapshots of the base and of the children we know: an
     * unchanged base comes from the stored base, an unchanged child from the database. */
    rc = sync_spotify_check(client, a, &in, true, &seen, known, &spotify);
    if (rc == 0)
        rc = sync_eval_run(app, client, a, &in, &seen, NULL, NULL, &ev, &spotify);
    if (rc == 0)
        rc = current_contents(client, a, &in, known, cur, n_cur, &spotify);
    if (rc != 0) { /* what the answer says, as a sync's error_message would */
        if (rc == ERR_UNAVAILABLE && cancel_requested(cancel))
            report_message(rep, "the client went away: preview stopped");
        else if (rc == ERR_VALIDATION)
            report_message(rep, "more than one child playlist is the catch-all");
        else if (ev.why.message) /* MusicBrainz, its store or the user's tags */
            report_message(rep, "%s", ev.why.message);
        else if (rc == ERR_METADATA_UNAVAILABLE)
            report_message(rep, "MusicBrainz could not be reached");
        else if (rc != ERR_NOMEM && spotify.message)
            report_message(rep, "%s", spotify.message);
        goto done;
    }
    for (size_t i = 0; i < n; i++) {
        struct preview_child *pc = &out->children[i];
        const char **target = NULL, **ids = NULL;
        size_t n_target = 0;
        pc->child_playlist_id = in.children[i].id;
        pc->name = in.children[i].name;
        if ((rc = sync_eval_target_uris(&ev, i, a, &target, &n_target)) != 0 ||
            (n_target && !(ids = arena_alloc(a, n_target * sizeof *ids)))) {
            rc = ERR_NOMEM;
            goto done;
        }
        for (size_t k = 0; k < n_target; k++)
            ids[k] = ev.tracks.tracks[ev.targets->lists[i].idx[k]].id;
        pc->track_ids = ids;
        pc->n_track_ids = n_target;
        if ((rc = difference(a, target, n_target, cur[i], n_cur[i], &pc->add, &pc->n_add)) != 0 ||
            (rc = difference(a, cur[i], n_cur[i], target, n_target, &pc->remove, &pc->n_remove)) !=
                0)
            goto done;
    }
    if (explain_id && (rc = explain(a, &in, &ev, explain_id, out)) != 0)
        goto done;
    if ((rc = named_tracks(a, &ev, out)) != 0)
        goto done;
done:
    if (client) {
        spotify_client_stats(client, &ss);
        sync_count_client_metrics(app, &ss, &ev.mstats);
    }
    if (app->metrics && ev.mbstats.requests)
        metrics_add(app->metrics, "playrouter_musicbrainz_requests_total", "",
                    (double)ev.mbstats.requests);
    spotify_client_free(client);
    sync_eval_release(&ev);
    sync_input_release(&in);
    report_release(&spotify);
    if (database_reclaim(app, db, lent) != 0 && rc == 0)
        rc = ERR_UNAVAILABLE;
    return rc;
}
