#ifndef PLAYROUTER_CHILD_PLAYLIST_REPO_H
#define PLAYROUTER_CHILD_PLAYLIST_REPO_H
/* Rows of child_playlists. Every query has user_id in its WHERE clause, so another
 * user's id is simply not found (ERR_NOT_FOUND).
 *
 * Positions: within a base the positions are 0..n-1, dense and unique. The writes
 * below keep them so, each in ONE transaction (BEGIN IMMEDIATE): an insert shifts the
 * children at and after its position up by one, a move shifts the children between
 * the old and the new position, a delete closes the gap. A child whose position is
 * shifted that way changes its representation, so its version grows by 1 (and its
 * `updated` is set) like any other change.
 *
 * Strings of a struct filled by a find/list live in the arena passed in. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/arena.h"
#include "domain/child_playlist.h"

struct db;

/* The child `id` of `user_id`. 0, ERR_NOT_FOUND, ERR_NOMEM or ERR_INTERNAL. */
int child_playlist_repo_find(struct db *db, struct arena *a, const char *user_id, const char *id,
                             struct child_playlist *out);

/* The children of base `base_id` of `user_id`, ordered by position, into *out (an
 * arena array of *n entries; NULL when none). An unknown base simply has none.
 * 0, ERR_NOMEM or ERR_INTERNAL. */
int child_playlist_repo_list_by_base(struct db *db, struct arena *a, const char *user_id,
                                     const char *base_id, struct child_playlist **out, size_t *n);

/* The child of `user_id` (of any base) whose Spotify playlist is `spotify_playlist_id`.
 * 0, ERR_NOT_FOUND, ERR_NOMEM or ERR_INTERNAL. */
int child_playlist_repo_find_by_spotify_id(struct db *db, struct arena *a, const char *user_id,
                                           const char *spotify_playlist_id,
                                           struct child_playlist *out);

/* The base id of child `id` of `user_id` into out (ID buffer of `outlen` bytes).
 * 0, ERR_NOT_FOUND or ERR_INTERNAL (also when it does not fit). */
int child_playlist_repo_base_id(struct db *db, const char *user_id, const char *id, char *out,
                                size_t outlen);

/* Inserts *cp (every field; version as given, normally 1) at cp->position, clamped
 * to 0..count, shifting the children at and after it. One transaction.
 * *position_out (may be NULL) receives the position actually used.
 * 0; ERR_NOT_FOUND (the base is not the user's); ERR_CONFLICT (a constraint: second
 * catch-all, a Spotify playlist already used by a child of the user, duplicate id);
 * ERR_INTERNAL. Nothing is written on failure. */
int child_playlist_repo_insert(struct db *db, const struct child_playlist *cp,
                               int64_t *position_out);

/* Compare-and-set of every editable field of child (cp->id, cp->user_id): name,
 * spotify_playlist_id, filter, sort, limit, position, catch_all, pinned and banned ids,
 * and `updated`; done only while its version is `expected_version`, which then becomes
 * expected_version + 1. A changed position (clamped to 0..count-1) moves the child and
 * shifts the siblings in between. One transaction.
 * 0; ERR_NOT_FOUND; ERR_VERSION_MISMATCH; ERR_CONFLICT (a constraint); ERR_INTERNAL. */
int child_playlist_repo_update(struct db *db, const struct child_playlist *cp,
                               int64_t expected_version);

/* Deletes the child (with expected_version > 0 only while its version matches) and
 * closes the gap in the positions of its siblings. One transaction.
 * 0, ERR_NOT_FOUND, ERR_VERSION_MISMATCH or ERR_INTERNAL. */
int child_playlist_repo_delete(struct db *db, const char *user_id, const char *id,
                               int64_t expected_version);

/* One item of a replace: an update of existing child item.cp.id (create = false) or
 * the creation of a new one (create = true; cp.id is the new id). */
struct child_playlist_put {
    struct child_playlist cp; /* user_id and base_playlist_id are the replace's */
    bool create;
    int64_t expected_version; /* > 0: compare-and-set on that version (updates only) */
};

/* Replaces the whole set of children of base `base_id` with items[0..n), in ONE
 * transaction: all or nothing. Children of the base that no item names are deleted;
 * an update item changes its child only if some field differs (then version + 1 and
 * `updated` = item's cp.updated; an identical item keeps its version); a create item
 * is inserted. Positions are taken from the items as given (the caller makes them
 * 0..n-1). Order inside the transaction: deletes, then updates and creates that are not
 * the catch-all, then the catch-all, so moving the catch-all flag or a Spotify playlist
 * from one child to another within the set never trips a unique index half-way.
 * Returns 0; ERR_NOT_FOUND (the base is not the user's); and, with *bad_index (may be
 * NULL) set to the item's index: ERR_VALIDATION (an update item whose id is not a
 * child of this base), ERR_VERSION_MISMATCH (its version is not expected_version),
 * ERR_CONFLICT (a constraint failed on that item); ERR_INTERNAL. On any failure the
 * previous set is left exactly as it was. */
int child_playlist_repo_replace_all(struct db *db, const char *user_id, const char *base_id,
                                    const struct child_playlist_put *items, size_t n,
                                    size_t *bad_index);

#endif
