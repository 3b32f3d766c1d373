/* libmicrohttpd plumbing: body accumulation with a cap, artificial latency by
 * suspend/resume (never by sleeping on a pool thread), routing, the
 * fault/quota/rate-limit gate in front of the Web API, counters and the log.
 *
 * Threading: MHD's internal thread pool with epoll; handlers never block. The
 * latency knob suspends a connection and a timer thread resumes it when due, so
 * 8 parallel requests with 20 ms latency take ~20 ms in total, not 160 ms. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "emu.h"
#include "http_common.h"
#include "knobs.h"

#define MAX_BODY (8u << 20)
#define R_AUTH 1u
#define R_EXT_ONLY 2u

struct route {
    const char *method; /* static: counters keep it by pointer */
    const char *tmpl;
    emu_handler_fn fn;
    unsigned flags;
    int arg;
    uint32_t scopes; /* SCOPE_BIT set the token must hold (0 = none checked) */
};

/* arg is the route's variant, handed to the handler as req->arg: 0 = /items,
 * 1 = /tracks (or /users/{id}/playlists); for the catalogue endpoints 0 tracks,
 * 1 artists, 2 albums; for the library 0 = /me/tracks, 1 = /me/library.
 * Only the library routes check scopes (the others never did: kept as it was). */
#define LIB_READ SCOPE_BIT(SCOPE_USER_LIBRARY_READ)
#define LIB_MODIFY SCOPE_BIT(SCOPE_USER_LIBRARY_MODIFY)
static const struct route ROUTES[] = {
    {"GET", "/authorize", accounts_authorize, 0, 0, 0},
    {"POST", "/api/token", accounts_token, 0, 0, 0},
    {"GET", "/v1/me", web_me, R_AUTH, 0, 0},
    {"GET", "/v1/me/playlists", web_my_playlists, R_AUTH, 0, 0},
    {"POST", "/v1/me/playlists", web_create_playlist, R_AUTH, 0, 0},
    {"GET", "/v1/users/{id}", web_user, R_AUTH | R_EXT_ONLY, 0, 0},
    {"POST", "/v1/users/{id}/playlists", web_create_playlist, R_AUTH | R_EXT_ONLY, 1, 0},
    {"GET", "/v1/playlists/{id}", web_playlist, R_AUTH, 0, 0},
    {"PUT", "/v1/playlists/{id}", web_change_playlist, R_AUTH, 0, 0},
    {"GET", "/v1/playlists/{id}/items", web_playlist_items, R_AUTH, 0, 0},
    {"POST", "/v1/playlists/{id}/items", web_add_items, R_AUTH, 0, 0},
    {"PUT", "/v1/playlists/{id}/items", web_update_items, R_AUTH, 0, 0},
    {"DELETE", "/v1/playlists/{id}/items", web_remove_items, R_AUTH, 0, 0},
    {"GET", "/v1/playlists/{id}/tracks", web_playlist_items, R_AUTH | R_EXT_ONLY, 1, 0},
    {"POST", "/v1/playlists/{id}/tracks", web_add_items, R_AUTH | R_EXT_ONLY, 1, 0},
    {"PUT", "/v1/playlists/{id}/tracks", web_update_items, R_AUTH | R_EXT_ONLY, 1, 0},
    {"DELETE", "/v1/playlists/{id}/tracks", web_remove_items, R_AUTH | R_EXT_ONLY, 1, 0},
    {"GET", "/v1/tracks", web_several, R_AUTH | R_EXT_ONLY, 0, 0},
    {"GET", "/v1/artists", web_several, R_AUTH | R_EXT_ONLY, 1, 0},
    {"GET", "/v1/albums", web_several, R_AUTH | R_EXT_ONLY, 2, 0},
    {"GET", "/v1/tracks/{id}", web_one, R_AUTH, 0, 0},
    {"GET", "/v1/artists/{id}", web_one, R_AUTH, 1, 0},
    {"GET", "/v1/albums/{id}", web_one, R_AUTH, 2, 0},
    {"GET", "/v1/me/tracks", web_saved_tracks, R_AUTH, 0, LIB_READ},
    {"PUT", "/v1/me/tracks", web_library_save, R_AUTH | R_EXT_ONLY, 0, LIB_MODIFY},
    {"DELETE", "/v1/me/tracks", web_library_remove, R_AUTH | R_EXT_ONLY, 0, LIB_MODIFY},
    {"GET", "/v1/me/tracks/contains", web_library_contains, R_AUTH | R_EXT_ONLY, 0, LIB_READ},
    {"PUT", "/v1/me/library", web_library_save, R_AUTH, 1, LIB_MODIFY},
    {"DELETE", "/v1/me/library", web_library_remove, R_AUTH, 1, LIB_MODIFY},
    {"GET", "/v1/me/library/contains", web_library_contains, R_AUTH, 1, LIB_READ},
};
#define NROUTES (sizeof ROUTES / sizeof *ROUTES)

static const char UNMATCHED[] = "(unmatched)";

/* ---- request helpers ---- */

const char *req_query(const struct emu_req *req, const char *key)
{
    return MHD_lookup_connection_value(req->conn, MHD_GET_ARGUMENT_KIND, key);
}

const char *req_header(const struct emu_req *req, const char *name)
{
    return MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, name);
}

void resp_error(struct emu_resp *res, int status, const char *message)
{
    buf_reset(&res->body);
    res->status = status;
    if (buf_appendf(&res->body, "{\"error\":{\"status\":%d,\"message\":", status) ||
        jw_str(&res->body, message) || buf_append_str(&res->body, "}}")) {
        buf_reset(&res->body);
        res->status = 500;
    }
}

void resp_json(struct emu_resp *res, int status, int rc)
{
    if (rc != 0)
        resp_error(res, 500, "Server error");
    else
        res->status = status;
}

static enum MHD_Result send_resp(struct MHD_Connection *conn, struct emu_resp *res)
{
    size_t len;
    char *data = buf_detach(&res->body, &len);
    if (!data)
        return MHD_NO;
    struct MHD_Response *r = MHD_create_response_from_buffer(len, data, MHD_RESPMEM_MUST_FREE);
    if (!r) {
        free(data);
        return MHD_NO;
    }
    if (len)
        MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE,
                                res->ctype ? res->ctype : "application/json; charset=utf-8");
    if (res->location)
        MHD_add_response_header(r, MHD_HTTP_HEADER_LOCATION, res->location);
    if (res->retry_after > 0) {
        char ra[16];
        snprintf(ra, sizeof ra, "%d", res->retry_after);
        MHD_add_response_header(r, MHD_HTTP_HEADER_RETRY_AFTER, ra);
    }
    if (res->status == 405)
        MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, "GET, POST, PUT, DELETE");
    enum MHD_Result ret = MHD_queue_response(conn, (unsigned)res->status, r);
    MHD_destroy_response(r);
    return ret;
}

static const char *static_method(const char *m)
{
    static const char *const M[] = {"GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"};
    for (size_t i = 0; i < sizeof M / sizeof *M; i++)
        if (strcmp(m, M[i]) == 0)
            return M[i];
    return "OTHER";
}

/* Matches path against a template; {id} captures one non-empty segment. */
static bool match_tmpl(const char *tmpl, const char *path, const char **params, char *scratch,
                       size_t scratch_sz)
{
    size_t np = 0, used = 0;
    const char *t = tmpl, *p = path;
    while (*t && *p) {
        if (strncmp(t, "{id}", 4) == 0) {
            const char *end = strchr(p, '/');
            size_t len = end ? (size_t)(end - p) : strlen(p);
            if (len == 0 || np == EMU_MAX_PARAMS || used + len + 1 > scratch_sz)
                return false;
            memcpy(scratch + used, p, len);
            scratch[used + len] = '\0';
            params[np++] = scratch + used;
            used += len + 1;
            t += 4;
            p += len;
        } else if (*t == *p) {
            t++;
            p++;
        } else {
            return false;
        }
    }
    return *t == '\0' && *p == '\0';
}

/* Spotify's wording for an injected status when the rule gave no message. */
static const char *status_message(int status)
{
    switch (status) {
    case 400:
        return "Bad request";
    case 401:
        return "Invalid access token";
    case 403:
        return "Forbidden";
    case 404:
        return "Resource not found";
    case 429:
        return "API rate limit exceeded";
    case 500:
        return "Server error";
    case 502:
        return "Bad gateway";
    case 503:
        return "Service unavailable";
    case 504:
        return "Gateway timeout";
    default:
        return "Injected fault";
    }
}

static void web_gate(struct emu_req *req, struct emu_resp *res, const struct route *rt)
{
    struct emu *emu = req->emu;
    int wait = 0;
    if (strncmp(req->path, "/v1/", 4) == 0) {
        if (knobs_quota(emu->knobs, &wait)) {
            res->retry_after = wait;
            res->status = 429;
            if (buf_append_str(&res->body,
                               "{\"error\":{\"status\":429,\"message\":\"API rate limit "
                               "exceeded\",\"reason\":\"QUOTA_EXCEEDED\"}}") != 0)
                resp_error(res, 500, "Server error");
            return;
        }
        if (rt && (wait = knobs_rate_check(emu->knobs, mono_ms())) > 0) {
            res->retry_after = wait;
            resp_error(res, 429, "API rate limit exceeded");
            return;
        }
    }
    if (!rt) {
        resp_error(res, 404, "Service not found");
        return;
    }
    if (rt->flags & R_AUTH) {
        switch (accounts_check_bearer(emu->acc, req_header(req, "Authorization"), &req->user,
                                      &req->scopes)) {
        case BEARER_OK:
            break;
        case BEARER_MISSING:
            resp_error(res, 401, "No token provided");
            return;
        case BEARER_EXPIRED:
            resp_error(res, 401, "The access token expired");
            return;
        case BEARER_BAD_SCHEME:
            resp_error(res, 400, "Only valid bearer authentication supported");
            return;
        default:
            resp_error(res, 401, "Invalid access token");
            return;
        }
    }
    if ((rt->flags & R_EXT_ONLY) && req->mode == MODE_DEV) {
        resp_error(res, 403, "Forbidden");
        return;
    }
    if ((req->scopes & rt->scopes) != rt->scopes) {
        resp_error(res, 403, "Insufficient client scope");
        return;
    }
    rt->fn(req, res);
}

static enum MHD_Result dispatch(struct emu *emu, struct http_conn *cs, struct MHD_Connection *conn,
                                const char *url, const char *method)
{
    struct emu_req req = {.emu = emu, .conn = conn, .method = method, .path = url, .user = -1};
    struct emu_resp res = {.status = 200, .body = BUF_INIT};
    char scratch[512];
    enum MHD_Result ret;
    req.mode = atomic_load(&emu->cfg.mode);
    if (cs->body.len) {
        req.body = cs->body.data;
        req.body_len = cs->body.len;
    }
    if (strncmp(url, "/__admin", 8) == 0) {
        if (cs->too_large)
            resp_error(&res, 413, "Request body too large");
        else
            admin_handle(&req, &res);
        ret = send_resp(conn, &res);
        goto done;
    }

    const struct route *rt = NULL;
    bool path_known = false;
    for (size_t i = 0; i < NROUTES; i++) {
        const char *params[EMU_MAX_PARAMS] = {0};
        if (!match_tmpl(ROUTES[i].tmpl, url, params, scratch, sizeof scratch))
            continue;
        path_known = true;
        if (strcmp(ROUTES[i].method, method) == 0) {
            rt = &ROUTES[i];
            memcpy(req.params, params, sizeof params);
            break;
        }
    }
    const char *smethod = static_method(method);
    const char *tmpl = rt ? rt->tmpl : UNMATCHED;
    struct fault_hit hit;
    if (knobs_fault_match(emu->knobs, method, url, &hit)) {
        if (hit.drop) {
            knobs_record(emu->knobs, smethod, tmpl, url, http_conn_query(cs), NULL, 0, cs->start_ms,
                         now_ms());
            ret = MHD_NO; /* MHD closes the connection without an answer */
            goto done;
        }
        res.retry_after = hit.retry_after;
        resp_error(&res, hit.status, hit.message[0] ? hit.message : status_message(hit.status));
    } else if (cs->too_large) {
        resp_error(&res, 413, "Request body too large");
    } else if (!rt && path_known) {
        resp_error(&res, 405, "Method not allowed");
    } else {
        req.arg = rt ? rt->arg : 0;
        web_gate(&req, &res, rt);
    }
    knobs_record(emu->knobs, smethod, tmpl, url, http_conn_query(cs), NULL, res.status,
                 cs->start_ms, now_ms());
    ret = res.drop ? MHD_NO : send_resp(conn, &res);
done:
    buf_release(&res.body);
    free(res.location);
    return ret;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **con_cls)
{
    (void)version;
    struct emu *emu = cls;
    struct http_conn *cs = *con_cls;
    if (!cs || !cs->uri)
        return MHD_NO;
    if (!cs->started) {
        cs->started = true;
        const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Length");
        long n;
        if (cl && parse_long(cl, 0, 0x7fffffffL, &n) == 0 && (unsigned long)n > MAX_BODY)
            cs->too_large = true;
        return MHD_YES;
    }
    if (*upload_data_size) {
        http_conn_upload(cs, upload_data, upload_data_size, MAX_BODY);
        return MHD_YES;
    }
    if (strncmp(url, "/__admin", 8) != 0) {
        /* A hold first (once per request), then the latency after its release. */
        if (!cs->hold_checked) {
            cs->hold_checked = true;
            if (delay_hold_take(emu->delays, conn, url))
                return MHD_YES;
        }
        if (http_conn_delay(cs, conn, emu->delays, knobs_latency(emu->knobs)))
            return MHD_YES;
    }
    return dispatch(emu, cs, conn, url, method);
}

/* ---- start / stop ---- */

int http_listen(struct emu *emu, int *fd_out)
{
    int port;
    int fd = listen_loopback(emu->cfg.port, &port);
    if (fd < 0) {
        perror("spotify-emulator: bind");
        return -1;
    }
    emu->cfg.port = port;
    *fd_out = fd;
    return 0;
}

int http_start_on(struct emu *emu, int fd)
{
    emu->delays = delay_new();
    if (!emu->delays) {
        close(fd);
        return -1;
    }
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME |
                     MHD_USE_TURBO | MHD_USE_ERROR_LOG;
    emu->daemon = MHD_start_daemon(
        flags, 0, NULL, NULL, on_request, emu, MHD_OPTION_LISTEN_SOCKET, fd,
        MHD_OPTION_THREAD_POOL_SIZE, (unsigned)emu->cfg.threads, MHD_OPTION_CONNECTION_LIMIT,
        (unsigned)1000, MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)120,
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(256 * 1024), MHD_OPTION_URI_LOG_CALLBACK,
        http_conn_open, NULL, MHD_OPTION_NOTIFY_COMPLETED, http_conn_close, NULL, MHD_OPTION_END);
    if (!emu->daemon) {
        fprintf(stderr, "spotify-emulator: cannot start the HTTP daemon\n");
        delay_free(emu->delays);
        emu->delays = NULL;
        close(fd);
        return -1;
    }
    return 0;
}

void http_stop(struct emu *emu)
{
    /* Resume the delayed connections first: MHD must not stop with our queue
     * still pointing at its connections. */
    delay_free(emu->delays);
    emu->delays = NULL;
    if (emu->daemon) {
        MHD_stop_daemon(emu->daemon); /* closes the listen socket too */
        emu->daemon = NULL;
    }
}
