/* Sync events: the lock (one in_progress event per base, across connections), the
 * lifecycle (progress, finish only while in progress), history order and cursor,
 * start-up recovery and the sweep, and the SyncEvent JSON. */
#include "test_sync_fixture.h"

#include <jansson.h>
#include <time.h>

#include "repositories/sync_event_repo.h"
#include "lib/app_err.h"
#include "lib/util.h"
#include "services/sync/sync_event_service.h"

static struct sync_event event(const char *id, const char *base, const char *user,
                               const char *started)
{
    struct sync_event ev;
    memset(&ev, 0, sizeof ev);
    ev.id = id;
    ev.user_id = user;
    ev.base_playlist_id = base;
    ev.child_playlist_ids = "[\"c1\",\"c2\"]";
    ev.started_at = ev.created = ev.updated = started;
    ev.progress_phase = "queued";
    return ev;
}

static void finish_ok(struct db *db, const char *id)
{
    struct sync_event ev = event(id, "b1", "ua", "2026-01-01T00:00:00Z");
    ev.status = "completed";
    ev.completed_at = "2026-01-01T00:01:00Z";
    ev.child_playlist_ids = NULL; /* keep the stored ones */
    assert_int_equal(sync_event_repo_finish(db, &ev), 0);
}

static void test_sync_events_one_active_per_base(void **state)
{
    struct fx *f = *state;
    struct sync_event e1 = event("e1", "b1", "ua", "2026-01-01T00:00:00Z");
    struct sync_event e2 = event("e2", "b1", "ua", "2026-01-01T00:00:01Z");
    char active[SYNC_EVENT_ID_MAX];
    assert_int_equal(sync_event_repo_insert(f->db, &e1), 0);
    assert_int_equal(sync_event_repo_insert(f->db, &e2), ERR_CONFLICT);
    assert_int_equal(sync_event_repo_find_active(f->db, "ua", "b1", active), 0);
    assert_string_equal(active, "e1");
    finish_ok(f->db, "e1");
    assert_int_equal(sync_event_repo_find_active(f->db, "ua", "b1", active), ERR_NOT_FOUND);
    assert_int_equal(sync_event_repo_insert(f->db, &e2), 0);
}

static void test_sync_events_lock_holds_across_connections(void **state)
{
    /* Another connection stands for another process on the same database file. */
    struct fx *f = *state;
    struct db *other = NULL;
    struct report err = {0};
    struct sync_event e1 = event("e1", "b1", "ua", "2026-01-01T00:00:00Z");
    struct sync_event e2 = event("e2", "b1", "ua", "2026-01-01T00:00:00Z");
    assert_int_equal(db_open(f->path, &other, &err), 0);
    assert_int_equal(sync_event_repo_insert(f->db, &e1), 0);
    assert_int_equal(sync_event_repo_insert(other, &e2), ERR_CONFLICT);
    db_close(other);
}

static void test_sync_events_progress_and_finish_only_while_in_progress(void **state)
{
    struct fx *f = *state;
    struct sync_event e1 = event("e1", "b1", "ua", "2026-01-01T00:00:00Z");
    struct sync_event got;
    assert_int_equal(sync_event_repo_insert(f->db, &e1), 0);
    assert_int_equal(
        sync_event_repo_set_progress(f->db, "e1", "write_children", 1, 2, "2026-01-01T00:00:05Z"),
        0);
    assert_int_equal(sync_event_repo_find(f->db, f->a, "ua", "e1", &got), 0);
    assert_string_equal(got.status, "in_progress");
    assert_string_equal(got.progress_phase, "write_children");
    assert_int_equal(got.progress_done, 1);
    assert_int_equal(got.progress_total, 2);
    assert_string_equal(got.updated, "2026-01-01T00:00:05Z");
    finish_ok(f->db, "e1");
    assert_int_equal(sync_event_repo_find(f->db, f->a, "ua", "e1", &got), 0);
    assert_string_equal(got.status, "completed");
    assert_string_equal(got.child_playlist_ids, "[\"c1\",\"c2\"]");
    /* Over: neither progress nor a second end is written. */
    assert_int_equal(sync_event_repo_set_progress(f->db, "e1", "x", 0, 0, "2026-01-01T00:09:00Z"),
                     ERR_NOT_FOUND);
    struct sync_event again = event("e1", "b1", "ua", "2026-01-01T00:00:00Z");
    again.status = "failed";
    again.error_message = "late";
    assert_int_equal(sync_event_repo_finish(f->db, &again), ERR_NOT_FOUND);
    assert_int_equal(sync_event_repo_find(f->db, f->a, "ua", "e1", &got), 0);
    assert_string_equal(got.status, "completed");
    assert_null(got.error_message);
}

static void test_sync_events_scoped_by_user(void **state)
{
    struct fx *f = *state;
    struct sync_event e1 = event("e1", "b1", "ua", "2026-01-01T00:00:00Z");
    struct sync_event got;
    bool active, has;
    assert_int_equal(sync_event_repo_insert(f->db, &e1), 0);
    assert_int_equal(sync_event_service_get(f->db, f->a, "ub", "e1", &got), ERR_NOT_FOUND);
    assert_int_equal(sync_event_service_status(f->db, f->a, "ub", "b1", &active, &has, &got),
                     ERR_NOT_FOUND);
    assert_int_equal(sync_event_service_status(f->db, f->a, "ua", "b1", &active, &has, &got), 0);
    assert_true(active);
    assert_true(has);
    assert_string_equal(got.id, "e1");
}

static void test_sync_events_status_idle_without_events(void **state)
{
    struct fx *f = *state;
    struct sync_event got;
    bool active = true, has = true;
    assert_int_equal(sync_event_service_status(f->db, f->a, "ua", "b1", &active, &has, &got), 0);
    assert_false(active);
    assert_false(has);
}

static void test_sync_events_list_newest_first_with_cursor(void **state)
{
    struct fx *f = *state;
    char ids[5][8];
    /* Same started_at second for all: the order must still be insertion order. */
    for (int i = 0; i < 5; i++) {
        snprintf(ids[i], sizeof ids[i], "e%d", i);
        struct sync_event ev = event(ids[i], "b1", "ua", "2026-01-01T00:00:00Z");
        assert_int_equal(sync_event_repo_insert(f->db, &ev), 0);
        finish_ok(f->db, ids[i]);
    }
    struct sync_event *items;
    size_t n;
    const char *next;
    assert_int_equal(sync_event_service_list(f->db, f->a, "ua", "b1", NULL, 2, &items, &n, &next),
                     0);
    assert_int_equal(n, 2);
    assert_string_equal(items[0].id, "e4");
    assert_string_equal(items[1].id, "e3");
    assert_non_null(next);
    assert_int_equal(sync_event_service_list(f->db, f->a, "ua", "b1", next, 2, &items, &n, &next),
                     0);
    assert_int_equal(n, 2);
    assert_string_equal(items[0].id, "e2");
    assert_string_equal(items[1].id, "e1");
    assert_non_null(next);
    assert_int_equal(sync_event_service_list(f->db, f->a, "ua", "b1", next, 2, &items, &n, &next),
                     0);
    assert_int_equal(n, 1);
    assert_string_equal(items[0].id, "e0");
    assert_null(next);
    assert_int_equal(
        sync_event_service_list(f->db, f->a, "ua", "b1", "nonsense", 2, &items, &n, &next),
        ERR_VALIDATION);
    assert_int_equal(sync_event_service_list(f->db, f->a, "ub", "b1", NULL, 2, &items, &n, &next),
                     ERR_NOT_FOUND);
}

static void test_sync_events_recover_fails_every_in_progress(void **state)
{
    struct fx *f = *state;
    struct sync_event e1 = event("e1", "b1", "ua", "2026-01-01T00:00:00Z");
    struct sync_event e2 = event("e2", "b2", "ub", "2026-01-01T00:00:00Z");
    struct sync_event got;
    int n = -1;
    assert_int_equal(sync_event_repo_insert(f->db, &e1), 0);
    assert_int_equal(sync_event_repo_insert(f->db, &e2), 0);
    assert_int_equal(sync_event_service_recover(f->db, &n, NULL), 0);
    assert_int_equal(n, 2);
    assert_int_equal(sync_event_repo_find(f->db, f->a, "ua", "e1", &got), 0);
    assert_string_equal(got.status, "failed");
    assert_string_equal(got.error_message, "interrupted by server restart");
    assert_non_null(got.completed_at);
    assert_int_equal(sync_event_service_recover(f->db, &n, NULL), 0);
    assert_int_equal(n, 0);
}

static void test_sync_events_sweep_fails_only_stale(void **state)
{
    struct fx *f = *state;
    char old[21], fresh[21];
    time_t now = time(NULL);
    util_time_format(now - 31 * 60, old);
    util_time_format(now - 60, fresh);
    struct sync_event e1 = event("e1", "b1", "ua", old);
    struct sync_event e2 = event("e2", "b2", "ub", fresh);
    struct sync_event got;
    int n = -1;
    assert_int_equal(sync_event_repo_insert(f->db, &e1), 0);
    assert_int_equal(sync_event_repo_insert(f->db, &e2), 0);
    assert_int_equal(sync_event_service_sweep(f->db, 1800, &n), 0);
    assert_int_equal(n, 1);
    assert_int_equal(sync_event_repo_find(f->db, f->a, "ua", "e1", &got), 0);
    assert_string_equal(got.status, "failed");
    assert_string_equal(got.error_message, "timed out after 30 minutes");
    assert_int_equal(sync_event_repo_find(f->db, f->a, "ub", "e2", &got), 0);
    assert_string_equal(got.status, "in_progress");
}

static void test_sync_events_timeout_message_follows_setting(void **state)
{
    char msg[64];
    sync_event_service_timeout_message(1800, msg, sizeof msg);
    assert_string_equal(msg, "timed out after 30 minutes");
    sync_event_service_timeout_message(60, msg, sizeof msg);
    assert_string_equal(msg, "timed out after 1 minute");
    sync_event_service_timeout_message(90, msg, sizeof msg);
    assert_string_equal(msg, "timed out after 90 seconds");
}

static void test_sync_events_json_shape(void **state)
{
    struct sync_event ev = event("e1", "b1", "ua", "2026-01-01T00:00:00Z");
    ev.status = "completed";
    ev.completed_at = "2026-01-01T00:00:09Z";
    ev.tracks_processed = 12;
    ev.tracks_skipped = 2;
    ev.total_api_requests = 7;
    ev.cache_hits = 3;
    ev.cache_misses = 4;
    ev.children = "[{\"child_playlist_id\":\"c1\",\"matched\":5,\"added\":5,\"removed\":0}]";
    ev.progress_phase = "done";
    ev.progress_done = 2;
    ev.progress_total = 2;
    ev.metadata_musicbrainz = 3;
    json_t *j = sync_event_service_to_json(&ev);
    assert_non_null(j);
    const char *keys[] = {"id",
                          "user_id",
                          "base_playlist_id",
                          "child_playlist_ids",
                          "status",
                          "trigger",
                          "started_at",
                          "completed_at",
                          "error_message",
                          "tracks_processed",
                          "tracks_skipped",
                          "total_api_requests",
                          "metadata_requests",
                          "cache_hits",
                          "cache_misses",
                          "children",
                          "progress",
                          "created",
                          "updated"};
    for (size_t i = 0; i < sizeof keys / sizeof *keys; i++)
        assert_non_null(json_object_get(j, keys[i]));
    assert_int_equal(json_object_size(j), sizeof keys / sizeof *keys);
    assert_true(json_is_null(json_object_get(j, "error_message")));
    /* An event written before the trigger existed (NULL) is a manual one. */
    assert_string_equal(json_string_value(json_object_get(j, "trigger")), "manual");
    assert_int_equal(json_array_size(json_object_get(j, "child_playlist_ids")), 2);
    json_t *c = json_array_get(json_object_get(j, "children"), 0);
    assert_string_equal(json_string_value(json_object_get(c, "child_playlist_id")), "c1");
    assert_int_equal(json_integer_value(json_object_get(c, "matched")), 5);
    json_t *p = json_object_get(j, "progress");
    assert_string_equal(json_string_value(json_object_get(p, "phase")), "done");
    assert_int_equal(json_integer_value(json_object_get(p, "total")), 2);
    assert_int_equal(json_integer_value(json_object_get(j, "total_api_requests")), 7);
    /* API.md: metadata_requests is always there, {"musicbrainz": N} */
    json_t *mr = json_object_get(j, "metadata_requests");
    assert_int_equal(json_object_size(mr), 1);
    assert_int_equal(json_integer_value(json_object_get(mr, "musicbrainz")), 3);
    json_decref(j);

    /* In progress: nulls, and unreadable stored arrays come out empty. */
    struct sync_event ip = event("e2", "b1", "ua", "2026-01-01T00:00:00Z");
    ip.status = "in_progress";
    ip.children = "not json";
    ip.progress_phase = NULL;
    j = sync_event_service_to_json(&ip);
    assert_non_null(j);
    assert_true(json_is_null(json_object_get(j, "completed_at")));
    assert_int_equal(json_array_size(json_object_get(j, "children")), 0);
    assert_true(json_is_null(json_object_get(json_object_get(j, "progress"), "phase")));
    json_decref(j);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_sync_events_one_active_per_base, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sync_events_lock_holds_across_connections, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_sync_events_progress_and_finish_only_while_in_progress,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_sync_events_scoped_by_user, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sync_events_status_idle_without_events, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_sync_events_list_newest_first_with_cursor, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_sync_events_recover_fails_every_in_progress, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_sync_events_sweep_fails_only_stale, setup, teardown),
        cmocka_unit_test(test_sync_events_timeout_message_follows_setting),
        cmocka_unit_test(test_sync_events_json_shape),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
