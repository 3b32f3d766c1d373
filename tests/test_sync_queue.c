/* The persisted sync queue and auto-sync's rows: claim order (manual before auto, then
 * oldest first), next_run_at, requeue, start-up recovery (running -> failed, queued ->
 * stays), the sweep leaving queued syncs alone, which bases are due, the back-off
 * (1, 2, 4 ... minutes capped at the interval), needs_reauth and the 429 pause, and
 * the change counter. Expected values come from docs/sync.md, not from the code. */
#include "test_sync_fixture.h"

#include <time.h>

#include "repositories/auto_sync_repo.h"
#include "repositories/sync_event_repo.h"
#include "repositories/sync_lock_repo.h"
#include "repositories/sync_queue_repo.h"
#include "lib/app_err.h"
#include "lib/util.h"
#include "services/sync/sync_event_service.h"

#define NOW 1800000000LL /* a fixed "now" (2027-01-15) */

/* More bases of user ua: b3, b4 (b1 exists with two children). */
static void more_bases(struct db *db)
{
    exec_sql(db, "INSERT INTO base_playlists (id, user_id, spotify_playlist_id, name, created, "
                 "updated) VALUES ('b3', 'ua', 'spb3', 'Three', '2026-01-01T00:00:00Z', "
                 "'2026-01-01T00:00:00Z'), ('b4', 'ua', 'spb4', 'Four', "
                 "'2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z');");
}

/* Queues a sync of base `base` of `user` as sync_service_start does: the event and its
 * job in one transaction. */
static void enqueue(struct db *db, const char *id, const char *base, const char *user, int prio,
                    long long at)
{
    struct sync_event ev;
    memset(&ev, 0, sizeof ev);
    ev.id = id;
    ev.user_id = user;
    ev.base_playlist_id = base;
    ev.started_at = ev.created = ev.updated = "2026-01-01T00:00:00Z";
    ev.progress_phase = "queued";
    ev.trigger = prio == SYNC_QUEUE_PRIORITY_AUTO ? SYNC_TRIGGER_AUTO : SYNC_TRIGGER_MANUAL;
    assert_int_equal(sync_lock_repo_acquire(db, &ev, prio, at, NULL), 0);
}

static const char *claim(struct fx *f, long long now)
{
    struct sync_job_row job;
    int rc = sync_queue_repo_claim(f->db, f->a, now, "2026-06-01T00:00:00Z", &job);
    if (rc == ERR_NOT_FOUND)
        return NULL;
    assert_int_equal(rc, 0);
    return job.event_id;
}

static void test_sync_queue_manual_before_auto_then_oldest(void **state)
{
    struct fx *f = *state;
    more_bases(f->db);
    enqueue(f->db, "auto1", "b1", "ua", SYNC_QUEUE_PRIORITY_AUTO, NOW);
    enqueue(f->db, "man1", "b3", "ua", SYNC_QUEUE_PRIORITY_MANUAL, NOW);
    enqueue(f->db, "auto2", "b2", "ub", SYNC_QUEUE_PRIORITY_AUTO, NOW);
    enqueue(f->db, "man2", "b4", "ua", SYNC_QUEUE_PRIORITY_MANUAL, NOW);
    assert_string_equal(claim(f, NOW), "man1");
    assert_string_equal(claim(f, NOW), "man2");
    assert_string_equal(claim(f, NOW), "auto1");
    assert_string_equal(claim(f, NOW), "auto2");
    assert_null(claim(f, NOW));
    /* A taken job's event starts now: the sweep measures from there. */
    struct sync_event got;
    assert_int_equal(sync_event_repo_find(f->db, f->a, "ua", "man1", &got), 0);
    assert_string_equal(got.started_at, "2026-06-01T00:00:00Z");
    assert_string_equal(got.trigger, "manual");
    assert_int_equal(sync_event_repo_find(f->db, f->a, "ua", "auto1", &got), 0);
    assert_string_equal(got.trigger, "auto");
    assert_int_equal(count(f->db, "SELECT count(*) FROM sync_jobs WHERE state = 'running'"), 4);
}

static void test_sync_queue_queued_sync_holds_the_lock(void **state)
{
    struct fx *f = *state;
    enqueue(f->db, "q1", "b1", "ua", SYNC_QUEUE_PRIORITY_AUTO, NOW);
    struct sync_event ev;
    memset(&ev, 0, sizeof ev);
    ev.id = "q2";
    ev.user_id = "ua";
    ev.base_playlist_id = "b1";
    ev.started_at = ev.created = ev.updated = "2026-01-01T00:00:00Z";
    assert_int_equal(sync_lock_repo_acquire(f->db, &ev, SYNC_QUEUE_PRIORITY_MANUAL, NOW, NULL),
                     ERR_SYNC_IN_PROGRESS);
    assert_int_equal(count(f->db, "SELECT count(*) FROM sync_jobs"), 1);
}

static void test_sync_queue_next_run_at_and_requeue(void **state)
{
    struct fx *f = *state;
    int64_t at = -1;
    enqueue(f->db, "j1", "b1", "ua", SYNC_QUEUE_PRIORITY_MANUAL, NOW);
    assert_string_equal(claim(f, NOW), "j1");
    assert_int_equal(sync_queue_repo_requeue(f->db, "j1", "out of memory", NOW + 4), 0);
    assert_null(claim(f, NOW + 3));
    assert_int_equal(sync_queue_repo_next_run_at(f->db, &at), 0);
    assert_int_equal(at, NOW + 4);
    assert_string_equal(claim(f, NOW + 4), "j1");
    assert_int_equal(count(f->db, "SELECT attempts FROM sync_jobs WHERE event_id = 'j1'"), 2);
    assert_int_equal(
        count(f->db, "SELECT last_error = 'out of memory' FROM sync_jobs WHERE event_id = 'j1'"), 1);
    assert_int_equal(sync_queue_repo_delete(f->db, "j1"), 0);
    assert_int_equal(sync_queue_repo_next_run_at(f->db, &at), 0);
    assert_int_equal(at, 0);
}

static void test_sync_queue_recover_fails_running_keeps_queued(void **state)
{
    struct fx *f = *state;
    struct sync_event got;
    int failed = -1, queued = -1;
    more_bases(f->db);
    enqueue(f->db, "run", "b1", "ua", SYNC_QUEUE_PRIORITY_MANUAL, NOW);
    enqueue(f->db, "wait", "b3", "ua", SYNC_QUEUE_PRIORITY_MANUAL, NOW);
    assert_string_equal(claim(f, NOW), "run");
    assert_int_equal(sync_event_service_recover(f->db, &failed, &queued), 0);
    assert_int_equal(failed, 1);
    assert_int_equal(queued, 1);
    assert_int_equal(sync_event_repo_find(f->db, f->a, "ua", "run", &got), 0);
    assert_string_equal(got.status, "failed");
    assert_string_equal(got.error_message, "interrupted by server restart");
    assert_int_equal(sync_event_repo_find(f->db, f->a, "ua", "wait", &got), 0);
    assert_string_equal(got.status, "in_progress");
    assert_string_equal(got.progress_phase, "queued");
    assert_string_equal(claim(f, NOW), "wait");
}

static void test_sync_queue_sweep_leaves_queued_syncs(void **state)
{
    struct fx *f = *state;
    int n = -1;
    more_bases(f->db);
    enqueue(f->db, "run", "b1", "ua", SYNC_QUEUE_PRIORITY_MANUAL, NOW);
    enqueue(f->db, "wait", "b3", "ua", SYNC_QUEUE_PRIORITY_MANUAL, NOW);
    exec_sql(f->db, "UPDATE sync_jobs SET state = 'running' WHERE event_id = 'run';"
                    "UPDATE sync_events SET started_at = "
                    "strftime('%Y-%m-%dT%H:%M:%SZ', 'now', '-31 minutes')");
    assert_int_equal(sync_event_service_sweep(f->db, 1800, &n), 0);
    assert_int_equal(n, 1);
    assert_int_equal(count(f->db, "SELECT count(*) FROM sync_events WHERE id = 'wait' AND "
                                  "status = 'in_progress'"),
                     1);
}

/* The ids of the bases due at `now`, comma-separated, into out. */
static void due(struct fx *f, long long now, char *out, size_t len)
{
    struct auto_sync_due *rows;
    size_t n;
    assert_int_equal(auto_sync_repo_due(f->db, f->a, now, 100, &rows, &n), 0);
    out[0] = '\0';
    for (size_t i = 0; i < n; i++)
        snprintf(out + strlen(out), len - strlen(out), "%s%s", i ? "," : "", rows[i].base_id);
}

static void test_sync_queue_auto_due_interval_and_skips(void **state)
{
    struct fx *f = *state;
    char got[128];
    more_bases(f->db);
    exec_sql(f->db, "UPDATE base_playlists SET auto_sync_minutes = 5 WHERE id IN ('b1', 'b2');"
                    "UPDATE base_playlists SET auto_sync_minutes = 60 WHERE id = 'b3'");
    /* Never checked, never synced: due at once. b4 has auto-sync off. */
    due(f, NOW, got, sizeof got);
    assert_string_equal(got, "b1,b3,b2");
    assert_int_equal(auto_sync_repo_checked(f->db, "b1", NOW, 1), 0);
    assert_int_equal(auto_sync_repo_checked(f->db, "b3", NOW, 1), 0);
    assert_int_equal(auto_sync_repo_checked(f->db, "b2", NOW, 1), 0);
    due(f, NOW + 299, got, sizeof got);
    assert_string_equal(got, "");
    due(f, NOW + 300, got, sizeof got);
    assert_string_equal(got, "b1,b2");
    /* A user who must sign in again, a paused user, a base with a sync queued: skipped. */
    exec_sql(f->db, "UPDATE users SET needs_reauth = 1 WHERE id = 'ub'");
    assert_int_equal(auto_sync_repo_pause_user(f->db, "ua", NOW + 400), 0);
    due(f, NOW + 399, got, sizeof got);
    assert_string_equal(got, "");
    due(f, NOW + 400, got, sizeof got);
    assert_string_equal(got, "b1");
    enqueue(f->db, "q", "b1", "ua", SYNC_QUEUE_PRIORITY_AUTO, NOW);
    due(f, NOW + 400, got, sizeof got);
    assert_string_equal(got, "");
}

/* The retry time after the n-th failure of base b1 (interval `minutes`). */
static long long retry_after_failure(struct fx *f, long long now)
{
    assert_int_equal(auto_sync_repo_failed(f->db, "b1", now, 3, "boom"), 0);
    return count(f->db, "SELECT retry_at FROM auto_sync_state WHERE base_playlist_id = 'b1'") -
           now;
}

static void test_sync_queue_auto_backoff_doubles_capped_at_interval(void **state)
{
    struct fx *f = *state;
    char got[64];
    exec_sql(f->db, "UPDATE base_playlists SET auto_sync_minutes = 3 WHERE id = 'b1'");
    assert_int_equal(auto_sync_repo_checked(f->db, "b1", NOW, 1), 0);
    /* 1, 2 minutes, then the interval (3) caps 4, 8 ... */
    assert_int_equal(retry_after_failure(f, NOW), 60);
    due(f, NOW + 59, got, sizeof got);
    assert_string_equal(got, "");
    due(f, NOW + 60, got, sizeof got);
    assert_string_equal(got, "b1");
    assert_int_equal(retry_after_failure(f, NOW + 60), 120);
    assert_int_equal(retry_after_failure(f, NOW + 180), 180);
    assert_int_equal(retry_after_failure(f, NOW + 360), 180);
    assert_int_equal(count(f->db, "SELECT failures FROM auto_sync_state"), 4);
    /* A completed sync (or a check that finds nothing) ends the back-off. */
    assert_int_equal(auto_sync_repo_checked(f->db, "b1", NOW + 600, 1), 0);
    assert_int_equal(count(f->db, "SELECT failures FROM auto_sync_state"), 0);
    due(f, NOW + 600 + 179, got, sizeof got);
    assert_string_equal(got, "");
    due(f, NOW + 600 + 180, got, sizeof got);
    assert_string_equal(got, "b1");
}

static void test_sync_queue_change_counter(void **state)
{
    struct fx *f = *state;
    int64_t a = -1, b = -1;
    assert_int_equal(auto_sync_repo_change_seq(f->db, "ua", &a), 0);
    assert_int_equal(a, 0);
    assert_int_equal(auto_sync_repo_bump(f->db, "ua"), 0);
    assert_int_equal(auto_sync_repo_bump(f->db, "ua"), 0);
    assert_int_equal(auto_sync_repo_bump(f->db, NULL), 0); /* every user */
    assert_int_equal(auto_sync_repo_change_seq(f->db, "ua", &a), 0);
    assert_int_equal(auto_sync_repo_change_seq(f->db, "ub", &b), 0);
    assert_int_equal(a, 3);
    assert_int_equal(b, 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_sync_queue_manual_before_auto_then_oldest, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_sync_queue_queued_sync_holds_the_lock, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_sync_queue_next_run_at_and_requeue, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sync_queue_recover_fails_running_keeps_queued, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_sync_queue_sweep_leaves_queued_syncs, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_sync_queue_auto_due_interval_and_skips, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_sync_queue_auto_backoff_doubles_capped_at_interval,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_sync_queue_change_counter, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
