/* sync_base.h against the emulator and a temporary database, in both API modes: the
 * snapshot of a Liked Songs base and of a playlist base in one request each, and
 * sync_base_changed(), the call the auto-sync scheduler makes (one request; true until
 * a sync completed, then only when the base changed on Spotify). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sqlite3.h>
#include <unistd.h>

#include "test_tmpdb.h"
#include "repositories/base_playlist_repo.h"
#include "repositories/db.h"
#include "repositories/migration.h"
#include "repositories/sync_state_repo.h"
#include "services/sync/sync_base.h"
#include "test_spotify_client_fixture.h"

struct tmpdb {
    char dir[64], path[128];
    struct db *db;
};

static void tmpdb_open(struct tmpdb *t)
{
    struct report err = {0};
    strcpy(t->dir, "/tmp/playrouter-syncbase-XXXXXX");
    assert_non_null(mkdtemp(t->dir));
    snprintf(t->path, sizeof t->path, "%s/t.db", t->dir);
    assert_int_equal(db_open(t->path, &t->db, &err), 0);
    assert_int_equal(migration_apply_all(db_handle(t->db), migrations_embedded, NULL, &err), 0);
    assert_int_equal(sqlite3_exec(db_handle(t->db),
                                  "INSERT INTO users (id, spotify_user_id, created, updated) "
                                  "VALUES ('u', 'demo', 't', 't'), ('v', 'alice', 't', 't')",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
}

static void tmpdb_close(struct tmpdb *t)
{
    db_close(t->db);
    test_tmpdb_remove(t->path, t->dir);
}

static void add_base(struct tmpdb *t, const char *id, const char *source, const char *spid)
{
    struct base_playlist bp = {.id = id, .user_id = "u", .source = source,
                               .spotify_playlist_id = spid, .name = "B", .routing = "all",
                               .version = 1, .created = "2026-01-01T00:00:00Z",
                               .updated = "2026-01-01T00:00:00Z"};
    assert_int_equal(base_playlist_repo_insert(t->db, &bp), 0);
}

/* What a completed sync records for the base. */
static void complete(struct tmpdb *t, const char *base_id, const char *snapshot)
{
    assert_int_equal(sync_state_repo_complete_base(t->db, base_id, snapshot, "cfg", 0, 0,
                                                   "2026-01-01T00:00:00Z"),
                     0);
}

/* sync_base_changed() for base_id: its answer, after exactly one Spotify request. */
static bool changed(struct fx *f, struct tmpdb *t, const char *base_id, const char **snap)
{
    bool ch = false;
    admin_do("DELETE", "/counters", NULL);
    assert_int_equal(sync_base_changed(t->db, f->c, f->a, "u", base_id, &ch, snap, NULL), 0);
    assert_int_equal(count_all(), 1);
    return ch;
}

static void test_sync_base_liked_changed(void **state)
{
    NEED_EMULATOR();
    struct fx *f = *state;
    struct tmpdb t;
    const char *snap = NULL, *again = NULL;
    tmpdb_open(&t);
    add_base(&t, "l", BASE_SOURCE_LIKED, NULL);
    admin_do("PUT", "/users/demo/liked", json_pack("{s:i}", "size", 130));

    /* never synced: changed; the snapshot is the first page's fingerprint */
    assert_true(changed(f, &t, "l", &snap));
    assert_int_equal(count("GET /v1/me/tracks", 200), 1); /* its first page */
    assert_non_null(snap);
    assert_int_equal(strncmp(snap, "liked:v1:130:", 13), 0);
    struct base_playlist b;
    assert_int_equal(base_playlist_repo_find(t.db, f->a, "u", "l", &b), 0);
    admin_do("DELETE", "/counters", NULL);
    assert_int_equal(sync_base_snapshot(f->c, f->a, &b, &again, NULL, NULL), 0);
    assert_int_equal(count("GET /v1/me/tracks", 200), 1);
    assert_string_equal(again, snap);

    /* a sync completed at that snapshot: unchanged */
    complete(&t, "l", snap);
    assert_false(changed(f, &t, "l", NULL));
    /* a re-save of the oldest saved track: changed */
    json_t *list = admin("GET", "/users/demo/liked", NULL);
    const char *oldest = json_string_value(json_object_get(
        json_array_get(json_object_get(list, "items"), 129), "id"));
    admin_do("POST", "/users/demo/liked", json_pack("{s:s}", "id", oldest));
    json_decref(list);
    assert_true(changed(f, &t, "l", &snap));
    complete(&t, "l", snap);
    assert_false(changed(f, &t, "l", NULL));

    /* not the user's base, or no such base: ERR_NOT_FOUND before any request */
    bool ch = false;
    admin_do("DELETE", "/counters", NULL);
    assert_int_equal(sync_base_changed(t.db, f->c, f->a, "v", "l", &ch, NULL, NULL), ERR_NOT_FOUND);
    assert_int_equal(sync_base_changed(t.db, f->c, f->a, "u", "nope", &ch, NULL, NULL),
                     ERR_NOT_FOUND);
    assert_int_equal(count_all(), 0);
    tmpdb_close(&t);
}

/* A catalogue track demo has not saved (caller frees). */
static char *unsaved_track(void)
{
    json_t *list = admin("GET", "/users/demo/liked", NULL), *all = admin("GET", "/tracks", NULL);
    const json_t *items = json_object_get(list, "items"), *tracks = json_object_get(all, "tracks");
    char *id = NULL;
    for (size_t i = 0; i < json_array_size(tracks) && !id; i++) {
        const char *tid = json_string_value(json_object_get(json_array_get(tracks, i), "id"));
        bool saved = false;
        for (size_t k = 0; k < json_array_size(items) && !saved; k++)
            saved = strcmp(tid,
                           json_string_value(json_object_get(json_array_get(items, k), "id"))) == 0;
        if (!saved)
            id = strdup(tid);
    }
    assert_non_null(id);
    json_decref(list);
    json_decref(all);
    return id;
}

/* What a sync of a changed Liked Songs base asks: the check (sync_base_snapshot(), its
 * first page) and the whole read from that page (sync_base_read()): 437 saved tracks,
 * one of them new since the last completed sync, cost ceil(437 / 50) = 9 requests of
 * GET /me/tracks in all, page one once. The read holds the list as it is, and its
 * snapshot (the key of the stored base) is the check's. */
static void test_sync_base_liked_read_after_check(void **state)
{
    NEED_EMULATOR();
    struct fx *f = *state;
    struct tmpdb t;
    struct base_playlist b;
    struct spotify_playlist pl;
    const struct spotify_playlist *page = NULL;
    const char *before = NULL, *snap = NULL;
    tmpdb_open(&t);
    add_base(&t, "l", BASE_SOURCE_LIKED, NULL);
    assert_int_equal(base_playlist_repo_find(t.db, f->a, "u", "l", &b), 0);
    json_decref(admin("PUT", "/users/demo/liked", json_pack("{s:i}", "size", 436)));
    assert_int_equal(sync_base_snapshot(f->c, f->a, &b, &before, NULL, NULL), 0);
    complete(&t, "l", before);
    /* a new save: 437 saved tracks, the new one first */
    char *new_id = unsaved_track();
    admin_do("POST", "/users/demo/liked", json_pack("{s:s}", "id", new_id));

    admin_do("DELETE", "/counters", NULL);
    assert_int_equal(sync_base_snapshot(f->c, f->a, &b, &snap, &page, NULL), 0);
    assert_non_null(page);
    assert_string_equal(page->info.snapshot_id, snap);
    assert_string_not_equal(snap, before);
    assert_int_equal(sync_base_read(f->c, f->a, &b, page, &pl, NULL), 0);
    assert_int_equal(count("GET /v1/me/tracks", 200), 9);
    assert_int_equal(count_all(), 9);
    assert_string_equal(pl.info.snapshot_id, snap);
    json_t *list = admin("GET", "/users/demo/liked", NULL);
    const json_t *items = json_object_get(list, "items");
    assert_int_equal(pl.n_items, 437);
    assert_int_equal(json_array_size(items), 437);
    assert_string_equal(pl.items[0].track.id, new_id);
    for (size_t i = 0; i < pl.n_items; i++)
        assert_string_equal(pl.items[i].uri,
                            json_string_value(json_object_get(json_array_get(items, i), "uri")));
    json_decref(list);
    free(new_id);
    tmpdb_close(&t);
}

static void test_sync_base_playlist_changed(void **state)
{
    NEED_EMULATOR();
    struct fx *f = *state;
    struct tmpdb t;
    const char *snap = NULL;
    char *pid = make_playlist(60, true);
    tmpdb_open(&t);
    add_base(&t, "p", BASE_SOURCE_PLAYLIST, pid);

    assert_true(changed(f, &t, "p", &snap));
    /* a playlist base keeps no first page: its snapshot comes from its header */
    struct spotify_playlist dummy;
    const struct spotify_playlist *page = &dummy;
    const char *again = NULL;
    struct base_playlist b;
    assert_int_equal(base_playlist_repo_find(t.db, f->a, "u", "p", &b), 0);
    assert_int_equal(sync_base_snapshot(f->c, f->a, &b, &again, &page, NULL), 0);
    assert_null(page);
    assert_string_equal(again, snap);
    char path[128];
    snprintf(path, sizeof path, "/playlists/%s", pid);
    json_t *pl = admin("GET", path, NULL);
    assert_string_equal(snap, json_string_value(json_object_get(pl, "snapshot_id")));
    json_decref(pl);
    complete(&t, "p", snap);
    assert_false(changed(f, &t, "p", NULL));
    json_t *uris = playlist_uris(pid);
    snprintf(path, sizeof path, "/playlists/%s/items", pid);
    admin_do("POST", path, json_pack("{s:[O]}", "uris", json_array_get(uris, 0)));
    json_decref(uris);
    assert_true(changed(f, &t, "p", NULL));
    tmpdb_close(&t);
    free(pid);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        BOTH(test_sync_base_liked_changed),
        BOTH(test_sync_base_liked_read_after_check),
        BOTH(test_sync_base_playlist_changed),
    };
    return cmocka_run_group_tests(tests, emu_start, emu_stop);
}
