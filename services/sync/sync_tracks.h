#ifndef PLAYROUTER_SYNC_TRACKS_H
#define PLAYROUTER_SYNC_TRACKS_H
/* From a base playlist's entries to the filterable tracks of a sync or preview
 * (API.md "Sync"): local files, podcast episodes and unavailable entries (no track)
 * are left out, and a track that appears several times is kept once, at its first
 * entry. Pure: no I/O. */
#include <stdbool.h>
#include <stddef.h>

#include "lib/arena.h"
#include "lib/hash.h"
#include "services/spotify/spotify_parse.h"
#include "domain/track.h"

struct sync_tracks {
    struct track *tracks; /* n entries, base order; shallow copies of the items' tracks
                           * (strings borrowed from the items); base_index = entry index */
    size_t n;
    size_t n_local;       /* local files left out */
    size_t n_episodes;    /* podcast episodes left out */
    size_t n_unavailable; /* entries without a track (or without a track id/uri) */
    size_t n_duplicates;  /* later entries of a track already kept */
};

/* Builds *out from items[0..n_items); the array lives in arena `a`.
 * 0 or ERR_NOMEM. */
int sync_tracks_build(struct arena *a, const struct spotify_item *items, size_t n_items,
                      struct sync_tracks *out);

/* tracks_skipped of a SyncEvent: every entry left out. */
size_t sync_tracks_skipped(const struct sync_tracks *t);

/* How the base holds `id_or_uri` (a track id, a "spotify:track:<id>" uri or any other
 * entry uri such as "spotify:local:..."): the kind of its first entry, or -1 when no
 * entry matches. For preview's explain (local files answer `skipped_local`). */
int sync_tracks_find_kind(const struct spotify_item *items, size_t n_items, const char *id_or_uri);

/* A set of borrowed strings for de-duplication (lib/hash.h, in an arena). */
struct sync_strset {
    struct hash set;
};

/* Room for up to n strings. 0 or ERR_NOMEM. */
int sync_strset_init(struct sync_strset *s, struct arena *a, size_t n);
/* Adds str (borrowed; must outlive the set): true when it was not there yet. At most the
 * n of sync_strset_init() strings may be added. */
bool sync_strset_add(struct sync_strset *s, const char *str);
/* True when str is in the set. */
bool sync_strset_has(const struct sync_strset *s, const char *str);

#endif
