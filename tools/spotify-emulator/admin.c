/* /__admin: the test-control API (no auth, JSON, never counted, never delayed).
 * This file routes it and owns the knob, config and token endpoints; the
 * catalogue and playlist endpoints live in admin_catalog.c. README.md lists
 * every endpoint. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin_internal.h"
#include "http_common.h"
#include "knobs.h"

json_t *admin_body(struct emu_req *req, struct emu_resp *res)
{
    if (!req->body || req->body_len == 0)
        return json_object();
    json_error_t jerr;
    json_t *j = json_loadb(req->body, req->body_len, 0, &jerr);
    if (!j || !json_is_object(j)) {
        json_decref(j);
        resp_error(res, 400, "body must be a JSON object");
        return NULL;
    }
    return j;
}

static const char *mode_name(int mode)
{
    return mode == MODE_EXT ? "extended" : "development";
}

static void config_json(struct emu *emu, struct emu_resp *res)
{
    struct buf *b = &res->body;
    int rc = buf_appendf(b,
                        "{\"mode\":\"%s\",\"foreign_playlists_forbidden\":%s,\"token_lifetime\":%d,"
                        "\"latency_ms\":%d,\"port\":%d,\"base_url\":",
                        mode_name(atomic_load(&emu->cfg.mode)),
                        atomic_load(&emu->cfg.foreign_forbidden) ? "true" : "false",
                        atomic_load(&emu->cfg.token_lifetime), knobs_latency(emu->knobs),
                        emu->cfg.port) ||
             jw_str(b, emu->cat->base_url) || buf_append_str(b, ",\"client_id\":") ||
             jw_str(b, emu->cfg.client_id) || buf_append_str(b, ",\"redirect_uris\":[");
    pthread_mutex_lock(&emu->cfg.redirect_mu);
    for (int i = 0; i < emu->cfg.nredirect && rc == 0; i++)
        rc = (i && buf_append_str(b, ",")) || jw_str(b, emu->cfg.redirect_uris[i]);
    pthread_mutex_unlock(&emu->cfg.redirect_mu);
    rc = rc || buf_append_str(b, "],\"rate_limit\":") || knobs_rate_json(emu->knobs, b);
    int ra = 0;
    bool quota = knobs_quota(emu->knobs, &ra);
    rc = rc || buf_appendf(b, ",\"quota\":{\"enabled\":%s,\"retry_after\":%d}}",
                          quota ? "true" : "false", ra);
    resp_json(res, 200, rc);
}

/* PUT /__admin/config {"mode", "foreign_playlists_forbidden", "token_lifetime", "latency_ms"} */
/* POST /__admin/redirect-uris {"uri": "..."}: registers one more. */
static void redirect_add(struct emu_req *req, struct emu_resp *res)
{
    struct emu *emu = req->emu;
    json_t *b = admin_body(req, res);
    if (!b)
        return;
    const char *uri = json_string_value(json_object_get(b, "uri"));
    char *copy = uri && *uri ? strdup(uri) : NULL;
    bool full = false;
    if (copy) {
        pthread_mutex_lock(&emu->cfg.redirect_mu);
        full = emu->cfg.nredirect == EMU_MAX_REDIRECTS;
        if (!full)
            emu->cfg.redirect_uris[emu->cfg.nredirect++] = copy;
        pthread_mutex_unlock(&emu->cfg.redirect_mu);
    }
    json_decref(b);
    if (!copy || full) {
        free(copy);
        resp_error(res, 400, full ? "too many redirect URIs" : "uri: a string");
        return;
    }
    config_json(emu, res);
}

static void config_put(struct emu_req *req, struct emu_resp *res)
{
    struct emu *emu = req->emu;
    json_t *b = admin_body(req, res);
    if (!b)
        return;
    json_t *mode = json_object_get(b, "mode");
    json_t *ff = json_object_get(b, "foreign_playlists_forbidden");
    json_t *tl = json_object_get(b, "token_lifetime");
    json_t *lat = json_object_get(b, "latency_ms");
    const char *m = json_string_value(mode);
    if ((mode && (!m || (strcmp(m, "development") && strcmp(m, "extended")))) ||
        (ff && !json_is_boolean(ff)) ||
        (tl && (!json_is_integer(tl) || json_integer_value(tl) < 1)) ||
        (lat && (!json_is_integer(lat) || json_integer_value(lat) < 0))) {
        resp_error(res, 400,
                   "mode: development|extended, foreign_playlists_forbidden: bool, "
                   "token_lifetime: seconds >= 1, latency_ms: >= 0");
        goto done;
    }
    if (m)
        atomic_store(&emu->cfg.mode, strcmp(m, "extended") == 0 ? MODE_EXT : MODE_DEV);
    if (ff)
        atomic_store(&emu->cfg.foreign_forbidden, json_is_true(ff) ? 1 : 0);
    if (tl)
        atomic_store(&emu->cfg.token_lifetime, (int)json_integer_value(tl));
    if (lat)
        knobs_set_latency(emu->knobs, (int)json_integer_value(lat));
    config_json(emu, res);
done:
    json_decref(b);
}

static int get_int(json_t *o, const char *key, int def, int lo, int hi, bool *bad)
{
    json_t *v = json_object_get(o, key);
    if (!v || json_is_null(v))
        return def;
    if (!json_is_integer(v) || json_integer_value(v) < lo || json_integer_value(v) > hi) {
        *bad = true;
        return def;
    }
    return (int)json_integer_value(v);
}

static void rate_limit(struct emu_req *req, struct emu_resp *res)
{
    struct knobs *k = req->emu->knobs;
    if (strcmp(req->method, "DELETE") == 0) {
        knobs_set_rate_limit(k, 0, 0, 0);
    } else if (strcmp(req->method, "GET") != 0) {
        json_t *b = admin_body(req, res);
        bool bad = false;
        if (!b)
            return;
        int max = get_int(b, "max", 0, 0, 1000000, &bad);
        int window = get_int(b, "window_ms", 30000, 1, 3600000, &bad);
        int ra = get_int(b, "retry_after", 0, 0, 1000000, &bad);
        json_decref(b);
        if (bad) {
            resp_error(res, 400, "max: 0..1000000, window_ms: 1..3600000, retry_after: seconds");
            return;
        }
        knobs_set_rate_limit(k, max, window, ra);
    }
    resp_json(res, 200, knobs_rate_json(k, &res->body));
}

/* PUT {"path_prefix"}: hold matching requests until DELETE; GET: the hold. */
static void hold(struct emu_req *req, struct emu_resp *res)
{
    struct delay_queue *q = req->emu->delays;
    size_t released = 0;
    if (strcmp(req->method, "DELETE") == 0) {
        released = delay_hold_release(q);
    } else if (strcmp(req->method, "PUT") == 0) {
        json_t *b = admin_body(req, res);
        if (!b)
            return;
        const char *prefix = json_string_value(json_object_get(b, "path_prefix"));
        int rc = prefix && prefix[0] == '/' ? delay_hold_set(q, prefix) : 1;
        json_decref(b);
        if (rc != 0) {
            resp_error(res, rc < 0 ? 500 : 400,
                       rc < 0 ? "out of memory" : "path_prefix: a path such as \"/v1/artists\"");
            return;
        }
    } else if (strcmp(req->method, "GET") != 0) {
        resp_error(res, 405, "Method not allowed");
        return;
    }
    int rc = strcmp(req->method, "DELETE") == 0
                 ? buf_appendf(&res->body, "{\"path_prefix\":null,\"held\":0,\"released\":%zu}",
                               released)
                 : delay_hold_json(q, &res->body);
    resp_json(res, 200, rc);
}

static void quota(struct emu_req *req, struct emu_resp *res)
{
    struct knobs *k = req->emu->knobs;
    if (strcmp(req->method, "DELETE") == 0) {
        knobs_set_quota(k, false, 0);
    } else if (strcmp(req->method, "GET") != 0) {
        json_t *b = admin_body(req, res);
        bool bad = false;
        if (!b)
            return;
        json_t *en = json_object_get(b, "enabled");
        int ra = get_int(b, "retry_after", 0, 0, 100000000, &bad);
        json_decref(b);
        if (bad || (en && !json_is_boolean(en))) {
            resp_error(res, 400, "enabled: bool, retry_after: seconds");
            return;
        }
        knobs_set_quota(k, en ? json_is_true(en) : true, ra);
    }
    int ra = 0;
    bool on = knobs_quota(k, &ra);
    resp_json(
        res, 200,
        buf_appendf(&res->body, "{\"enabled\":%s,\"retry_after\":%d}", on ? "true" : "false", ra));
}

static void faults(struct emu_req *req, struct emu_resp *res)
{
    struct knobs *k = req->emu->knobs;
    if (strcmp(req->method, "DELETE") == 0) {
        knobs_clear_faults(k);
    } else if (strcmp(req->method, "POST") == 0) {
        json_t *b = admin_body(req, res);
        bool bad = false;
        if (!b)
            return;
        json_t *drop = json_object_get(b, "drop");
        int status = get_int(b, "status", 500, 100, 599, &bad);
        int count = get_int(b, "count", 1, -1, 100000000, &bad);
        int ra = get_int(b, "retry_after", 0, 0, 100000000, &bad);
        const char *method = json_string_value(json_object_get(b, "method"));
        const char *prefix = json_string_value(json_object_get(b, "path_prefix"));
        const char *pattern = json_string_value(json_object_get(b, "path_pattern"));
        const char *msg = json_string_value(json_object_get(b, "message"));
        if (bad || count == 0 || (drop && !json_is_boolean(drop))) {
            json_decref(b);
            resp_error(res, 400,
                       "status: 100..599, count: >= 1 or -1 (always), drop: bool, "
                       "retry_after: seconds");
            return;
        }
        int id =
            knobs_add_fault(k, method, prefix, pattern, status, count, json_is_true(drop), ra, msg);
        json_decref(b);
        if (id < 0) {
            resp_error(res, 400, "too many fault rules");
            return;
        }
        resp_json(res, 201, buf_appendf(&res->body, "{\"id\":%d}", id));
        return;
    }
    resp_json(res, 200, knobs_faults_json(k, &res->body));
}

/* POST /__admin/tokens {"user": "demo", "scope": "..."} */
static void tokens(struct emu_req *req, struct emu_resp *res)
{
    struct emu *emu = req->emu;
    json_t *b = admin_body(req, res);
    char access[72], refresh[72];
    if (!b)
        return;
    const char *user = json_string_value(json_object_get(b, "user"));
    const char *scope = json_string_value(json_object_get(b, "scope"));
    uint32_t bits;
    if (scope && accounts_scope_parse(scope, &bits) != 0) {
        resp_error(res, 400, "unknown scope");
        json_decref(b);
        return;
    }
    pthread_rwlock_rdlock(&emu->cat->lock);
    int u = catalog_user_find(emu->cat, user ? user : "demo");
    pthread_rwlock_unlock(&emu->cat->lock);
    if (u < 0) {
        resp_error(res, 404, "unknown user");
    } else if (accounts_mint(emu, u,
                             scope ? scope
                                   : "playlist-read-private playlist-read-collaborative "
                                     "playlist-modify-private playlist-modify-public "
                                     "user-library-read user-library-modify",
                             access, refresh) != 0) {
        resp_error(res, 500, "out of memory");
    } else {
        resp_json(res, 201,
                  buf_appendf(&res->body,
                             "{\"access_token\":\"%s\",\"token_type\":\"Bearer\","
                             "\"expires_in\":%d,\"refresh_token\":\"%s\"}",
                             access, atomic_load(&emu->cfg.token_lifetime), refresh));
    }
    json_decref(b);
}

/* POST /__admin/users {"id", "display_name"} */
static void users_create(struct emu_req *req, struct emu_resp *res)
{
    struct catalog *c = req->emu->cat;
    json_t *b = admin_body(req, res);
    if (!b)
        return;
    const char *id = json_string_value(json_object_get(b, "id"));
    const char *name = json_string_value(json_object_get(b, "display_name"));
    if (!is_user_id(id)) {
        resp_error(res, 400, "id: 1..64 characters of [A-Za-z0-9._-]");
    } else {
        pthread_rwlock_wrlock(&c->lock);
        int u = catalog_add_user(c, id, name ? name : id);
        pthread_rwlock_unlock(&c->lock);
        if (u == -2)
            resp_error(res, 409, "user exists");
        else if (u < 0)
            resp_error(res, 500, "out of memory");
        else
            resp_json(res, 201,
                      buf_append_str(&res->body, "{\"id\":") || jw_str(&res->body, id) ||
                          buf_append_str(&res->body, "}"));
    }
    json_decref(b);
}

static void expire_refresh(struct emu_req *req, struct emu_resp *res, const char *user)
{
    struct emu *emu = req->emu;
    pthread_rwlock_rdlock(&emu->cat->lock);
    int u = catalog_user_find(emu->cat, user);
    pthread_rwlock_unlock(&emu->cat->lock);
    if (u < 0) {
        resp_error(res, 404, "unknown user");
        return;
    }
    int n = accounts_expire_refresh(emu->acc, u);
    resp_json(res, 200, buf_appendf(&res->body, "{\"expired\":%d}", n));
}

static bool is(const char *method, const char *want)
{
    return strcmp(method, want) == 0;
}

void admin_handle(struct emu_req *req, struct emu_resp *res)
{
    struct emu *emu = req->emu;
    char path[512];
    char *seg[ADMIN_MAX_SEGS + 1];
    int nseg = 0;
    const char *m = req->method;
    if (snprintf(path, sizeof path, "%s", req->path + strlen("/__admin")) >= (int)sizeof path) {
        resp_error(res, 404, "unknown admin path");
        return;
    }
    for (char *save = NULL, *s = strtok_r(path, "/", &save); s && nseg <= ADMIN_MAX_SEGS;
         s = strtok_r(NULL, "/", &save))
        seg[nseg++] = s;
    if (nseg == 0 || nseg > ADMIN_MAX_SEGS) {
        resp_error(res, 404, "unknown admin path");
        return;
    }
    const char *s0 = seg[0];
    if (nseg == 1 && strcmp(s0, "health") == 0 && is(m, "GET")) {
        resp_json(res, 200, buf_append_str(&res->body, "{\"status\":\"ok\"}"));
    } else if (nseg == 1 && strcmp(s0, "config") == 0) {
        if (is(m, "GET"))
            config_json(emu, res);
        else
            config_put(req, res);
    } else if (nseg == 1 && strcmp(s0, "redirect-uris") == 0 && is(m, "POST")) {
        redirect_add(req, res);
    } else if (nseg == 1 && strcmp(s0, "latency") == 0 && !is(m, "GET")) {
        json_t *b = admin_body(req, res);
        bool bad = false;
        if (!b)
            return;
        int ms = get_int(b, "ms", 0, 0, 600000, &bad);
        json_decref(b);
        if (bad) {
            resp_error(res, 400, "ms: 0..600000");
            return;
        }
        knobs_set_latency(emu->knobs, is(m, "DELETE") ? 0 : ms);
        resp_json(res, 200, buf_appendf(&res->body, "{\"ms\":%d}", knobs_latency(emu->knobs)));
    } else if (nseg == 1 && strcmp(s0, "hold") == 0) {
        hold(req, res);
    } else if (nseg == 1 && strcmp(s0, "rate-limit") == 0) {
        rate_limit(req, res);
    } else if (nseg == 1 && strcmp(s0, "quota") == 0) {
        quota(req, res);
    } else if (nseg == 1 && strcmp(s0, "faults") == 0) {
        faults(req, res);
    } else if (nseg == 1 && strcmp(s0, "counters") == 0) {
        if (is(m, "DELETE"))
            knobs_reset_counters(emu->knobs);
        resp_json(res, 200, knobs_counters_json(emu->knobs, &res->body));
    } else if (nseg == 1 && strcmp(s0, "requests") == 0) {
        long since = 0;
        const char *q = req_query(req, "since_ms");
        if (is(m, "DELETE"))
            knobs_reset_log(emu->knobs);
        if (q && parse_long(q, 0, 0x7fffffffffffffffL, &since) != 0) {
            resp_error(res, 400, "since_ms: ms since the epoch");
            return;
        }
        resp_json(res, 200, knobs_log_json(emu->knobs, since, &res->body));
    } else if (nseg == 1 && strcmp(s0, "reset") == 0 && is(m, "POST")) {
        knobs_reset(emu->knobs);
        delay_hold_release(emu->delays);
        knobs_reset_counters(emu->knobs);
        knobs_reset_log(emu->knobs);
        resp_json(res, 200, buf_append_str(&res->body, "{\"reset\":true}"));
    } else if (nseg == 1 && strcmp(s0, "tokens") == 0 && is(m, "POST")) {
        tokens(req, res);
    } else if (nseg == 2 && strcmp(s0, "tokens") == 0 && strcmp(seg[1], "expire") == 0 &&
               is(m, "POST")) {
        accounts_expire_access(emu->acc);
        resp_json(res, 200, buf_append_str(&res->body, "{\"expired\":true}"));
    } else if ((nseg == 3 || nseg == 4) && strcmp(s0, "users") == 0 &&
               strcmp(seg[2], "liked") == 0) {
        admin_liked(req, res, seg, nseg);
    } else if (nseg == 1 && strcmp(s0, "users") == 0 && is(m, "POST")) {
        users_create(req, res);
    } else if (nseg == 3 && strcmp(s0, "users") == 0 &&
               strcmp(seg[2], "expire-refresh-tokens") == 0 && is(m, "POST")) {
        expire_refresh(req, res, seg[1]);
    } else if (strcmp(s0, "playlists") == 0) {
        admin_playlists(req, res, seg, nseg);
    } else {
        admin_catalog_read(req, res, seg, nseg);
    }
}
