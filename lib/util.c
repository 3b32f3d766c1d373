#include "lib/util.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>

int util_random_bytes(void *buf, size_t n)
{
    unsigned char *p = buf;
    while (n > 0) {
        ssize_t r = getrandom(p, n, 0);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        p += r;
        n -= (size_t)r;
    }
    return 0;
}

void util_hex_encode(const unsigned char *in, size_t n, char *out)
{
    static const char hex[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = hex[in[i] >> 4];
        out[2 * i + 1] = hex[in[i] & 15];
    }
    out[2 * n] = '\0';
}

int util_id_new(char out[ID_LEN + 1])
{
    unsigned char raw[ID_LEN / 2];
    if (util_random_bytes(raw, sizeof raw) != 0)
        return -1;
    util_hex_encode(raw, sizeof raw, out);
    return 0;
}

size_t util_base64url_encode(const unsigned char *in, size_t n, char *out)
{
    static const char tbl[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    size_t o = 0, i = 0;
    while (i + 2 < n) {
        uint32_t v = ((uint32_t)in[i] << 16) | ((uint32_t)in[i + 1] << 8) | in[i + 2];
        out[o++] = tbl[(v >> 18) & 63];
        out[o++] = tbl[(v >> 12) & 63];
        out[o++] = tbl[(v >> 6) & 63];
        out[o++] = tbl[v & 63];
        i += 3;
    }
    if (n - i == 1) {
        uint32_t v = (uint32_t)in[i] << 16;
        out[o++] = tbl[(v >> 18) & 63];
        out[o++] = tbl[(v >> 12) & 63];
    } else if (n - i == 2) {
        uint32_t v = ((uint32_t)in[i] << 16) | ((uint32_t)in[i + 1] << 8);
        out[o++] = tbl[(v >> 18) & 63];
        out[o++] = tbl[(v >> 12) & 63];
        out[o++] = tbl[(v >> 6) & 63];
    }
    out[o] = '\0';
    return o;
}

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

int util_base64url_decode(const char *in, size_t n, unsigned char *out, size_t *out_len)
{
    size_t o = 0;
    uint32_t acc = 0;
    int bits = 0;
    if (n % 4 == 1)
        return -1;
    for (size_t i = 0; i < n; i++) {
        int v = b64url_value((unsigned char)in[i]);
        if (v < 0)
            return -1;
        acc = ((acc << 6) | (uint32_t)v) & 0xffffff;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[o++] = (unsigned char)((acc >> bits) & 0xff);
        }
    }
    out[o] = '\0';
    if (out_len)
        *out_len = o;
    return 0;
}

size_t util_utf8_len(const unsigned char *s, const unsigned char *end)
{
    unsigned c = s[0];
    size_t n;
    uint32_t v;
    if (c < 0x80)
        return 1;
    if (c < 0xC2)
        return 0;
    if (c < 0xE0) {
        n = 2;
        v = c & 0x1F;
    } else if (c < 0xF0) {
        n = 3;
        v = c & 0x0F;
    } else if (c < 0xF5) {
        n = 4;
        v = c & 0x07;
    } else {
        return 0;
    }
    if ((size_t)(end - s) < n)
        return 0;
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        v = (v << 6) | (s[i] & 0x3F);
    }
    if ((n == 3 && v < 0x800) || (n == 4 && v < 0x10000) || v > 0x10FFFF ||
        (v >= 0xD800 && v <= 0xDFFF))
        return 0;
    return n;
}

char *util_utf8_repair(const char *s)
{
    const unsigned char *p = (const unsigned char *)s, *end = p + strlen(s);
    size_t o = 0;
    char *out = malloc(3 * (size_t)(end - p) + 1); /* each byte at most U+FFFD */
    if (!out)
        return NULL;
    while (p < end) {
        size_t n = util_utf8_len(p, end);
        if (n == 0) {
            memcpy(out + o, "\xEF\xBF\xBD", 3);
            o += 3;
            p++;
        } else {
            memcpy(out + o, p, n);
            o += n;
            p += n;
        }
    }
    out[o] = '\0';
    return out;
}

int util_hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

void util_time_format(time_t t, char out[21])
{
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, 21, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

int util_time_parse(const char *s, time_t *out)
{
    /* The exact shape first: sscanf's %d would also take signs, spaces and short fields
     * ("2-1-06T4:30:14Z", "2026-11-23T-1:-5:-9Z"; found by tests/fuzz/fuzz_spotify_parse). */
    static const char shape[] = "dddd-dd-ddTdd:dd:ddZ";
    int y, mo, d, h, mi, se;
    char z = 0;
    int n = 0;
    for (size_t i = 0; s && i < sizeof shape; i++)
        if (shape[i] == 'd' ? s[i] < '0' || s[i] > '9' : s[i] != shape[i])
            return -1;
    if (!s || sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%c%n", &y, &mo, &d, &h, &mi, &se, &z, &n) != 7 ||
        z != 'Z' || s[n] != '\0' || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 ||
        se > 60)
        return -1;
    *out = (time_t)(util_days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400 + h * 3600 +
                    mi * 60 + se);
    return 0;
}

int64_t util_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int util_parse_int64(const char *s, int64_t min, int64_t max, int64_t *out)
{
    if (!s || !*s)
        return -1;
    char *end = NULL;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno != 0 || *end != '\0' || end == s || v < min || v > max)
        return -1;
    *out = v;
    return 0;
}

/* Howard Hinnant's days_from_civil. */
int64_t util_days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    const int64_t era = (y >= 0 ? y : y - 399) / 400;
    const unsigned yoe = (unsigned)(y - era * 400);
    const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

int util_url_origin(const char *url, char *out, size_t outlen)
{
    size_t scheme_len, host_len;
    const char *host, *end, *port = NULL;
    int is_https;

    if (!url || outlen == 0)
        return -1;
    if (strncasecmp(url, "http://", 7) == 0) {
        scheme_len = 4;
        is_https = 0;
    } else if (strncasecmp(url, "https://", 8) == 0) {
        scheme_len = 5;
        is_https = 1;
    } else {
        return -1;
    }
    host = url + scheme_len + 3;
    end = host + strcspn(host, "/?#");
    /* No user info (a browser never sends one in Origin); "[::1]:8080" keeps its colon. */
    if (memchr(host, '@', (size_t)(end - host)))
        return -1;
    const char *colon = NULL;
    for (const char *p = host; p < end; p++)
        if (*p == ':')
            colon = p;
    if (colon && !(host[0] == '[' && memchr(colon, ']', (size_t)(end - colon))))
        port = colon + 1;
    host_len = (size_t)((port ? port - 1 : end) - host);
    if (host_len == 0)
        return -1;
    if (port) {
        size_t plen = (size_t)(end - port);
        if (plen == 0 || plen > 5 || strspn(port, "0123456789") < plen)
            return -1;
        /* The default port names the same origin as no port. */
        if ((is_https && plen == 3 && memcmp(port, "443", 3) == 0) ||
            (!is_https && plen == 2 && memcmp(port, "80", 2) == 0))
            port = NULL;
    }
    int n = snprintf(out, outlen, "%s://%.*s%s%.*s", is_https ? "https" : "http", (int)host_len,
                     host, port ? ":" : "", port ? (int)(end - port) : 0, port ? port : "");
    if (n < 0 || (size_t)n >= outlen)
        return -1;
    for (char *p = out; *p; p++)
        *p = (char)tolower((unsigned char)*p);
    return 0;
}
