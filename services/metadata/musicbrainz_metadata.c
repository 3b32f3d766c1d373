/* MusicBrainz values of a sync's tracks: the store first, MusicBrainz for what it lacks
 * (musicbrainz_fetch.c), then the tracks (musicbrainz_metadata.h). */
#include "services/metadata/musicbrainz_metadata.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "app/app.h"
#include "app/config.h"
#include "lib/app_err.h"
#include "lib/log.h"
#include "services/database.h"
#include "services/metadata/musicbrainz_internal.h"
#include "services/rules/rule.h"

int mbm_strs_add(struct arena *a, struct mbm_strs *l, const char *s)
{
    for (size_t i = 0; i < l->n; i++)
        if (strcmp(l->v[i], s) == 0)
            return 0;
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 4;
        const char **v = arena_alloc(a, cap * sizeof *v);
        if (!v)
            return ERR_NOMEM;
        if (l->n)
            memcpy(v, l->v, l->n * sizeof *v);
        l->v = v;
        l->cap = cap;
    }
    l->v[l->n++] = s;
    return 0;
}

struct db *mbm_db(struct mbm *m)
{
    return database_acquire(m->app, MBM_DB_WAIT_MS);
}

void mbm_db_done(struct mbm *m, struct db *db)
{
    database_release(m->app, db);
}

int mbm_progress(struct mbm *m)
{
    if (cancel_requested(m->cancel))
        return ERR_UNAVAILABLE; /* the preview's client hung up */
    return m->progress ? m->progress(m->ud, "musicbrainz", m->done, m->total) : 0;
}

int mbm_client(struct mbm *m)
{
    const struct config *cfg = m->app->cfg;
    struct buf ua = BUF_INIT;
    int rc;
    if (m->client)
        return 0;
    if (!cfg->musicbrainz_base || !m->app->musicbrainz_pacer) {
        report_message(&m->err, "MusicBrainz is off (PLAYROUTER_MUSICBRAINZ_BASE=off)");
        return ERR_METADATA_UNAVAILABLE;
    }
    if ((rc = musicbrainz_client_user_agent(PLAYROUTER_VERSION, cfg->contact, &ua)) != 0)
        return rc;
    struct musicbrainz_client_opts o = {.base = cfg->musicbrainz_base,
                                        .user_agent = ua.data,
                                        .pacer = m->app->musicbrainz_pacer,
                                        /* 2: the shutdown grace is over (app.h); at 1
                                         * running syncs still finish */
                                        .stop = &m->app->shutting_down,
                                        .stop_at = 2,
                                        .timeout_ms = cfg->musicbrainz_timeout_ms,
                                        .max_attempts = cfg->musicbrainz_max_attempts,
                                        .retry_after_cap_s = cfg->retry_after_cap_s};
    rc = musicbrainz_client_new(&o, &m->client);
    buf_release(&ua);
    if (rc != 0 && rc != ERR_NOMEM) {
        report_message(&m->err, "could not set up the MusicBrainz client");
        rc = ERR_METADATA_UNAVAILABLE;
    }
    return rc;
}

static int cmp_isrc(const void *x, const void *y)
{
    return strcmp(((const struct mbm_isrc *)x)->isrc, ((const struct mbm_isrc *)y)->isrc);
}

static int cmp_artist(const void *x, const void *y)
{
    return strcmp(((const struct mbm_artist *)x)->id, ((const struct mbm_artist *)y)->id);
}

/* The track's ISRC upper-cased into up[13], when it is a valid one. */
static bool isrc_of(const struct track *t, char up[13])
{
    if (!t->isrc || strlen(t->isrc) != 12)
        return false;
    for (int i = 0; i <= 12; i++)
        up[i] = (char)(t->isrc[i] >= 'a' && t->isrc[i] <= 'z' ? t->isrc[i] - 32 : t->isrc[i]);
    return musicbrainz_isrc_valid(up);
}

static struct mbm_isrc *find_isrc(const struct mbm *m, const char *isrc)
{
    struct mbm_isrc key = {.isrc = isrc};
    return bsearch(&key, m->isrcs, m->n_isrcs, sizeof key, cmp_isrc);
}

static struct mbm_artist *find_artist(const struct mbm *m, const char *id)
{
    struct mbm_artist key = {.id = id};
    return bsearch(&key, m->artists, m->n_artists, sizeof key, cmp_artist);
}

/* m->isrcs: the distinct valid ISRCs of the tracks, with what the store knows. */
static int load_isrcs(struct mbm *m, const struct track *tracks, size_t n)
{
    size_t k = 0;
    if (!(m->isrcs = arena_alloc(m->a, (n + 1) * sizeof *m->isrcs)))
        return ERR_NOMEM;
    for (size_t i = 0; i < n; i++) {
        char up[13];
        if (isrc_of(&tracks[i], up) && !(m->isrcs[k++].isrc = arena_strdup(m->a, up)))
            return ERR_NOMEM;
    }
    qsort(m->isrcs, k, sizeof *m->isrcs, cmp_isrc);
    struct db *db = k ? mbm_db(m) : NULL;
    int rc = k && !db ? ERR_UNAVAILABLE : 0;
    for (size_t i = 0; rc == 0 && i < k; i++) {
        if (m->n_isrcs && strcmp(m->isrcs[m->n_isrcs - 1].isrc, m->isrcs[i].isrc) == 0)
            continue;
        struct mbm_isrc *e = &m->isrcs[m->n_isrcs++];
        *e = (struct mbm_isrc){.isrc = m->isrcs[i].isrc};
        int got = musicbrainz_repo_get_isrc(db, m->a, e->isrc, &e->row);
        if (got == ERR_NOMEM)
            rc = got;
        e->have = got == 0;
        e->fresh = e->have && m->now - e->row.fetched_at < MUSICBRAINZ_METADATA_TTL_S;
    }
    mbm_db_done(m, db);
    return rc;
}

/* m->artists: the distinct artists credited on the known ISRCs, with what the store
 * knows. */
static int load_artists(struct mbm *m)
{
    size_t total = 0, k = 0;
    for (size_t i = 0; i < m->n_isrcs; i++)
        total += m->isrcs[i].have ? m->isrcs[i].row.n_artists : 0;
    if (!(m->artists = arena_alloc(m->a, (total + 1) * sizeof *m->artists)))
        return ERR_NOMEM;
    for (size_t i = 0; i < m->n_isrcs; i++)
        for (size_t j = 0; m->isrcs[i].have && j < m->isrcs[i].row.n_artists; j++)
            if (musicbrainz_mbid_valid(m->isrcs[i].row.artist_ids[j]))
                m->artists[k++].id = m->isrcs[i].row.artist_ids[j];
    qsort(m->artists, k, sizeof *m->artists, cmp_artist);
    m->n_artists = 0;
    struct db *db = k ? mbm_db(m) : NULL;
    int rc = k && !db ? ERR_UNAVAILABLE : 0;
    for (size_t i = 0; rc == 0 && i < k; i++) {
        if (m->n_artists && strcmp(m->artists[m->n_artists - 1].id, m->artists[i].id) == 0)
            continue;
        struct mbm_artist *e = &m->artists[m->n_artists++];
        *e = (struct mbm_artist){.id = m->artists[i].id};
        int got = musicbrainz_repo_get_artist(db, m->a, e->id, &e->row);
        if (got == ERR_NOMEM)
            rc = got;
        e->have = got == 0;
        e->fresh = e->have && m->now - e->row.fetched_at < MUSICBRAINZ_METADATA_TTL_S;
    }
    mbm_db_done(m, db);
    return rc;
}

/* The ISRCs (or artists) that are not fresh, as pointers into m's arrays. */
static void **stale_list(struct mbm *m, bool artists, size_t *n)
{
    size_t count = artists ? m->n_artists : m->n_isrcs, k = 0;
    void **list = arena_alloc(m->a, (count + 1) * sizeof *list);
    *n = 0;
    if (!list)
        return NULL;
    for (size_t i = 0; i < count; i++) {
        bool fresh = artists ? m->artists[i].fresh : m->isrcs[i].fresh;
        if (!fresh)
            list[k++] = artists ? (void *)&m->artists[i] : (void *)&m->isrcs[i];
    }
    *n = k;
    return list;
}

/* After a failure to reach MusicBrainz: how many ISRCs and artists the tracks need that
 * nothing known can stand in for. */
static size_t unknown_count(const struct mbm *m)
{
    size_t n = 0;
    for (size_t i = 0; i < m->n_isrcs; i++)
        n += !m->isrcs[i].have;
    for (size_t i = 0; i < m->n_artists; i++)
        n += !m->artists[i].have;
    return n;
}

/* Adds genre g (folded) from `source` to the lists, or the source to it when present. */
static void merge_genre(const char **g, unsigned char *src, size_t *n, const char *x,
                        unsigned source)
{
    for (size_t i = 0; i < *n; i++)
        if (strcmp(g[i], x) == 0) {
            src[i] |= (unsigned char)source;
            return;
        }
    g[*n] = x;
    src[(*n)++] = (unsigned char)source;
}

/* Writes the MusicBrainz values of ISRC e (NULL: none) into t; its genres become the
 * lower-cased union either way. */
static int apply(struct mbm *m, struct track *t, const struct mbm_isrc *e)
{
    size_t cap = t->n_genres;
    t->genre_asked |= TRACK_SOURCE_MUSICBRAINZ;
    if (e && !(e->have && e->row.known))
        e = NULL;
    if (e && e->row.has_year) {
        t->original_year = e->row.original_year;
        t->has |= TRACK_HAS_ORIGINAL_YEAR;
    }
    for (size_t j = 0; e && j < e->row.n_artists; j++) {
        const struct mbm_artist *ar = find_artist(m, e->row.artist_ids[j]);
        cap += ar && ar->have ? ar->row.n_genres : 0;
    }
    const char **g = arena_alloc(m->a, (cap + 1) * sizeof *g);
    unsigned char *src = arena_alloc(m->a, cap + 1);
    size_t n = 0;
    if (!g || !src)
        return ERR_NOMEM;
    for (size_t i = 0; t->genres && i < t->n_genres; i++) {
        const char *x = t->genres[i];
        size_t len = x ? strlen(x) : 0;
        char *low = len ? arena_alloc(m->a, len + 1) : NULL;
        if (!len)
            continue;
        if (!low)
            return ERR_NOMEM;
        rule_fold(x, len, low);
        merge_genre(g, src, &n, low,
                    t->genre_sources ? t->genre_sources[i] : TRACK_SOURCE_SPOTIFY);
    }
    for (size_t j = 0; e && j < e->row.n_artists; j++) {
        const struct mbm_artist *ar = find_artist(m, e->row.artist_ids[j]);
        for (size_t k = 0; ar && ar->have && k < ar->row.n_genres; k++)
            merge_genre(g, src, &n, ar->row.genres[k], TRACK_SOURCE_MUSICBRAINZ);
    }
    t->genres = g;
    t->genre_sources = src;
    t->n_genres = n;
    return 0;
}

/* Asks MusicBrainz what the store lacks (or holds too old). */
static int fetch(struct mbm *m)
{
    size_t n_isrc = 0, n_art = 0;
    void **need = stale_list(m, false, &n_isrc);
    int rc;

    if (!need)
        return ERR_NOMEM;
    m->total = (int64_t)n_isrc;
    if (n_isrc && ((rc = mbm_client(m)) != 0 || (rc = mbm_progress(m)) != 0 ||
                   (rc = mbm_fetch_isrcs(m, (struct mbm_isrc **)need, n_isrc)) != 0))
        return rc;
    if ((rc = load_artists(m)) != 0)
        return rc;
    if (!(need = stale_list(m, true, &n_art)))
        return ERR_NOMEM;
    m->total += (int64_t)n_art;
    if (n_art && ((rc = mbm_client(m)) != 0 || (rc = mbm_progress(m)) != 0 ||
                  (rc = mbm_fetch_artists(m, (struct mbm_artist **)need, n_art)) != 0))
        return rc;
    return 0;
}

int musicbrainz_metadata_enrich(struct app *app, struct arena *a, struct track *tracks, size_t n,
                                const struct cancel *cancel, metadata_progress_fn progress,
                                void *ud, struct musicbrainz_stats *stats, struct report *rep)
{
    struct musicbrainz_stats local = {0};
    struct mbm m = {.app = app,
                    .a = a,
                    .cancel = cancel,
                    .now = (int64_t)time(NULL),
                    .progress = progress,
                    .ud = ud,
                    .stats = stats ? stats : &local};
    unsigned long before = m.stats->requests;
    int rc;

    if ((rc = load_isrcs(&m, tracks, n)) != 0) {
        if (rc == ERR_UNAVAILABLE)
            report_message(rep, "no database connection was free to read the MusicBrainz store");
        goto done;
    }
    rc = fetch(&m);
    if (rc == ERR_METADATA_UNAVAILABLE) {
        /* What is known (even older than 30 days) stands in; what is not, cannot. */
        if (!m.artists && load_artists(&m) == ERR_NOMEM) {
            rc = ERR_NOMEM;
            goto done;
        }
        const char *msg = report_text(&m.err);
        size_t unknown = unknown_count(&m);
        if (unknown > 0) {
            report_message(rep, "%s%s%zu of the ISRCs and artists the rules need %s not known yet",
                           msg, *msg ? "; " : "", unknown, unknown == 1 ? "is" : "are");
            goto done;
        }
        log_warn("musicbrainz: %s; values older than 30 days stand in", *msg ? msg : "off");
        rc = 0;
    }
    if (rc != 0)
        goto done;
    if (!m.artists && (rc = load_artists(&m)) != 0) {
        if (rc == ERR_UNAVAILABLE)
            report_message(rep, "no database connection was free to read the MusicBrainz store");
        goto done;
    }
    for (size_t i = 0; i < n; i++) {
        char up[13];
        if ((rc = apply(&m, &tracks[i], isrc_of(&tracks[i], up) ? find_isrc(&m, up) : NULL)) != 0)
            goto done;
    }
done:
    m.stats->isrcs += m.n_isrcs;
    m.stats->artists += m.n_artists;
    m.stats->requests = before + (m.client ? musicbrainz_client_requests(m.client) : 0);
    musicbrainz_client_free(m.client);
    report_release(&m.err);
    return rc;
}
