/* spotify-emulator: a local stand-in for Spotify's accounts service and Web API
 * (README.md). Start-up: flags, catalogue, socket, then exactly one line
 * "listening on http://127.0.0.1:PORT" on stdout. SIGTERM/SIGINT: clean exit 0. */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "catalog_file.h"
#include "emu.h"
#include "generator.h"
#include "knobs.h"

#define MAX_SPECS 64

struct opts {
    uint64_t seed;
    int tracks, artists, albums, episodes;
    bool no_demo;
    const char *catalog;
    const char *specs[MAX_SPECS];
    int nspecs;
    const char *liked[MAX_SPECS];
    int nliked;
    int latency_ms;
    int rate_max, rate_window;
    bool quota;
};

static void usage(FILE *f)
{
    fputs("usage: spotify-emulator [options]\n"
          "  --port N                 listen on 127.0.0.1:N (default 0 = a free port)\n"
          "  --mode development|extended   API flavour (default development)\n"
          "  --seed N                 generator seed (default 42)\n"
          "  --tracks N --artists N --albums N --episodes N   catalogue size\n"
          "                           (default 3000, 400, 800, 40)\n"
          "  --playlist OWNER:NAME:SIZE[:plain]   add a generated playlist (repeatable)\n"
          "  --liked USER:SIZE        give USER SIZE saved tracks (Liked Songs), growing the\n"
          "                           catalogue when it is smaller (repeatable)\n"
          "  --no-demo                no demo playlists or saved tracks (users and catalogue)\n"
          "  --catalog FILE           load this JSON catalogue instead of generating one\n"
          "  --client-id ID --client-secret S   the registered app\n"
          "  --redirect-uri URI       registered redirect URI, '*' = wildcard (repeatable)\n"
          "  --token-lifetime SECONDS access-token lifetime (default 3600)\n"
          "  --latency-ms N           delay every Web API/accounts answer by N ms\n"
          "  --rate-limit MAX:WINDOW_MS   rolling-window rate limit (429 + Retry-After)\n"
          "  --quota-exceeded         start with the quota exhausted (429 QUOTA_EXCEEDED)\n"
          "  --foreign-playlists forbid|allow   others' playlists in development mode\n"
          "                           (default forbid = 403)\n"
          "  --threads N              HTTP worker threads (default 2)\n"
          "  --public-url URL         base of hrefs and paging links\n"
          "                           (default http://127.0.0.1:PORT)\n",
          f);
}

enum {
    O_PORT = 1,
    O_MODE,
    O_SEED,
    O_TRACKS,
    O_ARTISTS,
    O_ALBUMS,
    O_EPISODES,
    O_PLAYLIST,
    O_LIKED,
    O_NODEMO,
    O_CATALOG,
    O_CID,
    O_CSECRET,
    O_REDIRECT,
    O_TOKLIFE,
    O_LATENCY,
    O_RATE,
    O_QUOTA,
    O_FOREIGN,
    O_THREADS,
    O_PUBURL,
    O_HELP
};

static int num(const char *flag, const char *v, long lo, long hi, long *out)
{
    if (parse_long(v, lo, hi, out) != 0) {
        fprintf(stderr, "spotify-emulator: %s wants a number in %ld..%ld, got '%s'\n", flag, lo, hi,
                v);
        return -1;
    }
    return 0;
}

/* 0, 1 (--help: exit 0) or -1 (bad flag). */
static int parse_flags(int argc, char **argv, struct emu *emu, struct opts *o)
{
    static const struct option L[] = {{"port", 1, 0, O_PORT},
                                      {"mode", 1, 0, O_MODE},
                                      {"seed", 1, 0, O_SEED},
                                      {"tracks", 1, 0, O_TRACKS},
                                      {"artists", 1, 0, O_ARTISTS},
                                      {"albums", 1, 0, O_ALBUMS},
                                      {"episodes", 1, 0, O_EPISODES},
                                      {"playlist", 1, 0, O_PLAYLIST},
                                      {"liked", 1, 0, O_LIKED},
                                      {"no-demo", 0, 0, O_NODEMO},
                                      {"catalog", 1, 0, O_CATALOG},
                                      {"client-id", 1, 0, O_CID},
                                      {"client-secret", 1, 0, O_CSECRET},
                                      {"redirect-uri", 1, 0, O_REDIRECT},
                                      {"token-lifetime", 1, 0, O_TOKLIFE},
                                      {"latency-ms", 1, 0, O_LATENCY},
                                      {"rate-limit", 1, 0, O_RATE},
                                      {"quota-exceeded", 0, 0, O_QUOTA},
                                      {"foreign-playlists", 1, 0, O_FOREIGN},
                                      {"threads", 1, 0, O_THREADS},
                                      {"public-url", 1, 0, O_PUBURL},
                                      {"help", 0, 0, O_HELP},
                                      {0, 0, 0, 0}};
    struct emu_config *cfg = &emu->cfg;
    int c;
    long v;
    while ((c = getopt_long(argc, argv, "", L, NULL)) != -1) {
        const char *name = argv[optind - 1];
        switch (c) {
        case O_PORT:
            if (num(name, optarg, 0, 65535, &v))
                return -1;
            cfg->port = (int)v;
            break;
        case O_MODE:
            if (strcmp(optarg, "development") && strcmp(optarg, "extended")) {
                fprintf(stderr, "spotify-emulator: --mode development|extended\n");
                return -1;
            }
            atomic_store(&cfg->mode, strcmp(optarg, "extended") == 0 ? MODE_EXT : MODE_DEV);
            break;
        case O_SEED:
            if (num(name, optarg, 0, 0x7fffffffffffffffL, &v))
                return -1;
            o->seed = (uint64_t)v;
            break;
        case O_TRACKS:
        case O_ARTISTS:
        case O_ALBUMS:
        case O_EPISODES:
            if (num(name, optarg, c == O_EPISODES || c == O_TRACKS ? 0 : 1, 2000000, &v))
                return -1;
            *(c == O_TRACKS    ? &o->tracks
              : c == O_ARTISTS ? &o->artists
              : c == O_ALBUMS  ? &o->albums
                               : &o->episodes) = (int)v;
            break;
        case O_PLAYLIST:
            if (o->nspecs == MAX_SPECS) {
                fprintf(stderr, "spotify-emulator: at most %d --playlist\n", MAX_SPECS);
                return -1;
            }
            o->specs[o->nspecs++] = optarg;
            break;
        case O_LIKED:
            if (o->nliked == MAX_SPECS) {
                fprintf(stderr, "spotify-emulator: at most %d --liked\n", MAX_SPECS);
                return -1;
            }
            o->liked[o->nliked++] = optarg;
            break;
        case O_NODEMO:
            o->no_demo = true;
            break;
        case O_CATALOG:
            o->catalog = optarg;
            break;
        case O_CID:
        case O_CSECRET: {
            char **slot = c == O_CID ? &cfg->client_id : &cfg->client_secret;
            free(*slot);
            if (!(*slot = strdup(optarg)))
                return -1;
            break;
        }
        case O_REDIRECT:
            if (cfg->nredirect == EMU_MAX_REDIRECTS ||
                !(cfg->redirect_uris[cfg->nredirect] = strdup(optarg)))
                return -1;
            cfg->nredirect++;
            break;
        case O_TOKLIFE:
            if (num(name, optarg, 1, 100000000, &v))
                return -1;
            atomic_store(&cfg->token_lifetime, (int)v);
            break;
        case O_LATENCY:
            if (num(name, optarg, 0, 600000, &v))
                return -1;
            o->latency_ms = (int)v;
            break;
        case O_RATE: {
            long max, win;
            char *colon = strchr(optarg, ':');
            if (!colon) {
                fprintf(stderr, "spotify-emulator: --rate-limit MAX:WINDOW_MS\n");
                return -1;
            }
            *colon = '\0';
            if (num(name, optarg, 1, 1000000, &max) || num(name, colon + 1, 1, 3600000, &win))
                return -1;
            o->rate_max = (int)max;
            o->rate_window = (int)win;
            break;
        }
        case O_QUOTA:
            o->quota = true;
            break;
        case O_FOREIGN:
            if (strcmp(optarg, "forbid") && strcmp(optarg, "allow")) {
                fprintf(stderr, "spotify-emulator: --foreign-playlists forbid|allow\n");
                return -1;
            }
            atomic_store(&cfg->foreign_forbidden, strcmp(optarg, "forbid") == 0);
            break;
        case O_THREADS:
            if (num(name, optarg, 1, 256, &v))
                return -1;
            cfg->threads = (int)v;
            break;
        case O_PUBURL:
            free(cfg->public_url);
            if (!(cfg->public_url = strdup(optarg)))
                return -1;
            break;
        case O_HELP:
            usage(stdout);
            return 1;
        default:
            usage(stderr);
            return -1;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "spotify-emulator: unexpected argument '%s'\n", argv[optind]);
        return -1;
    }
    return 0;
}

static int build_catalog(struct emu *emu, const struct opts *o)
{
    char err[512];
    struct catalog *c = emu->cat;
    if (o->catalog) {
        if (catalog_file_load(c, o->catalog, err, sizeof err) != 0) {
            fprintf(stderr, "spotify-emulator: --catalog: %s\n", err);
            return -1;
        }
    } else {
        struct gen_opts g = {o->seed, o->tracks, o->artists, o->albums, o->episodes, !o->no_demo};
        if (generator_build(c, &g) != 0) {
            fprintf(stderr, "spotify-emulator: out of memory while generating\n");
            return -1;
        }
    }
    for (int i = 0; i < o->nspecs; i++) {
        int idx;
        if (generator_playlist_spec(c, o->specs[i], &idx, err, sizeof err) != 0) {
            fprintf(stderr, "spotify-emulator: %s\n", err);
            return -1;
        }
    }
    /* After the playlists: growing the catalogue for a long list must not change them. */
    for (int i = 0; i < o->nliked; i++) {
        if (generator_liked_spec(c, o->liked[i], err, sizeof err) != 0) {
            fprintf(stderr, "spotify-emulator: %s\n", err);
            return -1;
        }
    }
    return 0;
}

static void log_playlists(const struct catalog *c)
{
    fprintf(stderr,
            "spotify-emulator: %zu users, %zu artists, %zu albums, %zu tracks, %zu episodes\n",
            c->n_users, c->n_artists, c->n_albums, c->n_tracks, c->n_episodes);
    for (size_t i = 0; i < c->n_users; i++)
        if (c->users[i].nliked)
            fprintf(stderr, "spotify-emulator: user %s has %zu saved tracks\n", c->users[i].id,
                    c->users[i].nliked);
    for (size_t i = 0; i < c->n_playlists && i < 40; i++) {
        const struct emu_playlist *p = c->playlists[i];
        fprintf(stderr, "spotify-emulator: playlist %s owner=%s items=%zu name=\"%s\"\n", p->id,
                c->users[p->owner].id, p->n, p->name);
    }
}

int main(int argc, char **argv)
{
    struct emu emu = {0};
    struct opts o = {.seed = 42, .tracks = 3000, .artists = 400, .albums = 800, .episodes = 40};
    int rc = 1, fd = -1;
    sigset_t sigs;

    /* Block the stop signals before any thread exists: every thread inherits
     * the mask and main alone takes them with sigwait(). */
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGTERM);
    sigaddset(&sigs, SIGINT);
    pthread_sigmask(SIG_BLOCK, &sigs, NULL);
    signal(SIGPIPE, SIG_IGN);

    pthread_mutex_init(&emu.cfg.redirect_mu, NULL);
    atomic_store(&emu.cfg.token_lifetime, 3600);
    atomic_store(&emu.cfg.mode, MODE_DEV);
    atomic_store(&emu.cfg.foreign_forbidden, 1);
    emu.cfg.threads = 2;
    int pr = parse_flags(argc, argv, &emu, &o);
    if (pr != 0) {
        rc = pr > 0 ? 0 : 2;
        goto done;
    }
    if (!emu.cfg.client_id)
        emu.cfg.client_id = strdup("emulator-client-id");
    if (!emu.cfg.client_secret)
        emu.cfg.client_secret = strdup("emulator-client-secret");
    if (emu.cfg.nredirect == 0)
        emu.cfg.redirect_uris[emu.cfg.nredirect++] = strdup("http://127.0.0.1:*/api/auth/callback");
    if (!emu.cfg.client_id || !emu.cfg.client_secret || !emu.cfg.redirect_uris[0])
        goto done;

    emu.cat = catalog_new(o.seed);
    emu.acc = accounts_new();
    emu.knobs = knobs_new();
    if (!emu.cat || !emu.acc || !emu.knobs || build_catalog(&emu, &o) != 0)
        goto done;
    if (http_listen(&emu, &fd) != 0)
        goto done;
    if (emu.cfg.public_url) {
        emu.cat->base_url = strdup(emu.cfg.public_url);
    } else {
        char url[64];
        snprintf(url, sizeof url, "http://127.0.0.1:%d", emu.cfg.port);
        emu.cat->base_url = strdup(url);
    }
    if (!emu.cat->base_url || catalog_render_all(emu.cat) != 0) {
        close(fd);
        goto done;
    }
    knobs_set_latency(emu.knobs, o.latency_ms);
    if (o.rate_max)
        knobs_set_rate_limit(emu.knobs, o.rate_max, o.rate_window, 0);
    if (o.quota)
        knobs_set_quota(emu.knobs, true, 0);
    log_playlists(emu.cat); /* before the daemon runs: nobody else touches the catalogue yet */
    if (http_start_on(&emu, fd) != 0)
        goto done;
    fprintf(stderr, "spotify-emulator: mode %s, client_id %s\n",
            atomic_load(&emu.cfg.mode) == MODE_EXT ? "extended" : "development", emu.cfg.client_id);
    printf("listening on http://127.0.0.1:%d\n", emu.cfg.port);
    fflush(stdout);

    int sig = 0;
    sigwait(&sigs, &sig);
    fprintf(stderr, "spotify-emulator: signal %d, stopping\n", sig);
    rc = 0;
done:
    http_stop(&emu);
    catalog_free(emu.cat);
    accounts_free(emu.acc);
    knobs_free(emu.knobs);
    free(emu.cfg.client_id);
    free(emu.cfg.client_secret);
    free(emu.cfg.public_url);
    for (int i = 0; i < emu.cfg.nredirect; i++)
        free(emu.cfg.redirect_uris[i]);
    pthread_mutex_destroy(&emu.cfg.redirect_mu);
    return rc;
}
