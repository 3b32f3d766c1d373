/* A user's Spotify tokens as a token source for the Web API client (see the header). */
#include "services/spotify/spotify_session.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "repositories/db.h"
#include "repositories/user_repo.h"
#include "app/app.h"
#include "lib/app_err.h"
#include "lib/arena.h"
#include "lib/hash.h"
#include "app/config.h"
#include "lib/log.h"
#include "lib/metrics.h"
#include "lib/util.h"
#include "services/spotify/spotify_accounts.h"
#include "services/auth/token_crypto.h"
#include "services/database.h"

#define USER_ID_MAX 64
#define AAD_MAX (USER_ID_MAX + 32)
#define POOL_WAIT_MS 5000

/* One user's record. Everything below `mu` is guarded by it. */
struct session_rec {
    struct app *app;
    char user_id[USER_ID_MAX + 1];
    pthread_mutex_t mu;
    char *token;       /* cached access token (wiped when dropped) */
    int64_t token_exp; /* its expiry, epoch seconds */
    int64_t version;   /* users.token_version it came from; -1 = none */
};

struct spotify_session_table {
    pthread_mutex_t mu;
    struct hash records; /* user id -> struct session_rec (guarded by mu) */
};

/* The token version this thread was last handed, and for which record. A client
 * belongs to one thread and asks again on that thread right after a 401, so this
 * tells which token failed: if the row holds a newer one (another thread refreshed
 * after we handed ours out), that one is used and the refresh token is not spent
 * again. Per-thread state, not shared: when it does not name the record (another
 * user's call came in between), a forced get simply refreshes, which is always safe. */
static _Thread_local const struct session_rec *tls_rec;
static _Thread_local int64_t tls_version;

static void drop_cached(struct session_rec *r)
{
    token_crypto_free_secret(r->token);
    r->token = NULL;
    r->token_exp = 0;
    r->version = -1;
}

int spotify_session_table_new(struct spotify_session_table **out)
{
    struct spotify_session_table *t = calloc(1, sizeof *t);
    *out = NULL;
    if (!t)
        return ERR_NOMEM;
    pthread_mutex_init(&t->mu, NULL);
    *out = t;
    return 0;
}

void spotify_session_table_free(struct spotify_session_table *t)
{
    if (!t)
        return;
    size_t pos = 0;
    for (struct hash_slot *sl; (sl = hash_next(&t->records, &pos));) {
        struct session_rec *r = sl->value;
        drop_cached(r);
        pthread_mutex_destroy(&r->mu);
        free(r);
    }
    hash_release(&t->records);
    pthread_mutex_destroy(&t->mu);
    free(t);
}

/* The record of user_id, made on first use when create is set. NULL when absent (or
 * out of memory). */
static struct session_rec *record_of(struct app *app, const char *user_id, int create)
{
    struct spotify_session_table *t = app ? app->spotify_sessions : NULL;
    struct session_rec *r;
    if (!t)
        return NULL;
    pthread_mutex_lock(&t->mu);
    r = hash_get(&t->records, user_id, strlen(user_id));
    if (!r && create && (r = calloc(1, sizeof *r))) {
        struct hash_slot *sl;
        bool created;
        r->app = app;
        snprintf(r->user_id, sizeof r->user_id, "%s", user_id);
        sl = hash_insert(&t->records, r->user_id, strlen(r->user_id), &created);
        if (!sl || !created) { /* out of memory; or an over-long id cut to a known one */
            free(r);
            r = sl ? sl->value : NULL;
        } else {
            pthread_mutex_init(&r->mu, NULL);
            r->version = -1;
            sl->value = r;
        }
    }
    pthread_mutex_unlock(&t->mu);
    return r;
}

int spotify_session_aad(const char *user_id, int refresh, char *out, size_t outlen)
{
    int n = snprintf(out, outlen, "%s:%s", refresh ? "spotify-refresh" : "spotify-access", user_id);
    return n < 0 || (size_t)n >= outlen ? -1 : n;
}

/* Decrypts one stored blob. ERR_UNAUTHORIZED when it does not authenticate. */
static int decrypt_blob(struct session_rec *r, int refresh, const unsigned char *blob, size_t len,
                        char **out)
{
    char aad[AAD_MAX];
    int n = spotify_session_aad(r->user_id, refresh, aad, sizeof aad);
    if (n < 0)
        return ERR_INTERNAL;
    return token_crypto_decrypt(r->app->cfg->token_key, aad, (size_t)n, blob, len, out, NULL);
}

static int encrypt_token(struct session_rec *r, int refresh, const char *token, unsigned char **out,
                         size_t *out_len)
{
    char aad[AAD_MAX];
    int n = spotify_session_aad(r->user_id, refresh, aad, sizeof aad);
    if (n < 0)
        return ERR_INTERNAL;
    return token_crypto_encrypt(r->app->cfg->token_key, aad, (size_t)n, token, strlen(token), out,
                                out_len);
}

/* The user's token fields (in arena), read with a connection of its own. 0,
 * ERR_NOT_FOUND, ERR_NOMEM, ERR_INTERNAL (or no connection free). */
static int read_row(struct session_rec *r, struct arena *arena, struct user_tokens *t)
{
    /* A connection for this read only: none is held across a call to the accounts
     * service (issue #12). */
    struct db *db = database_acquire(r->app, POOL_WAIT_MS);
    int rc;
    if (!db)
        return ERR_INTERNAL;
    rc = user_repo_get_tokens(db, arena, r->user_id, t);
    database_release(r->app, db);
    return rc;
}

/* Marks the user as needing a new sign-in; the answer is ERR_SPOTIFY_REAUTH either way. */
static int need_reauth(struct session_rec *r, const char *why)
{
    char now[21];
    struct db *db = database_acquire(r->app, POOL_WAIT_MS);
    util_time_format(time(NULL), now);
    log_warn("spotify session: user %s must sign in again (%s)", r->user_id, why);
    if (!db || user_repo_set_needs_reauth(db, r->user_id, 1, now) != 0)
        log_error("spotify session: cannot mark user %s needs_reauth", r->user_id);
    database_release(r->app, db);
    drop_cached(r);
    return ERR_SPOTIFY_REAUTH;
}

/* Hands out a copy of the stored access token and caches it. */
static int use_stored(struct session_rec *r, const struct user_tokens *t, char **token)
{
    char *plain = NULL;
    int rc = decrypt_blob(r, 0, t->access_enc, t->access_len, &plain);
    if (rc != 0)
        return rc;
    if (!(*token = strdup(plain))) {
        token_crypto_free_secret(plain);
        return ERR_NOMEM;
    }
    drop_cached(r);
    r->token = plain;
    r->token_exp = t->token_expires_at;
    r->version = t->token_version;
    return 0;
}

/* The tokens changed while we asked the accounts service (version `was` read before the
 * call): a new sign-in, or another process that refreshed with the same refresh token.
 * Their access token is the answer when it is fresh: 0 with *token. ERR_CONFLICT when
 * the row did not move (the caller goes on with its own result); ERR_SPOTIFY_REAUTH when
 * it now says needs_reauth; ERR_SPOTIFY when it moved but holds nothing usable now (the
 * next call starts from the new row). */
static int use_moved_row(struct session_rec *r, struct arena *arena, int64_t was, int64_t now,
                         char **token)
{
    struct user_tokens cur;
    if (read_row(r, arena, &cur) != 0 || cur.token_version == was)
        return ERR_CONFLICT;
    drop_cached(r);
    if (cur.needs_reauth)
        return ERR_SPOTIFY_REAUTH;
    if (cur.access_enc && cur.token_expires_at - SPOTIFY_SESSION_REFRESH_MARGIN_S > now &&
        use_stored(r, &cur, token) == 0)
        return 0;
    return ERR_SPOTIFY;
}

/* Stores a refresh's result: the new refresh token (PKCE: the old one is spent now)
 * and the new access token together, in one UPDATE that checks the version read before
 * the call, then hands the access token out. Takes a connection for the write only. */
static int store_grant(struct session_rec *r, struct arena *arena, const struct user_tokens *t,
                       const char *old_refresh, struct spotify_token_grant *g, int64_t now,
                       char **token)
{
    const char *new_refresh = g->refresh_token ? g->refresh_token : old_refresh;
    unsigned char *acc_enc = NULL, *ref_enc = NULL;
    size_t acc_len = 0, ref_len = 0;
    int64_t exp = now + g->expires_in;
    struct db *db = NULL;
    char stamp[21];
    int rc;

    if ((rc = encrypt_token(r, 0, g->access_token, &acc_enc, &acc_len)) != 0 ||
        (rc = encrypt_token(r, 1, new_refresh, &ref_enc, &ref_len)) != 0)
        goto done;
    util_time_format((time_t)now, stamp);
    if (!(db = database_acquire(r->app, POOL_WAIT_MS))) {
        rc = ERR_INTERNAL;
    } else {
        rc = user_repo_store_refresh(db, r->user_id, t->token_version, acc_enc, acc_len, ref_enc,
                                     ref_len, exp, stamp);
        database_release(r->app, db);
    }
    if (rc == ERR_CONFLICT) {
        /* Someone else changed the tokens while we refreshed (a new sign-in, or another
         * process): theirs stay. Use them if they are fresh; else ours, which is valid
         * for now, without caching it. */
        log_warn("spotify session: tokens of user %s changed during a refresh; keeping the "
                 "stored ones",
                 r->user_id);
        if ((rc = use_moved_row(r, arena, t->token_version, now, token)) != 0) {
            drop_cached(r);
            rc = (*token = strdup(g->access_token)) ? 0 : ERR_NOMEM;
        }
        goto done;
    }
    if (rc != 0) {
        log_error("spotify session: cannot store the refreshed tokens of user %s", r->user_id);
        rc = ERR_SPOTIFY;
        goto done;
    }
    if (!(*token = strdup(g->access_token))) {
        rc = ERR_NOMEM;
        goto done;
    }
    drop_cached(r);
    r->token = g->access_token; /* the cache takes it over */
    g->access_token = NULL;
    r->token_exp = exp;
    r->version = t->token_version + 1;
    log_info("spotify session: refreshed the access token of user %s%s", r->user_id,
             g->refresh_token ? " (new refresh token stored)" : "");
done:
    free(acc_enc);
    free(ref_enc);
    return rc;
}

/* Refreshes with the refresh token of row `t` (read before) and stores the result (see
 * the header). Runs under the record's mutex, holding NO database connection while the
 * accounts service answers: a connection is taken afterwards for the write. */
static int refresh(struct session_rec *r, struct arena *arena, const struct user_tokens *t,
                   int64_t now, char **token, int *requests)
{
    struct spotify_token_grant g = {0};
    char *old_refresh = NULL;
    int rc;

    if (!t->refresh_enc)
        return need_reauth(r, "no refresh token stored");
    rc = decrypt_blob(r, 1, t->refresh_enc, t->refresh_len, &old_refresh);
    if (rc == ERR_UNAUTHORIZED)
        return need_reauth(r, "stored refresh token cannot be decrypted (token key changed?)");
    if (rc != 0)
        goto done;
    /* No metrics here: the client reports the requests its token source made
     * (on_request, SPOTIFY_EP_TOKEN), so counting them here would count them twice. */
    rc = spotify_accounts_refresh(r->app->cfg, NULL, old_refresh, &g, requests);
    if (rc == ERR_SPOTIFY_REAUTH) {
        /* Refused, perhaps because another process spent this refresh token meanwhile
         * and stored its successor: then the user need not sign in again. */
        rc = use_moved_row(r, arena, t->token_version, now, token);
        if (rc == ERR_CONFLICT)
            rc = need_reauth(r, "Spotify refused the refresh token: invalid_grant");
        goto done;
    }
    if (rc != 0) {
        rc = rc == ERR_NOMEM ? ERR_NOMEM : ERR_SPOTIFY;
        goto done;
    }
    rc = store_grant(r, arena, t, old_refresh, &g, now, token);
done:
    token_crypto_free_secret(old_refresh);
    spotify_token_grant_release(&g);
    return rc;
}

/* Under the record's mutex: re-read the row, then use it or refresh. */
static int get_from_row(struct session_rec *r, int force, int64_t seen, int64_t now, char **token,
                        int *requests)
{
    struct arena *arena = arena_new();
    struct user_tokens t;
    int rc;

    if (!arena)
        return ERR_NOMEM;
    rc = read_row(r, arena, &t);
    if (rc == ERR_NOT_FOUND) {
        drop_cached(r);
        rc = ERR_SPOTIFY_REAUTH; /* the user is gone: nothing to use */
        goto done;
    }
    if (rc != 0) {
        rc = rc == ERR_NOMEM ? ERR_NOMEM : ERR_SPOTIFY;
        goto done;
    }
    if (t.needs_reauth || (!t.access_enc && !t.refresh_enc)) {
        drop_cached(r);
        rc = ERR_SPOTIFY_REAUTH;
        goto done;
    }
    int fresh = t.access_enc && t.token_expires_at - SPOTIFY_SESSION_REFRESH_MARGIN_S > now;
    /* After a 401 the token the caller had (version `seen`, or if unknown the one we
     * cached) is bad. If the row still holds it, refresh; if the row moved on (a
     * refresh by another thread, a new sign-in), its token is the answer. */
    int moved = (seen >= 0 ? seen : r->version) != t.token_version;
    if (fresh && (!force || moved)) {
        rc = use_stored(r, &t, token);
        if (rc == ERR_UNAUTHORIZED)
            rc = need_reauth(r, "stored access token cannot be decrypted (token key changed?)");
        goto done;
    }
    rc = refresh(r, arena, &t, now, token, requests);
done:
    arena_free(arena);
    return rc;
}

static int get_locked(struct session_rec *r, int force, int64_t seen, char **token, int *requests)
{
    int64_t now = (int64_t)time(NULL);

    /* A fresh cached token answers a plain get(), and a forced one when it is newer
     * than the token that failed. Else the row decides. */
    if (r->token && r->token_exp - SPOTIFY_SESSION_REFRESH_MARGIN_S > now &&
        (!force || (seen >= 0 && seen != r->version))) {
        *token = strdup(r->token);
        return *token ? 0 : ERR_NOMEM;
    }
    if (!r->app->db)
        return ERR_SPOTIFY;
    return get_from_row(r, force, seen, now, token, requests);
}

static int check_user_id(const char *user_id)
{
    return user_id && *user_id && strlen(user_id) <= USER_ID_MAX ? 0 : ERR_VALIDATION;
}

/* Keeps the token source's contract: 0, ERR_SPOTIFY_REAUTH or ERR_SPOTIFY. */
static int get_record(struct session_rec *r, int force_refresh, char **token, int *requests_made)
{
    int requests = 0;
    *token = NULL;
    int64_t seen = tls_rec == r ? tls_version : -1;
    pthread_mutex_lock(&r->mu);
    int rc = get_locked(r, force_refresh, seen, token, &requests);
    /* r->version is -1 when the token handed out is not the cached one. */
    int64_t handed = rc == 0 ? r->version : -1;
    pthread_mutex_unlock(&r->mu);
    tls_rec = handed >= 0 ? r : NULL;
    tls_version = handed;
    if (requests_made)
        *requests_made = requests;
    if (rc != 0 && rc != ERR_SPOTIFY_REAUTH)
        rc = ERR_SPOTIFY;
    return rc;
}

static int token_source_get(void *ud, int force_refresh, char **token, int *requests_made)
{
    return get_record(ud, force_refresh, token, requests_made);
}

int spotify_session_access_token(struct app *app, const char *user_id, int force_refresh,
                                 char **token, int *requests_made)
{
    struct session_rec *r;
    *token = NULL;
    if (requests_made)
        *requests_made = 0;
    if (check_user_id(user_id) != 0 || !(r = record_of(app, user_id, 1)))
        return ERR_SPOTIFY;
    return get_record(r, force_refresh, token, requests_made);
}

int spotify_session_token_source(struct app *app, const char *user_id,
                                 struct spotify_token_source *out)
{
    struct session_rec *r;
    memset(out, 0, sizeof *out);
    if (check_user_id(user_id) != 0)
        return ERR_VALIDATION;
    if (!app || !app->spotify_sessions) {
        log_error("spotify session: app->spotify_sessions is not set up");
        return ERR_INTERNAL;
    }
    if (!(r = record_of(app, user_id, 1)))
        return ERR_NOMEM;
    out->get = token_source_get;
    out->ud = r;
    return 0;
}

void spotify_session_forget(struct app *app, const char *user_id)
{
    struct session_rec *r;
    if (check_user_id(user_id) != 0 || !(r = record_of(app, user_id, 0)))
        return;
    pthread_mutex_lock(&r->mu);
    drop_cached(r);
    pthread_mutex_unlock(&r->mu);
}

/* Spotify requests of every client, by endpoint and status, for /metrics. */
static void count_request(void *ud, const char *endpoint, long status)
{
    struct metrics *m = ud;
    char labels[160];
    if (!m)
        return;
    snprintf(labels, sizeof labels, "endpoint=\"%s\",status=\"%ld\"", endpoint, status);
    metrics_add(m, "playrouter_spotify_requests_total", labels, 1);
}

void spotify_session_client_opts(struct app *app, struct spotify_client_opts *out)
{
    const struct config *cfg = app->cfg;
    memset(out, 0, sizeof *out);
    out->api_base = cfg->spotify_api_base;
    out->mode = cfg->spotify_mode;
    out->parallelism = cfg->spotify_parallelism;
    out->timeout_ms = cfg->spotify_timeout_ms;
    out->max_attempts = cfg->spotify_max_attempts;
    out->retry_after_cap_s = cfg->retry_after_cap_s;
    out->on_request = count_request;
    out->on_request_ud = app->metrics;
}

int spotify_session_client(struct app *app, const char *user_id, struct spotify_client **out)
{
    struct spotify_client_opts opts;
    struct spotify_token_source src;
    int rc;

    *out = NULL;
    if ((rc = spotify_session_token_source(app, user_id, &src)) != 0)
        return rc;
    spotify_session_client_opts(app, &opts);
    rc = spotify_client_new(&opts, &src, out);
    if (rc != 0) {
        *out = NULL;
        return rc == ERR_NOMEM ? ERR_NOMEM : ERR_INTERNAL;
    }
    return 0;
}
