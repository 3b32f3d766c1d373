/* The accounts service: GET /authorize (auto-approving), POST /api/token
 * (authorization_code with or without PKCE, refresh_token with rotation), and
 * bearer-token checks for the Web API.
 *
 * Tokens live in maps guarded by one rwlock: the Web API's check takes it
 * shared, issuing and revoking take it exclusive. Nothing is ever freed before
 * exit (a used refresh token stays, marked used), so pointers stay valid. */
#include <fnmatch.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "emu.h"

#define TOKEN_LEN 64
#define CODE_LIFETIME_MS (10 * 60 * 1000)
#define REFRESH_LIFETIME_MS (183LL * 24 * 3600 * 1000) /* six months */

struct auth_code {
    char code[TOKEN_LEN + 1];
    int user;
    char *redirect_uri, *challenge, *scope;
    int64_t expires_ms;
    bool used;
};

struct access_tok {
    char tok[TOKEN_LEN + 1];
    int user;
    uint32_t scopes; /* SCOPE_BIT set of the grant */
    int64_t expires_ms;
};

struct refresh_tok {
    char tok[TOKEN_LEN + 1];
    int user;
    char *scope;
    int64_t signin_ms;
    bool used, revoked, pkce;
};

#define PTR_ARRAY(T, name)                                                                         \
    T **name;                                                                                      \
    size_t n_##name, cap_##name

struct accounts {
    pthread_rwlock_t lock;
    PTR_ARRAY(struct auth_code, codes);
    PTR_ARRAY(struct access_tok, access);
    PTR_ARRAY(struct refresh_tok, refresh);
    struct strmap code_map, access_map, refresh_map;
};

static int push(void ***arr, size_t *n, size_t *cap, void *p)
{
    if (*n == *cap) {
        size_t ncap = *cap ? *cap * 2 : 64;
        void **na = realloc(*arr, ncap * sizeof *na);
        if (!na)
            return -1;
        *arr = na;
        *cap = ncap;
    }
    (*arr)[(*n)++] = p;
    return 0;
}
#define PUSH(a, name, p) push((void ***)&(a)->name, &(a)->n_##name, &(a)->cap_##name, (p))

struct accounts *accounts_new(void)
{
    struct accounts *a = calloc(1, sizeof *a);
    if (!a)
        return NULL;
    pthread_rwlock_init(&a->lock, NULL);
    return a;
}

void accounts_free(struct accounts *a)
{
    if (!a)
        return;
    for (size_t i = 0; i < a->n_codes; i++) {
        free(a->codes[i]->redirect_uri);
        free(a->codes[i]->challenge);
        free(a->codes[i]->scope);
        free(a->codes[i]);
    }
    for (size_t i = 0; i < a->n_access; i++)
        free(a->access[i]);
    for (size_t i = 0; i < a->n_refresh; i++) {
        free(a->refresh[i]->scope);
        free(a->refresh[i]);
    }
    free(a->codes);
    free(a->access);
    free(a->refresh);
    strmap_release(&a->code_map);
    strmap_release(&a->access_map);
    strmap_release(&a->refresh_map);
    pthread_rwlock_destroy(&a->lock);
    free(a);
}

enum bearer_status accounts_check_bearer(struct accounts *a, const char *header, int *user,
                                         uint32_t *scopes)
{
    if (!header || !*header)
        return BEARER_MISSING;
    if (strncasecmp(header, "Bearer ", 7) != 0)
        return BEARER_BAD_SCHEME;
    const char *tok = header + 7;
    while (*tok == ' ')
        tok++;
    if (!*tok)
        return BEARER_MISSING;
    enum bearer_status st = BEARER_INVALID;
    pthread_rwlock_rdlock(&a->lock);
    int i = strmap_get(&a->access_map, tok);
    if (i >= 0) {
        struct access_tok *t = a->access[i];
        if (t->expires_ms <= now_ms()) {
            st = BEARER_EXPIRED;
        } else {
            st = BEARER_OK;
            *user = t->user;
            *scopes = t->scopes;
        }
    }
    pthread_rwlock_unlock(&a->lock);
    return st;
}

static const char *const SCOPE_NAMES[SCOPE_COUNT] = {
    [SCOPE_UGC_IMAGE_UPLOAD] = "ugc-image-upload",
    [SCOPE_USER_READ_PLAYBACK_STATE] = "user-read-playback-state",
    [SCOPE_USER_MODIFY_PLAYBACK_STATE] = "user-modify-playback-state",
    [SCOPE_USER_READ_CURRENTLY_PLAYING] = "user-read-currently-playing",
    [SCOPE_APP_REMOTE_CONTROL] = "app-remote-control",
    [SCOPE_STREAMING] = "streaming",
    [SCOPE_PLAYLIST_READ_PRIVATE] = "playlist-read-private",
    [SCOPE_PLAYLIST_READ_COLLABORATIVE] = "playlist-read-collaborative",
    [SCOPE_PLAYLIST_MODIFY_PRIVATE] = "playlist-modify-private",
    [SCOPE_PLAYLIST_MODIFY_PUBLIC] = "playlist-modify-public",
    [SCOPE_USER_FOLLOW_MODIFY] = "user-follow-modify",
    [SCOPE_USER_FOLLOW_READ] = "user-follow-read",
    [SCOPE_USER_READ_PLAYBACK_POSITION] = "user-read-playback-position",
    [SCOPE_USER_TOP_READ] = "user-top-read",
    [SCOPE_USER_READ_RECENTLY_PLAYED] = "user-read-recently-played",
    [SCOPE_USER_LIBRARY_MODIFY] = "user-library-modify",
    [SCOPE_USER_LIBRARY_READ] = "user-library-read",
    [SCOPE_USER_READ_EMAIL] = "user-read-email",
    [SCOPE_USER_READ_PRIVATE] = "user-read-private",
    [SCOPE_USER_PERSONALIZED] = "user-personalized",
    [SCOPE_USER_SOA_LINK] = "user-soa-link",
    [SCOPE_USER_SOA_UNLINK] = "user-soa-unlink",
    [SCOPE_SOA_MANAGE_ENTITLEMENTS] = "soa-manage-entitlements",
    [SCOPE_SOA_MANAGE_PARTNER] = "soa-manage-partner",
    [SCOPE_SOA_CREATE_PARTNER] = "soa-create-partner",
};

int accounts_scope_parse(const char *scope, uint32_t *bits)
{
    const char *p = scope;
    *bits = 0;
    while (*p) {
        while (*p == ' ' || *p == '+')
            p++;
        if (!*p)
            break;
        size_t len = strcspn(p, " +");
        int found = -1;
        for (int i = 0; i < SCOPE_COUNT && found < 0; i++)
            if (strlen(SCOPE_NAMES[i]) == len && strncmp(SCOPE_NAMES[i], p, len) == 0)
                found = i;
        if (found < 0)
            return -1;
        *bits |= SCOPE_BIT(found);
        p += len;
    }
    return 0;
}

/* Issues an access and a refresh token; caller holds the write lock. */
static int issue(struct accounts *a, int user, const char *scope, int64_t signin_ms, bool pkce,
                 int lifetime_s, struct access_tok **at_out, struct refresh_tok **rt_out)
{
    struct access_tok *at = calloc(1, sizeof *at);
    struct refresh_tok *rt = calloc(1, sizeof *rt);
    if (!at || !rt)
        goto fail;
    rt->scope = strdup(scope ? scope : "");
    if (!rt->scope || random_token(at->tok + 2, TOKEN_LEN - 1) != 0 ||
        random_token(rt->tok + 2, TOKEN_LEN - 1) != 0)
        goto fail;
    /* Spotify's tokens start BQ (access) and AQ (refresh). */
    at->tok[0] = 'B', at->tok[1] = 'Q';
    rt->tok[0] = 'A', rt->tok[1] = 'Q';
    at->user = rt->user = user;
    /* Checked when it was granted (/authorize, the admin API): cannot fail here. */
    if (accounts_scope_parse(rt->scope, &at->scopes) != 0)
        at->scopes = 0;
    at->expires_ms = now_ms() + (int64_t)lifetime_s * 1000;
    rt->signin_ms = signin_ms;
    rt->pkce = pkce;
    if (PUSH(a, access, at) != 0)
        goto fail;
    if (PUSH(a, refresh, rt) != 0) {
        a->n_access--;
        goto fail;
    }
    if (strmap_put(&a->access_map, at->tok, (int)a->n_access - 1) != 0 ||
        strmap_put(&a->refresh_map, rt->tok, (int)a->n_refresh - 1) != 0) {
        strmap_del(&a->access_map, at->tok);
        a->n_access--;
        a->n_refresh--;
        goto fail;
    }
    *at_out = at;
    *rt_out = rt;
    return 0;
fail:
    if (rt)
        free(rt->scope);
    free(at);
    free(rt);
    return -1;
}

int accounts_mint(struct emu *emu, int user, const char *scope, char *access, char *refresh)
{
    struct accounts *a = emu->acc;
    struct access_tok *at;
    struct refresh_tok *rt;
    pthread_rwlock_wrlock(&a->lock);
    int rc = issue(a, user, scope, now_ms(), true, atomic_load(&emu->cfg.token_lifetime), &at, &rt);
    if (rc == 0) {
        memcpy(access, at->tok, TOKEN_LEN + 1);
        memcpy(refresh, rt->tok, TOKEN_LEN + 1);
    }
    pthread_rwlock_unlock(&a->lock);
    return rc;
}

void accounts_expire_access(struct accounts *a)
{
    int64_t now = now_ms();
    pthread_rwlock_wrlock(&a->lock);
    for (size_t i = 0; i < a->n_access; i++)
        if (a->access[i]->expires_ms > now - 1)
            a->access[i]->expires_ms = now - 1;
    pthread_rwlock_unlock(&a->lock);
}

int accounts_expire_refresh(struct accounts *a, int user)
{
    int n = 0;
    pthread_rwlock_wrlock(&a->lock);
    for (size_t i = 0; i < a->n_refresh; i++) {
        struct refresh_tok *t = a->refresh[i];
        if (t->user == user && !t->used && !t->revoked) {
            t->revoked = true;
            n++;
        }
    }
    pthread_rwlock_unlock(&a->lock);
    return n;
}

/* ---- GET /authorize ---- */

static bool redirect_registered(struct emu *emu, const char *uri)
{
    bool ok = false;
    pthread_mutex_lock(&emu->cfg.redirect_mu);
    for (int i = 0; i < emu->cfg.nredirect && !ok; i++) {
        const char *r = emu->cfg.redirect_uris[i];
        ok = strchr(r, '*') ? fnmatch(r, uri, 0) == 0 : strcmp(r, uri) == 0;
    }
    pthread_mutex_unlock(&emu->cfg.redirect_mu);
    return ok;
}

/* 302 to redirect_uri with query parameters (values encoded here). */
static void redirect_with(struct emu_resp *res, const char *redirect_uri, const char *k1,
                          const char *v1, const char *state)
{
    struct buf b = BUF_INIT;
    int rc = buf_append_str(&b, redirect_uri) ||
             buf_append_str(&b, strchr(redirect_uri, '?') ? "&" : "?") || buf_append_str(&b, k1) ||
             buf_append_str(&b, "=") || url_encode(&b, v1);
    if (state)
        rc = rc || buf_append_str(&b, "&state=") || url_encode(&b, state);
    if (rc) {
        buf_release(&b);
        resp_error(res, 500, "Server error");
        return;
    }
    res->location = buf_detach(&b, NULL);
    res->status = 302;
    res->ctype = "text/html; charset=utf-8";
    if (buf_append_str(&res->body, "<html><body>Redirecting</body></html>") != 0)
        res->ctype = NULL;
}

static void plain_400(struct emu_resp *res, const char *msg)
{
    res->status = 400;
    res->ctype = "text/plain; charset=utf-8";
    buf_reset(&res->body);
    if (buf_append_str(&res->body, msg) != 0)
        res->ctype = NULL;
}

void accounts_authorize(struct emu_req *req, struct emu_resp *res)
{
    struct emu *emu = req->emu;
    const char *client_id = req_query(req, "client_id");
    const char *redirect_uri = req_query(req, "redirect_uri");
    const char *response_type = req_query(req, "response_type");
    const char *state = req_query(req, "state");
    const char *scope = req_query(req, "scope");
    const char *method = req_query(req, "code_challenge_method");
    const char *challenge = req_query(req, "code_challenge");
    const char *username = req_query(req, "user");

    if (!client_id || strcmp(client_id, emu->cfg.client_id) != 0) {
        plain_400(res, "INVALID_CLIENT: Invalid client");
        return;
    }
    if (!redirect_uri || !redirect_registered(emu, redirect_uri)) {
        plain_400(res, "INVALID_CLIENT: Invalid redirect URI");
        return;
    }
    if (!response_type || strcmp(response_type, "code") != 0) {
        redirect_with(res, redirect_uri, "error", "unsupported_response_type", state);
        return;
    }
    if ((method || challenge) &&
        (!method || strcmp(method, "S256") != 0 || !challenge || strlen(challenge) != 43 ||
         strspn(challenge, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") !=
             43)) {
        redirect_with(res, redirect_uri, "error", "invalid_request", state);
        return;
    }
    uint32_t scope_bits;
    if (scope && accounts_scope_parse(scope, &scope_bits) != 0) {
        redirect_with(res, redirect_uri, "error", "invalid_scope", state);
        return;
    }
    pthread_rwlock_rdlock(&emu->cat->lock);
    int user = catalog_user_find(emu->cat, username && *username ? username : "demo");
    pthread_rwlock_unlock(&emu->cat->lock);
    if (user < 0) {
        redirect_with(res, redirect_uri, "error", "access_denied", state);
        return;
    }

    struct accounts *a = emu->acc;
    struct auth_code *c = calloc(1, sizeof *c);
    if (!c || random_token(c->code, sizeof c->code) != 0)
        goto oom;
    c->user = user;
    c->redirect_uri = strdup(redirect_uri);
    c->challenge = challenge ? strdup(challenge) : NULL;
    c->scope = strdup(scope ? scope : "");
    c->expires_ms = now_ms() + CODE_LIFETIME_MS;
    if (!c->redirect_uri || (challenge && !c->challenge) || !c->scope)
        goto oom;
    pthread_rwlock_wrlock(&a->lock);
    int rc = PUSH(a, codes, c);
    if (rc == 0 && strmap_put(&a->code_map, c->code, (int)a->n_codes - 1) != 0) {
        a->n_codes--;
        rc = -1;
    }
    pthread_rwlock_unlock(&a->lock);
    if (rc != 0)
        goto oom;
    redirect_with(res, redirect_uri, "code", c->code, state);
    return;
oom:
    if (c) {
        free(c->redirect_uri);
        free(c->challenge);
        free(c->scope);
        free(c);
    }
    resp_error(res, 500, "Server error");
}

/* ---- POST /api/token ---- */

static void oauth_error(struct emu_resp *res, int status, const char *error, const char *desc)
{
    buf_reset(&res->body);
    res->status = status;
    if (buf_append_str(&res->body, "{\"error\":") || jw_str(&res->body, error) ||
        buf_append_str(&res->body, ",\"error_description\":") || jw_str(&res->body, desc) ||
        buf_append_str(&res->body, "}"))
        resp_error(res, 500, "Server error");
}

static bool pkce_ok(const char *verifier, const char *challenge)
{
    unsigned char md[32];
    unsigned int mdlen = 0;
    char enc[48];
    if (EVP_Digest(verifier, strlen(verifier), md, &mdlen, EVP_sha256(), NULL) != 1 || mdlen != 32)
        return false;
    b64_encode(md, 32, enc, true);
    return strcmp(enc, challenge) == 0;
}

/* Client authentication: HTTP Basic, or form client_id (+ client_secret).
 * 0 with *confidential set, or -1 after writing the error. */
static int client_auth(struct emu_req *req, struct emu_resp *res, const char *form_id,
                       const char *form_secret, bool *confidential)
{
    struct emu *emu = req->emu;
    const char *auth = req_header(req, "Authorization");
    char id[256] = "", *secret = NULL;
    unsigned char raw[512];
    *confidential = false;
    if (auth && strncasecmp(auth, "Basic ", 6) == 0) {
        long n = b64_decode(auth + 6, strlen(auth + 6), raw, sizeof raw - 1);
        char *colon;
        if (n <= 0 || !(colon = memchr(raw, ':', (size_t)n)) ||
            (size_t)(colon - (char *)raw) >= sizeof id) {
            oauth_error(res, 400, "invalid_client", "Invalid client");
            return -1;
        }
        raw[n] = '\0';
        *colon = '\0';
        memcpy(id, raw, (size_t)(colon - (char *)raw) + 1);
        secret = colon + 1;
        if (strcmp(id, emu->cfg.client_id) != 0) {
            oauth_error(res, 400, "invalid_client", "Invalid client");
            return -1;
        }
        if (strcmp(secret, emu->cfg.client_secret) != 0) {
            oauth_error(res, 400, "invalid_client", "Invalid client secret");
            return -1;
        }
        *confidential = true;
        return 0;
    }
    if (!form_id || strcmp(form_id, emu->cfg.client_id) != 0) {
        oauth_error(res, 400, "invalid_client", "Invalid client");
        return -1;
    }
    if (form_secret) {
        if (strcmp(form_secret, emu->cfg.client_secret) != 0) {
            oauth_error(res, 400, "invalid_client", "Invalid client secret");
            return -1;
        }
        *confidential = true;
    }
    return 0;
}

static void token_answer(struct emu_resp *res, const struct access_tok *at,
                         const struct refresh_tok *rt, int lifetime)
{
    struct buf *b = &res->body;
    int rc = buf_append_str(b, "{\"access_token\":") || jw_str(b, at->tok) ||
             buf_appendf(
                 b, ",\"token_type\":\"Bearer\",\"expires_in\":%d,\"refresh_token\":", lifetime) ||
             jw_str(b, rt->tok) || buf_append_str(b, ",\"scope\":") || jw_str(b, rt->scope) ||
             buf_append_str(b, "}");
    resp_json(res, 200, rc);
}

void accounts_token(struct emu_req *req, struct emu_resp *res)
{
    struct emu *emu = req->emu;
    struct accounts *a = emu->acc;
    const char *body = req->body ? req->body : "";
    size_t len = req->body_len;
    char *grant = form_get(body, len, "grant_type");
    char *code = form_get(body, len, "code");
    char *redirect_uri = form_get(body, len, "redirect_uri");
    char *verifier = form_get(body, len, "code_verifier");
    char *client_id = form_get(body, len, "client_id");
    char *client_secret = form_get(body, len, "client_secret");
    char *refresh = form_get(body, len, "refresh_token");
    bool confidential;
    int lifetime = atomic_load(&emu->cfg.token_lifetime);
    struct access_tok *at;
    struct refresh_tok *rt;
    bool locked = false;

    if (!grant) {
        oauth_error(res, 400, "unsupported_grant_type", "grant_type parameter is missing");
        goto done;
    }
    if (strcmp(grant, "authorization_code") != 0 && strcmp(grant, "refresh_token") != 0) {
        oauth_error(res, 400, "unsupported_grant_type",
                    "grant_type must be client_credentials, authorization_code or refresh_token");
        goto done;
    }
    if (client_auth(req, res, client_id, client_secret, &confidential) != 0)
        goto done;
    pthread_rwlock_wrlock(&a->lock);
    locked = true;
    if (strcmp(grant, "authorization_code") == 0) {
        int i = code ? strmap_get(&a->code_map, code) : -1;
        struct auth_code *c = i >= 0 ? a->codes[i] : NULL;
        if (!c || c->used) {
            oauth_error(res, 400, "invalid_grant", "Invalid authorization code");
            goto done;
        }
        if (c->expires_ms <= now_ms()) {
            oauth_error(res, 400, "invalid_grant", "Authorization code expired");
            goto done;
        }
        if (!redirect_uri || strcmp(redirect_uri, c->redirect_uri) != 0) {
            oauth_error(res, 400, "invalid_grant", "Invalid redirect URI");
            goto done;
        }
        if (c->challenge) {
            if (!verifier) {
                oauth_error(res, 400, "invalid_request", "code_verifier required");
                goto done;
            }
            if (!pkce_ok(verifier, c->challenge)) {
                oauth_error(res, 400, "invalid_grant", "code_verifier was incorrect");
                goto done;
            }
        } else if (!confidential) {
            oauth_error(res, 400, "invalid_client", "Invalid client");
            goto done;
        }
        if (issue(a, c->user, c->scope, now_ms(), c->challenge != NULL, lifetime, &at, &rt) != 0) {
            resp_error(res, 500, "Server error");
            goto done;
        }
        c->used = true; /* single use */
        token_answer(res, at, rt, lifetime);
        goto done;
    }
    /* refresh_token */
    int i = refresh ? strmap_get(&a->refresh_map, refresh) : -1;
    struct refresh_tok *old = i >= 0 ? a->refresh[i] : NULL;
    if (!old || old->used) {
        oauth_error(res, 400, "invalid_grant", "Invalid refresh token");
        goto done;
    }
    if (old->revoked || old->signin_ms + REFRESH_LIFETIME_MS <= now_ms()) {
        oauth_error(res, 400, "invalid_grant", "Refresh token revoked");
        goto done;
    }
    if (!old->pkce && !confidential) {
        oauth_error(res, 400, "invalid_client", "Invalid client");
        goto done;
    }
    /* Rotation: the answer carries a new refresh token and the old one dies. */
    if (issue(a, old->user, old->scope, old->signin_ms, old->pkce, lifetime, &at, &rt) != 0) {
        resp_error(res, 500, "Server error");
        goto done;
    }
    old->used = true;
    token_answer(res, at, rt, lifetime);
done:
    if (locked)
        pthread_rwlock_unlock(&a->lock);
    free(grant);
    free(code);
    free(redirect_uri);
    free(verifier);
    free(client_id);
    free(client_secret);
    free(refresh);
}
