/* Spotify accounts service: authorize URL and POST /api/token (see the header). */
#include "services/spotify/spotify_accounts.h"

#include <ctype.h>
#include <curl/curl.h>
#include <jansson.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/app_err.h"
#include "lib/json_text.h"
#include "app/config.h"
#include "lib/log.h"
#include "lib/metrics.h"
#include "services/spotify/spotify_client_internal.h" /* sc_escape() */
#include "services/auth/token_crypto.h"

#define ANSWER_MAX (64 * 1024)
#define CONNECT_TIMEOUT_MS 5000

void spotify_token_grant_release(struct spotify_token_grant *g)
{
    if (!g)
        return;
    token_crypto_free_secret(g->access_token);
    token_crypto_free_secret(g->refresh_token);
    free(g->scope);
    memset(g, 0, sizeof *g);
}

int spotify_accounts_check_redirect_uri(const char *uri, struct report *rep)
{
    const char *host, *end;
    size_t hlen;
    if (!uri || !*uri) {
        report_message(rep, "it is not set");
        return ERR_VALIDATION;
    }
    for (const char *p = uri; *p; p++) {
        if (isspace((unsigned char)*p) || *p == '#' || (unsigned char)*p < 0x20) {
            report_message(rep, "it must not contain spaces, control characters or a fragment");
            return ERR_VALIDATION;
        }
    }
    int https = strncasecmp(uri, "https://", 8) == 0;
    int http = strncasecmp(uri, "http://", 7) == 0;
    if (!https && !http) {
        report_message(rep, "it must start with https:// (or http:// on a loopback address)");
        return ERR_VALIDATION;
    }
    host = uri + (https ? 8 : 7);
    if (*host == '[') {
        end = strchr(host, ']');
        end = end ? end + 1 : host + strlen(host);
    } else {
        end = host + strcspn(host, ":/?");
    }
    hlen = (size_t)(end - host);
    if (hlen == 0 || memchr(host, '@', hlen)) {
        report_message(rep, "it has no valid host");
        return ERR_VALIDATION;
    }
    if (hlen == 9 && strncasecmp(host, "localhost", 9) == 0) {
        report_message(rep, "Spotify refuses 'localhost': use http://127.0.0.1:PORT/... "
                            "(or [::1]) or an https:// address");
        return ERR_VALIDATION;
    }
    if (*end && *end != ':' && *end != '/' && *end != '?') {
        report_message(rep, "it has no valid host");
        return ERR_VALIDATION;
    }
    if (*end == ':') {
        const char *p = end + 1;
        size_t digits = 0;
        while (isdigit((unsigned char)p[digits]))
            digits++;
        if (digits == 0 || digits > 5 || (p[digits] && p[digits] != '/' && p[digits] != '?')) {
            report_message(rep, "it has an invalid port");
            return ERR_VALIDATION;
        }
    }
    if (http) {
        int loopback = (hlen == 9 && strncmp(host, "127.0.0.1", 9) == 0) ||
                       (hlen == 5 && strncmp(host, "[::1]", 5) == 0);
        if (!loopback) {
            report_message(rep, "plain http is only allowed on a loopback address "
                                "(http://127.0.0.1:PORT/...); use https://");
            return ERR_VALIDATION;
        }
    }
    return 0;
}

/* Appends "&key=value" (no '&' when out is empty) with value percent-encoded
 * (application/x-www-form-urlencoded, RFC 3986 unreserved kept; the Web API client's
 * encoder). 0 or ERR_NOMEM. */
static int form_add(struct buf *out, const char *key, const char *value)
{
    if ((out->len > 0 && buf_append(out, "&", 1) != 0) || buf_append_str(out, key) != 0 ||
        buf_append(out, "=", 1) != 0 || sc_escape(out, value ? value : "") != 0)
        return ERR_NOMEM;
    return 0;
}

/* base + path without a doubled slash. */
static int join_url(struct buf *out, const char *base, const char *path)
{
    size_t n = strlen(base);
    while (n > 0 && base[n - 1] == '/')
        n--;
    return buf_append(out, base, n) == 0 && buf_append_str(out, path) == 0 ? 0 : ERR_NOMEM;
}

int spotify_accounts_authorize_url(const struct config *cfg, const char *state,
                                   const char *code_challenge, struct buf *out)
{
    struct buf q = BUF_INIT;
    int rc = ERR_NOMEM;
    if (form_add(&q, "response_type", "code") != 0 ||
        form_add(&q, "client_id", cfg->spotify_client_id) != 0 ||
        form_add(&q, "redirect_uri", cfg->spotify_redirect_uri) != 0 ||
        form_add(&q, "scope", SPOTIFY_ACCOUNTS_SCOPES) != 0 || form_add(&q, "state", state) != 0 ||
        form_add(&q, "code_challenge", code_challenge) != 0 ||
        form_add(&q, "code_challenge_method", "S256") != 0)
        goto done;
    if (join_url(out, cfg->spotify_accounts_base, "/authorize?") != 0 ||
        buf_append(out, q.data, q.len) != 0)
        goto done;
    rc = 0;
done:
    buf_release(&q);
    return rc;
}

struct answer {
    struct buf body;
    int too_big;
};

static size_t on_data(char *p, size_t size, size_t n, void *ud)
{
    struct answer *a = ud;
    size_t len = size * n;
    if (a->body.len + len > ANSWER_MAX) {
        a->too_big = 1;
        return 0; /* aborts the transfer */
    }
    return buf_append(&a->body, p, len) == 0 ? len : 0;
}

/* The accounts service's {"error": "invalid_grant", ...} code, if any, made safe to
 * log (letters, digits, '_' only; at most 48 characters). */
static void error_code_of(const json_t *body, char *out, size_t outlen)
{
    const char *e = json_string_value(json_object_get(body, "error"));
    size_t o = 0;
    out[0] = '\0';
    if (!e)
        return;
    for (; *e && o + 1 < outlen && o < 48; e++)
        if (isalnum((unsigned char)*e) || *e == '_')
            out[o++] = *e;
    out[o] = '\0';
}

static char *dup_string(const json_t *j)
{
    const char *s = json_string_value(j);
    return s ? strdup(s) : NULL;
}

/* Sends one form POST to {accounts_base}/api/token and reads the grant.
 * invalid_grant_err is what a 400 invalid_grant becomes. */
static int token_request(const struct config *cfg, struct metrics *m, const struct buf *form,
                         int invalid_grant_err, const char *what, struct spotify_token_grant *out,
                         int *requests_made)
{
    CURL *h = NULL;
    struct curl_slist *headers = NULL;
    struct buf url = BUF_INIT;
    struct answer ans = {BUF_INIT, 0};
    json_t *body = NULL;
    int rc = ERR_SPOTIFY;
    long status = 0;
    CURLcode cc = CURLE_OK;

    memset(out, 0, sizeof *out);
    if (requests_made)
        *requests_made = 0;
    if (join_url(&url, cfg->spotify_accounts_base, "/api/token") != 0) {
        rc = ERR_NOMEM;
        goto done;
    }
    if (!(h = curl_easy_init()))
        goto done;
    headers = curl_slist_append(headers, "Content-Type: application/x-www-form-urlencoded");
    headers = curl_slist_append(headers, "Accept: application/json");
    if (!headers) {
        rc = ERR_NOMEM;
        goto done;
    }
    int plain_http = strncasecmp(cfg->spotify_accounts_base, "http://", 7) == 0;
    long timeout = cfg->spotify_timeout_ms > 0 ? cfg->spotify_timeout_ms : 15000;
    curl_easy_setopt(h, CURLOPT_URL, url.data);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, plain_http ? "http,https" : "https");
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS,
                     timeout < CONNECT_TIMEOUT_MS ? timeout : (long)CONNECT_TIMEOUT_MS);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, timeout);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, form->data);
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, (long)form->len);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &ans);
    if (cfg->spotify_client_secret && *cfg->spotify_client_secret) {
        curl_easy_setopt(h, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
        curl_easy_setopt(h, CURLOPT_USERNAME, cfg->spotify_client_id);
        curl_easy_setopt(h, CURLOPT_PASSWORD, cfg->spotify_client_secret);
    }
    /* One more try only when the request certainly never reached Spotify (the code
     * and the refresh token are single-use: a request that may have arrived is never
     * sent again). */
    for (int attempt = 0; attempt < 2; attempt++) {
        buf_release(&ans.body);
        ans.too_big = 0;
        cc = curl_easy_perform(h);
        if (requests_made)
            (*requests_made)++;
        if (cc != CURLE_COULDNT_CONNECT && cc != CURLE_COULDNT_RESOLVE_HOST)
            break;
    }
    if (cc == CURLE_OK)
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    if (m) {
        char labels[96];
        snprintf(labels, sizeof labels, "endpoint=\"%s\",status=\"%ld\"", SPOTIFY_EP_TOKEN, status);
        metrics_add(m, "playrouter_spotify_requests_total", labels, 1);
    }
    if (cc != CURLE_OK) {
        log_warn("spotify accounts %s: %s", what,
                 ans.too_big ? "answer too large" : curl_easy_strerror(cc));
        goto done;
    }
    body = ans.body.len ? json_text_loadb(ans.body.data, ans.body.len, 0, NULL) : NULL;
    if (status != 200) {
        char code[64];
        error_code_of(body, code, sizeof code);
        log_warn("spotify accounts %s -> %ld %s", what, status, code);
        if (status == 400 && strcmp(code, "invalid_grant") == 0)
            rc = invalid_grant_err;
        goto done;
    }
    const char *type = json_string_value(json_object_get(body, "token_type"));
    json_t *exp = json_object_get(body, "expires_in");
    const char *access = json_string_value(json_object_get(body, "access_token"));
    json_t *refresh = json_object_get(body, "refresh_token");
    if (!access || !*access || !json_is_integer(exp) || json_integer_value(exp) <= 0 ||
        (type && strcasecmp(type, "Bearer") != 0) || (refresh && !json_is_string(refresh))) {
        log_warn("spotify accounts %s: malformed answer", what);
        goto done;
    }
    out->expires_in = json_integer_value(exp);
    out->access_token = strdup(access);
    if (json_is_string(refresh) && *json_string_value(refresh))
        out->refresh_token = dup_string(refresh);
    out->scope = dup_string(json_object_get(body, "scope"));
    if (!out->access_token ||
        (json_is_string(refresh) && *json_string_value(refresh) && !out->refresh_token)) {
        spotify_token_grant_release(out);
        rc = ERR_NOMEM;
        goto done;
    }
    rc = 0;
done:
    json_decref(body);
    /* The answer held the tokens: wipe its text before freeing. */
    if (ans.body.data)
        OPENSSL_cleanse(ans.body.data, ans.body.len);
    buf_release(&ans.body);
    buf_release(&url);
    curl_slist_free_all(headers);
    curl_easy_cleanup(h);
    return rc;
}

/* Adds client_id to the form when no secret is configured (public PKCE client). */
static int add_client(const struct config *cfg, struct buf *form)
{
    if (cfg->spotify_client_secret && *cfg->spotify_client_secret)
        return 0;
    return form_add(form, "client_id", cfg->spotify_client_id);
}

static void wipe_form(struct buf *form)
{
    if (form->data)
        OPENSSL_cleanse(form->data, form->len);
    buf_release(form);
}

int spotify_accounts_exchange_code(const struct config *cfg, struct metrics *m, const char *code,
                                   const char *code_verifier, struct spotify_token_grant *out,
                                   int *requests_made)
{
    struct buf form = BUF_INIT;
    int rc = ERR_NOMEM;
    memset(out, 0, sizeof *out);
    if (requests_made)
        *requests_made = 0;
    if (form_add(&form, "grant_type", "authorization_code") != 0 ||
        form_add(&form, "code", code) != 0 ||
        form_add(&form, "redirect_uri", cfg->spotify_redirect_uri) != 0 ||
        form_add(&form, "code_verifier", code_verifier) != 0 || add_client(cfg, &form) != 0)
        goto done;
    rc = token_request(cfg, m, &form, ERR_VALIDATION, "code exchange", out, requests_made);
done:
    wipe_form(&form);
    return rc;
}

int spotify_accounts_refresh(const struct config *cfg, struct metrics *m, const char *refresh_token,
                             struct spotify_token_grant *out, int *requests_made)
{
    struct buf form = BUF_INIT;
    int rc = ERR_NOMEM;
    memset(out, 0, sizeof *out);
    if (requests_made)
        *requests_made = 0;
    if (form_add(&form, "grant_type", "refresh_token") != 0 ||
        form_add(&form, "refresh_token", refresh_token) != 0 || add_client(cfg, &form) != 0)
        goto done;
    rc = token_request(cfg, m, &form, ERR_SPOTIFY_REAUTH, "refresh", out, requests_made);
done:
    wipe_form(&form);
    return rc;
}
