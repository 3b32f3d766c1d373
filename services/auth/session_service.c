/* Session tokens (see session_service.h for the contract). */
#include "services/auth/session_service.h"

#include <jansson.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <pthread.h>
#include <stdbool.h>
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

/* ---- The one JWT path -----------------------------------------------------------
 * Every token we issue has one shape: HEADER "." base64url(claims) "." base64url(MAC),
 * MAC = HMAC-SHA256(secret, HEADER "." base64url(claims)). Issuing and verifying share
 * sign(). libjwt 1.10.2 is used for neither (LIBRARIES.md): it accepts alg "none" with
 * an empty key, takes the algorithm from the token, checks no claim and compares MACs
 * with strcmp; the rest of what it does is base64url and JSON, which util_base64url_*
 * and jansson already do. (The tests still cross-check our tokens with libjwt.) */

/* {"alg":"HS256","typ":"JWT"}: the header of every token we issue (the one libjwt
 * wrote, so tokens issued before this code verify the same way), recognised by
 * verify() without decoding it. */
static const char HEADER[] = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9";

/* SHA-256, fetched from the provider once for the process (EVP_sha256() looks it up
 * again on every call, a real cost on the per-request path of cache_key()). Written
 * once under pthread_once, read-only afterwards, never freed (like the config). */
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

/* base64url(HMAC-SHA256(key, input)) into out. 0 or ERR_INTERNAL. */
static int sign(const unsigned char *key, size_t key_len, const char *input, size_t input_len,
                char out[HS256_B64_LEN + 1])
{
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    int ok = HMAC(sha256(), key, (int)key_len, (const unsigned char *)input, input_len, mac,
                  &n) != NULL &&
             n == HS256_LEN;
    if (ok)
        util_base64url_encode(mac, HS256_LEN, out);
    OPENSSL_cleanse(mac, sizeof mac);
    return ok ? 0 : ERR_INTERNAL;
}

/* A key that is missing or shorter than SESSION_MIN_KEY_LEN signs and verifies
 * nothing: an empty key is what lets libjwt accept alg "none", and config refuses
 * short ones at start-up (this is the second lock). */
static bool key_usable(const unsigned char *key, size_t key_len)
{
    return key && key_len >= SESSION_MIN_KEY_LEN && key_len <= INT32_MAX;
}

int session_service_issue(const unsigned char *key, size_t key_len, const char *user_id,
                          int64_t now, int64_t ttl_s, char **token, struct session_claims *claims)
{
    char jti[ID_LEN + 1];
    json_t *body = NULL;
    char *payload = NULL, *out = NULL;
    size_t plen, n;
    int rc = ERR_NOMEM;

    *token = NULL;
    if (!key_usable(key, key_len))
        return ERR_INTERNAL; /* our bug: config_load_secrets refuses such keys */
    if (!user_id || !*user_id || strlen(user_id) > SESSION_ID_MAX || ttl_s <= 0)
        return ERR_VALIDATION;
    if (util_id_new(jti) != 0)
        return ERR_INTERNAL;
    /* Sorted and compact: the bytes libjwt wrote for the same claims. */
    if (!(body = json_pack("{s:s, s:s, s:I, s:I, s:s}", "iss", SESSION_ISSUER, "sub", user_id,
                           "iat", (json_int_t)now, "exp", (json_int_t)(now + ttl_s), "jti",
                           jti)) ||
        !(payload = json_text_dump(body, JSON_COMPACT | JSON_SORT_KEYS)))
        goto done;
    plen = strlen(payload);
    if (!(out = malloc(sizeof HEADER + 4 * (plen / 3 + 1) + 1 + HS256_B64_LEN + 1)))
        goto done;
    n = sizeof HEADER - 1;
    memcpy(out, HEADER, n);
    out[n++] = '.';
    n += util_base64url_encode((const unsigned char *)payload, plen, out + n);
    out[n] = '.';
    if ((rc = sign(key, key_len, out, n, out + n + 1)) != 0)
        goto done;
    if (claims) {
        memset(claims, 0, sizeof *claims);
        snprintf(claims->sub, sizeof claims->sub, "%s", user_id);
        snprintf(claims->jti, sizeof claims->jti, "%s", jti);
        claims->iat = now;
        claims->exp = now + ttl_s;
    }
    *token = out;
    out = NULL;
    rc = 0;
done:
    free(out);
    free(payload);
    json_decref(body);
    return rc;
}

/* A base64url part decoded and read as JSON; NULL when it is not base64url or not
 * JSON. The header is read whole, with one value per member (a repeated "alg" could
 * mean one thing to us and another to a proxy). The claims are read as libjwt's
 * jwt_decode() read them (json_loads: the text ends at a NUL; a repeated member keeps
 * its last value), so the same tokens pass as before. */
static json_t *decode_part(const char *s, size_t n, bool header)
{
    unsigned char *raw = malloc(n / 4 * 3 + 3);
    size_t len = 0;
    json_t *j = NULL;
    if (raw && util_base64url_decode(s, n, raw, &len) == 0)
        j = header ? json_text_loadb((const char *)raw, len, JSON_REJECT_DUPLICATES, NULL)
                   : json_text_loads((const char *)raw, 0, NULL);
    free(raw);
    return j;
}

/* The algorithm is ours, never the token's: alg must be exactly "HS256", so "none",
 * HS384/512 and RS256 (algorithm confusion with the secret as a "public key") are
 * refused before any signature work. No "crit": we understand no extension, and RFC
 * 7515 says to refuse what we would ignore. typ, if present, must say JWT. Our own
 * header is known without decoding it. */
static int check_header(const char *s, size_t n, const char **why)
{
    json_t *h;
    const char *alg;
    const json_t *typ;

    if (n == sizeof HEADER - 1 && memcmp(s, HEADER, n) == 0)
        return 0;
    if (!(h = decode_part(s, n, true)) || !json_is_object(h)) {
        *why = "malformed token header";
    } else if (!(alg = json_string_value(json_object_get(h, "alg"))) ||
               strcmp(alg, "HS256") != 0) {
        *why = "algorithm not allowed (only HS256 is accepted)";
    } else if ((typ = json_object_get(h, "typ")) &&
               (!json_is_string(typ) || strcasecmp(json_string_value(typ), "JWT") != 0)) {
        *why = "unexpected token type";
    } else if (json_object_get(h, "crit")) {
        *why = "unsupported critical header";
    } else {
        *why = NULL;
    }
    json_decref(h);
    return *why ? ERR_UNAUTHORIZED : 0;
}

/* Our MAC of the signing input against the token's signature text, compared with
 * CRYPTO_memcmp (constant time: libjwt's strcmp tells an attacker how many leading
 * characters were right). Comparing the base64url text means only the canonical
 * encoding of the right MAC passes. */
static int check_signature(const unsigned char *key, size_t key_len, const char *input,
                           size_t input_len, const char *sig, size_t sig_len, const char **why)
{
    char want[HS256_B64_LEN + 1];
    if (sig_len != HS256_B64_LEN) {
        *why = "bad signature";
        return ERR_UNAUTHORIZED;
    }
    if (sign(key, key_len, input, input_len, want) != 0) {
        *why = "cannot verify the signature";
        return ERR_INTERNAL;
    }
    if (CRYPTO_memcmp(want, sig, HS256_B64_LEN) != 0) {
        *why = "bad signature";
        return ERR_UNAUTHORIZED;
    }
    return 0;
}

/* A required string claim of 1..max characters (it must fit struct session_claims);
 * NULL when absent, empty, too long or not a string. */
static const char *string_claim(const json_t *claims, const char *name, size_t max)
{
    const char *v = json_string_value(json_object_get(claims, name));
    if (!v || !*v || strlen(v) > max)
        return NULL;
    return v;
}

/* A required JSON integer claim (a string or a real is refused); -1 when absent. */
static int int_claim(const json_t *claims, const char *name, int64_t *out)
{
    const json_t *v = json_object_get(claims, name);
    if (!json_is_integer(v))
        return -1;
    *out = (int64_t)json_integer_value(v);
    return 0;
}

/* libjwt checks no claim: every one is ours to check. Fills *out and *valid_from
 * (max(iat, nbf) - skew, the session cache's window) or sets *why. */
static int check_claims(const json_t *c, int64_t now, struct session_claims *out,
                        int64_t *valid_from, const char **why)
{
    const char *iss = json_string_value(json_object_get(c, "iss"));
    const char *sub = string_claim(c, "sub", SESSION_ID_MAX);
    const char *jti = string_claim(c, "jti", SESSION_ID_MAX);
    int64_t iat = 0, exp = 0, nbf = 0;

    if (!json_is_object(c))
        *why = "malformed token claims";
    else if (!iss || strcmp(iss, SESSION_ISSUER) != 0) /* another issuer's token */
        *why = "wrong or missing issuer";
    else if (!sub || !jti || int_claim(c, "iat", &iat) != 0 || int_claim(c, "exp", &exp) != 0)
        *why = "missing or invalid claims (sub, jti, iat, exp)";
    else if (iat < 0 || exp < 0 || iat > CLAIM_TIME_MAX || exp > CLAIM_TIME_MAX)
        *why = "invalid iat or exp"; /* plausible times only: the sums below cannot overflow */
    else if (exp <= iat)
        *why = "token expires before it was issued";
    else if (iat > now + SESSION_MAX_SKEW_S) /* at most SESSION_MAX_SKEW_S of clock skew */
        *why = "token issued in the future";
    else if (json_object_get(c, "nbf") && (int_claim(c, "nbf", &nbf) != 0 ||
                                             nbf > CLAIM_TIME_MAX || nbf > now + SESSION_MAX_SKEW_S))
        *why = "token not valid yet";
    else if (now > exp + SESSION_MAX_SKEW_S)
        *why = "token expired";
    else
        *why = NULL;
    if (*why)
        return ERR_UNAUTHORIZED;
    snprintf(out->sub, sizeof out->sub, "%s", sub);
    snprintf(out->jti, sizeof out->jti, "%s", jti);
    out->iat = iat;
    out->exp = exp;
    *valid_from = (nbf > iat ? nbf : iat) - SESSION_MAX_SKEW_S;
    return 0;
}

/* session_service_verify, also giving the first second the token is accepted from,
 * for the session cache's window. The checks run in this order so that nothing an
 * attacker wrote is parsed beyond the header before the MAC has proved it is ours. */
static int verify(const unsigned char *key, size_t key_len, const char *token, int64_t now,
                  struct session_claims *claims, int64_t *valid_from, const char **why)
{
    const char *reason = "invalid token", *dot1, *dot2;
    json_t *body = NULL;
    size_t len;
    int rc = ERR_UNAUTHORIZED;

    memset(claims, 0, sizeof *claims);
    if (!key_usable(key, key_len)) {
        reason = "server has no session key";
        goto done;
    }
    if (!token || !*token) {
        reason = "missing token";
        goto done;
    }
    /* Hostile input costs bounded time: longer tokens are refused unread. */
    if ((len = strnlen(token, SESSION_TOKEN_MAX + 1)) > SESSION_TOKEN_MAX) {
        reason = "token too long";
        goto done;
    }
    /* Exactly three non-empty parts; an empty third one is an unsigned token. */
    dot1 = strchr(token, '.');
    dot2 = dot1 ? strchr(dot1 + 1, '.') : NULL;
    if (!dot1 || !dot2 || strchr(dot2 + 1, '.') || dot1 == token || dot2 == dot1 + 1 ||
        dot2[1] == '\0') {
        reason = dot2 && dot2[1] == '\0' ? "unsigned token" : "malformed token";
        goto done;
    }
    if ((rc = check_header(token, (size_t)(dot1 - token), &reason)) != 0 ||
        (rc = check_signature(key, key_len, token, (size_t)(dot2 - token), dot2 + 1,
                              len - (size_t)(dot2 + 1 - token), &reason)) != 0)
        goto done;
    if (!(body = decode_part(dot1 + 1, (size_t)(dot2 - dot1 - 1), false))) {
        rc = ERR_UNAUTHORIZED;
        reason = "malformed token";
        goto done;
    }
    rc = check_claims(body, now, claims, valid_from, &reason);
done:
    json_decref(body);
    if (rc != 0)
        memset(claims, 0, sizeof *claims);
    if (why)
        *why = rc == 0 ? NULL : reason;
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
