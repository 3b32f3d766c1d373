/* AES-256-GCM for stored Spotify tokens (see token_crypto.h for the blob format). */
#include "services/auth/token_crypto.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

#include "lib/app_err.h"
#include "lib/util.h"

int token_crypto_encrypt(const unsigned char key[TOKEN_CRYPTO_KEY_LEN], const void *aad,
                         size_t aad_len, const void *pt, size_t n, unsigned char **out,
                         size_t *out_len)
{
    EVP_CIPHER_CTX *ctx = NULL;
    unsigned char *blob = NULL;
    int rc = ERR_INTERNAL;
    int len = 0;

    *out = NULL;
    *out_len = 0;
    if (n > TOKEN_CRYPTO_MAX_PLAINTEXT || aad_len > TOKEN_CRYPTO_MAX_PLAINTEXT)
        return ERR_VALIDATION;
    if (!(blob = malloc(n + TOKEN_CRYPTO_OVERHEAD))) {
        rc = ERR_NOMEM;
        goto done;
    }
    unsigned char *nonce = blob;
    unsigned char *ct = blob + TOKEN_CRYPTO_NONCE_LEN;
    unsigned char *tag = ct + n;
    /* A random 96-bit nonce per encryption: with one key and far fewer than 2^32
     * encryptions the collision risk is negligible (NIST SP 800-38D, 8.3). */
    if (util_random_bytes(nonce, TOKEN_CRYPTO_NONCE_LEN) != 0)
        goto done;
    if (!(ctx = EVP_CIPHER_CTX_new()))
        goto done;
    if (EVP_EncryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, NULL, NULL) != 1 ||
        EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN, TOKEN_CRYPTO_NONCE_LEN, NULL) != 1 ||
        EVP_EncryptInit_ex(ctx, NULL, NULL, key, nonce) != 1)
        goto done;
    if (aad_len > 0 && EVP_EncryptUpdate(ctx, NULL, &len, aad, (int)aad_len) != 1)
        goto done;
    if (n > 0 && EVP_EncryptUpdate(ctx, ct, &len, pt, (int)n) != 1)
        goto done;
    if (EVP_EncryptFinal_ex(ctx, ct + len, &len) != 1 ||
        EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, TOKEN_CRYPTO_TAG_LEN, tag) != 1)
        goto done;
    *out = blob;
    *out_len = n + TOKEN_CRYPTO_OVERHEAD;
    blob = NULL;
    rc = 0;
done:
    EVP_CIPHER_CTX_free(ctx);
    free(blob);
    return rc;
}

int token_crypto_decrypt(const unsigned char key[TOKEN_CRYPTO_KEY_LEN], const void *aad,
                         size_t aad_len, const unsigned char *blob, size_t blob_len, char **out,
                         size_t *out_len)
{
    EVP_CIPHER_CTX *ctx = NULL;
    char *pt = NULL;
    int rc = ERR_INTERNAL;
    int len = 0, fin = 0;
    size_t n;

    *out = NULL;
    if (out_len)
        *out_len = 0;
    if (!blob || blob_len < TOKEN_CRYPTO_OVERHEAD ||
        blob_len - TOKEN_CRYPTO_OVERHEAD > TOKEN_CRYPTO_MAX_PLAINTEXT ||
        aad_len > TOKEN_CRYPTO_MAX_PLAINTEXT)
        return ERR_UNAUTHORIZED;
    n = blob_len - TOKEN_CRYPTO_OVERHEAD;
    const unsigned char *nonce = blob;
    const unsigned char *ct = blob + TOKEN_CRYPTO_NONCE_LEN;
    const unsigned char *tag = ct + n;
    if (!(pt = malloc(n + 1))) {
        rc = ERR_NOMEM;
        goto done;
    }
    if (!(ctx = EVP_CIPHER_CTX_new()))
        goto done;
    if (EVP_DecryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, NULL, NULL) != 1 ||
        EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN, TOKEN_CRYPTO_NONCE_LEN, NULL) != 1 ||
        EVP_DecryptInit_ex(ctx, NULL, NULL, key, nonce) != 1)
        goto done;
    if (aad_len > 0 && EVP_DecryptUpdate(ctx, NULL, &len, aad, (int)aad_len) != 1)
        goto done;
    len = 0;
    if (n > 0 && EVP_DecryptUpdate(ctx, (unsigned char *)pt, &len, ct, (int)n) != 1)
        goto done;
    /* The tag is checked by DecryptFinal; EVP_CTRL_GCM_SET_TAG takes a non-const pointer
     * but does not write through it. */
    if (EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, TOKEN_CRYPTO_TAG_LEN, (void *)tag) != 1)
        goto done;
    if (EVP_DecryptFinal_ex(ctx, (unsigned char *)pt + len, &fin) != 1) {
        rc = ERR_UNAUTHORIZED; /* altered blob, wrong key or wrong aad */
        goto done;
    }
    pt[n] = '\0';
    *out = pt;
    if (out_len)
        *out_len = n;
    pt = NULL;
    rc = 0;
done:
    EVP_CIPHER_CTX_free(ctx);
    if (pt) {
        OPENSSL_cleanse(pt, n + 1);
        free(pt);
    }
    return rc;
}

void token_crypto_free_secret(char *s)
{
    if (!s)
        return;
    OPENSSL_cleanse(s, strlen(s));
    free(s);
}
