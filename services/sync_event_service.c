/* SyncEvent JSON, status, history, and recovery of orphaned events. */
#include "services/sync_event_service.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "repositories/base_playlist_repo.h"
#include "server/app_err.h"
#include "server/util.h"

static json_t *str_or_null(const char *s)
{
    return s ? json_string(s) : json_null();
}

/* A stored JSON array text as a JSON array (an unreadable one as []). */
static json_t *array_of(const char *text)
{
    json_t *v = text ? json_loads(text, 0, NULL) : NULL;
    if (json_is_array(v))
        return v;
    json_decref(v);
    return json_array();
}

json_t *sync_event_service_to_json(const struct sync_event *ev)
{
    json_t *progress =
        json_pack("{s:o, s:I, s:I}", "phase", str_or_null(ev->progress_phase), "done",
                  (json_int_t)ev->progress_done, "total", (json_int_t)ev->progress_total);
    if (!progress)
        return NULL;
    return json_pack(
        "{s:s?, s:s?, s:s?, s:o, s:s?, s:o, s:o, s:o, s:I, s:I, s:I, s:I, s:I, s:o, s:o, "
        "s:s?, s:s?}",
        "id", ev->id, "user_id", ev->user_id, "base_playlist_id", ev->base_playlist_id,
        "child_playlist_ids", array_of(ev->child_playlist_ids), "status", ev->status, "started_at",
        str_or_null(ev->started_at), "completed_at", str_or_null(ev->completed_at), "error_message",
        str_or_null(ev->error_message), "tracks_processed", (json_int_t)ev->tracks_processed,
        "tracks_skipped", (json_int_t)ev->tracks_skipped, "total_api_requests",
        (json_int_t)ev->total_api_requests, "cache_hits", (json_int_t)ev->cache_hits,
        "cache_misses", (json_int_t)ev->cache_misses, "children", array_of(ev->children),
        "progress", progress, "created", ev->created, "updated", ev->updated);
}

int sync_event_service_get(struct db *db, struct arena *a, const char *user_id, const char *id,
                           struct sync_event *out)
{
    return sync_event_repo_find(db, a, user_id, id, out);
}

/* ERR_NOT_FOUND unless base `base_id` is the user's. */
static int check_base(struct db *db, struct arena *a, const char *user_id, const char *base_id)
{
    struct base_playlist bp;
    return base_playlist_repo_find(db, a, user_id, base_id, &bp);
}

int sync_event_service_status(struct db *db, struct arena *a, const char *user_id,
                              const char *base_id, bool *active, bool *has_event,
                              struct sync_event *ev)
{
    int rc = check_base(db, a, user_id, base_id);
    *active = false;
    *has_event = false;
    if (rc != 0)
        return rc;
    /* The latest event is the active one when there is one: an event is inserted
     * in_progress, and the lock keeps any newer one from existing meanwhile. */
    rc = sync_event_repo_find_latest(db, a, user_id, base_id, ev);
    if (rc == ERR_NOT_FOUND)
        return 0;
    if (rc != 0)
        return rc;
    *has_event = true;
    *active = strcmp(ev->status, "in_progress") == 0;
    return 0;
}

int sync_event_service_list(struct db *db, struct arena *a, const char *user_id,
                            const char *base_id, const char *cursor, int limit,
                            struct sync_event **items, size_t *n, const char **next_cursor)
{
    int64_t before = 0;
    int more = 0;
    int rc = check_base(db, a, user_id, base_id);

    *items = NULL;
    *n = 0;
    *next_cursor = NULL;
    if (rc != 0)
        return rc;
    /* The cursor is the seq of the last event of the previous page. */
    if (cursor && util_parse_int64(cursor, 1, INT64_MAX, &before) != 0)
        return ERR_VALIDATION;
    rc = sync_event_repo_list(db, a, user_id, base_id, before, limit, items, n, &more);
    if (rc == 0 && more && *n > 0 &&
        !(*next_cursor = arena_sprintf(a, "%" PRId64, (*items)[*n - 1].seq)))
        rc = ERR_NOMEM;
    return rc;
}

int sync_event_service_recover(struct db *db, int *n_out)
{
    char now[21];
    util_time_format(time(NULL), now);
    return sync_event_repo_fail_in_progress(db, NULL, SYNC_MSG_RESTART, now, n_out);
}

void sync_event_service_timeout_message(int timeout_s, char *out, size_t outlen)
{
    if (timeout_s % 60 == 0)
        snprintf(out, outlen, "timed out after %d minute%s", timeout_s / 60,
                 timeout_s == 60 ? "" : "s");
    else
        snprintf(out, outlen, "timed out after %d second%s", timeout_s, timeout_s == 1 ? "" : "s");
}

int sync_event_service_sweep(struct db *db, int timeout_s, int *n_out)
{
    char now[21], before[21], msg[64];
    time_t t = time(NULL);
    util_time_format(t, now);
    util_time_format(t - timeout_s, before);
    sync_event_service_timeout_message(timeout_s, msg, sizeof msg);
    return sync_event_repo_fail_in_progress(db, before, msg, now, n_out);
}
