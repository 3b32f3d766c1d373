#ifndef PLAYROUTER_UTIL_H
#define PLAYROUTER_UTIL_H
/* Small helpers shared by every layer: ids, randomness, time, checked numbers. */
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define ID_LEN 32 /* hex characters of a generated id */

/* Fills buf with n bytes from the OS CSPRNG; 0 or -1. */
int util_random_bytes(void *buf, size_t n);
/* A new random opaque id: 32 lowercase hex characters + NUL. 0 or -1. */
int util_id_new(char out[ID_LEN + 1]);
/* Hex-encodes n bytes into out (2n+1 bytes). */
void util_hex_encode(const unsigned char *in, size_t n, char *out);
/* base64url without padding; out must hold 4*ceil(n/3)+1 bytes. Returns the length written. */
size_t util_base64url_encode(const unsigned char *in, size_t n, char *out);
/* Decodes n characters of unpadded base64url into out, which must hold n / 4 * 3 + 3
 * bytes; out is NUL-terminated and *out_len (may be NULL) gets the decoded length.
 * 0, or -1 for a character outside the alphabet or a length no encoding has. */
int util_base64url_decode(const char *in, size_t n, unsigned char *out, size_t *out_len);
/* Length of the valid UTF-8 sequence that starts at s (s < end), 0 when it is not
 * one: jansson's rules (no overlong forms, no surrogates, at most U+10FFFF). */
size_t util_utf8_len(const unsigned char *s, const unsigned char *end);
/* A copy of s (caller frees) with every byte that does not start a valid UTF-8
 * sequence replaced by U+FFFD; NULL when out of memory. */
char *util_utf8_repair(const char *s);
/* The value of one hex digit (either case), or -1. */
int util_hex_value(char c);

/* RFC 3339 UTC, whole seconds: "2026-11-23T14:30:00Z" (21 bytes with NUL). */
void util_time_format(time_t t, char out[21]);
/* Parses exactly that format; 0 or -1. */
int util_time_parse(const char *s, time_t *out);
/* Milliseconds of a monotonic clock. */
int64_t util_now_ms(void);

/* Parses a whole decimal integer in [min, max]; 0 or -1 (no partial parses). */
int util_parse_int64(const char *s, int64_t min, int64_t max, int64_t *out);

/* The origin of an http(s) URL, normalised for comparison: "scheme://host[:port]" in
 * lower case, the scheme's default port left out ("HTTPS://App.example:443/x" ->
 * "https://app.example"). Works on an Origin header's value too. 0, or -1 (not http
 * or https, no host, user info, a bad port, or out too small). */
int util_url_origin(const char *url, char *out, size_t outlen);

/* Days since 1970-01-01 of a proleptic Gregorian date (month 1-12, day 1-31). */
int64_t util_days_from_civil(int64_t y, unsigned m, unsigned d);

#endif
