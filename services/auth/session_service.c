/* Session tokens (see session_service.h for the contract). */
#include "services/auth/session_service.h"

#include <jansson.h>
#include <jwt.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "repositories/revoked_token_repo.h"
#include "repositories/user_repo.h"
#include "app/app.h"
#include "lib/app_err.h"
#include "lib/json_text.h"
#include "app/config.h"
#include "lib/util.h"
#include "services/auth/session_cache.h"

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

/* The header libjwt writes on every token we issue: base64url of
 * {"alg":"HS256","typ":"JWT"}. It passes check_header without being decoded. */
static const char ISSUED_HEADER[] = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9";

/* The header must be a JSON object whose alg is exactly "HS256", with no "crit"
 * (we understand no extension) and, if present, typ "JWT". */
static int check_header(const char *s, size_t n, const char **why)
{
    size_t len = 0;
    char *raw = NULL;
    json_t *h = NULL;
    int rc = ERR_UNAUTHORIZED;
    if (n == sizeof ISSUED_HEADER - 1 && memcmp(s, ISSUED_HEADER, n) == 0)
        return 0;
    if (!(raw = b64url_decode(s, n, &len))) {
        *why = "malformed token header";
        goto done;
    }
    if (!(h = json_text_loadb(raw, len, JSON_REJECT_DUPLICATES, NULL)) || !json_is_object(h)) {
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

/* SHA-256, fetched from the provider once for the process (EVP_sha256() and HMAC()
 * look it up again on every call: a third of the cost of a verification). Written once
 * under pthread_once, read-only afterwards, never freed (like the config). */
static pthread_once_t sha256_once = PTHREAD_ONCE_INIT;
static EVP_MD *sha256_fetched;

static void sha256_fetch(void)
{
    sha256_fetched = EVP_MD_fetch(NULL, "SHA256", NULL);
}

static const EVP_MD *sha256(void)
{
    pthread_once(&sha256_once, sha256_fetch);
    return sha256_fetched ? sha256_fetched : EVP_sha256();
}

#define SHA256_BLOCK 64

/* HMAC-SHA256 (RFC 2104) of msg into mac, with the digest fetched once; the same
 * result as HMAC(EVP_sha256(), ...) (tests/test_session_verify.c compares them, keys
 * longer than a block included). 0 or ERR_INTERNAL. */
static int hmac_sha256(const unsigned char *key, size_t key_len, const unsigned char *msg,
                       size_t msg_len, unsigned char mac[HS256_LEN])
{
    unsigned char k[SHA256_BLOCK] = {0}, pad[SHA256_BLOCK], inner[HS256_LEN];
    unsigned int n = 0;
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    int rc = ERR_INTERNAL;
    if (!ctx)
        return ERR_INTERNAL;
    if (key_len > SHA256_BLOCK) {
        if (EVP_DigestInit_ex(ctx, sha256(), NULL) != 1 ||
            EVP_DigestUpdate(ctx, key, key_len) != 1 || EVP_DigestFinal_ex(ctx, k, &n) != 1)
            goto done;
    } else {
        memcpy(k, key, key_len);
    }
    for (size_t i = 0; i < SHA256_BLOCK; i++)
        pad[i] = k[i] ^ 0x36;
    if (EVP_DigestInit_ex(ctx, sha256(), NULL) != 1 ||
        EVP_DigestUpdate(ctx, pad, SHA256_BLOCK) != 1 || EVP_DigestUpdate(ctx, msg, msg_len) != 1 ||
        EVP_DigestFinal_ex(ctx, inner, &n) != 1 || n != HS256_LEN)
        goto done;
    for (size_t i = 0; i < SHA256_BLOCK; i++)
        pad[i] = k[i] ^ 0x5c;
    if (EVP_DigestInit_ex(ctx, sha256(), NULL) != 1 ||
        EVP_DigestUpdate(ctx, pad, SHA256_BLOCK) != 1 ||
        EVP_DigestUpdate(ctx, inner, HS256_LEN) != 1 || EVP_DigestFinal_ex(ctx, mac, &n) != 1 ||
        n != HS256_LEN)
        goto done;
    rc = 0;
done:
    OPENSSL_cleanse(k, sizeof k);
    OPENSSL_cleanse(pad, sizeof pad);
    OPENSSL_cleanse(inner, sizeof inner);
    EVP_MD_CTX_free(ctx);
    return rc;
}

/* HMAC-SHA256 of the signing input, compared in constant time with the token's
 * signature text (both as unpadded base64url, so only the canonical encoding of
 * the right MAC passes). */
static int check_signature(const unsigned char *key, size_t key_len, const char *input,
                           size_t input_len, const char *sig, size_t sig_len)
{
    unsigned char mac[HS256_LEN];
    char want[HS256_B64_LEN + 4];
    int ok;
    if (sig_len != HS256_B64_LEN)
        return ERR_UNAUTHORIZED;
    if (hmac_sha256(key, key_len, (const unsigned char *)input, input_len, mac) != 0)
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
 * read from the JSON rather than with libjwt's jwt_get_grant_int(): in the installed
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

/* session_service_verify, also giving the first second the token is accepted from
 * (max(iat, nbf) - SESSION_MAX_SKEW_S), for the session cache's window. */
static int verify(const unsigned char *key, size_t key_len, const char *token, int64_t now,
                  struct session_claims *claims, int64_t *valid_from, const char **why)
{
    const char *reason = "invalid token";
    char *payload = NULL;
    json_t *claims_json = NULL;
    int rc = ERR_UNAUTHORIZED;
    const char *dot1, *dot2;
    size_t len;

    memset(claims, 0, sizeof *claims);
    if (!key || key_len < SESSION_MIN_KEY_LEN || key_len > INT32_MAX) {
        /* An empty or short key verifies nothing (libjwt would even accept alg "none"). */
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
    /* The header is HS256 and the signature is ours: the claims are read directly
     * (base64url, then jansson) instead of by a second full jwt_decode(), which would
     * check the signature and parse the header again. The payload is read as libjwt
     * 1.10.2 reads it (json_loads of the decoded text, flags 0: it stops at a NUL, and
     * a repeated claim keeps its last value), so exactly the same tokens pass. */
    rc = ERR_UNAUTHORIZED;
    if (!(payload = b64url_decode(dot1 + 1, (size_t)(dot2 - dot1 - 1), NULL)) ||
        !(claims_json = json_text_loads(payload, 0, NULL))) {
        reason = "malformed token";
        goto done;
    }
    if (!json_is_object(claims_json)) {
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
    *valid_from = (nbf > iat ? nbf : iat) - SESSION_MAX_SKEW_S;
    reason = NULL;
    rc = 0;
done:
    json_decref(claims_json);
    free(payload);
    if (rc != 0 && rc != ERR_INTERNAL)
        rc = ERR_UNAUTHORIZED;
    if (rc != 0)
        memset(claims, 0, sizeof *claims);
    if (why)
        *why = reason;
    return rc;
}

int session_service_verify(const unsigned char *key, size_t key_len, const char *token, int64_t now,
                           struct session_claims *claims, const char **why)
{
    int64_t from = 0;
    return verify(key, key_len, token, now, claims, &from, why);
}

/* ---- The verified-session cache (docs/auth.md, "Session cache") --------------
 * app->sessions, made in main() (NULL: no caching). Sessions are per process, as the
 * sync lock and the per-user Spotify refresh lock already assume one server process
 * per database. */

/* The cache key: SHA-256 of the secret (length first) and the token, so that a token
 * verified under one key is never answered for another, and no token is kept. */
static int cache_key(const char *secret, size_t secret_len, const char *token,
                     unsigned char key[SESSION_CACHE_KEY_LEN])
{
    unsigned char len_le[8];
    unsigned int n = 0;
    int ok;
    for (size_t i = 0; i < sizeof len_le; i++)
        len_le[i] = (unsigned char)((uint64_t)secret_len >> (8 * i));
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    if (!ctx)
        return -1;
    ok = EVP_DigestInit_ex(ctx, sha256(), NULL) == 1 &&
         EVP_DigestUpdate(ctx, len_le, sizeof len_le) == 1 &&
         EVP_DigestUpdate(ctx, secret, secret_len) == 1 &&
         EVP_DigestUpdate(ctx, token, strlen(token)) == 1 &&
         EVP_DigestFinal_ex(ctx, key, &n) == 1 && n == SESSION_CACHE_KEY_LEN;
    EVP_MD_CTX_free(ctx);
    return ok ? 0 : -1;
}

void session_service_forget_sessions(struct app *app)
{
    if (app && app->sessions)
        session_cache_invalidate(app->sessions);
}

int session_service_authenticate(struct app *app, struct db *db, const char *token, int64_t now,
                                 struct session_claims *claims, const char **why)
{
    const char *secret = app->cfg->jwt_secret;
    size_t secret_len = secret ? strlen(secret) : 0;
    struct session_cache *c = app->sessions;
    unsigned char key[SESSION_CACHE_KEY_LEN];
    uint64_t generation = 0;
    int64_t from = 0;
    int revoked = 0, exists = 0;
    int hit = 0, rc;

    /* Only what verify could accept is looked up (a short secret never verifies). */
    if (c && secret_len >= SESSION_MIN_KEY_LEN && token &&
        strnlen(token, SESSION_TOKEN_MAX + 1) <= SESSION_TOKEN_MAX &&
        cache_key(secret, secret_len, token, key) == 0) {
        /* Read before the database is: a logout that finishes meanwhile bumps it, and
         * the put below is then dropped. */
        generation = session_cache_generation(c);
        hit = session_cache_get(c, key, now, claims) == 0;
    } else {
        c = NULL;
    }
    if (hit) {
        /* Verified, not revoked and of an existing user moments ago, and still inside
         * the token's own validity window: the same answers as below. */
        if (why)
            *why = NULL;
    } else if ((rc = verify((const unsigned char *)secret, secret_len, token, now, claims, &from,
                            why)) != 0) {
        return rc;
    }
    if (!db) {
        if (why)
            *why = "database unavailable";
        return ERR_UNAVAILABLE;
    }
    if (hit)
        return 0;
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
    if (c) {
        int64_t until = claims->exp + SESSION_MAX_SKEW_S;
        if (until > now + SESSION_CACHE_TTL_S)
            until = now + SESSION_CACHE_TTL_S;
        session_cache_put(c, key, claims, from, until, generation);
    }
    return 0;
}

int session_service_revoke(struct app *app, struct db *db, const char *jti, int64_t exp,
                           int64_t now)
{
    int rc = revoked_token_repo_add(db, jti, exp + SESSION_MAX_SKEW_S);
    /* After the row is committed (we run outside any transaction, see the header: a
     * request that reads the generation later also sees the row), and even if it was
     * not written: dropping cached sessions is always safe. */
    session_service_forget_sessions(app);
    if (rc != 0)
        return rc;
    /* Now and then is enough: logouts are rare, the table stays small. */
    (void)revoked_token_repo_purge(db, now);
    return 0;
}
