/* Starting a sync: the lock (the in_progress event) and Idempotency-Key. The run itself
 * is in sync_run.c. */
#include "services/sync/sync_service.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "repositories/base_playlist_repo.h"
#include "repositories/user_repo.h"
#include "repositories/child_playlist_repo.h"
#include "repositories/idempotency_repo.h"
#include "repositories/sync_lock_repo.h"
#include "repositories/sync_queue_repo.h"
#include "lib/app_err.h"
#include "lib/json_text.h"
#include "lib/log.h"
#include "lib/util.h"
#include "services/sync/sync_event_service.h"

/* The JSON array of the children's ids, by position (arena string). */
static int child_ids_json(struct db *db, struct arena *a, const char *user_id, const char *base_id,
                          const char **out)
{
    struct child_playlist *children = NULL;
    size_t n = 0;
    json_t *arr = NULL;
    char *text = NULL;
    int rc = child_playlist_repo_list_by_base(db, a, user_id, base_id, &children, &n);

    if (rc != 0)
        return rc;
    rc = ERR_NOMEM;
    if (!(arr = json_array()))
        goto done;
    for (size_t i = 0; i < n; i++)
        if (json_array_append_new(arr, json_string(children[i].id)) != 0)
            goto done;
    if ((text = json_text_dump(arr, JSON_COMPACT)) && (*out = arena_strdup(a, text)))
        rc = 0;
done:
    free(text);
    json_decref(arr);
    return rc;
}

/* Looks for an earlier request with this key. 0 with out->replay_status set (replay),
 * 0 with it unset (no record: go on), or an error. */
static int idem_lookup(struct db *db, struct arena *a, const char *user_id, const char *key,
                       const char *path, int64_t now, struct sync_start *out)
{
    struct idempotency_record rec;
    struct sync_event ev;
    int rc = idempotency_repo_find(db, a, user_id, key, now, &rec);

    if (rc == ERR_NOT_FOUND)
        return 0;
    if (rc != 0)
        return rc;
    if (strcmp(rec.request_path, path) != 0)
        return ERR_VALIDATION;
    if (rec.status > 0) {
        out->replay_status = rec.status;
        out->replay_body = rec.body ? rec.body : "";
        return 0;
    }
    /* The first request has not answered yet. Running: 409 with its event. Its
     * event over (the process that ran it died before storing the answer): that
     * event is the answer. */
    if (!rec.sync_event_id)
        return ERR_INTERNAL;
    rc = sync_event_repo_find(db, a, user_id, rec.sync_event_id, &ev);
    if (rc == 0 && strcmp(ev.status, "in_progress") == 0) {
        snprintf(out->active_id, sizeof out->active_id, "%s", rec.sync_event_id);
        return ERR_SYNC_IN_PROGRESS;
    }
    if (rc == ERR_NOT_FOUND) {
        /* The base (and its events) went away: forget the key, start afresh. */
        idempotency_repo_delete(db, user_id, key);
        return 0;
    }
    if (rc != 0)
        return rc;
    if (!(out->replay_body = sync_event_service_text(a, &ev)))
        return ERR_NOMEM;
    out->replay_status = 200;
    sync_service_remember(db, user_id, key, 200, out->replay_body);
    return 0;
}

int sync_service_start(struct app *app, struct db *db, struct arena *a, const char *user_id,
                       const char *base_id, const char *idem_key, bool wait, const char *trigger,
                       struct sync_start *out)
{
    struct base_playlist bp;
    struct sync_event *ev = &out->event;
    char id[ID_LEN + 1], now[21];
    const char *path = NULL;
    time_t t = time(NULL);
    int rc;

    (void)app;
    memset(out, 0, sizeof *out);
    if ((rc = base_playlist_repo_find(db, a, user_id, base_id, &bp)) != 0)
        return rc;
    /* A user whose Spotify grant is gone gets 401 spotify_reauth_required now, not a
     * sync that can only fail. */
    struct user u;
    if ((rc = user_repo_find(db, a, user_id, &u)) != 0)
        return rc == ERR_NOT_FOUND ? ERR_UNAUTHORIZED : rc;
    if (u.needs_reauth)
        return ERR_SPOTIFY_REAUTH;
    if (idem_key && !(path = arena_sprintf(a, "POST /api/base-playlists/%s/sync", base_id)))
        return ERR_NOMEM;
    util_time_format(t, now);
    if (util_id_new(id) != 0)
        return ERR_INTERNAL;
    ev->id = arena_strdup(a, id);
    ev->user_id = user_id;
    ev->base_playlist_id = base_id;
    ev->status = "in_progress";
    ev->started_at = ev->created = ev->updated = arena_strdup(a, now);
    ev->children = "[]";
    ev->progress_phase = "queued";
    ev->trigger = trigger;
    if (!ev->id || !ev->started_at)
        return ERR_NOMEM;
    if ((rc = child_ids_json(db, a, user_id, base_id, &ev->child_playlist_ids)) != 0)
        return rc;

    /* Twice at most: a concurrent first request with the same key may win the insert;
     * the second round then finds its record. */
    for (int round = 0; round < 2; round++) {
        if (idem_key) {
            if ((rc = idem_lookup(db, a, user_id, idem_key, path, (int64_t)t, out)) != 0 ||
                out->replay_status)
                return rc;
        }
        struct sync_lock_key k = {idem_key, path, (int64_t)t, (int64_t)t + SYNC_IDEMPOTENCY_TTL_S,
                                  0,        NULL};
        /* Without waiting the first answer is the 202 given right now. */
        if (idem_key && !wait) {
            if (!(k.answer_body = sync_event_service_text(a, ev)))
                return ERR_NOMEM;
            k.answer_status = 202;
        }
        int priority = strcmp(trigger, SYNC_TRIGGER_AUTO) == 0 ? SYNC_QUEUE_PRIORITY_AUTO
                                                                : SYNC_QUEUE_PRIORITY_MANUAL;
        rc = sync_lock_repo_acquire(db, ev, priority, (int64_t)t, idem_key ? &k : NULL);
        if (rc == ERR_SYNC_IN_PROGRESS) {
            /* The lock is taken: name the sync that holds it. */
            rc = sync_event_repo_find_active(db, user_id, base_id, out->active_id);
            if (rc == ERR_NOT_FOUND)
                continue; /* it ended meanwhile: try again */
            return rc == 0 ? ERR_SYNC_IN_PROGRESS : rc;
        }
        if (rc == ERR_CONFLICT)
            continue; /* the key's record appeared meanwhile */
        return rc;
    }
    /* Still no lock and no holder: the base may have been deleted under us. */
    rc = base_playlist_repo_find(db, a, user_id, base_id, &bp);
    return rc == 0 ? ERR_SYNC_IN_PROGRESS : rc;
}

int sync_service_abandon(struct db *db, const char *user_id, const char *event_id,
                         const char *message)
{
    struct arena *a = arena_new();
    struct sync_event ev;
    char now[21];
    int rc = a ? sync_event_repo_find(db, a, user_id, event_id, &ev) : ERR_NOMEM;

    if (rc == 0) {
        util_time_format(time(NULL), now);
        ev.status = "failed";
        ev.error_message = message;
        ev.completed_at = ev.updated = now;
        rc = sync_event_repo_finish(db, &ev);
    }
    if (rc != 0)
        log_warn("sync %s: could not mark it failed (%s)", event_id, app_err_code(rc));
    arena_free(a);
    return rc;
}

void sync_service_remember(struct db *db, const char *user_id, const char *idem_key, int status,
                           const char *body)
{
    if (!idem_key)
        return;
    int rc = idempotency_repo_finish(db, user_id, idem_key, status, body);
    if (rc != 0)
        log_warn("sync: could not store the answer of an Idempotency-Key (%s)", app_err_code(rc));
}

void sync_service_forget(struct db *db, const char *user_id, const char *idem_key)
{
    if (idem_key && idempotency_repo_delete(db, user_id, idem_key) != 0)
        log_warn("sync: could not forget an Idempotency-Key");
}

int sync_service_purge_keys(struct db *db, int *n_out)
{
    return idempotency_repo_purge(db, (int64_t)time(NULL), n_out);
}
