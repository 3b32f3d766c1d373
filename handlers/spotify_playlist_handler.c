/* GET /api/spotify/playlists (see the header). */
#include "handlers/spotify_playlist_handler.h"
#include "middleware/request_db.h"

#include "lib/app_err.h"
#include "services/playlists/spotify_library_service.h"

static json_t *entry_json(const struct spotify_library_entry *e)
{
    const struct spotify_my_playlist *p = &e->playlist;
    json_t *used = e->used_kind ? json_pack("{s:s, s:s}", "kind", e->used_kind, "id", e->used_id)
                                : json_null();
    json_t *total = p->tracks_total >= 0 ? json_integer(p->tracks_total) : json_null();
    return json_pack("{s:s, s:s, s:s?, s:s?, s:o, s:b, s:b, s:o}", "spotify_playlist_id", p->id,
                     "name", p->name, "owner_id", p->owner_id, "owner_name", p->owner_name,
                     "tracks_total", total, "collaborative", p->collaborative, "public",
                     p->is_public, "used_by", used);
}

void spotify_playlist_handler_list(struct request *req, struct response *res)
{
    struct spotify_library_entry *items = NULL;
    const char *next = NULL;
    struct report rep = {0};
    size_t n = 0;
    struct db *db = request_db_or_503(req, res);
    json_t *arr = NULL;

    if (!db)
        return;
    int rc = spotify_library_service_page(req->app, db, req->arena, req->user_id,
                                          request_query(req, "cursor"), &items, &n, &next, &rep);
    if (rc == ERR_VALIDATION) {
        response_error_full(
            res, rc, "cursor: not a cursor this server gave",
            json_pack("[{s:s, s:s}]", "path", "cursor", "message", "not a cursor this server gave"),
            NULL);
        goto done;
    }
    if (rc != 0) {
        response_error_report(res, rc, &rep); /* with Spotify's reason when there is one */
        goto done;
    }
    arr = json_array();
    for (size_t i = 0; arr && i < n; i++) {
        if (json_array_append_new(arr, entry_json(&items[i])) != 0) {
            json_decref(arr);
            arr = NULL;
        }
    }
    json_t *body = arr ? json_pack("{s:o, s:s?}", "items", arr, "next_cursor", next) : NULL;
    if (!body) {
        response_error(res, ERR_NOMEM);
        goto done;
    }
    response_json(res, 200, body);
done:
    report_release(&rep);
}
