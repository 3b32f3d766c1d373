/* Child playlist routes: HTTP in, ChildPlaylist JSON out. Decisions live in the service. */
#include "handlers/child_playlist_handler.h"
#include "middleware/request_db.h"

#include "lib/app_err.h"
#include "lib/json_text.h"
#include "services/playlists/child_playlist_service.h"

json_t *child_playlist_handler_to_json(const struct child_playlist *cp)
{
    json_t *filter = json_text_loads(cp->filter, JSON_DECODE_ANY, NULL);
    json_t *sort = cp->sort ? json_text_loads(cp->sort, 0, NULL) : json_null();
    json_t *pinned = json_text_loads(cp->pinned_track_ids, 0, NULL);
    json_t *banned = json_text_loads(cp->banned_track_ids, 0, NULL);
    json_t *limit = cp->has_limit ? json_integer(cp->limit) : json_null();

    if (!filter || !sort || !pinned || !banned || !limit) {
        json_decref(filter);
        json_decref(sort);
        json_decref(pinned);
        json_decref(banned);
        json_decref(limit);
        return NULL;
    }
    /* "o" steals each reference, also when json_pack fails. */
    return json_pack("{s:s, s:s, s:s, s:s, s:o, s:o, s:o, s:I, s:b, s:o, s:o, s:I, s:s, s:s}", "id",
                     cp->id, "base_playlist_id", cp->base_playlist_id, "spotify_playlist_id",
                     cp->spotify_playlist_id, "name", cp->name, "filter", filter, "sort", sort,
                     "limit", limit, "position", (json_int_t)cp->position, "catch_all",
                     cp->catch_all ? 1 : 0, "pinned_track_ids", pinned, "banned_track_ids", banned,
                     "version", (json_int_t)cp->version, "created", cp->created, "updated",
                     cp->updated);
}

static void answer(struct response *res, int status, const struct child_playlist *cp)
{
    json_t *j = child_playlist_handler_to_json(cp);
    if (!j) {
        response_error(res, ERR_INTERNAL);
        return;
    }
    response_etag(res, cp->version);
    response_json(res, status, j);
}

/* {"items": [...]} of children in position order. */
static void answer_list(struct response *res, const struct child_playlist *items, size_t n)
{
    json_t *arr = json_array();
    if (!arr) {
        response_error(res, ERR_NOMEM);
        return;
    }
    for (size_t i = 0; i < n; i++) {
        json_t *j = child_playlist_handler_to_json(&items[i]);
        if (!j || json_array_append_new(arr, j) != 0) {
            json_decref(arr);
            response_error(res, ERR_INTERNAL);
            return;
        }
    }
    response_json(res, 200, json_pack("{s:o}", "items", arr));
}

void child_playlist_handler_list(struct request *req, struct response *res)
{
    struct child_playlist *items = NULL;
    size_t n = 0;
    struct db *db;
    int rc;

    if (!(db = request_db_or_503(req, res)))
        return;
    rc = child_playlist_service_list(db, req->arena, req->user_id, request_param(req, "id"), &items,
                                     &n);
    if (rc != 0) {
        response_error(res, rc);
        return;
    }
    answer_list(res, items, n);
}

void child_playlist_handler_create(struct request *req, struct response *res)
{
    struct report rep = {0};
    struct child_playlist cp;
    json_t *body = NULL;
    struct db *db = request_db_json(req, res, &body);
    int rc;

    if (!db)
        goto done;
    rc = child_playlist_service_create(req->app, db, req->arena, req->user_id,
                                       request_param(req, "id"), body, &cp, &rep);
    if (rc != 0) {
        response_error_report(res, rc, &rep);
        goto done;
    }
    char *location = arena_sprintf(req->arena, "/api/child-playlists/%s", cp.id);
    if (location)
        response_header(res, "Location", location);
    answer(res, 201, &cp);
done:
    json_decref(body);
    report_release(&rep);
}

void child_playlist_handler_replace(struct request *req, struct response *res)
{
    struct report rep = {0};
    struct child_playlist *items = NULL;
    size_t n = 0;
    json_t *body = NULL;
    struct db *db = request_db_json(req, res, &body);
    int rc;

    if (!db)
        goto done;
    rc = child_playlist_service_replace(req->app, db, req->arena, req->user_id,
                                        request_param(req, "id"), body, &items, &n, &rep);
    if (rc != 0) {
        response_error_report(res, rc, &rep);
        goto done;
    }
    answer_list(res, items, n);
done:
    json_decref(body);
    report_release(&rep);
}

void child_playlist_handler_get(struct request *req, struct response *res)
{
    struct child_playlist cp;
    struct db *db;
    int rc;

    if (!(db = request_db_or_503(req, res)))
        return;
    rc = child_playlist_service_get(db, req->arena, req->user_id, request_param(req, "id"), &cp);
    if (rc != 0) {
        response_error(res, rc);
        return;
    }
    answer(res, 200, &cp);
}

void child_playlist_handler_update(struct request *req, struct response *res)
{
    struct report rep = {0};
    struct child_playlist cp;
    json_t *body = NULL;
    struct db *db = request_db_json(req, res, &body);
    int rc;

    if (!db)
        goto done;
    rc = child_playlist_service_update(req->app, db, req->arena, req->user_id,
                                       request_param(req, "id"), body,
                                       request_if_match(req), &cp, &rep);
    if (rc != 0) {
        response_error_report(res, rc, &rep);
        goto done;
    }
    answer(res, 200, &cp);
done:
    json_decref(body);
    report_release(&rep);
}

void child_playlist_handler_delete(struct request *req, struct response *res)
{
    struct db *db;
    int rc;

    if (!(db = request_db_or_503(req, res)))
        return;
    rc = child_playlist_service_delete(db, req->user_id, request_param(req, "id"),
                                       request_if_match(req));
    if (rc != 0) {
        response_error(res, rc);
        return;
    }
    response_no_content(res);
}
