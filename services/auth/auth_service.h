#ifndef PLAYROUTER_AUTH_SERVICE_H
#define PLAYROUTER_AUTH_SERVICE_H
/* Folder services/auth/: sign-in and sessions. Owns the OAuth flow and the user record
 * (auth_service.c), session tokens: issue, verify, revoke (session_service.c), the
 * verified-session cache (session_cache.c) and the encryption of stored Spotify tokens
 * (token_crypto.c). */

/* Sign in with Spotify: the authorization-code flow with PKCE (S256) and state, the
 * user record, logout and the current user (API.md, Auth).
 *
 *   login     a fresh state (single use, AUTH_STATE_TTL_S) and PKCE code_verifier are
 *             kept in oauth_states; the answer is the Spotify authorize URL.
 *   callback  the state is taken (unknown, reused or expired -> ERR_INVALID_STATE),
 *             the code exchanged with its verifier, GET /me read, the user created or
 *             updated (keyed by Spotify user id), the Spotify tokens stored encrypted
 *             (AAD = user id and column), and a session token issued.
 *   logout    the session's jti is revoked until it would have expired.
 *
 * Strings returned live in the caller's arena. Messages written to rep are fit for
 * the API's error "message" and never hold a token, code or secret. */
#include <stddef.h>
#include <stdint.h>

#include "lib/report.h"
#include "repositories/user_repo.h"

struct app;
struct arena;
struct config;
struct db;

#define AUTH_STATE_TTL_S 600                  /* an OAuth state lives 10 minutes */
#define AUTH_REFRESH_LIFETIME_S (183 * 86400) /* Spotify: six months after sign-in */

/* 0 when the Spotify OAuth settings can work: SPOTIFY_CLIENT_ID set and
 * SPOTIFY_REDIRECT_URI https or loopback (Spotify's 2026 rules). Else
 * ERR_UNAVAILABLE with a message naming the setting in rep. */
int auth_service_check_config(const struct config *cfg, struct report *rep);

/* Starts a sign-in. *location (arena) is the URL to redirect the browser to and
 * *state (arena) the sign-in's OAuth state (the handler binds it to the browser).
 * Expired states are purged and at most PLAYROUTER_MAX_PENDING_SIGNINS are kept (the
 * oldest go first). 0, ERR_UNAVAILABLE (configuration, rep says which setting),
 * ERR_NOMEM, ERR_INTERNAL. */
int auth_service_login(struct app *app, struct db *db, struct arena *arena, const char **location,
                       const char **state, struct report *rep);

struct auth_signin {
    const char *token; /* the session JWT */
    int64_t expires_at;
    struct user user;
};

/* Finishes a sign-in with the callback's query parameters (each may be NULL).
 * 0 and *out; ERR_INVALID_STATE (state missing, unknown, reused or expired);
 * ERR_VALIDATION (Spotify sent error=..., e.g. access_denied; no code; the code was
 * refused); ERR_SPOTIFY (the accounts service or /me failed); ERR_UNAVAILABLE
 * (configuration); ERR_NOMEM; ERR_INTERNAL. rep's message explains. */
int auth_service_callback(struct app *app, struct db *db, struct arena *arena, const char *code,
                          const char *state, const char *error, struct auth_signin *out,
                          struct report *rep);

/* Revokes the session (jti, exp from the verified token). 0 or ERR_INTERNAL. */
int auth_service_logout(struct app *app, struct db *db, const char *jti, int64_t exp);

/* The user. With refresh_from_spotify, re-reads Spotify's GET /me first through the
 * user's token source (refreshing the access token if needed) and stores a changed
 * display name. 0, ERR_NOT_FOUND, ERR_SPOTIFY_REAUTH, ERR_SPOTIFY, ERR_RATE_LIMITED,
 * ERR_NOMEM, ERR_INTERNAL; a Spotify failure's message in rep. */
int auth_service_me(struct app *app, struct db *db, struct arena *arena, const char *user_id,
                    int refresh_from_spotify, struct user *out, struct report *rep);

/* The PKCE S256 challenge of a verifier: base64url(SHA-256(verifier)), 43 characters.
 * out must hold 44 bytes. 0 or ERR_INTERNAL. */
int auth_service_pkce_challenge(const char *verifier, char out[44]);

#endif
