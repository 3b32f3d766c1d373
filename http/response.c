/* Response writers and the one place that writes API.md's error shape. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http/http.h"
#include "lib/app_err.h"
#include "lib/json_text.h"
#include "lib/log.h"
#include "lib/report.h"
#include "lib/util.h"

static const char *default_message(int err)
{
    switch (err) {
    case ERR_INVALID_JSON: return "the request body is not a JSON object";
    case ERR_BAD_REQUEST: return "the request is not well-formed HTTP";
    case ERR_VALIDATION: return "the request is not valid";
    case ERR_INVALID_STATE: return "unknown, expired or already used OAuth state";
    case ERR_UNAUTHORIZED: return "a valid session token is required";
    case ERR_FORBIDDEN: return "this request is not allowed from this origin";
    case ERR_SPOTIFY_REAUTH: return "Spotify access was revoked or expired: sign in again";
    case ERR_NOT_FOUND: return "not found";
    case ERR_METHOD_NOT_ALLOWED: return "method not allowed on this path";
    case ERR_CONFLICT: return "the resource already exists";
    case ERR_SYNC_IN_PROGRESS: return "a sync of this base playlist is in progress";
    case ERR_VERSION_MISMATCH: return "If-Match does not match the resource's current version";
    case ERR_PAYLOAD_TOO_LARGE: return "the request body is too large";
    case ERR_URI_TOO_LONG: return "the request URI is too long";
    case ERR_RATE_LIMITED: return "Spotify's rate limit was reached; try again later";
    case ERR_SPOTIFY: return "Spotify answered with an error";
    case ERR_UNAVAILABLE: return "the service is unavailable";
    case ERR_METADATA_UNAVAILABLE:
        return "a metadata source (MusicBrainz) could not be reached and nothing known could "
               "stand in";
    default: return "internal error";
    }
}

/* The answer when the answer itself could not be built: 500 with a fixed body (or with
 * none, if even that cannot be copied). */
static int answer_out_of_memory(struct response *res)
{
    res->status = 500;
    res->content_type = "application/json; charset=utf-8";
    buf_reset(&res->body);
    buf_append_str(&res->body, "{\"error\":{\"code\":\"internal\",\"message\":\"out of memory\"}}");
    return ERR_NOMEM;
}

int response_json(struct response *res, int status, json_t *body)
{
    res->status = status;
    res->content_type = "application/json; charset=utf-8";
    buf_reset(&res->body);
    if (!body)
        return 0;
    char *s = json_text_dump(body, JSON_COMPACT);
    json_decref(body);
    if (!s || buf_append_str(&res->body, s) != 0) {
        free(s);
        return answer_out_of_memory(res);
    }
    free(s);
    return 0;
}

int response_text(struct response *res, int status, const char *content_type, const char *text)
{
    res->status = status;
    res->content_type = content_type;
    buf_reset(&res->body);
    return buf_append_str(&res->body, text) == 0 ? 0 : ERR_NOMEM;
}

int response_no_content(struct response *res)
{
    res->status = 204;
    res->content_type = NULL;
    buf_reset(&res->body);
    return 0;
}

int response_redirect(struct response *res, const char *location)
{
    res->status = 302;
    res->content_type = NULL;
    buf_reset(&res->body);
    return response_header(res, "Location", location);
}

int response_header(struct response *res, const char *name, const char *value)
{
    for (int i = 0; i < res->nheaders; i++) {
        /* Set-Cookie may repeat; other headers are replaced. */
        if (strcasecmp(res->headers[i].name, name) == 0 && strcasecmp(name, "Set-Cookie") != 0) {
            res->headers[i].value = arena_strdup(res->arena, value);
            return res->headers[i].value ? 0 : ERR_NOMEM;
        }
    }
    if (res->nheaders >= RESPONSE_MAX_HEADERS) {
        log_error("http: too many response headers (dropping %s)", name);
        return ERR_INTERNAL;
    }
    res->headers[res->nheaders].name = arena_strdup(res->arena, name);
    res->headers[res->nheaders].value = arena_strdup(res->arena, value);
    if (!res->headers[res->nheaders].name || !res->headers[res->nheaders].value)
        return ERR_NOMEM;
    res->nheaders++;
    return 0;
}

int response_error_full(struct response *res, int err, const char *message, json_t *details,
                        json_t *extra)
{
    /* Each step is checked: an error answer without its code or details would be a
     * wrong answer, not a smaller one (tests/oom/test_oom_rules.c). set_new steals the
     * value even when it fails. */
    json_t *e = json_object(), *body = NULL;
    json_t *text = json_string(message ? message : default_message(err));
    if (!text && message) {
        /* Not UTF-8 (a message that quotes a raw request path): every error answer
         * still carries a message, with the bad bytes as U+FFFD. */
        char *fixed = util_utf8_repair(message);
        text = fixed ? json_string(fixed) : NULL;
        free(fixed);
    }
    bool bad = !e || !text;
    bad |= json_object_set_new(e, "code", json_string(app_err_code(err))) != 0;
    bad |= json_object_set_new(e, "message", text) != 0;
    if (details)
        bad |= json_object_set_new(e, "details", details) != 0;
    if (extra) { /* json_object_update_missing() would not say when a member failed */
        const char *k;
        json_t *v;
        json_object_foreach(extra, k, v)
        {
            if (!json_object_get(e, k))
                bad |= json_object_set(e, k, v) != 0;
        }
        json_decref(extra);
    }
    if (!bad)
        bad = !(body = json_object()) || json_object_set(body, "error", e) != 0;
    json_decref(e);
    if (bad) {
        json_decref(body);
        answer_out_of_memory(res);
        return err;
    }
    response_json(res, app_err_status(err), body);
    return err;
}

int response_error(struct response *res, int err)
{
    return response_error_full(res, err, NULL, NULL, NULL);
}

int response_error_msg(struct response *res, int err, const char *fmt, ...)
{
    struct report rep = {0};
    va_list ap;
    va_start(ap, fmt);
    report_vmessage(&rep, fmt, ap);
    va_end(ap);
    int rc = response_error_report(res, err, &rep);
    report_release(&rep);
    return rc;
}

void response_etag(struct response *res, int64_t version)
{
    char etag[32];
    snprintf(etag, sizeof etag, "\"%lld\"", (long long)version);
    response_header(res, "ETag", etag);
}

int response_error_report(struct response *res, int err, struct report *rep)
{
    struct buf msg = BUF_INIT;
    const char *message = rep->message && rep->message[0] ? rep->message : NULL;
    json_t *details = rep->details;
    int rc;

    rep->details = NULL;
    if (details && json_array_size(details) == 0) {
        json_decref(details);
        details = NULL;
    }
    if (!message && err == ERR_VALIDATION && details) {
        /* Say the first problem in the message too: most clients show only that. */
        json_t *d = json_array_get(details, 0);
        size_t more = json_array_size(details) - 1;
        const char *p = json_string_value(json_object_get(d, "path"));
        const char *m = json_string_value(json_object_get(d, "message"));
        if (more)
            buf_appendf(&msg, "%s: %s (and %zu more problem%s)", p && *p ? p : "body", m ? m : "",
                        more, more == 1 ? "" : "s");
        else
            buf_appendf(&msg, "%s: %s", p && *p ? p : "body", m ? m : "");
        message = msg.data;
    }
    rc = response_error_full(res, err, message, details, NULL);
    buf_release(&msg);
    return rc;
}
