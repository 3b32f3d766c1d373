/* /api/base-playlists: HTTP in, BasePlaylist JSON out. Decisions live in the service. */
#include "handlers/base_playlist_handler.h"
#include "middleware/request_db.h"

#include <stdio.h>
#include <string.h>

#include "lib/app_err.h"
#include "lib/util.h"

json_t *base_playlist_handler_to_json(const struct base_playlist *bp)
{
    return json_pack("{s:s, s:s, s:s?, s:s, s:s, s:I, s:I, s:s?, s:s, s:s}", "id", bp->id,
                     "source", bp->source ? bp->source : BASE_SOURCE_PLAYLIST,
                     "spotify_playlist_id", bp->spotify_playlist_id, "name", bp->name, "routing",
                     bp->routing, "auto_sync_minutes", (json_int_t)bp->auto_sync_minutes, "version",
                     (json_int_t)bp->version, "last_synced_at", bp->last_synced_at, "created",
                     bp->created, "updated", bp->updated);
}

static void answer(struct response *res, int status, const struct base_playlist *bp)
{
    json_t *j = base_playlist_handler_to_json(bp);
    if (!j) {
        response_error(res, ERR_NOMEM);
        return;
    }
    response_etag(res, bp->version);
    response_json(res, status, j);
}

void base_playlist_handler_list(struct request *req, struct response *res)
{
    struct report rep = {0};
    struct base_playlist *items = NULL;
    const char *limit_s = request_query(req, "limit");
    const char *next = NULL;
    int64_t limit = BASE_PLAYLIST_LIST_DEFAULT;
    size_t n = 0;
    json_t *arr = NULL, *body = NULL;
    struct db *db;
    int rc;

    if (!(db = request_db_or_503(req, res)))
        return;
    if (limit_s) {
        /* Out of range is clamped (STYLE rule 9); not a number is refused. */
        if (util_parse_int64(limit_s, INT64_MIN, INT64_MAX, &limit) != 0) {
            report_add(&rep, "limit", "must be an integer (1 to %d)",
                                BASE_PLAYLIST_LIST_MAX);
            response_error_report(res, ERR_VALIDATION, &rep);
            goto done;
        }
        if (limit < 1)
            limit = 1;
        if (limit > BASE_PLAYLIST_LIST_MAX)
            limit = BASE_PLAYLIST_LIST_MAX;
    }
    rc = base_playlist_service_list(db, req->arena, req->user_id, request_query(req, "cursor"),
                                    (int)limit, &items, &n, &next, &rep);
    if (rc != 0) {
        response_error_report(res, rc, &rep);
        goto done;
    }
    if (!(arr = json_array()))
        goto nomem;
    for (size_t i = 0; i < n; i++)
        if (json_array_append_new(arr, base_playlist_handler_to_json(&items[i])) != 0)
            goto nomem;
    body = json_pack("{s:O, s:s?}", "items", arr, "next_cursor", next);
    if (!body)
        goto nomem;
    response_json(res, 200, body);
    goto done;
nomem:
    response_error(res, ERR_NOMEM);
done:
    json_decref(arr);
    report_release(&rep);
}

void base_playlist_handler_create(struct request *req, struct response *res)
{
    struct report rep = {0};
    struct base_playlist bp;
    json_t *body = NULL;
    struct db *db = request_db_json(req, res, &body);
    int rc;

    if (!db)
        goto done;
    rc = base_playlist_service_create(req->app, db, req->arena, req->user_id, body, &bp, &rep);
    if (rc != 0) {
        response_error_report(res, rc, &rep);
        goto done;
    }
    char *location = arena_sprintf(req->arena, "/api/base-playlists/%s", bp.id);
    if (location)
        response_header(res, "Location", location);
    answer(res, 201, &bp);
done:
    json_decref(body);
    report_release(&rep);
}

void base_playlist_handler_get(struct request *req, struct response *res)
{
    struct base_playlist bp;
    struct db *db;
    int rc;

    if (!(db = request_db_or_503(req, res)))
        return;
    rc = base_playlist_service_get(db, req->arena, req->user_id, request_param(req, "id"), &bp);
    if (rc != 0) {
        response_error(res, rc);
        return;
    }
    answer(res, 200, &bp);
}

void base_playlist_handler_update(struct request *req, struct response *res)
{
    struct report rep = {0};
    struct base_playlist bp;
    json_t *body = NULL;
    struct db *db = request_db_json(req, res, &body);
    int rc;

    if (!db)
        goto done;
    rc = base_playlist_service_update(req->app, db, req->arena, req->user_id,
                                      request_param(req, "id"), body,
                                      request_if_match(req), &bp, &rep);
    if (rc != 0) {
        response_error_report(res, rc, &rep);
        goto done;
    }
    answer(res, 200, &bp);
done:
    json_decref(body);
    report_release(&rep);
}

void base_playlist_handler_delete(struct request *req, struct response *res)
{
    struct db *db;
    int rc;

    if (!(db = request_db_or_503(req, res)))
        return;
    rc = base_playlist_service_delete(db, req->user_id, request_param(req, "id"),
                                      request_if_match(req));
    if (rc != 0) {
        response_error(res, rc);
        return;
    }
    response_no_content(res);
}
