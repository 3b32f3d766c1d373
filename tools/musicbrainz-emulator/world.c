/* The emulated MusicBrainz, derived deterministically from the Spotify
 * emulator's catalogue: every value comes from a hash of a Spotify id or an
 * ISRC, so the same catalogue (same seed and sizes, or the same --catalog
 * file) gives the same MBIDs, tags, recordings and dates on every run.
 *
 *   artists    one per Spotify artist; MBID from its Spotify id; tags from its
 *              Spotify genres (some voted down to a count <= 0), sometimes an
 *              extra MusicBrainz genre, folksonomy tags ("seen live"), or none
 *   ISRCs      8 % unknown to MusicBrainz; 6 % with two recordings (a second
 *              artist credited, or an earlier first-release-date); 5 % of the
 *              recordings carry a second, MusicBrainz-only ISRC
 *   dates      first-release-date from the album's date, sometimes years
 *              earlier (compilations always), as YYYY-MM-DD, YYYY-MM, YYYY or
 *              missing
 * The snprintf()s format bounded numbers into buffers sized for them. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mb.h"

#define SALT 0x6d757369636272ULL /* "musicbr" */

static const char PERSON_ID[] = "b6e035f4-3ce9-331c-97df-83397230b0df";
static const char GROUP_ID[] = "e431f5f6-b5d2-343d-8b36-72607fffb74b";
static const char *const COUNTRIES[] = {"GB", "US", "SE", "DE", "FR", "JP", "KR", "NL"};

/* A version-4-shaped UUID from a kind ("artist", "recording", …) and a key. */
static void uuid_of(const char *kind, const char *key, char out[37])
{
    uint64_t h1 = id_hash(id_hash(SALT, kind), key);
    uint64_t h2 = id_hash(id_hash(SALT ^ 0x9e3779b97f4a7c15ULL, kind), key);
    snprintf(out, 37, "%08x-%04x-4%03x-%04x-%012llx", (unsigned)(h1 >> 32),
             (unsigned)((h1 >> 16) & 0xffff), (unsigned)(h1 & 0xfff),
             (unsigned)(0x8000 | ((h2 >> 48) & 0x3fff)),
             (unsigned long long)(h2 & 0xffffffffffffULL));
}

static bool starts_with(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* ---- artists ---- */

static int add_tag(struct mb_artist *a, int cap, const char *name, int count)
{
    for (int i = 0; i < a->ntags; i++)
        if (strcmp(a->tags[i].name, name) == 0)
            return 0;
    if (a->ntags == cap)
        return 0;
    a->tags[a->ntags].name = name;
    a->tags[a->ntags].count = count;
    a->ntags++;
    return 0;
}

static int artist_tags(struct mb_artist *a, const struct emu_artist *sa, struct rng *r)
{
    int cap = sa->ngenres + 6;
    if (rng_below(r, 10) == 0)
        return 0; /* nobody tagged this one */
    a->tags = calloc((size_t)cap, sizeof *a->tags);
    if (!a->tags)
        return -1;
    for (int g = 0; g < sa->ngenres; g++) {
        int count = 1 + (int)rng_below(r, 15);
        if (rng_below(r, 8) == 0)
            count = -(int)rng_below(r, 3); /* voted down to 0, -1 or -2 */
        add_tag(a, cap, sa->genres[g], count);
    }
    if (rng_below(r, 10) < 3)
        add_tag(a, cap, MB_EXTRA_GENRES[rng_below(r, (uint32_t)MB_NEXTRA_GENRES)],
                1 + (int)rng_below(r, 6));
    if (rng_below(r, 2) == 0) {
        int n = 1 + (int)rng_below(r, 2);
        for (int k = 0; k < n; k++)
            add_tag(a, cap, MB_PLAIN_TAGS[rng_below(r, (uint32_t)MB_NPLAIN_TAGS)],
                    1 + (int)rng_below(r, 20));
    }
    if (rng_below(r, 6) == 0)
        add_tag(a, cap, MB_EXTRA_GENRES[rng_below(r, (uint32_t)MB_NEXTRA_GENRES)],
                -(int)rng_below(r, 2));
    return 0;
}

static int build_artist(struct mb_world *w, const struct catalog *c, int i)
{
    const struct emu_artist *sa = &c->artists[i];
    struct mb_artist *a = &w->artists[i];
    struct rng r;
    rng_seed(&r, id_hash(SALT, sa->id));
    uuid_of("artist", sa->id, a->id);
    a->spotify = i;
    a->name = sa->name;
    bool group = starts_with(sa->name, "The ") || starts_with(sa->name, "Los ") ||
                 starts_with(sa->name, "Club ");
    bool person = !group && (starts_with(sa->name, "DJ ") || rng_below(&r, 3) == 0);
    a->type = person ? "Person" : "Group";
    a->type_id = person ? PERSON_ID : GROUP_ID;
    a->country = rng_below(&r, 5) == 0 ? NULL : COUNTRIES[rng_below(&r, 8)];
    /* "The Quiet Harbor" sorts as "Quiet Harbor, The"; a person "Silver Echo" as "Echo, Silver". */
    const char *sp = strchr(sa->name, ' ');
    size_t len = strlen(sa->name);
    a->sort_name = malloc(len + 3);
    if (!a->sort_name)
        return -1;
    if (sp && (starts_with(sa->name, "The ") || starts_with(sa->name, "Los ")))
        snprintf(a->sort_name, len + 3, "%s, %.*s", sp + 1, (int)(sp - sa->name), sa->name);
    else if (person && sp && !strchr(sp + 1, ' ') && !starts_with(sa->name, "DJ "))
        snprintf(a->sort_name, len + 3, "%s, %.*s", sp + 1, (int)(sp - sa->name), sa->name);
    else
        memcpy(a->sort_name, sa->name, len + 1);
    return artist_tags(a, sa, &r);
}

/* ---- ISRCs and recordings ---- */

static int add_isrc(struct mb_world *w, const char *code, int track)
{
    struct mb_isrc *x = &w->isrcs[w->nisrcs];
    snprintf(x->code, sizeof x->code, "%s", code);
    x->track = track;
    x->nrecs = 0;
    if (strmap_put(&w->isrc_map, x->code, (int)w->nisrcs) != 0)
        return -1;
    return (int)w->nisrcs++;
}

/* The first-release-date of a recording of a track on album al. */
static void derive_date(struct rng *r, const struct emu_album *al, char out[11])
{
    const char *d = al->release_date ? al->release_date : "";
    int year = atoi(d);
    int month = strlen(d) >= 7 ? atoi(d + 5) : 1 + (int)rng_below(r, 12);
    int day = strlen(d) >= 10 ? atoi(d + 8) : 1 + (int)rng_below(r, 28);
    out[0] = '\0';
    if (year <= 0)
        return;
    if ((al->album_type && strcmp(al->album_type, "compilation") == 0) || rng_below(r, 7) == 0)
        year -= 1 + (int)rng_below(r, 20); /* Spotify has a later reissue */
    if (year < 1900 || year > 9999)
        year = 1900;
    if (month < 1 || month > 12)
        month = 1;
    if (day < 1 || day > 31)
        day = 1;
    uint32_t p = rng_below(r, 100);
    if (p < 6)
        return;
    unsigned y = (unsigned)year % 10000u, m = (unsigned)month % 100u, d2 = (unsigned)day % 100u;
    if (p < 16)
        snprintf(out, 11, "%04u", y);
    else if (p < 24)
        snprintf(out, 11, "%04u-%02u", y, m);
    else
        snprintf(out, 11, "%04u-%02u-%02u", y, m, d2);
}

static void link_isrc(struct mb_world *w, int rec, int isrc)
{
    struct mb_recording *m = &w->recs[rec];
    struct mb_isrc *x = &w->isrcs[isrc];
    if (x->nrecs < 2)
        x->recs[x->nrecs++] = rec;
    if (m->nisrcs < 2) {
        m->isrcs[m->nisrcs++] = isrc;
        if (m->nisrcs == 2 && strcmp(w->isrcs[m->isrcs[0]].code, x->code) > 0) {
            m->isrcs[1] = m->isrcs[0];
            m->isrcs[0] = isrc;
        }
    }
}

static int new_recording(struct mb_world *w, const char *kind, const char *code,
                         const struct emu_track *t, int ncredits)
{
    struct mb_recording *m = &w->recs[w->nrecs];
    memset(m, 0, sizeof *m);
    uuid_of(kind, code, m->id);
    m->title = t->name;
    m->disambiguation = "";
    m->length = t->duration_ms;
    m->credits = calloc((size_t)ncredits, sizeof *m->credits);
    if (!m->credits || strmap_put(&w->rec_map, m->id, (int)w->nrecs) != 0)
        return -1;
    m->ncredits = ncredits;
    return (int)w->nrecs++;
}

static void credit_id(struct mb_world *w, struct mb_recording *m)
{
    char key[512] = "";
    size_t used = 0;
    for (int k = 0; k < m->ncredits && used + 40 < sizeof key; k++)
        used += (size_t)snprintf(key + used, sizeof key - used, "%s%s",
                                 w->artists[m->credits[k].artist].id, m->credits[k].joinphrase);
    uuid_of("artist-credit", key, m->ac_id);
}

static int build_track(struct mb_world *w, const struct catalog *c, int ti)
{
    const struct emu_track *t = &c->tracks[ti];
    char code[13];
    size_t n = t->isrc ? strlen(t->isrc) : 0;
    if (n == 0 || n > 12)
        return 0;
    for (size_t i = 0; i <= n; i++)
        code[i] = (char)(t->isrc[i] >= 'a' && t->isrc[i] <= 'z' ? t->isrc[i] - 32 : t->isrc[i]);
    if (world_isrc(w, code) >= 0)
        return 0; /* two Spotify tracks with one ISRC: the first one's recordings */
    struct rng r;
    rng_seed(&r, id_hash(SALT ^ 0x52, code));
    int xi = add_isrc(w, code, ti);
    if (xi < 0)
        return -1;
    uint32_t u = rng_below(&r, 100);
    if (u < 8)
        return 0; /* MusicBrainz does not know this ISRC */
    int ri = new_recording(w, "recording", code, t, t->nartists);
    if (ri < 0)
        return -1;
    struct mb_recording *m = &w->recs[ri];
    if (rng_below(&r, 40) == 0)
        m->length = -1;
    for (int k = 0; k < t->nartists; k++) {
        const struct emu_artist *sa = &c->artists[t->artists[k]];
        m->credits[k].artist = t->artists[k];
        m->credits[k].name = sa->name;
        if (starts_with(sa->name, "The ") && rng_below(&r, 10) == 0)
            m->credits[k].name = sa->name + 4; /* credited without the article */
        m->credits[k].joinphrase = k == t->nartists - 1  ? ""
                                   : k < t->nartists - 2 ? ", "
                                   : rng_below(&r, 2)    ? " feat. "
                                                         : " & ";
    }
    credit_id(w, m);
    derive_date(&r, &c->albums[t->album], m->date);
    link_isrc(w, ri, xi);
    if (rng_below(&r, 20) == 0) {
        char extra[13];
        snprintf(extra, sizeof extra, "XX%.3s%07u", code + 2, rng_below(&r, 10000000));
        int ei = world_isrc(w, extra);
        if (ei < 0 && (ei = add_isrc(w, extra, -1)) < 0)
            return -1;
        link_isrc(w, ri, ei);
    }
    if (u >= 14)
        return 0;
    /* A second recording with this ISRC: another artist featured, or an older date. */
    int other = (int)rng_below(&r, (uint32_t)c->n_artists);
    bool featured = rng_below(&r, 2) == 0 && other != t->artists[0];
    int r2 = new_recording(w, "recording#2", code, t, featured ? 2 : t->nartists);
    if (r2 < 0)
        return -1;
    m = &w->recs[ri]; /* new_recording does not move the array, but keep it obvious */
    struct mb_recording *m2 = &w->recs[r2];
    if (featured) {
        m2->credits[0] = m->credits[0];
        m2->credits[0].joinphrase = " feat. ";
        m2->credits[1].artist = other;
        m2->credits[1].name = c->artists[other].name;
        m2->credits[1].joinphrase = "";
        memcpy(m2->date, m->date, sizeof m->date);
        m2->disambiguation = "single version";
        m2->length = m->length < 0 ? -1 : m->length - 1000 * (int)rng_below(&r, 30);
    } else {
        memcpy(m2->credits, m->credits, (size_t)m->ncredits * sizeof *m->credits);
        const char *rd = c->albums[t->album].release_date;
        int year = m->date[0] ? atoi(m->date) : rd ? atoi(rd) : 2000;
        year = (year > 1911 && year < 10000 ? year : 1911) - 1 - (int)rng_below(&r, 10);
        snprintf(m2->date, sizeof m2->date, "%04u", (unsigned)year % 10000u);
        m2->disambiguation = "original mix";
    }
    credit_id(w, m2);
    link_isrc(w, r2, xi);
    return 0;
}

/* ---- genres ---- */

static int cmp_genre(const void *a, const void *b)
{
    return strcmp(((const struct mb_genre *)a)->name, ((const struct mb_genre *)b)->name);
}

static bool not_a_genre(const char *name)
{
    for (size_t i = 0; i < MB_NNOT_GENRES; i++)
        if (strcmp(MB_NOT_GENRES[i], name) == 0)
            return true;
    return false;
}

static int add_genre(struct mb_world *w, struct strmap *seen, const char *name)
{
    if (not_a_genre(name) || strmap_get(seen, name) >= 0)
        return 0;
    if (strmap_put(seen, name, 1) != 0)
        return -1;
    w->genres[w->ngenres++].name = name;
    return 0;
}

static int build_genres(struct mb_world *w, const struct catalog *c)
{
    size_t cap = MB_NEXTRA_GENRES;
    struct strmap seen = {0};
    int rc = 0;
    for (size_t i = 0; i < c->n_artists; i++)
        cap += (size_t)c->artists[i].ngenres;
    w->genres = calloc(cap, sizeof *w->genres);
    if (!w->genres)
        return -1;
    for (size_t i = 0; i < c->n_artists && rc == 0; i++)
        for (int g = 0; g < c->artists[i].ngenres && rc == 0; g++)
            rc = add_genre(w, &seen, c->artists[i].genres[g]);
    for (size_t i = 0; i < MB_NEXTRA_GENRES && rc == 0; i++)
        rc = add_genre(w, &seen, MB_EXTRA_GENRES[i]);
    strmap_release(&seen);
    if (rc != 0)
        return -1;
    qsort(w->genres, w->ngenres, sizeof *w->genres, cmp_genre);
    for (size_t i = 0; i < w->ngenres; i++) {
        uuid_of("genre", w->genres[i].name, w->genres[i].id);
        if (strmap_put(&w->genre_map, w->genres[i].name, (int)i) != 0)
            return -1;
    }
    return 0;
}

/* ---- public ---- */

int world_build(struct mb_world *w, const struct catalog *c)
{
    memset(w, 0, sizeof *w);
    size_t na = c->n_artists ? c->n_artists : 1;
    w->artists = calloc(na, sizeof *w->artists);
    /* Upper bounds, so that the arrays never move (the maps borrow their keys). */
    w->caprecs = 2 * c->n_tracks + 1;
    w->capisrcs = 2 * c->n_tracks + 1;
    w->recs = calloc(w->caprecs, sizeof *w->recs);
    w->isrcs = calloc(w->capisrcs, sizeof *w->isrcs);
    if (!w->artists || !w->recs || !w->isrcs)
        return -1;
    w->nartists = c->n_artists;
    for (size_t i = 0; i < c->n_artists; i++) {
        if (build_artist(w, c, (int)i) != 0 ||
            strmap_put(&w->artist_map, w->artists[i].id, (int)i) != 0 ||
            strmap_put(&w->spotify_artist_map, c->artists[i].id, (int)i) != 0)
            return -1;
    }
    for (size_t i = 0; i < c->n_tracks; i++)
        if (build_track(w, c, (int)i) != 0)
            return -1;
    return build_genres(w, c);
}

void world_free(struct mb_world *w)
{
    for (size_t i = 0; w->artists && i < w->nartists; i++) {
        free(w->artists[i].sort_name);
        free(w->artists[i].tags);
    }
    for (size_t i = 0; w->recs && i < w->nrecs; i++)
        free(w->recs[i].credits);
    free(w->artists);
    free(w->recs);
    free(w->isrcs);
    free(w->genres);
    strmap_release(&w->isrc_map);
    strmap_release(&w->artist_map);
    strmap_release(&w->rec_map);
    strmap_release(&w->genre_map);
    strmap_release(&w->spotify_artist_map);
    memset(w, 0, sizeof *w);
}

int world_isrc(const struct mb_world *w, const char *code)
{
    char up[13];
    size_t n = strlen(code);
    if (n > 12)
        return -1;
    for (size_t i = 0; i <= n; i++)
        up[i] = (char)(code[i] >= 'a' && code[i] <= 'z' ? code[i] - 32 : code[i]);
    return strmap_get(&w->isrc_map, up);
}

int world_artist(const struct mb_world *w, const char *mbid)
{
    return strmap_get(&w->artist_map, mbid);
}

int world_recording(const struct mb_world *w, const char *mbid)
{
    return strmap_get(&w->rec_map, mbid);
}

int world_spotify_artist(const struct mb_world *w, const char *spotify_id)
{
    return strmap_get(&w->spotify_artist_map, spotify_id);
}

bool world_is_genre(const struct mb_world *w, const char *name)
{
    return strmap_get(&w->genre_map, name) >= 0;
}

int world_artist_genres(const struct mb_world *w, const struct mb_artist *a, const char **out,
                        int max)
{
    int n = 0;
    for (int i = 0; i < a->ntags && n < max; i++) {
        const char *g = a->tags[i].name;
        if (a->tags[i].count <= 0 || !world_is_genre(w, g))
            continue;
        int j = n++;
        while (j > 0 && strcmp(out[j - 1], g) > 0) {
            out[j] = out[j - 1];
            j--;
        }
        out[j] = g;
    }
    return n;
}
