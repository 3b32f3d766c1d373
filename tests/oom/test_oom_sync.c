/* The out-of-memory loop over a whole sync (tests/oom/README.md): the real sync service
 * in-process against the Spotify emulator. For N = 1, 2, 3, ... a sync of the same base
 * from the same starting point runs with its N-th allocation failing (the workers' too),
 * until one runs with none failing (our allocations; see main() for jansson's). Every run must end
 * cleanly: the event completed or failed with a message (never left in progress, the lock free for
 * the next run), no crash, no leak (the ASan build checks at exit). The last run must converge: the
 * next sync writes nothing. */
#include "tests/test_spotify_client_fixture.h"

#include "app/app.h"
#include "app/config.h"
#include "lib/json_text.h"
#include "lib/log.h"
#include "lib/metrics.h"
#include "repositories/db.h"
#include "repositories/user_repo.h"
#include "services/auth/token_crypto.h"
#include "services/spotify/spotify_session.h"
#include "services/sync/sync_service.h"
#include "tests/oom/oom_alloc.h"

#define MAX_N 20000

static struct config cfg;
static struct app app;
static char dir[64] = "/tmp/playrouter-oom-XXXXXX";
static char *child_ids[2];
static json_t *child_start[2]; /* each child playlist's contents before the first sync */
static json_t *child_want[2];  /* and after a sync that nothing disturbed */

static void sql(struct db *db, const char *text)
{
    char *msg = NULL;
    if (sqlite3_exec(db_handle(db), text, NULL, NULL, &msg) != SQLITE_OK)
        fail_msg("%s: %s", text, msg ? msg : "?");
}

static long long one_number(struct db *db, const char *text)
{
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_prepare_v2(db_handle(db), text, -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    long long n = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return n;
}

/* Stores an access + refresh token minted by the emulator for "demo", encrypted as a
 * sign-in would. */
static void store_tokens(struct db *db)
{
    json_t *t = admin("POST", "/tokens", json_pack("{s:s}", "user", "demo"));
    const char *tok[2] = {json_string_value(json_object_get(t, "access_token")),
                          json_string_value(json_object_get(t, "refresh_token"))};
    unsigned char *enc[2] = {NULL, NULL};
    size_t len[2];
    for (int i = 0; i < 2; i++) {
        char aad[128];
        int n = spotify_session_aad("ua", i, aad, sizeof aad);
        assert_true(tok[i] && n > 0);
        assert_int_equal(token_crypto_encrypt(cfg.token_key, aad, (size_t)n, tok[i], strlen(tok[i]),
                                              &enc[i], &len[i]),
                         0);
    }
    struct user_tokens ut = {enc[0], len[0], enc[1], len[1], (int64_t)time(NULL) + 3600,
                             0,      NULL,   1,      0};
    assert_int_equal(user_repo_store_signin(db, "ua", "Demo", &ut, "2026-01-01T00:00:00Z"), 0);
    free(enc[0]);
    free(enc[1]);
    json_decref(t);
}

static int setup(void **state)
{
    char path[128], key[65];
    struct report err = {0};
    if (emu_start(state) != 0 || emu_missing)
        return -1;
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/oom.db", dir);
    memset(key, 'a', 64);
    key[64] = '\0';
    char *argv[] = {"oom",
                    "--db",
                    path,
                    "--spotify-api-base",
                    api_base,
                    "--spotify-accounts-base",
                    emu_base,
                    "--spotify-client-id",
                    "oom-client",
                    "--spotify-api-mode",
                    "development",
                    "--jwt-secret",
                    "0123456789abcdef0123456789abcdef",
                    "--token-key",
                    key,
                    "--spotify-parallelism",
                    "4",
                    "--spotify-max-attempts",
                    "1",
                    NULL};
    assert_int_equal(config_load(&cfg, (int)(sizeof argv / sizeof argv[0]) - 1, argv, stderr, &err),
                     0);
    app.cfg = &cfg;
    assert_int_equal(db_pool_new(path, 2, &app.db, &err), 0);
    assert_non_null(app.metrics = metrics_new());
    assert_int_equal(spotify_session_table_new(&app.spotify_sessions), 0);
    assert_int_equal(cache_new(NULL, &app.cache), 0);

    log_set_level(LOG_ERROR);              /* thousands of syncs: their lines are not the point */
    char *base = make_playlist(30, false); /* local files, episodes, duplicates */
    child_ids[0] = make_playlist(7, true);
    child_ids[1] = make_playlist(0, true);
    for (int i = 0; i < 2; i++)
        child_start[i] = playlist_uris(child_ids[i]);
    struct db *db = db_pool_acquire(app.db, 1000);
    assert_non_null(db);
    sql(db, "INSERT INTO users (id, spotify_user_id, created, updated) VALUES "
            "('ua', 'demo', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z')");
    store_tokens(db);
    char *text = sqlite3_mprintf(
        "INSERT INTO base_playlists (id, user_id, spotify_playlist_id, name, routing, created, "
        "updated) VALUES ('b1', 'ua', %Q, 'Base', 'first_match', '2026-01-01T00:00:00Z', "
        "'2026-01-01T00:00:00Z');"
        "INSERT INTO child_playlists (id, user_id, base_playlist_id, spotify_playlist_id, name, "
        "filter, sort, position, created, updated) VALUES "
        "('c1', 'ua', 'b1', %Q, 'One', '{\"field\":\"track_name\",\"op\":\"matches\","
        "\"value\":\"^[a-m]\"}', '{\"by\":\"duration_ms\",\"order\":\"desc\"}', 0, "
        "'2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z'),"
        "('c2', 'ua', 'b1', %Q, 'Two', '{\"all\":[]}', NULL, 1, '2026-01-01T00:00:00Z', "
        "'2026-01-01T00:00:00Z');",
        base, child_ids[0], child_ids[1]);
    sql(db, text);
    sqlite3_free(text);
    db_pool_release(app.db, db);
    free(base);
    return 0;
}

static int teardown(void **state)
{
    char cmd[128];
    for (int i = 0; i < 2; i++) {
        free(child_ids[i]);
        json_decref(child_start[i]);
        json_decref(child_want[i]);
    }
    cache_free(app.cache);
    spotify_session_table_free(app.spotify_sessions);
    metrics_free(app.metrics);
    db_pool_free(app.db);
    config_release(&cfg);
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", dir);
    return emu_stop(state);
}

/* Back to the starting point: the children hold what they held, nothing remembered. */
static void reset(struct db *db)
{
    for (int i = 0; i < 2; i++) {
        char path[128];
        snprintf(path, sizeof path, "/playlists/%s", child_ids[i]);
        admin_do("PUT", path, json_pack("{s:O}", "uris", child_start[i]));
    }
    sql(db, "DELETE FROM sync_events; DELETE FROM child_snapshots; DELETE FROM base_sync_state;"
            "DELETE FROM child_written_contents; DELETE FROM sync_jobs; DELETE FROM base_stores;"
            "UPDATE child_playlists SET last_written_snapshot_id = NULL, last_target_hash = NULL");
}

/* One sync from the start, its N-th allocation failing (0 = none). */
static int run_sync(struct db *db, long n, struct sync_event *ev, bool *hit)
{
    struct arena *a = arena_new();
    struct sync_start st;
    assert_non_null(a);
    assert_int_equal(sync_service_start(&app, db, a, "ua", "b1", NULL, true, SYNC_TRIGGER_MANUAL, &st), 0);
    oom_arm(n);
    int rc = sync_service_run(&app, a, "ua", "b1", st.event.id, ev, NULL);
    *hit = oom_hit();
    oom_arm(0);
    if (rc == 0) {
        assert_true(strcmp(ev->status, "completed") == 0 || strcmp(ev->status, "failed") == 0);
        if (strcmp(ev->status, "failed") == 0)
            assert_true(ev->error_message && ev->error_message[0]);
        else if (!*hit)
            assert_null(ev->error_message);
    } else {
        assert_true(*hit);
        assert_true(rc == ERR_NOMEM || rc == ERR_INTERNAL);
    }
    /* never left in progress: the next sync can take the lock */
    assert_int_equal(
        one_number(db, "SELECT count(*) FROM sync_events WHERE status = 'in_progress'"), 0);
    bool completed = rc == 0 && strcmp(ev->status, "completed") == 0;
    /* a sync that says it completed wrote exactly the targets, whatever it did without */
    for (int i = 0; completed && i < 2 && child_want[i]; i++) {
        json_t *got = playlist_uris(child_ids[i]);
        if (!json_equal(got, child_want[i]))
            fail_msg("N = %ld: child %d differs after a completed sync", n, i);
        json_decref(got);
    }
    arena_free(a);
    return completed ? 0 : -1;
}

static void test_oom_sync_loop(void **state)
{
    (void)state;
    struct db *db = db_pool_acquire(app.db, 1000);
    struct sync_event ev;
    bool hit = false;
    long n, failed = 0, completed_under_oom = 0;
    assert_non_null(db);
    reset(db);
    assert_int_equal(run_sync(db, 0, &ev, &hit), 0);
    for (int i = 0; i < 2; i++)
        child_want[i] = playlist_uris(child_ids[i]);
    assert_true(json_array_size(child_want[0]) > 0 && json_array_size(child_want[1]) > 0);
    long first = getenv("OOM_FIRST") ? atol(getenv("OOM_FIRST")) : 1; /* to replay one N */
    for (n = first; n < MAX_N; n++) {
        reset(db);
        int ok = run_sync(db, n, &ev, &hit);
        if (!hit) {
            assert_int_equal(ok, 0);
            break;
        }
        if (ok == 0)
            completed_under_oom++; /* the failure hit something the sync could do without */
        else
            failed++;
    }
    print_message("sync: succeeded at N = %ld (%ld runs failed cleanly, %ld completed anyway)\n", n,
                  failed, completed_under_oom);
    assert_true(n > 100 && completed_under_oom + failed == n - 1);
    assert_true(n < MAX_N);
    /* converged: a sync right after finds nothing to write */
    admin_do("DELETE", "/counters", NULL);
    assert_int_equal(run_sync(db, 0, &ev, &hit), 0);
    assert_int_equal(count("POST /v1/playlists/{id}/items", -1) +
                         count("PUT /v1/playlists/{id}/items", -1) +
                         count("DELETE /v1/playlists/{id}/items", -1),
                     0);
    db_pool_release(app.db, db);
}

int main(void)
{
    /* jansson's own allocations are not failed here: jansson 2.14 dereferences NULL
     * inside json_loadb() when one fails while it reads a playlist page (this loop found
     * it, at about N = 420), which is jansson's bug to fix, not ours. test_oom_rules.c
     * fails them on smaller documents. */
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_oom_sync_loop),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
