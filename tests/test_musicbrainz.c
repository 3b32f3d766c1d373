/* services/musicbrainz (answers as docs/musicbrainz.md writes them down) and the process-wide
 * pacer lib/pacer. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib/app_err.h"
#include "lib/arena.h"
#include "lib/pacer.h"
#include "lib/util.h"
#include "services/musicbrainz/musicbrainz_client.h"

/* A search answer as mb-solr writes it (§2), with the corners: a recording without
 * first-release-date, one without isrcs, two credited artists, a joinphrase. */
static const char SEARCH[] =
    "{\"created\": \"2026-09-06T10:57:34.794Z\", \"count\": 137, \"offset\": 0,"
    " \"recordings\": ["
    "  {\"id\": \"3e0bdde6-74e0-46d4-855a-4493589fd6b2\", \"score\": 100, \"title\": \"Roots\","
    "   \"length\": 391000, \"video\": null,"
    "   \"artist-credit\": [{\"name\": \"Howard Shore\", \"joinphrase\": \" feat. \","
    "     \"artist\": {\"id\": \"9b58672a-e68e-4972-956e-a8985a165a1f\", \"name\": \"Howard Shore\","
    "                  \"sort-name\": \"Shore, Howard\"}},"
    "    {\"name\": \"Harbor\", \"artist\": {\"id\": \"0383dadf-2a4e-4d10-a46a-e9e041da8eb3\","
    "                  \"name\": \"The Harbor\", \"sort-name\": \"Harbor, The\"}}],"
    "   \"first-release-date\": \"2007-11-05\", \"isrcs\": [\"USRE10701410\", \"gbaaa9900303\"],"
    "   \"tags\": [{\"count\": 2, \"name\": \"soundtrack\"}]},"
    "  {\"id\": \"e4f68b55-46f4-46b2-b526-5eef462c8c57\", \"score\": 100, \"title\": \"B\","
    "   \"artist-credit\": [{\"name\": \"X\", \"artist\": {\"id\": \"bd61ef44-9f6b-4944-b7b1-4bed1f4fac7e\"}}],"
    "   \"isrcs\": [\"USRE10701411\"]},"
    "  {\"id\": \"de8f0630-aa58-4078-9c06-fef79e903c70\", \"title\": \"C\", \"first-release-date\": \"1994\","
    "   \"artist-credit\": []}"
    " ]}";

static void test_musicbrainz_parse_recordings(void **state)
{
    (void)state;
    struct arena *a = arena_new();
    struct mb_recording_page p;
    assert_int_equal(musicbrainz_parse_recordings(SEARCH, strlen(SEARCH), a, &p), 0);
    assert_int_equal(p.count, 137);
    assert_int_equal(p.n, 3);
    assert_string_equal(p.items[0].id, "3e0bdde6-74e0-46d4-855a-4493589fd6b2");
    assert_string_equal(p.items[0].first_release_date, "2007-11-05");
    assert_true(p.items[0].has_isrcs);
    assert_int_equal(p.items[0].n_isrcs, 2);
    assert_string_equal(p.items[0].isrcs[1], "gbaaa9900303"); /* as given; callers upper-case */
    assert_int_equal(p.items[0].n_artists, 2);
    assert_string_equal(p.items[0].artist_ids[1], "0383dadf-2a4e-4d10-a46a-e9e041da8eb3");
    assert_null(p.items[1].first_release_date);
    assert_false(p.items[2].has_isrcs);
    assert_int_equal(p.items[2].n_isrcs, 0);
    assert_int_equal(p.items[2].n_artists, 0);
    assert_string_equal(p.items[2].first_release_date, "1994");
    /* an ISRC lookup has no count: the recordings listed */
    const char *lookup = "{\"isrc\": \"GBAAA9900303\", \"recordings\": [{\"id\": \"r1\"}]}";
    assert_int_equal(musicbrainz_parse_recordings(lookup, strlen(lookup), a, &p), 0);
    assert_int_equal(p.count, 1);
    /* not that shape */
    assert_int_equal(musicbrainz_parse_recordings("{\"error\": \"x\"}", 14, a, &p),
                     ERR_METADATA_UNAVAILABLE);
    assert_int_equal(musicbrainz_parse_recordings("<html>", 6, a, &p), ERR_METADATA_UNAVAILABLE);
    arena_free(a);
}

static void test_musicbrainz_parse_artists_genres_errors(void **state)
{
    (void)state;
    struct arena *a = arena_new();
    struct mb_artist_page p;
    const char *artists =
        "{\"created\": \"x\", \"count\": 2, \"offset\": 0, \"artists\": ["
        " {\"id\": \"a1\", \"type\": \"Group\", \"score\": 100, \"tags\": ["
        "   {\"count\": 3, \"name\": \"Indie Rock\"}, {\"count\": 0, \"name\": \"rock\"},"
        "   {\"count\": -2, \"name\": \"pop\"}, {\"name\": \"no count\"}]},"
        " {\"id\": \"a2\"}]}";
    assert_int_equal(musicbrainz_parse_artists(artists, strlen(artists), a, &p), 0);
    assert_int_equal(p.n, 2);
    assert_int_equal(p.items[0].n_tags, 3); /* every tag with a count: filtering is ours */
    assert_string_equal(p.items[0].tags[0].name, "Indie Rock");
    assert_int_equal(p.items[0].tags[1].count, 0);
    assert_int_equal(p.items[0].tags[2].count, -2);
    assert_int_equal(p.items[1].n_tags, 0);

    const char *const *names;
    size_t n;
    const char *txt = "acid house\r\nambient\n\n  \nzydeco";
    assert_int_equal(musicbrainz_parse_genres(txt, strlen(txt), a, &names, &n), 0);
    assert_int_equal(n, 3);
    assert_string_equal(names[0], "acid house");
    assert_string_equal(names[1], "ambient");
    assert_string_equal(names[2], "zydeco");

    const char *err = "{\"error\": \"Invalid isrc.\", \"help\": \"For usage, please see: x\"}";
    assert_string_equal(musicbrainz_parse_error(err, strlen(err), a), "Invalid isrc.");
    assert_string_equal(musicbrainz_parse_error("<html>414</html>", 16, a), "");
    arena_free(a);
}

static void test_musicbrainz_codes_and_user_agent(void **state)
{
    (void)state;
    assert_true(musicbrainz_isrc_valid("GBAAA9900303"));
    assert_true(musicbrainz_isrc_valid("USRC17607839"));
    assert_false(musicbrainz_isrc_valid("gbaaa9900303")); /* MusicBrainz wants upper case */
    assert_false(musicbrainz_isrc_valid("GBAAA990030"));
    assert_false(musicbrainz_isrc_valid("GB-AA9900303"));
    assert_false(musicbrainz_isrc_valid("1BAAA9900303"));
    assert_false(musicbrainz_isrc_valid("GBAAA99003O3")); /* O is no digit */
    assert_false(musicbrainz_isrc_valid("isrc\") OR x"));
    assert_false(musicbrainz_isrc_valid(NULL));
    assert_true(musicbrainz_mbid_valid("0383dadf-2a4e-4d10-a46a-e9e041da8eb3"));
    assert_false(musicbrainz_mbid_valid("0383DADF-2a4e-4d10-a46a-e9e041da8eb3"));
    assert_false(musicbrainz_mbid_valid("0383dadf-2a4e-4d10-a46a-e9e041da8eb"));
    assert_false(musicbrainz_mbid_valid("0383dadf 2a4e-4d10-a46a-e9e041da8eb3"));

    struct buf ua = BUF_INIT;
    assert_int_equal(musicbrainz_client_user_agent("0.2.0", "ops@example.org", &ua), 0);
    assert_string_equal(ua.data, "playrouter/0.2.0 ( ops@example.org )");
    buf_reset(&ua);
    assert_int_equal(musicbrainz_client_user_agent("0.2.0", NULL, &ua), 0);
    assert_string_equal(ua.data, "playrouter/0.2.0");
    buf_release(&ua);
}

/* ---- the pacer --------------------------------------------------------------- */

struct pace_run {
    struct pacer *rl;
    pthread_mutex_t mu;
    int64_t starts[64], ends[64];
    int n;
    int per_thread;
    int work_ms;
};

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static void *pace_worker(void *arg)
{
    struct pace_run *r = arg;
    for (int i = 0; i < r->per_thread; i++) {
        int slot = pacer_acquire(r->rl, NULL, 0, NULL);
        int64_t start = util_now_ms();
        sleep_ms(r->work_ms); /* the request in flight */
        int64_t end = util_now_ms();
        pacer_release(r->rl, slot, end);
        pthread_mutex_lock(&r->mu);
        r->starts[r->n] = start;
        r->ends[r->n] = end;
        r->n++;
        pthread_mutex_unlock(&r->mu);
    }
    return NULL;
}

static int cmp_i64(const void *x, const void *y)
{
    int64_t a = *(const int64_t *)x, b = *(const int64_t *)y;
    return a < b ? -1 : a > b;
}

/* Four threads, 2 per 150 ms: whatever the interleaving, no window of 150 ms holds more
 * than 2 starts (a start is no later than the request's arrival at the service, so this
 * is the bound the service sees, plus the proof in pacer.h for later arrivals). */
static void test_musicbrainz_pacer_threads(void **state)
{
    (void)state;
    struct pace_run r = {.rl = pacer_new(2, 150), .per_thread = 4, .work_ms = 5};
    pthread_t th[4];
    pthread_mutex_init(&r.mu, NULL);
    assert_non_null(r.rl);
    for (int i = 0; i < 4; i++)
        assert_int_equal(pthread_create(&th[i], NULL, pace_worker, &r), 0);
    for (int i = 0; i < 4; i++)
        pthread_join(th[i], NULL);
    assert_int_equal(r.n, 16);
    qsort(r.starts, (size_t)r.n, sizeof r.starts[0], cmp_i64);
    for (int i = 2; i < r.n; i++)
        if (r.starts[i] - r.starts[i - 2] < 150)
            fail_msg("3 starts within %lld ms", (long long)(r.starts[i] - r.starts[i - 2]));
    /* 16 requests at 2 per 150 ms (counted from each answer): at least 7 windows */
    assert_true(r.starts[r.n - 1] - r.starts[0] >= 7 * 150);
    pthread_mutex_destroy(&r.mu);
    pacer_free(r.rl);
}

/* A slot's window runs from its request's ANSWER: a slow request delays the next. */
static void test_musicbrainz_pacer_counts_from_answer(void **state)
{
    (void)state;
    struct pacer *rl = pacer_new(1, 100);
    int slot = pacer_acquire(rl, NULL, 0, NULL);
    assert_int_equal(slot, 0);
    sleep_ms(80); /* the answer comes 80 ms later */
    int64_t answered = util_now_ms();
    pacer_release(rl, slot, answered);
    int64_t waited = -1;
    slot = pacer_acquire(rl, NULL, 0, &waited);
    assert_int_equal(slot, 0);
    assert_true(util_now_ms() - answered >= 100);
    pacer_release(rl, slot, util_now_ms());
    /* hold: nobody starts before it */
    int64_t until = util_now_ms() + 300;
    pacer_hold(rl, until);
    pacer_hold(rl, until - 200); /* an earlier hold changes nothing */
    slot = pacer_acquire(rl, NULL, 0, NULL);
    assert_true(util_now_ms() >= until);
    pacer_release(rl, slot, util_now_ms());
    pacer_free(rl);
}

struct stopper {
    atomic_int *stop;
};

static void *set_stop_later(void *arg)
{
    struct stopper *s = arg;
    sleep_ms(50);
    atomic_store(s->stop, 1); /* below the level the waiter stops at: it keeps waiting */
    sleep_ms(100);
    atomic_store(s->stop, 2);
    return NULL;
}

/* A waiter gives up when told to stop, and leaves the queue for those behind it. */
static void test_musicbrainz_pacer_stop(void **state)
{
    (void)state;
    struct pacer *rl = pacer_new(1, 100);
    atomic_int stop = 0;
    struct stopper s = {&stop};
    pthread_t th;
    int busy = pacer_acquire(rl, NULL, 0, NULL); /* never answered: the slot stays busy */
    assert_int_equal(pthread_create(&th, NULL, set_stop_later, &s), 0);
    int64_t waited = 0;
    assert_int_equal(pacer_acquire(rl, &stop, 2, &waited), -1);
    assert_true(waited >= 100); /* not at level 1 (50 ms in), at level 2 (150 ms in) */
    pthread_join(th, NULL);
    pacer_release(rl, busy, util_now_ms() - 1000);
    assert_int_equal(pacer_acquire(rl, NULL, 0, NULL), 0); /* the queue moved on */
    pacer_free(rl);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_musicbrainz_parse_recordings),
        cmocka_unit_test(test_musicbrainz_parse_artists_genres_errors),
        cmocka_unit_test(test_musicbrainz_codes_and_user_agent),
        cmocka_unit_test(test_musicbrainz_pacer_threads),
        cmocka_unit_test(test_musicbrainz_pacer_counts_from_answer),
        cmocka_unit_test(test_musicbrainz_pacer_stop),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
