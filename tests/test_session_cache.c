/* session_cache: hits inside the window, expiry, the bound, generations (logout), and
 * the cache as session_service_authenticate uses it against a real database: repeat
 * requests skip the database, logout and session_service_forget_sessions() end cached
 * sessions at once, a token is never answered for another secret. */
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <pthread.h>
/* cmocka needs these first. */
// clang-format off
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
// clang-format on
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "repositories/db.h"
#include "repositories/user_repo.h"
#include "app/app.h"
#include "lib/app_err.h"
#include "app/config.h"
#include "services/auth/session_cache.h"
#include "services/auth/session_service.h"

static void key_of(int n, unsigned char key[SESSION_CACHE_KEY_LEN])
{
    /* Spread like a digest: the cache buckets by the first bytes. */
    for (int i = 0; i < SESSION_CACHE_KEY_LEN; i++)
        key[i] = (unsigned char)((n * 2654435761u) >> (i % 4 * 8)) ^ (unsigned char)i;
}

static struct session_claims claims_of(const char *sub, const char *jti)
{
    struct session_claims c;
    memset(&c, 0, sizeof c);
    snprintf(c.sub, sizeof c.sub, "%s", sub);
    snprintf(c.jti, sizeof c.jti, "%s", jti);
    c.iat = 1000;
    c.exp = 2000;
    return c;
}

static void test_session_cache_hit_inside_window(void **state)
{
    struct session_cache *c = NULL;
    unsigned char k[SESSION_CACHE_KEY_LEN], other[SESSION_CACHE_KEY_LEN];
    struct session_claims in = claims_of("user-1", "jti-1"), out;
    assert_int_equal(session_cache_new(8, &c), 0);
    key_of(1, k);
    key_of(2, other);
    assert_int_equal(session_cache_get(c, k, 1500, &out), ERR_NOT_FOUND);
    session_cache_put(c, k, &in, 940, 1530, session_cache_generation(c));
    assert_int_equal(session_cache_get(c, k, 1500, &out), 0);
    assert_string_equal(out.sub, "user-1");
    assert_string_equal(out.jti, "jti-1");
    assert_int_equal(out.iat, 1000);
    assert_int_equal(out.exp, 2000);
    assert_int_equal(session_cache_get(c, other, 1500, &out), ERR_NOT_FOUND);
    /* The window's ends are inclusive; outside it the entry is a miss. */
    assert_int_equal(session_cache_get(c, k, 940, &out), 0);
    assert_int_equal(session_cache_get(c, k, 1530, &out), 0);
    assert_int_equal(session_cache_get(c, k, 939, &out), ERR_NOT_FOUND);
    assert_int_equal(session_cache_get(c, k, 1531, &out), ERR_NOT_FOUND);
    /* A put replaces the entry of the same key. */
    struct session_claims again = claims_of("user-1", "jti-2");
    session_cache_put(c, k, &again, 940, 1600, session_cache_generation(c));
    assert_int_equal(session_cache_count(c), 1);
    assert_int_equal(session_cache_get(c, k, 1590, &out), 0);
    assert_string_equal(out.jti, "jti-2");
    session_cache_free(c);
    session_cache_free(NULL);
}

static void test_session_cache_evicts_oldest_at_bound(void **state)
{
    struct session_cache *c = NULL;
    unsigned char k[SESSION_CACHE_KEY_LEN];
    struct session_claims out;
    char jti[16];
    assert_int_equal(session_cache_new(0, &c), ERR_VALIDATION);
    assert_null(c);
    assert_int_equal(session_cache_new(4, &c), 0);
    for (int i = 0; i < 10; i++) {
        snprintf(jti, sizeof jti, "j%d", i);
        struct session_claims in = claims_of("u", jti);
        key_of(i, k);
        session_cache_put(c, k, &in, 0, 100, session_cache_generation(c));
        assert_true(session_cache_count(c) <= 4);
    }
    assert_int_equal(session_cache_count(c), 4);
    /* The four newest are there, the six oldest made room for them. */
    for (int i = 0; i < 10; i++) {
        key_of(i, k);
        assert_int_equal(session_cache_get(c, k, 50, &out), i >= 6 ? 0 : ERR_NOT_FOUND);
        if (i >= 6) {
            snprintf(jti, sizeof jti, "j%d", i);
            assert_string_equal(out.jti, jti);
        }
    }
    session_cache_free(c);
}

static void test_session_cache_invalidate_ends_every_entry(void **state)
{
    struct session_cache *c = NULL;
    unsigned char k1[SESSION_CACHE_KEY_LEN], k2[SESSION_CACHE_KEY_LEN];
    struct session_claims in = claims_of("u", "j"), out;
    assert_int_equal(session_cache_new(8, &c), 0);
    key_of(1, k1);
    key_of(2, k2);
    uint64_t g = session_cache_generation(c);
    session_cache_put(c, k1, &in, 0, 100, g);
    session_cache_put(c, k2, &in, 0, 100, g);
    session_cache_invalidate(c);
    assert_int_not_equal(session_cache_generation(c), g);
    assert_int_equal(session_cache_get(c, k1, 50, &out), ERR_NOT_FOUND);
    assert_int_equal(session_cache_get(c, k2, 50, &out), ERR_NOT_FOUND);
    /* A session checked before the invalidation (generation g) is not stored after
     * it: the race of a request with a concurrent logout. */
    session_cache_put(c, k1, &in, 0, 100, g);
    assert_int_equal(session_cache_get(c, k1, 50, &out), ERR_NOT_FOUND);
    /* Checked afterwards, it is. */
    session_cache_put(c, k1, &in, 0, 100, session_cache_generation(c));
    assert_int_equal(session_cache_get(c, k1, 50, &out), 0);
    session_cache_free(c);
}

/* Readers, writers and invalidations at once: for the sanitizers, and every hit must
 * be an entry as it was put (never a torn one). */
struct hammer {
    struct session_cache *c;
    int id;
};

static void *hammer_main(void *arg)
{
    struct hammer *h = arg;
    unsigned char k[SESSION_CACHE_KEY_LEN];
    struct session_claims out;
    char sub[16];
    for (int i = 0; i < 20000; i++) {
        int n = (i * 7 + h->id) % 64;
        key_of(n, k);
        snprintf(sub, sizeof sub, "u%d", n);
        if (i % 3 == 0) {
            struct session_claims in = claims_of(sub, sub);
            session_cache_put(h->c, k, &in, 0, 100, session_cache_generation(h->c));
        } else if (session_cache_get(h->c, k, 50, &out) == 0) {
            if (strcmp(out.sub, sub) != 0 || strcmp(out.jti, sub) != 0)
                return (void *)1;
        }
        if (h->id == 0 && i % 1000 == 0)
            session_cache_invalidate(h->c);
    }
    return NULL;
}

static void test_session_cache_concurrent_use(void **state)
{
    struct session_cache *c = NULL;
    pthread_t t[4];
    struct hammer h[4];
    assert_int_equal(session_cache_new(32, &c), 0);
    for (int i = 0; i < 4; i++) {
        h[i].c = c;
        h[i].id = i;
        assert_int_equal(pthread_create(&t[i], NULL, hammer_main, &h[i]), 0);
    }
    for (int i = 0; i < 4; i++) {
        void *r = NULL;
        pthread_join(t[i], &r);
        assert_null(r);
    }
    assert_true(session_cache_count(c) <= 32);
    session_cache_free(c);
}

/* ---- through session_service_authenticate, with a database ---- */

static const unsigned char KEY[] = "0123456789abcdef0123456789abcdef-cache-test";
#define KEYLEN (sizeof KEY - 1)

#include "tests/test_session_fixture.h"
static const char OTHER_KEY[] = "another-secret-of-at-least-32-bytes!!";

static void exec(struct db *db, const char *sql)
{
    char *err = NULL;
    if (sqlite3_exec(db_handle(db), sql, NULL, NULL, &err) != SQLITE_OK)
        fail_msg("%s: %s", sql, err ? err : "?");
}

static char *issue(int64_t now, int64_t ttl, struct session_claims *claims)
{
    char *token = NULL;
    assert_int_equal(session_service_issue(KEY, KEYLEN, "user-1", now, ttl, &token, claims), 0);
    return token;
}

static void test_session_cache_repeat_skips_database(void **state)
{
    struct dbfix *f = *state;
    struct session_claims issued, c;
    const char *why = "x";
    int64_t now = (int64_t)time(NULL);
    char *token = issue(now, 600, &issued);
    char sql[256];
    assert_int_equal(session_service_authenticate(&f->app, f->db, token, now, &c, &why), 0);
    assert_null(why);
    /* Revoked behind the service's back (as another process sharing the database
     * would): the cached session still answers, with the same claims... */
    snprintf(sql, sizeof sql, "INSERT INTO revoked_tokens(jti, expires_epoch) VALUES ('%s', %lld)",
             issued.jti, (long long)(now + 3600));
    exec(f->db, sql);
    why = "x";
    assert_int_equal(session_service_authenticate(&f->app, f->db, token, now + 1, &c, &why), 0);
    assert_null(why);
    assert_string_equal(c.sub, "user-1");
    assert_string_equal(c.jti, issued.jti);
    assert_int_equal(c.iat, issued.iat);
    assert_int_equal(c.exp, issued.exp);
    /* ...no connection still means 503, as without the cache... */
    assert_int_equal(session_service_authenticate(&f->app, NULL, token, now + 1, &c, &why),
                     ERR_UNAVAILABLE);
    /* ...until the cache lifetime has passed: then the database is asked again. */
    assert_int_equal(
        session_service_authenticate(&f->app, f->db, token, now + SESSION_CACHE_TTL_S, &c, &why),
        0);
    assert_int_equal(session_service_authenticate(&f->app, f->db, token,
                                                  now + SESSION_CACHE_TTL_S + 1, &c, &why),
                     ERR_UNAUTHORIZED);
    assert_non_null(strstr(why, "revoked"));
    free(token);
}

static void test_session_cache_logout_ends_cached_session(void **state)
{
    struct dbfix *f = *state;
    struct session_claims issued, c;
    const char *why = NULL;
    int64_t now = (int64_t)time(NULL);
    char *token = issue(now, 600, &issued);
    char *other = issue(now, 600, NULL);
    assert_int_equal(session_service_authenticate(&f->app, f->db, token, now, &c, &why), 0);
    assert_int_equal(session_service_authenticate(&f->app, f->db, other, now, &c, &why), 0);
    assert_int_equal(session_service_revoke(&f->app, f->db, issued.jti, issued.exp, now), 0);
    assert_int_equal(session_service_authenticate(&f->app, f->db, token, now, &c, &why),
                     ERR_UNAUTHORIZED);
    assert_non_null(strstr(why, "revoked"));
    assert_string_equal(c.sub, "");
    /* The other session of the user is checked again, and still good. */
    assert_int_equal(session_service_authenticate(&f->app, f->db, other, now, &c, &why), 0);
    free(token);
    free(other);
}

static void test_session_cache_deleted_user_with_forget(void **state)
{
    struct dbfix *f = *state;
    struct session_claims c;
    const char *why = NULL;
    int64_t now = (int64_t)time(NULL);
    char *token = issue(now, 600, NULL);
    assert_int_equal(session_service_authenticate(&f->app, f->db, token, now, &c, &why), 0);
    exec(f->db, "DELETE FROM users WHERE id = 'user-1'");
    session_service_forget_sessions(&f->app); /* what a user deletion must call */
    assert_int_equal(session_service_authenticate(&f->app, f->db, token, now, &c, &why),
                     ERR_UNAUTHORIZED);
    assert_non_null(strstr(why, "user"));
    free(token);
}

static void test_session_cache_respects_token_expiry(void **state)
{
    struct dbfix *f = *state;
    struct session_claims c;
    const char *why = NULL;
    int64_t now = (int64_t)time(NULL);
    struct session_claims issued;
    char sql[256];
    /* Expired 35 s ago, still inside the 60 s skew for 25 s: cached, but only until
     * exp + skew, shorter than the cache lifetime. */
    char *token = issue(now - 100, 65, &issued);
    assert_int_equal(session_service_authenticate(&f->app, f->db, token, now, &c, &why), 0);
    /* Revoked behind the service's back, so that only a cache hit can still say yes. */
    snprintf(sql, sizeof sql, "INSERT INTO revoked_tokens(jti, expires_epoch) VALUES ('%s', %lld)",
             issued.jti, (long long)(now + 3600));
    exec(f->db, sql);
    assert_int_equal(session_service_authenticate(&f->app, f->db, token, now + 25, &c, &why), 0);
    assert_int_equal(session_service_authenticate(&f->app, f->db, token, now + 26, &c, &why),
                     ERR_UNAUTHORIZED);
    assert_string_equal(why, "token expired");
    /* A clock that went back before iat - skew is not answered from the cache either. */
    free(token);
    token = issue(now, 600, NULL);
    assert_int_equal(session_service_authenticate(&f->app, f->db, token, now, &c, &why), 0);
    assert_int_equal(session_service_authenticate(&f->app, f->db, token, now - 61, &c, &why),
                     ERR_UNAUTHORIZED);
    assert_string_equal(why, "token issued in the future");
    free(token);
}

static void test_session_cache_never_answers_for_another_secret(void **state)
{
    struct dbfix *f = *state;
    struct session_claims c;
    const char *why = NULL;
    int64_t now = (int64_t)time(NULL);
    char *token = issue(now, 600, NULL);
    assert_int_equal(session_service_authenticate(&f->app, f->db, token, now, &c, &why), 0);
    f->cfg.jwt_secret = (char *)OTHER_KEY;
    assert_int_equal(session_service_authenticate(&f->app, f->db, token, now, &c, &why),
                     ERR_UNAUTHORIZED);
    assert_string_equal(why, "bad signature");
    f->cfg.jwt_secret = (char *)"short";
    assert_int_equal(session_service_authenticate(&f->app, f->db, token, now, &c, &why),
                     ERR_UNAUTHORIZED);
    f->cfg.jwt_secret = (char *)KEY;
    assert_int_equal(session_service_authenticate(&f->app, f->db, token, now, &c, &why), 0);
    free(token);
}

static void test_session_cache_failures_are_not_cached(void **state)
{
    struct dbfix *f = *state;
    struct session_claims c;
    const char *why = NULL;
    int64_t now = (int64_t)time(NULL);
    char *token = NULL;
    /* A user that does not exist yet: refused, and refused again (nothing cached)... */
    assert_int_equal(session_service_issue(KEY, KEYLEN, "user-2", now, 600, &token, NULL), 0);
    assert_int_equal(session_service_authenticate(&f->app, f->db, token, now, &c, &why),
                     ERR_UNAUTHORIZED);
    /* ...and accepted as soon as the row exists. */
    exec(f->db, "INSERT INTO users(id, spotify_user_id, created, updated) "
                "VALUES ('user-2', 'sp2', 't', 't')");
    assert_int_equal(session_service_authenticate(&f->app, f->db, token, now, &c, &why), 0);
    assert_string_equal(c.sub, "user-2");
    free(token);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_session_cache_hit_inside_window),
        cmocka_unit_test(test_session_cache_evicts_oldest_at_bound),
        cmocka_unit_test(test_session_cache_invalidate_ends_every_entry),
        cmocka_unit_test(test_session_cache_concurrent_use),
        cmocka_unit_test_setup_teardown(test_session_cache_repeat_skips_database, db_setup,
                                        db_teardown),
        cmocka_unit_test_setup_teardown(test_session_cache_logout_ends_cached_session, db_setup,
                                        db_teardown),
        cmocka_unit_test_setup_teardown(test_session_cache_deleted_user_with_forget, db_setup,
                                        db_teardown),
        cmocka_unit_test_setup_teardown(test_session_cache_respects_token_expiry, db_setup,
                                        db_teardown),
        cmocka_unit_test_setup_teardown(test_session_cache_never_answers_for_another_secret,
                                        db_setup, db_teardown),
        cmocka_unit_test_setup_teardown(test_session_cache_failures_are_not_cached, db_setup,
                                        db_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
