/* /__admin/users/{id}/liked[/{track}]: a user's saved tracks (Liked Songs) for
 * tests. No limits and no scopes; never counted. Every call answers the list:
 * {"user", "total", "items": [{"id", "uri", "added_at"}]} newest first. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin_internal.h"
#include "generator.h"
#include "library.h"

static int liked_answer(const struct catalog *c, int user, struct buf *b)
{
    const struct emu_user *u = &c->users[user];
    return buf_append_str(b, "{\"user\":") || jw_str(b, u->id) ||
           buf_appendf(b, ",\"total\":%zu,\"items\":", u->nliked) || library_json(c, u, b) ||
           buf_append_str(b, "}");
}

/* PUT {"items": [...]} replaces the list; PUT {"size": N} generates one like
 * --liked USER:N (from the tracks there are: the catalogue only grows at start). */
static int liked_put(struct catalog *c, int user, json_t *b, struct emu_resp *res)
{
    char err[256];
    json_t *items = json_object_get(b, "items"), *size = json_object_get(b, "size");
    struct emu_saved *list = NULL;
    size_t n;
    if (!items == !size || (size && (!json_is_integer(size) || json_integer_value(size) < 0))) {
        resp_error(res, 400, "give either items (array) or size (integer >= 0)");
        return -1;
    }
    if (size) {
        if (generator_liked(c, user, (size_t)json_integer_value(size), false, err, sizeof err)) {
            resp_error(res, 400, err);
            return -1;
        }
        return 0;
    }
    if (library_parse(c, items, now_ms() / 1000, &list, &n, err, sizeof err) != 0) {
        resp_error(res, 400, err);
        return -1;
    }
    int rc = library_replace(&c->users[user], list, n);
    free(list);
    if (rc != 0)
        resp_error(res, 500, "out of memory");
    return rc;
}

/* POST {"id"|"uri", "added_at"?}: saves one (an already saved track moves). */
static int liked_post(struct catalog *c, int user, json_t *b, struct emu_resp *res)
{
    char err[256];
    struct emu_saved *one = NULL;
    size_t n = 0;
    json_t *items = json_pack("[O]", b);
    int rc = items ? library_parse(c, items, now_ms() / 1000, &one, &n, err, sizeof err) : -1;
    json_decref(items);
    if (rc != 0) {
        resp_error(res, items ? 400 : 500, items ? err : "out of memory");
        return -1;
    }
    rc = library_save(&c->users[user], one[0].track, one[0].added_at);
    free(one);
    if (rc != 0)
        resp_error(res, 500, "out of memory");
    return rc;
}

/* DELETE …/liked/{id or uri}: 404 when that track is not saved. */
static int liked_delete_one(struct catalog *c, int user, const char *ref, struct emu_resp *res)
{
    int32_t t;
    int r = library_track_ref(c, ref, strlen(ref), &t);
    if (r < 0) {
        resp_error(res, 400, "malformed track id");
        return -1;
    }
    if (r > 0 || !library_remove(&c->users[user], t)) {
        resp_error(res, 404, r > 0 ? "unknown track" : "track not saved");
        return -1;
    }
    return 0;
}

void admin_liked(struct emu_req *req, struct emu_resp *res, char **seg, int nseg)
{
    struct catalog *c = req->emu->cat;
    const char *m = req->method;
    bool write = strcmp(m, "GET") != 0;
    json_t *b = write && nseg == 3 ? admin_body(req, res) : NULL;
    int rc = 0;
    if (write && nseg == 3 && !b)
        return;
    if (write)
        pthread_rwlock_wrlock(&c->lock);
    else
        pthread_rwlock_rdlock(&c->lock);
    int user = catalog_user_find(c, seg[1]);
    if (user < 0) {
        resp_error(res, 404, "unknown user");
        goto done;
    }
    if (nseg == 3 && strcmp(m, "GET") == 0) {
        rc = 0;
    } else if (nseg == 3 && strcmp(m, "PUT") == 0) {
        rc = liked_put(c, user, b, res);
    } else if (nseg == 3 && strcmp(m, "POST") == 0) {
        rc = liked_post(c, user, b, res);
    } else if (nseg == 3 && strcmp(m, "DELETE") == 0) {
        if ((rc = library_replace(&c->users[user], NULL, 0)) != 0)
            resp_error(res, 500, "out of memory");
    } else if (nseg == 4 && strcmp(m, "DELETE") == 0) {
        rc = liked_delete_one(c, user, seg[3], res);
    } else {
        resp_error(res, 404, "unknown admin path");
        rc = -1;
    }
    if (rc == 0)
        resp_json(res, 200, liked_answer(c, user, &res->body));
done:
    pthread_rwlock_unlock(&c->lock);
    json_decref(b);
}
