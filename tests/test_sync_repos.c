/* The sync engine's repositories: Idempotency-Key records, child snapshots (restore),
 * the incremental-sync state, and the lock/complete transactions. */
#include "test_sync_fixture.h"

#include "repositories/child_snapshot_repo.h"
#include "repositories/idempotency_repo.h"
#include "repositories/sync_lock_repo.h"
#include "repositories/sync_queue_repo.h"
#include "repositories/sync_state_repo.h"
#include "lib/app_err.h"

static void test_sync_repos_idempotency_lifecycle(void **state)
{
    struct fx *f = *state;
    struct idempotency_record r;
    const char *path = "POST /api/base-playlists/b1/sync";
    assert_int_equal(idempotency_repo_find(f->db, f->a, "ua", "k1", 1000, &r), ERR_NOT_FOUND);
    assert_int_equal(idempotency_repo_insert(f->db, "ua", "k1", path, "e1", 2000, 1000), 0);
    assert_int_equal(idempotency_repo_find(f->db, f->a, "ua", "k1", 1000, &r), 0);
    assert_int_equal(r.status, 0); /* the first request still runs */
    assert_null(r.body);
    assert_string_equal(r.sync_event_id, "e1");
    assert_string_equal(r.request_path, path);
    /* A second first request with the same key loses. */
    assert_int_equal(idempotency_repo_insert(f->db, "ua", "k1", path, "e2", 2000, 1000),
                     ERR_CONFLICT);
    assert_int_equal(idempotency_repo_finish(f->db, "ua", "k1", 200, "{\"id\":\"e1\"}"), 0);
    assert_int_equal(idempotency_repo_find(f->db, f->a, "ua", "k1", 1500, &r), 0);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.body, "{\"id\":\"e1\"}");
    /* Keys are per user. */
    assert_int_equal(idempotency_repo_find(f->db, f->a, "ub", "k1", 1500, &r), ERR_NOT_FOUND);
    assert_int_equal(idempotency_repo_insert(f->db, "ub", "k1", path, "e9", 2000, 1000), 0);
}

static void test_sync_repos_idempotency_expiry(void **state)
{
    struct fx *f = *state;
    struct idempotency_record r;
    int n = -1;
    const char *path = "POST /api/base-playlists/b1/sync";
    assert_int_equal(idempotency_repo_insert(f->db, "ua", "k1", path, "e1", 2000, 1000), 0);
    assert_int_equal(idempotency_repo_finish(f->db, "ua", "k1", 200, "{}"), 0);
    /* Expired: not found, and a new first request replaces it. */
    assert_int_equal(idempotency_repo_find(f->db, f->a, "ua", "k1", 2000, &r), ERR_NOT_FOUND);
    assert_int_equal(idempotency_repo_insert(f->db, "ua", "k1", path, "e2", 5000, 2000), 0);
    assert_int_equal(idempotency_repo_find(f->db, f->a, "ua", "k1", 2001, &r), 0);
    assert_int_equal(r.status, 0);
    assert_string_equal(r.sync_event_id, "e2");
    assert_int_equal(idempotency_repo_insert(f->db, "ua", "k2", path, "e3", 3000, 2000), 0);
    assert_int_equal(idempotency_repo_purge(f->db, 4000, &n), 0);
    assert_int_equal(n, 1); /* k2 only */
    assert_int_equal(count(f->db, "SELECT count(*) FROM idempotency_keys"), 1);
    assert_int_equal(idempotency_repo_delete(f->db, "ua", "k1"), 0);
    assert_int_equal(count(f->db, "SELECT count(*) FROM idempotency_keys"), 0);
}

static void test_sync_repos_child_snapshot_roundtrip(void **state)
{
    struct fx *f = *state;
    struct child_snapshot s;
    const char *uris[] = {"spotify:track:A", NULL, "spotify:local:a:b:c:1", "spotify:track:A"};
    assert_int_equal(child_snapshot_repo_find(f->db, f->a, "ua", "c1", &s), ERR_NOT_FOUND);
    assert_int_equal(
        child_snapshot_repo_save(f->db, "ua", "c1", "e1", uris, 4, "2026-01-01T00:00:00Z"), 0);
    assert_int_equal(child_snapshot_repo_find(f->db, f->a, "ua", "c1", &s), 0);
    assert_int_equal(s.n_uris, 4);
    assert_string_equal(s.uris[0], "spotify:track:A");
    assert_null(s.uris[1]); /* kept as it was: an entry without uri */
    assert_string_equal(s.uris[2], "spotify:local:a:b:c:1");
    assert_string_equal(s.uris[3], "spotify:track:A");
    assert_string_equal(s.sync_event_id, "e1");
    /* A newer snapshot replaces the older one. */
    const char *later[] = {"spotify:track:B"};
    assert_int_equal(
        child_snapshot_repo_save(f->db, "ua", "c1", "e2", later, 1, "2026-01-02T00:00:00Z"), 0);
    assert_int_equal(child_snapshot_repo_find(f->db, f->a, "ua", "c1", &s), 0);
    assert_int_equal(s.n_uris, 1);
    assert_string_equal(s.sync_event_id, "e2");
    assert_int_equal(count(f->db, "SELECT count(*) FROM child_snapshots"), 1);
    /* Empty contents are a snapshot too. */
    assert_int_equal(
        child_snapshot_repo_save(f->db, "ua", "c2", NULL, NULL, 0, "2026-01-02T00:00:00Z"), 0);
    assert_int_equal(child_snapshot_repo_find(f->db, f->a, "ua", "c2", &s), 0);
    assert_int_equal(s.n_uris, 0);
}

static void test_sync_repos_child_snapshot_scoped_by_user(void **state)
{
    struct fx *f = *state;
    struct child_snapshot s;
    const char *uris[] = {"spotify:track:A"};
    assert_int_equal(
        child_snapshot_repo_save(f->db, "ub", "c1", "e1", uris, 1, "2026-01-01T00:00:00Z"),
        ERR_CONFLICT);
    assert_int_equal(
        child_snapshot_repo_save(f->db, "ua", "c1", "e1", uris, 1, "2026-01-01T00:00:00Z"), 0);
    assert_int_equal(child_snapshot_repo_find(f->db, f->a, "ub", "c1", &s), ERR_NOT_FOUND);
    /* Deleting the child deletes its snapshot. */
    exec_sql(f->db, "DELETE FROM child_playlists WHERE id = 'c1'");
    assert_int_equal(child_snapshot_repo_find(f->db, f->a, "ua", "c1", &s), ERR_NOT_FOUND);
}

static void test_sync_repos_state_base(void **state)
{
    struct fx *f = *state;
    struct sync_base_state st;
    assert_int_equal(sync_state_repo_get_base(f->db, f->a, "b1", &st), 0);
    assert_null(st.last_snapshot_id);
    assert_null(st.config_hash);
    assert_int_equal(
        sync_state_repo_complete_base(f->db, "b1", "snapA", "hashA", 10, 2, "2026-01-01T00:05:00Z"),
        0);
    assert_int_equal(sync_state_repo_get_base(f->db, f->a, "b1", &st), 0);
    assert_string_equal(st.last_snapshot_id, "snapA");
    assert_string_equal(st.config_hash, "hashA");
    assert_int_equal(st.tracks_processed, 10);
    assert_int_equal(st.tracks_skipped, 2);
    /* A sync records last_synced_at but is not a change through the API: no version. */
    assert_int_equal(count(f->db, "SELECT count(*) FROM base_playlists WHERE id = 'b1' AND "
                                  "last_synced_at = '2026-01-01T00:05:00Z' AND version = 1"),
                     1);
    assert_int_equal(sync_state_repo_invalidate_base(f->db, "b1", "2026-01-01T00:06:00Z"), 0);
    assert_int_equal(sync_state_repo_get_base(f->db, f->a, "b1", &st), 0);
    assert_null(st.config_hash);
    assert_string_equal(st.last_snapshot_id, "snapA");
    assert_int_equal(sync_state_repo_complete_base(f->db, "nope", "s", "h", 0, 0, "x"),
                     ERR_NOT_FOUND);
}

static void test_sync_repos_state_child(void **state)
{
    struct fx *f = *state;
    struct sync_child_state st;
    const char *uris[] = {"spotify:track:A", "spotify:track:B"};
    assert_int_equal(sync_state_repo_get_child(f->db, f->a, "c1", &st), 0);
    assert_false(st.has_contents);
    assert_null(st.snapshot_id);
    assert_int_equal(
        sync_state_repo_set_child(f->db, "c1", NULL, "h1", uris, 2, "2026-01-01T00:00:00Z"), 0);
    assert_int_equal(sync_state_repo_get_child(f->db, f->a, "c1", &st), 0);
    assert_true(st.has_contents);
    assert_null(st.snapshot_id); /* not known until learnt */
    assert_int_equal(st.n_uris, 2);
    assert_string_equal(st.uris[1], "spotify:track:B");
    assert_string_equal(st.target_hash, "h1");
    assert_int_equal(sync_state_repo_set_child_snapshot(f->db, "c1", "snap1"), 0);
    assert_int_equal(sync_state_repo_get_child(f->db, f->a, "c1", &st), 0);
    assert_string_equal(st.snapshot_id, "snap1");
    /* Empty contents are known contents. */
    assert_int_equal(
        sync_state_repo_set_child(f->db, "c2", "s2", "h0", NULL, 0, "2026-01-01T00:00:00Z"), 0);
    assert_int_equal(sync_state_repo_get_child(f->db, f->a, "c2", &st), 0);
    assert_true(st.has_contents);
    assert_int_equal(st.n_uris, 0);
    assert_int_equal(sync_state_repo_set_child(f->db, "zz", "s", "h", uris, 2, "x"), ERR_NOT_FOUND);
    assert_int_equal(sync_state_repo_set_child_snapshot(f->db, "zz", "s"), ERR_NOT_FOUND);
    assert_int_equal(count(f->db, "SELECT count(*) FROM child_playlists WHERE version != 1"), 0);
}

static struct sync_event lock_event(const char *id)
{
    struct sync_event ev;
    memset(&ev, 0, sizeof ev);
    ev.id = id;
    ev.user_id = "ua";
    ev.base_playlist_id = "b1";
    ev.started_at = ev.created = ev.updated = "2026-01-01T00:00:00Z";
    ev.progress_phase = "queued";
    return ev;
}

static void test_sync_repos_lock_with_key_is_all_or_nothing(void **state)
{
    struct fx *f = *state;
    struct sync_event e1 = lock_event("e1"), e2 = lock_event("e2");
    struct sync_lock_key k = {"k1", "POST /api/base-playlists/b1/sync", 1000, 2000, 202, "{}"};
    struct idempotency_record r;
    assert_int_equal(sync_lock_repo_acquire(f->db, &e1, SYNC_QUEUE_PRIORITY_MANUAL, 1000, &k), 0);
    assert_int_equal(idempotency_repo_find(f->db, f->a, "ua", "k1", 1000, &r), 0);
    assert_int_equal(r.status, 202); /* stored at once */
    assert_string_equal(r.sync_event_id, "e1");
    /* The base is locked: nothing is written, not even the new key. */
    struct sync_lock_key k2 = {"k2", "POST /api/base-playlists/b1/sync", 1000, 2000, 0, NULL};
    assert_int_equal(sync_lock_repo_acquire(f->db, &e2, SYNC_QUEUE_PRIORITY_MANUAL, 1000, &k2), ERR_SYNC_IN_PROGRESS);
    assert_int_equal(idempotency_repo_find(f->db, f->a, "ua", "k2", 1000, &r), ERR_NOT_FOUND);
    /* The key exists: the event is rolled back with it. */
    e1.status = "failed";
    e1.error_message = "x";
    e1.completed_at = "2026-01-01T00:01:00Z";
    assert_int_equal(sync_event_repo_finish(f->db, &e1), 0);
    assert_int_equal(sync_lock_repo_acquire(f->db, &e2, SYNC_QUEUE_PRIORITY_MANUAL, 1000, &k), ERR_CONFLICT);
    assert_int_equal(count(f->db, "SELECT count(*) FROM sync_events WHERE id = 'e2'"), 0);
    assert_int_equal(sync_lock_repo_acquire(f->db, &e2, SYNC_QUEUE_PRIORITY_MANUAL, 1000, NULL), 0);
}

static void test_sync_repos_complete_records_state_with_event(void **state)
{
    struct fx *f = *state;
    struct sync_event e1 = lock_event("e1");
    struct sync_base_state st;
    assert_int_equal(sync_lock_repo_acquire(f->db, &e1, SYNC_QUEUE_PRIORITY_MANUAL, 1000, NULL), 0);
    e1.status = "completed";
    e1.completed_at = e1.updated = "2026-01-01T00:02:00Z";
    e1.tracks_processed = 5;
    e1.tracks_skipped = 1;
    assert_int_equal(sync_lock_repo_complete(f->db, &e1, "snap", "hash"), 0);
    assert_int_equal(sync_state_repo_get_base(f->db, f->a, "b1", &st), 0);
    assert_string_equal(st.config_hash, "hash");
    assert_int_equal(st.tracks_processed, 5);
    /* A second completion (the event is over) writes nothing. */
    assert_int_equal(sync_lock_repo_complete(f->db, &e1, "snap2", "hash2"), ERR_NOT_FOUND);
    assert_int_equal(sync_state_repo_get_base(f->db, f->a, "b1", &st), 0);
    assert_string_equal(st.last_snapshot_id, "snap");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_sync_repos_idempotency_lifecycle, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sync_repos_idempotency_expiry, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sync_repos_child_snapshot_roundtrip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sync_repos_child_snapshot_scoped_by_user, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_sync_repos_state_base, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sync_repos_state_child, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sync_repos_lock_with_key_is_all_or_nothing, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_sync_repos_complete_records_state_with_event, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
