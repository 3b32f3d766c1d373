/* GET /api/sync-events/{id}/stream: Server-Sent Events over a suspended streaming
 * answer (no thread per stream; see http/http_stream.c).
 *
 * Each call of the producer reads the event from the database (one indexed row) and
 * compares its status and progress with what was last sent: the database is the one
 * truth, so an event ended by the sweeper or by another process is seen at the next
 * heartbeat even without a notification, and a stream never sends an older state after
 * a newer one. Wakes come from the sync engine's notifier (sync_watch.h) and are
 * coalesced by the HTTP core to one call per 1/SYNC_STREAM_MAX_PER_S s. */
#include "handlers/sync_stream_handler.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/app.h"
#include "app/config.h"
#include "lib/app_err.h"
#include "lib/json_text.h"
#include "lib/log.h"
#include "middleware/request_db.h"
#include "services/database.h"
#include "services/sync/sync_event_service.h"
#include "services/sync/sync_watch.h"

#define SSE_TYPE "text/event-stream"
#define SSE_DB_WAIT_MS 200 /* a polling thread waits this long at most for a connection */
#define SSE_PHASE_MAX 64

/* One open stream (malloc'd; freed by stream_release). */
struct sse {
    struct app *app;
    char user_id[SYNC_EVENT_ID_MAX];
    char event_id[SYNC_EVENT_ID_MAX];
    struct http_stream *stream;
    struct sync_watcher watcher;
    /* What the last `progress` said. */
    bool sent;
    char status[16];
    char phase[SSE_PHASE_MAX];
    int64_t done, total;
};

/* event: NAME, data: the SyncEvent JSON, blank line. */
static int append_event(struct buf *out, const char *name, const struct sync_event *ev)
{
    json_t *j = sync_event_service_to_json(ev);
    char *text = j ? json_text_dump(j, JSON_COMPACT) : NULL;
    int rc = text && buf_appendf(out, "event: %s\ndata: ", name) == 0 &&
                     buf_append_str(out, text) == 0 && buf_append(out, "\n\n", 2) == 0
                 ? 0
                 : ERR_NOMEM;
    free(text);
    json_decref(j);
    return rc;
}

static bool same_progress(const struct sse *s, const struct sync_event *ev)
{
    const char *phase = ev->progress_phase ? ev->progress_phase : "";
    return s->sent && strcmp(s->status, ev->status) == 0 && strcmp(s->phase, phase) == 0 &&
           s->done == ev->progress_done && s->total == ev->progress_total;
}

static void remember(struct sse *s, const struct sync_event *ev)
{
    s->sent = true;
    snprintf(s->status, sizeof s->status, "%s", ev->status);
    snprintf(s->phase, sizeof s->phase, "%s", ev->progress_phase ? ev->progress_phase : "");
    s->done = ev->progress_done;
    s->total = ev->progress_total;
}

/* The event now: *found false when it is gone (a restore's lock, a deleted base).
 * ERR_UNAVAILABLE when no database connection is free right now. */
static int read_event(struct sse *s, struct arena *a, struct sync_event *ev, bool *found)
{
    struct db *db = database_acquire(s->app, SSE_DB_WAIT_MS);
    int rc;
    if (!db)
        return ERR_UNAVAILABLE;
    rc = sync_event_service_get(db, a, s->user_id, s->event_id, ev);
    database_release(s->app, db);
    *found = rc == 0;
    return rc == ERR_NOT_FOUND ? 0 : rc;
}

static int stream_produce(void *ud, unsigned why, struct buf *out, bool *end)
{
    struct sse *s = ud;
    struct sync_event ev;
    struct arena *a = NULL;
    bool found = false;
    int rc = 0;

    if (why & HTTP_STREAM_CLOSE) {
        *end = true; /* the server stops; an EventSource reconnects by itself */
        return 0;
    }
    if ((why & HTTP_STREAM_TICK) && buf_append_str(out, ": ping\n\n") != 0)
        return ERR_NOMEM;
    if (!(a = arena_new()))
        return ERR_NOMEM;
    rc = read_event(s, a, &ev, &found);
    if (rc != 0) {
        /* The database is busy or failing: try again shortly, keep the stream. */
        log_warn("sync event stream %s: cannot read the event (%s); retrying", s->event_id,
                 app_err_code(rc));
        http_stream_wake(s->stream);
        rc = 0;
    } else if (!found) {
        *end = true;
    } else if (strcmp(ev.status, "in_progress") != 0) {
        rc = append_event(out, "done", &ev);
        *end = true;
    } else if (!same_progress(s, &ev)) {
        rc = append_event(out, "progress", &ev);
        remember(s, &ev);
    }
    arena_free(a);
    return rc;
}

static void stream_wake(void *ud)
{
    struct sse *s = ud;
    http_stream_wake(s->stream);
}

static void stream_release(void *ud)
{
    struct sse *s = ud;
    sync_watch_service_remove(s->app->sync_watch, &s->watcher);
    free(s);
}

void sync_stream_handler_open(struct request *req, struct response *res)
{
    const char *id = request_param(req, "id");
    struct db *db = request_db_or_503(req, res);
    struct sync_event ev;
    struct sse *s = NULL;
    int rc;

    if (!db)
        return;
    rc = sync_event_service_get(db, req->arena, req->user_id, id, &ev);
    if (rc == 0 && (strlen(id) >= SYNC_EVENT_ID_MAX || strlen(req->user_id) >= SYNC_EVENT_ID_MAX))
        rc = ERR_NOT_FOUND; /* no id of ours is that long */
    if (rc != 0) {
        response_error(res, rc);
        return;
    }
    if (strcmp(ev.status, "in_progress") != 0) {
        /* Over already: the final event at once, and the end. */
        struct buf body = BUF_INIT;
        if (append_event(&body, "done", &ev) != 0)
            response_error(res, ERR_NOMEM);
        else
            response_text(res, 200, SSE_TYPE, body.data);
        buf_release(&body);
        return;
    }
    request_db_release(req); /* a stream must not hold a pooled connection */
    if (!(s = calloc(1, sizeof *s))) {
        response_error(res, ERR_NOMEM);
        return;
    }
    s->app = req->app;
    memcpy(s->user_id, req->user_id, strlen(req->user_id) + 1);
    memcpy(s->event_id, id, strlen(id) + 1);
    struct http_stream_ops ops = {.produce = stream_produce,
                                  .release = stream_release,
                                  .tick_ms = req->app->cfg->sse_heartbeat_s * 1000,
                                  .min_gap_ms = 1000 / SYNC_STREAM_MAX_PER_S};
    response_header(res, "X-Accel-Buffering", "no"); /* proxies: pass each event at once */
    if ((rc = request_stream(req, SSE_TYPE, &ops, s, &s->stream)) != 0) {
        free(s);
        response_error_msg(res, rc, "the event stream could not be opened");
        return;
    }
    /* Before the first call of the producer (it runs after this handler returns), so no
     * change after that first read goes unnoticed. */
    sync_watch_service_add(req->app->sync_watch, &s->watcher, s->event_id, stream_wake, s);
}
