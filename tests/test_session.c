/* session_service: HS256 session tokens, their claims, revocation. */
#include <jwt.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
/* cmocka needs these first. */
// clang-format off
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
// clang-format on
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "repositories/db.h"
#include "repositories/revoked_token_repo.h"
#include "repositories/user_repo.h"
#include "app/app.h"
#include "services/auth/session_cache.h"
#include "lib/app_err.h"
#include "app/config.h"
#include "lib/util.h"
#include "services/auth/session_service.h"

static const unsigned char KEY[] = "0123456789abcdef0123456789abcdef-test-key";
#define KEYLEN (sizeof KEY - 1)

#include "tests/test_session_fixture.h"
static const unsigned char OTHER_KEY[] = "another-secret-of-at-least-32-bytes!!";
#define NOW 1790000000LL

static void b64(const void *in, size_t n, char *out)
{
    util_base64url_encode(in, n, out);
}

/* Builds header.payload.signature by hand: HMAC-SHA256 with key when key is not NULL,
 * the given raw signature text otherwise. Caller frees. */
static char *make_token(const char *header, const char *payload, const unsigned char *key,
                        size_t keylen, const char *raw_sig)
{
    size_t hl = strlen(header), pl = strlen(payload);
    char *out = malloc(4 * (hl + pl) / 3 + 200);
    char *h = malloc(4 * hl / 3 + 8), *p = malloc(4 * pl / 3 + 8);
    b64(header, hl, h);
    b64(payload, pl, p);
    sprintf(out, "%s.%s", h, p);
    if (key) {
        unsigned char mac[32];
        unsigned int maclen = 0;
        char sig[64];
        HMAC(EVP_sha256(), key, (int)keylen, (unsigned char *)out, strlen(out), mac, &maclen);
        b64(mac, maclen, sig);
        strcat(out, ".");
        strcat(out, sig);
    } else {
        strcat(out, ".");
        strcat(out, raw_sig);
    }
    free(h);
    free(p);
    return out;
}

static char *claims_json(const char *iss, const char *sub, long long iat, long long exp,
                         const char *jti)
{
    char *s = malloc(512);
    int n = 0;
    n += sprintf(s + n, "{");
    if (iss)
        n += sprintf(s + n, "\"iss\":\"%s\",", iss);
    if (sub)
        n += sprintf(s + n, "\"sub\":\"%s\",", sub);
    if (iat >= 0)
        n += sprintf(s + n, "\"iat\":%lld,", iat);
    if (exp >= 0)
        n += sprintf(s + n, "\"exp\":%lld,", exp);
    if (jti)
        n += sprintf(s + n, "\"jti\":\"%s\",", jti);
    if (s[n - 1] == ',')
        n--;
    sprintf(s + n, "}");
    return s;
}

static void expect_reject(const char *token, const unsigned char *key, size_t keylen, long long now)
{
    struct session_claims c;
    const char *why = NULL;
    assert_int_equal(session_service_verify(key, keylen, token, now, &c, &why), ERR_UNAUTHORIZED);
    assert_non_null(why);
    assert_string_equal(c.sub, "");
}

static void expect_reject_claims(const char *payload)
{
    char *t = make_token("{\"alg\":\"HS256\",\"typ\":\"JWT\"}", payload, KEY, KEYLEN, NULL);
    expect_reject(t, KEY, KEYLEN, NOW);
    free(t);
}

static void test_session_round_trip(void **state)
{
    char *token = NULL;
    struct session_claims issued, got;
    const char *why = "x";
    assert_int_equal(session_service_issue(KEY, KEYLEN, "user-1", NOW, 3600, &token, &issued), 0);
    assert_non_null(token);
    assert_int_equal(session_service_verify(KEY, KEYLEN, token, NOW + 10, &got, &why), 0);
    assert_null(why);
    assert_string_equal(got.sub, "user-1");
    assert_string_equal(got.jti, issued.jti);
    assert_int_equal(strlen(got.jti), 32);
    assert_int_equal(got.iat, NOW);
    assert_int_equal(got.exp, NOW + 3600);
    /* libjwt wrote an HS256 header. */
    jwt_t *jwt = NULL;
    assert_int_equal(jwt_decode(&jwt, token, KEY, (int)KEYLEN), 0);
    assert_int_equal(jwt_get_alg(jwt), JWT_ALG_HS256);
    assert_string_equal(jwt_get_grant(jwt, "iss"), "playrouter");
    jwt_free(jwt);
    free(token);
}

static void test_session_jti_unique(void **state)
{
    char *a = NULL, *b = NULL;
    struct session_claims ca, cb;
    assert_int_equal(session_service_issue(KEY, KEYLEN, "u", NOW, 60, &a, &ca), 0);
    assert_int_equal(session_service_issue(KEY, KEYLEN, "u", NOW, 60, &b, &cb), 0);
    assert_string_not_equal(ca.jti, cb.jti);
    free(a);
    free(b);
}

static void test_session_hand_built_valid_token_accepted(void **state)
{
    /* The test's own builder makes tokens the service accepts, so the rejections
     * below are about what each changes. */
    char *p = claims_json("playrouter", "user-1", NOW, NOW + 60, "j1");
    char *t = make_token("{\"alg\":\"HS256\",\"typ\":\"JWT\"}", p, KEY, KEYLEN, NULL);
    struct session_claims c;
    assert_int_equal(session_service_verify(KEY, KEYLEN, t, NOW, &c, NULL), 0);
    assert_string_equal(c.sub, "user-1");
    free(t);
    free(p);
}

static void test_session_tampered_payload_rejected(void **state)
{
    char *token = NULL;
    assert_int_equal(session_service_issue(KEY, KEYLEN, "user-1", NOW, 3600, &token, NULL), 0);
    /* Swap the payload for another user's, keeping header and signature. */
    char *p = claims_json("playrouter", "user-2", NOW, NOW + 3600, "j1");
    char pb[512];
    b64(p, strlen(p), pb);
    char *d1 = strchr(token, '.'), *d2 = strchr(d1 + 1, '.');
    char forged[2048];
    snprintf(forged, sizeof forged, "%.*s.%s%s", (int)(d1 - token), token, pb, d2);
    expect_reject(forged, KEY, KEYLEN, NOW);
    /* One character of the payload changed. */
    d1[3] = d1[3] == 'A' ? 'B' : 'A';
    expect_reject(token, KEY, KEYLEN, NOW);
    free(p);
    free(token);
}

static void test_session_tampered_signature_rejected(void **state)
{
    char *token = NULL;
    assert_int_equal(session_service_issue(KEY, KEYLEN, "user-1", NOW, 3600, &token, NULL), 0);
    size_t n = strlen(token);
    char *sig = strrchr(token, '.') + 1;
    /* Each position of the signature, including the last character's unused bits. */
    for (char *p = sig; *p; p++) {
        char orig = *p;
        *p = orig == 'A' ? 'B' : 'A';
        expect_reject(token, KEY, KEYLEN, NOW);
        *p = orig;
    }
    token[n - 1] = '\0'; /* shortened */
    expect_reject(token, KEY, KEYLEN, NOW);
    free(token);
}

static void test_session_expired_beyond_skew_rejected(void **state)
{
    char *token = NULL;
    assert_int_equal(session_service_issue(KEY, KEYLEN, "user-1", NOW - 3600, 600, &token, NULL),
                     0);
    expect_reject(token, KEY, KEYLEN, NOW); /* expired 50 minutes ago */
    free(token);
    assert_int_equal(session_service_issue(KEY, KEYLEN, "user-1", NOW - 700, 600, &token, NULL), 0);
    expect_reject(token, KEY, KEYLEN, NOW); /* 100 s ago: beyond the 60 s skew */
    free(token);
}

static void test_session_expired_within_skew_accepted(void **state)
{
    char *token = NULL;
    struct session_claims c;
    assert_int_equal(session_service_issue(KEY, KEYLEN, "user-1", NOW - 630, 600, &token, NULL), 0);
    assert_int_equal(session_service_verify(KEY, KEYLEN, token, NOW, &c, NULL), 0);      /* 30 s */
    assert_int_equal(session_service_verify(KEY, KEYLEN, token, NOW + 30, &c, NULL), 0); /* 60 s */
    expect_reject(token, KEY, KEYLEN, NOW + 31);                                         /* 61 s */
    free(token);
}

static void test_session_issued_in_future_rejected(void **state)
{
    char *token = NULL;
    struct session_claims c;
    assert_int_equal(session_service_issue(KEY, KEYLEN, "user-1", NOW + 120, 600, &token, NULL), 0);
    expect_reject(token, KEY, KEYLEN, NOW);
    free(token);
    assert_int_equal(session_service_issue(KEY, KEYLEN, "user-1", NOW + 30, 600, &token, NULL), 0);
    assert_int_equal(session_service_verify(KEY, KEYLEN, token, NOW, &c, NULL), 0);
    free(token);
}

static void test_session_alg_none_rejected(void **state)
{
    char *p = claims_json("playrouter", "user-1", NOW, NOW + 600, "j1");
    char *t = make_token("{\"alg\":\"none\",\"typ\":\"JWT\"}", p, NULL, 0, "");
    expect_reject(t, KEY, KEYLEN, NOW);
    /* Two parts only. */
    t[strlen(t) - 1] = '\0';
    expect_reject(t, KEY, KEYLEN, NOW);
    free(t);
    /* "none" with a (meaningless) signature, and "None". */
    t = make_token("{\"alg\":\"none\"}", p, KEY, KEYLEN, NULL);
    expect_reject(t, KEY, KEYLEN, NOW);
    free(t);
    t = make_token("{\"alg\":\"None\"}", p, NULL, 0, "");
    expect_reject(t, KEY, KEYLEN, NOW);
    free(t);
    free(p);
}

static void test_session_wrong_key_rejected(void **state)
{
    char *token = NULL;
    assert_int_equal(
        session_service_issue(OTHER_KEY, sizeof OTHER_KEY - 1, "user-1", NOW, 600, &token, NULL),
        0);
    expect_reject(token, KEY, KEYLEN, NOW);
    free(token);
}

static void test_session_hs512_rejected(void **state)
{
    jwt_t *jwt = NULL;
    assert_int_equal(jwt_new(&jwt), 0);
    jwt_add_grant(jwt, "iss", "playrouter");
    jwt_add_grant(jwt, "sub", "user-1");
    jwt_add_grant(jwt, "jti", "j1");
    jwt_add_grant_int(jwt, "iat", NOW);
    jwt_add_grant_int(jwt, "exp", NOW + 600);
    assert_int_equal(jwt_set_alg(jwt, JWT_ALG_HS512, KEY, (int)KEYLEN), 0);
    char *t = jwt_encode_str(jwt);
    assert_non_null(t);
    expect_reject(t, KEY, KEYLEN, NOW);
    free(t);
    jwt_free(jwt);
    /* Same key, HS384 claimed in the header but an HS256 MAC. */
    char *p = claims_json("playrouter", "user-1", NOW, NOW + 600, "j1");
    t = make_token("{\"alg\":\"HS384\",\"typ\":\"JWT\"}", p, KEY, KEYLEN, NULL);
    expect_reject(t, KEY, KEYLEN, NOW);
    free(t);
    free(p);
}

static void test_session_rs256_rejected(void **state)
{
    /* Algorithm confusion: RS256 in the header, MAC'd with our secret as if it were
     * the public key. */
    char *p = claims_json("playrouter", "user-1", NOW, NOW + 600, "j1");
    char *t = make_token("{\"alg\":\"RS256\",\"typ\":\"JWT\"}", p, KEY, KEYLEN, NULL);
    expect_reject(t, KEY, KEYLEN, NOW);
    free(t);
    t = make_token("{\"alg\":\"ES256\"}", p, KEY, KEYLEN, NULL);
    expect_reject(t, KEY, KEYLEN, NOW);
    free(t);
    t = make_token("{\"typ\":\"JWT\"}", p, KEY, KEYLEN, NULL); /* no alg at all */
    expect_reject(t, KEY, KEYLEN, NOW);
    free(t);
    free(p);
}

static void test_session_missing_claims_rejected(void **state)
{
    char *p;
    p = claims_json(NULL, "user-1", NOW, NOW + 600, "j1"); /* no iss */
    expect_reject_claims(p);
    free(p);
    p = claims_json("playrouter", NULL, NOW, NOW + 600, "j1"); /* no sub */
    expect_reject_claims(p);
    free(p);
    p = claims_json("playrouter", "user-1", -1, NOW + 600, "j1"); /* no iat */
    expect_reject_claims(p);
    free(p);
    p = claims_json("playrouter", "user-1", NOW, -1, "j1"); /* no exp */
    expect_reject_claims(p);
    free(p);
    p = claims_json("playrouter", "user-1", NOW, NOW + 600, NULL); /* no jti */
    expect_reject_claims(p);
    free(p);
    p = claims_json("playrouter", "", NOW, NOW + 600, "j1"); /* empty sub */
    expect_reject_claims(p);
    free(p);
    /* exp as a string, iat as a float, sub as a number. */
    expect_reject_claims("{\"iss\":\"playrouter\",\"sub\":\"u\",\"iat\":1790000000,"
                         "\"exp\":\"1790000600\",\"jti\":\"j\"}");
    expect_reject_claims("{\"iss\":\"playrouter\",\"sub\":\"u\",\"iat\":1790000000.5,"
                         "\"exp\":1790000600,\"jti\":\"j\"}");
    expect_reject_claims("{\"iss\":\"playrouter\",\"sub\":7,\"iat\":1790000000,"
                         "\"exp\":1790000600,\"jti\":\"j\"}");
    /* exp before iat. */
    p = claims_json("playrouter", "user-1", NOW, NOW - 1, "j1");
    expect_reject_claims(p);
    free(p);
    /* Not a JSON object. */
    expect_reject_claims("[1,2,3]");
    expect_reject_claims("not json");
}

static void test_session_wrong_issuer_rejected(void **state)
{
    char *p = claims_json("someone-else", "user-1", NOW, NOW + 600, "j1");
    expect_reject_claims(p);
    free(p);
    p = claims_json("Playrouter", "user-1", NOW, NOW + 600, "j1");
    expect_reject_claims(p);
    free(p);
}

static void test_session_malformed_rejected(void **state)
{
    expect_reject("", KEY, KEYLEN, NOW);
    expect_reject("abc", KEY, KEYLEN, NOW);
    expect_reject("a.b", KEY, KEYLEN, NOW);
    expect_reject("a.b.c.d", KEY, KEYLEN, NOW);
    expect_reject("..", KEY, KEYLEN, NOW);
    expect_reject("e30.e30.!!!", KEY, KEYLEN, NOW);
    char *big = malloc(SESSION_TOKEN_MAX + 10);
    memset(big, 'a', SESSION_TOKEN_MAX + 9);
    big[SESSION_TOKEN_MAX + 9] = '\0';
    big[10] = '.';
    big[20] = '.';
    expect_reject(big, KEY, KEYLEN, NOW);
    free(big);
    struct session_claims c;
    assert_int_equal(session_service_verify(KEY, KEYLEN, NULL, NOW, &c, NULL), ERR_UNAUTHORIZED);
}

static void test_session_empty_key_never_accepts(void **state)
{
    /* libjwt would accept alg none with an empty key: verify refuses to run at all. */
    char *p = claims_json("playrouter", "user-1", NOW, NOW + 600, "j1");
    char *t = make_token("{\"alg\":\"none\"}", p, NULL, 0, "");
    expect_reject(t, (const unsigned char *)"", 0, NOW);
    expect_reject(t, NULL, 0, NOW);
    free(t);
    t = make_token("{\"alg\":\"HS256\"}", p, (const unsigned char *)"short", 5, NULL);
    expect_reject(t, (const unsigned char *)"short", 5, NOW);
    free(t);
    free(p);
    char *token = NULL;
    assert_int_not_equal(
        session_service_issue((const unsigned char *)"", 0, "u", NOW, 60, &token, NULL), 0);
    assert_null(token);
}

/* ---- with a database: revocation and deleted users ---- */

static void test_session_authenticate_then_revoke(void **state)
{
    struct dbfix *f = *state;
    char *token = NULL;
    struct session_claims issued, c;
    const char *why = NULL;
    int64_t now = (int64_t)time(NULL);
    assert_int_equal(session_service_issue(KEY, KEYLEN, "user-1", now, 600, &token, &issued), 0);
    assert_int_equal(session_service_authenticate(&f->app, f->db, token, now, &c, &why), 0);
    assert_string_equal(c.sub, "user-1");

    assert_int_equal(session_service_revoke(&f->app, f->db, issued.jti, issued.exp, now), 0);
    assert_int_equal(session_service_revoke(&f->app, f->db, issued.jti, issued.exp, now), 0); /* twice */
    assert_int_equal(session_service_authenticate(&f->app, f->db, token, now, &c, &why),
                     ERR_UNAUTHORIZED);
    assert_non_null(strstr(why, "revoked"));
    /* Another token of the same user still works. */
    char *other = NULL;
    assert_int_equal(session_service_issue(KEY, KEYLEN, "user-1", now, 600, &other, NULL), 0);
    assert_int_equal(session_service_authenticate(&f->app, f->db, other, now, &c, &why), 0);
    /* The revocation outlives the token's last accepted second, then is purged. */
    int revoked = 0;
    assert_int_equal(revoked_token_repo_purge(f->db, issued.exp + SESSION_MAX_SKEW_S), 0);
    assert_int_equal(revoked_token_repo_is_revoked(f->db, issued.jti, &revoked), 0);
    assert_int_equal(revoked, 1);
    assert_int_equal(revoked_token_repo_purge(f->db, issued.exp + SESSION_MAX_SKEW_S + 1), 0);
    assert_int_equal(revoked_token_repo_is_revoked(f->db, issued.jti, &revoked), 0);
    assert_int_equal(revoked, 0);
    free(token);
    free(other);
}

static void test_session_unknown_user_rejected(void **state)
{
    struct dbfix *f = *state;
    char *token = NULL;
    struct session_claims c;
    const char *why = NULL;
    int64_t now = (int64_t)time(NULL);
    assert_int_equal(session_service_issue(KEY, KEYLEN, "user-gone", now, 600, &token, NULL), 0);
    assert_int_equal(session_service_authenticate(&f->app, f->db, token, now, &c, &why),
                     ERR_UNAUTHORIZED);
    assert_non_null(strstr(why, "user"));
    free(token);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_session_round_trip),
        cmocka_unit_test(test_session_jti_unique),
        cmocka_unit_test(test_session_hand_built_valid_token_accepted),
        cmocka_unit_test(test_session_tampered_payload_rejected),
        cmocka_unit_test(test_session_tampered_signature_rejected),
        cmocka_unit_test(test_session_expired_beyond_skew_rejected),
        cmocka_unit_test(test_session_expired_within_skew_accepted),
        cmocka_unit_test(test_session_issued_in_future_rejected),
        cmocka_unit_test(test_session_alg_none_rejected),
        cmocka_unit_test(test_session_wrong_key_rejected),
        cmocka_unit_test(test_session_hs512_rejected),
        cmocka_unit_test(test_session_rs256_rejected),
        cmocka_unit_test(test_session_missing_claims_rejected),
        cmocka_unit_test(test_session_wrong_issuer_rejected),
        cmocka_unit_test(test_session_malformed_rejected),
        cmocka_unit_test(test_session_empty_key_never_accepts),
        cmocka_unit_test_setup_teardown(test_session_authenticate_then_revoke, db_setup,
                                        db_teardown),
        cmocka_unit_test_setup_teardown(test_session_unknown_user_rejected, db_setup, db_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
