/* HTTP side of sign-in: parse the query, call auth_service, answer (see the header).
 *
 * The sign-in is bound to the browser that started it (API.md, Auth): login sets the
 * playrouter_login cookie to its OAuth state (HttpOnly, SameSite=Lax, only sent to
 * the callback, as long as the state lives); the callback sets the session cookie only
 * when that cookie equals its state. Someone who sends a victim the callback URL of
 * their own sign-in (login CSRF) thus gets the victim no session: the victim's browser
 * holds no cookie for that state. */
#include "handlers/auth_handler.h"
#include "middleware/request_db.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "app/app.h"
#include "lib/app_err.h"
#include "app/config.h"
#include "lib/log.h"
#include "lib/util.h"
#include "services/auth/auth_service.h"
#include "services/auth/session_service.h"

#define LOGIN_COOKIE "playrouter_login"
#define LOGIN_COOKIE_PATH "/api/auth/callback"

/* The cookie is Secure when the app is served over https (its redirect URI says so). */
static int cookie_secure(struct request *req)
{
    const char *uri = req->app->cfg->spotify_redirect_uri;
    return uri && strncasecmp(uri, "https://", 8) == 0;
}

/* Sets (or, with max_age 0 and value "", clears) an HttpOnly SameSite=Lax cookie. */
static void set_cookie(struct request *req, struct response *res, const char *name,
                       const char *value, const char *path, long long max_age)
{
    char *v = arena_sprintf(req->arena, "%s=%s; Path=%s; Max-Age=%lld; HttpOnly; SameSite=Lax%s",
                            name, value, path, max_age, cookie_secure(req) ? "; Secure" : "");
    if (v)
        response_header(res, "Set-Cookie", v);
}

static void set_session_cookie(struct request *req, struct response *res, const char *token,
                               long long max_age)
{
    set_cookie(req, res, SESSION_COOKIE, token, "/", max_age);
}

/* 1 when a and b are equal strings; the time taken does not depend on where they
 * differ. */
static int same_secret(const char *a, const char *b)
{
    size_t n = strlen(a);
    unsigned char diff = 0;
    if (n != strlen(b))
        return 0;
    for (size_t i = 0; i < n; i++)
        diff |= (unsigned char)(a[i] ^ b[i]);
    return diff == 0;
}

/* 1 when the request prefers an HTML page to JSON: its Accept names text/html before
 * application/json (or without it), as a browser's navigation does. curl's and most
 * clients' catch-all or absent Accept keep the JSON answer. */
static int prefers_html(struct request *req)
{
    const char *accept = request_header(req, "Accept");
    const char *html = accept ? strstr(accept, "text/html") : NULL;
    const char *json = accept ? strstr(accept, "application/json") : NULL;
    return html && (!json || html < json);
}

static json_t *user_json(const struct user *u, int full)
{
    json_t *j =
        json_pack("{s:s,s:s,s:o}", "id", u->id, "spotify_user_id", u->spotify_user_id,
                  "display_name", u->display_name ? json_string(u->display_name) : json_null());
    if (j && full) {
        json_object_set_new(j, "created", json_string(u->created));
        json_object_set_new(j, "updated", json_string(u->updated));
        json_object_set_new(j, "spotify_reauth_required", json_boolean(u->needs_reauth));
    }
    return j;
}

void auth_handler_login(struct request *req, struct response *res)
{
    const char *location = NULL, *state = NULL;
    struct report rep = {0};
    int rc = auth_service_login(req->app, request_db(req), req->arena, &location, &state, &rep);
    if (rc != 0) {
        response_error_report(res, rc, &rep);
    } else {
        response_redirect(res, location);
        set_cookie(req, res, LOGIN_COOKIE, state, LOGIN_COOKIE_PATH, AUTH_STATE_TTL_S);
    }
    report_release(&rep);
}

void auth_handler_callback(struct request *req, struct response *res)
{
    struct auth_signin s;
    struct report rep = {0};
    char when[21];
    const char *state = request_query(req, "state");
    const char *bound = request_cookie(req, LOGIN_COOKIE);
    int same_browser = state && bound && *state && same_secret(state, bound);
    int rc =
        auth_service_callback(req->app, request_db(req), req->arena, request_query(req, "code"),
                              state, request_query(req, "error"), &s, &rep);
    if (rc != 0) {
        response_error_report(res, rc, &rep);
        report_release(&rep);
        return;
    }
    util_time_format((time_t)s.expires_at, when);
    json_t *body = json_pack("{s:s,s:s,s:o}", "token", s.token, "expires_at", when, "user",
                             user_json(&s.user, 0));
    if (!body) {
        response_error(res, ERR_NOMEM);
        return;
    }
    if (same_browser) {
        set_session_cookie(req, res, s.token, (long long)req->app->cfg->session_ttl_s);
        set_cookie(req, res, LOGIN_COOKIE, "", LOGIN_COOKIE_PATH, 0); /* spent */
    } else {
        log_info("auth: callback without this sign-in's %s cookie: no session cookie set",
                 LOGIN_COOKIE);
    }
    if (prefers_html(req)) {
        /* A browser signing in (API.md "Auth"): back to the web app. */
        json_decref(body);
        response_redirect(res, "/");
        res->status = 303;
        return;
    }
    response_json(res, 200, body);
}

void auth_handler_logout(struct request *req, struct response *res)
{
    int rc = auth_service_logout(req->app, request_db(req), req->session_jti, req->session_exp);
    if (rc != 0) {
        response_error(res, rc);
        return;
    }
    set_session_cookie(req, res, "", 0);
    response_no_content(res);
}

void auth_handler_me(struct request *req, struct response *res)
{
    struct user u;
    struct report rep = {0};
    const char *refresh = request_query(req, "refresh");
    int from_spotify = 0;
    if (refresh) {
        if (strcmp(refresh, "true") == 0 || strcmp(refresh, "1") == 0) {
            from_spotify = 1;
        } else if (strcmp(refresh, "false") != 0 && strcmp(refresh, "0") != 0) {
            response_error_full(
                res, ERR_VALIDATION, "refresh must be true or false",
                json_pack("[{s:s,s:s}]", "path", "refresh", "message", "expected true or false"),
                NULL);
            return;
        }
    }
    int rc = auth_service_me(req->app, request_db(req), req->arena, req->user_id, from_spotify, &u,
                             &rep);
    if (rc != 0) {
        response_error_report(res, rc, &rep);
        report_release(&rep);
        return;
    }
    json_t *body = user_json(&u, 1);
    if (!body) {
        response_error(res, ERR_NOMEM);
        return;
    }
    response_json(res, 200, body);
}
