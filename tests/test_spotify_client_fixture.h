/* Fixture of the Spotify client integration tests (tests/test_spotify_client_read.c and
 * tests/test_spotify_client_write.c): the emulator process
 * ($PLAYROUTER_BUILD_DIR/spotify-emulator, started by each test executable with --port 0
 * and stopped with SIGTERM at the end), its /__admin API, and a client with a counting
 * token source in both API modes. Header-only; the functions are static inline so that
 * a file that uses only some of them does not trip -Wunused-function. */
#ifndef PLAYROUTER_TEST_SPOTIFY_CLIENT_FIXTURE_H
#define PLAYROUTER_TEST_SPOTIFY_CLIENT_FIXTURE_H
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
#include <jansson.h>
#include <pthread.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "lib/app_err.h"
#include "lib/arena.h"
#include "lib/buf.h"
#include "lib/util.h"
#include "services/cache/cache.h"
#include "services/metadata/metadata.h"
#include "services/spotify/spotify_client.h"
#include "services/spotify/write_plan.h"

/* ---- The emulator process and its admin API -------------------------------------- */

static pid_t emu_pid = -1;
static FILE *emu_out;
static char emu_base[256]; /* http://127.0.0.1:PORT */
static char api_base[160]; /* .../v1 */
static int emu_missing;

static inline int emu_start(void **state)
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

static inline int emu_stop(void **state)
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

static inline size_t collect(char *d, size_t s, size_t n, void *ud)
{
    return buf_append(ud, d, s * n) == 0 ? s * n : 0;
}

/* An /__admin call; body is stolen (NULL = none). Returns the parsed answer. */
static inline json_t *admin(const char *method, const char *path, json_t *body)
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

static inline void admin_do(const char *method, const char *path, json_t *body)
{
    json_decref(admin(method, path, body));
}

/* Requests the emulator answered on a route ("GET /v1/artists") with a status (-1 = any). */
static inline long count(const char *route, int status)
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
static inline long count_all(void)
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
static inline char *make_playlist(int size, bool plain)
{
    json_t *r = admin("POST", "/playlists",
                      json_pack("{s:s, s:s, s:i, s:b}", "owner", "demo", "name", "test", "size",
                                size, "plain", plain));
    char *id = strdup(json_string_value(json_object_get(r, "id")));
    json_decref(r);
    return id;
}

/* The playlist's uris as the emulator sees them (caller frees with json_decref). */
static inline json_t *playlist_uris(const char *id)
{
    char path[128];
    snprintf(path, sizeof(path), "/playlists/%s", id);
    json_t *p = admin("GET", path, NULL);
    json_t *uris = json_incref(json_object_get(p, "uris"));
    json_decref(p);
    return uris;
}

static inline void set_playlist(const char *id, const char *const *uris, size_t n)
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

static inline void mint(struct toksrc *t)
{
    json_t *r = admin("POST", "/tokens", json_pack("{s:s}", "user", "demo"));
    snprintf(t->token, sizeof(t->token), "%s",
             json_string_value(json_object_get(r, "access_token")));
    json_decref(r);
    t->minted++;
}

static inline int tok_get(void *ud, int force, char **token, int *made)
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
static inline void on_request(void *ud, const char *endpoint, long status)
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
    struct report rep; /* what the client's calls report (a failure's message) */
};

static const enum spotify_mode DEV = SPOTIFY_MODE_DEVELOPMENT, EXT = SPOTIFY_MODE_EXTENDED;

static inline int fx_setup(void **state)
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
    o.mode = f->mode;
    o.backoff_base_ms = 20;
    o.on_request = on_request;
    assert_int_equal(spotify_client_new(&o, &ts, &f->c), 0);
    f->a = arena_new();
    *state = f;
    return 0;
}

static inline int fx_teardown(void **state)
{
    if (emu_missing)
        return 0;
    struct fx *f = *state;
    spotify_client_free(f->c);
    report_release(&f->rep);
    arena_free(f->a);
    free(f);
    return 0;
}

#define NEED_EMULATOR()                                                                            \
    do {                                                                                           \
        if (emu_missing)                                                                           \
            fail_msg("the spotify-emulator binary did not start (it is built with the project)");  \
    } while (0)

static inline const char *items_route(const struct fx *f, const char *method)
{
    static char r[64];
    snprintf(r, sizeof(r), "%s /v1/playlists/{id}/%s", method, f->mode == EXT ? "tracks" : "items");
    return r;
}

/* ---- Catalogue --------------------------------------------------------------------- */

/* The first `want` tracks' ids or uris (track_key) and, when artists/albums are not
 * NULL, up to `want` distinct artist and album ids (admin view; *keep owns the
 * strings: json_decref it). */
static inline void catalogue_ids(const char **artists, size_t *na, const char **albums, size_t *nb,
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

#define BOTH(t)                                                                                    \
    cmocka_unit_test_prestate_setup_teardown(t, fx_setup, fx_teardown, (void *)&DEV),              \
        cmocka_unit_test_prestate_setup_teardown(t, fx_setup, fx_teardown, (void *)&EXT)

#endif
