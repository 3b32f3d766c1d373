/* bench_rules: speed of the rule engine and of the target computation on one core.
 * 100,000 generated tracks x 20 realistic rules. Prints figures only (no pass/fail);
 * the goal is >= 5 million track-rule evaluations per second and a target computation
 * for 100,000 tracks x 20 children well under a second.
 *
 *   bench_rules [n_tracks]     (default 100000) */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib/arena.h"
#include "lib/util.h"
#include "services/rules/rule.h"
#include "services/rules/target.h"

#define N_RULES 20
#define N_ARTISTS 3000

/* 2025-11-09 */
#define TODAY 20400

static const char *const RULES[N_RULES] = {
    "{\"field\": \"genre\", \"op\": \"contains\", \"value\": \"rock\"}",
    "{\"all\": [{\"field\": \"release_year\", \"op\": \"between\", \"value\": [1990, 1999]},"
    " {\"field\": \"explicit\", \"op\": \"eq\", \"value\": false}]}",
    NULL, /* artist_name in [50 names], built below */
    "{\"field\": \"added_at\", \"op\": \"in_the_last\", \"value\": 30}",
    "{\"field\": \"track_name\", \"op\": \"matches\", \"value\": \"(remix|live|acoustic)\"}",
    "{\"any\": [{\"field\": \"genre\", \"op\": \"eq\", \"value\": \"jazz\"},"
    " {\"field\": \"genre\", \"op\": \"starts_with\", \"value\": \"blues\"}]}",
    "{\"field\": \"duration_ms\", \"op\": \"gt\", \"value\": 420000}",
    "{\"not\": {\"field\": \"album_type\", \"op\": \"eq\", \"value\": \"compilation\"}}",
    "{\"field\": \"popularity\", \"op\": \"gte\", \"value\": 70}",
    "{\"field\": \"release_date\", \"op\": \"before\", \"value\": \"1980-01-01\"}",
    "{\"all\": [{\"field\": \"artist_popularity\", \"op\": \"lt\", \"value\": 30},"
    " {\"field\": \"popularity\", \"op\": \"lt\", \"value\": 40}]}",
    "{\"field\": \"track_name\", \"op\": \"contains\", \"value\": \"Love\"}",
    "{\"field\": \"label\", \"op\": \"in\", \"value\": [\"XL Recordings\", \"Warp\", \"4AD\","
    " \"Sub Pop\", \"Domino\", \"Rough Trade\"]}",
    "{\"field\": \"album_name\", \"op\": \"starts_with\", \"value\": \"greatest\"}",
    "{\"field\": \"added_by\", \"op\": \"eq\", \"value\": \"user3\"}",
    "{\"field\": \"genre\", \"op\": \"not_contains\", \"value\": \"pop\"}",
    "{\"field\": \"release_date\", \"op\": \"between\", \"value\": [\"2000-01-01\", "
    "\"2009-12-31\"]}",
    "{\"all\": [{\"field\": \"explicit\", \"op\": \"eq\", \"value\": true},"
    " {\"field\": \"genre\", \"op\": \"contains\", \"value\": \"hip hop\"}]}",
    NULL, /* artist_id in [200 ids], built below */
    "{\"field\": \"track_name\", \"op\": \"matches\", \"value\": \"^the \"}",
};

static const char *const WORDS[] = {
    "Love", "Night", "Dream", "Fire",  "Heart",  "Rain", "Summer", "Blue",     "Dance", "Light",
    "Road", "Home",  "Star",  "Ocean", "Shadow", "Gold", "River",  "Midnight", "Wild",  "Sky",
    "the",  "my",    "of",    "in",    "your",   "Été",  "Ünder",  "Ñame"};
static const char *const SUFFIXES[] = {"",
                                       "",
                                       "",
                                       "",
                                       "",
                                       " - Remix",
                                       " (Live)",
                                       " - Acoustic",
                                       " - Remastered 2011",
                                       " (feat. Someone)"};
static const char *const GENRES[] = {
    "rock",  "indie rock", "classic rock", "pop",        "dance pop", "hip hop",
    "jazz",  "blues rock", "bluesy soul",  "electronic", "techno",    "house",
    "folk",  "metal",      "punk",         "r&b",        "soul",      "country",
    "latin", "k-pop",      "ambient",      "trip hop",   "grunge",    "disco"};
static const char *const LABELS[] = {"XL Recordings", "Warp",   "4AD",    "Sub Pop", "Columbia",
                                     "Atlantic",      "Island", "Domino", "Def Jam", "Rough Trade"};
static const char *const TYPES[] = {"album", "album", "album", "single", "compilation"};

struct gen {
    struct arena *a;
    uint64_t s;
    char **artist_names, **artist_ids;
};

static unsigned rnd(struct gen *g, unsigned n)
{
    g->s ^= g->s >> 12;
    g->s ^= g->s << 25;
    g->s ^= g->s >> 27;
    return (unsigned)((g->s * 2685821657736338717ull >> 33) % n);
}

static char *base62(struct gen *g, size_t n)
{
    static const char A[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    char *s = arena_alloc(g->a, n + 1);
    for (size_t i = 0; i < n; i++)
        s[i] = A[rnd(g, 62)];
    return s;
}

static void gen_track(struct gen *g, struct track *t)
{
    memset(t, 0, sizeof *t);
    t->id = base62(g, 22);
    unsigned nw = 1 + rnd(g, 4);
    char name[160] = "";
    for (unsigned i = 0; i < nw; i++) {
        strcat(name, i ? " " : "");
        strcat(name, WORDS[rnd(g, sizeof WORDS / sizeof WORDS[0])]);
    }
    strcat(name, SUFFIXES[rnd(g, sizeof SUFFIXES / sizeof SUFFIXES[0])]);
    t->name = arena_strdup(g->a, name);
    t->isrc = base62(g, 12);
    t->n_artists = 1 + (rnd(g, 4) == 0) + (rnd(g, 10) == 0);
    const char **names = arena_alloc(g->a, t->n_artists * sizeof *names);
    const char **ids = arena_alloc(g->a, t->n_artists * sizeof *ids);
    for (size_t i = 0; i < t->n_artists; i++) {
        unsigned k = rnd(g, N_ARTISTS);
        names[i] = g->artist_names[k];
        ids[i] = g->artist_ids[k];
    }
    t->artist_names = names;
    t->artist_ids = ids;
    t->n_genres = rnd(g, 5);
    const char **genres = arena_alloc(g->a, (t->n_genres + 1) * sizeof *genres);
    for (size_t i = 0; i < t->n_genres; i++)
        genres[i] = GENRES[rnd(g, sizeof GENRES / sizeof GENRES[0])];
    t->genres = genres;
    t->album_id = base62(g, 22);
    t->album_name = arena_sprintf(g->a, "%s%s %s", rnd(g, 20) ? "" : "Greatest Hits ",
                                  WORDS[rnd(g, 20)], WORDS[rnd(g, 20)]);
    t->album_type = TYPES[rnd(g, 5)];
    t->label = LABELS[rnd(g, 10)];
    unsigned y = 1960 + rnd(g, 66), m = 1 + rnd(g, 12), d = 1 + rnd(g, 28);
    char *date = rnd(g, 10) == 0   ? arena_sprintf(g->a, "%u", y)
                 : rnd(g, 10) == 0 ? arena_sprintf(g->a, "%u-%02u", y, m)
                                   : arena_sprintf(g->a, "%u-%02u-%02u", y, m, d);
    track_set_release_date(t, date);
    t->added_at = ((int64_t)TODAY - rnd(g, 1800)) * 86400 + rnd(g, 86400);
    t->added_by = arena_sprintf(g->a, "user%u", rnd(g, 5));
    t->duration_ms = 90000 + (int32_t)rnd(g, 400000);
    t->track_number = 1 + (int32_t)rnd(g, 14);
    t->disc_number = 1 + (rnd(g, 20) == 0);
    t->popularity = (int32_t)rnd(g, 101);
    t->artist_popularity = (int32_t)rnd(g, 101);
    t->album_popularity = (int32_t)rnd(g, 101);
    t->is_explicit = rnd(g, 5) == 0;
    t->has |= TRACK_HAS_ADDED_AT | TRACK_HAS_DURATION | TRACK_HAS_TRACK_NUMBER |
              TRACK_HAS_DISC_NUMBER | TRACK_HAS_EXPLICIT | TRACK_HAS_POPULARITY |
              TRACK_HAS_ARTIST_POPULARITY | TRACK_HAS_ALBUM_POPULARITY;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static json_t *rule_json(struct gen *g, int i)
{
    if (RULES[i])
        return json_loads(RULES[i], 0, NULL);
    json_t *vals = json_array();
    for (int k = 0; k < (i == 2 ? 50 : 200); k++) {
        unsigned a = rnd(g, N_ARTISTS);
        json_array_append_new(vals, json_string(i == 2 ? g->artist_names[a] : g->artist_ids[a]));
    }
    return json_pack("{s:s, s:s, s:o}", "field", i == 2 ? "artist_name" : "artist_id", "op", "in",
                     "value", vals);
}

int main(int argc, char **argv)
{
    size_t n = argc > 1 ? (size_t)strtoul(argv[1], NULL, 10) : 100000;
    struct gen g = {.a = arena_new(), .s = 0x2545F4914F6CDD1Dull};
    struct track *tracks = calloc(n ? n : 1, sizeof *tracks);
    struct rule *rules[N_RULES] = {0};
    struct target_child *children[N_RULES] = {0};
    int rc = 1;
    if (!g.a || !tracks)
        goto done;

    g.artist_names = arena_alloc(g.a, N_ARTISTS * sizeof *g.artist_names);
    g.artist_ids = arena_alloc(g.a, N_ARTISTS * sizeof *g.artist_ids);
    for (int i = 0; i < N_ARTISTS; i++) {
        g.artist_names[i] =
            arena_sprintf(g.a, "%s %s %d", WORDS[rnd(&g, 28)], WORDS[rnd(&g, 20)], i);
        g.artist_ids[i] = base62(&g, 22);
    }
    for (size_t i = 0; i < n; i++)
        gen_track(&g, &tracks[i]);

    for (int i = 0; i < N_RULES; i++) {
        json_t *j = rule_json(&g, i);
        struct report rep = {0};
        if (!j || rule_compile(j, SPOTIFY_MODE_EXTENDED, "", &rules[i], &rep) != 0) {
            char *d = json_dumps(rep.details, 0);
            fprintf(stderr, "rule %d does not compile: %s\n", i, d ? d : "");
            free(d);
            json_decref(j);
            report_release(&rep);
            goto done;
        }
        /* the same rules as children: a few sorted, one limited, the last a catch-all */
        json_t *c = json_pack("{s:O}", "filter", j);
        if (i % 5 == 1)
            json_object_set_new(c, "sort",
                                json_pack("{s:s, s:s}", "by", i % 2 ? "track_name" : "release_date",
                                          "order", "desc"));
        if (i == 3)
            json_object_set_new(c, "limit", json_integer(500));
        if (i == N_RULES - 1)
            json_object_set_new(c, "catch_all", json_true());
        if (target_child_compile_object(c, SPOTIFY_MODE_EXTENDED, "", &children[i], &rep) != 0) {
            fprintf(stderr, "child %d does not compile\n", i);
            json_decref(c);
            json_decref(j);
            report_release(&rep);
            goto done;
        }
        json_decref(c);
        json_decref(j);
        report_release(&rep);
    }

    printf("bench_rules: %zu tracks x %d rules, one core\n", n, N_RULES);
    double best = 1e9;
    size_t matched = 0;
    double per_rule[N_RULES];
    for (int i = 0; i < N_RULES; i++)
        per_rule[i] = 1e9;
    for (int rep = 0; rep < 3; rep++) {
        double t0 = now_s();
        matched = 0;
        for (int r = 0; r < N_RULES; r++) {
            double r0 = now_s();
            for (size_t i = 0; i < n; i++)
                matched += rule_eval(rules[r], &tracks[i], TODAY);
            double dt = now_s() - r0;
            if (dt < per_rule[r])
                per_rule[r] = dt;
        }
        double dt = now_s() - t0;
        if (dt < best)
            best = dt;
    }
    double evals = (double)n * N_RULES;
    printf("  rule_eval: %.0f evaluations in %.3f s = %.2f million evaluations/s "
           "(%.1f ns each; %zu matches)\n",
           evals, best, evals / best / 1e6, best / evals * 1e9, matched);
    for (int r = 0; r < N_RULES; r++)
        printf("    rule %2d: %6.1f ns/track  %s\n", r, per_rule[r] / (double)n * 1e9,
               RULES[r] ? RULES[r]
                        : (r == 2 ? "artist_name in [50 names]" : "artist_id in [200 ids]"));

    for (int routing = 0; routing < 2; routing++) {
        double tbest = 1e9;
        size_t total = 0;
        for (int rep = 0; rep < 3; rep++) {
            struct target_result *res = NULL;
            double t0 = now_s();
            if (target_compute(tracks, n, routing ? TARGET_ROUTING_FIRST_MATCH : TARGET_ROUTING_ALL,
                               (const struct target_child *const *)children, N_RULES, TODAY,
                               &res) != 0) {
                fprintf(stderr, "target_compute failed\n");
                goto done;
            }
            double dt = now_s() - t0;
            if (dt < tbest)
                tbest = dt;
            total = 0;
            for (size_t c = 0; c < res->n_children; c++)
                total += res->lists[c].n;
            target_result_free(res);
        }
        printf("  target_compute (%s, %d children, 4 sorted, 1 limited, 1 catch-all): "
               "%.1f ms (%zu placements)\n",
               routing ? "first_match" : "all", N_RULES, tbest * 1e3, total);
    }
    rc = 0;
done:
    for (int i = 0; i < N_RULES; i++) {
        rule_free(rules[i]);
        target_child_free(children[i]);
    }
    free(tracks);
    arena_free(g.a);
    return rc;
}
