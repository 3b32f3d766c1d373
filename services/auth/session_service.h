#ifndef PLAYROUTER_SESSION_SERVICE_H
#define PLAYROUTER_SESSION_SERVICE_H
/* Session tokens: HS256 JWTs, issued and verified by the same few functions of
 * session_service.c (OpenSSL HMAC + jansson; libjwt 1.10.2 is not used, LIBRARIES.md).
 *
 * A token carries iss = "playrouter", sub = user id, iat, exp and jti; every one is
 * required and checked, with at most SESSION_MAX_SKEW_S seconds of clock skew. Only
 * HS256 is accepted: the header's alg is checked before anything else (exactly
 * "HS256"), the HMAC-SHA256 is computed with OpenSSL and compared with CRYPTO_memcmp
 * (constant time), and only then are the claims decoded (base64url + jansson, read as
 * libjwt's jwt_decode() read them). A key shorter than SESSION_MIN_KEY_LEN signs and
 * verifies nothing.
 *
 * A token is accepted as "Authorization: Bearer <jwt>" or as the SESSION_COOKIE
 * cookie. Logout writes its jti into revoked_tokens until it would have expired. */
#include <stddef.h>
#include <stdint.h>

struct app;
struct db;

#define SESSION_ISSUER "playrouter"
#define SESSION_COOKIE "playrouter_session"
#define SESSION_MAX_SKEW_S 60
#define SESSION_TOKEN_MAX 4096 /* longer tokens are refused unread */
#define SESSION_ID_MAX 64      /* longest accepted sub / jti */
#define SESSION_MIN_KEY_LEN 32 /* config refuses shorter PLAYROUTER_JWT_SECRET values */
#define SESSION_CACHE_MAX 4096 /* verified sessions kept in memory (docs/auth.md) */
#define SESSION_CACHE_TTL_S 30 /* how long one is answered without the database */

struct session_claims {
    char sub[SESSION_ID_MAX + 1]; /* the user id */
    char jti[SESSION_ID_MAX + 1];
    int64_t iat, exp; /* unix seconds */
};

/* Makes a token for user_id valid from now for ttl_s seconds, with a fresh random
 * jti. key must be at least SESSION_MIN_KEY_LEN bytes. On success returns 0, *token
 * (caller frees with free()) and, if claims is not NULL, the claims written.
 * ERR_VALIDATION for a bad user id or ttl, ERR_NOMEM, ERR_INTERNAL. */
int session_service_issue(const unsigned char *key, size_t key_len, const char *user_id,
                          int64_t now, int64_t ttl_s, char **token, struct session_claims *claims);

/* Checks a token's form, algorithm, signature and claims at time `now`; touches no
 * database (revocation is session_service_authenticate's). 0 and *claims filled, or
 * ERR_UNAUTHORIZED with *why (if not NULL) pointing at a static reason such as
 * "token expired", "bad signature", "algorithm not allowed". */
int session_service_verify(const unsigned char *key, size_t key_len, const char *token, int64_t now,
                           struct session_claims *claims, const char **why);

/* session_service_verify with the configured secret, then: the jti is not revoked
 * and the user still exists. 0, or ERR_UNAUTHORIZED with *why, or ERR_INTERNAL /
 * ERR_UNAVAILABLE when the database fails (db NULL -> ERR_UNAVAILABLE).
 * A session that passed all of this is cached for up to SESSION_CACHE_TTL_S seconds
 * (never beyond the token's own validity): repeats of the same token within that time
 * skip the signature, the claims and both database lookups. Within this process a
 * logout (session_service_revoke) and session_service_forget_sessions() end every
 * cached session at once; a change made by another process to the same database
 * (revoked_tokens, users) is seen when the entry runs out. */
int session_service_authenticate(struct app *app, struct db *db, const char *token, int64_t now,
                                 struct session_claims *claims, const char **why);

/* Revokes a session: its jti is refused until exp + SESSION_MAX_SKEW_S (the last
 * moment it could have been accepted). Also purges revocations that have run out, and
 * drops every cached session (session_service_forget_sessions), so the token is refused
 * from the next request on. Call it outside any transaction (the cache is dropped
 * right after the row is written, which must be its commit). Revoking twice is not an
 * error. 0 or ERR_INTERNAL. */
int session_service_revoke(struct app *app, struct db *db, const char *jti, int64_t exp,
                           int64_t now);

/* Drops every cached session: the next request of each is checked in full again.
 * Whatever deletes a user (no route does yet) or otherwise must end sessions at once
 * calls this after its change is committed. Thread-safe. */
void session_service_forget_sessions(struct app *app);

#endif
