/* The sync routes: parse, call the service, answer. */
#include "handlers/sync_handler.h"
#include "middleware/request_db.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/app.h"
#include "domain/track.h"
#include "lib/app_err.h"
#include "lib/util.h"
#include "services/rules/rule.h"
#include "services/sync/preview_service.h"
#include "services/sync/sync_event_service.h"
#include "services/sync/sync_manager.h"
#include "services/sync/sync_service.h"

#define JSON_TYPE "application/json; charset=utf-8"

/* A waiting POST .../sync: parked while its sync waits in the queue and runs (in the
 * request's arena; lives until the request completes, i.e. after the answer). */
struct sync_wait {
    struct sync_waiter w; /* first: the manager hands it back */
    struct request *req;
    struct response *res;
    const char *idem_key; /* NULL = none */
};

/* The SyncEvent as the whole body. */
static void answer_event(struct response *res, int status, const struct sync_event *ev)
{
    json_t *body = sync_event_service_to_json(ev);
    if (!body)
        response_error(res, ERR_NOMEM);
    else
        response_json(res, status, body);
}

static void answer_in_progress(struct response *res, const char *event_id)
{
    response_error_full(res, ERR_SYNC_IN_PROGRESS,
                        "a sync of this base playlist is in progress; retry when it has finished",
                        NULL, event_id[0] ? json_pack("{s:s}", "sync_event_id", event_id) : NULL);
}

/* One problem at a query parameter or header, as API.md's validation error. */
static void answer_invalid(struct response *res, const char *path, const char *msg)
{
    char full[256];
    snprintf(full, sizeof full, "%s: %s", path, msg);
    response_error_full(res, ERR_VALIDATION, full,
                        json_pack("[{s:s, s:s}]", "path", path, "message", msg), NULL);
}

/* An Idempotency-Key is 1..SYNC_IDEMPOTENCY_KEY_MAX printable ASCII characters. */
static bool key_valid(const char *k)
{
    size_t n = strlen(k);
    if (n == 0 || n > SYNC_IDEMPOTENCY_KEY_MAX)
        return false;
    for (; *k; k++)
        if ((unsigned char)*k < 0x20 || (unsigned char)*k > 0x7e)
            return false;
    return true;
}

/* The sync of a waiting POST ended (status 0), or the server stops while it is still
 * queued (ERR_UNAVAILABLE): writes the answer and resumes the connection. Runs on the
 * queue's worker (or the polling thread, when the sync had already ended). */
static void wait_done(struct sync_waiter *w, int status)
{
    struct sync_wait *job = (struct sync_wait *)w;
    struct request *req = job->req;
    struct response *res = job->res;
    struct sync_event ev;
    const char *text;
    struct db *db = NULL;
    int rc;

    if (status != 0) {
        response_error_full(res, ERR_UNAVAILABLE,
                            "the server is shutting down; the sync stays queued and runs after "
                            "the restart",
                            NULL, json_pack("{s:s}", "sync_event_id", w->event_id));
        goto done;
    }
    if (!(db = request_db_or_503(req, res)))
        goto done;
    if ((rc = sync_event_service_get(db, req->arena, req->user_id, w->event_id, &ev)) != 0) {
        response_error(res, rc);
        goto done;
    }
    if (!(text = sync_event_service_text(req->arena, &ev))) {
        response_error(res, ERR_NOMEM);
    } else {
        sync_service_remember(db, req->user_id, job->idem_key, 200, text);
        response_text(res, 200, JSON_TYPE, text);
    }
done:
    request_db_release(req);
    request_resume(req);
}

/* The connection is suspended: from now on the queue may answer it. */
static void wait_arm(struct request *req, struct response *res, void *arg)
{
    struct sync_wait *job = arg;
    job->res = res;
    if (sync_manager_wait(req->app->syncs, &job->w) != 0)
        wait_done(&job->w, ERR_UNAVAILABLE);
}

void sync_handler_start(struct request *req, struct response *res)
{
    const char *base_id = request_param(req, "id");
    const char *wait_s = request_query(req, "wait");
    const char *key = request_header(req, "Idempotency-Key");
    struct sync_start st;
    struct sync_wait *job;
    struct db *db;
    bool wait = true;
    int rc;

    if (wait_s) {
        if (strcmp(wait_s, "false") == 0 || strcmp(wait_s, "0") == 0)
            wait = false;
        else if (strcmp(wait_s, "true") != 0 && strcmp(wait_s, "1") != 0) {
            answer_invalid(res, "wait", "must be true or false");
            return;
        }
    }
    if (key && !key_valid(key)) {
        answer_invalid(res, "Idempotency-Key", "must be 1 to 255 printable ASCII characters");
        return;
    }
    if (!req->app->syncs || atomic_load(&req->app->shutting_down)) {
        response_error_msg(res, ERR_UNAVAILABLE, "the sync service is not running");
        return;
    }
    if (!(db = request_db_or_503(req, res)))
        return;
    rc = sync_service_start(req->app, db, req->arena, req->user_id, base_id, key, wait,
                            SYNC_TRIGGER_MANUAL, &st);
    if (rc == ERR_SYNC_IN_PROGRESS) {
        answer_in_progress(res, st.active_id);
        return;
    }
    if (rc == ERR_VALIDATION) {
        answer_invalid(res, "Idempotency-Key", "this key was already used for another request");
        return;
    }
    if (rc != 0) {
        response_error(res, rc);
        return;
    }
    if (st.replay_status) {
        response_text(res, st.replay_status, JSON_TYPE, st.replay_body);
        response_header(res, "Idempotent-Replayed", "true");
        return;
    }
    /* Queued: a worker takes it. The request holds no connection while it waits. */
    sync_manager_kick(req->app->syncs);
    request_db_release(req);
    if (!wait) {
        char location[128 + SYNC_EVENT_ID_MAX];
        snprintf(location, sizeof location, "/api/sync-events/%s", st.event.id);
        response_header(res, "Location", location);
        answer_event(res, 202, &st.event);
        return;
    }
    if (!(job = arena_alloc(req->arena, sizeof *job))) {
        rc = ERR_NOMEM;
    } else {
        memset(job, 0, sizeof *job);
        job->w.user_id = req->user_id;
        job->w.event_id = st.event.id;
        job->w.done = wait_done;
        job->req = req;
        job->idem_key = key ? arena_strdup(req->arena, key) : NULL;
        rc = request_park(req, wait_arm, job);
    }
    if (rc != 0) {
        /* The sync stays queued and runs; this request cannot wait for it. */
        response_error_full(res, rc == ERR_NOMEM ? ERR_NOMEM : ERR_UNAVAILABLE,
                            "the sync is queued but this request cannot wait for it; follow "
                            "the sync event",
                            NULL, json_pack("{s:s}", "sync_event_id", st.event.id));
    }
}

void sync_handler_status(struct request *req, struct response *res)
{
    struct sync_event ev;
    bool active = false, has = false;
    struct db *db = request_db_or_503(req, res);
    if (!db)
        return;
    int rc = sync_event_service_status(db, req->arena, req->user_id, request_param(req, "id"),
                                       &active, &has, &ev);
    if (rc != 0) {
        response_error(res, rc);
        return;
    }
    const char *text =
        sync_event_service_status_text(req->app->status_answers, req->arena, active, has ? &ev : NULL);
    if (!text)
        response_error(res, ERR_NOMEM);
    else
        response_text(res, 200, JSON_TYPE, text);
}

void sync_handler_list(struct request *req, struct response *res)
{
    const char *limit_s = request_query(req, "limit");
    const char *cursor = request_query(req, "cursor");
    struct sync_event *items = NULL;
    const char *next = NULL;
    int64_t limit = SYNC_EVENTS_LIST_DEFAULT;
    size_t n = 0;
    struct db *db;

    if (limit_s) {
        /* Out of range is clamped (STYLE rule 9); not a number is refused. */
        if (util_parse_int64(limit_s, INT64_MIN, INT64_MAX, &limit) != 0) {
            answer_invalid(res, "limit", "must be an integer (1 to 100)");
            return;
        }
        limit = limit < 1 ? 1 : limit > SYNC_EVENTS_LIST_MAX ? SYNC_EVENTS_LIST_MAX : limit;
    }
    if (!(db = request_db_or_503(req, res)))
        return;
    int rc =
        sync_event_service_list(db, req->arena, req->user_id, request_param(req, "id"),
                                cursor && *cursor ? cursor : NULL, (int)limit, &items, &n, &next);
    if (rc == ERR_VALIDATION) {
        answer_invalid(res, "cursor", "not a cursor this list gave");
        return;
    }
    if (rc != 0) {
        response_error(res, rc);
        return;
    }
    json_t *arr = json_array();
    for (size_t i = 0; arr && i < n; i++)
        if (json_array_append_new(arr, sync_event_service_to_json(&items[i])) != 0) {
            json_decref(arr);
            arr = NULL;
        }
    json_t *body = arr ? json_pack("{s:o, s:s?}", "items", arr, "next_cursor", next) : NULL;
    if (!body)
        response_error(res, ERR_NOMEM);
    else
        response_json(res, 200, body);
}

void sync_handler_get(struct request *req, struct response *res)
{
    struct sync_event ev;
    struct db *db = request_db_or_503(req, res);
    if (!db)
        return;
    int rc = sync_event_service_get(db, req->arena, req->user_id, request_param(req, "id"), &ev);
    if (rc != 0) {
        response_error(res, rc);
        return;
    }
    answer_event(res, 200, &ev);
}

/* An array of n strings (NULL on out of memory). */
static json_t *strings(const char *const *s, size_t n)
{
    json_t *arr = json_array();
    for (size_t i = 0; arr && i < n; i++)
        if (json_array_append_new(arr, json_string(s[i])) != 0) {
            json_decref(arr);
            return NULL;
        }
    return arr;
}

/* What the web app shows of a track: {"name", "artist_names", "duration_ms"}
 * (docs/API.md extensions). What the base did not give is null; a nameless artist is
 * left out, as in explain's values. */
static json_t *track_json(const struct track *t)
{
    json_t *artists = json_array();
    for (size_t k = 0; artists && k < t->n_artists; k++) {
        const char *s = t->artist_names[k];
        if (s && *s && json_array_append_new(artists, json_string(s)) != 0) {
            json_decref(artists);
            artists = NULL;
        }
    }
    if (!artists)
        return NULL;
    return json_pack("{s:s?, s:o, s:o}", "name", t->name && *t->name ? t->name : NULL,
                     "artist_names", artists, "duration_ms",
                     (t->has & TRACK_HAS_DURATION) ? json_integer(t->duration_ms) : json_null());
}

/* The `tracks` map: track id -> track_json(), for the tracks the answer names. */
static json_t *tracks_json(const struct preview_result *p)
{
    json_t *map = json_object();
    for (size_t i = 0; map && i < p->n_tracks; i++)
        if (json_object_set_new(map, p->tracks[i]->id, track_json(p->tracks[i])) != 0) {
            json_decref(map);
            map = NULL;
        }
    return map;
}

static json_t *preview_json(const struct preview_result *p)
{
    json_t *children = json_array();
    for (size_t i = 0; children && i < p->n_children; i++) {
        const struct preview_child *c = &p->children[i];
        json_t *o = json_pack("{s:s, s:s?, s:o, s:o, s:o}", "child_playlist_id",
                              c->child_playlist_id, "name", c->name, "track_ids",
                              strings(c->track_ids, c->n_track_ids), "add",
                              strings(c->add, c->n_add), "remove", strings(c->remove, c->n_remove));
        if (o && c->has_explain) {
            json_t *ex = json_pack("{s:b, s:s}", "matched", c->matched, "reason", c->reason);
            if (ex && c->path)
                json_object_set_new(ex, "path", json_string(c->path));
            if (ex && c->field >= 0 && c->track) {
                /* what the deciding comparison saw, and where it came from */
                json_object_set_new(ex, "field", json_string(rule_field_by_id(c->field)->name));
                json_object_set_new(ex, "value", rule_field_value_json(c->field, c->track));
                json_object_set_new(ex, "source",
                                    json_string(rule_field_source(c->field, c->track)));
                json_t *vs = rule_field_value_sources_json(c->field, c->track);
                if (vs)
                    json_object_set_new(ex, "value_sources", vs);
            }
            if (!ex || json_object_set_new(o, "explain", ex) != 0) {
                json_decref(o);
                o = NULL;
            }
        }
        if (!o || json_array_append_new(children, o) != 0) {
            json_decref(children);
            return NULL;
        }
    }
    return children ? json_pack("{s:o, s:o}", "children", children, "tracks", tracks_json(p))
                    : NULL;
}

static bool client_gone(void *req)
{
    return request_client_gone(req);
}

/* The preview, on a worker of the pool while the connection is suspended: it waits on
 * Spotify and MusicBrainz for seconds, during which a polling thread would leave every
 * other connection it serves unanswered (docs/SECURITY.md §3). Its request's connection
 * is lent during those waits (preview_service_run). */
static void preview_work(struct request *req, struct response *res, void *arg)
{
    struct preview_result p;
    struct report rep = {0};
    const char *explain = request_query(req, "explain");
    struct db *db = request_db_or_503(req, res);
    (void)arg;
    if (!db)
        return;
    if (explain && !*explain) {
        answer_invalid(res, "explain", "must be a track id");
        return;
    }
    /* A preview nobody waits for stops: a client that hung up is seen between steps
     * (request_client_gone looks at the socket, which a suspended connection keeps). */
    struct cancel gone = {client_gone, req};
    int rc = preview_service_run(req->app, db, req->arena, req->user_id, request_param(req, "id"),
                                 explain, &gone, &p, &rep);
    if (rc != 0) {
        response_error_report(res, rc, &rep); /* with its reason (Spotify's message) if any */
    } else {
        json_t *body = preview_json(&p);
        if (body)
            response_json(res, 200, body);
        else
            response_error(res, ERR_NOMEM);
    }
    report_release(&rep);
}

void sync_handler_preview(struct request *req, struct response *res)
{
    /* The connection the authentication took goes back: a preview waiting in the
     * pool's queue holds none (the work takes one when it runs). */
    request_db_release(req);
    if (request_defer(req, preview_work, NULL) != 0)
        response_error_msg(res, ERR_UNAVAILABLE, "the preview could not be started");
}

/* The restore, on its own thread while the connection is suspended: it holds the
 * base's lock while it waits on Spotify. */
static void restore_work(struct request *req, struct response *res, void *arg)
{
    struct sync_restore_result r;
    struct report rep = {0};
    struct db *db = request_db_or_503(req, res);
    (void)arg;
    if (!db)
        return;
    int rc = sync_service_restore(req->app, db, req->arena, req->user_id, request_param(req, "id"),
                                  &r, &rep);
    if (rc == ERR_SYNC_IN_PROGRESS) {
        answer_in_progress(res, r.active_id);
    } else if (rc != 0) {
        response_error_report(res, rc, &rep);
    } else {
        json_t *ids = json_array();
        for (size_t i = 0; ids && i < r.n_uris; i++) {
            const char *u = r.uris[i];
            const char *id = strncmp(u, "spotify:track:", 14) == 0 ? u + 14 : u;
            json_array_append_new(ids, json_string(id));
        }
        json_t *body =
            ids ? json_pack("{s:s, s:s?, s:o, s:I, s:I}", "child_playlist_id", r.child_playlist_id,
                            "restored_from_sync_event_id", r.sync_event_id, "track_ids", ids,
                            "added", (json_int_t)r.added, "removed", (json_int_t)r.removed)
                : NULL;
        if (body)
            response_json(res, 200, body);
        else
            response_error(res, ERR_NOMEM);
    }
    report_release(&rep);
}

void sync_handler_restore(struct request *req, struct response *res)
{
    request_db_release(req); /* as the preview: none held while queued */
    if (request_defer(req, restore_work, NULL) != 0)
        response_error_msg(res, ERR_UNAVAILABLE, "the restore could not be started");
}
