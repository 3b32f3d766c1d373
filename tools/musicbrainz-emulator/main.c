/* musicbrainz-emulator: a local stand-in for the MusicBrainz web service
 * (/ws/2) whose data is derived from the Spotify emulator's catalogue
 * (README.md). Start-up: flags, catalogue, world, socket, then exactly one line
 * "listening on http://127.0.0.1:PORT" on stdout. SIGTERM/SIGINT: exit 0. */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalog_file.h"
#include "generator.h"
#include "http_common.h"
#include "knobs.h"
#include "mb.h"

struct opts {
    uint64_t seed;
    int tracks, artists, albums, episodes;
    const char *catalog;
    int port, rate, window_ms, latency_ms, max_uri;
    bool no_ua_check;
};

static void usage(FILE *f)
{
    fputs("usage: musicbrainz-emulator [options]\n"
          "  --port N                 listen on 127.0.0.1:N (default 0 = a free port)\n"
          "  --seed N --tracks N --artists N --albums N --episodes N\n"
          "                           the Spotify emulator's generator flags (same defaults:\n"
          "                           42, 3000, 400, 800, 40): same values, same world\n"
          "  --catalog FILE           derive the world from this Spotify catalogue file\n"
          "  --rate N                 /ws/2 requests per window before 503 (default 1; 0 = off)\n"
          "  --rate-window-ms N       the rate window (default 1000)\n"
          "  --latency-ms N           delay every /ws/2 answer by N ms\n"
          "  --max-uri N              longer request targets answer 414 (default 8192)\n"
          "  --no-user-agent-check    do not answer 403 to requests without User-Agent\n",
          f);
}

static int num(const char *flag, const char *v, long lo, long hi, long *out)
{
    if (parse_long(v, lo, hi, out) != 0) {
        fprintf(stderr, "musicbrainz-emulator: %s wants a number in %ld..%ld, got '%s'\n", flag, lo,
                hi, v);
        return -1;
    }
    return 0;
}

/* 0, 1 (--help) or -1. */
static int parse_flags(int argc, char **argv, struct opts *o)
{
    enum { O_HELP = 1, O_CATALOG, O_NOUA, O_NUM };
    static const struct option L[] = {{"help", 0, 0, O_HELP},
                                      {"catalog", 1, 0, O_CATALOG},
                                      {"no-user-agent-check", 0, 0, O_NOUA},
                                      {"port", 1, 0, O_NUM + 0},
                                      {"seed", 1, 0, O_NUM + 1},
                                      {"tracks", 1, 0, O_NUM + 2},
                                      {"artists", 1, 0, O_NUM + 3},
                                      {"albums", 1, 0, O_NUM + 4},
                                      {"episodes", 1, 0, O_NUM + 5},
                                      {"rate", 1, 0, O_NUM + 6},
                                      {"rate-window-ms", 1, 0, O_NUM + 7},
                                      {"latency-ms", 1, 0, O_NUM + 8},
                                      {"max-uri", 1, 0, O_NUM + 9},
                                      {0, 0, 0, 0}};
    /* For each numeric flag: where it goes and its range. */
    struct {
        long lo, hi;
    } R[] = {{0, 65535},   {0, 0x7fffffffffffffffL},
             {0, 2000000}, {1, 2000000},
             {1, 2000000}, {0, 2000000},
             {0, 100000},  {1, 3600000},
             {0, 600000},  {64, 1 << 20}};
    int *slot[] = {&o->port,     NULL,     &o->tracks,    &o->artists,    &o->albums,
                   &o->episodes, &o->rate, &o->window_ms, &o->latency_ms, &o->max_uri};
    int c;
    long v;
    while ((c = getopt_long(argc, argv, "", L, NULL)) != -1) {
        if (c == O_HELP) {
            usage(stdout);
            return 1;
        } else if (c == O_CATALOG) {
            o->catalog = optarg;
        } else if (c == O_NOUA) {
            o->no_ua_check = true;
        } else if (c >= O_NUM && c < O_NUM + 10) {
            int k = c - O_NUM;
            if (num(argv[optind - 1], optarg, R[k].lo, R[k].hi, &v) != 0)
                return -1;
            if (k == 1)
                o->seed = (uint64_t)v;
            else
                *slot[k] = (int)v;
        } else {
            usage(stderr);
            return -1;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "musicbrainz-emulator: unexpected argument '%s'\n", argv[optind]);
        return -1;
    }
    return 0;
}

static int build(struct mb *mb, const struct opts *o)
{
    char err[512];
    mb->cat = catalog_new(o->seed);
    if (!mb->cat)
        return -1;
    if (o->catalog) {
        if (catalog_file_load(mb->cat, o->catalog, err, sizeof err) != 0) {
            fprintf(stderr, "musicbrainz-emulator: --catalog: %s\n", err);
            return -1;
        }
    } else {
        /* No playlists: they do not change the tracks, and MusicBrainz has none. */
        struct gen_opts g = {o->seed, o->tracks, o->artists, o->albums, o->episodes, false};
        if (generator_build(mb->cat, &g) != 0)
            return -1;
    }
    return world_build(&mb->world, mb->cat);
}

int main(int argc, char **argv)
{
    struct mb mb = {0};
    struct opts o = {.seed = 42,
                     .tracks = 3000,
                     .artists = 400,
                     .albums = 800,
                     .episodes = 40,
                     .rate = 1,
                     .window_ms = 1000,
                     .max_uri = 8192};
    int rc = 1;
    sigset_t sigs;
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGTERM);
    sigaddset(&sigs, SIGINT);
    pthread_sigmask(SIG_BLOCK, &sigs, NULL); /* before any thread: main alone takes them */
    signal(SIGPIPE, SIG_IGN);
    pthread_mutex_init(&mb.storm_mu, NULL);

    int pr = parse_flags(argc, argv, &o);
    if (pr != 0) {
        rc = pr > 0 ? 0 : 2;
        goto done;
    }
    mb.knobs = knobs_new();
    if (!mb.knobs || build(&mb, &o) != 0) {
        fprintf(stderr, "musicbrainz-emulator: cannot build the catalogue\n");
        goto done;
    }
    knobs_log_user_agents(mb.knobs, true);
    knobs_set_latency(mb.knobs, o.latency_ms);
    mb.start_rate = o.rate;
    mb.start_window_ms = o.window_ms;
    atomic_store(&mb.rate, o.rate);
    atomic_store(&mb.window_ms, o.window_ms);
    knobs_set_rate_limit(mb.knobs, o.rate, o.window_ms, 0);
    atomic_store(&mb.search_isrcs, 1);
    atomic_store(&mb.require_ua, o.no_ua_check ? 0 : 1);
    mb.max_uri = o.max_uri;
    if (server_start(&mb, o.port) != 0)
        goto done;
    fprintf(stderr,
            "musicbrainz-emulator: %zu artists, %zu recordings, %zu ISRCs, %zu genres; rate %d per "
            "%d ms\n",
            mb.world.nartists, mb.world.nrecs, mb.world.nisrcs, mb.world.ngenres, o.rate,
            o.window_ms);
    printf("listening on http://127.0.0.1:%d\n", mb.port);
    fflush(stdout);

    int sig = 0;
    sigwait(&sigs, &sig);
    fprintf(stderr, "musicbrainz-emulator: signal %d, stopping\n", sig);
    rc = 0;
done:
    server_stop(&mb);
    world_free(&mb.world);
    catalog_free(mb.cat);
    knobs_free(mb.knobs);
    pthread_mutex_destroy(&mb.storm_mu);
    return rc;
}
