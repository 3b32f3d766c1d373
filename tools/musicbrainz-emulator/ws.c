/* /ws/2 handlers: searches (recordings by isrc:, artists by arid:), lookups
 * (isrc, artist, recording) and the genre list, with MusicBrainz's parameter
 * rules (docs/musicbrainz.md): a search limit outside 1..100 silently becomes
 * 25; a browse-style limit (genre/all) is clamped to 100 and must be a
 * number; inc values are checked per resource. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mb.h"

static const char JSON_ONLY[] =
    "musicbrainz-emulator answers JSON only: add fmt=json (or Accept: application/json)";

/* inc values each resource accepts (musicbrainz-server's ws_defs), and what they mean here. */
static const char *const ISRC_INCS[] = {"artists",        "releases",     "puids", "isrcs",
                                        "artist-credits", "aliases",      "tags",  "user-tags",
                                        "ratings",        "user-ratings", NULL};
static const char *const RECORDING_INCS[] = {
    "artists",        "releases",        "artist-credits", "puids",       "isrcs",   "aliases",
    "tags",           "user-tags",       "genres",         "user-genres", "ratings", "user-ratings",
    "release-groups", "work-level-rels", "annotation",     NULL};
static const char *const ARTIST_INCS[] = {
    "recordings", "releases", "release-groups", "works",   "aliases",      "annotation", "tags",
    "user-tags",  "genres",   "user-genres",    "ratings", "user-ratings", NULL};

static bool is_digits(const char *s)
{
    if (!s || !*s)
        return false;
    for (; *s; s++)
        if (*s < '0' || *s > '9')
            return false;
    return true;
}

/* A positive integer argument (capped at 10^9), or 0. */
static long positive_arg(const struct mb_req *req, const char *key)
{
    char *v = req_arg(req, key);
    long n = 0;
    if (is_digits(v) && strlen(v) < 10)
        n = strtol(v, NULL, 10);
    free(v);
    return n;
}

/* Parses inc (split on '+' and ' ') against valid; *incs gets the INC_* bits. */
static int parse_incs(struct mb_req *req, struct mb_resp *res, const char *resource,
                      const char *const *valid, unsigned *incs)
{
    char *inc = req_arg(req, "inc");
    char *save = NULL;
    *incs = 0;
    for (char *t = inc ? strtok_r(inc, "+ ", &save) : NULL; t; t = strtok_r(NULL, "+ ", &save)) {
        bool ok = strlen(t) > 5 && strcmp(t + strlen(t) - 5, "-rels") == 0;
        for (const char *const *v = valid; *v && !ok; v++)
            ok = strcmp(*v, t) == 0;
        if (!ok) {
            char msg[160];
            snprintf(msg, sizeof msg, "%.64s is not a valid inc parameter for the %s resource.", t,
                     resource);
            resp_error(res, 400, msg);
            free(inc);
            return -1;
        }
        if (strcmp(t, "artist-credits") == 0 || strcmp(t, "artists") == 0)
            *incs |= INC_ARTIST_CREDITS;
        else if (strcmp(t, "isrcs") == 0)
            *incs |= INC_ISRCS;
        else if (strcmp(t, "tags") == 0)
            *incs |= INC_TAGS;
        else if (strcmp(t, "genres") == 0)
            *incs |= INC_GENRES;
    }
    free(inc);
    return 0;
}

/* MusicBrainz's is_guid: 36 characters, hex groups 8-4-4-4-12 in any case.
 * Writes the lower-case form into out[37]. */
static bool guid(const char *s, char out[37])
{
    if (!s || strlen(s) != 36)
        return false;
    for (int i = 0; i < 36; i++) {
        char c = s[i];
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (c != '-')
                return false;
        } else if (c >= 'A' && c <= 'F') {
            c = (char)(c + 32);
        } else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
            return false;
        }
        out[i] = c;
    }
    out[36] = '\0';
    return true;
}

/* ---- searches ---- */

/* MusicBrainz's blank-query test: only white space, or white space in quotes. */
static bool blank_query(const char *q)
{
    while (*q == ' ' || *q == '\t' || *q == '\n' || *q == '\r')
        q++;
    if (*q == '"') {
        q++;
        while (*q == ' ' || *q == '\t' || *q == '\n' || *q == '\r')
            q++;
        return strcmp(q, "\"") == 0;
    }
    return *q == '\0';
}

/* Marks the matches of the values in hit[] (one flag per recording or artist). */
static int mark(const struct mb_world *w, bool recordings, char **vals, size_t n, char *hit)
{
    for (size_t i = 0; i < n; i++) {
        if (recordings) {
            int x = world_isrc(w, vals[i]);
            for (int k = 0; x >= 0 && k < w->isrcs[x].nrecs; k++)
                hit[w->isrcs[x].recs[k]] = 1;
        } else {
            char id[37];
            if (!guid(vals[i], id))
                return -1; /* Solr's UUIDField refuses the query */
            int a = world_artist(w, id);
            if (a >= 0)
                hit[a] = 1;
        }
    }
    return 0;
}

static void search(struct mb_req *req, struct mb_resp *res, bool recordings)
{
    const struct mb_world *w = &req->mb->world;
    char err[160], msg[240], created[32];
    char **vals = NULL;
    size_t nvals = 0;
    if (!req->json) {
        resp_error(res, 400, JSON_ONLY);
        return;
    }
    char *q = req_arg(req, "query");
    if (!q || blank_query(q)) {
        free(q);
        resp_error(res, 400,
                   "You submitted a blank search query. You must include a non-blank 'query=' "
                   "parameter with your search.");
        return;
    }
    long limit = positive_arg(req, "limit"), offset = positive_arg(req, "offset");
    if (limit < 1 || limit > 100)
        limit = 25;
    enum lucene_status st =
        lucene_terms(q, recordings ? "isrc" : "arid", &vals, &nvals, err, sizeof err);
    free(q);
    if (st == LUCENE_OOM) {
        resp_error(res, 500, "out of memory");
        return;
    }
    if (st == LUCENE_UNSUPPORTED) {
        snprintf(msg, sizeof msg, "musicbrainz-emulator does not emulate this query: %s", err);
        resp_error(res, 400, msg);
        return;
    }
    size_t n = recordings ? w->nrecs : w->nartists;
    char *hit = calloc(n + 1, 1);
    if (!hit) {
        lucene_free(vals, nvals);
        resp_error(res, 500, "out of memory");
        return;
    }
    if (st == LUCENE_TOO_MANY || mark(w, recordings, vals, nvals, hit) != 0) {
        lucene_free(vals, nvals);
        free(hit);
        resp_error(res, 400, "Search server could not complete query: Bad request");
        return;
    }
    lucene_free(vals, nvals);
    size_t count = 0;
    for (size_t i = 0; i < n; i++)
        count += (size_t)hit[i];
    json_created(created);
    struct buf *b = &res->body;
    int rc = buf_appendf(b, "{\"created\":\"%s\",\"count\":%zu,\"offset\":%ld,\"%s\":[", created,
                        count, offset, recordings ? "recordings" : "artists");
    size_t seen = 0, shown = 0;
    for (size_t i = 0; i < n && rc == 0 && shown < (size_t)limit; i++) {
        if (!hit[i] || seen++ < (size_t)offset)
            continue;
        rc = (shown++ && buf_append_str(b, ",")) ||
             (recordings ? json_recording_search(req->mb, &w->recs[i], b)
                         : json_artist_search(&w->artists[i], b));
    }
    free(hit);
    resp_json(res, 200, rc || buf_append_str(b, "]}"));
}

void ws_recording_search(struct mb_req *req, struct mb_resp *res)
{
    search(req, res, true);
}

void ws_artist_search(struct mb_req *req, struct mb_resp *res)
{
    search(req, res, false);
}

/* ---- lookups ---- */

void ws_isrc_lookup(struct mb_req *req, struct mb_resp *res)
{
    const struct mb_world *w = &req->mb->world;
    const char *code = req->param;
    unsigned incs;
    if (!req->json) {
        resp_error(res, 400, JSON_ONLY);
        return;
    }
    if (parse_incs(req, res, "isrc", ISRC_INCS, &incs) != 0)
        return;
    /* ^[A-Z]{2}[A-Z0-9]{3}[0-9]{7}$, upper case only, as MusicBrainz checks it. */
    bool valid = strlen(code) == 12;
    for (int i = 0; valid && i < 12; i++) {
        char c = code[i];
        bool up = c >= 'A' && c <= 'Z', dig = c >= '0' && c <= '9';
        valid = i < 2 ? up : i < 5 ? up || dig : dig;
    }
    if (!valid) {
        resp_error(res, 400, "Invalid isrc.");
        return;
    }
    int x = world_isrc(w, code);
    if (x < 0 || w->isrcs[x].nrecs == 0) {
        resp_error(res, 404, "Not Found");
        return;
    }
    struct buf *b = &res->body;
    int rc = buf_appendf(b, "{\"isrc\":\"%s\",\"recordings\":[", w->isrcs[x].code);
    for (int k = 0; k < w->isrcs[x].nrecs && rc == 0; k++)
        rc = (k && buf_append_str(b, ",")) ||
             json_recording_lookup(w, &w->recs[w->isrcs[x].recs[k]], incs, b);
    resp_json(res, 200, rc || buf_append_str(b, "]}"));
}

static void lookup(struct mb_req *req, struct mb_resp *res, bool recording)
{
    const struct mb_world *w = &req->mb->world;
    unsigned incs;
    char id[37];
    if (!req->json) {
        resp_error(res, 400, JSON_ONLY);
        return;
    }
    if (parse_incs(req, res, recording ? "recording" : "artist",
                   recording ? RECORDING_INCS : ARTIST_INCS, &incs) != 0)
        return;
    if (!guid(req->param, id)) {
        resp_error(res, 400, "Invalid mbid.");
        return;
    }
    int i = recording ? world_recording(w, id) : world_artist(w, id);
    if (i < 0) {
        resp_error(res, 404, "Not Found");
        return;
    }
    int rc = recording ? json_recording_lookup(w, &w->recs[i], incs, &res->body)
                       : json_artist_lookup(w, &w->artists[i], incs, &res->body);
    resp_json(res, 200, rc);
}

void ws_recording_lookup(struct mb_req *req, struct mb_resp *res)
{
    lookup(req, res, true);
}

void ws_artist_lookup(struct mb_req *req, struct mb_resp *res)
{
    lookup(req, res, false);
}

/* ---- genre/all ---- */

/* MusicBrainz's _limit_and_offset: absent or 0 → 25 / 0; not a whole number
 * → 400; a limit above 100 → 100. 0, or -1 after the 400. */
static int browse_paging(struct mb_req *req, struct mb_resp *res, long *limit, long *offset)
{
    char *l = req_arg(req, "limit"), *o = req_arg(req, "offset");
    int rc = 0;
    if ((l && *l && !is_digits(l)) || (o && *o && !is_digits(o)) || (l && strlen(l) > 9) ||
        (o && strlen(o) > 9)) {
        resp_error(res, 400, "The 'limit' and 'offset' parameters must be positive integers");
        rc = -1;
    } else {
        *limit = l && *l ? strtol(l, NULL, 10) : 0;
        *offset = o && *o ? strtol(o, NULL, 10) : 0;
        if (*limit == 0)
            *limit = 25;
        if (*limit > 100)
            *limit = 100;
    }
    free(l);
    free(o);
    return rc;
}

void ws_genre_all(struct mb_req *req, struct mb_resp *res)
{
    const struct mb_world *w = &req->mb->world;
    struct buf *b = &res->body;
    char *fmt = req_arg(req, "fmt");
    bool txt = fmt && strcmp(fmt, "txt") == 0;
    free(fmt);
    int rc = 0;
    if (txt) { /* every name, one a line; limit and offset ignored */
        for (size_t i = 0; i < w->ngenres && rc == 0; i++)
            rc = (i && buf_append_str(b, "\n")) || buf_append_str(b, w->genres[i].name);
        res->ctype = "text/plain; charset=utf-8";
        resp_json(res, 200, rc || buf_reserve(b, 1));
        return;
    }
    long limit, offset;
    if (!req->json) {
        resp_error(res, 400, JSON_ONLY);
        return;
    }
    if (browse_paging(req, res, &limit, &offset) != 0)
        return;
    rc =
        buf_appendf(b, "{\"genre-count\":%zu,\"genre-offset\":%ld,\"genres\":[", w->ngenres, offset);
    for (size_t i = (size_t)offset; i < w->ngenres && i < (size_t)(offset + limit) && rc == 0; i++)
        rc = (i > (size_t)offset && buf_append_str(b, ",")) ||
             buf_appendf(b, "{\"id\":\"%s\",\"name\":", w->genres[i].id) ||
             jw_str(b, w->genres[i].name) || buf_append_str(b, ",\"disambiguation\":\"\"}");
    resp_json(res, 200, rc || buf_append_str(b, "]}"));
}
