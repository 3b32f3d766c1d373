#ifndef PLAYROUTER_TOKEN_CRYPTO_H
#define PLAYROUTER_TOKEN_CRYPTO_H
/* Encryption at rest of the Spotify tokens kept in the users table.
 *
 * AES-256-GCM (OpenSSL EVP) with a fresh random 12-byte nonce per encryption and a
 * 16-byte tag. A blob is   nonce (12) || ciphertext (n) || tag (16).
 * The associated data (AAD) binds a blob to its place: callers pass something like
 * "spotify-access:<user id>", so a blob copied into another user's row (or from the
 * refresh column into the access column) fails to decrypt. A copy of the database
 * file alone reveals no token: the key lives outside it (cfg->token_key). */
#include <stddef.h>

#define TOKEN_CRYPTO_KEY_LEN 32
#define TOKEN_CRYPTO_NONCE_LEN 12
#define TOKEN_CRYPTO_TAG_LEN 16
#define TOKEN_CRYPTO_OVERHEAD (TOKEN_CRYPTO_NONCE_LEN + TOKEN_CRYPTO_TAG_LEN)
#define TOKEN_CRYPTO_MAX_PLAINTEXT (64 * 1024) /* tokens are a few hundred bytes */

/* Encrypts n bytes of pt under key with aad (aad_len may be 0).
 * On success returns 0 and *out (caller frees with free()) holds n + OVERHEAD bytes.
 * ERR_VALIDATION when n exceeds TOKEN_CRYPTO_MAX_PLAINTEXT, ERR_NOMEM, or
 * ERR_INTERNAL when the CSPRNG or OpenSSL fails. */
int token_crypto_encrypt(const unsigned char key[TOKEN_CRYPTO_KEY_LEN], const void *aad,
                         size_t aad_len, const void *pt, size_t n, unsigned char **out,
                         size_t *out_len);

/* Decrypts and authenticates a blob made by token_crypto_encrypt with the same key
 * and aad. On success returns 0 and *out is a NUL-terminated copy of the plaintext
 * (caller frees with token_crypto_free_secret(), which wipes it); *out_len (may be
 * NULL) gets its length. ERR_UNAUTHORIZED when the blob is too short, was altered,
 * or the key or aad differ; ERR_NOMEM; ERR_INTERNAL on an OpenSSL failure. */
int token_crypto_decrypt(const unsigned char key[TOKEN_CRYPTO_KEY_LEN], const void *aad,
                         size_t aad_len, const unsigned char *blob, size_t blob_len, char **out,
                         size_t *out_len);

/* Wipes and frees a NUL-terminated secret string; NULL ok. */
void token_crypto_free_secret(char *s);

#endif
