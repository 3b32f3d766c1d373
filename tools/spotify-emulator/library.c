/* A user's saved tracks (Liked Songs): the ordered list, its JSON, and the list
 * format shared by the admin API and the catalogue file. See library.h. */
#include "library.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

long library_find(const struct emu_user *u, int32_t track)
{
    for (size_t i = 0; i < u->nliked; i++)
        if (u->liked[i].track == track)
            return (long)i;
    return -1;
}

static int reserve(struct emu_user *u, size_t n)
{
    if (n <= u->capliked)
        return 0;
    size_t ncap = u->capliked ? u->capliked : 64;
    while (ncap < n)
        ncap *= 2;
    struct emu_saved *nl = realloc(u->liked, ncap * sizeof *nl);
    if (!nl)
        return -1;
    u->liked = nl;
    u->capliked = ncap;
    return 0;
}

static void remove_at(struct emu_user *u, size_t pos)
{
    memmove(u->liked + pos, u->liked + pos + 1, (u->nliked - pos - 1) * sizeof *u->liked);
    u->nliked--;
}

int library_save(struct emu_user *u, int32_t track, int64_t added_at)
{
    if (reserve(u, u->nliked + 1) != 0)
        return -1;
    long old = library_find(u, track);
    if (old >= 0)
        remove_at(u, (size_t)old);
    /* Before the first entry that is not newer: a save goes above the saves
     * that share its added_at (the later save first). */
    size_t pos = 0;
    while (pos < u->nliked && u->liked[pos].added_at > added_at)
        pos++;
    memmove(u->liked + pos + 1, u->liked + pos, (u->nliked - pos) * sizeof *u->liked);
    u->liked[pos].track = track;
    u->liked[pos].added_at = added_at;
    u->nliked++;
    return 0;
}

bool library_remove(struct emu_user *u, int32_t track)
{
    long pos = library_find(u, track);
    if (pos < 0)
        return false;
    remove_at(u, (size_t)pos);
    return true;
}

struct keyed {
    struct emu_saved s;
    size_t given; /* position in the input: keeps the sort stable */
};

static int newest_first(const void *a, const void *b)
{
    const struct keyed *x = a, *y = b;
    if (x->s.added_at != y->s.added_at)
        return x->s.added_at > y->s.added_at ? -1 : 1;
    return x->given < y->given ? -1 : x->given > y->given;
}

int library_replace(struct emu_user *u, const struct emu_saved *items, size_t n)
{
    struct keyed *k = malloc((n + 1) * sizeof *k);
    struct emu_saved *list = malloc((n + 1) * sizeof *list);
    if (!k || !list) {
        free(k);
        free(list);
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        k[i].s = items[i];
        k[i].given = i;
    }
    qsort(k, n, sizeof *k, newest_first);
    for (size_t i = 0; i < n; i++)
        list[i] = k[i].s;
    free(k);
    free(u->liked);
    u->liked = list;
    u->nliked = n;
    u->capliked = n + 1;
    return 0;
}

int library_track_ref(const struct catalog *c, const char *s, size_t len, int32_t *out)
{
    static const char prefix[] = "spotify:track:";
    if (len >= sizeof prefix - 1 && strncmp(s, prefix, sizeof prefix - 1) == 0) {
        s += sizeof prefix - 1;
        len -= sizeof prefix - 1;
    }
    if (!is_base62_id(s, len))
        return -1;
    int i = strmap_getn(&c->track_map, s, len);
    if (i < 0)
        return 1;
    *out = i;
    return 0;
}

int library_parse(const struct catalog *c, json_t *items, int64_t newest, struct emu_saved **out,
                  size_t *n, char *err, size_t errsz)
{
    size_t i;
    json_t *it;
    struct emu_saved *list = NULL;
    bool *seen = NULL;
    *out = NULL;
    *n = 0;
    if (!json_is_array(items)) {
        snprintf(err, errsz, "items: an array of track ids, URIs or {id|uri, added_at}");
        return -1;
    }
    list = calloc(json_array_size(items) + 1, sizeof *list);
    seen = calloc(c->n_tracks + 1, sizeof *seen);
    if (!list || !seen) {
        snprintf(err, errsz, "out of memory");
        goto fail;
    }
    json_array_foreach(items, i, it)
    {
        const char *ref = json_string_value(it);
        const char *when = NULL;
        if (json_is_object(it)) {
            ref = json_string_value(json_object_get(it, "id"));
            if (!ref)
                ref = json_string_value(json_object_get(it, "uri"));
            when = json_string_value(json_object_get(it, "added_at"));
        }
        int32_t t = -1;
        int r = ref ? library_track_ref(c, ref, strlen(ref), &t) : -1;
        if (r != 0) {
            snprintf(err, errsz, "liked item %zu: %s track '%s'", i,
                     r > 0 ? "unknown" : "malformed", ref ? ref : "(none)");
            goto fail;
        }
        if (seen[t]) {
            snprintf(err, errsz, "liked item %zu: track '%s' given twice", i, ref);
            goto fail;
        }
        seen[t] = true;
        list[i].track = t;
        list[i].added_at = newest - (int64_t)i;
        if (when && parse_iso8601(when, &list[i].added_at) != 0) {
            snprintf(err, errsz, "liked item %zu: bad added_at '%s'", i, when);
            goto fail;
        }
    }
    free(seen);
    *out = list;
    *n = json_array_size(items);
    return 0;
fail:
    free(list);
    free(seen);
    return -1;
}

int library_json(const struct catalog *c, const struct emu_user *u, struct buf *b)
{
    char when[21];
    int rc = buf_append_str(b, "[");
    for (size_t i = 0; i < u->nliked && rc == 0; i++) {
        const char *id = c->tracks[u->liked[i].track].id; /* base62: no escaping needed */
        iso8601(u->liked[i].added_at, when);
        rc = buf_appendf(b, "%s{\"id\":\"%s\",\"uri\":\"spotify:track:%s\",\"added_at\":\"%s\"}",
                        i ? "," : "", id, id, when);
    }
    return rc || buf_append_str(b, "]");
}

struct saved_ctx {
    const struct emu_user *u;
    int mode;
};

/* SavedTrackObject: {"added_at", "track"} (the OpenAPI file's order). */
static int saved_item(const struct catalog *c, const void *ctx, size_t i, struct buf *b)
{
    const struct saved_ctx *s = ctx;
    const struct emu_saved *e = &s->u->liked[i];
    const struct emu_track *t = &c->tracks[e->track];
    char when[21];
    iso8601(e->added_at, when);
    if (buf_reserve(b, t->json_len[s->mode] + 48) != 0 || buf_append(b, "{\"added_at\":\"", 13) ||
        buf_append(b, when, 20) || buf_append(b, "\",\"track\":", 10) ||
        buf_append(b, t->json[s->mode], t->json_len[s->mode]))
        return -1;
    return buf_append(b, "}", 1);
}

int library_render_page(const struct catalog *c, const struct emu_user *u, int mode, size_t offset,
                        size_t limit, struct buf *b)
{
    const struct page pg = {"/v1/me/tracks", "", offset, limit, limit, u->nliked};
    const struct saved_ctx ctx = {u, mode};
    return render_page(c, &pg, saved_item, &ctx, b);
}
