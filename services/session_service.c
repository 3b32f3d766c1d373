/* Session tokens (see session_service.h for the contract). */
#include "services/session_service.h"

#include <jansson.h>
#include <jwt.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "repositories/revoked_token_repo.h"
#include "repositories/user_repo.h"
#include "server/app.h"
#include "server/app_err.h"
#include "server/config.h"
#include "server/util.h"

#define HS256_LEN 32
#define HS256_B64_LEN 43                  /* unpadded base64url of 32 bytes */
#define CLAIM_TIME_MAX (INT64_C(1) << 40) /* ~ year 36812 */

static int b64url_value(unsigned char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '-')
        return 62;
    if (c == '_')
        return 63;
    return -1;
}

/* Decodes n characters of unpadded base64url into a malloc'd NUL-terminated buffer
 * (caller frees). NULL on a bad character or length, or out of memory. */
static char *b64url_decode(const char *s, size_t n, size_t *out_len)
{
    if (n % 4 == 1)
        return NULL;
    char *out = malloc(n / 4 * 3 + 3);
    if (!out)
        return NULL;
    size_t o = 0;
    uint32_t acc = 0;
    int bits = 0;
    for (size_t i = 0; i < n; i++) {
        int v = b64url_value((unsigned char)s[i]);
        if (v < 0) {
            free(out);
            return NULL;
        }
        acc = ((acc << 6) | (uint32_t)v) & 0xffffff;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[o++] = (char)((acc >> bits) & 0xff);
        }
    }
    out[o] = '\0';
    if (out_len)
        *out_len = o;
    return out;
}

int session_service_issue(const unsigned char *key, size_t key_len, const char *user_id,
                          int64_t now, int64_t ttl_s, char **token, struct session_claims *claims)
{
    jwt_t *jwt = NULL;
    char jti[ID_LEN + 1];
    char *out = NULL;
    int rc = ERR_INTERNAL;

    *token = NULL;
    /* config_load_secrets refuses short keys; a short one here is our bug, and an
     * empty one would make libjwt sign nothing. */
    if (!key || key_len < SESSION_MIN_KEY_LEN || key_len > INT32_MAX)
        return ERR_INTERNAL;
    if (!user_id || !*user_id || strlen(user_id) > SESSION_ID_MAX || ttl_s <= 0)
        return ERR_VALIDATION;
    if (util_id_new(jti) != 0)
        return ERR_INTERNAL;
    if (jwt_new(&jwt) != 0) {
        rc = ERR_NOMEM;
        goto done;
    }
    if (jwt_add_grant(jwt, "iss", SESSION_ISSUER) != 0 || jwt_add_grant(jwt, "sub", user_id) != 0 ||
        jwt_add_grant_int(jwt, "iat", (long)now) != 0 ||
        jwt_add_grant_int(jwt, "exp", (long)(now + ttl_s)) != 0 ||
        jwt_add_grant(jwt, "jti", jti) != 0 ||
        jwt_set_alg(jwt, JWT_ALG_HS256, key, (int)key_len) != 0)
        goto done;
    if (!(out = jwt_encode_str(jwt)))
        goto done;
    if (claims) {
        memset(claims, 0, sizeof *claims);
        snprintf(claims->sub, sizeof claims->sub, "%s", user_id);
        snprintf(claims->jti, sizeof claims->jti, "%s", jti);
        claims->iat = now;
        claims->exp = now + ttl_s;
    }
    *token = out;
    rc = 0;
done:
    jwt_free(jwt);
    return rc;
}

/* The header must be a JSON object whose alg is exactly "HS256", with no "crit"
 * (we understand no extension) and, if present, typ "JWT". */
static int check_header(const char *s, size_t n, const char **why)
{
    size_t len = 0;
    char *raw = b64url_decode(s, n, &len);
    json_t *h = NULL;
    int rc = ERR_UNAUTHORIZED;
    if (!raw) {
        *why = "malformed token header";
        goto done;
    }
    if (!(h = json_loadb(raw, len, JSON_REJECT_DUPLICATES, NULL)) || !json_is_object(h)) {
        *why = "malformed token header";
        goto done;
    }
    const char *alg = json_string_value(json_object_get(h, "alg"));
    if (!alg || strcmp(alg, "HS256") != 0) {
        *why = "algorithm not allowed (only HS256 is accepted)";
        goto done;
    }
    json_t *typ = json_object_get(h, "typ");
    if (typ && (!json_is_string(typ) || strcasecmp(json_string_value(typ), "JWT") != 0)) {
        *why = "unexpected token type";
        goto done;
    }
    if (json_object_get(h, "crit")) {
        *why = "unsupported critical header";
        goto done;
    }
    rc = 0;
done:
    json_decref(h);
    free(raw);
    return rc;
}

/* HMAC-SHA256 of the signing input, compared in constant time with the token's
 * signature text (both as unpadded base64url, so only the canonical encoding of
 * the right MAC passes). */
static int check_signature(const unsigned char *key, size_t key_len, const char *input,
                           size_t input_len, const char *sig, size_t sig_len)
{
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int mac_len = 0;
    char want[HS256_B64_LEN + 4];
    int ok;
    if (sig_len != HS256_B64_LEN)
        return ERR_UNAUTHORIZED;
    if (!HMAC(EVP_sha256(), key, (int)key_len, (const unsigned char *)input, input_len, mac,
              &mac_len) ||
        mac_len != HS256_LEN)
        return ERR_INTERNAL;
    util_base64url_encode(mac, HS256_LEN, want);
    ok = CRYPTO_memcmp(want, sig, HS256_B64_LEN) == 0;
    OPENSSL_cleanse(mac, sizeof mac);
    return ok ? 0 : ERR_UNAUTHORIZED;
}

/* A required string claim of 1..max characters; NULL when absent or not a string. */
static const char *string_claim(const json_t *claims, const char *name, size_t max)
{
    const char *v = json_string_value(json_object_get(claims, name));
    if (!v || !*v || strlen(v) > max)
        return NULL;
    return v;
}

/* A required JSON integer claim; -1 when absent or of another type. (The claims are
 * read from libjwt's JSON rather than with jwt_get_grant_int(): in the installed
 * 1.10.2 a missing grant gives -1 with errno left at 0, indistinguishable from a
 * real -1.) */
static int int_claim(const json_t *claims, const char *name, int64_t *out)
{
    const json_t *v = json_object_get(claims, name);
    if (!json_is_integer(v))
        return -1;
    *out = (int64_t)json_integer_value(v);
    return 0;
}

int session_service_verify(const unsigned char *key, size_t key_len, const char *token, int64_t now,
                           struct session_claims *claims, const char **why)
{
    const char *reason = "invalid token";
    jwt_t *jwt = NULL;
    char *grants_text = NULL;
    json_t *claims_json = NULL;
    int rc = ERR_UNAUTHORIZED;
    const char *dot1, *dot2;
    size_t len;

    memset(claims, 0, sizeof *claims);
    if (!key || key_len < SESSION_MIN_KEY_LEN || key_len > INT32_MAX) {
        /* Never let an empty key reach jwt_decode: it would accept alg "none". */
        reason = "server has no session key";
        goto done;
    }
    if (!token || !*token) {
        reason = "missing token";
        goto done;
    }
    if ((len = strnlen(token, SESSION_TOKEN_MAX + 1)) > SESSION_TOKEN_MAX) {
        reason = "token too long";
        goto done;
    }
    /* Exactly three non-empty base64url parts. */
    dot1 = strchr(token, '.');
    dot2 = dot1 ? strchr(dot1 + 1, '.') : NULL;
    if (!dot1 || !dot2 || strchr(dot2 + 1, '.') || dot1 == token || dot2 == dot1 + 1 ||
        dot2[1] == '\0') {
        reason = dot2 && dot2[1] == '\0' ? "unsigned token" : "malformed token";
        goto done;
    }
    if ((rc = check_header(token, (size_t)(dot1 - token), &reason)) != 0)
        goto done;
    rc = check_signature(key, key_len, token, (size_t)(dot2 - token), dot2 + 1,
                         len - (size_t)(dot2 + 1 - token));
    if (rc != 0) {
        reason = rc == ERR_UNAUTHORIZED ? "bad signature" : "cannot verify the signature";
        goto done;
    }
    /* The signature is ours; libjwt parses the claims (and checks it once more). */
    rc = ERR_UNAUTHORIZED;
    if (jwt_decode(&jwt, token, key, (int)key_len) != 0 || !jwt) {
        reason = "malformed token";
        goto done;
    }
    if (jwt_get_alg(jwt) != JWT_ALG_HS256) {
        reason = "algorithm not allowed (only HS256 is accepted)";
        goto done;
    }
    if (!(grants_text = jwt_get_grants_json(jwt, NULL)) ||
        !(claims_json = json_loads(grants_text, JSON_REJECT_DUPLICATES, NULL)) ||
        !json_is_object(claims_json)) {
        reason = "malformed token claims";
        goto done;
    }
    const char *iss = json_string_value(json_object_get(claims_json, "iss"));
    const char *sub = string_claim(claims_json, "sub", SESSION_ID_MAX);
    const char *jti = string_claim(claims_json, "jti", SESSION_ID_MAX);
    int64_t iat = 0, exp = 0, nbf = 0;
    if (!iss || strcmp(iss, SESSION_ISSUER) != 0) {
        reason = "wrong or missing issuer";
        goto done;
    }
    if (!sub || !jti || int_claim(claims_json, "iat", &iat) != 0 ||
        int_claim(claims_json, "exp", &exp) != 0) {
        reason = "missing or invalid claims (sub, jti, iat, exp)";
        goto done;
    }
    /* Plausible unix times only (also keeps the arithmetic below from overflowing). */
    if (iat < 0 || exp < 0 || iat > CLAIM_TIME_MAX || exp > CLAIM_TIME_MAX) {
        reason = "invalid iat or exp";
        goto done;
    }
    if (exp <= iat) {
        reason = "token expires before it was issued";
        goto done;
    }
    if (iat > now + SESSION_MAX_SKEW_S) {
        reason = "token issued in the future";
        goto done;
    }
    if (json_object_get(claims_json, "nbf") &&
        (int_claim(claims_json, "nbf", &nbf) != 0 || nbf > CLAIM_TIME_MAX ||
         nbf > now + SESSION_MAX_SKEW_S)) {
        reason = "token not valid yet";
        goto done;
    }
    if (now > exp + SESSION_MAX_SKEW_S) {
        reason = "token expired";
        goto done;
    }
    snprintf(claims->sub, sizeof claims->sub, "%s", sub);
    snprintf(claims->jti, sizeof claims->jti, "%s", jti);
    claims->iat = iat;
    claims->exp = exp;
    reason = NULL;
    rc = 0;
done:
    json_decref(claims_json);
    free(grants_text);
    jwt_free(jwt);
    if (rc != 0 && rc != ERR_INTERNAL)
        rc = ERR_UNAUTHORIZED;
    if (rc != 0)
        memset(claims, 0, sizeof *claims);
    if (why)
        *why = reason;
    return rc;
}

int session_service_authenticate(struct app *app, struct db *db, const char *token, int64_t now,
                                 struct session_claims *claims, const char **why)
{
    const char *secret = app->cfg->jwt_secret;
    int revoked = 0, exists = 0;
    int rc = session_service_verify((const unsigned char *)secret, secret ? strlen(secret) : 0,
                                    token, now, claims, why);
    if (rc != 0)
        return rc;
    if (!db) {
        if (why)
            *why = "database unavailable";
        return ERR_UNAVAILABLE;
    }
    if ((rc = revoked_token_repo_is_revoked(db, claims->jti, &revoked)) != 0 ||
        (rc = user_repo_exists(db, claims->sub, &exists)) != 0) {
        if (why)
            *why = "database error";
        return rc;
    }
    if (revoked || !exists) {
        if (why)
            *why = revoked ? "token revoked (logged out)" : "user no longer exists";
        memset(claims, 0, sizeof *claims);
        return ERR_UNAUTHORIZED;
    }
    return 0;
}

int session_service_revoke(struct db *db, const char *jti, int64_t exp, int64_t now)
{
    int rc = revoked_token_repo_add(db, jti, exp + SESSION_MAX_SKEW_S);
    if (rc != 0)
        return rc;
    /* Now and then is enough: logouts are rare, the table stays small. */
    (void)revoked_token_repo_purge(db, now);
    return 0;
}
