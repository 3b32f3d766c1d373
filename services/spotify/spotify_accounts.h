#ifndef PLAYROUTER_SPOTIFY_ACCOUNTS_H
#define PLAYROUTER_SPOTIFY_ACCOUNTS_H
/* Spotify's accounts service (SPOTIFY_ACCOUNTS_BASE): the authorize URL of the
 * authorization-code flow with PKCE, and the two calls to POST /api/token (code
 * exchange, refresh). libcurl, one easy handle per call (sign-ins and refreshes are
 * rare, so no connection is kept); CURLOPT_NOSIGNAL, connect and total timeouts, no
 * redirects, http only when the configured base is http (the emulator), a 64 KiB
 * cap on answers. Nothing here logs a token, a code, a verifier or the secret. */
#include <stddef.h>
#include <stdint.h>

#include "lib/buf.h"
#include "lib/report.h"

struct config;
struct metrics;

/* Reading and changing the user's private, collaborative and public playlists,
 * reading the user, and reading their saved tracks (a Liked Songs base). */
#define SPOTIFY_SCOPE_LIBRARY_READ "user-library-read"
#define SPOTIFY_ACCOUNTS_SCOPES                                                                    \
    "playlist-read-private playlist-read-collaborative playlist-modify-private "                   \
    "playlist-modify-public user-read-private " SPOTIFY_SCOPE_LIBRARY_READ

/* What POST /api/token answered. Every string is malloc'd; release with
 * spotify_token_grant_release(), which wipes the tokens. */
struct spotify_token_grant {
    char *access_token;
    char *refresh_token; /* NULL when the answer carried none (keep the old one) */
    char *scope;         /* may be NULL */
    int64_t expires_in;  /* seconds the access token lives */
};
void spotify_token_grant_release(struct spotify_token_grant *g);

/* Checks SPOTIFY_REDIRECT_URI against Spotify's 2026 rules: https://HOST..., or a
 * loopback address over http (http://127.0.0.1[:PORT]/..., http://[::1][:PORT]/...);
 * "localhost" is refused by Spotify and so here; no fragment, no spaces.
 * 0, or ERR_VALIDATION with the reason in rep's message. */
int spotify_accounts_check_redirect_uri(const char *uri, struct report *rep);

/* Writes {accounts_base}/authorize?response_type=code&client_id=...&redirect_uri=...
 * &scope=...&state=...&code_challenge=...&code_challenge_method=S256 into out.
 * 0 or ERR_NOMEM. */
int spotify_accounts_authorize_url(const struct config *cfg, const char *state,
                                   const char *code_challenge, struct buf *out);

/* Exchanges an authorization code (grant_type=authorization_code, with redirect_uri
 * and the PKCE code_verifier). Client credentials go by HTTP Basic when a client
 * secret is configured, else client_id goes in the form (public PKCE client).
 * *requests_made (may be NULL) gets the HTTP requests sent. m may be NULL.
 * 0 and *out filled; ERR_VALIDATION when Spotify refuses the code (invalid_grant:
 * unknown, reused or expired code, or a verifier that does not match);
 * ERR_SPOTIFY for any other failure (transport, 5xx, bad client, malformed answer);
 * ERR_NOMEM. */
int spotify_accounts_exchange_code(const struct config *cfg, struct metrics *m, const char *code,
                                   const char *code_verifier, struct spotify_token_grant *out,
                                   int *requests_made);

/* Refreshes (grant_type=refresh_token). The answer may carry a new refresh token
 * (with PKCE it always does: the old one is then spent): the caller must store it
 * before using the new access token. 0; ERR_SPOTIFY_REAUTH when Spotify answers
 * invalid_grant (refresh token revoked, spent or older than six months);
 * ERR_SPOTIFY; ERR_NOMEM. */
int spotify_accounts_refresh(const struct config *cfg, struct metrics *m, const char *refresh_token,
                             struct spotify_token_grant *out, int *requests_made);

#endif
