/* The sync run (contract in sync_service.h; the incremental design in docs/sync.md). */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "repositories/child_snapshot_repo.h"
#include "repositories/sync_lock_repo.h"
#include "app/app.h"
#include "lib/app_err.h"
#include "lib/json_text.h"
#include "lib/log.h"
#include "lib/metrics.h"
#include "lib/util.h"
#include "services/database.h"
#include "services/spotify/spotify_session.h"
#include "services/sync/sync_event_service.h"
#include "services/sync/sync_internal.h"
#include "services/sync/sync_service.h"
#include "services/sync/sync_watch.h"

struct child_out {
    int64_t matched, added, removed;
    bool done;    /* processed: goes into the event's `children` */
    bool written; /* written, and the answers did not say its new snapshot id: learn it */
};

/* How long a step waits for a database connection. */
#define SYNC_DB_WAIT_MS 30000
#define NO_DB "no database connection is free (database busy)"

struct run {
    struct app *app;
    struct db *db; /* held for one short database step only (db_take .. db_give) */
    struct arena *a;
    const char *user_id, *base_id, *event_id;
    struct spotify_client *client; /* checks, the base, metadata */
    struct sync_pool pool;         /* the children's reads and writes */
    struct sync_input in;
    bool loaded;
    struct sync_eval ev;
    struct child_out *out; /* in.n_children */
    int64_t processed, skipped;
    const char *base_snapshot; /* recorded on completion */
    bool invalidated;          /* the base's config fingerprint was cleared */
    const char *phase;
    int64_t done, total;
    struct buf err;    /* error_message */
    struct report rep; /* what a failing step of run_steps() said (Spotify's message) */
};

static int fail(struct run *r, int rc, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Records the first failure's message and returns rc. */
static int fail(struct run *r, int rc, const char *fmt, ...)
{
    if (r->err.len == 0) {
        va_list ap;
        va_start(ap, fmt);
        buf_vappendf(&r->err, fmt, ap);
        va_end(ap);
    }
    return rc;
}

/* A failed Spotify call: what we were doing, then the client's readable message. */
static int spotify_fail(struct run *r, int rc, const char *what, const struct report *rep)
{
    const char *msg = report_text(rep);
    if (rc == ERR_NOMEM)
        return fail(r, rc, "%s: out of memory", what);
    return fail(r, rc, "%s: %s", what, *msg ? msg : app_err_code(rc));
}

/* A database connection for one short step: a sync holds none while it talks to
 * Spotify (issue #12: slow syncs must not starve the requests of the pool). NULL when
 * none is free in time. Give it back with db_give() before any Spotify call. */
static struct db *db_take(struct run *r)
{
    if (!r->db)
        r->db = database_acquire(r->app, SYNC_DB_WAIT_MS);
    return r->db;
}

static void db_give(struct run *r)
{
    database_release(r->app, r->db);
    r->db = NULL;
}

/* Between steps: records the progress, and stops the run when the server gives up
 * waiting for it at shutdown (sync_manager_stop: a sync that runs is let finish
 * within the grace) or when our event was ended elsewhere (the sweep, another
 * process's start-up). */
static int step(struct run *r, const char *phase, int64_t done, int64_t total)
{
    char now[21];
    r->phase = phase;
    r->done = done;
    r->total = total;
    if (atomic_load(&r->app->shutting_down) > 1)
        return fail(r, ERR_UNAVAILABLE, SYNC_MSG_SHUTDOWN);
    if (!db_take(r))
        return fail(r, ERR_UNAVAILABLE, NO_DB);
    util_time_format(time(NULL), now);
    int rc = sync_event_repo_set_progress(r->db, r->event_id, phase, done, total, now);
    db_give(r);
    if (rc == ERR_NOT_FOUND)
        return fail(r, ERR_CONFLICT, "the sync was ended while it ran (timed out or restarted)");
    if (rc != 0)
        return fail(r, rc, "could not record the sync's progress (database error)");
    sync_watch_service_notify(r->app->sync_watch, r->event_id); /* live progress (SSE) */
    return 0;
}

static int eval_phase(void *ud, const char *phase, int64_t done, int64_t total)
{
    return step(ud, phase, done, total);
}

static const char *phase_what(struct arena *a, const char *phase, const struct base_playlist *base)
{
    if (strcmp(phase, "metadata") == 0)
        return "fetching track metadata";
    if (strcmp(phase, "musicbrainz") == 0)
        return "fetching MusicBrainz metadata";
    if (strcmp(phase, "evaluate") == 0)
        return "evaluating the rules";
    /* Name what was being read, so "not found" says which playlist and which base. */
    const char *what = base_playlist_is_liked(base)
                           ? arena_sprintf(a, "reading the Liked Songs of base playlist '%s'",
                                           base->name)
                           : arena_sprintf(a, "reading Spotify playlist %s of base playlist '%s'",
                                           base->spotify_playlist_id, base->name);
    return what ? what : "reading the base playlist";
}

/* ---- Per child: current contents, a copy for restore, the minimal write ----------
 * Children go in two phases on the worker pool (sync_pool.c): read the children whose
 * contents we do not know, then write those that differ. The database work between
 * and after (restore copies, recorded state, progress) is done here, on the run's
 * thread, as each child's job ends. */

struct child_job {
    const char *const *target; /* in */
    size_t n_target;
    const char *const *current; /* stored or read */
    size_t n_current;
    const char *snapshot; /* that goes with current (NULL = unknown) */
    struct spotify_apply_result res;
    int rc;
    const char *err; /* the client's message on failure (worker arena) */
};

struct children {
    struct run *r;
    struct child_job *jobs; /* by child index */
    size_t *todo;           /* this phase's job -> child index */
    size_t reads, n_reads;  /* children read so far, of (progress) */
    size_t finished;        /* children done (progress) */
};

static void job_failed(struct sync_pool *p, size_t w, struct child_job *cj, int rc,
                       const struct report *rep)
{
    cj->rc = rc;
    cj->err = arena_strdup(p->arenas[w], report_text(rep));
}

static void read_job(struct sync_pool *p, size_t w, size_t job, void *ud)
{
    struct children *c = ud;
    size_t i = c->todo[job];
    struct child_job *cj = &c->jobs[i];
    const char **uris = NULL;
    struct report rep = {0};
    int rc = sync_spotify_read_uris(p->clients[w], p->arenas[w],
                                    c->r->in.children[i].spotify_playlist_id, &uris, &cj->n_current,
                                    &cj->snapshot, &rep);
    cj->current = uris;
    if (rc != 0)
        job_failed(p, w, cj, rc, &rep);
    report_release(&rep);
}

static void write_job(struct sync_pool *p, size_t w, size_t job, void *ud)
{
    struct children *c = ud;
    size_t i = c->todo[job];
    struct child_job *cj = &c->jobs[i];
    struct report rep = {0};
    int rc = spotify_client_apply_target(p->clients[w], c->r->in.children[i].spotify_playlist_id,
                                         cj->current, cj->n_current, cj->target, cj->n_target,
                                         &cj->res, &rep);
    if (rc != 0)
        job_failed(p, w, cj, rc, &rep);
    report_release(&rep);
}

static int read_done(void *ud, size_t job)
{
    struct children *c = ud;
    int rc = c->jobs[c->todo[job]].rc;
    if (rc != 0)
        return rc; /* stops the phase; first_failure() names it */
    c->reads++;
    return step(c->r, "read_children", (int64_t)c->reads, (int64_t)c->n_reads);
}

/* After a phase of n jobs: the failed child first in position order (the workers end
 * in any order; the message should not depend on it), with Spotify's message. */
static int first_failure(struct children *c, size_t n, const char *doing)
{
    for (size_t k = 0; k < n; k++) {
        size_t i = c->todo[k];
        struct child_job *cj = &c->jobs[i];
        const char *name = c->r->in.children[i].name;
        const char *spid = c->r->in.children[i].spotify_playlist_id;
        if (cj->rc == ERR_NOMEM)
            return fail(c->r, cj->rc, "%s child playlist '%s': out of memory", doing, name);
        if (cj->rc != 0)
            return fail(c->r, cj->rc, "%s child playlist '%s' (Spotify playlist %s): %s", doing,
                        name, spid, cj->err && *cj->err ? cj->err : app_err_code(cj->rc));
    }
    return 0;
}

/* Records child i: its playlist holds cj->current == target (snapshot known or not). */
static int record_child(struct run *r, size_t i, const char *snapshot, const char *const *uris,
                        size_t n)
{
    char hash[SYNC_HASH_HEX], now[21];
    sync_hash_uris(uris, n, hash);
    util_time_format(time(NULL), now);
    if (!db_take(r))
        return fail(r, ERR_UNAVAILABLE, NO_DB);
    int rc = sync_state_repo_set_child(r->db, r->in.children[i].id, snapshot, hash, uris, n, now);
    db_give(r);
    if (rc != 0)
        return fail(r, rc, "could not record child playlist '%s' (database error)",
                    r->in.children[i].name);
    return 0;
}

static int write_done(void *ud, size_t job)
{
    struct children *c = ud;
    struct run *r = c->r;
    size_t i = c->todo[job];
    struct child_job *cj = &c->jobs[i];
    int rc;
    if (cj->rc != 0)
        return cj->rc; /* stops the phase; first_failure() names it */
    /* Every write answers the playlist's new snapshot id: the last answer's goes with
     * the target. Only a child whose answers did not say it is asked after the writes. */
    const char *snap = cj->res.snapshot_id[0] ? cj->res.snapshot_id : NULL;
    if ((rc = record_child(r, i, snap, cj->target, cj->n_target)) != 0)
        return rc;
    r->out[i].added = (int64_t)cj->res.added;
    r->out[i].removed = (int64_t)cj->res.removed;
    r->out[i].done = true;
    r->out[i].written = snap == NULL;
    c->finished++;
    return step(r, "write_children", (int64_t)c->finished, (int64_t)r->in.n_children);
}

/* The workers, made when the first child needs Spotify. */
static int start_pool(struct run *r)
{
    int rc = 0;
    if (r->pool.n_workers == 0 &&
        (rc = sync_pool_init(&r->pool, r->app, r->user_id, r->in.n_children)) != 0)
        return fail(r, rc, "could not set up the Spotify clients (%s)", app_err_code(rc));
    return 0;
}

/* Makes every child hold its target. known[i]: child i still holds what we recorded. */
static int write_children(struct run *r, const bool *known, const char *const *const *targets,
                          const size_t *n_targets)
{
    size_t n = r->in.n_children, n_todo = 0;
    struct children c = {.r = r,
                         .jobs = arena_alloc(r->a, (n + 1) * sizeof *c.jobs),
                         .todo = arena_alloc(r->a, (n + 1) * sizeof *c.todo)};
    char now[21];
    int rc;

    if (!c.jobs || !c.todo)
        return fail(r, ERR_NOMEM, "out of memory");
    for (size_t i = 0; i < n; i++) {
        const struct sync_child_state *st = &r->in.child_state[i];
        c.jobs[i].target = targets[i];
        c.jobs[i].n_target = n_targets[i];
        r->out[i].matched = (int64_t)n_targets[i];
        if (known[i]) {
            c.jobs[i].current = st->uris;
            c.jobs[i].n_current = st->n_uris;
            c.jobs[i].snapshot = st->snapshot_id;
        } else {
            c.todo[n_todo++] = i;
        }
    }
    /* 1. Read the children we cannot vouch for. */
    c.n_reads = n_todo;
    if (n_todo &&
        ((rc = step(r, "read_children", 0, (int64_t)n_todo)) != 0 || (rc = start_pool(r)) != 0))
        return rc;
    rc = sync_pool_run(&r->pool, n_todo, read_job, read_done, &c);
    if (rc != 0)
        first_failure(&c, n_todo, "reading");
    if (rc == 0 && c.reads < n_todo)
        rc = fail(r, ERR_UNAVAILABLE, SYNC_MSG_SHUTDOWN);
    if (rc != 0)
        return fail(r, rc, "reading the child playlists failed (%s)", app_err_code(rc));

    /* 2. Equal: nothing to write (what was read is recorded, so the next sync need not
     * read it). Different: a copy for restore, then the write. */
    util_time_format(time(NULL), now);
    n_todo = 0;
    for (size_t i = 0; i < n; i++) {
        struct child_job *cj = &c.jobs[i];
        if (sync_uris_equal(cj->current, cj->n_current, cj->target, cj->n_target)) {
            if (!known[i] && (rc = record_child(r, i, cj->snapshot, cj->target, cj->n_target)))
                return rc;
            r->out[i].done = true;
            c.finished++;
            continue;
        }
        if (!db_take(r))
            return fail(r, ERR_UNAVAILABLE, NO_DB);
        /* From the first write on, the last completed sync no longer describes Spotify. */
        if (!r->invalidated) {
            if ((rc = sync_state_repo_invalidate_base(r->db, r->base_id, now)) != 0)
                return fail(r, rc, "could not record the sync's state (database error)");
            r->invalidated = true;
        }
        if ((rc = child_snapshot_repo_save(r->db, r->user_id, r->in.children[i].id, r->event_id,
                                           cj->current, cj->n_current, now)) != 0)
            return fail(r, rc, "could not save child playlist '%s' for restore (database error)",
                        r->in.children[i].name);
        c.todo[n_todo++] = i;
    }
    db_give(r);
    if ((rc = step(r, "write_children", (int64_t)c.finished, (int64_t)n)) != 0 ||
        (n_todo && (rc = start_pool(r)) != 0))
        return rc;

    /* 3. Write, children in parallel. */
    rc = sync_pool_run(&r->pool, n_todo, write_job, write_done, &c);
    if (rc != 0)
        first_failure(&c, n_todo, "writing");
    if (rc == 0 && c.finished < n)
        rc = fail(r, ERR_UNAVAILABLE, SYNC_MSG_SHUTDOWN); /* jobs left unstarted */
    if (rc != 0)
        return fail(r, rc, "writing the child playlists failed (%s)", app_err_code(rc));
    return 0;
}

/* The snapshot ids of the playlists we wrote whose write answers did not carry one
 * (normally none: no request). A failure here costs only a read of those children at
 * the next sync, so it does not fail the sync. */
static void learn_snapshots(struct run *r)
{
    size_t n = r->in.n_children, k = 0;
    const char **ids = arena_alloc(r->a, (n + 1) * sizeof *ids);
    const char **snaps = arena_alloc(r->a, (n + 1) * sizeof *snaps);
    size_t *which = arena_alloc(r->a, (n + 1) * sizeof *which);
    if (!ids || !snaps || !which)
        return;
    for (size_t i = 0; i < n; i++)
        if (r->out[i].written) {
            which[k] = i;
            ids[k++] = r->in.children[i].spotify_playlist_id;
        }
    if (k == 0)
        return;
    db_give(r);
    struct report rep = {0};
    if (spotify_client_get_snapshots(r->client, r->a, ids, k, snaps, &rep) != 0) {
        log_warn("sync %s: could not learn the new snapshot ids (%s)", r->event_id,
                 report_text(&rep));
        report_release(&rep);
        return;
    }
    if (!db_take(r)) {
        log_warn("sync %s: %s; the new snapshot ids are not recorded", r->event_id, NO_DB);
        return;
    }
    for (size_t j = 0; j < k; j++)
        if (snaps[j])
            sync_state_repo_set_child_snapshot(r->db, r->in.children[which[j]].id, snaps[j]);
    db_give(r);
}

static int run_steps(struct run *r)
{
    struct sync_input *in = &r->in;
    struct sync_base_seen seen = {0};
    bool *child_same = NULL;
    const char *const **targets = NULL;
    size_t *n_targets = NULL;
    int rc;

    if (!db_take(r))
        return fail(r, ERR_UNAVAILABLE, NO_DB);
    rc = sync_input_load(r->app, r->db, r->a, r->user_id, r->base_id, in, &r->rep);
    db_give(r);
    r->loaded = true;
    if (rc == ERR_NOT_FOUND)
        rc = fail(r, rc, "the base playlist no longer exists");
    else if (rc == ERR_VALIDATION)
        rc = fail(r, rc, "%s",
                  r->rep.message ? r->rep.message : "a child playlist cannot be evaluated");
    else if (rc != 0)
        rc = fail(r, rc, "could not load the playlists (%s)", app_err_code(rc));
    if (rc != 0)
        return rc;
    size_t n = in->n_children;
    r->out = arena_alloc(r->a, (n + 1) * sizeof *r->out);
    child_same = arena_alloc(r->a, (n + 1) * sizeof *child_same);
    targets = arena_alloc(r->a, (n + 1) * sizeof *targets);
    n_targets = arena_alloc(r->a, (n + 1) * sizeof *n_targets);
    if (!r->out || !child_same || !targets || !n_targets)
        return fail(r, ERR_NOMEM, "out of memory");
    if ((rc = step(r, "check", 0, 0)) != 0)
        return rc;
    if ((rc = spotify_session_client(r->app, r->user_id, &r->client)) != 0)
        return fail(r, rc, "could not set up the Spotify client (%s)", app_err_code(rc));

    /* Metadata past its lifetime counts as a change: the rules see fresh values. */
    bool config_same = in->config_hash[0] && in->state.config_hash && in->state.last_snapshot_id &&
                       strcmp(in->config_hash, in->state.config_hash) == 0 &&
                       !sync_input_metadata_stale(r->app, in, (int64_t)time(NULL));
    /* The base's snapshot is asked too (same request): it says whether the last
     * completed sync still describes the base, or else whether the stored base does. */
    if ((rc = sync_spotify_check(r->client, r->a, in, true, &seen, child_same, &r->rep)) != 0)
        return spotify_fail(r, rc, "checking the playlists' snapshot ids", &r->rep);
    bool base_same =
        config_same && seen.snapshot && strcmp(seen.snapshot, in->state.last_snapshot_id) == 0;
    bool all_known = true, all_same = true;
    for (size_t i = 0; i < n; i++) {
        all_known &= in->child_state[i].has_contents;
        all_same &= child_same[i];
    }

    if (base_same && all_known) {
        /* The base and every rule are as the last completed sync saw them, so every
         * target is what that sync wrote: no need to read the base. */
        r->processed = in->state.tracks_processed;
        r->skipped = in->state.tracks_skipped;
        r->base_snapshot = in->state.last_snapshot_id;
        for (size_t i = 0; i < n; i++) {
            targets[i] = in->child_state[i].uris;
            n_targets[i] = in->child_state[i].n_uris;
            r->out[i].matched = (int64_t)n_targets[i];
            r->out[i].done = all_same;
        }
        if (all_same)
            return 0; /* nothing changed anywhere: the one request above was all */
    } else {
        rc = sync_eval_run(r->app, r->client, r->a, in, &seen, eval_phase, r, &r->ev, &r->rep);
        if (rc == ERR_VALIDATION)
            return fail(r, rc, "more than one child playlist is the catch-all");
        if (rc == ERR_METADATA_UNAVAILABLE)
            return fail(r, rc, "fetching MusicBrainz metadata: %s",
                        r->ev.why.message ? r->ev.why.message : "MusicBrainz could not be reached");
        if (rc != 0 && r->ev.why.message) /* the MusicBrainz store or the tags could not be read */
            return fail(r, rc, "%s", r->ev.why.message);
        if (rc == ERR_UNAVAILABLE && atomic_load(&r->app->shutting_down) > 1)
            return fail(r, rc, SYNC_MSG_SHUTDOWN);
        if (rc != 0)
            return r->err.len ? rc
                              : spotify_fail(r, rc, phase_what(r->a, r->phase, &in->base), &r->rep);
        r->processed = (int64_t)r->ev.base.n_items;
        r->skipped = (int64_t)sync_tracks_skipped(&r->ev.tracks);
        r->base_snapshot = r->ev.base.info.snapshot_id;
        for (size_t i = 0; i < n; i++) {
            const char **uris = NULL;
            if ((rc = sync_eval_target_uris(&r->ev, i, r->a, &uris, &n_targets[i])) != 0)
                return fail(r, rc, "out of memory");
            targets[i] = uris;
        }
    }

    if ((rc = write_children(r, child_same, targets, n_targets)) != 0)
        return rc;
    if ((rc = step(r, "finish", (int64_t)n, (int64_t)n)) != 0)
        return rc;
    learn_snapshots(r);
    return 0;
}

/* The JSON texts of the event's children and child ids (arena; NULL = keep stored). */
static void children_json(struct run *r, const char **children, const char **ids)
{
    json_t *arr = json_array(), *idarr = json_array();
    *children = "[]";
    *ids = NULL;
    for (size_t i = 0; r->loaded && r->out && i < r->in.n_children; i++) {
        const char *cid = r->in.children[i].id;
        json_array_append_new(idarr, json_string(cid));
        if (!r->out[i].done)
            continue;
        json_array_append_new(arr, json_pack("{s:s, s:I, s:I, s:I}", "child_playlist_id", cid,
                                             "matched", (json_int_t)r->out[i].matched, "added",
                                             (json_int_t)r->out[i].added, "removed",
                                             (json_int_t)r->out[i].removed));
    }
    char *s = arr ? json_text_dump(arr, JSON_COMPACT) : NULL;
    if (s)
        *children = arena_strdup(r->a, s) ?: "[]";
    free(s);
    if (r->loaded && r->out && idarr && (s = json_text_dump(idarr, JSON_COMPACT))) {
        *ids = arena_strdup(r->a, s);
        free(s);
    }
    json_decref(arr);
    json_decref(idarr);
}

static void count_metrics(struct run *r, const char *status, double seconds,
                          const struct spotify_stats *ss)
{
    char labels[64];
    struct metrics *m = r->app->metrics;
    if (!m)
        return;
    snprintf(labels, sizeof labels, "status=\"%s\"", status);
    metrics_observe(m, "playrouter_sync_duration_seconds", labels, seconds);
    metrics_add(m, "playrouter_syncs_total", labels, 1);
    sync_count_client_metrics(r->app, ss, &r->ev.mstats);
    if (r->ev.mbstats.requests)
        metrics_add(m, "playrouter_musicbrainz_requests_total", "",
                    (double)r->ev.mbstats.requests);
}

/* Writes the event's end. */
static void finish(struct run *r, int rc_run, double seconds)
{
    struct sync_event ev = {0};
    struct spotify_stats ss = {0};
    char now[21];
    int rc;

    if (r->client)
        spotify_client_stats(r->client, &ss);
    sync_pool_add_stats(&r->pool, &ss);
    util_time_format(time(NULL), now);
    ev.id = r->event_id;
    ev.user_id = r->user_id;
    ev.base_playlist_id = r->base_id;
    ev.status = rc_run == 0 ? "completed" : "failed";
    ev.completed_at = ev.updated = now;
    ev.error_message = rc_run == 0 ? NULL : r->err.len ? r->err.data : "the sync failed";
    ev.tracks_processed = r->processed;
    ev.tracks_skipped = r->skipped;
    ev.total_api_requests = (int64_t)ss.requests;
    ev.metadata_musicbrainz = (int64_t)r->ev.mbstats.requests;
    ev.cache_hits = (int64_t)r->ev.mstats.cache_hits;
    ev.cache_misses = (int64_t)r->ev.mstats.cache_misses;
    children_json(r, &ev.children, &ev.child_playlist_ids);
    ev.progress_phase = rc_run == 0 ? "done" : r->phase;
    ev.progress_done = rc_run == 0 ? (int64_t)r->in.n_children : r->done;
    ev.progress_total = rc_run == 0 ? (int64_t)r->in.n_children : r->total;

    if (!db_take(r)) {
        /* The event stays in progress: the sweep ends it. */
        log_error("sync %s: %s; its end is not recorded", r->event_id, NO_DB);
        count_metrics(r, ev.status, seconds, &ss);
        return;
    }
    if (rc_run == 0) {
        rc = sync_lock_repo_complete(r->db, &ev, r->base_snapshot, r->in.config_hash);
        if (rc != 0 && rc != ERR_NOT_FOUND) {
            /* Never leave it in progress, never claim success we could not record. */
            ev.status = "failed";
            ev.error_message = "could not record the sync's completion (database error)";
            rc = sync_event_repo_finish(r->db, &ev);
        }
    } else {
        rc = sync_event_repo_finish(r->db, &ev);
    }
    db_give(r);
    sync_watch_service_notify(r->app->sync_watch, r->event_id); /* the end (SSE) */
    if (rc == ERR_NOT_FOUND)
        log_warn("sync %s: its event was ended elsewhere; result not recorded", r->event_id);
    else if (rc != 0)
        log_error("sync %s: could not record its end (%s)", r->event_id, app_err_code(rc));
    log_info("sync %s %s: %lld tracks, %lu Spotify requests, %lu MusicBrainz requests%s%s",
             r->event_id, ev.status, (long long)r->processed, ss.requests, r->ev.mbstats.requests,
             rc_run ? ": " : "", rc_run ? ev.error_message : "");
    count_metrics(r, ev.status, seconds, &ss);
}

/* The longest Retry-After among the run's clients that failed on a 429 (-1: none). */
static int64_t run_retry_after(const struct run *r)
{
    int64_t ra = r->client ? spotify_client_retry_after(r->client) : -1;
    for (size_t w = 0; w < r->pool.n_workers; w++) {
        int64_t v = spotify_client_retry_after(r->pool.clients[w]);
        ra = v > ra ? v : ra;
    }
    return ra;
}

int sync_service_run(struct app *app, struct arena *a, const char *user_id, const char *base_id,
                     const char *event_id, struct sync_event *out, int64_t *retry_after_s)
{
    struct run r = {.app = app,
                    .a = a,
                    .user_id = user_id,
                    .base_id = base_id,
                    .event_id = event_id,
                    .phase = "check"};
    int64_t t0 = util_now_ms();
    int rc = run_steps(&r);

    db_give(&r); /* a step that failed may still hold it */
    finish(&r, rc, (double)(util_now_ms() - t0) / 1000.0);
    if (retry_after_s)
        *retry_after_s = rc == ERR_RATE_LIMITED ? run_retry_after(&r) : -1;
    sync_eval_release(&r.ev);
    sync_input_release(&r.in);
    spotify_client_free(r.client);
    sync_pool_release(&r.pool);
    buf_release(&r.err);
    report_release(&r.rep);
    if (!db_take(&r))
        return ERR_UNAVAILABLE;
    rc = sync_event_repo_find(r.db, a, user_id, event_id, out);
    db_give(&r);
    return rc;
}
