#ifndef PLAYROUTER_SESSION_SERVICE_H
#define PLAYROUTER_SESSION_SERVICE_H
/* Session tokens: HS256 JWTs made and read with libjwt 1.10.2 (LIBRARIES.md).
 *
 * A token carries iss = "playrouter", sub = user id, iat, exp and jti; every one is
 * required and checked, with at most SESSION_MAX_SKEW_S seconds of clock skew. Only
 * HS256 is accepted: the header's alg is checked before anything else, the HMAC is
 * verified with OpenSSL and CRYPTO_memcmp (constant time) before libjwt sees the
 * token, and jwt_get_alg() is checked again afterwards. jwt_decode() is never called
 * with an empty key (it would accept alg "none").
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
 * ERR_UNAVAILABLE when the database fails (db NULL -> ERR_UNAVAILABLE). */
int session_service_authenticate(struct app *app, struct db *db, const char *token, int64_t now,
                                 struct session_claims *claims, const char **why);

/* Revokes a session: its jti is refused until exp + SESSION_MAX_SKEW_S (the last
 * moment it could have been accepted). Also purges revocations that have run out.
 * Revoking twice is not an error. 0 or ERR_INTERNAL. */
int session_service_revoke(struct db *db, const char *jti, int64_t exp, int64_t now);

#endif
