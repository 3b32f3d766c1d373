#ifndef PLAYROUTER_PREVIEW_SERVICE_H
#define PLAYROUTER_PREVIEW_SERVICE_H
/* POST /api/base-playlists/{id}/preview: what a sync would write, writing nothing
 * (API.md "Sync", "Semantics in detail -> Sync"). Each child's target (track ids in
 * playlist order) and the difference to its current contents on Spotify; with
 * `explain`, why one track is or is not in each child. Costs: one request for the
 * snapshot ids of the base and of the children we know; the base from the stored base
 * when its snapshot has not moved (else read whole, and stored); the metadata the
 * rules need (stored, or cache first); the children whose snapshot is the one the last
 * sync wrote from the database, the others read. An unchanged base with unchanged
 * children: that one request. */
#include <stdbool.h>
#include <stddef.h>

#include "lib/arena.h"
#include "lib/buf.h"
#include "lib/cancel.h"
#include "lib/report.h"

struct app;
struct db;

struct preview_child {
    const char *child_playlist_id;
    const char *name; /* the child's name */
    const char *const *track_ids; /* the target, in order */
    size_t n_track_ids;
    const char *const *add; /* target ids the playlist lacks */
    size_t n_add;
    const char *const *remove; /* ids (or uris, for entries that are not tracks) it holds
                                * that the target lacks */
    size_t n_remove;
    bool has_explain;
    bool matched;
    const char *reason;
    const char *path; /* JSON Pointer into the child's filter, or NULL */
    int field;        /* the field the deciding comparison compared, or -1 */
    const struct track *track; /* the explained track, or NULL (not in the base) */
};

struct preview_result {
    struct preview_child *children; /* by position */
    size_t n_children;
    /* The base's tracks whose ids the answer names, each once, in base order: every
     * child's track_ids (add is part of them), the ids of remove that are base tracks,
     * and the explained track when it is one. Borrowed from the evaluation (arena). A
     * remove id that is no base track (held by the child's playlist alone, a local file,
     * an episode) has none: a preview reads no more than the base (the answer's
     * `tracks` map, docs/API.md extensions). */
    const struct track *const *tracks;
    size_t n_tracks;
};

/* Computes the preview of base `base_id` of `user_id` (arena `a`). explain_id (NULL =
 * none): a track id or uri to explain; a local file of the base answers
 * `skipped_local` (an episode `skipped_episode`), an id the base lacks `not_in_base`.
 * rep's message says why a failure happened. 0; ERR_NOT_FOUND (base); ERR_VALIDATION (a
 * stored child no longer compiles, or two catch-alls); ERR_SPOTIFY, ERR_SPOTIFY_REAUTH,
 * ERR_RATE_LIMITED; ERR_METADATA_UNAVAILABLE (MusicBrainz could not be reached and a value
 * the rules need is not known: API.md's 502 metadata_unavailable); ERR_NOMEM;
 * ERR_INTERNAL; ERR_UNAVAILABLE when `cancel` (NULL = never) asked to stop: it is asked
 * between the steps (base read, metadata, each MusicBrainz request, every
 * TARGET_CANCEL_EVERY tracks of the evaluation, each child's read). */
int preview_service_run(struct app *app, struct db *db, struct arena *a, const char *user_id,
                        const char *base_id, const char *explain_id, const struct cancel *cancel,
                        struct preview_result *out, struct report *rep);

#endif
