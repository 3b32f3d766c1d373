/* The token source's refresh (services/spotify/spotify_session.c) holds no pooled
 * database connection while Spotify's accounts service answers, and stays right when
 * the stored tokens change during that call. The accounts service is a gate in this
 * file: it takes each POST /api/token, says it arrived, and answers only when the test
 * lets it, so every check below runs exactly while a refresh waits on Spotify. The
 * database is a real pool of POOL_SIZE connections on a temporary file. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
/* cmocka.h needs setjmp.h, stdarg.h and stddef.h first. */
#include <cmocka.h>

#include <arpa/inet.h>
#include <curl/curl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "test_tmpdb.h"
#include "app/app.h"
#include "app/config.h"
#include "lib/app_err.h"
#include "lib/arena.h"
#include "lib/util.h"
#include "repositories/db.h"
#include "repositories/user_repo.h"
#include "services/auth/token_crypto.h"
#include "services/spotify/spotify_session.h"

#define POOL_SIZE 3
#define USER "u1"
#define GRANT                                                                                      \
    "{\"access_token\":\"new-access\",\"token_type\":\"Bearer\",\"expires_in\":3600,"              \
    "\"refresh_token\":\"new-refresh\",\"scope\":\"playlist-read-private\"}"
#define INVALID_GRANT                                                                              \
    "{\"error\":\"invalid_grant\",\"error_description\":\"Invalid refresh token\"}"

/* ---- the accounts service: a gate ------------------------------------------------- */

static struct gate {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int fd; /* listening socket */
    int port;
    int arrived;  /* requests received */
    int answered; /* requests answered */
    int open;     /* answers allowed so far */
    int status;   /* of the answers */
    const char *body;
    char last_form[512]; /* the last request's body */
    bool stop;
    pthread_t thread;
} gate = {.mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER};

static void serve_one(int c)
{
    char req[4096], answer[1024];
    size_t got = 0;
    ssize_t n;
    char *end = NULL;
    long len = 0;
    while (got < sizeof req - 1 && (n = read(c, req + got, sizeof req - 1 - got)) > 0) {
        got += (size_t)n;
        req[got] = '\0';
        const char *cl = strstr(req, "Content-Length: ");
        if ((end = strstr(req, "\r\n\r\n")) && cl && (len = atol(cl + 16)) >= 0 &&
            (size_t)(end + 4 - req) + (size_t)len <= got)
            break;
    }
    pthread_mutex_lock(&gate.mu);
    snprintf(gate.last_form, sizeof gate.last_form, "%s", end ? end + 4 : "");
    gate.arrived++;
    pthread_cond_broadcast(&gate.cv);
    while (gate.open < gate.arrived && !gate.stop)
        pthread_cond_wait(&gate.cv, &gate.mu);
    int m = snprintf(answer, sizeof answer,
                     "HTTP/1.1 %d X\r\nContent-Type: application/json\r\nContent-Length: %zu\r\n"
                     "Connection: close\r\n\r\n%s",
                     gate.status, strlen(gate.body), gate.body);
    gate.answered++;
    pthread_cond_broadcast(&gate.cv);
    pthread_mutex_unlock(&gate.mu);
    if (write(c, answer, (size_t)m) != m)
        fprintf(stderr, "gate: answer not written\n"); /* the refresh then fails: seen there */
}

static void *gate_main(void *arg)
{
    (void)arg;
    for (;;) {
        int c = accept(gate.fd, NULL, NULL);
        if (c < 0)
            return NULL; /* the listening socket was shut down */
        serve_one(c);
        close(c);
    }
}

static void gate_start(void)
{
    struct sockaddr_in a = {.sin_family = AF_INET};
    socklen_t alen = sizeof a;
    inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
    gate.fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_int_equal(bind(gate.fd, (struct sockaddr *)&a, sizeof a), 0);
    assert_int_equal(listen(gate.fd, 8), 0);
    assert_int_equal(getsockname(gate.fd, (struct sockaddr *)&a, &alen), 0);
    gate.port = ntohs(a.sin_port);
    pthread_create(&gate.thread, NULL, gate_main, NULL);
}

static void gate_stop(void)
{
    pthread_mutex_lock(&gate.mu);
    gate.stop = true;
    pthread_cond_broadcast(&gate.cv);
    pthread_mutex_unlock(&gate.mu);
    shutdown(gate.fd, SHUT_RDWR);
    pthread_join(gate.thread, NULL);
    close(gate.fd);
}

/* Answers from now on: status and body for the requests to come. */
static void gate_reset(int status, const char *body)
{
    pthread_mutex_lock(&gate.mu);
    gate.arrived = gate.answered = gate.open = 0;
    gate.status = status;
    gate.body = body;
    gate.last_form[0] = '\0';
    pthread_mutex_unlock(&gate.mu);
}

/* Waits until the n-th request has arrived (and waits for its answer). */
static void gate_wait_arrived(int n)
{
    pthread_mutex_lock(&gate.mu);
    while (gate.arrived < n)
        pthread_cond_wait(&gate.cv, &gate.mu);
    pthread_mutex_unlock(&gate.mu);
}

static int gate_arrived(void)
{
    pthread_mutex_lock(&gate.mu);
    int n = gate.arrived;
    pthread_mutex_unlock(&gate.mu);
    return n;
}

/* Lets the requests arrived so far be answered. */
static void gate_open(void)
{
    pthread_mutex_lock(&gate.mu);
    gate.open = gate.arrived;
    pthread_cond_broadcast(&gate.cv);
    pthread_mutex_unlock(&gate.mu);
}

/* ---- the app: a pool, the configuration, the session table, one user ------------- */

struct fx {
    char dir[64], path[128], base[64];
    struct config cfg;
    struct app app;
    struct arena *a;
};

static struct fx *F;

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof *f);
    struct report err = {0};
    assert_non_null(f);
    strcpy(f->dir, "/tmp/playrouter-session-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    snprintf(f->path, sizeof f->path, "%s/t.db", f->dir);
    snprintf(f->base, sizeof f->base, "http://127.0.0.1:%d", gate.port);
    for (int i = 0; i < CONFIG_KEY_LEN; i++)
        f->cfg.token_key[i] = (unsigned char)(i * 7 + 1);
    f->cfg.spotify_accounts_base = f->base;
    f->cfg.spotify_client_id = "cid";
    f->cfg.spotify_timeout_ms = 10000;
    f->app.cfg = &f->cfg;
    assert_int_equal(db_pool_new(f->path, POOL_SIZE, &f->app.db, &err), 0);
    assert_int_equal(spotify_session_table_new(&f->app.spotify_sessions), 0);
    assert_non_null(f->a = arena_new());
    struct db *db = db_pool_acquire(f->app.db, 1000);
    struct user u = {.id = USER,
                     .spotify_user_id = "sp1",
                     .created = "2026-01-01T00:00:00Z",
                     .updated = "2026-01-01T00:00:00Z"};
    assert_int_equal(user_repo_insert(db, &u), 0);
    db_pool_release(f->app.db, db);
    gate_reset(200, GRANT);
    F = f;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;
    spotify_session_table_free(f->app.spotify_sessions);
    db_pool_free(f->app.db);
    arena_free(f->a);
    test_tmpdb_remove(f->path, f->dir);
    free(f);
    return 0;
}

static unsigned char *encrypt(int refresh, const char *token, size_t *len)
{
    char aad[128];
    unsigned char *out = NULL;
    int n = spotify_session_aad(USER, refresh, aad, sizeof aad);
    assert_true(n > 0);
    assert_int_equal(
        token_crypto_encrypt(F->cfg.token_key, aad, (size_t)n, token, strlen(token), &out, len), 0);
    return out;
}

/* Stores tokens as a sign-in does (token_version + 1); expires_in seconds from now. */
static void store_tokens(const char *access, const char *refresh, int64_t expires_in)
{
    struct user_tokens t = {0};
    unsigned char *acc = encrypt(0, access, &t.access_len);
    unsigned char *ref = encrypt(1, refresh, &t.refresh_len);
    t.access_enc = acc;
    t.refresh_enc = ref;
    t.token_expires_at = (int64_t)time(NULL) + expires_in;
    t.scope = "playlist-read-private";
    struct db *db = db_pool_acquire(F->app.db, 1000);
    assert_non_null(db);
    assert_int_equal(user_repo_store_signin(db, USER, "U", &t, "2026-01-01T00:00:00Z"), 0);
    db_pool_release(F->app.db, db);
    free(acc);
    free(ref);
}

/* The stored row, with the refresh token decrypted into refresh (out of size n). */
static struct user_tokens row(char *refresh, size_t n)
{
    struct user_tokens t;
    char aad[128], *plain = NULL;
    struct db *db = db_pool_acquire(F->app.db, 1000);
    assert_non_null(db);
    assert_int_equal(user_repo_get_tokens(db, F->a, USER, &t), 0);
    db_pool_release(F->app.db, db);
    int len = spotify_session_aad(USER, 1, aad, sizeof aad);
    assert_int_equal(token_crypto_decrypt(F->cfg.token_key, aad, (size_t)len, t.refresh_enc,
                                          t.refresh_len, &plain, NULL),
                     0);
    snprintf(refresh, n, "%s", plain);
    token_crypto_free_secret(plain);
    return t;
}

/* ---- a get() on its own thread ---------------------------------------------------- */

struct getter {
    pthread_t t;
    int rc, requests;
    char *token;
};

static void *getter_main(void *arg)
{
    struct getter *g = arg;
    g->rc = spotify_session_access_token(&F->app, USER, 0, &g->token, &g->requests);
    return NULL;
}

static void getter_start(struct getter *g)
{
    memset(g, 0, sizeof *g);
    pthread_create(&g->t, NULL, getter_main, g);
}

static void getter_join(struct getter *g)
{
    pthread_join(g->t, NULL);
}

static int64_t now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* Takes every connection of the pool (POOL_SIZE), each within 1 s, and gives them back:
 * false when one could not be had (the refresh in progress holds it). Prints how long
 * the last one took. The caller opens the gate and joins its getters before asserting,
 * so that a failure leaves no thread behind. */
static bool pool_all_free(const char *when)
{
    bool all = true;
    struct db *held[POOL_SIZE] = {0};
    int64_t t0 = 0, waited = 0;
    for (int i = 0; i < POOL_SIZE; i++) {
        if (i == POOL_SIZE - 1)
            t0 = now_us();
        held[i] = db_pool_acquire(F->app.db, 1000);
        if (i == POOL_SIZE - 1)
            waited = now_us() - t0;
    }
    fprintf(stderr, "[%s: the last of %d connections taken in %.3f ms%s]\n", when, POOL_SIZE,
            (double)waited / 1000.0, held[POOL_SIZE - 1] ? "" : ", NOT taken");
    for (int i = 0; i < POOL_SIZE; i++) {
        all &= held[i] != NULL;
        db_pool_release(F->app.db, held[i]);
    }
    return all;
}

/* ---- tests ----------------------------------------------------------------------- */

static void test_spotify_session_refresh_holds_no_connection(void **state)
{
    struct getter g;
    char refresh[64];
    (void)state;
    store_tokens("old-access", "old-refresh", -10); /* expired: the get refreshes */
    int64_t version = row(refresh, sizeof refresh).token_version;
    getter_start(&g);
    gate_wait_arrived(1);
    /* The refresh waits on the accounts service now: every connection is free. */
    bool all_free = pool_all_free("during a refresh");
    gate_open();
    getter_join(&g);
    assert_true(all_free);
    assert_non_null(strstr(gate.last_form, "grant_type=refresh_token"));
    assert_non_null(strstr(gate.last_form, "refresh_token=old-refresh"));
    assert_int_equal(g.rc, 0);
    assert_string_equal(g.token, "new-access");
    assert_int_equal(g.requests, 1);
    /* Both new tokens stored together, the version moved once. */
    struct user_tokens t = row(refresh, sizeof refresh);
    assert_string_equal(refresh, "new-refresh");
    assert_int_equal(t.token_version, version + 1);
    assert_true(t.token_expires_at >= (int64_t)time(NULL) + 3590);
    free(g.token);
}

static void test_spotify_session_concurrent_refreshes_ask_once(void **state)
{
    struct getter a, b;
    char refresh[64];
    (void)state;
    store_tokens("old-access", "old-refresh", -10);
    int64_t version = row(refresh, sizeof refresh).token_version;
    getter_start(&a);
    gate_wait_arrived(1);
    getter_start(&b); /* the same user: waits for a's refresh, holding no connection */
    bool all_free = pool_all_free("during two gets of one user");
    gate_open();
    getter_join(&a);
    getter_join(&b);
    assert_true(all_free);
    assert_int_equal(a.rc, 0);
    assert_int_equal(b.rc, 0);
    assert_string_equal(a.token, "new-access");
    assert_string_equal(b.token, "new-access"); /* the token a stored */
    assert_int_equal(a.requests + b.requests, 1);
    assert_int_equal(gate_arrived(), 1); /* the single-use refresh token spent once */
    assert_int_equal(row(refresh, sizeof refresh).token_version, version + 1);
    assert_string_equal(refresh, "new-refresh");
    free(a.token);
    free(b.token);
}

/* While a refresh waits on the accounts service (which then answers status/body),
 * another process (or a new sign-in) stores its tokens: they stay, and are the answer. */
static void tokens_stored_meanwhile(int status, const char *body)
{
    struct getter g;
    char refresh[64];
    gate_reset(status, body);
    store_tokens("old-access", "old-refresh", -10);
    int64_t version = row(refresh, sizeof refresh).token_version;
    getter_start(&g);
    gate_wait_arrived(1);
    store_tokens("other-access", "other-refresh", 3600);
    gate_open();
    getter_join(&g);
    assert_int_equal(g.rc, 0);
    assert_string_equal(g.token, "other-access");
    struct user_tokens t = row(refresh, sizeof refresh);
    assert_string_equal(refresh, "other-refresh"); /* not overwritten by ours */
    assert_int_equal(t.token_version, version + 1);
    assert_int_equal(t.needs_reauth, 0);
    free(g.token);
}

static void test_spotify_session_tokens_stored_during_a_refresh_stay(void **state)
{
    (void)state;
    tokens_stored_meanwhile(200, GRANT); /* our UPDATE finds the version moved */
}

static void test_spotify_session_invalid_grant_after_another_refresh(void **state)
{
    (void)state;
    /* Another process spent the same refresh token first and stored its successor:
     * Spotify refuses ours, and the user need not sign in again. */
    tokens_stored_meanwhile(400, INVALID_GRANT);
}

static void test_spotify_session_invalid_grant_needs_reauth(void **state)
{
    struct getter g;
    char refresh[64];
    (void)state;
    gate_reset(400, INVALID_GRANT);
    store_tokens("old-access", "old-refresh", -10);
    getter_start(&g);
    gate_wait_arrived(1);
    bool all_free = pool_all_free("during a refused refresh");
    gate_open();
    getter_join(&g);
    assert_true(all_free);
    assert_int_equal(g.rc, ERR_SPOTIFY_REAUTH);
    assert_null(g.token);
    assert_int_equal(row(refresh, sizeof refresh).needs_reauth, 1);
    assert_int_equal(spotify_session_access_token(&F->app, USER, 0, &g.token, &g.requests),
                     ERR_SPOTIFY_REAUTH);
    assert_int_equal(gate_arrived(), 1); /* asked nothing more */
}

int main(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
    gate_start();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_spotify_session_refresh_holds_no_connection, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_spotify_session_concurrent_refreshes_ask_once, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_spotify_session_tokens_stored_during_a_refresh_stay,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_spotify_session_invalid_grant_after_another_refresh,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_spotify_session_invalid_grant_needs_reauth, setup,
                                        teardown),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    gate_stop();
    curl_global_cleanup();
    return rc;
}
