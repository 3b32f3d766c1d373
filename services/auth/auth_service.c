/* Sign in with Spotify (see auth_service.h). */
#include "services/auth/auth_service.h"

#include <ctype.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "repositories/db.h"
#include "repositories/oauth_state_repo.h"
#include "app/app.h"
#include "lib/app_err.h"
#include "lib/arena.h"
#include "app/config.h"
#include "lib/log.h"
#include "lib/util.h"
#include "services/auth/session_service.h"
#include "services/database.h"
#include "services/spotify/spotify_accounts.h"
#include "services/spotify/spotify_client.h"
#include "services/spotify/spotify_session.h"
#include "services/auth/token_crypto.h"

#define STATE_BYTES 32    /* -> 43 base64url characters */
#define VERIFIER_BYTES 64 /* -> 86 characters, inside RFC 7636's 43..128 */
#define STATE_MAX_LEN 128
#define AAD_MAX 128

int auth_service_check_config(const struct config *cfg, struct report *rep)
{
    struct report why = {0};
    int rc = 0;
    if (!cfg->spotify_client_id || !*cfg->spotify_client_id) {
        report_message(rep, "sign-in is not configured: SPOTIFY_CLIENT_ID is not set");
        rc = ERR_UNAVAILABLE;
    } else if (spotify_accounts_check_redirect_uri(cfg->spotify_redirect_uri, &why) != 0) {
        report_message(rep,
                       "sign-in is misconfigured: SPOTIFY_REDIRECT_URI is not accepted "
                       "by Spotify: %s",
                       report_text(&why));
        rc = ERR_UNAVAILABLE;
    }
    report_release(&why);
    return rc;
}

int auth_service_pkce_challenge(const char *verifier, char out[44])
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    if (!EVP_Digest(verifier, strlen(verifier), md, &mdlen, EVP_sha256(), NULL) || mdlen != 32)
        return ERR_INTERNAL;
    util_base64url_encode(md, 32, out);
    return 0;
}

/* n random bytes as unpadded base64url (RFC 3986 unreserved characters only). */
static int random_b64url(size_t n, char *out)
{
    unsigned char raw[VERIFIER_BYTES];
    if (n > sizeof raw || util_random_bytes(raw, n) != 0)
        return ERR_INTERNAL;
    util_base64url_encode(raw, n, out);
    return 0;
}

int auth_service_login(struct app *app, struct db *db, struct arena *arena, const char **location,
                       const char **state_out, struct report *rep)
{
    char state[STATE_BYTES * 2], verifier[VERIFIER_BYTES * 2], challenge[44];
    struct buf url = BUF_INIT;
    int64_t now = (int64_t)time(NULL);
    int rc;

    *location = NULL;
    *state_out = NULL;
    if ((rc = auth_service_check_config(app->cfg, rep)) != 0)
        return rc;
    if (!db) {
        report_message(rep, "the database is busy");
        return ERR_UNAVAILABLE;
    }
    if ((rc = random_b64url(STATE_BYTES, state)) != 0 ||
        (rc = random_b64url(VERIFIER_BYTES, verifier)) != 0 ||
        (rc = auth_service_pkce_challenge(verifier, challenge)) != 0)
        goto done;
    /* States nobody came back with would pile up: drop the expired ones now. */
    (void)oauth_state_repo_purge(db, now);
    if ((rc = oauth_state_repo_insert(db, state, verifier, now + AUTH_STATE_TTL_S)) != 0) {
        rc = ERR_INTERNAL;
        goto done;
    }
    /* A flood of sign-ins from many addresses (each under the rate limit) must not
     * grow the table without end: the oldest pending sign-ins make room. */
    (void)oauth_state_repo_trim(db, app->cfg->max_pending_signins);
    if ((rc = spotify_accounts_authorize_url(app->cfg, state, challenge, &url)) != 0)
        goto done;
    if (!(*location = arena_strdup(arena, url.data)) || !(*state_out = arena_strdup(arena, state)))
        rc = ERR_NOMEM;
done:
    buf_release(&url);
    return rc;
}

/* A token source that hands out one fixed token (the sign-in's fresh access token,
 * before the user exists). A 401 on it is not retried. */
static int fixed_token_get(void *ud, int force_refresh, char **token, int *requests_made)
{
    *requests_made = 0;
    *token = NULL;
    if (force_refresh)
        return ERR_SPOTIFY;
    *token = strdup(ud);
    return *token ? 0 : ERR_SPOTIFY;
}

/* GET /me with a fresh access token. Strings in arena. */
static int read_me(struct app *app, struct arena *arena, const char *access_token,
                   struct spotify_user *me, struct report *rep)
{
    struct spotify_client_opts opts;
    struct spotify_token_source src = {fixed_token_get, (void *)access_token};
    struct spotify_client *c = NULL;
    int rc;

    spotify_session_client_opts(app, &opts);
    if ((rc = spotify_client_new(&opts, &src, &c)) != 0)
        return rc == ERR_NOMEM ? ERR_NOMEM : ERR_INTERNAL;
    struct report why = {0};
    rc = spotify_client_get_me(c, arena, me, &why);
    if (rc != 0) {
        report_message(rep, "Spotify did not give the user's profile: %s", report_text(&why));
        rc = rc == ERR_NOMEM ? ERR_NOMEM : rc == ERR_RATE_LIMITED ? ERR_RATE_LIMITED : ERR_SPOTIFY;
    } else if (!me->id || !*me->id || strlen(me->id) > 255) {
        report_message(rep, "Spotify's profile answer has no user id");
        rc = ERR_SPOTIFY;
    }
    report_release(&why);
    spotify_client_free(c);
    return rc;
}

static int encrypt_for(struct app *app, const char *user_id, int refresh, const char *token,
                       unsigned char **out, size_t *out_len)
{
    char aad[AAD_MAX];
    int n;
    *out = NULL;
    *out_len = 0;
    if (!token)
        return 0;
    if ((n = spotify_session_aad(user_id, refresh, aad, sizeof aad)) < 0)
        return ERR_INTERNAL;
    return token_crypto_encrypt(app->cfg->token_key, aad, (size_t)n, token, strlen(token), out,
                                out_len);
}

/* Creates or updates the user of Spotify account `me` and stores the tokens, in one
 * write transaction (no Spotify request inside it). */
static int store_user(struct app *app, struct db *db, struct arena *arena,
                      const struct spotify_user *me, const struct spotify_token_grant *g,
                      int64_t now, struct user *out)
{
    unsigned char *acc = NULL, *ref = NULL;
    struct user_tokens t = {0};
    char id[ID_LEN + 1], stamp[21];
    int rc, in_tx = 0;

    util_time_format((time_t)now, stamp);
    if ((rc = db_begin(db)) != 0)
        goto done;
    in_tx = 1;
    rc = user_repo_find_by_spotify_id(db, arena, me->id, out);
    if (rc == ERR_NOT_FOUND) {
        if (util_id_new(id) != 0) {
            rc = ERR_INTERNAL;
            goto done;
        }
        struct user u = {.id = id,
                         .spotify_user_id = me->id,
                         .display_name = me->display_name,
                         .created = stamp,
                         .updated = stamp};
        if ((rc = user_repo_insert(db, &u)) != 0)
            goto done;
        rc = user_repo_find(db, arena, id, out);
    }
    if (rc != 0)
        goto done;
    if ((rc = encrypt_for(app, out->id, 0, g->access_token, &acc, &t.access_len)) != 0 ||
        (rc = encrypt_for(app, out->id, 1, g->refresh_token, &ref, &t.refresh_len)) != 0)
        goto done;
    t.access_enc = acc;
    t.refresh_enc = ref;
    t.token_expires_at = now + g->expires_in;
    t.refresh_expires_at = now + AUTH_REFRESH_LIFETIME_S;
    t.scope = g->scope;
    if ((rc = user_repo_store_signin(db, out->id, me->display_name, &t, stamp)) != 0)
        goto done;
    if ((rc = db_commit(db)) != 0)
        goto done;
    in_tx = 0;
    out->display_name = arena_strdup(arena, me->display_name);
    out->updated = arena_strdup(arena, stamp);
    out->needs_reauth = 0;
done:
    if (in_tx)
        db_rollback(db);
    free(acc);
    free(ref);
    return rc == 0 || rc == ERR_NOMEM ? rc : ERR_INTERNAL;
}

/* Spotify's error parameter, shown only if it is a plain code (e.g. access_denied). */
static const char *safe_code(const char *s)
{
    if (!s || !*s || strlen(s) > 64)
        return "unknown_error";
    for (const char *p = s; *p; p++)
        if (!islower((unsigned char)*p) && *p != '_')
            return "unknown_error";
    return s;
}

int auth_service_callback(struct app *app, struct db *db, struct arena *arena, const char *code,
                          const char *state, const char *error, struct auth_signin *out,
                          struct report *rep)
{
    struct spotify_token_grant g = {0};
    struct spotify_user me = {0};
    char *verifier = NULL;
    char *jwt = NULL;
    struct session_claims claims;
    int64_t now = (int64_t)time(NULL), expires = 0;
    int rc;

    memset(out, 0, sizeof *out);
    if ((rc = auth_service_check_config(app->cfg, rep)) != 0)
        return rc;
    if (!db) {
        report_message(rep, "the database is busy");
        return ERR_UNAVAILABLE;
    }
    if (!state || !*state || strlen(state) > STATE_MAX_LEN) {
        report_message(rep, "the state parameter is missing or invalid");
        return ERR_INVALID_STATE;
    }
    /* Taking the state deletes it: whatever happens next, it cannot be used again. */
    rc = oauth_state_repo_take(db, arena, state, &verifier, &expires);
    if (rc == ERR_NOT_FOUND) {
        report_message(rep, "unknown or already used OAuth state: start again at "
                            "/api/auth/login");
        return ERR_INVALID_STATE;
    }
    if (rc != 0)
        return rc == ERR_NOMEM ? ERR_NOMEM : ERR_INTERNAL;
    if (expires < now) {
        report_message(rep,
                       "the OAuth state has expired (it lives %d minutes): start again "
                       "at /api/auth/login",
                       AUTH_STATE_TTL_S / 60);
        return ERR_INVALID_STATE;
    }
    if (error) {
        const char *c = safe_code(error);
        if (strcmp(c, "access_denied") == 0)
            report_message(rep, "sign-in was cancelled: access to Spotify was not granted "
                                "(access_denied)");
        else
            report_message(rep, "Spotify did not complete the sign-in (%s)", c);
        return ERR_VALIDATION;
    }
    if (!code || !*code || strlen(code) > 2048) {
        report_message(rep, "the code parameter is missing");
        return ERR_VALIDATION;
    }
    /* The code exchange and GET /me are Spotify calls: the connection is lent meanwhile. */
    int lent = database_lend(app, db);
    rc = spotify_accounts_exchange_code(app->cfg, app->metrics, code, verifier, &g, NULL);
    int rc_me = rc == 0 ? read_me(app, arena, g.access_token, &me, rep) : 0;
    if (database_reclaim(app, db, lent) != 0) {
        report_message(rep, "no database connection is free");
        rc = ERR_UNAVAILABLE;
        goto done;
    }
    if (rc == ERR_VALIDATION) {
        report_message(rep, "Spotify refused the authorization code (expired, already used "
                            "or not issued for this sign-in): start again at /api/auth/login");
        goto done;
    }
    if (rc != 0) {
        report_message(rep, "Spotify's accounts service did not exchange the code");
        rc = rc == ERR_NOMEM ? ERR_NOMEM : ERR_SPOTIFY;
        goto done;
    }
    if ((rc = rc_me) != 0) /* rep says why */
        goto done;
    if ((rc = store_user(app, db, arena, &me, &g, now, &out->user)) != 0) {
        report_message(rep, "cannot store the user");
        goto done;
    }
    /* Tokens cached for an earlier sign-in of this user are stale now. */
    spotify_session_forget(app, out->user.id);
    const char *secret = app->cfg->jwt_secret;
    rc = session_service_issue((const unsigned char *)secret, strlen(secret), out->user.id, now,
                               app->cfg->session_ttl_s, &jwt, &claims);
    if (rc != 0) {
        report_message(rep, "cannot issue a session token");
        goto done;
    }
    if (!(out->token = arena_strdup(arena, jwt))) {
        rc = ERR_NOMEM;
        goto done;
    }
    out->expires_at = claims.exp;
    log_info("auth: user %s signed in", out->user.id);
done:
    free(jwt);
    spotify_token_grant_release(&g);
    return rc;
}

int auth_service_logout(struct app *app, struct db *db, const char *jti, int64_t exp)
{
    if (!db)
        return ERR_UNAVAILABLE;
    return session_service_revoke(app, db, jti, exp, (int64_t)time(NULL));
}

int auth_service_me(struct app *app, struct db *db, struct arena *arena, const char *user_id,
                    int refresh_from_spotify, struct user *out, struct report *rep)
{
    struct spotify_client *c = NULL;
    struct spotify_user me = {0};
    int rc;

    if (!db)
        return ERR_UNAVAILABLE;
    if ((rc = user_repo_find(db, arena, user_id, out)) != 0 || !refresh_from_spotify)
        return rc;
    int lent = database_lend(app, db);
    if ((rc = spotify_session_client(app, user_id, &c)) == 0)
        rc = spotify_client_get_me(c, arena, &me, rep);
    if (database_reclaim(app, db, lent) != 0) {
        rc = ERR_UNAVAILABLE;
        goto done;
    }
    if (rc != 0 && !c)
        goto done;
    if (rc != 0) {
        if (rc != ERR_SPOTIFY_REAUTH && rc != ERR_RATE_LIMITED && rc != ERR_NOMEM)
            rc = ERR_SPOTIFY;
        goto done;
    }
    if (me.display_name &&
        (!out->display_name || strcmp(me.display_name, out->display_name) != 0)) {
        char stamp[21];
        util_time_format(time(NULL), stamp);
        if ((rc = user_repo_update_profile(db, user_id, me.display_name, stamp)) != 0)
            goto done;
        out->display_name = me.display_name;
        out->updated = arena_strdup(arena, stamp);
    }
done:
    spotify_client_free(c);
    return rc;
}
