/* session_service_verify's own reader (tests/test_session.c holds the rejection cases):
 * its HMAC-SHA256 equals OpenSSL's HMAC() for keys of every length, the header is
 * checked whether or not it is the one libjwt writes, and the claims are read as
 * libjwt 1.10.2's jwt_decode() read them. */
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

#include "lib/app_err.h"
#include "lib/util.h"
#include "services/auth/session_service.h"

#define NOW 1790000000LL
static const unsigned char KEY[] = "0123456789abcdef0123456789abcdef-verify-test";
#define KEYLEN (sizeof KEY - 1)
static const char CLAIMS[] = "{\"iss\":\"playrouter\",\"sub\":\"user-1\",\"iat\":1790000000,"
                             "\"exp\":1790000600,\"jti\":\"j1\"}";

/* header.payload.signature, HMAC'd with OpenSSL's HMAC() (the reference). payload_len
 * lets a payload hold a NUL. Caller frees. */
static char *make_token(const char *header, const char *payload, size_t payload_len,
                        const unsigned char *key, size_t keylen)
{
    size_t hl = strlen(header);
    char *out = malloc(4 * (hl + payload_len) / 3 + 64);
    size_t n = util_base64url_encode((const unsigned char *)header, hl, out);
    out[n++] = '.';
    n += util_base64url_encode((const unsigned char *)payload, payload_len, out + n);
    out[n] = '\0';
    unsigned char mac[32];
    unsigned int maclen = 0;
    assert_non_null(HMAC(EVP_sha256(), key, (int)keylen, (unsigned char *)out, n, mac, &maclen));
    out[n++] = '.';
    n += util_base64url_encode(mac, maclen, out + n);
    out[n] = '\0';
    return out;
}

static int verify(const char *token, const unsigned char *key, size_t keylen,
                  struct session_claims *c, const char **why)
{
    return session_service_verify(key, keylen, token, NOW, c, why);
}

static void test_session_verify_hmac_matches_openssl_for_every_key_length(void **state)
{
    /* Shorter than, equal to and longer than SHA-256's 64-byte block (a longer key is
     * hashed first). */
    static const size_t lens[] = {32, 33, 63, 64, 65, 100, 128, 300};
    unsigned char key[300];
    for (size_t i = 0; i < sizeof key; i++)
        key[i] = (unsigned char)(i * 37 + 11);
    for (size_t i = 0; i < sizeof lens / sizeof lens[0]; i++) {
        struct session_claims c;
        char *t =
            make_token("{\"alg\":\"HS256\",\"typ\":\"JWT\"}", CLAIMS, strlen(CLAIMS), key, lens[i]);
        assert_int_equal(verify(t, key, lens[i], &c, NULL), 0);
        assert_string_equal(c.sub, "user-1");
        /* The same key but one byte shorter, or one byte changed: refused. */
        assert_int_equal(verify(t, key, lens[i] - 1, &c, NULL), ERR_UNAUTHORIZED);
        key[lens[i] - 1] ^= 1;
        assert_int_equal(verify(t, key, lens[i], &c, NULL), ERR_UNAUTHORIZED);
        key[lens[i] - 1] ^= 1;
        free(t);
    }
}

static void test_session_verify_headers(void **state)
{
    /* libjwt's own header, and other spellings of an HS256 header: accepted. */
    static const char *const good[] = {"{\"alg\":\"HS256\",\"typ\":\"JWT\"}",
                                       "{\"typ\":\"JWT\",\"alg\":\"HS256\"}",
                                       "{\"alg\":\"HS256\"}",
                                       "{\"alg\":\"HS256\",\"typ\":\"jwt\"}",
                                       "{\"alg\":\"HS256\",\"kid\":\"k1\"}",
                                       " {\"alg\":\"HS256\"} "};
    static const char *const bad[] = {"{\"alg\":\"HS256\",\"typ\":\"JWS\"}",
                                      "{\"alg\":\"HS256\",\"typ\":7}",
                                      "{\"alg\":\"HS256\",\"crit\":[\"exp\"]}",
                                      "{\"alg\":\"HS256\",\"alg\":\"HS256\"}",
                                      "{\"alg\":\"hs256\"}",
                                      "{\"alg\":[\"HS256\"]}",
                                      "[\"HS256\"]",
                                      "HS256"};
    struct session_claims c;
    const char *why = NULL;
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        char *t = make_token(good[i], CLAIMS, strlen(CLAIMS), KEY, KEYLEN);
        assert_int_equal(verify(t, KEY, KEYLEN, &c, &why), 0);
        free(t);
    }
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char *t = make_token(bad[i], CLAIMS, strlen(CLAIMS), KEY, KEYLEN);
        assert_int_equal(verify(t, KEY, KEYLEN, &c, &why), ERR_UNAUTHORIZED);
        assert_string_equal(c.sub, "");
        free(t);
    }
    /* An issued token carries exactly the header the reader knows without decoding. */
    char *token = NULL;
    assert_int_equal(session_service_issue(KEY, KEYLEN, "user-1", NOW, 60, &token, NULL), 0);
    assert_int_equal(strncmp(token, "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.", 37), 0);
    assert_int_equal(verify(token, KEY, KEYLEN, &c, &why), 0);
    free(token);
}

static void test_session_verify_claims_read_as_libjwt_read_them(void **state)
{
    const char *h = "{\"alg\":\"HS256\",\"typ\":\"JWT\"}";
    struct session_claims c;
    const char *why = NULL;
    /* A repeated claim keeps its last value (jansson's default, as in jwt_decode). */
    const char dup[] = "{\"iss\":\"playrouter\",\"sub\":\"user-1\",\"iat\":1790000000,"
                       "\"exp\":1790000600,\"jti\":\"j1\",\"sub\":\"user-2\"}";
    char *t = make_token(h, dup, strlen(dup), KEY, KEYLEN);
    assert_int_equal(verify(t, KEY, KEYLEN, &c, &why), 0);
    assert_string_equal(c.sub, "user-2");
    free(t);
    /* The text ends at a NUL, as libjwt handed it to json_loads. */
    char nul[sizeof CLAIMS + 8];
    memcpy(nul, CLAIMS, sizeof CLAIMS); /* with its NUL */
    memcpy(nul + sizeof CLAIMS, "garbage", 7);
    t = make_token(h, nul, sizeof CLAIMS + 7, KEY, KEYLEN);
    assert_int_equal(verify(t, KEY, KEYLEN, &c, &why), 0);
    assert_string_equal(c.jti, "j1");
    free(t);
    /* Not JSON: libjwt failed to decode it. JSON but not an object: bad claims. */
    t = make_token(h, "{\"iss\":", 7, KEY, KEYLEN);
    assert_int_equal(verify(t, KEY, KEYLEN, &c, &why), ERR_UNAUTHORIZED);
    assert_string_equal(why, "malformed token");
    free(t);
    t = make_token(h, "[1,2]", 5, KEY, KEYLEN);
    assert_int_equal(verify(t, KEY, KEYLEN, &c, &why), ERR_UNAUTHORIZED);
    assert_string_equal(c.sub, "");
    free(t);
    /* Payload text that is not base64url at all. */
    assert_int_equal(
        verify("eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.$$$$.xxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
               "xxxxxxxxxxxxx",
               KEY, KEYLEN, &c, &why),
        ERR_UNAUTHORIZED);
    /* nbf in the future beyond the skew, and within it. */
    const char nbf_late[] = "{\"iss\":\"playrouter\",\"sub\":\"u\",\"iat\":1790000000,"
                            "\"exp\":1790000600,\"jti\":\"j\",\"nbf\":1790000061}";
    t = make_token(h, nbf_late, strlen(nbf_late), KEY, KEYLEN);
    assert_int_equal(verify(t, KEY, KEYLEN, &c, &why), ERR_UNAUTHORIZED);
    assert_string_equal(why, "token not valid yet");
    free(t);
    const char nbf_ok[] = "{\"iss\":\"playrouter\",\"sub\":\"u\",\"iat\":1790000000,"
                          "\"exp\":1790000600,\"jti\":\"j\",\"nbf\":1790000060}";
    t = make_token(h, nbf_ok, strlen(nbf_ok), KEY, KEYLEN);
    assert_int_equal(verify(t, KEY, KEYLEN, &c, &why), 0);
    free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_session_verify_hmac_matches_openssl_for_every_key_length),
        cmocka_unit_test(test_session_verify_headers),
        cmocka_unit_test(test_session_verify_claims_read_as_libjwt_read_them),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
