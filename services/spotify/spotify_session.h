#ifndef PLAYROUTER_SPOTIFY_SESSION_H
#define PLAYROUTER_SPOTIFY_SESSION_H
/* A signed-in user's access to Spotify: the token source of the Web API client
 * (services/spotify_client.h) and a ready client built from the configuration.
 *
 *   struct spotify_client *sc = NULL;
 *   int rc = spotify_session_client(app, user_id, &sc);  // ERR_NOMEM / ERR_INTERNAL
 *   if (rc == 0)
 *       rc = spotify_client_get_playlist(sc, arena, id, false, &pl);
 *   spotify_client_free(sc);                              // the caller owns the client
 *
 * Tokens. The access token is decrypted from the users row (services/token_crypto,
 * AAD bound to the user id and column) and refreshed SPOTIFY_SESSION_REFRESH_MARGIN_S
 * seconds before it expires, or when the client asks with force_refresh=1 (after a
 * 401). A refresh stores the new access token, the new refresh token (with PKCE a
 * refresh token is single-use) and the expiry in ONE UPDATE before the new access
 * token is handed out. A refresh refused with invalid_grant marks the user
 * needs_reauth=1 (unless the row moved during the call: another process spent the
 * refresh token and stored its successor, or the user signed in again; its token is then
 * used); from then on the token source answers ERR_SPOTIFY_REAUTH at once (the client
 * then fails with it: 401 spotify_reauth_required) until the user signs in again.
 *
 * The per-user table. app->spotify_sessions (made by main() before the server starts)
 * holds one small record per user who used Spotify since start-up: a mutex and the
 * decrypted access token cached in memory (never on disk). Records live until the
 * table is freed at exit, so a token source (whose ud is the record) never dangles,
 * whoever frees the client and whenever. Refreshes of one user are serialised by the
 * record's mutex, and the row is re-read under it: if another thread refreshed
 * meanwhile (users.token_version moved), its token is used instead of spending the
 * single-use refresh token twice. After a 401 (force_refresh=1) the row is always
 * re-read: if it still holds the token we handed out, it is refreshed (two clients
 * that both got a 401 may then refresh one after the other: harmless, each uses the
 * refresh token stored by the one before); if the row moved on, its token is used.
 * The UPDATE checks the version as well, so two writers can never overwrite each
 * other's tokens.
 *
 * Database. The token source takes a connection from app->db for each short step (the
 * row's read; the refresh's write; a re-read after a conflict) and gives it back at
 * once; NONE is held while the accounts service answers a refresh (issue #12: a slow
 * accounts service must not take a connection from other requests), and a fresh cached
 * token needs none. What is read before the call (the refresh token, token_version) is
 * checked again by the write: the UPDATE stores only if token_version is still the one
 * read. Callers must not hold a write transaction while the client runs (LIBRARIES.md
 * forbids it anyway). The record's mutex IS held across the call: a second get() of the
 * same user waits for the first refresh and then uses its token (one request, the
 * single-use refresh token spent once); other users are not affected.
 *
 * Threading. Everything here is thread-safe; the client itself belongs to one thread. */
#include <stddef.h>
#include <stdint.h>

#include "services/spotify/spotify_client.h"

struct app;
struct spotify_session_table;

/* Refresh this many seconds before the access token expires. */
#define SPOTIFY_SESSION_REFRESH_MARGIN_S 60

/* The per-user table (one per app). 0 or ERR_NOMEM; *out freed with
 * spotify_session_table_free() (NULL ok) once no client is left. */
int spotify_session_table_new(struct spotify_session_table **out);
void spotify_session_table_free(struct spotify_session_table *t);

/* The token source of user_id, to give spotify_client_new(). ud is the user's record
 * in app->spotify_sessions (lives until the table is freed). get() follows
 * spotify_client.h's contract: 0 with *token (caller frees with free()),
 * ERR_SPOTIFY_REAUTH (no tokens stored, needs_reauth set, user gone, or invalid_grant
 * now), or ERR_SPOTIFY (accounts service or database failure). *requests_made counts
 * the HTTP requests to Spotify (0 or 1; a retry after a failed connect makes 2).
 * 0, ERR_VALIDATION (empty or over-long user id), ERR_NOMEM, ERR_INTERNAL (no table). */
int spotify_session_token_source(struct app *app, const char *user_id,
                                 struct spotify_token_source *out);

/* A Web API client for user_id with the configuration's options (api base, mode,
 * parallelism, timeout, attempts, Retry-After cap; Spotify requests counted into
 * app->metrics as playrouter_spotify_requests_total{endpoint,status}) and the token
 * source above. No request is made here: a user who must sign in again is told on the
 * first call (ERR_SPOTIFY_REAUTH). *out: caller frees with spotify_client_free().
 * 0, ERR_VALIDATION, ERR_NOMEM, ERR_INTERNAL. */
int spotify_session_client(struct app *app, const char *user_id, struct spotify_client **out);

/* The client options from the configuration, as spotify_session_client() uses them
 * (for a client with another token source, e.g. the sign-in's fresh token). */
void spotify_session_client_opts(struct app *app, struct spotify_client_opts *out);

/* What the token source's get() does, callable directly: same contract. */
int spotify_session_access_token(struct app *app, const char *user_id, int force_refresh,
                                 char **token, int *requests_made);

/* Drops the user's cached access token (after a new sign-in stored new tokens). */
void spotify_session_forget(struct app *app, const char *user_id);

/* Additional associated data binding encrypted token blobs to their user and column:
 * "spotify-access:<user id>" / "spotify-refresh:<user id>". Writes at most outlen
 * bytes (NUL included); returns the length, or -1 when it does not fit. The sign-in
 * code uses it to store the first tokens. */
int spotify_session_aad(const char *user_id, int refresh, char *out, size_t outlen);

#endif
