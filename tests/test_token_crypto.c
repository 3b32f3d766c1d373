/* token_crypto: AES-256-GCM with a random nonce and AAD. */
/* cmocka needs these first. */
// clang-format off
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
// clang-format on
#include <stdlib.h>
#include <string.h>

#include "lib/app_err.h"
#include "services/auth/token_crypto.h"

static const unsigned char key[32] = {1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11,
                                      12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22,
                                      23, 24, 25, 26, 27, 28, 29, 30, 31, 32};
static const char secret[] = "BQDx-access-token-0123456789";
static const char aad[] = "spotify-access:user-1";

static void encrypt_ok(const char *pt, const char *a, unsigned char **blob, size_t *len)
{
    assert_int_equal(token_crypto_encrypt(key, a, strlen(a), pt, strlen(pt), blob, len), 0);
    assert_non_null(*blob);
    assert_int_equal(*len, strlen(pt) + TOKEN_CRYPTO_OVERHEAD);
}

static void test_token_crypto_round_trip(void **state)
{
    unsigned char *blob = NULL;
    size_t len = 0, outlen = 0;
    char *out = NULL;
    encrypt_ok(secret, aad, &blob, &len);
    /* The plaintext does not appear in the blob. */
    assert_null(memmem(blob, len, secret, strlen(secret)));
    assert_int_equal(token_crypto_decrypt(key, aad, strlen(aad), blob, len, &out, &outlen), 0);
    assert_string_equal(out, secret);
    assert_int_equal(outlen, strlen(secret));
    token_crypto_free_secret(out);
    free(blob);
}

static void test_token_crypto_empty_plaintext(void **state)
{
    unsigned char *blob = NULL;
    size_t len = 0;
    char *out = NULL;
    assert_int_equal(token_crypto_encrypt(key, aad, strlen(aad), "", 0, &blob, &len), 0);
    assert_int_equal(len, TOKEN_CRYPTO_OVERHEAD);
    assert_int_equal(token_crypto_decrypt(key, aad, strlen(aad), blob, len, &out, NULL), 0);
    assert_string_equal(out, "");
    token_crypto_free_secret(out);
    free(blob);
}

static void test_token_crypto_tamper_fails(void **state)
{
    unsigned char *blob = NULL;
    size_t len = 0;
    char *out = NULL;
    encrypt_ok(secret, aad, &blob, &len);
    /* Every byte matters: nonce, ciphertext and tag. */
    for (size_t i = 0; i < len; i++) {
        blob[i] ^= 0x01;
        assert_int_equal(token_crypto_decrypt(key, aad, strlen(aad), blob, len, &out, NULL),
                         ERR_UNAUTHORIZED);
        assert_null(out);
        blob[i] ^= 0x01;
    }
    /* Truncated and too short. */
    assert_int_equal(token_crypto_decrypt(key, aad, strlen(aad), blob, len - 1, &out, NULL),
                     ERR_UNAUTHORIZED);
    assert_int_equal(token_crypto_decrypt(key, aad, strlen(aad), blob, 10, &out, NULL),
                     ERR_UNAUTHORIZED);
    assert_int_equal(token_crypto_decrypt(key, aad, strlen(aad), NULL, 0, &out, NULL),
                     ERR_UNAUTHORIZED);
    free(blob);
}

static void test_token_crypto_wrong_aad_fails(void **state)
{
    unsigned char *blob = NULL;
    size_t len = 0;
    char *out = NULL;
    const char *other = "spotify-access:user-2";
    const char *column = "spotify-refresh:user-1";
    encrypt_ok(secret, aad, &blob, &len);
    assert_int_equal(token_crypto_decrypt(key, other, strlen(other), blob, len, &out, NULL),
                     ERR_UNAUTHORIZED);
    assert_int_equal(token_crypto_decrypt(key, column, strlen(column), blob, len, &out, NULL),
                     ERR_UNAUTHORIZED);
    assert_int_equal(token_crypto_decrypt(key, NULL, 0, blob, len, &out, NULL), ERR_UNAUTHORIZED);
    assert_null(out);
    free(blob);
}

static void test_token_crypto_wrong_key_fails(void **state)
{
    unsigned char *blob = NULL;
    size_t len = 0;
    char *out = NULL;
    unsigned char other[32];
    memcpy(other, key, sizeof other);
    other[31] ^= 0x80;
    encrypt_ok(secret, aad, &blob, &len);
    assert_int_equal(token_crypto_decrypt(other, aad, strlen(aad), blob, len, &out, NULL),
                     ERR_UNAUTHORIZED);
    free(blob);
}

static void test_token_crypto_nonces_differ(void **state)
{
    unsigned char *a = NULL, *b = NULL;
    size_t la = 0, lb = 0;
    encrypt_ok(secret, aad, &a, &la);
    encrypt_ok(secret, aad, &b, &lb);
    assert_int_equal(la, lb);
    assert_memory_not_equal(a, b, TOKEN_CRYPTO_NONCE_LEN);
    assert_memory_not_equal(a, b, la); /* same plaintext, different blobs */
    free(a);
    free(b);
}

static void test_token_crypto_oversized_refused(void **state)
{
    size_t n = TOKEN_CRYPTO_MAX_PLAINTEXT + 1;
    char *big = calloc(1, n);
    unsigned char *blob = NULL;
    size_t len = 0;
    assert_non_null(big);
    assert_int_equal(token_crypto_encrypt(key, aad, strlen(aad), big, n, &blob, &len),
                     ERR_VALIDATION);
    assert_null(blob);
    free(big);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_token_crypto_round_trip),
        cmocka_unit_test(test_token_crypto_empty_plaintext),
        cmocka_unit_test(test_token_crypto_tamper_fails),
        cmocka_unit_test(test_token_crypto_wrong_aad_fails),
        cmocka_unit_test(test_token_crypto_wrong_key_fails),
        cmocka_unit_test(test_token_crypto_nonces_differ),
        cmocka_unit_test(test_token_crypto_oversized_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
