#ifndef PLAYROUTER_BASE_PLAYLIST_SERVICE_H
#define PLAYROUTER_BASE_PLAYLIST_SERVICE_H
/* Folder services/playlists/: base and child playlists as resources: validation of request
 * bodies with JSON-path details, the Spotify checks (readable base, a new private
 * playlist for a child), versions and If-Match, pagination, and the all-or-nothing
 * PUT of a base's children (child_playlist_replace.c). */

/* Base playlists (API.md "Base playlists", "Semantics in detail -> Resources"):
 * validation of request bodies, the Spotify checks, versions and pagination.
 * docs/playlists.md lists every decision the contract leaves open.
 *
 * Common to every function here and in child_playlist_service.h:
 * - `user_id` scopes everything: another user's id is ERR_NOT_FOUND.
 * - Strings of returned structs live in arena `a`.
 * - `rep` (required, zero-initialised: struct report rep = {0}) receives what
 *   the handler needs to answer an error: on ERR_VALIDATION one {"path": JSON Pointer,
 *   "message"} per problem in rep->details (the services also read it to know whether
 *   a problem was found), and for other errors an optional message. The caller
 *   releases it with report_release().
 * - if_match is the parsed If-Match header: PLAYLIST_IF_MATCH_NONE when absent or "*",
 *   PLAYLIST_IF_MATCH_NEVER when it names no valid version (it then never matches),
 *   else the version asked for. A stale one is ERR_VERSION_MISMATCH.
 * - No database transaction is ever held across a Spotify request: Spotify is asked
 *   first, then the database is written. */
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "repositories/base_playlist_repo.h"
#include "domain/version.h"
#include "lib/arena.h"
#include "lib/report.h"

struct app;
struct db;
struct spotify_client;


#define BASE_PLAYLIST_LIST_DEFAULT 50
#define BASE_PLAYLIST_LIST_MAX 200
#define PLAYLIST_NAME_MAX 100         /* characters (code points) of a name */
#define BASE_PLAYLIST_AUTO_SYNC_MIN 1 /* auto_sync_minutes: 0 (off) or MIN..MAX (API.md) */
#define BASE_PLAYLIST_AUTO_SYNC_MAX 10080


/* Checks a name value: a string of 1..PLAYLIST_NAME_MAX characters that is not only
 * white space. NULL when valid, else a static message. */
const char *playlist_name_problem(const json_t *v);

/* Reads a Spotify playlist reference: a bare id ([A-Za-z0-9], 1..64 characters), a
 * "spotify:playlist:<id>" URI or an "https://open.spotify.com/playlist/<id>[?...]"
 * link. Sets *out to the bare id (arena) and returns NULL, or returns a static message
 * (ERR_NOMEM is reported as a message too, "out of memory"). */
const char *playlist_spotify_id_parse(const json_t *v, struct arena *a, const char **out);

/* The Spotify side of one request, opened lazily on first use (one client per request,
 * released at its end). */
struct playlist_spotify {
    struct app *app;
    struct db *db; /* the caller's connection: lent to the pool during each Spotify call */
    const char *user_id;
    struct spotify_client *client; /* NULL until first use */
    const char *created[200];      /* ids of the playlists created through it (arena) */
    size_t n_created;
};
void playlist_spotify_init(struct playlist_spotify *s, struct app *app, struct db *db,
                           const char *user_id);
void playlist_spotify_release(struct playlist_spotify *s);
/* Reads playlist `spotify_id`'s header: 0 and *name_out (arena; may be NULL) its name;
 * ERR_VALIDATION with a detail at `path` when Spotify does not know it or the user may
 * not read it; ERR_SPOTIFY_REAUTH, ERR_RATE_LIMITED, ERR_SPOTIFY (message in rep),
 * ERR_NOMEM. */
int playlist_spotify_check(struct playlist_spotify *s, struct arena *a, const char *spotify_id,
                           const char *path, const char **name_out, struct report *rep);
/* Creates a private playlist named `name` on the user's account: 0 and *id_out (arena);
 * or an error as above. */
int playlist_spotify_create(struct playlist_spotify *s, struct arena *a, const char *name,
                            const char *description, const char **id_out,
                            struct report *rep);
/* Logs (warn) the playlists created through s, saying they were left on Spotify
 * because the request failed afterwards. */
void playlist_spotify_log_orphans(struct playlist_spotify *s, const char *why);

/* ---- the routes ---- */

/* One page of the user's bases, oldest first. `cursor` (NULL = first page) is a value
 * of a previous *next_cursor; `limit` is clamped to 1..BASE_PLAYLIST_LIST_MAX.
 * *next_cursor (arena) is NULL on the last page. 0; ERR_VALIDATION (a bad cursor,
 * detail at path "cursor"); ERR_NOMEM; ERR_INTERNAL. */
int base_playlist_service_list(struct db *db, struct arena *a, const char *user_id,
                               const char *cursor, int limit, struct base_playlist **items,
                               size_t *n, const char **next_cursor, struct report *rep);

/* The base `id`. 0, ERR_NOT_FOUND, ERR_NOMEM, ERR_INTERNAL. */
int base_playlist_service_get(struct db *db, struct arena *a, const char *user_id, const char *id,
                              struct base_playlist *out);

/* POST: body {"source"?, "spotify_playlist_id", "name"?, "routing"?, "auto_sync_minutes"?}.
 * source "playlist" (default): checks on Spotify that the user can read the playlist and
 * takes its name unless one is given. source "liked": a base over the user's saved
 * tracks, spotify_playlist_id NULL (given and not null: ERR_VALIDATION), name "Liked
 * Songs" unless given; no Spotify request, but a stored grant that lacks the
 * user-library-read scope is ERR_VALIDATION at /source (sign in again).
 * 0 and *out (version 1); ERR_VALIDATION; ERR_CONFLICT (the user already has a base on
 * that Spotify playlist, or a Liked Songs base); Spotify errors; ERR_NOMEM; ERR_INTERNAL. */
int base_playlist_service_create(struct app *app, struct db *db, struct arena *a,
                                 const char *user_id, const json_t *body, struct base_playlist *out,
                                 struct report *rep);

/* PATCH: body with any of name, routing, auto_sync_minutes. Fields present replace
 * the stored ones; a body that changes nothing leaves the version as it is.
 * 0 and *out; ERR_NOT_FOUND; ERR_VALIDATION; ERR_VERSION_MISMATCH; ERR_INTERNAL. */
int base_playlist_service_update(struct app *app, struct db *db, struct arena *a,
                                 const char *user_id, const char *id, const json_t *body,
                                 int64_t if_match, struct base_playlist *out,
                                 struct report *rep);

/* DELETE: the base, its children and its sync history (the Spotify playlists stay).
 * 0, ERR_NOT_FOUND, ERR_VERSION_MISMATCH, ERR_INTERNAL. */
int base_playlist_service_delete(struct db *db, const char *user_id, const char *id,
                                 int64_t if_match);

#endif
