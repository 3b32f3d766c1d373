#ifndef PLAYROUTER_BASE_PLAYLIST_REPO_H
#define PLAYROUTER_BASE_PLAYLIST_REPO_H
/* Rows of base_playlists. Every query has user_id in its WHERE clause, so another
 * user's id is simply not found (ERR_NOT_FOUND), never "forbidden".
 * Strings of a struct filled by a find/list live in the arena passed in. */
#include <stddef.h>
#include <stdint.h>

#include "lib/arena.h"
#include "domain/base_playlist.h"

struct db;

/* The base `id` of `user_id`. 0, ERR_NOT_FOUND, ERR_NOMEM or ERR_INTERNAL. */
int base_playlist_repo_find(struct db *db, struct arena *a, const char *user_id, const char *id,
                            struct base_playlist *out);

/* The base of `user_id` on Spotify playlist `spotify_playlist_id`.
 * 0, ERR_NOT_FOUND, ERR_NOMEM or ERR_INTERNAL. */
int base_playlist_repo_find_by_spotify_id(struct db *db, struct arena *a, const char *user_id,
                                          const char *spotify_playlist_id,
                                          struct base_playlist *out);

/* The user's Liked Songs base (at most one). 0, ERR_NOT_FOUND, ERR_NOMEM, ERR_INTERNAL. */
int base_playlist_repo_find_liked(struct db *db, struct arena *a, const char *user_id,
                                  struct base_playlist *out);

/* One page of the user's bases ordered by (created, id), starting strictly after
 * (after_created, after_id) when after_id is not NULL. At most `limit` rows go to
 * *out (an arena array, *n entries); *more is set when further rows exist.
 * 0, ERR_NOMEM or ERR_INTERNAL. */
int base_playlist_repo_list(struct db *db, struct arena *a, const char *user_id,
                            const char *after_created, const char *after_id, int limit,
                            struct base_playlist **out, size_t *n, int *more);

/* Inserts every field of *bp (version as given, normally 1). A Liked Songs base
 * (base_playlist_is_liked()) has spotify_playlist_id NULL; any other source is stored
 * as "playlist". 0; ERR_CONFLICT when the user already has a base on that Spotify
 * playlist, or a Liked Songs base (or the id exists, or the user does not);
 * ERR_INTERNAL. */
int base_playlist_repo_insert(struct db *db, const struct base_playlist *bp);

/* Compare-and-set of the editable fields (name, routing, auto_sync_minutes) and
 * `updated` of row (bp->id, bp->user_id): done only while its version is still
 * `expected_version`, and the version then becomes expected_version + 1.
 * 0; ERR_NOT_FOUND (no such row for the user); ERR_VERSION_MISMATCH (the row exists
 * with another version); ERR_INTERNAL. */
int base_playlist_repo_update(struct db *db, const struct base_playlist *bp,
                              int64_t expected_version);

/* Deletes the base (its children and sync events go by ON DELETE CASCADE). With
 * expected_version > 0 only while the version still matches.
 * 0, ERR_NOT_FOUND, ERR_VERSION_MISMATCH or ERR_INTERNAL. */
int base_playlist_repo_delete(struct db *db, const char *user_id, const char *id,
                              int64_t expected_version);

#endif
