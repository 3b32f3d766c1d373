#ifndef PLAYROUTER_CHILD_PLAYLIST_SERVICE_H
#define PLAYROUTER_CHILD_PLAYLIST_SERVICE_H
/* Child playlists (API.md "Child playlists", "Semantics in detail"): validation of
 * bodies (the rule, sort, limit, catch_all, pins and bans through target.h's
 * target_child_compile_object, in the mode of cfg->spotify_mode), Spotify playlist
 * checks and creation, positions, versions, and the all-or-nothing replace.
 * The conventions (user scoping, arenas, `rep`, `if_match`) are those of
 * base_playlist_service.h; docs/playlists.md lists every decision.
 *
 * Spotify playlist ids: a child may not use its base's Spotify playlist, nor one
 * that another child of the same user (of any base) uses: 400 at the id's path.
 * A child created without spotify_playlist_id gets a new private playlist on the
 * user's Spotify account, named after the child, before anything is written. */
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "repositories/child_playlist_repo.h"
#include "lib/arena.h"
#include "services/playlists/base_playlist_service.h"

struct app;
struct db;

/* The children of base `base_id`, ordered by position.
 * 0; ERR_NOT_FOUND (the base is not the user's); ERR_NOMEM; ERR_INTERNAL. */
int child_playlist_service_list(struct db *db, struct arena *a, const char *user_id,
                                const char *base_id, struct child_playlist **items, size_t *n);

/* The child `id`. 0, ERR_NOT_FOUND, ERR_NOMEM, ERR_INTERNAL. */
int child_playlist_service_get(struct db *db, struct arena *a, const char *user_id, const char *id,
                               struct child_playlist *out);

/* POST: a new child of base `base_id` from `body` (every ChildPlaylist field but id,
 * base_playlist_id, version and the timestamps; name and filter required). Without
 * `position` it goes after the last child; with one (0..count) it is inserted there
 * and the children from that position on move one down.
 * 0 and *out; ERR_NOT_FOUND (base); ERR_VALIDATION; ERR_CONFLICT (a concurrent write
 * took the catch-all or the Spotify playlist); Spotify errors; ERR_NOMEM; ERR_INTERNAL. */
int child_playlist_service_create(struct app *app, struct db *db, struct arena *a,
                                  const char *user_id, const char *base_id, const json_t *body,
                                  struct child_playlist *out, struct report *rep);

/* PUT: replaces the whole set of children of base `base_id` by body {"items": [...]}
 * in one transaction. Every item is validated first (details at /items/N/...); then
 * the Spotify checks and creations; then one transaction. *items / *n: the new set,
 * ordered by position. 0; ERR_NOT_FOUND (base); ERR_VALIDATION; ERR_VERSION_MISMATCH
 * (an item's `version` is stale); ERR_CONFLICT; Spotify errors; ERR_NOMEM; ERR_INTERNAL.
 * On any failure the previous set is unchanged. */
int child_playlist_service_replace(struct app *app, struct db *db, struct arena *a,
                                   const char *user_id, const char *base_id, const json_t *body,
                                   struct child_playlist **items, size_t *n,
                                   struct report *rep);

/* PATCH: the members present replace the stored ones (null clears sort and limit);
 * the result must be a valid child. A body that changes nothing keeps the version.
 * 0 and *out; ERR_NOT_FOUND; ERR_VALIDATION; ERR_VERSION_MISMATCH; ERR_CONFLICT;
 * Spotify errors (only when spotify_playlist_id changes); ERR_NOMEM; ERR_INTERNAL. */
int child_playlist_service_update(struct app *app, struct db *db, struct arena *a,
                                  const char *user_id, const char *id, const json_t *body,
                                  int64_t if_match, struct child_playlist *out,
                                  struct report *rep);

/* DELETE: the child goes, its siblings close the gap; its Spotify playlist stays.
 * 0, ERR_NOT_FOUND, ERR_VERSION_MISMATCH, ERR_INTERNAL. */
int child_playlist_service_delete(struct db *db, const char *user_id, const char *id,
                                  int64_t if_match);

#endif
