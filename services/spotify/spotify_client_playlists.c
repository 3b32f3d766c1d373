/* GET /me/playlists, one page (see spotify_client_playlists.h). */
#include "services/spotify/spotify_client_playlists.h"

#include <stdio.h>
#include <string.h>

#include "lib/app_err.h"
#include "services/spotify/spotify_client_internal.h"

static const char *dup_member(struct arena *a, const json_t *o, const char *key, int *oom)
{
    const char *s = json_string_value(json_object_get(o, key));
    char *d = s ? arena_strdup(a, s) : NULL;
    if (s && !d)
        *oom = 1;
    return d;
}

/* The entry count of a simplified playlist: "items" (development mode) or "tracks"
 * (extended mode), each {"href", "total"}. */
static long long tracks_total(const json_t *pl)
{
    const json_t *t = json_object_get(json_object_get(pl, "items"), "total");
    if (!json_is_integer(t))
        t = json_object_get(json_object_get(pl, "tracks"), "total");
    return json_is_integer(t) ? (long long)json_integer_value(t) : -1;
}

static int parse_page(struct spotify_client *c, const json_t *root, struct arena *a,
                      struct spotify_my_playlists *out)
{
    const json_t *items = json_object_get(root, "items");
    const json_t *pl;
    size_t i;
    int oom = 0;

    if (!json_is_array(items))
        return sc_fail(c, ERR_SPOTIFY, "Spotify answered GET /me/playlists without items");
    if (json_is_integer(json_object_get(root, "total")))
        out->total = (size_t)json_integer_value(json_object_get(root, "total"));
    out->items = arena_alloc(a, (json_array_size(items) + 1) * sizeof *out->items);
    if (!out->items)
        return sc_fail(c, ERR_NOMEM, "out of memory");
    json_array_foreach(items, i, pl)
    {
        struct spotify_my_playlist *p = &out->items[out->n];
        const json_t *owner = json_object_get(pl, "owner");
        memset(p, 0, sizeof *p);
        if (!(p->id = dup_member(a, pl, "id", &oom)))
            continue;
        p->name = dup_member(a, pl, "name", &oom);
        if (!p->name)
            p->name = "";
        p->owner_id = dup_member(a, owner, "id", &oom);
        p->owner_name = dup_member(a, owner, "display_name", &oom);
        p->tracks_total = tracks_total(pl);
        p->collaborative = json_is_true(json_object_get(pl, "collaborative"));
        p->is_public = json_is_true(json_object_get(pl, "public"));
        out->n++;
    }
    return oom ? sc_fail(c, ERR_NOMEM, "out of memory") : 0;
}

static int get_my_playlists(struct spotify_client *c, struct arena *a, size_t offset, int limit,
                            struct spotify_my_playlists *out)
{
    struct sc_req r;
    json_t *root = NULL;
    char q[64];
    int rc;

    memset(&r, 0, sizeof r);
    memset(out, 0, sizeof *out);
    if (limit < 1 || limit > SPOTIFY_MY_PLAYLISTS_PAGE)
        limit = SPOTIFY_MY_PLAYLISTS_PAGE;
    snprintf(q, sizeof q, "limit=%d&offset=%zu", limit, offset);
    if ((rc = sc_begin(c)) != 0)
        return rc;
    if (sc_req_init(c, &r, "GET", "GET /me/playlists", "/me/playlists", q, NULL, true) != 0) {
        rc = sc_fail(c, ERR_NOMEM, "out of memory");
        goto done;
    }
    if ((rc = sc_run(c, &r, 1)) != 0)
        goto done;
    root = r.resp.len ? json_loadb(r.resp.data, r.resp.len, 0, NULL) : NULL;
    if (!root) {
        rc = sc_fail(c, ERR_SPOTIFY, "Spotify answered GET /me/playlists with malformed JSON");
        goto done;
    }
    rc = parse_page(c, root, a, out);
done:
    json_decref(root);
    sc_req_release(&r);
    return rc;
}

int spotify_client_get_my_playlists(struct spotify_client *c, struct arena *a, size_t offset,
                                    int limit, struct spotify_my_playlists *out, struct report *rep)
{
    return sc_end(c, get_my_playlists(c, a, offset, limit, out), rep);
}
