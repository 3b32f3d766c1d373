/* Writes: create a playlist, and make a playlist hold a target list (write_plan.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/app_err.h"
#include "lib/json_text.h"
#include "lib/log.h"
#include "services/spotify/spotify_client.h"
#include "services/spotify/spotify_client_internal.h"
#include "services/spotify/write_plan.h"

#define MAX_REPLANS 2

static int create_playlist(struct spotify_client *c, const char *name, bool is_public,
                           const char *description, char **out_id)
{
    struct sc_req r;
    json_t *body = NULL, *root = NULL;
    char *text = NULL;
    int rc;

    memset(&r, 0, sizeof(r));
    *out_id = NULL;
    if (!name || !*name)
        return sc_fail(c, ERR_VALIDATION, "a playlist needs a name");
    if ((rc = sc_begin(c)) != 0)
        return rc;
    body = json_pack("{s:s, s:b}", "name", name, "public", is_public);
    if (body && description && json_object_set_new(body, "description", json_string(description)))
        goto oom;
    if (!body || !(text = json_text_dump(body, JSON_COMPACT)))
        goto oom;
    /* POST creates: never sent twice after a 5xx or a timeout (the playlist may exist). */
    if (sc_req_init(c, &r, "POST", "POST /me/playlists", c->api->create_path, NULL, text,
                    false) != 0)
        goto oom;
    if ((rc = sc_run(c, &r, 1)) != 0)
        goto done;
    root = r.resp.len ? json_text_loadb(r.resp.data, r.resp.len, 0, NULL) : NULL;
    const char *id = json_string_value(json_object_get(root, "id"));
    if (!id || !*id) {
        rc = sc_fail(c, ERR_SPOTIFY, "Spotify did not say which playlist it created");
        goto done;
    }
    if (!(*out_id = strdup(id)))
        goto oom;
    rc = 0;
    goto done;
oom:
    rc = sc_fail(c, ERR_NOMEM, "out of memory");
done:
    json_decref(body);
    json_decref(root);
    free(text);
    sc_req_release(&r);
    return rc;
}

/* The request of one planned operation. */
static int op_request(struct spotify_client *c, const char *path, const struct write_op *op,
                      struct sc_req *r)
{
    const struct spotify_api *api = c->api;
    json_t *body = NULL, *arr = NULL;
    char *text = NULL;
    int rc = ERR_NOMEM;
    const char *method = "PUT", *endpoint = api->ep_items_update;
    bool idempotent = true;

    if (op->kind != WRITE_OP_REORDER && !(arr = json_array()))
        goto done;
    for (size_t i = 0; arr && i < op->n_uris; i++) {
        json_t *v = op->kind == WRITE_OP_REMOVE ? json_pack("{s:s}", "uri", op->uris[i])
                                                : json_string(op->uris[i]);
        if (!v || json_array_append_new(arr, v) != 0)
            goto done;
    }
    switch (op->kind) {
    case WRITE_OP_REPLACE: /* PUT uris: the same result however often it is sent */
        body = json_pack("{s:O}", "uris", arr);
        break;
    case WRITE_OP_ADD: /* POST inserts again each time: not idempotent */
        body = json_pack("{s:O, s:I}", "uris", arr, "position", (json_int_t)op->position);
        method = "POST";
        endpoint = api->ep_items_add;
        idempotent = false;
        break;
    case WRITE_OP_REMOVE: /* removes every occurrence: idempotent */
        body = json_pack("{s:O}", api->delete_key, arr);
        method = "DELETE";
        endpoint = api->ep_items_remove;
        break;
    case WRITE_OP_REORDER: /* moving twice moves further: not idempotent */
        body = json_pack("{s:I, s:I, s:I}", "range_start", (json_int_t)op->range_start,
                         "insert_before", (json_int_t)op->insert_before, "range_length",
                         (json_int_t)op->range_length);
        idempotent = false;
        break;
    }
    if (!body || !(text = json_text_dump(body, JSON_COMPACT)))
        goto done;
    rc = sc_req_init(c, r, method, endpoint, path, NULL, text, idempotent);
done:
    json_decref(arr);
    json_decref(body);
    free(text);
    return rc;
}

/* Keeps the snapshot_id of a write's answer ({"snapshot_id": "..."}) in out; "" when
 * the answer has none we can keep. */
static void note_snapshot(const struct sc_req *r, char out[SPOTIFY_SNAPSHOT_ID_MAX])
{
    json_t *root = r->resp.len ? json_loadb(r->resp.data, r->resp.len, 0, NULL) : NULL;
    const char *snap = json_string_value(json_object_get(root, "snapshot_id"));
    if (!snap || snprintf(out, SPOTIFY_SNAPSHOT_ID_MAX, "%s", snap) >= SPOTIFY_SNAPSHOT_ID_MAX)
        out[0] = '\0';
    json_decref(root);
}

/* Re-reads the playlist (uris only) into *uris (caller frees with free(); strings in
 * arena a; NULL for entries without uri), and its snapshot id into snap ("" when
 * unknown): what a plan of no write leaves in place. */
static int reread_uris(struct spotify_client *c, struct arena *a, const char *playlist_id,
                       const char ***uris, size_t *n, char snap[SPOTIFY_SNAPSHOT_ID_MAX])
{
    struct spotify_playlist pl;
    int rc = spotify_client_get_playlist(c, a, playlist_id, true, &pl, NULL);
    *uris = NULL;
    *n = 0;
    snap[0] = '\0';
    if (rc != 0)
        return rc;
    if (pl.info.snapshot_id &&
        snprintf(snap, SPOTIFY_SNAPSHOT_ID_MAX, "%s", pl.info.snapshot_id) >= SPOTIFY_SNAPSHOT_ID_MAX)
        snap[0] = '\0';
    const char **u = malloc((pl.n_items ? pl.n_items : 1) * sizeof(*u));
    if (!u)
        return sc_fail(c, ERR_NOMEM, "out of memory");
    for (size_t i = 0; i < pl.n_items; i++)
        u[i] = pl.items[i].uri;
    *uris = u;
    *n = pl.n_items;
    return 0;
}

static int apply_target(struct spotify_client *c, const char *playlist_id,
                        const char *const *current, size_t n_current, const char *const *target,
                        size_t n_target, struct spotify_apply_result *res)
{
    struct write_plan plan = WRITE_PLAN_INIT;
    struct spotify_apply_result out = {0};
    struct buf path = BUF_INIT;
    struct arena *ra = NULL;
    const char **fresh = NULL;
    size_t n_fresh = 0;
    int rc;

    report_release(&c->err);
    if (!playlist_id || !*playlist_id)
        return sc_fail(c, ERR_NOT_FOUND, "no Spotify playlist id");
    if ((rc = write_plan_build(current, n_current, target, n_target, &plan)) != 0) {
        rc = sc_fail(c, rc,
                     rc == ERR_NOMEM ? "out of memory planning playlist writes"
                                     : "target list holds duplicate or empty uris");
        goto done;
    }
    out.added = plan.added;
    out.removed = plan.removed;
    if (plan.n_ops == 0)
        goto done; /* already the target: not one request */
    if ((rc = sc_begin(c)) != 0)
        goto done;
    if (sc_playlist_path(&path, playlist_id, c->api->items_segment) != 0) {
        rc = sc_fail(c, ERR_NOMEM, "out of memory");
        goto done;
    }
    for (;;) {
        bool replan = false;
        for (size_t i = 0; i < plan.n_ops; i++) {
            struct sc_req r;
            memset(&r, 0, sizeof(r));
            if (op_request(c, path.data, &plan.ops[i], &r) != 0) {
                rc = sc_fail(c, ERR_NOMEM, "out of memory");
                goto done;
            }
            rc = sc_run(c, &r, 1);
            out.calls++;
            if (rc == 0)
                note_snapshot(&r, out.snapshot_id);
            bool uncertain = r.uncertain;
            sc_req_release(&r);
            if (rc == 0)
                continue;
            if (!uncertain || out.replans >= MAX_REPLANS)
                goto done;
            replan = true; /* the add or move may have happened: look before going on */
            break;
        }
        if (!replan)
            break;
        out.replans++;
        log_warn("spotify write outcome unknown (%s); re-reading the playlist to plan again",
                 report_text(&c->err));
        arena_free(ra);
        free(fresh);
        fresh = NULL;
        if (!(ra = arena_new())) {
            rc = sc_fail(c, ERR_NOMEM, "out of memory");
            goto done;
        }
        if ((rc = reread_uris(c, ra, playlist_id, &fresh, &n_fresh, out.snapshot_id)) != 0)
            goto done;
        if ((rc = write_plan_build(fresh, n_fresh, target, n_target, &plan)) != 0) {
            rc = sc_fail(c, rc, "out of memory planning playlist writes");
            goto done;
        }
    }
    rc = 0;
    report_release(&c->err);
done:
    if (res)
        *res = out;
    write_plan_release(&plan);
    free(fresh);
    arena_free(ra);
    buf_release(&path);
    return rc;
}

int spotify_client_create_playlist(struct spotify_client *c, const char *name, bool is_public,
                                   const char *description, char **out_id, struct report *rep)
{
    return sc_end(c, create_playlist(c, name, is_public, description, out_id), rep);
}

int spotify_client_apply_target(struct spotify_client *c, const char *playlist_id,
                                const char *const *current, size_t n_current,
                                const char *const *target, size_t n_target,
                                struct spotify_apply_result *res, struct report *rep)
{
    return sc_end(c, apply_target(c, playlist_id, current, n_current, target, n_target, res), rep);
}
