/* The batches a sync asks of MusicBrainz (docs/musicbrainz.md §6): recordings by ISRC,
 * artists by MBID, the genre list; each batch's answer is stored at once. */
#include <stdlib.h>
#include <string.h>

#include "lib/app_err.h"
#include "lib/log.h"
#include "services/metadata/musicbrainz_internal.h"
#include "services/rules/rule.h"

#define FIRST_BATCH 95  /* ISRCs in the first recording search */
#define MAX_BATCH 250   /* 250 `isrc:` terms keep the URL under 8 KiB (§2) */
#define MAX_PAGES 10    /* pages of one search; a batch never needs more than 3 */
#define GENRE_LIST_KEY "genre_list"

/* ---- Recordings ------------------------------------------------------------------- */

/* The next batch size from the recordings-per-ISRC ratio r seen so far: about 94 / r
 * ISRCs, so that a page of 100 holds the whole answer with some room to spare. */
static size_t batch_size(const struct mbm *m)
{
    size_t cap = m->max_batch ? m->max_batch : MAX_BATCH, size = FIRST_BATCH;
    if (m->isrcs_searched >= 1) {
        double r = m->recordings_found / m->isrcs_searched;
        double b = r > 0 ? 94.0 / r : MAX_BATCH;
        size = b < 1 ? 1 : b > MAX_BATCH ? MAX_BATCH : (size_t)b;
    }
    return size < cap ? size : cap;
}

static int cmp_isrc_key(const void *key, const void *elem)
{
    return strcmp((const char *)key, (*(struct mbm_isrc *const *)elem)->isrc);
}

/* Records that recording r carries e's ISRC. */
static int add_recording(struct mbm *m, struct mbm_isrc *e, const struct mb_recording *r)
{
    int rc = mbm_strs_add(m->a, &e->recs, r->id);
    for (size_t k = 0; rc == 0 && k < r->n_artists; k++)
        if (musicbrainz_mbid_valid(r->artist_ids[k]))
            rc = mbm_strs_add(m->a, &e->arts, r->artist_ids[k]);
    const char *d = r->first_release_date;
    if (rc == 0 && d && strlen(d) >= 4 && d[0] >= '0' && d[0] <= '9' && d[1] >= '0' &&
        d[1] <= '9' && d[2] >= '0' && d[2] <= '9' && d[3] >= '0' && d[3] <= '9') {
        int32_t y = (d[0] - '0') * 1000 + (d[1] - '0') * 100 + (d[2] - '0') * 10 + (d[3] - '0');
        if (!e->has_year || y < e->year) {
            e->year = y;
            e->has_year = true;
        }
    }
    return rc;
}

/* One ISRC alone: GET /isrc/{isrc}?inc=artist-credits. */
static int lookup_one(struct mbm *m, struct mbm_isrc *e)
{
    struct mb_recording_page page;
    int rc = musicbrainz_client_lookup_isrc(m->client, m->a, e->isrc, &page, &m->err);
    for (size_t i = 0; rc == 0 && i < page.n; i++)
        rc = add_recording(m, e, &page.items[i]);
    return rc;
}

/* The answers of need[0..n) become their rows, stored together. */
static int store_isrcs(struct mbm *m, struct mbm_isrc **need, size_t n)
{
    struct mb_isrc_row *rows = arena_alloc(m->a, (n + 1) * sizeof *rows);
    int rc;
    if (!rows)
        return ERR_NOMEM;
    for (size_t i = 0; i < n; i++) {
        struct mbm_isrc *e = need[i];
        e->row = (struct mb_isrc_row){.isrc = e->isrc,
                                      .known = e->recs.n > 0,
                                      .recording_ids = e->recs.v,
                                      .n_recordings = e->recs.n,
                                      .artist_ids = e->arts.v,
                                      .n_artists = e->arts.n,
                                      .has_year = e->has_year,
                                      .original_year = e->year,
                                      .fetched_at = m->now};
        e->have = e->fresh = true;
        rows[i] = e->row;
    }
    struct db *db = mbm_db(m);
    rc = db ? musicbrainz_repo_put_isrcs(db, rows, n) : ERR_UNAVAILABLE;
    mbm_db_done(m, db);
    if (rc != 0)
        log_warn("musicbrainz: could not store %zu ISRCs (database error); asked again next "
                 "time",
                 n);
    m->stats->isrcs_asked += n;
    m->done += (int64_t)n;
    return mbm_progress(m);
}

/* need[0..n) (sorted) by one search, its pages, and the lookups it makes necessary. */
static int search_batch(struct mbm *m, struct mbm_isrc **need, size_t n)
{
    const char **codes = arena_alloc(m->a, (n + 1) * sizeof *codes);
    bool unattributed = false, attributed = false;
    int64_t offset = 0, count = 0;
    int rc = 0;

    if (!codes)
        return ERR_NOMEM;
    for (size_t i = 0; i < n; i++)
        codes[i] = need[i]->isrc;
    for (int pages = 0; pages < MAX_PAGES; pages++) {
        struct mb_recording_page page;
        rc =
            musicbrainz_client_search_recordings(m->client, m->a, codes, n, offset, &page, &m->err);
        if (rc == ERR_PAYLOAD_TOO_LARGE && n > 1 && offset == 0) {
            /* 414: the URL is too long for the server; halve the batch, and never ask
             * that many again in this call. */
            if (!m->max_batch || n / 2 < m->max_batch)
                m->max_batch = n / 2;
            rc = 0;
            for (size_t i = 0, b; rc == 0 && i < n; i += b) {
                b = n - i < m->max_batch ? n - i : m->max_batch; /* may shrink meanwhile */
                rc = search_batch(m, need + i, b);
            }
            return rc;
        }
        if (rc == ERR_PAYLOAD_TOO_LARGE)
            rc = ERR_METADATA_UNAVAILABLE;
        if (rc != 0 || (rc = mbm_progress(m)) != 0)
            return rc;
        if (pages == 0)
            count = page.count;
        for (size_t i = 0; i < page.n; i++) {
            const struct mb_recording *r = &page.items[i];
            if (!r->has_isrcs || r->n_isrcs == 0) {
                unattributed = true; /* cannot tell which ISRC it carries */
                continue;
            }
            for (size_t k = 0; k < r->n_isrcs; k++) {
                char up[13];
                size_t len = strlen(r->isrcs[k]);
                if (len != 12)
                    continue;
                for (size_t j = 0; j <= len; j++)
                    up[j] = (char)(r->isrcs[k][j] >= 'a' && r->isrcs[k][j] <= 'z'
                                       ? r->isrcs[k][j] - 32
                                       : r->isrcs[k][j]);
                struct mbm_isrc **e = bsearch(up, need, n, sizeof *need, cmp_isrc_key);
                if (e && (rc = add_recording(m, *e, r)) != 0)
                    return rc;
                attributed |= e != NULL;
            }
        }
        offset += MUSICBRAINZ_PAGE;
        if (offset >= page.count || page.n == 0)
            break;
    }
    m->isrcs_searched += (double)n;
    m->recordings_found += (double)count;
    if (unattributed) {
        /* A recording without isrcs: the ISRCs nothing was attributed to may be its. */
        if (!attributed)
            m->search_lacks_isrcs = true;
        for (size_t i = 0; i < n; i++)
            if (need[i]->recs.n == 0 && (rc = lookup_one(m, need[i])) != 0)
                return rc;
    }
    return store_isrcs(m, need, n);
}

int mbm_fetch_isrcs(struct mbm *m, struct mbm_isrc **need, size_t n)
{
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < n;) {
        if (m->search_lacks_isrcs) {
            /* Searches do not say which recording carries which ISRC: one by one. */
            if ((rc = lookup_one(m, need[i])) == 0)
                rc = store_isrcs(m, &need[i], 1);
            i++;
            continue;
        }
        size_t b = batch_size(m);
        if (b > n - i)
            b = n - i;
        rc = search_batch(m, &need[i], b);
        i += b;
    }
    return rc;
}

/* ---- Artists -------------------------------------------------------------------- */

static int cmp_str(const void *x, const void *y)
{
    return strcmp(*(const char *const *)x, *(const char *const *)y);
}

/* A name lower-cased as the rules fold it (arena copy). */
static const char *folded(struct arena *a, const char *s)
{
    size_t len = strlen(s);
    char *out = arena_alloc(a, len + 1);
    if (out)
        rule_fold(s, len, out);
    return out;
}

/* m->genres from the store, or from MusicBrainz when missing or older than the TTL
 * (a stale list stands in when MusicBrainz cannot be reached). */
static int load_genres(struct mbm *m)
{
    const char *text = NULL;
    const char *const *names = NULL;
    int64_t fetched = 0;
    size_t n = 0;
    struct db *db = mbm_db(m);
    int rc = db ? musicbrainz_repo_get_state(db, m->a, GENRE_LIST_KEY, &text, &fetched)
                : ERR_UNAVAILABLE;
    mbm_db_done(m, db);
    if (rc == ERR_NOMEM)
        return rc;
    bool have = rc == 0 && text, fresh = have && m->now - fetched < MUSICBRAINZ_METADATA_TTL_S;
    if (!fresh) {
        rc = musicbrainz_client_genres(m->client, m->a, &names, &n, &m->err);
        if (rc == 0) {
            struct buf joined = BUF_INIT;
            for (size_t i = 0; i < n; i++)
                if (buf_appendf(&joined, "%s%s", i ? "\n" : "", names[i]) != 0)
                    rc = ERR_NOMEM;
            if (rc == 0) {
                struct db *wdb = mbm_db(m);
                if (!wdb || musicbrainz_repo_put_state(wdb, GENRE_LIST_KEY, joined.data, m->now))
                    log_warn("musicbrainz: could not store the genre list (database error)");
                mbm_db_done(m, wdb);
            }
            buf_release(&joined);
        }
        if (rc == ERR_METADATA_UNAVAILABLE && have)
            log_warn("musicbrainz: genre list not refreshed (%s); the stored one stands in",
                     report_text(&m->err));
        else if (rc != 0 || (rc = mbm_progress(m)) != 0)
            return rc;
    }
    if (!names && (rc = musicbrainz_parse_genres(text, strlen(text), m->a, &names, &n)) != 0)
        return rc;
    if (!(m->genres = arena_alloc(m->a, (n + 1) * sizeof *m->genres)))
        return ERR_NOMEM;
    for (size_t i = 0; i < n; i++)
        if (!(m->genres[i] = folded(m->a, names[i])))
            return ERR_NOMEM;
    qsort(m->genres, n, sizeof *m->genres, cmp_str);
    m->n_genres = n;
    return 0;
}

/* An artist's genres: its tags with a positive count that are in the genre list,
 * lower-cased, sorted, each once. */
static int artist_genres(struct mbm *m, const struct mb_artist *ar, struct mb_artist_row *row)
{
    const char **g = arena_alloc(m->a, (ar->n_tags + 1) * sizeof *g);
    size_t n = 0;
    if (!g)
        return ERR_NOMEM;
    for (size_t i = 0; i < ar->n_tags; i++) {
        const char *name;
        if (ar->tags[i].count <= 0)
            continue;
        if (!(name = folded(m->a, ar->tags[i].name)))
            return ERR_NOMEM;
        if (bsearch(&name, m->genres, m->n_genres, sizeof *m->genres, cmp_str))
            g[n++] = name;
    }
    qsort(g, n, sizeof *g, cmp_str);
    size_t u = 0;
    for (size_t i = 0; i < n; i++)
        if (u == 0 || strcmp(g[u - 1], g[i]) != 0)
            g[u++] = g[i];
    row->genres = g;
    row->n_genres = u;
    row->known = true;
    return 0;
}

static int fetch_artist_batches(struct mbm *m, struct mbm_artist **need, size_t n);

/* need[0..n) (n <= 100) by one search; a 414 halves the batch size for the rest. */
static int artist_batch(struct mbm *m, struct mbm_artist **need, size_t n)
{
    const char **ids = arena_alloc(m->a, (n + 1) * sizeof *ids);
    struct mb_artist_row *rows = arena_alloc(m->a, (n + 1) * sizeof *rows);
    struct mb_artist_page page;
    int rc;

    if (!ids || !rows)
        return ERR_NOMEM;
    for (size_t i = 0; i < n; i++) {
        ids[i] = need[i]->id;
        rows[i] = (struct mb_artist_row){.id = need[i]->id, .fetched_at = m->now};
    }
    rc = musicbrainz_client_search_artists(m->client, m->a, ids, n, &page, &m->err);
    if (rc == ERR_PAYLOAD_TOO_LARGE && n > 1) {
        if (!m->max_artist_batch || n / 2 < m->max_artist_batch)
            m->max_artist_batch = n / 2;
        return fetch_artist_batches(m, need, n);
    }
    if (rc == ERR_PAYLOAD_TOO_LARGE)
        rc = ERR_METADATA_UNAVAILABLE;
    if (rc != 0)
        return rc;
    /* An artist the search does not return (the index lags the database) keeps no
     * genres until the entry is refreshed. */
    for (size_t k = 0; k < page.n; k++)
        for (size_t i = 0; i < n; i++)
            if (!rows[i].known && strcmp(page.items[k].id, ids[i]) == 0 &&
                (rc = artist_genres(m, &page.items[k], &rows[i])) != 0)
                return rc;
    for (size_t i = 0; i < n; i++) {
        need[i]->row = rows[i];
        need[i]->have = need[i]->fresh = true;
    }
    struct db *db = mbm_db(m);
    if (!db || musicbrainz_repo_put_artists(db, rows, n) != 0)
        log_warn("musicbrainz: could not store %zu artists (database error)", n);
    mbm_db_done(m, db);
    m->stats->artists_asked += n;
    m->done += (int64_t)n;
    return mbm_progress(m);
}

/* need[0..n) in batches of at most 100, or of what a 414 taught (it may shrink
 * between two batches). */
static int fetch_artist_batches(struct mbm *m, struct mbm_artist **need, size_t n)
{
    int rc = 0;
    for (size_t i = 0, b; rc == 0 && i < n; i += b) {
        b = m->max_artist_batch ? m->max_artist_batch : MUSICBRAINZ_PAGE;
        b = n - i < b ? n - i : b;
        rc = artist_batch(m, &need[i], b);
    }
    return rc;
}

int mbm_fetch_artists(struct mbm *m, struct mbm_artist **need, size_t n)
{
    int rc = n ? load_genres(m) : 0;
    return rc ? rc : fetch_artist_batches(m, need, n);
}
