/* Deterministic catalogue generator (splitmix64 seeded by --seed).
 * The snprintf()s below format short words and numbers into buffers sized for
 * them; a truncation could only shorten a generated name, so they go unchecked. */
#include "generator.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "library.h"

static const char *const GENRES[] = {
    "indie rock",
    "shoegaze",
    "hip hop",
    "dream pop",
    "post-punk",
    "synthpop",
    "trip hop",
    "neo soul",
    "alternative r&b",
    "bedroom pop",
    "art pop",
    "garage rock",
    "lo-fi beats",
    "techno",
    "deep house",
    "ambient",
    "drum and bass",
    "uk garage",
    "k-pop",
    "latin pop",
    "reggaeton",
    "afrobeats",
    "country",
    "americana",
    "indie folk",
    "emo",
    "pop punk",
    "metalcore",
    "black metal",
    "classical",
    "new wave",
    "disco",
    "funk",
    "soul",
    "blues",
    "grunge",
    "jazz fusion",
    "chillwave",
    "hyperpop",
    "singer-songwriter",
};
#define NGENRES (sizeof GENRES / sizeof *GENRES)

static const char *const ADJ[] = {
    "Silver", "Quiet",  "Electric", "Golden",   "Broken", "Velvet",  "Neon",   "Hollow",
    "Wild",   "Paper",  "Crystal",  "Midnight", "Lonely", "Burning", "Frozen", "Distant",
    "Sweet",  "Violet", "Restless", "Static",   "Bright", "Faded",   "Secret", "Northern",
    "Summer", "Winter", "Lucky",    "Tender",   "Heavy",  "Slow",
};
static const char *const NOUN[] = {
    "Heart",   "River",  "Ghost",     "Signal",   "Garden",  "Echo",    "Highway", "Ocean",
    "Mirror",  "Window", "Satellite", "Harbor",   "Lantern", "Machine", "Forest",  "Letter",
    "Morning", "Shadow", "Thunder",   "Balloon",  "Planet",  "Tide",    "Feather", "Motel",
    "Parade",  "Season", "Horizon",   "Stranger", "Wave",    "Fever",
};
static const char *const BAND[] = {
    "The", "", "", "Los", "DJ", "", "The", "", "Club", "",
};
static const char *const LABELS[] = {
    "Sub Pop",         "4AD",         "Matador",          "XL Recordings",
    "Warp Records",    "Domino",      "Rough Trade",      "Def Jam",
    "Merge Records",   "Ninja Tune",  "Jagjaguwar",       "Secretly Canadian",
    "Island Records",  "Columbia",    "Atlantic Records", "Ghostly International",
    "Captured Tracks", "Dead Oceans", "Polyvinyl",        "Epitaph",
};
static const char *const ALBUM_TYPES[] = {"album", "album", "album", "single", "compilation"};
static const char *const COUNTRIES[] = {"GB", "US", "SE", "DE", "FR", "JP", "KR", "NL"};
#define N(a) (sizeof(a) / sizeof *(a))

#define DEMO_LIKED 300                             /* the demo user's saved tracks */
#define LIKED_NEWEST ((int64_t)1767225600)         /* 2026-01-01T00:00:00Z */
#define LIKED_SPAN ((uint64_t)8 * 365 * 24 * 3600) /* saves spread over ~8 years */

static void pair_name(struct rng *r, char *out, size_t sz)
{
    snprintf(out, sz, "%s %s", ADJ[rng_below(r, N(ADJ))], NOUN[rng_below(r, N(NOUN))]);
}

static int add_users(struct catalog *c)
{
    static const char *const U[][2] = {
        {"demo", "Demo User"}, {"alice", "Alice"}, {"bob", "Bob"}, {"carol", "Carol"}};
    for (size_t i = 0; i < N(U); i++)
        if (catalog_user_find(c, U[i][0]) < 0 && catalog_add_user(c, U[i][0], U[i][1]) < 0)
            return -1;
    return 0;
}

void generator_playlist_id(const struct catalog *c, const char *owner, const char *name,
                           char out[23])
{
    base62_id(id_hash(c->seed, owner), id_hash(c->seed ^ 0x5bd1e995, name), out);
}

/* Adds count albums by the artists there are; ids come from the seed and ns,
 * numbered by catalogue position. */
static int gen_albums(struct catalog *c, struct rng *r, uint64_t seed, const char *ns, int count)
{
    char id[23], name[96], date[40];
    uint32_t nart = (uint32_t)c->n_artists;
    for (int i = 0; i < count; i++) {
        int arts[2];
        int na = rng_below(r, 10) == 0 ? 2 : 1;
        for (int k = 0; k < na; k++)
            arts[k] = (int)rng_below(r, nart);
        if (na == 2 && arts[0] == arts[1])
            na = 1;
        int year = 1965 + (int)rng_below(r, 61);
        int month = 1 + (int)rng_below(r, 12), day = 1 + (int)rng_below(r, 28);
        uint32_t p = rng_below(r, 10);
        const char *prec = p < 7 ? "day" : p < 8 ? "month" : "year";
        if (p < 7)
            snprintf(date, sizeof date, "%04d-%02d-%02d", year, month, day);
        else if (p < 8)
            snprintf(date, sizeof date, "%04d-%02d", year, month);
        else
            snprintf(date, sizeof date, "%04d", year);
        pair_name(r, name, sizeof name);
        base62_id(id_hash(seed, ns), (uint64_t)c->n_albums, id);
        const char *type = ALBUM_TYPES[rng_below(r, N(ALBUM_TYPES))];
        const char *label = LABELS[rng_below(r, N(LABELS))];
        if (catalog_add_album(c, id, name, type, date, prec, label, (int)rng_below(r, 101), arts,
                              na) < 0)
            return -1;
    }
    return 0;
}

/* Adds count tracks, round-robin over the albums from first_album on (so every
 * one gets some); ids as in gen_albums(). */
static int gen_tracks(struct catalog *c, struct rng *r, uint64_t seed, const char *ns,
                      int first_album, int count)
{
    char id[23], name[96], isrc[40];
    int nalb = (int)c->n_albums - first_album;
    uint32_t nart = (uint32_t)c->n_artists;
    for (int i = 0; i < count; i++) {
        int album = first_album + i % nalb;
        const struct emu_album *al = &c->albums[album];
        int arts[3];
        int na = 0;
        for (int k = 0; k < al->nartists; k++)
            arts[na++] = al->artists[k];
        if (rng_below(r, 6) == 0) {
            int feat = (int)rng_below(r, nart);
            bool dup = false;
            for (int k = 0; k < na; k++)
                dup = dup || arts[k] == feat;
            if (!dup)
                arts[na++] = feat;
        }
        pair_name(r, name, sizeof name);
        if (rng_below(r, 5) == 0) {
            size_t l = strlen(name);
            snprintf(name + l, sizeof name - l, " (%s Remix)", NOUN[rng_below(r, N(NOUN))]);
        }
        base62_id(id_hash(seed, ns), (uint64_t)c->n_tracks, id);
        snprintf(isrc, sizeof isrc, "%s%c%c%c%02d%05u", COUNTRIES[rng_below(r, N(COUNTRIES))],
                 'A' + (int)rng_below(r, 26), 'A' + (int)rng_below(r, 26),
                 '0' + (int)rng_below(r, 10), atoi(al->release_date) % 100, rng_below(r, 100000));
        int duration = 95000 + (int)rng_below(r, 300000);
        bool explicit_ = rng_below(r, 4) == 0;
        int tn = al->ntracks + 1;
        if (catalog_add_track(c, id, name, album, arts, na, duration, explicit_, isrc,
                              (tn - 1) % 14 + 1, (tn - 1) / 14 + 1, (int)rng_below(r, 101)) < 0)
            return -1;
    }
    return 0;
}

int generator_build(struct catalog *c, const struct gen_opts *o)
{
    struct rng r;
    char id[23], name[96], date[40];
    rng_seed(&r, o->seed);
    if (add_users(c) != 0)
        return -1;
    int nart = o->artists > 0 ? o->artists : 1;
    int nalb = o->albums > 0 ? o->albums : 1;
    for (int i = 0; i < nart; i++) {
        const char *g[3];
        size_t gi[3];
        int ng = (int)rng_below(&r, 4); /* 0..3 distinct genres */
        for (int k = 0; k < ng; k++) {
            bool dup;
            do {
                gi[k] = rng_below(&r, NGENRES);
                dup = false;
                for (int j = 0; j < k; j++)
                    dup = dup || gi[j] == gi[k];
            } while (dup);
            g[k] = GENRES[gi[k]];
        }
        const char *pre = BAND[rng_below(&r, N(BAND))];
        char base[64];
        pair_name(&r, base, sizeof base);
        snprintf(name, sizeof name, "%s%s%s", pre, *pre ? " " : "", base);
        base62_id(id_hash(o->seed, "artist"), (uint64_t)i, id);
        int pop = (int)rng_below(&r, 101);
        long followers = (long)pop * pop * 37 + (long)rng_below(&r, 5000);
        if (catalog_add_artist(c, id, name, g, ng, pop, followers) < 0)
            return -1;
    }
    if (gen_albums(c, &r, o->seed, "album", nalb) != 0 ||
        gen_tracks(c, &r, o->seed, "track", 0, o->tracks) != 0)
        return -1;
    for (int i = 0; i < o->episodes; i++) {
        char show_id[23], show[64];
        int s = i % 4;
        base62_id(id_hash(o->seed, "show"), (uint64_t)s, show_id);
        snprintf(show, sizeof show, "The %s Podcast", NOUN[(size_t)s * 7 % N(NOUN)]);
        snprintf(name, sizeof name, "Episode %d: %s", i + 1, NOUN[rng_below(&r, N(NOUN))]);
        snprintf(date, sizeof date, "20%02d-%02d-%02d", 19 + (int)rng_below(&r, 7),
                 1 + (int)rng_below(&r, 12), 1 + (int)rng_below(&r, 28));
        base62_id(id_hash(o->seed, "episode"), (uint64_t)i, id);
        if (catalog_add_episode(c, id, name, show_id, show, "Emulator Radio", date,
                                600000 + (int)rng_below(&r, 3000000), false) < 0)
            return -1;
    }
    if (!o->demo_playlists)
        return 0;

    /* The demo world (README "Demo catalogue"). */
    static const struct {
        const char *owner, *name;
        int size;
        bool public_, collab;
    } P[] = {
        {"demo", "Everything I like", 500, false, false},
        {"demo", "Chill", 0, false, false},
        {"demo", "Workout", 0, false, false},
        {"demo", "Indie picks", 0, true, false},
        {"alice", "Alice's public mix", 120, true, false},
        {"alice", "Alice's secret mix", 40, false, false},
        {"bob", "Road trip (collaborative)", 30, false, true},
    };
    for (size_t i = 0; i < N(P); i++) {
        int owner = catalog_user_find(c, P[i].owner);
        char pid[23];
        generator_playlist_id(c, P[i].owner, P[i].name, pid);
        int idx = catalog_add_playlist(c, pid, owner, P[i].name, "", P[i].public_, P[i].collab);
        if (idx < 0)
            return -1;
        struct emu_playlist *pl = c->playlists[idx];
        if (P[i].collab) {
            pl->collabs = malloc(sizeof(int));
            if (!pl->collabs)
                return -1;
            pl->collabs[0] = catalog_user_find(c, "demo");
            pl->ncollabs = 1;
        }
        if (P[i].size > 0 && generator_fill(c, pl, (size_t)P[i].size, false, i) != 0)
            return -1;
        pl->version = 0;
        playlist_bump(pl); /* a fresh playlist starts at version 1 whatever it holds */
    }
    char err[128];
    size_t liked = c->n_tracks < DEMO_LIKED ? c->n_tracks : DEMO_LIKED;
    return generator_liked(c, catalog_user_find(c, "demo"), liked, false, err, sizeof err);
}

int generator_fill(struct catalog *c, struct emu_playlist *p, size_t size, bool plain,
                   uint64_t salt)
{
    struct rng r;
    int rc = -1;
    struct emu_entry *e = NULL;
    uint32_t *perm = NULL;
    if (size == 0)
        return 0;
    if (c->n_tracks == 0)
        return -1;
    rng_seed(&r, id_hash(c->seed + salt, p->id));
    e = calloc(size, sizeof *e);
    perm = malloc(c->n_tracks * sizeof *perm);
    if (!e || !perm)
        goto done;
    /* A partial Fisher-Yates shuffle gives distinct tracks (cycling if size > tracks). */
    for (size_t i = 0; i < c->n_tracks; i++)
        perm[i] = (uint32_t)i;
    for (size_t i = 0; i < c->n_tracks; i++) {
        size_t j = i + rng_below(&r, (uint32_t)(c->n_tracks - i));
        uint32_t t = perm[i];
        perm[i] = perm[j];
        perm[j] = t;
    }
    size_t extras_local = plain ? 0 : (size >= 20 ? size / 100 + 1 : 0);
    size_t extras_ep = plain || c->n_episodes == 0 ? 0 : (size >= 20 ? size / 100 + 1 : 0);
    size_t extras_dup = plain ? 0 : (size >= 20 ? size / 50 + 1 : 0);
    size_t ntracks = size - extras_local - extras_ep - extras_dup;
    size_t n = 0;
    int64_t t0 = 1704067200; /* 2024-01-01T00:00:00Z */
    for (size_t i = 0; i < ntracks; i++, n++) {
        e[n].kind = ENTRY_TRACK;
        e[n].idx = (int32_t)perm[i % c->n_tracks];
    }
    for (size_t i = 0; i < extras_dup; i++, n++)
        e[n] = e[rng_below(&r, (uint32_t)ntracks)];
    for (size_t i = 0; i < extras_ep; i++, n++) {
        e[n].kind = ENTRY_EPISODE;
        e[n].idx = (int32_t)rng_below(&r, (uint32_t)c->n_episodes);
    }
    for (size_t i = 0; i < extras_local; i++, n++) {
        struct buf u = BUF_INIT;
        char a[64], al[64], t[64];
        pair_name(&r, a, sizeof a);
        pair_name(&r, al, sizeof al);
        pair_name(&r, t, sizeof t);
        int ok = buf_append_str(&u, "spotify:local:") == 0 && url_encode(&u, a) == 0 &&
                 buf_append_str(&u, ":") == 0 && url_encode(&u, al) == 0 &&
                 buf_append_str(&u, ":") == 0 && url_encode(&u, t) == 0 &&
                 buf_appendf(&u, ":%u", 120 + rng_below(&r, 200)) == 0;
        /* url_encode writes %20; Spotify's local URIs use '+', so swap them. */
        if (ok) {
            struct buf v = BUF_INIT;
            for (size_t k = 0; ok && k < u.len; k++) {
                if (strncmp(u.data + k, "%20", 3) == 0) {
                    ok = buf_append_str(&v, "+") == 0;
                    k += 2;
                } else {
                    ok = buf_append(&v, u.data + k, 1) == 0;
                }
            }
            ok = ok && catalog_resolve_uri(c, v.data, &e[n]) == URI_OK;
            buf_release(&v);
        }
        buf_release(&u);
        if (!ok)
            goto done;
    }
    /* Shuffle the extras in among the tracks (the tracks keep their relative order). */
    for (size_t i = ntracks; i < size; i++) {
        size_t j = rng_below(&r, (uint32_t)(i + 1));
        struct emu_entry t = e[i];
        memmove(e + j + 1, e + j, (i - j) * sizeof *e);
        e[j] = t;
    }
    for (size_t i = 0; i < size; i++) {
        e[i].added_by = p->owner;
        e[i].added_at = t0 + (int64_t)(p->n + i) * 3600 * 7 + (int64_t)rng_below(&r, 3600);
    }
    rc = playlist_insert(p, p->n, e, size);
done:
    free(e);
    free(perm);
    return rc;
}

int generator_playlist_spec(struct catalog *c, const char *spec, int *out, char *err, size_t errsz)
{
    char *copy = strdup(spec);
    int rc = -1;
    if (!copy) {
        snprintf(err, errsz, "out of memory");
        return -1;
    }
    char *owner = copy, *name = strchr(copy, ':');
    char *size_s = name ? strchr(name + 1, ':') : NULL;
    if (!name || !size_s) {
        snprintf(err, errsz, "--playlist wants OWNER:NAME:SIZE[:plain], got '%s'", spec);
        goto done;
    }
    *name++ = '\0';
    *size_s++ = '\0';
    char *flags = strchr(size_s, ':');
    if (flags)
        *flags++ = '\0';
    long size;
    if (!is_user_id(owner) || !*name || parse_long(size_s, 0, 1000000, &size) != 0 ||
        (flags && strcmp(flags, "plain") != 0)) {
        snprintf(err, errsz, "--playlist wants OWNER:NAME:SIZE[:plain], got '%s'", spec);
        goto done;
    }
    int u = catalog_user_find(c, owner);
    if (u < 0 && (u = catalog_add_user(c, owner, owner)) < 0) {
        snprintf(err, errsz, "out of memory");
        goto done;
    }
    char pid[23];
    generator_playlist_id(c, owner, name, pid);
    int idx = catalog_add_playlist(c, pid, u, name, "", false, false);
    if (idx < 0) {
        if (idx == -2)
            snprintf(err, errsz, "playlist %s:%s given twice", owner, name);
        else
            snprintf(err, errsz, "out of memory");
        goto done;
    }
    if (generator_fill(c, c->playlists[idx], (size_t)size, flags != NULL, (uint64_t)idx) != 0) {
        snprintf(err, errsz, "cannot fill playlist %s:%s (no tracks?)", owner, name);
        goto done;
    }
    *out = idx;
    rc = 0;
done:
    free(copy);
    return rc;
}

/* Start-up only: adds tracks, on albums of their own, until there are need (so
 * the base catalogue stays what --tracks made it). */
static int grow_tracks(struct catalog *c, size_t need)
{
    struct rng r;
    if (c->n_artists == 0 || need > 2000000)
        return -1;
    rng_seed(&r, id_hash(c->seed, "liked-extra") ^ c->n_tracks);
    int count = (int)(need - c->n_tracks), first = (int)c->n_albums;
    if (gen_albums(c, &r, c->seed, "liked-album", (count + 11) / 12) != 0)
        return -1;
    return gen_tracks(c, &r, c->seed, "liked-track", first, count);
}

int generator_liked(struct catalog *c, int user, size_t size, bool grow, char *err, size_t errsz)
{
    struct rng r;
    struct emu_saved *items = NULL;
    uint32_t *perm = NULL;
    int rc = -1;
    if (size > c->n_tracks && (!grow || c->rendered || grow_tracks(c, size) != 0)) {
        snprintf(err, errsz,
                 "%zu saved tracks wanted but the catalogue has %zu tracks (--liked grows it at "
                 "start-up)",
                 size, c->n_tracks);
        return -1;
    }
    items = calloc(size + 1, sizeof *items);
    perm = malloc((c->n_tracks + 1) * sizeof *perm);
    if (!items || !perm) {
        snprintf(err, errsz, "out of memory");
        goto done;
    }
    rng_seed(&r, id_hash(c->seed ^ 0x11ced5ULL, c->users[user].id));
    for (size_t i = 0; i < c->n_tracks; i++)
        perm[i] = (uint32_t)i;
    /* Newest first, spread over LIKED_SPAN seconds before LIKED_NEWEST. */
    uint64_t gap = LIKED_SPAN / (size ? size : 1);
    int64_t t = LIKED_NEWEST - (int64_t)rng_below(&r, 86400);
    for (size_t i = 0; i < size; i++) {
        size_t j = i + rng_below(&r, (uint32_t)(c->n_tracks - i)); /* partial Fisher-Yates */
        uint32_t k = perm[i];
        perm[i] = perm[j];
        perm[j] = k;
        items[i].track = (int32_t)perm[i];
        items[i].added_at = t;
        t -= 1 + (int64_t)rng_below(&r, (uint32_t)(2 * gap));
    }
    rc = library_replace(&c->users[user], items, size);
    if (rc != 0)
        snprintf(err, errsz, "out of memory");
done:
    free(items);
    free(perm);
    return rc;
}

int generator_liked_spec(struct catalog *c, const char *spec, char *err, size_t errsz)
{
    char user[80];
    long size;
    const char *colon = strrchr(spec, ':');
    size_t ulen = colon ? (size_t)(colon - spec) : 0;
    if (!colon || ulen == 0 || ulen >= sizeof user || parse_long(colon + 1, 0, 1000000, &size)) {
        snprintf(err, errsz, "--liked wants USER:SIZE (SIZE 0..1000000), got '%s'", spec);
        return -1;
    }
    memcpy(user, spec, ulen);
    user[ulen] = '\0';
    if (!is_user_id(user)) {
        snprintf(err, errsz, "--liked: bad user id '%s'", user);
        return -1;
    }
    int u = catalog_user_find(c, user);
    if (u < 0 && (u = catalog_add_user(c, user, user)) < 0) {
        snprintf(err, errsz, "out of memory");
        return -1;
    }
    return generator_liked(c, u, (size_t)size, true, err, errsz);
}
