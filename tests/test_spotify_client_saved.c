/* Integration tests of the Spotify client's saved-tracks reads (spotify_client_saved.c)
 * against the emulator, in both API modes: pages in order and in parallel, the request
 * counts, the fingerprint (recomputed here from the emulator's admin read-back, as
 * spotify_client.h documents it), what changes it and what does not, a read that
 * restarts when the list moves, a read that starts from a first page read before (and
 * restarts when the list moved since), and the 403 of a token without user-library-read.
 * One emulator for the executable (tests/test_spotify_client_fixture.h); the user is
 * demo, whose saved tracks each test sets through /__admin/users/demo/liked. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/evp.h>

#include "test_spotify_client_fixture.h"

/* Replaces demo's saved tracks with a generated list of n; answers the admin list. */
static json_t *set_liked_size(int n)
{
    return admin("PUT", "/users/demo/liked", json_pack("{s:i}", "size", n));
}

static json_t *liked_now(void)
{
    return admin("GET", "/users/demo/liked", NULL);
}

/* The documented fingerprint, computed from the admin list: "liked:v1:<total>:" + the
 * SHA-256 hex of "uri\t<added_at epoch>\n" for the first 50 entries. */
static void expected_fingerprint(const json_t *list, char *out, size_t outlen)
{
    const json_t *items = json_object_get(list, "items");
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    char hex[65];
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    assert_non_null(ctx);
    assert_true(EVP_DigestInit_ex(ctx, EVP_sha256(), NULL));
    for (size_t i = 0; i < json_array_size(items) && i < SPOTIFY_SAVED_PAGE; i++) {
        const json_t *it = json_array_get(items, i);
        time_t t;
        char line[64];
        assert_int_equal(util_time_parse(json_string_value(json_object_get(it, "added_at")), &t), 0);
        const char *uri = json_string_value(json_object_get(it, "uri"));
        int w = snprintf(line, sizeof line, "\t%lld\n", (long long)t);
        assert_true(EVP_DigestUpdate(ctx, uri, strlen(uri)));
        assert_true(EVP_DigestUpdate(ctx, line, (size_t)w));
    }
    assert_true(EVP_DigestFinal_ex(ctx, md, &len));
    EVP_MD_CTX_free(ctx);
    util_hex_encode(md, len, hex);
    snprintf(out, outlen, "liked:v1:%lld:%s",
             (long long)json_integer_value(json_object_get(list, "total")), hex);
}

static void test_spotify_client_saved_reads_pages_in_order(void **state)
{
    NEED_EMULATOR();
    struct fx *f = *state;
    const int n = 437;
    json_t *list = set_liked_size(n), *items = json_object_get(list, "items");
    struct spotify_playlist pl;
    struct spotify_stats st;
    char fp[SPOTIFY_SAVED_FINGERPRINT_MAX];

    admin_do("DELETE", "/counters", NULL);
    admin_do("DELETE", "/requests", NULL);
    admin_do("PUT", "/latency", json_pack("{s:i}", "ms", 30));
    spotify_client_stats_reset(f->c);
    assert_int_equal(spotify_client_get_saved_tracks(f->c, f->a, NULL, &pl, NULL), 0);
    admin_do("PUT", "/latency", json_pack("{s:i}", "ms", 0));

    assert_int_equal(pl.n_items, n);
    assert_int_equal(pl.info.total, n);
    assert_string_equal(pl.info.name, "Liked Songs");
    assert_null(pl.info.id);
    for (size_t i = 0; i < pl.n_items; i++) {
        const json_t *it = json_array_get(items, i);
        time_t t;
        assert_int_equal(pl.items[i].kind, SPOTIFY_ITEM_TRACK);
        assert_string_equal(pl.items[i].uri, json_string_value(json_object_get(it, "uri")));
        assert_string_equal(pl.items[i].track.id, json_string_value(json_object_get(it, "id")));
        assert_int_equal(pl.items[i].track.base_index, i);
        /* added_at = when it was saved; nobody "added" it */
        assert_int_equal(util_time_parse(json_string_value(json_object_get(it, "added_at")), &t), 0);
        assert_true(pl.items[i].track.has & TRACK_HAS_ADDED_AT);
        assert_int_equal(pl.items[i].track.added_at, (int64_t)t);
        assert_null(pl.items[i].track.added_by);
        assert_non_null(pl.items[i].track.name);
    }
    /* ceil(437 / 50) = 9 pages in both modes, and no other request */
    assert_int_equal(count("GET /v1/me/tracks", 200), 9);
    assert_int_equal(count_all(), 9);
    spotify_client_stats(f->c, &st);
    assert_int_equal(st.requests, 9);
    /* the 8 pages after the first overlapped (the emulator answers each after 30 ms) */
    json_t *log = admin("GET", "/requests", NULL), *reqs = json_object_get(log, "requests");
    int peak = 0;
    for (size_t i = 0; i < json_array_size(reqs); i++) {
        int64_t a0 = json_integer_value(json_object_get(json_array_get(reqs, i), "t_ms"));
        int inflight = 0;
        for (size_t j = 0; j < json_array_size(reqs); j++) {
            const json_t *r = json_array_get(reqs, j);
            if (json_integer_value(json_object_get(r, "t_ms")) <= a0 &&
                json_integer_value(json_object_get(r, "end_ms")) > a0)
                inflight++;
        }
        peak = inflight > peak ? inflight : peak;
    }
    assert_true(peak > 1);
    json_decref(log);

    expected_fingerprint(list, fp, sizeof fp);
    assert_string_equal(pl.info.snapshot_id, fp);
    json_decref(list);
}

static void test_spotify_client_saved_small_and_empty(void **state)
{
    NEED_EMULATOR();
    struct fx *f = *state;
    int sizes[] = {0, 1, 50, 51, 100};
    for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
        json_t *list = set_liked_size(sizes[k]);
        struct spotify_playlist pl;
        char fp[SPOTIFY_SAVED_FINGERPRINT_MAX];
        admin_do("DELETE", "/counters", NULL);
        assert_int_equal(spotify_client_get_saved_tracks(f->c, f->a, NULL, &pl, NULL), 0);
        assert_int_equal(pl.n_items, sizes[k]);
        long pages = sizes[k] ? (sizes[k] + 49) / 50 : 1;
        assert_int_equal(count_all(), pages);
        expected_fingerprint(list, fp, sizeof fp);
        assert_string_equal(pl.info.snapshot_id, fp);
        json_decref(list);
    }
}

/* The first page alone: one request; the same fingerprint as a whole read, the total,
 * and the newest 50 entries as the admin list has them. */
static const char *fingerprint_now(struct fx *f)
{
    struct spotify_playlist pg;
    admin_do("DELETE", "/counters", NULL);
    assert_int_equal(spotify_client_get_saved_first_page(f->c, f->a, &pg, NULL), 0);
    assert_int_equal(count_all(), 1);
    assert_int_equal(count("GET /v1/me/tracks", 200), 1);
    assert_non_null(pg.info.snapshot_id);
    json_t *list = liked_now(), *items = json_object_get(list, "items");
    char want[SPOTIFY_SAVED_FINGERPRINT_MAX];
    expected_fingerprint(list, want, sizeof want);
    assert_string_equal(pg.info.snapshot_id, want);
    assert_int_equal(pg.info.total, json_integer_value(json_object_get(list, "total")));
    size_t n =
        json_array_size(items) < SPOTIFY_SAVED_PAGE ? json_array_size(items) : SPOTIFY_SAVED_PAGE;
    assert_int_equal(pg.n_items, n);
    for (size_t i = 0; i < n; i++)
        assert_string_equal(pg.items[i].uri,
                            json_string_value(json_object_get(json_array_get(items, i), "uri")));
    json_decref(list);
    return pg.info.snapshot_id;
}

static const char *liked_id(int i)
{
    static char id[64];
    json_t *list = liked_now();
    snprintf(id, sizeof id, "%s",
             json_string_value(json_object_get(json_array_get(json_object_get(list, "items"),
                                                              (size_t)i),
                                               "id")));
    json_decref(list);
    return id;
}

/* A catalogue track that demo has not saved. */
static const char *unsaved_id(void)
{
    static char id[64];
    json_t *list = liked_now(), *all = admin("GET", "/tracks", NULL);
    const json_t *items = json_object_get(list, "items"), *tracks = json_object_get(all, "tracks");
    id[0] = '\0';
    for (size_t i = 0; i < json_array_size(tracks) && !id[0]; i++) {
        const char *tid = json_string_value(json_object_get(json_array_get(tracks, i), "id"));
        bool saved = false;
        for (size_t k = 0; k < json_array_size(items) && !saved; k++)
            saved = strcmp(tid, json_string_value(json_object_get(json_array_get(items, k),
                                                                  "id"))) == 0;
        if (!saved)
            snprintf(id, sizeof id, "%s", tid);
    }
    assert_true(id[0] != '\0');
    json_decref(list);
    json_decref(all);
    return id;
}

static void save(const char *id, const char *added_at)
{
    json_t *b = json_pack("{s:s}", "id", id);
    if (added_at)
        json_object_set_new(b, "added_at", json_string(added_at));
    admin_do("POST", "/users/demo/liked", b);
}

static void unsave(const char *id)
{
    char path[128];
    snprintf(path, sizeof path, "/users/demo/liked/%s", id);
    admin_do("DELETE", path, NULL);
}

/* docs/sync.md, "Liked Songs": every change a user can make through Spotify's apps
 * changes the fingerprint; nothing else does. */
static void test_spotify_client_saved_fingerprint_sees_changes(void **state)
{
    NEED_EMULATOR();
    struct fx *f = *state;
    json_decref(set_liked_size(180));
    const char *fp0 = fingerprint_now(f);
    assert_string_equal(fingerprint_now(f), fp0); /* nothing changed: same string */

    /* a new save lands on page one */
    save(unsaved_id(), NULL);
    const char *fp1 = fingerprint_now(f);
    assert_string_not_equal(fp1, fp0);

    /* a removal beyond page one: page one is the same, the total is not */
    unsave(liked_id(120));
    const char *fp2 = fingerprint_now(f);
    assert_string_not_equal(fp2, fp1);

    /* a removal beyond page one and a save: same total, page one differs */
    unsave(liked_id(150));
    save(unsaved_id(), NULL);
    const char *fp3 = fingerprint_now(f);
    assert_string_not_equal(fp3, fp2);

    /* a re-save of an old track moves it to page one (and its added_at) */
    save(liked_id(170), NULL);
    const char *fp4 = fingerprint_now(f);
    assert_string_not_equal(fp4, fp3);

    /* a removal within page one and a save: page one differs */
    unsave(liked_id(10));
    save(unsaved_id(), NULL);
    const char *fp5 = fingerprint_now(f);
    assert_string_not_equal(fp5, fp4);

    /* a re-save of the newest track: same order, new added_at */
    save(liked_id(0), "2030-01-01T00:00:00Z");
    const char *fp6 = fingerprint_now(f);
    assert_string_not_equal(fp6, fp5);

    /* The one blind spot (docs/sync.md): a save back-dated beyond page one (extended
     * mode's PUT /me/tracks timestamped_ids) together with the removal of another track
     * beyond page one keeps page one and the total. */
    unsave(liked_id(160));
    save(unsaved_id(), "2000-01-01T00:00:00Z");
    assert_string_equal(fingerprint_now(f), fp6);
}

struct bg_read {
    struct fx *f;
    struct spotify_playlist pl;
    int rc;
};

static void *bg_read_main(void *arg)
{
    struct bg_read *b = arg;
    b->rc = spotify_client_get_saved_tracks(b->f->c, b->f->a, NULL, &b->pl, NULL);
    return NULL;
}

/* A save while the later pages are in flight: they report another total, so the read
 * starts again and returns the list as it is now. */
static void test_spotify_client_saved_read_restarts_when_list_changes(void **state)
{
    NEED_EMULATOR();
    struct fx *f = *state;
    json_decref(set_liked_size(300));
    const char *extra = unsaved_id();
    struct bg_read b = {f, {{0}, NULL, 0}, -1};
    pthread_t th;

    admin_do("DELETE", "/requests", NULL);
    admin_do("DELETE", "/counters", NULL);
    admin_do("PUT", "/latency", json_pack("{s:i}", "ms", 400));
    assert_int_equal(pthread_create(&th, NULL, bg_read_main, &b), 0);
    /* wait (bounded) until the first page has been answered: the other pages are then
     * in flight for about 400 ms */
    int64_t deadline = util_now_ms() + 20000;
    for (;;) {
        json_t *log = admin("GET", "/requests", NULL);
        size_t n = json_array_size(json_object_get(log, "requests"));
        json_decref(log);
        if (n > 0)
            break;
        assert_true(util_now_ms() < deadline);
        struct timespec ts = {0, 5 * 1000000L};
        nanosleep(&ts, NULL);
    }
    save(extra, NULL);
    pthread_join(th, NULL);
    admin_do("PUT", "/latency", json_pack("{s:i}", "ms", 0));

    assert_int_equal(b.rc, 0);
    json_t *now = liked_now(), *items = json_object_get(now, "items");
    assert_int_equal(b.pl.n_items, 301);
    assert_int_equal(json_array_size(items), 301);
    for (size_t i = 0; i < b.pl.n_items; i++)
        assert_string_equal(b.pl.items[i].uri,
                            json_string_value(json_object_get(json_array_get(items, i), "uri")));
    /* read twice: 6 pages, then 7 */
    assert_int_equal(count("GET /v1/me/tracks", 200), 6 + 7);
    json_decref(now);
}

/* The whole list, as the admin list has it now, in pl. */
static void assert_is_liked_now(const struct spotify_playlist *pl)
{
    json_t *list = liked_now(), *items = json_object_get(list, "items");
    char fp[SPOTIFY_SAVED_FINGERPRINT_MAX];
    assert_int_equal(pl->n_items, json_array_size(items));
    assert_int_equal(pl->info.total, json_array_size(items));
    for (size_t i = 0; i < pl->n_items; i++) {
        assert_string_equal(pl->items[i].uri,
                            json_string_value(json_object_get(json_array_get(items, i), "uri")));
        assert_int_equal(pl->items[i].track.base_index, i);
    }
    expected_fingerprint(list, fp, sizeof fp);
    assert_string_equal(pl->info.snapshot_id, fp);
    json_decref(list);
}

/* A whole read that starts from a first page read before (the sync's check) asks only
 * the pages after it: max(1, ceil(n / 50)) requests for page one and the read together,
 * the same entries and the same fingerprint as a read from scratch. */
static void test_spotify_client_saved_read_from_first_page(void **state)
{
    NEED_EMULATOR();
    struct fx *f = *state;
    int sizes[] = {437, 0, 1, 50, 51, 100};
    for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
        struct spotify_playlist pg, pl;
        json_decref(set_liked_size(sizes[k]));
        admin_do("DELETE", "/counters", NULL);
        assert_int_equal(spotify_client_get_saved_first_page(f->c, f->a, &pg, NULL), 0);
        assert_int_equal(spotify_client_get_saved_tracks(f->c, f->a, &pg, &pl, NULL), 0);
        long pages = sizes[k] ? (sizes[k] + 49) / 50 : 1; /* 437: 9 */
        assert_int_equal(count("GET /v1/me/tracks", 200), pages);
        assert_int_equal(count_all(), pages);
        assert_is_liked_now(&pl);
        assert_string_equal(pl.info.snapshot_id, pg.info.snapshot_id);
    }
}

/* The list moves between the first page and the read that starts from it: a later page
 * reports another total, so the read starts again from a new first page and returns the
 * list as it is now. A save: 1 + 5 pages (the first read, 300 entries) + 7 (301); a
 * removal beyond page one: 1 + 5 + 6 (299). */
static void test_spotify_client_saved_read_from_stale_first_page(void **state)
{
    NEED_EMULATOR();
    struct fx *f = *state;
    struct spotify_playlist pg, pl;

    json_decref(set_liked_size(300));
    admin_do("DELETE", "/counters", NULL);
    assert_int_equal(spotify_client_get_saved_first_page(f->c, f->a, &pg, NULL), 0);
    save(unsaved_id(), NULL);
    assert_int_equal(spotify_client_get_saved_tracks(f->c, f->a, &pg, &pl, NULL), 0);
    assert_int_equal(count("GET /v1/me/tracks", 200), 1 + 5 + 7);
    assert_is_liked_now(&pl);
    assert_string_not_equal(pl.info.snapshot_id, pg.info.snapshot_id);

    json_decref(set_liked_size(300));
    admin_do("DELETE", "/counters", NULL);
    assert_int_equal(spotify_client_get_saved_first_page(f->c, f->a, &pg, NULL), 0);
    unsave(liked_id(200));
    assert_int_equal(spotify_client_get_saved_tracks(f->c, f->a, &pg, &pl, NULL), 0);
    assert_int_equal(count("GET /v1/me/tracks", 200), 1 + 5 + 6);
    assert_is_liked_now(&pl);
}

/* A token without user-library-read: Spotify's 403, with a message that says why and
 * what to do; no retry. */
static void test_spotify_client_saved_needs_scope(void **state)
{
    NEED_EMULATOR();
    struct fx *f = *state;
    struct toksrc ts = {0};
    struct spotify_token_source src = {tok_get, &ts};
    struct spotify_client_opts o = {.api_base = api_base, .mode = f->mode};
    struct spotify_client *c = NULL;
    struct spotify_playlist pl, pg;

    json_t *r = admin("POST", "/tokens",
                      json_pack("{s:s, s:s}", "user", "demo", "scope",
                                "playlist-read-private playlist-modify-private"));
    snprintf(ts.token, sizeof ts.token, "%s",
             json_string_value(json_object_get(r, "access_token")));
    json_decref(r);
    assert_int_equal(spotify_client_new(&o, &src, &c), 0);
    json_decref(set_liked_size(20));
    admin_do("DELETE", "/counters", NULL);
    struct report rep = {0};
    assert_int_equal(spotify_client_get_saved_tracks(c, f->a, NULL, &pl, &rep), ERR_SPOTIFY);
    assert_non_null(strstr(report_text(&rep), "Insufficient client scope"));
    assert_non_null(strstr(report_text(&rep), "user-library-read"));
    assert_non_null(strstr(report_text(&rep), "sign in again"));
    report_release(&rep);
    assert_int_equal(spotify_client_get_saved_first_page(c, f->a, &pg, &rep), ERR_SPOTIFY);
    assert_non_null(strstr(report_text(&rep), "user-library-read"));
    report_release(&rep);
    assert_null(pg.info.snapshot_id);
    assert_int_equal(pg.n_items, 0);
    assert_int_equal(count("GET /v1/me/tracks", 403), 2);
    assert_int_equal(count_all(), 2);
    spotify_client_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        BOTH(test_spotify_client_saved_reads_pages_in_order),
        BOTH(test_spotify_client_saved_small_and_empty),
        BOTH(test_spotify_client_saved_fingerprint_sees_changes),
        BOTH(test_spotify_client_saved_read_restarts_when_list_changes),
        BOTH(test_spotify_client_saved_read_from_first_page),
        BOTH(test_spotify_client_saved_read_from_stale_first_page),
        BOTH(test_spotify_client_saved_needs_scope),
    };
    return cmocka_run_group_tests(tests, emu_start, emu_stop);
}
