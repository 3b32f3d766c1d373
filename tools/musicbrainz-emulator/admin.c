/* /__admin: the test-control API (no User-Agent needed, never counted,
 * delayed, rate-limited or faulted). The ground truth lives in truth.c.
 * README.md lists every call. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "knobs.h"
#include "mb.h"

#define MAX_SEGS 6

/* The body as a JSON object ({} when empty); NULL after a 400. */
static json_t *body_object(struct mb_req *req, struct mb_resp *res)
{
    json_t *j = req->body_len ? json_loadb(req->body, req->body_len, 0, NULL) : json_object();
    if (json_is_object(j))
        return j;
    json_decref(j);
    resp_error(res, 400, "the body must be a JSON object");
    return NULL;
}

/* *out = the integer at key (def when absent or null); -1 when it is not an
 * integer in lo..hi. */
static int int_field(json_t *o, const char *key, long def, long lo, long hi, long *out)
{
    json_t *v = json_object_get(o, key);
    *out = def;
    if (!v || json_is_null(v))
        return 0;
    if (!json_is_integer(v) || json_integer_value(v) < lo || json_integer_value(v) > hi)
        return -1;
    *out = (long)json_integer_value(v);
    return 0;
}

static bool method_is(const struct mb_req *req, const char *m)
{
    return strcmp(req->method, m) == 0;
}

static const char *down_name(int d)
{
    return d == DOWN_503 ? "503" : d == DOWN_REFUSE ? "refuse" : "no";
}

static void config_json(struct mb *mb, struct mb_resp *res)
{
    const struct mb_world *w = &mb->world;
    size_t unknown = 0, multi = 0, spotify = 0;
    for (size_t i = 0; i < w->nisrcs; i++) {
        if (w->isrcs[i].track < 0)
            continue;
        spotify++;
        unknown += w->isrcs[i].nrecs == 0;
        multi += w->isrcs[i].nrecs > 1;
    }
    pthread_mutex_lock(&mb->storm_mu);
    int left = mb->storm_left, kind = mb->storm_kind, ra = mb->storm_retry_after;
    pthread_mutex_unlock(&mb->storm_mu);
    int rc = buf_appendf(
        &res->body,
        "{\"port\":%d,\"rate\":%d,\"window_ms\":%d,\"latency_ms\":%d,\"down\":\"%s\","
        "\"storm\":{\"remaining\":%d,\"kind\":\"%s\",\"retry_after\":%d},"
        "\"search_isrcs\":%s,\"require_user_agent\":%s,\"max_uri\":%d,"
        "\"world\":{\"artists\":%zu,\"recordings\":%zu,\"spotify_isrcs\":%zu,"
        "\"unknown_isrcs\":%zu,\"multi_recording_isrcs\":%zu,\"genres\":%zu}}",
        mb->port, atomic_load(&mb->rate), atomic_load(&mb->window_ms), knobs_latency(mb->knobs),
        down_name(atomic_load(&mb->down)), left, kind == STORM_BUSY ? "busy" : "rate", ra,
        atomic_load(&mb->search_isrcs) ? "true" : "false",
        atomic_load(&mb->require_ua) ? "true" : "false", mb->max_uri, w->nartists, w->nrecs,
        spotify, unknown, multi, w->ngenres);
    resp_json(res, 200, rc);
}

static void set_rate(struct mb *mb, int rate, int window_ms)
{
    atomic_store(&mb->rate, rate);
    atomic_store(&mb->window_ms, window_ms);
    knobs_set_rate_limit(mb->knobs, rate, window_ms, 0);
}

/* PUT /config {"rate"?, "window_ms"?, "latency_ms"?, "search_isrcs"?, "require_user_agent"?} */
static void config_put(struct mb_req *req, struct mb_resp *res)
{
    struct mb *mb = req->mb;
    json_t *b = body_object(req, res);
    long rate, window, lat;
    if (!b)
        return;
    json_t *si = json_object_get(b, "search_isrcs"), *ua = json_object_get(b, "require_user_agent");
    if (int_field(b, "rate", atomic_load(&mb->rate), 0, 100000, &rate) ||
        int_field(b, "window_ms", atomic_load(&mb->window_ms), 1, 3600000, &window) ||
        int_field(b, "latency_ms", knobs_latency(mb->knobs), 0, 600000, &lat) ||
        (si && !json_is_boolean(si)) || (ua && !json_is_boolean(ua))) {
        json_decref(b);
        resp_error(res, 400,
                   "rate: 0..100000, window_ms: 1..3600000, latency_ms: 0..600000, "
                   "search_isrcs and require_user_agent: booleans");
        return;
    }
    if (rate != atomic_load(&mb->rate) || window != atomic_load(&mb->window_ms))
        set_rate(mb, (int)rate, (int)window);
    knobs_set_latency(mb->knobs, (int)lat);
    if (si)
        atomic_store(&mb->search_isrcs, json_is_true(si));
    if (ua)
        atomic_store(&mb->require_ua, json_is_true(ua));
    json_decref(b);
    config_json(mb, res);
}

/* /rate: GET; PUT {"rate", "window_ms"?=1000}; DELETE = off. */
static void rate(struct mb_req *req, struct mb_resp *res)
{
    struct mb *mb = req->mb;
    if (method_is(req, "DELETE")) {
        set_rate(mb, 0, 1000);
    } else if (method_is(req, "PUT")) {
        json_t *b = body_object(req, res);
        long r, w;
        if (!b)
            return;
        int bad = int_field(b, "rate", -1, 0, 100000, &r) ||
                  int_field(b, "window_ms", 1000, 1, 3600000, &w) || r < 0;
        json_decref(b);
        if (bad) {
            resp_error(res, 400, "rate: requests per window (0..100000), window_ms: 1..3600000");
            return;
        }
        set_rate(mb, (int)r, (int)w);
    }
    resp_json(res, 200, knobs_rate_json(mb->knobs, &res->body));
}

/* /latency: PUT {"ms"}; DELETE. */
static void latency(struct mb_req *req, struct mb_resp *res)
{
    long ms = 0;
    if (method_is(req, "PUT")) {
        json_t *b = body_object(req, res);
        if (!b)
            return;
        int bad = int_field(b, "ms", -1, 0, 600000, &ms) || ms < 0;
        json_decref(b);
        if (bad) {
            resp_error(res, 400, "ms: 0..600000");
            return;
        }
    }
    knobs_set_latency(req->mb->knobs, (int)ms);
    resp_json(res, 200, buf_appendf(&res->body, "{\"ms\":%ld}", ms));
}

/* /down: PUT {"mode": "503"} until DELETE, or {"mode": "refuse", "ms"}: the
 * listening socket closed for ms (nothing answers, this API included). */
static void down(struct mb_req *req, struct mb_resp *res)
{
    struct mb *mb = req->mb;
    long ms = 0;
    if (method_is(req, "DELETE")) {
        if (atomic_load(&mb->down) == DOWN_503)
            atomic_store(&mb->down, DOWN_NO);
    } else if (method_is(req, "PUT")) {
        json_t *b = body_object(req, res);
        if (!b)
            return;
        const char *mode = json_string_value(json_object_get(b, "mode"));
        bool refuse = mode && strcmp(mode, "refuse") == 0;
        int bad = !mode || (!refuse && strcmp(mode, "503") != 0) ||
                  int_field(b, "ms", 0, 1, 600000, &ms) || (refuse && ms == 0);
        json_decref(b);
        if (bad) {
            resp_error(res, 400, "mode: \"503\" (until DELETE) or \"refuse\" with ms: 1..600000");
            return;
        }
        if (!refuse)
            atomic_store(&mb->down, DOWN_503);
        else if (server_refuse_for(mb, (int)ms) != 0) {
            resp_error(res, 500, "the listening socket did not close");
            return;
        }
    }
    resp_json(res, 200,
              buf_appendf(&res->body, "{\"down\":\"%s\",\"ms\":%ld}",
                         down_name(atomic_load(&mb->down)), ms));
}

/* /storm: POST {"count", "kind"?="rate"|"busy", "retry_after"?}: the next count
 * /ws/2 requests (-1 = all) answer 503; GET; DELETE. */
static void storm(struct mb_req *req, struct mb_resp *res)
{
    struct mb *mb = req->mb;
    long count = 0, ra = 1;
    int kind = STORM_RATE;
    if (method_is(req, "POST")) {
        json_t *b = body_object(req, res);
        if (!b)
            return;
        const char *k = json_string_value(json_object_get(b, "kind"));
        kind = k && strcmp(k, "busy") == 0 ? STORM_BUSY : STORM_RATE;
        int bad = (k && kind == STORM_RATE && strcmp(k, "rate") != 0) ||
                  int_field(b, "count", -2, -1, 1000000, &count) || count == -2 || count == 0 ||
                  int_field(b, "retry_after", kind == STORM_BUSY ? 0 : 1, 0, 3600, &ra);
        json_decref(b);
        if (bad) {
            resp_error(res, 400,
                       "count: 1..1000000 or -1 (every request), kind: \"rate\" or "
                       "\"busy\", retry_after: 0..3600");
            return;
        }
    }
    pthread_mutex_lock(&mb->storm_mu);
    if (!method_is(req, "GET")) {
        mb->storm_left = (int)count;
        mb->storm_kind = kind;
        mb->storm_retry_after = (int)ra;
    }
    count = mb->storm_left;
    kind = mb->storm_kind;
    ra = mb->storm_retry_after;
    pthread_mutex_unlock(&mb->storm_mu);
    resp_json(res, 200,
              buf_appendf(&res->body, "{\"remaining\":%ld,\"kind\":\"%s\",\"retry_after\":%ld}",
                         count, kind == STORM_BUSY ? "busy" : "rate", ra));
}

static void requests(struct mb_req *req, struct mb_resp *res)
{
    struct knobs *k = req->mb->knobs;
    if (method_is(req, "DELETE")) {
        knobs_reset_log(k);
        resp_json(res, 200, buf_append_str(&res->body, "{\"requests\":[]}"));
        return;
    }
    char *since = req_arg(req, "since_ms");
    long long t = since ? strtoll(since, NULL, 10) : 0;
    free(since);
    resp_json(res, 200, knobs_log_json(k, t, &res->body));
}

static void reset(struct mb *mb, struct mb_resp *res)
{
    set_rate(mb, mb->start_rate, mb->start_window_ms);
    knobs_set_latency(mb->knobs, 0);
    knobs_reset_counters(mb->knobs);
    knobs_reset_log(mb->knobs);
    pthread_mutex_lock(&mb->storm_mu);
    mb->storm_left = 0;
    pthread_mutex_unlock(&mb->storm_mu);
    if (atomic_load(&mb->down) == DOWN_503)
        atomic_store(&mb->down, DOWN_NO);
    atomic_store(&mb->search_isrcs, 1);
    atomic_store(&mb->require_ua, 1);
    config_json(mb, res);
}

void admin_handle(struct mb_req *req, struct mb_resp *res)
{
    char path[512], *seg[MAX_SEGS], *save = NULL;
    int n = 0;
    snprintf(path, sizeof path, "%s", req->path + strlen("/__admin"));
    for (char *t = strtok_r(path, "/", &save); t && n < MAX_SEGS; t = strtok_r(NULL, "/", &save))
        seg[n++] = t;
    const char *s0 = n ? seg[0] : "";
    bool get = method_is(req, "GET");
    if (n == 1 && strcmp(s0, "health") == 0 && get)
        resp_json(res, 200, buf_append_str(&res->body, "{\"status\":\"ok\"}"));
    else if (n == 1 && strcmp(s0, "config") == 0 && (get || method_is(req, "PUT")))
        get ? config_json(req->mb, res) : config_put(req, res);
    else if (n == 1 && strcmp(s0, "rate") == 0 && !method_is(req, "POST"))
        rate(req, res);
    else if (n == 1 && strcmp(s0, "latency") == 0 && !get && !method_is(req, "POST"))
        latency(req, res);
    else if (n == 1 && strcmp(s0, "down") == 0 && !method_is(req, "POST"))
        down(req, res);
    else if (n == 1 && strcmp(s0, "storm") == 0 && !method_is(req, "PUT"))
        storm(req, res);
    else if (n == 1 && strcmp(s0, "counters") == 0 && (get || method_is(req, "DELETE"))) {
        if (!get)
            knobs_reset_counters(req->mb->knobs);
        resp_json(res, 200, knobs_counters_json(req->mb->knobs, &res->body));
    } else if (n == 1 && strcmp(s0, "requests") == 0 && (get || method_is(req, "DELETE")))
        requests(req, res);
    else if (n == 1 && strcmp(s0, "reset") == 0 && method_is(req, "POST"))
        reset(req->mb, res);
    else if (n >= 2 && strcmp(s0, "truth") == 0 && get)
        truth_handle(req, res, seg + 1, n - 1);
    else
        resp_error(res, 404, "no such admin call (see tools/musicbrainz-emulator/README.md)");
}
