/* Filterable tracks: skip what cannot be routed, keep each track once. */
#include "services/sync/sync_tracks.h"

#include <stdint.h>
#include <string.h>

#include "lib/app_err.h"

int sync_strset_init(struct sync_strset *s, struct arena *a, size_t n)
{
    return hash_init(&s->set, n, 0, a);
}

bool sync_strset_add(struct sync_strset *s, const char *str)
{
    bool created = false;
    /* Sized for every string at init: the insert never allocates, so never fails. */
    hash_insert(&s->set, str, strlen(str), &created);
    return created;
}

bool sync_strset_has(const struct sync_strset *s, const char *str)
{
    return hash_find(&s->set, str, strlen(str)) != NULL;
}

int sync_tracks_build(struct arena *a, const struct spotify_item *items, size_t n_items,
                      struct sync_tracks *out)
{
    struct sync_strset seen;
    memset(out, 0, sizeof *out);
    if (n_items == 0)
        return 0;
    out->tracks = arena_alloc(a, n_items * sizeof *out->tracks);
    if (!out->tracks || sync_strset_init(&seen, a, n_items) != 0)
        return ERR_NOMEM;

    for (size_t i = 0; i < n_items; i++) {
        const struct spotify_item *it = &items[i];
        switch (it->kind) {
        case SPOTIFY_ITEM_LOCAL:
            out->n_local++;
            continue;
        case SPOTIFY_ITEM_EPISODE:
            out->n_episodes++;
            continue;
        case SPOTIFY_ITEM_TRACK:
            break;
        default:
            out->n_unavailable++;
            continue;
        }
        const char *id = it->track.id;
        if (!id || !*id || !it->track.uri) {
            out->n_unavailable++;
            continue;
        }
        if (!sync_strset_add(&seen, id)) {
            out->n_duplicates++;
            continue;
        }
        struct track *t = &out->tracks[out->n++];
        *t = it->track;
        t->base_index = i;
    }
    return 0;
}

size_t sync_tracks_skipped(const struct sync_tracks *t)
{
    return t->n_local + t->n_episodes + t->n_unavailable + t->n_duplicates;
}

int sync_tracks_find_kind(const struct spotify_item *items, size_t n_items, const char *id_or_uri)
{
    for (size_t i = 0; i < n_items; i++) {
        const struct spotify_item *it = &items[i];
        if ((it->uri && strcmp(it->uri, id_or_uri) == 0) ||
            (it->track.id && strcmp(it->track.id, id_or_uri) == 0))
            return (int)it->kind;
    }
    return -1;
}
