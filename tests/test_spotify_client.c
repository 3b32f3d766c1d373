/* Integration tests of the Spotify client against the emulator
 * ($PLAYROUTER_BUILD_DIR/spotify-emulator, started here with --port 0 and stopped with
 * SIGTERM at the end). One emulator serves every test; each test resets its knobs,
 * counters and request log and picks the API mode through /__admin/config.
 * What the emulator counted (/__admin/counters, /__admin/requests) is the referee. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <curl/curl.h>
#include <fcntl.h>
#include <pthread.h>
#include <time.h>
#include <jansson.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "server/app_err.h"
#include "server/arena.h"
#include "server/buf.h"
#include "server/util.h"
#include "services/cache.h"
#include "services/metadata.h"
#include "services/spotify_client.h"
#include "services/write_plan.h"

/* ---- The emulator process and its admin API -------------------------------------- */

static pid_t emu_pid = -1;
static FILE *emu_out;
static char emu_base[256]; /* http://127.0.0.1:PORT */
static char api_base[160]; /* .../v1 */
static int emu_missing;

static int emu_start(void **state)
{
    (void)state;
    const char *dir = getenv("PLAYROUTER_BUILD_DIR");
    char bin[512], line[256];
    int fds[2];
    curl_global_init(CURL_GLOBAL_DEFAULT);
    snprintf(bin, sizeof(bin), "%s/spotify-emulator", dir ? dir : "build");
    if (access(bin, X_OK) != 0) {
        fprintf(stderr, "no emulator at %s: tests skipped\n", bin);
        emu_missing = 1;
        return 0;
    }
    if (pipe(fds) != 0)
        return -1;
    emu_pid = fork();
    if (emu_pid == 0) {
        dup2(fds[1], 1);
        close(fds[0]);
        close(fds[1]);
        if (!getenv("PLAYROUTER_TEST_VERBOSE")) {
            int nul = open("/dev/null", O_WRONLY);
            dup2(nul, 2);
        }
        execl(bin, bin, "--port", "0", "--threads", "8", "--seed", "7", (char *)NULL);
        _exit(127);
    }
    close(fds[1]);
    emu_out = fdopen(fds[0], "r"); /* kept open: the emulator may print more */
    while (fgets(line, sizeof(line), emu_out)) {
        if (strncmp(line, "listening on ", 13) == 0) {
            line[strcspn(line, "\r\n")] = '\0';
            /* "http://127.0.0.1:PORT" is short; refuse anything that would not fit. */
            if (strlen(line + 13) + sizeof "/v1" > sizeof(api_base))
                break;
            memcpy(emu_base, line + 13, strlen(line + 13) + 1);
            memcpy(api_base, emu_base, strlen(emu_base));
            memcpy(api_base + strlen(emu_base), "/v1", sizeof "/v1");
            return 0;
        }
    }
    fprintf(stderr, "emulator did not start\n");
    return -1;
}

static int emu_stop(void **state)
{
    (void)state;
    int status = 0, rc = 0;
    if (emu_pid > 0) {
        kill(emu_pid, SIGTERM);
        waitpid(emu_pid, &status, 0);
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
            fprintf(stderr, "emulator exited with status %d\n", status);
            rc = -1;
        }
    }
    if (emu_out)
        fclose(emu_out);
    curl_global_cleanup();
    return rc;
}

static size_t collect(char *d, size_t s, size_t n, void *ud)
{
    return buf_append(ud, d, s * n) == 0 ? s * n : 0;
}

/* An /__admin call; body is stolen (NULL = none). Returns the parsed answer. */
static json_t *admin(const char *method, const char *path, json_t *body)
{
    CURL *e = curl_easy_init();
    struct buf url = BUF_INIT, out = BUF_INIT;
    char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;
    long status = 0;
    assert_int_equal(buf_appendf(&url, "%s/__admin%s", emu_base, path), 0);
    curl_easy_setopt(e, CURLOPT_URL, url.data);
    curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, &out);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    if (text)
        curl_easy_setopt(e, CURLOPT_POSTFIELDS, text);
    assert_int_equal(curl_easy_perform(e), CURLE_OK);
    curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &status);
    if (status >= 400)
        fprintf(stderr, "admin %s %s -> %ld %s\n", method, path, status, out.data);
    assert_true(status < 400);
    json_t *j = out.len ? json_loadb(out.data, out.len, 0, NULL) : json_object();
    assert_non_null(j);
    curl_easy_cleanup(e);
    buf_release(&url);
    buf_release(&out);
    free(text);
    json_decref(body);
    return j;
}

static void admin_do(const char *method, const char *path, json_t *body)
{
    json_decref(admin(method, path, body));
}

/* Requests the emulator answered on a route ("GET /v1/artists") with a status (-1 = any). */
static long count(const char *route, int status)
{
    json_t *c = admin("GET", "/counters", NULL);
    json_t *by = json_object_get(c, route);
    long n = 0;
    const char *k;
    json_t *v;
    json_object_foreach(by, k, v)
    {
        if (status < 0 || atoi(k) == status)
            n += (long)json_integer_value(v);
    }
    json_decref(c);
    return n;
}

/* Every request the emulator counted on /v1 routes. */
static long count_all(void)
{
    json_t *c = admin("GET", "/counters", NULL);
    long n = 0;
    const char *route, *k;
    json_t *by, *v;
    json_object_foreach(c, route, by)
    {
        json_object_foreach(by, k, v) n += (long)json_integer_value(v);
    }
    json_decref(c);
    return n;
}

/* A playlist of `size` generated entries (plain = tracks only) owned by demo. */
static char *make_playlist(int size, bool plain)
{
    json_t *r = admin("POST", "/playlists",
                      json_pack("{s:s, s:s, s:i, s:b}", "owner", "demo", "name", "test", "size",
                                size, "plain", plain));
    char *id = strdup(json_string_value(json_object_get(r, "id")));
    json_decref(r);
    return id;
}

/* The playlist's uris as the emulator sees them (caller frees with json_decref). */
static json_t *playlist_uris(const char *id)
{
    char path[128];
    snprintf(path, sizeof(path), "/playlists/%s", id);
    json_t *p = admin("GET", path, NULL);
    json_t *uris = json_incref(json_object_get(p, "uris"));
    json_decref(p);
    return uris;
}

static void set_playlist(const char *id, const char *const *uris, size_t n)
{
    char path[128];
    json_t *arr = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(arr, json_string(uris[i]));
    snprintf(path, sizeof(path), "/playlists/%s", id);
    admin_do("PUT", path, json_pack("{s:o}", "uris", arr));
}

/* ---- Fixture: a client with a counting token source ------------------------------ */

struct toksrc {
    int calls, forced, minted;
    bool stale; /* a forced refresh hands back the same (expired) token */
    char token[256];
};

static void mint(struct toksrc *t)
{
    json_t *r = admin("POST", "/tokens", json_pack("{s:s}", "user", "demo"));
    snprintf(t->token, sizeof(t->token), "%s", json_string_value(json_object_get(r, "access_token")));
    json_decref(r);
    t->minted++;
}

static int tok_get(void *ud, int force, char **token, int *made)
{
    struct toksrc *t = ud;
    t->calls++;
    *made = 0;
    if (force)
        t->forced++;
    if (!t->token[0] || (force && !t->stale)) {
        mint(t);
        *made = 1; /* as a refresh would: one request to the accounts service */
    }
    *token = strdup(t->token);
    return *token ? 0 : ERR_NOMEM;
}

static unsigned long hook_calls;
static void on_request(void *ud, const char *endpoint, long status)
{
    (void)ud;
    assert_non_null(endpoint);
    assert_true(status >= 0);
    hook_calls++;
}

struct fx {
    enum spotify_mode mode;
    struct toksrc ts;
    struct spotify_client *c;
    struct arena *a;
};

static const enum spotify_mode DEV = SPOTIFY_MODE_DEVELOPMENT, EXT = SPOTIFY_MODE_EXTENDED;

static int fx_setup(void **state)
{
    if (emu_missing)
        return 0;
    const enum spotify_mode *mode = *state;
    struct fx *f = calloc(1, sizeof(*f));
    struct spotify_client_opts o = {0};
    f->mode = mode ? *mode : SPOTIFY_MODE_DEVELOPMENT;
    admin_do("POST", "/reset", NULL);
    admin_do("PUT", "/config",
             json_pack("{s:s}", "mode", f->mode == EXT ? "extended" : "development"));
    mint(&f->ts); /* so the first call makes no token request */
    f->ts.minted = 0;
    struct spotify_token_source ts = {tok_get, &f->ts};
    o.api_base = api_base;
    o.accounts_base = emu_base;
    o.mode = f->mode;
    o.backoff_base_ms = 20;
    o.on_request = on_request;
    assert_int_equal(spotify_client_new(&o, &ts, &f->c), 0);
    f->a = arena_new();
    *state = f;
    return 0;
}

static int fx_teardown(void **state)
{
    if (emu_missing)
        return 0;
    struct fx *f = *state;
    spotify_client_free(f->c);
    arena_free(f->a);
    free(f);
    return 0;
}

#define NEED_EMULATOR() \
    do {                \
        if (emu_missing) \
            skip();     \
    } while (0)

static const char *items_route(const struct fx *f, const char *method)
{
    static char r[64];
    snprintf(r, sizeof(r), "%s /v1/playlists/{id}/%s", method, f->mode == EXT ? "tracks" : "items");
    return r;
}

/* ---- Reads ------------------------------------------------------------------------- */

static void test_spotify_client_reads_pages_in_order(void **state)
{
    NEED_EMULATOR();
    struct fx *f = *state;
    const int n = 1234;
    char *id = make_playlist(n, false); /* with local files, episodes and duplicates */
    struct spotify_playlist pl;
    struct spotify_stats st;
    admin_do("DELETE", "/counters", NULL);
    spotify_client_stats_reset(f->c);
    hook_calls = 0;

    assert_int_equal(spotify_client_get_playlist(f->c, f->a, id, false, &pl), 0);
    json_t *uris = playlist_uris(id);
    assert_int_equal(pl.n_items, n);
    assert_int_equal(json_array_size(uris), n);
    size_t kinds[4] = {0};
    for (size_t i = 0; i < pl.n_items; i++) {
        assert_non_null(pl.items[i].uri);
        assert_string_equal(pl.items[i].uri, json_string_value(json_array_get(uris, i)));
        assert_int_equal(pl.items[i].track.base_index, i);
        kinds[pl.items[i].kind]++;
    }
    assert_true(kinds[SPOTIFY_ITEM_TRACK] > 0);
    assert_true(kinds[SPOTIFY_ITEM_LOCAL] + kinds[SPOTIFY_ITEM_EPISODE] > 0);

    /* 1 request with the first 100 embedded, then pages of 50 (dev) / 100 (ext). */
    long page = f->mode == EXT ? 100 : 50;
    assert_int_equal(count("GET /v1/playlists/{id}", 200), 1);
    assert_int_equal(count(items_route(f, "GET"), 200), (n - 100 + page - 1) / page);
    spotify_client_stats(f->c, &st);
    assert_int_equal((long)st.requests, count_all());
    assert_int_equal(hook_calls, st.requests); /* the metrics hook saw each one */
    assert_int_equal(spotify_stats_count(&st, "GET /playlists/{id}", 200), 1);

    /* at most `parallelism` connections were opened... */
    assert_true(st.connects >= 1 && st.connects <= SPOTIFY_DEFAULT_PARALLELISM);

    /* ...and kept alive: a second read (uris only) opens none. */
    struct spotify_playlist pl2;
    spotify_client_stats_reset(f->c);
    assert_int_equal(spotify_client_get_playlist(f->c, f->a, id, true, &pl2), 0);
    spotify_client_stats(f->c, &st);
    assert_int_equal(st.connects, 0);
    assert_int_equal(pl2.n_items, n);
    for (size_t i = 0; i < pl2.n_items; i++)
        assert_string_equal(pl2.items[i].uri, pl.items[i].uri);
    assert_null(pl2.items[0].track.name);

    /* the snapshot check: one request, the emulator's snapshot id */
    struct spotify_playlist_info info;
    admin_do("DELETE", "/counters", NULL);
    assert_int_equal(spotify_client_get_playlist_info(f->c, f->a, id, &info), 0);
    assert_int_equal(count_all(), 1);
    assert_int_equal(info.total, n);
    assert_string_equal(info.snapshot_id, pl.info.snapshot_id);
    assert_string_equal(info.owner_id, "demo");
    json_decref(uris);
    free(id);
}

static void test_spotify_client_small_and_empty_playlists(void **state)
{
    NEED_EMULATOR();
    struct fx *f = *state;
    int sizes[] = {0, 1, 100, 101, 150};
    for (size_t k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
        char *id = make_playlist(sizes[k], true);
        struct spotify_playlist pl;
        admin_do("DELETE", "/counters", NULL);
        assert_int_equal(spotify_client_get_playlist(f->c, f->a, id, false, &pl), 0);
        assert_int_equal(pl.n_items, sizes[k]);
        long page = f->mode == EXT ? 100 : 50;
        long pages = sizes[k] > 100 ? (sizes[k] - 100 + page - 1) / page : 0;
        assert_int_equal(count_all(), 1 + pages);
        free(id);
    }
}

static void test_spotify_client_not_found_and_forbidden(void **state)
{
    NEED_EMULATOR();
    struct fx *f = *state;
    struct spotify_playlist pl;
    assert_int_equal(spotify_client_get_playlist(f->c, f->a, "0000000000000000000000", false, &pl),
                     ERR_NOT_FOUND);
    assert_non_null(strstr(spotify_client_last_error(f->c), "not found"));
    if (f->mode == DEV) { /* someone else's playlist: 403 in development mode */
        json_t *ps = admin("GET", "/playlists?owner=alice", NULL);
        const char *id = json_string_value(json_object_get(json_array_get(json_object_get(ps, "playlists"), 0), "id"));
        assert_non_null(id);
        assert_int_equal(spotify_client_get_playlist(f->c, f->a, id, false, &pl), ERR_NOT_FOUND);
        assert_non_null(strstr(spotify_client_last_error(f->c), "may not read"));
        json_decref(ps);
    }
}

struct bg_read {
    struct fx *f;
    const char *id;
    struct spotify_playlist pl;
    int rc;
};

static void *bg_read_main(void *arg)
{
    struct bg_read *b = arg;
    b->rc = spotify_client_get_playlist(b->f->c, b->f->a, b->id, true, &b->pl);
    return NULL;
}

/* Entries added while the pages are in flight: the pages disagree with the first
 * answer's total, so the read starts again and returns the playlist as it is now. */
static void test_spotify_client_read_restarts_when_playlist_changes(void **state)
{
    NEED_EMULATOR();
    struct fx *f = *state;
    char *id = make_playlist(400, true);
    struct bg_read b = {f, id, {{0}, NULL, 0}, -1};
    pthread_t th;
    json_t *uris = playlist_uris(id);
    const char *extra = json_string_value(json_array_get(uris, 0));
    char path[128];
    snprintf(path, sizeof(path), "/playlists/%s/items", id);

    admin_do("PUT", "/latency", json_pack("{s:i}", "ms", 400));
    assert_int_equal(pthread_create(&th, NULL, bg_read_main, &b), 0);
    /* first answer at ~400 ms, pages answered at ~800 ms: change the playlist between */
    struct timespec ts = {0, 600 * 1000000L};
    nanosleep(&ts, NULL);
    admin_do("POST", path, json_pack("{s:[s,s]}", "uris", extra, extra));
    pthread_join(th, NULL);
    admin_do("PUT", "/latency", json_pack("{s:i}", "ms", 0));

    assert_int_equal(b.rc, 0);
    assert_int_equal(count("GET /v1/playlists/{id}", 200), 2); /* read twice */
    json_t *now = playlist_uris(id);
    assert_int_equal(b.pl.n_items, json_array_size(now));
    assert_int_equal(b.pl.n_items, 402);
    for (size_t i = 0; i < b.pl.n_items; i++)
        assert_string_equal(b.pl.items[i].uri, json_string_value(json_array_get(now, i)));
    json_decref(now);
    json_decref(uris);
    free(id);
}

/* ---- Retries ------------------------------------------------------------------------ */

static void test_spotify_client_5xx_retried_4xx_not(void **state)
{
    NEED_EMULATOR();
    struct fx *f = *state;
    char *id = make_playlist(10, true);
    struct spotify_playlist_info info;

    admin_do("POST", "/faults", json_pack("{s:s, s:s, s:i, s:i}", "method", "GET", "path_prefix",
                                          "/v1/playlists/", "status", 503, "count", 2));
    assert_int_equal(spotify_client_get_playlist_info(f->c, f->a, id, &info), 0);
    assert_int_equal(count("GET /v1/playlists/{id}", 503), 2);
    assert_int_equal(count("GET /v1/playlists/{id}", 200), 1);

    /* a dropped connection is retried too */
    admin_do("DELETE", "/counters", NULL);
    admin_do("POST", "/faults", json_pack("{s:s, s:s, s:b, s:i}", "method", "GET", "path_prefix",
                                          "/v1/playlists/", "drop", 1, "count", 1));
    assert_int_equal(spotify_client_get_playlist_info(f->c, f->a, id, &info), 0);
    assert_int_equal(count("GET /v1/playlists/{id}", 200), 1);

    /* a 5xx that never ends: max_attempts (4) requests, then a clear error */
    admin_do("DELETE", "/counters", NULL);
    admin_do("POST", "/faults", json_pack("{s:s, s:s, s:i, s:i}", "method", "GET", "path_prefix",
                                          "/v1/playlists/", "status", 502, "count", -1));
    assert_int_equal(spotify_client_get_playlist_info(f->c, f->a, id, &info), ERR_SPOTIFY);
    assert_int_equal(count("GET /v1/playlists/{id}", 502), SPOTIFY_DEFAULT_MAX_ATTEMPTS);
    assert_non_null(strstr(spotify_client_last_error(f->c), "502"));
    admin_do("DELETE", "/faults", NULL);

    /* a 400 is not retried; Spotify's message is kept */
    admin_do("DELETE", "/counters", NULL);
    admin_do("POST", "/faults",
             json_pack("{s:s, s:s, s:i, s:i, s:s}", "method", "GET", "path_prefix",
                       "/v1/playlists/", "status", 400, "count", 1, "message", "Bad thing"));
    assert_int_equal(spotify_client_get_playlist_info(f->c, f->a, id, &info), ERR_SPOTIFY);
    assert_int_equal(count("GET /v1/playlists/{id}", -1), 1);
    assert_non_null(strstr(spotify_client_last_error(f->c), "Bad thing"));
    free(id);
}

static void test_spotify_client_429_storm_honours_retry_after(void **state)
{
    NEED_EMULATOR();
    struct fx *f = *state;
    const int n = 900;
    char *id = make_playlist(n, true);
    struct spotify_playlist pl;
    struct spotify_stats st;
    admin_do("DELETE", "/requests", NULL);
    admin_do("DELETE", "/counters", NULL);
    spotify_client_stats_reset(f->c);
    admin_do("PUT", "/rate-limit",
             json_pack("{s:i, s:i, s:i}", "max", 4, "window_ms", 1000, "retry_after", 1));

    assert_int_equal(spotify_client_get_playlist(f->c, f->a, id, true, &pl), 0);
    assert_int_equal(pl.n_items, n);
    spotify_client_stats(f->c, &st);
    assert_true(st.rate_limited > 0);
    assert_true(st.wait_ms >= 900);
    assert_int_equal((long)st.requests, count_all());

    /* Every 429'd request came back no earlier than Retry-After (1 s) after its 429. */
    json_t *log = admin("GET", "/requests?since_ms=0", NULL);
    json_t *reqs = json_object_get(log, "requests");
    size_t n429 = 0;
    for (size_t i = 0; i < json_array_size(reqs); i++) {
        json_t *r = json_array_get(reqs, i);
        if (json_integer_value(json_object_get(r, "status")) != 429)
            continue;
        n429++;
        const char *p = json_string_value(json_object_get(r, "path"));
        const char *q = json_string_value(json_object_get(r, "query"));
        json_int_t end = json_integer_value(json_object_get(r, "end_ms"));
        for (size_t j = i + 1; j < json_array_size(reqs); j++) {
            json_t *s = json_array_get(reqs, j);
            if (strcmp(p, json_string_value(json_object_get(s, "path"))) != 0 ||
                strcmp(q ? q : "", json_string_value(json_object_get(s, "query"))
                                       ? json_string_value(json_object_get(s, "query"))
                                       : "") != 0)
                continue;
            json_int_t t = json_integer_value(json_object_get(s, "t_ms"));
            if (t < end + 1000 - 5)
                fprintf(stderr, "retried %lld ms after its 429\n", (long long)(t - end));
            assert_true(t >= end + 1000 - 5);
            break;
        }
    }
    assert_int_equal(n429, st.rate_limited);
    json_decref(log);

    /* halved by the storm, then grown back step by step once the limit is gone */
    int low = spotify_client_parallelism(f->c);
    assert_true(low < SPOTIFY_DEFAULT_PARALLELISM);
    admin_do("DELETE", "/rate-limit", NULL);
    assert_int_equal(spotify_client_get_playlist(f->c, f->a, id, true, &pl), 0);
    assert_true(spotify_client_parallelism(f->c) > low);
    free(id);
}

static void test_spotify_client_quota_and_long_retry_after_fail_at_once(void **state)
{
    NEED_EMULATOR();
    struct fx *f = *state;
    char *id = make_playlist(5, true);
    struct spotify_playlist_info info;

    admin_do("PUT", "/quota", json_pack("{s:b, s:i}", "enabled", 1, "retry_after", 3600));
    assert_int_equal(spotify_client_get_playlist_info(f->c, f->a, id, &info), ERR_RATE_LIMITED);
    assert_int_equal(count_all(), 1);
    assert_non_null(strstr(spotify_client_last_error(f->c), "quota"));
    assert_non_null(strstr(spotify_client_last_error(f->c), "retry after 3600 s (at "));
    admin_do("PUT", "/quota", json_pack("{s:b}", "enabled", 0));

    /* Retry-After beyond the cap (60 s): no waiting, the time is in the message */
    admin_do("DELETE", "/counters", NULL);
    admin_do("PUT", "/rate-limit",
             json_pack("{s:i, s:i, s:i}", "max", 1, "window_ms", 60000, "retry_after", 120));
    assert_int_equal(spotify_client_get_playlist_info(f->c, f->a, id, &info), 0);
    int64_t t0 = util_now_ms();
    assert_int_equal(spotify_client_get_playlist_info(f->c, f->a, id, &info), ERR_RATE_LIMITED);
    assert_true(util_now_ms() - t0 < 2000);
    assert_int_equal(count_all(), 2);
    assert_non_null(strstr(spotify_client_last_error(f->c),
                           "Spotify rate limit: retry after 120 s (at "));
    free(id);
}

static void test_spotify_client_401_refreshes_once(void **state)
{
    NEED_EMULATOR();
    struct fx *f = *state;
    char *id = make_playlist(5, true);
    struct spotify_playlist_info info;
    struct spotify_stats st;
    spotify_client_stats_reset(f->c);
    admin_do("POST", "/tokens/expire", NULL);
    assert_int_equal(spotify_client_get_playlist_info(f->c, f->a, id, &info), 0);
    assert_int_equal(f->ts.forced, 1);
    assert_int_equal(f->ts.minted, 1);
    assert_int_equal(count("GET /v1/playlists/{id}", 401), 1);
    assert_int_equal(count("GET /v1/playlists/{id}", 200), 1);
    spotify_client_stats(f->c, &st);
    assert_int_equal(st.token_requests, 1);
    assert_int_equal(st.requests, 3); /* 401, token refresh, 200 */

    /* a refresh that does not help: one retry only, then "sign in again" */
    admin_do("DELETE", "/counters", NULL);
    f->ts.stale = true;
    admin_do("POST", "/tokens/expire", NULL);
    assert_int_equal(spotify_client_get_playlist_info(f->c, f->a, id, &info), ERR_SPOTIFY_REAUTH);
    assert_int_equal(count("GET /v1/playlists/{id}", 401), 2);
    assert_int_equal(f->ts.forced, 2);
    free(id);
}

/* ---- Metadata ------------------------------------------------------------------------ */

/* The first `want` tracks' ids or uris (track_key) and, when artists/albums are not
 * NULL, up to `want` distinct artist and album ids (admin view; *keep owns the
 * strings: json_decref it). */
static void catalogue_ids(const char **artists, size_t *na, const char **albums, size_t *nb,
                          const char **tracks, size_t *nt, size_t want, json_t **keep,
                          const char *track_key /* "id" or "uri" */)
{
    json_t *all = admin("GET", "/tracks", NULL);
    json_t *arr = json_object_get(all, "tracks");
    *na = *nb = *nt = 0;
    for (size_t i = 0; i < json_array_size(arr); i++) {
        json_t *t = json_array_get(arr, i);
        if (*nt < want)
            tracks[(*nt)++] = json_string_value(json_object_get(t, track_key));
        json_t *ars = json_object_get(t, "artists");
        for (size_t j = 0; artists && j < json_array_size(ars); j++) {
            const char *id = json_string_value(json_object_get(json_array_get(ars, j), "id"));
            bool seen = false;
            for (size_t k = 0; k < *na && !seen; k++)
                seen = strcmp(artists[k], id) == 0;
            if (!seen && *na < want)
                artists[(*na)++] = id;
        }
        const char *al = json_string_value(json_object_get(json_object_get(t, "album"), "id"));
        bool seen = !albums;
        for (size_t k = 0; k < *nb && !seen; k++)
            seen = strcmp(albums[k], al) == 0;
        if (!seen && *nb < want)
            albums[(*nb)++] = al;
    }
    *keep = all;
}

static void test_spotify_client_batch_limits(void **state)
{
    NEED_EMULATOR();
    struct fx *f = *state;
    const char *artists[130], *albums[130], *tracks[130];
    size_t na, nb, nt;
    json_t *keep;
    catalogue_ids(artists, &na, albums, &nb, tracks, &nt, 121, &keep, "id");
    assert_int_equal(na, 121);
    assert_int_equal(nb, 121);
    artists[na++] = "0000000000000000000000"; /* unknown: answered null */
    struct spotify_artist *ar = arena_alloc(f->a, na * sizeof(*ar));
    struct spotify_album *al = arena_alloc(f->a, nb * sizeof(*al));
    struct track *tr = arena_alloc(f->a, nt * sizeof(*tr));
    admin_do("DELETE", "/counters", NULL);

    if (f->mode == DEV) { /* not served: refused without a request */
        assert_int_equal(spotify_client_get_artists(f->c, f->a, artists, na, ar), ERR_SPOTIFY);
        assert_non_null(strstr(spotify_client_last_error(f->c), "Development Mode"));
        assert_int_equal(count_all(), 0);
        json_decref(keep);
        return;
    }
    assert_int_equal(spotify_client_get_artists(f->c, f->a, artists, na, ar), 0);
    assert_int_equal(spotify_client_get_albums(f->c, f->a, albums, nb, al), 0);
    assert_int_equal(spotify_client_get_tracks(f->c, f->a, tracks, nt, tr), 0);
    assert_int_equal(count("GET /v1/artists", 200), 3);  /* ceil(122 / 50) */
    assert_int_equal(count("GET /v1/albums", 200), 7);   /* ceil(121 / 20) */
    assert_int_equal(count("GET /v1/tracks", 200), 3);   /* ceil(121 / 50) */
    for (size_t i = 0; i + 1 < na; i++) {
        assert_non_null(ar[i].id);
        assert_string_equal(ar[i].id, artists[i]);
        char path[64];
        snprintf(path, sizeof(path), "/artists/%s", artists[i]);
        json_t *want = admin("GET", path, NULL);
        assert_int_equal(ar[i].popularity, json_integer_value(json_object_get(want, "popularity")));
        assert_int_equal(ar[i].n_genres, json_array_size(json_object_get(want, "genres")));
        json_decref(want);
    }
    assert_null(ar[na - 1].id);
    for (size_t i = 0; i < nb; i++)
        assert_string_equal(al[i].id, albums[i]);
    for (size_t i = 0; i < nt; i++) {
        assert_string_equal(tr[i].id, tracks[i]);
        assert_true(tr[i].has & TRACK_HAS_POPULARITY);
    }
    json_decref(keep);
}

static void test_spotify_client_metadata_enrich_with_cache(void **state)
{
    NEED_EMULATOR();
    struct fx *f = *state;
    char *id = make_playlist(300, true);
    struct spotify_playlist pl;
    struct cache *cache = NULL;
    struct metadata_stats st = {0, 0, 0, 0};
    assert_int_equal(cache_new(NULL, &cache), 0);
    assert_int_equal(spotify_client_get_playlist(f->c, f->a, id, false, &pl), 0);
    struct track *t = arena_alloc(f->a, pl.n_items * sizeof(*t));
    for (size_t i = 0; i < pl.n_items; i++)
        t[i] = pl.items[i].track;
    admin_do("DELETE", "/counters", NULL);
    unsigned needs = RULE_NEEDS_ARTISTS | RULE_NEEDS_ALBUM;
    assert_int_equal(metadata_enrich(f->c, cache, NULL, f->a, t, pl.n_items, needs, &st), 0);
    if (f->mode == DEV) {
        assert_int_equal(count_all(), 0);
        assert_int_equal(st.cache_misses, 0);
        goto done;
    }
    /* unique ids only, each endpoint at its batch maximum */
    assert_int_equal(count("GET /v1/artists", 200), (long)(st.artists_fetched + 49) / 50);
    assert_int_equal(count("GET /v1/albums", 200), (long)(st.albums_fetched + 19) / 20);
    assert_int_equal(count_all(), count("GET /v1/artists", 200) + count("GET /v1/albums", 200));
    assert_int_equal(st.cache_hits, 0);
    for (size_t i = 0; i < pl.n_items; i += 37) {
        char path[64];
        snprintf(path, sizeof(path), "/tracks/%s", t[i].id);
        json_t *want = admin("GET", path, NULL);
        json_t *g = json_object_get(want, "genres");
        assert_int_equal(t[i].n_genres, json_array_size(g));
        for (size_t k = 0; k < t[i].n_genres; k++)
            assert_string_equal(t[i].genres[k], json_string_value(json_array_get(g, k)));
        assert_string_equal(t[i].label,
                            json_string_value(json_object_get(json_object_get(want, "album"), "label")));
        json_decref(want);
    }
    /* a second sync: everything from the cache, not one request */
    unsigned long misses = st.cache_misses;
    admin_do("DELETE", "/counters", NULL);
    for (size_t i = 0; i < pl.n_items; i++)
        t[i] = pl.items[i].track;
    assert_int_equal(metadata_enrich(f->c, cache, NULL, f->a, t, pl.n_items, needs, &st), 0);
    assert_int_equal(count_all(), 0);
    assert_int_equal(st.cache_hits, misses);
    assert_true(t[0].n_genres > 0 || t[1].n_genres > 0);
done:
    cache_free(cache);
    free(id);
}

/* ---- Writes -------------------------------------------------------------------------- */

static void test_spotify_client_create_playlist_and_me(void **state)
{
    NEED_EMULATOR();
    struct fx *f = *state;
    char *id = NULL;
    struct spotify_user me;
    assert_int_equal(spotify_client_get_me(f->c, f->a, &me), 0);
    assert_string_equal(me.id, "demo");
    assert_int_equal(spotify_client_create_playlist(f->c, "Child \"one\"", false, "made by tests", &id), 0);
    assert_non_null(id);
    char path[128];
    snprintf(path, sizeof(path), "/playlists/%s", id);
    json_t *p = admin("GET", path, NULL);
    assert_string_equal(json_string_value(json_object_get(p, "name")), "Child \"one\"");
    assert_string_equal(json_string_value(json_object_get(p, "owner")), "demo");
    assert_false(json_is_true(json_object_get(p, "public")));
    json_decref(p);
    assert_int_equal(count("POST /v1/me/playlists", -1), 1);
    /* a 5xx on create is not retried: the playlist may exist */
    admin_do("POST", "/faults", json_pack("{s:s, s:s, s:i, s:i}", "method", "POST", "path_prefix",
                                          "/v1/me/playlists", "status", 503, "count", 1));
    char *id2 = NULL;
    assert_int_equal(spotify_client_create_playlist(f->c, "x", false, NULL, &id2), ERR_SPOTIFY);
    assert_null(id2);
    assert_int_equal(count("POST /v1/me/playlists", -1), 2);
    free(id);
}

static long write_calls(const struct fx *f)
{
    return count(items_route(f, "POST"), -1) + count(items_route(f, "PUT"), -1) +
           count(items_route(f, "DELETE"), -1);
}

static uint64_t rng = 0x2545F4914F6CDD1DULL;
static size_t rnd(size_t n)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return n ? (size_t)(rng % n) : 0;
}

/* Random (current, target) pairs: apply through the client, read back through the
 * admin API, and count the calls the emulator saw against the plan. */
static void test_spotify_client_apply_target_property(void **state)
{
    NEED_EMULATOR();
    struct fx *f = *state;
    const char *pool[400];
    size_t na, nb, np;
    json_t *keep;
    catalogue_ids(NULL, &na, NULL, &nb, pool, &np, 400, &keep, "uri");
    assert_int_equal(np, 400);
    char *id = make_playlist(0, true);
    static const char *cur[700], *tgt[400];
    size_t total_calls = 0, total_bound = 0;
    int strategies[4] = {0};
    for (int iter = 0; iter < 48; iter++) {
        size_t n = iter % 2 ? 200 + rnd(200) : rnd(160), m = 0;
        for (size_t i = 0; i < n; i++) { /* a random distinct target */
            size_t j = i + rnd(400 - i);
            const char *x = pool[i];
            pool[i] = pool[j];
            pool[j] = x;
            tgt[i] = pool[i];
        }
        int kind = (int)rnd(4);
        for (size_t i = 0; i < n && m + 3 < 700; i++) { /* drifted current */
            if (kind == 0 && rnd(10) == 0)
                continue;
            if (kind == 1 && i >= n - n / 5)
                break; /* new tracks at the end of the target */
            if (rnd(12) == 0)
                cur[m++] = pool[399 - rnd(400 - n)]; /* foreign */
            cur[m++] = tgt[i];
            if (kind == 2 && rnd(30) == 0)
                cur[m++] = tgt[i];
        }
        if (kind == 3 && m > 2) /* a few moved */
            for (int k = 0, moves = 1 + (int)rnd(3); k < moves; k++) {
                size_t a = rnd(m), b = rnd(m);
                const char *x = cur[a];
                cur[a] = cur[b];
                cur[b] = x;
            }
        set_playlist(id, cur, m);
        struct write_plan plan = WRITE_PLAN_INIT;
        assert_int_equal(write_plan_build(cur, m, tgt, n, &plan), 0);
        struct spotify_apply_result res;
        admin_do("DELETE", "/counters", NULL);
        int rc = spotify_client_apply_target(f->c, id, cur, m, tgt, n, &res);
        if (rc != 0)
            fprintf(stderr, "apply: %s\n", spotify_client_last_error(f->c));
        assert_int_equal(rc, 0);
        json_t *got = playlist_uris(id);
        assert_int_equal(json_array_size(got), n);
        for (size_t i = 0; i < n; i++)
            assert_string_equal(json_string_value(json_array_get(got, i)), tgt[i]);
        json_decref(got);
        assert_int_equal(res.calls, plan.n_ops);
        assert_int_equal(write_calls(f), (long)plan.n_ops);
        assert_int_equal(count_all(), (long)plan.n_ops); /* writes only, no reads */
        assert_int_equal(res.replans, 0);
        total_calls += plan.n_ops;
        total_bound += write_plan_bound(cur, m, tgt, n);
        strategies[plan.strategy]++;
        write_plan_release(&plan);
    }
    fprintf(stderr,
            "apply property (%s): %zu calls vs %zu for full replaces; none=%d "
            "delete_insert=%d reorder=%d replace=%d\n",
            f->mode == EXT ? "extended" : "development", total_calls, total_bound,
            strategies[WRITE_PLAN_NONE], strategies[WRITE_PLAN_DELETE_INSERT],
            strategies[WRITE_PLAN_REORDER], strategies[WRITE_PLAN_REPLACE]);
    /* every strategy went through the emulator at least once */
    assert_true(strategies[WRITE_PLAN_DELETE_INSERT] > 0);
    assert_true(strategies[WRITE_PLAN_REORDER] > 0);
    assert_true(strategies[WRITE_PLAN_REPLACE] > 0);
    /* equal: not one request */
    admin_do("DELETE", "/counters", NULL);
    json_t *now = playlist_uris(id);
    size_t k = json_array_size(now);
    for (size_t i = 0; i < k; i++)
        cur[i] = json_string_value(json_array_get(now, i));
    struct spotify_apply_result res;
    assert_int_equal(spotify_client_apply_target(f->c, id, cur, k, cur, k, &res), 0);
    assert_int_equal(res.calls, 0);
    assert_int_equal(count_all(), 0);
    json_decref(now);
    json_decref(keep);
    free(id);
}

/* A POST add that answers 5xx is not sent again blindly: the playlist is re-read and the
 * rest planned from what is there. */
static void test_spotify_client_failed_add_replans(void **state)
{
    NEED_EMULATOR();
    struct fx *f = *state;
    const char *pool[200];
    size_t na, nb, np;
    json_t *keep;
    catalogue_ids(NULL, &na, NULL, &nb, pool, &np, 200, &keep, "uri");
    char *id = make_playlist(0, true);
    set_playlist(id, pool, 150);
    char pattern[64];
    snprintf(pattern, sizeof(pattern), "/v1/playlists/*/%s", f->mode == EXT ? "tracks" : "items");
    admin_do("POST", "/faults", json_pack("{s:s, s:s, s:i, s:i}", "method", "POST", "path_pattern",
                                          pattern, "status", 503, "count", 1));
    struct spotify_apply_result res;
    assert_int_equal(spotify_client_apply_target(f->c, id, pool, 150, pool, 170, &res), 0);
    assert_int_equal(res.replans, 1);
    assert_int_equal(count(items_route(f, "POST"), 503), 1);
    assert_int_equal(count(items_route(f, "POST"), -1), 2);
    assert_int_equal(count("GET /v1/playlists/{id}", 200), 1); /* the re-read */
    json_t *got = playlist_uris(id);
    assert_int_equal(json_array_size(got), 170);
    for (size_t i = 0; i < 170; i++)
        assert_string_equal(json_string_value(json_array_get(got, i)), pool[i]);
    json_decref(got);
    json_decref(keep);
    free(id);
}

#define BOTH(t)                                                                          \
    cmocka_unit_test_prestate_setup_teardown(t, fx_setup, fx_teardown, (void *)&DEV),    \
        cmocka_unit_test_prestate_setup_teardown(t, fx_setup, fx_teardown, (void *)&EXT)

int main(void)
{
    const struct CMUnitTest tests[] = {
        BOTH(test_spotify_client_reads_pages_in_order),
        BOTH(test_spotify_client_small_and_empty_playlists),
        BOTH(test_spotify_client_not_found_and_forbidden),
        BOTH(test_spotify_client_read_restarts_when_playlist_changes),
        BOTH(test_spotify_client_5xx_retried_4xx_not),
        BOTH(test_spotify_client_429_storm_honours_retry_after),
        BOTH(test_spotify_client_quota_and_long_retry_after_fail_at_once),
        BOTH(test_spotify_client_401_refreshes_once),
        BOTH(test_spotify_client_batch_limits),
        BOTH(test_spotify_client_metadata_enrich_with_cache),
        BOTH(test_spotify_client_create_playlist_and_me),
        BOTH(test_spotify_client_apply_target_property),
        BOTH(test_spotify_client_failed_add_replans),
    };
    return cmocka_run_group_tests(tests, emu_start, emu_stop);
}
