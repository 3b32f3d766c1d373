/* Auto-sync: the pass, the after-run bookkeeping and the change hook (contract in
 * sync_scheduler.h). */
#include "services/sync/sync_scheduler.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "repositories/auto_sync_repo.h"
#include "repositories/base_playlist_repo.h"
#include "repositories/sync_queue_repo.h"
#include "app/app.h"
#include "lib/app_err.h"
#include "lib/log.h"
#include "lib/metrics.h"
#include "services/database.h"
#include "services/spotify/spotify_session.h"
#include "services/sync/sync_base.h"
#include "services/sync/sync_internal.h"
#include "services/sync/sync_service.h"

#define DB_WAIT_MS 30000

/* One due base of the user being checked. */
struct due_base {
    const struct auto_sync_due *row;
    struct sync_input in;
    bool loaded;
    bool changed;     /* queue a sync */
    bool ask;         /* its snapshots are asked */
    bool liked;       /* a Liked Songs base: not in the listing, its first page is asked */
    const char *liked_snap; /* that page's fingerprint (sync_base_snapshot()) */
    size_t first, n;  /* its ids in the user's list: the base (not a Liked Songs one), then
                       * its known children */
};

static void count(struct app *app, const char *outcome, size_t n)
{
    char labels[48];
    if (!app->metrics || n == 0)
        return;
    snprintf(labels, sizeof labels, "outcome=\"%s\"", outcome);
    metrics_add(app->metrics, "playrouter_auto_sync_checks_total", labels, (double)n);
}

/* What the last completed sync recorded decides without Spotify: changed when the
 * fingerprint moved (a child's configuration, the user's change counter) or when no
 * completed sync vouches for the base and every child; else its snapshots are asked. */
static void decide_offline(struct due_base *d)
{
    const struct sync_input *in = &d->in;
    bool config_same = in->config_hash[0] && in->state.config_hash && in->state.last_snapshot_id &&
                       strcmp(in->config_hash, in->state.config_hash) == 0;
    bool all_known = true;
    for (size_t i = 0; i < in->n_children; i++)
        all_known &= in->child_state[i].has_contents && in->child_state[i].snapshot_id;
    d->changed = !config_same || !all_known;
    d->ask = !d->changed;
}

/* The ids to ask: each asked base, then its children. */
static int collect_ids(struct arena *a, struct due_base *d, size_t nd, const char ***ids_out,
                       size_t *n_out)
{
    size_t total = 0, k = 0;
    for (size_t b = 0; b < nd; b++)
        if (d[b].ask)
            total += 1 + d[b].in.n_children;
    const char **ids = arena_alloc(a, (total + 1) * sizeof *ids);
    if (!ids)
        return ERR_NOMEM;
    for (size_t b = 0; b < nd; b++) {
        if (!d[b].ask)
            continue;
        d[b].first = k;
        d[b].liked = base_playlist_is_liked(&d[b].in.base);
        if (!d[b].liked)
            ids[k++] = d[b].in.base.spotify_playlist_id;
        for (size_t i = 0; i < d[b].in.n_children; i++)
            ids[k++] = d[b].in.children[i].spotify_playlist_id;
        d[b].n = k - d[b].first;
    }
    *ids_out = ids;
    *n_out = k;
    return 0;
}

static bool same(const char *a, const char *b)
{
    return a && b && strcmp(a, b) == 0;
}

/* Compares the snapshots Spotify gave with those the last completed sync recorded. */
static void decide_online(struct due_base *d, size_t nd, const char *const *snaps)
{
    for (size_t b = 0; b < nd; b++) {
        if (!d[b].ask)
            continue;
        const struct sync_input *in = &d[b].in;
        size_t kids = d[b].first + (d[b].liked ? 0 : 1);
        bool moved = !same(d[b].liked ? d[b].liked_snap : snaps[d[b].first],
                           in->state.last_snapshot_id);
        for (size_t i = 0; i < in->n_children && !moved; i++)
            moved = !same(snaps[kids + i], in->child_state[i].snapshot_id);
        d[b].changed = moved;
    }
}

/* The Spotify check failed for the user: a 429 pauses the user; otherwise each asked
 * base backs off like a failed auto sync (a sign-in that expired has already marked
 * the user, who is skipped until they sign in again). */
static void check_failed(struct app *app, struct db *db, const char *user_id, struct due_base *d,
                         size_t nd, int rc, int64_t retry_after, const char *why)
{
    int64_t now = (int64_t)time(NULL);
    char msg[512];
    snprintf(msg, sizeof msg, "checking for changes: %s", *why ? why : app_err_code(rc));
    if (rc == ERR_RATE_LIMITED) {
        int64_t pause = retry_after > 0 ? retry_after : SYNC_AUTO_QUOTA_PAUSE_S;
        auto_sync_repo_pause_user(db, user_id, now + pause);
        log_warn("auto-sync: user %s rate-limited by Spotify; paused %lld s", user_id,
                 (long long)pause);
        return;
    }
    if (rc == ERR_SPOTIFY_REAUTH)
        return;
    for (size_t b = 0; b < nd; b++)
        if (d[b].ask)
            auto_sync_repo_failed(db, d[b].row->base_id, now, d[b].row->interval_min, msg);
    log_warn("auto-sync: user %s: %s", user_id, msg);
}

/* Loads every due base of one user (one short database step). */
static void load_inputs(struct app *app, struct arena *a, struct due_base *d, size_t nd)
{
    struct db *db = database_acquire(app, DB_WAIT_MS);
    for (size_t b = 0; db && b < nd; b++) {
        d[b].loaded =
            sync_input_load(app, db, a, d[b].row->user_id, d[b].row->base_id, &d[b].in, NULL) == 0;
        if (d[b].loaded)
            decide_offline(&d[b]);
        else /* a rule that no longer compiles: the sync says why, in its event */
            d[b].changed = true;
    }
    database_release(app, db);
}

/* Checks and queues the due bases rows[0..n) of one user. Returns how many it queued. */
static int check_user(struct app *app, const struct auto_sync_due *rows, size_t n)
{
    const char *user_id = rows[0].user_id;
    struct arena *a = arena_new();
    struct due_base *d = a ? arena_alloc(a, n * sizeof *d) : NULL;
    struct spotify_client *c = NULL;
    const char **ids = NULL, **snaps = NULL;
    struct db *db = NULL;
    struct report rep = {0}; /* why Spotify could not be asked */
    size_t n_ids = 0, n_unchanged = 0;
    int queued = 0, rc = 0;

    if (!d) {
        arena_free(a);
        return 0;
    }
    memset(d, 0, n * sizeof *d);
    for (size_t b = 0; b < n; b++)
        d[b].row = &rows[b];
    load_inputs(app, a, d, n);

    /* ONE request for every snapshot the user's due bases need (no connection held), and
     * for a Liked Songs base (not in that listing) its first page: one more (API.md). */
    bool any_liked = false;
    if ((rc = collect_ids(a, d, n, &ids, &n_ids)) == 0)
        for (size_t b = 0; b < n; b++)
            any_liked |= d[b].ask && d[b].liked;
    if (rc == 0 && (n_ids > 0 || any_liked)) {
        if (!(snaps = arena_alloc(a, (n_ids + 1) * sizeof *snaps)))
            rc = ERR_NOMEM;
        else if ((rc = spotify_session_client(app, user_id, &c)) == 0 && n_ids > 0)
            rc = spotify_client_get_snapshots(c, a, ids, n_ids, snaps, &rep);
        /* The page itself is not kept for the sync this may queue: that sync runs later,
         * on another thread, and asks the page again in its own check (docs/sync.md). */
        for (size_t b = 0; rc == 0 && b < n; b++)
            if (d[b].ask && d[b].liked)
                rc = sync_base_snapshot(c, a, &d[b].in.base, &d[b].liked_snap, NULL, &rep);
        if (rc == 0)
            decide_online(d, n, snaps);
        if (c) {
            struct spotify_stats ss;
            spotify_client_stats(c, &ss);
            sync_count_client_metrics(app, &ss, NULL);
        }
    }

    if (!(db = database_acquire(app, DB_WAIT_MS))) {
        log_warn("auto-sync: no database connection; user %s is checked at the next tick",
                 user_id);
        goto done;
    }
    if (rc != 0) {
        check_failed(app, db, user_id, d, n, rc, spotify_client_retry_after(c), report_text(&rep));
        count(app, "failed", n);
        for (size_t b = 0; b < n; b++) /* what was decided without Spotify still holds */
            d[b].changed &= !d[b].ask;
    }
    int64_t now = (int64_t)time(NULL);
    for (size_t b = 0; b < n; b++) {
        if (d[b].changed) {
            struct sync_start st;
            int qrc = sync_service_start(app, db, a, user_id, d[b].row->base_id, NULL, false,
                                         SYNC_TRIGGER_AUTO, &st);
            if (qrc == 0)
                queued++;
            else if (qrc != ERR_SYNC_IN_PROGRESS)
                log_warn("auto-sync: base %s could not be queued (%s)", d[b].row->base_id,
                         app_err_code(qrc));
        } else if (rc == 0) {
            auto_sync_repo_checked(db, d[b].row->base_id, now, 1);
            n_unchanged++;
        }
    }
    count(app, "queued", (size_t)queued);
    count(app, "unchanged", n_unchanged);
done:
    report_release(&rep);
    database_release(app, db);
    for (size_t b = 0; b < n; b++)
        sync_input_release(&d[b].in); /* zeroed or loaded: both are fine */
    spotify_client_free(c);
    arena_free(a);
    return queued;
}

int sync_scheduler_pass(struct app *app)
{
    struct arena *a = arena_new();
    struct db *db = a ? database_acquire(app, DB_WAIT_MS) : NULL;
    struct auto_sync_due *rows = NULL;
    size_t n = 0;
    int queued = 0;

    if (db && auto_sync_repo_due(db, a, (int64_t)time(NULL), SYNC_AUTO_PASS_MAX, &rows, &n) != 0)
        n = 0;
    database_release(app, db);
    for (size_t i = 0; i < n && !atomic_load(&app->shutting_down);) {
        size_t j = i;
        while (j < n && strcmp(rows[j].user_id, rows[i].user_id) == 0)
            j++;
        queued += check_user(app, &rows[i], j - i);
        i = j;
    }
    arena_free(a);
    if (app->metrics)
        metrics_add(app->metrics, "playrouter_auto_sync_passes_total", "", 1);
    return queued;
}

void sync_scheduler_after_run(struct app *app, struct db *db, struct arena *a,
                              const struct sync_job_row *job, const struct sync_event *ev,
                              int64_t retry_after_s)
{
    int64_t now = (int64_t)time(NULL);
    struct base_playlist bp;
    (void)app;
    if (retry_after_s >= 0) {
        int64_t pause = retry_after_s > 0 ? retry_after_s : SYNC_AUTO_QUOTA_PAUSE_S;
        auto_sync_repo_pause_user(db, job->user_id, now + pause);
        log_warn("auto-sync: user %s rate-limited by Spotify; paused %lld s", job->user_id,
                 (long long)pause);
    }
    if (ev->status && strcmp(ev->status, "completed") == 0) {
        auto_sync_repo_checked(db, job->base_playlist_id, now, 1);
        return;
    }
    if (job->priority != SYNC_QUEUE_PRIORITY_AUTO ||
        base_playlist_repo_find(db, a, job->user_id, job->base_playlist_id, &bp) != 0)
        return;
    auto_sync_repo_failed(db, job->base_playlist_id, now, bp.auto_sync_minutes,
                          ev->error_message);
}

int sync_scheduler_note_change(struct db *db, const char *user_id)
{
    return auto_sync_repo_bump(db, user_id);
}
