/* /api/tags: HTTP in, {"kind", "id", "tags"} out. Decisions live in services/tags. */
#include "handlers/tag_handler.h"
#include "middleware/request_db.h"

#include "lib/app_err.h"
#include "services/tags/tag_service.h"

static struct db *db_or_503(struct request *req, struct response *res)
{
    struct db *db = request_db(req);
    if (!db)
        response_error_msg(res, ERR_UNAVAILABLE, "no database connection is free");
    return db;
}

static json_t *item_json(const struct tag_item *it)
{
    json_t *tags = json_array();
    for (size_t i = 0; tags && i < it->n_tags; i++)
        if (json_array_append_new(tags, json_string(it->tags[i])) != 0) {
            json_decref(tags);
            return NULL;
        }
    return tags ? json_pack("{s:s, s:s, s:o}", "kind", it->kind, "id", it->id, "tags", tags)
                : NULL;
}

static void answer(struct response *res, int status, const struct tag_item *it)
{
    json_t *j = item_json(it);
    if (j)
        response_json(res, status, j);
    else
        response_error(res, ERR_NOMEM);
}

void tag_handler_list(struct request *req, struct response *res)
{
    struct tag_item *items = NULL;
    size_t n = 0;
    struct db *db = db_or_503(req, res);
    json_t *arr;
    int rc;

    if (!db)
        return;
    if ((rc = tag_service_list(db, req->arena, req->user_id, &items, &n)) != 0) {
        response_error(res, rc);
        return;
    }
    arr = json_array();
    for (size_t i = 0; arr && i < n; i++)
        if (json_array_append_new(arr, item_json(&items[i])) != 0) {
            json_decref(arr);
            arr = NULL;
        }
    json_t *body = arr ? json_pack("{s:o}", "items", arr) : NULL;
    if (body)
        response_json(res, 200, body);
    else
        response_error(res, ERR_NOMEM);
}

void tag_handler_get(struct request *req, struct response *res)
{
    struct tag_item it;
    struct db *db = db_or_503(req, res);
    int rc;

    if (!db)
        return;
    rc = tag_service_get(db, req->arena, req->user_id, request_param(req, "kind"),
                         request_param(req, "id"), &it);
    if (rc != 0)
        response_error(res, rc);
    else
        answer(res, 200, &it);
}

void tag_handler_put(struct request *req, struct response *res)
{
    struct report rep = {0};
    struct tag_item it;
    json_t *body = NULL;
    const char *kind = request_param(req, "kind");
    struct db *db;
    int rc;

    if (!tag_service_item_valid(kind, "x")) {
        response_error_msg(res, ERR_NOT_FOUND, "unknown kind '%s' (tracks or artists)", kind);
        return;
    }
    if ((rc = request_json(req, &body)) != 0) {
        response_error(res, rc);
        return;
    }
    if (!(db = db_or_503(req, res)))
        goto done;
    rc = tag_service_put(db, req->arena, req->user_id, kind, request_param(req, "id"), body, &it,
                         &rep);
    if (rc != 0)
        response_error_report(res, rc, &rep);
    else
        answer(res, 200, &it);
done:
    json_decref(body);
    report_release(&rep);
}

void tag_handler_delete(struct request *req, struct response *res)
{
    struct db *db = db_or_503(req, res);
    int rc;

    if (!db)
        return;
    rc = tag_service_delete(db, req->user_id, request_param(req, "kind"), request_param(req, "id"));
    if (rc != 0)
        response_error(res, rc);
    else
        response_no_content(res);
}
