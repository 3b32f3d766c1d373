#ifndef EMU_UTIL_H
#define EMU_UTIL_H
/* Small self-contained helpers of the Spotify emulator: a JSON writer on top of
 * lib/buf's growable string, a string -> int hash map,
 * a deterministic PRNG, base64 and URL/form decoding, and clocks.
 * Nothing here takes locks; callers synchronise. */
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* struct buf (growable, always NUL-terminated once written) is playrouter's lib/buf:
 * the one building block the emulator shares (it links none of playrouter's logic). */
#include "lib/buf.h"
#include "lib/hash.h"

/* ---- JSON writing into a buf. All return 0 or -1 (out of memory). ---- */
/* Appends s as a quoted, escaped JSON string; NULL appends null. */
int jw_str(struct buf *b, const char *s);
int jw_strn(struct buf *b, const char *s, size_t n);
/* Appends ,"key": (the comma only when comma is true). */
int jw_key(struct buf *b, const char *key, bool comma);
int jw_int(struct buf *b, long long v);
int jw_bool(struct buf *b, bool v);

/* ---- string -> int map (lib/hash's table). Keys are borrowed: the caller keeps
 * them alive and unchanged while they are in the map. Zero-initialised = empty. ---- */
struct strmap {
    struct hash h;
};
/* 0, or -1 when out of memory. Replaces the value of an existing key. */
int strmap_put(struct strmap *m, const char *key, int val);
/* The value, or -1 when absent. */
int strmap_get(const struct strmap *m, const char *key);
int strmap_getn(const struct strmap *m, const char *key, size_t len);
void strmap_del(struct strmap *m, const char *key);
void strmap_release(struct strmap *m);

/* ---- deterministic PRNG (splitmix64) ---- */
struct rng {
    uint64_t s;
};
void rng_seed(struct rng *r, uint64_t seed);
uint64_t rng_next(struct rng *r);
/* Uniform in [0, n); n > 0. */
uint32_t rng_below(struct rng *r, uint32_t n);
/* Hash of a string mixed with a seed (FNV-1a then splitmix finaliser). */
uint64_t id_hash(uint64_t seed, const char *s);
/* Writes a 22-character base62 id derived from h (and a NUL) into out[23]. */
void base62_id(uint64_t h1, uint64_t h2, char out[23]);
/* 1 when s is a syntactically valid Spotify id (1..32 chars of [0-9A-Za-z]). */
bool is_base62_id(const char *s, size_t n);

/* 1 when s can be a user id here: 1..64 characters of [A-Za-z0-9._-] (so that it
 * can go into URLs and JSON strings unescaped). */
bool is_user_id(const char *s);

/* ---- encodings ---- */
/* Base64 (standard alphabet, padded) of len bytes into out (4*ceil(len/3)+1 bytes). */
void b64_encode(const unsigned char *in, size_t len, char *out, bool url);
/* Decodes standard base64 into out (cap bytes); returns length or -1. */
long b64_decode(const char *in, size_t len, unsigned char *out, size_t cap);
/* Percent-decodes in place ('+' becomes a space when plus is true); returns the new length. */
size_t url_decode(char *s, bool plus);
/* Appends s percent-encoded (unreserved characters kept). */
int url_encode(struct buf *b, const char *s);
/* Finds key in an application/x-www-form-urlencoded body; returns a malloc'ed
 * decoded value (caller frees) or NULL when absent / out of memory. */
char *form_get(const char *body, size_t len, const char *key);
/* Fills out with n random bytes from OpenSSL; 0 or -1. */
int random_bytes(unsigned char *out, size_t n);
/* Writes outsz-1 random url-safe characters and a NUL into out (outsz 2..257); 0 or -1. */
int random_token(char *out, size_t outsz);

/* ---- clocks ---- */
int64_t now_ms(void);  /* wall clock, ms since the epoch */
int64_t mono_ms(void); /* monotonic, ms */
/* Writes "YYYY-MM-DDTHH:MM:SSZ" for secs since the epoch into out[21]. */
void iso8601(int64_t secs, char out[21]);
/* Parses "YYYY-MM-DDTHH:MM:SSZ" (fractional seconds, "…:SS.123Z", are accepted
 * and dropped); 0 and *secs, or -1. */
int parse_iso8601(const char *s, int64_t *secs);

/* strdup that returns NULL for NULL. */
char *xstrdup(const char *s);
/* Checked integer parse of a whole string in [lo, hi]; 0 or -1. */
int parse_long(const char *s, long lo, long hi, long *out);

#endif
