#include "util.h"

#include "lib/util.h"

#include <ctype.h>
#include <errno.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ---- JSON writer ---- */

/* Length of the well-formed UTF-8 sequence at p (at most n bytes), or 0. */
static size_t utf8_len(const unsigned char *p, size_t n)
{
    size_t len;
    uint32_t cp;
    if (p[0] >= 0xC2 && p[0] <= 0xDF)
        len = 2, cp = p[0] & 0x1F;
    else if (p[0] >= 0xE0 && p[0] <= 0xEF)
        len = 3, cp = p[0] & 0x0F;
    else if (p[0] >= 0xF0 && p[0] <= 0xF4)
        len = 4, cp = p[0] & 0x07;
    else
        return 0;
    if (len > n)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((p[i] & 0xC0) != 0x80)
            return 0;
        cp = (cp << 6) | (p[i] & 0x3F);
    }
    if ((len == 3 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) ||
        (len == 4 && (cp < 0x10000 || cp > 0x10FFFF)))
        return 0;
    return len;
}

int jw_strn(struct buf *b, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    /* Worst case every byte becomes \u00XX. */
    if (buf_reserve(b, n * 6 + 2) != 0)
        return -1;
    char *o = b->data + b->len;
    *o++ = '"';
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        switch (c) {
        case '"':
            *o++ = '\\';
            *o++ = '"';
            break;
        case '\\':
            *o++ = '\\';
            *o++ = '\\';
            break;
        case '\n':
            *o++ = '\\';
            *o++ = 'n';
            break;
        case '\r':
            *o++ = '\\';
            *o++ = 'r';
            break;
        case '\t':
            *o++ = '\\';
            *o++ = 't';
            break;
        default:
            if (c < 0x20) {
                *o++ = '\\';
                *o++ = 'u';
                *o++ = '0';
                *o++ = '0';
                *o++ = hex[c >> 4];
                *o++ = hex[c & 15];
            } else if (c < 0x80) {
                *o++ = (char)c;
            } else {
                /* Copy a well-formed UTF-8 sequence; anything else (a client's bytes
                 * in an error message, say) becomes U+FFFD so the JSON stays valid. */
                size_t len = utf8_len((const unsigned char *)s + i, n - i);
                if (len) {
                    memcpy(o, s + i, len);
                    o += len;
                    i += len - 1;
                } else {
                    memcpy(o, "\\ufffd", 6);
                    o += 6;
                }
            }
        }
    }
    *o++ = '"';
    b->len = (size_t)(o - b->data);
    b->data[b->len] = '\0';
    return 0;
}

int jw_str(struct buf *b, const char *s)
{
    if (!s)
        return buf_append(b, "null", 4);
    return jw_strn(b, s, strlen(s));
}

int jw_key(struct buf *b, const char *key, bool comma)
{
    if (comma && buf_append(b, ",", 1) != 0)
        return -1;
    if (jw_str(b, key) != 0)
        return -1;
    return buf_append(b, ":", 1);
}

int jw_int(struct buf *b, long long v)
{
    char tmp[24];
    char *p = tmp + sizeof tmp;
    unsigned long long u = v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v;
    do {
        *--p = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (v < 0)
        *--p = '-';
    return buf_append(b, p, (size_t)(tmp + sizeof tmp - p));
}

int jw_bool(struct buf *b, bool v)
{
    return v ? buf_append(b, "true", 4) : buf_append(b, "false", 5);
}

/* ---- strmap ---- */

int strmap_put(struct strmap *m, const char *key, int val)
{
    bool created;
    struct hash_slot *slot = hash_insert(&m->h, key, strlen(key), &created);
    if (!slot)
        return -1;
    slot->key = key; /* the newest pointer, as the caller keeps that one alive */
    slot->value = (void *)(intptr_t)val;
    return 0;
}

int strmap_getn(const struct strmap *m, const char *key, size_t len)
{
    const struct hash_slot *slot = hash_find(&m->h, key, len);
    return slot ? (int)(intptr_t)slot->value : -1;
}

int strmap_get(const struct strmap *m, const char *key)
{
    return strmap_getn(m, key, strlen(key));
}

void strmap_del(struct strmap *m, const char *key)
{
    hash_remove(&m->h, key, strlen(key));
}

void strmap_release(struct strmap *m)
{
    hash_release(&m->h);
}

/* ---- PRNG and ids ---- */

void rng_seed(struct rng *r, uint64_t seed)
{
    r->s = seed;
}

uint64_t rng_next(struct rng *r)
{
    uint64_t z = (r->s += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

uint32_t rng_below(struct rng *r, uint32_t n)
{
    return (uint32_t)(((rng_next(r) >> 32) * (uint64_t)n) >> 32);
}

static uint64_t fnv1a(const char *s, size_t n)
{
    uint64_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < n; i++) {
        h ^= (unsigned char)s[i];
        h *= 1099511628211ULL;
    }
    return h;
}

/* The hash every catalogue id is derived from (plain FNV-1a, then splitmix; not lib/hash's,
 * whose values differ): it must never change, or every id of the deterministic catalogue
 * (and the ones written in docs and tests) would. */
uint64_t id_hash(uint64_t seed, const char *s)
{
    struct rng r = {fnv1a(s, strlen(s)) ^ seed};
    return rng_next(&r);
}

void base62_id(uint64_t h1, uint64_t h2, char out[23])
{
    static const char al[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    struct rng r = {h1 ^ (h2 * 0x9E3779B97F4A7C15ULL)};
    for (int i = 0; i < 22; i++)
        out[i] = al[rng_below(&r, 62)];
    out[22] = '\0';
}

bool is_base62_id(const char *s, size_t n)
{
    if (n == 0 || n > 32)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!isalnum((unsigned char)s[i]))
            return false;
    return true;
}

bool is_user_id(const char *s)
{
    size_t n = s ? strlen(s) : 0;
    if (n == 0 || n > 64)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!isalnum((unsigned char)s[i]) && s[i] != '.' && s[i] != '_' && s[i] != '-')
            return false;
    return true;
}

/* ---- encodings ---- */

void b64_encode(const unsigned char *in, size_t len, char *out, bool url)
{
    const char *al = url ? "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
                         : "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t o = 0;
    for (size_t i = 0; i < len; i += 3) {
        uint32_t v = (uint32_t)in[i] << 16;
        if (i + 1 < len)
            v |= (uint32_t)in[i + 1] << 8;
        if (i + 2 < len)
            v |= in[i + 2];
        out[o++] = al[(v >> 18) & 63];
        out[o++] = al[(v >> 12) & 63];
        if (i + 1 < len)
            out[o++] = al[(v >> 6) & 63];
        else if (!url)
            out[o++] = '=';
        if (i + 2 < len)
            out[o++] = al[v & 63];
        else if (!url)
            out[o++] = '=';
    }
    out[o] = '\0';
}

static int b64_val(char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '+' || c == '-')
        return 62;
    if (c == '/' || c == '_')
        return 63;
    return -1;
}

long b64_decode(const char *in, size_t len, unsigned char *out, size_t cap)
{
    uint32_t acc = 0;
    int bits = 0;
    size_t o = 0;
    for (size_t i = 0; i < len; i++) {
        if (in[i] == '=')
            break;
        int v = b64_val(in[i]);
        if (v < 0)
            return -1;
        acc = (acc << 6) | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            if (o >= cap)
                return -1;
            out[o++] = (unsigned char)((acc >> bits) & 0xFF);
        }
    }
    return (long)o;
}

size_t url_decode(char *s, bool plus)
{
    char *o = s;
    for (char *p = s; *p; p++) {
        if (*p == '%' && util_hex_value(p[1]) >= 0 && util_hex_value(p[2]) >= 0) {
            *o++ = (char)(util_hex_value(p[1]) * 16 + util_hex_value(p[2]));
            p += 2;
        } else if (*p == '+' && plus) {
            *o++ = ' ';
        } else {
            *o++ = *p;
        }
    }
    *o = '\0';
    return (size_t)(o - s);
}

int url_encode(struct buf *b, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
            if (buf_append(b, s, 1) != 0)
                return -1;
        } else {
            char e[3] = {'%', hex[c >> 4], hex[c & 15]};
            if (buf_append(b, e, 3) != 0)
                return -1;
        }
    }
    return 0;
}

char *form_get(const char *body, size_t len, const char *key)
{
    size_t klen = strlen(key);
    size_t i = 0;
    while (i < len) {
        size_t end = i;
        while (end < len && body[end] != '&')
            end++;
        if (end - i > klen && body[i + klen] == '=' && memcmp(body + i, key, klen) == 0) {
            size_t vlen = end - i - klen - 1;
            char *v = malloc(vlen + 1);
            if (!v)
                return NULL;
            memcpy(v, body + i + klen + 1, vlen);
            v[vlen] = '\0';
            url_decode(v, true);
            return v;
        }
        i = end + 1;
    }
    return NULL;
}

int random_bytes(unsigned char *out, size_t n)
{
    return RAND_bytes(out, (int)n) == 1 ? 0 : -1;
}

int random_token(char *out, size_t outsz)
{
    static const char al[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    unsigned char raw[256];
    size_t n = outsz - 1;
    if (outsz < 2 || n > sizeof raw || random_bytes(raw, n) != 0)
        return -1;
    for (size_t i = 0; i < n; i++)
        out[i] = al[raw[i] & 63];
    out[n] = '\0';
    return 0;
}

/* ---- clocks ---- */

int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Howard Hinnant's civil_from_days: no gmtime_r and no locale on the hot path. */
void iso8601(int64_t secs, char out[21])
{
    int64_t days = secs >= 0 ? secs / 86400 : -((-secs + 86399) / 86400);
    int64_t rem = secs - days * 86400;
    int64_t z = days + 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t y = yoe + era * 400;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    int64_t d = doy - (153 * mp + 2) / 5 + 1;
    int64_t m = mp < 10 ? mp + 3 : mp - 9;
    if (m <= 2)
        y++;
    int hh = (int)(rem / 3600), mi = (int)(rem / 60 % 60), ss = (int)(rem % 60);
    int yy = (int)(y < 0 ? 0 : y > 9999 ? 9999 : y);
    out[0] = (char)('0' + yy / 1000);
    out[1] = (char)('0' + yy / 100 % 10);
    out[2] = (char)('0' + yy / 10 % 10);
    out[3] = (char)('0' + yy % 10);
    out[4] = '-';
    out[5] = (char)('0' + m / 10);
    out[6] = (char)('0' + m % 10);
    out[7] = '-';
    out[8] = (char)('0' + d / 10);
    out[9] = (char)('0' + d % 10);
    out[10] = 'T';
    out[11] = (char)('0' + hh / 10);
    out[12] = (char)('0' + hh % 10);
    out[13] = ':';
    out[14] = (char)('0' + mi / 10);
    out[15] = (char)('0' + mi % 10);
    out[16] = ':';
    out[17] = (char)('0' + ss / 10);
    out[18] = (char)('0' + ss % 10);
    out[19] = 'Z';
    out[20] = '\0';
}

int parse_iso8601(const char *s, int64_t *secs)
{
    int y, mo, d, h, mi, se, end = 0;
    if (!s || sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%n", &y, &mo, &d, &h, &mi, &se, &end) != 6 ||
        end == 0)
        return -1;
    const char *z = s + end;
    if (*z == '.' && z[1] >= '0' && z[1] <= '9') /* fractional seconds: dropped */
        for (z++; *z >= '0' && *z <= '9'; z++)
            ;
    if (*z != 'Z' || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || se > 60)
        return -1;
    /* days_from_civil */
    int64_t yy = y - (mo <= 2);
    int64_t era = (yy >= 0 ? yy : yy - 399) / 400;
    int64_t yoe = yy - era * 400;
    int64_t doy = (153 * (mo + (mo > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    int64_t days = era * 146097 + doe - 719468;
    *secs = days * 86400 + h * 3600 + mi * 60 + se;
    return 0;
}

char *xstrdup(const char *s)
{
    return s ? strdup(s) : NULL;
}

int parse_long(const char *s, long lo, long hi, long *out)
{
    if (!s || !*s)
        return -1;
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || *end || end == s || v < lo || v > hi)
        return -1;
    *out = v;
    return 0;
}
