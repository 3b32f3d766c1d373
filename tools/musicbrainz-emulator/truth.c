/* /__admin/truth: what the emulated MusicBrainz knows, in the terms playrouter
 * computes (API.md "Metadata sources"), so that tests can check a sync's
 * genre and original_year without trusting the code under test:
 *
 *   GET /__admin/truth/isrcs              the Spotify catalogue's ISRCs: known, unknown,
 *                                         multiple (2 recordings), and MusicBrainz-only codes
 *   GET /__admin/truth/isrc/{isrc}        recordings, credited artists, genres, original_year
 *   GET /__admin/truth/tracks/{spotify id} the same for a Spotify track
 *   GET /__admin/truth/artists/{id}       an artist by MBID or Spotify id: every tag, genres
 *   GET /__admin/truth/genres             the genre list */
#include <stdlib.h>
#include <string.h>

#include "mb.h"

#define MAX_NAMES 64

static int str_list(struct buf *b, const char *const *v, int n)
{
    int rc = buf_append_str(b, "[");
    for (int i = 0; i < n && rc == 0; i++)
        rc = (i && buf_append_str(b, ",")) || jw_str(b, v[i]);
    return rc || buf_append_str(b, "]");
}

static void isrc_lists(const struct mb_world *w, struct mb_resp *res)
{
    static const char *const KEYS[] = {"known", "unknown", "multiple", "musicbrainz_only"};
    struct buf *b = &res->body;
    int rc = buf_append_str(b, "{");
    for (int k = 0; k < 4 && rc == 0; k++) {
        bool first = true;
        rc = buf_appendf(b, "%s\"%s\":[", k ? "," : "", KEYS[k]);
        for (size_t i = 0; i < w->nisrcs && rc == 0; i++) {
            const struct mb_isrc *x = &w->isrcs[i];
            bool in = k == 3 ? x->track < 0
                             : x->track >= 0 && (k == 0   ? x->nrecs > 0
                                                 : k == 1 ? x->nrecs == 0
                                                          : x->nrecs > 1);
            if (in) {
                rc = (!first && buf_append_str(b, ",")) || jw_str(b, x->code);
                first = false;
            }
        }
        rc = rc || buf_append_str(b, "]");
    }
    resp_json(res, 200, rc || buf_append_str(b, "}"));
}

/* Adds s to the sorted set v (n entries, at most MAX_NAMES). */
static void add_sorted(const char **v, int *n, const char *s)
{
    int i = 0;
    while (i < *n && strcmp(v[i], s) < 0)
        i++;
    if ((i < *n && strcmp(v[i], s) == 0) || *n == MAX_NAMES)
        return;
    memmove(v + i + 1, v + i, (size_t)(*n - i) * sizeof *v);
    v[i] = s;
    (*n)++;
}

static int artist_brief(const struct mb *mb, const struct mb_artist *a, struct buf *b)
{
    const char *g[MAX_NAMES];
    int ng = world_artist_genres(&mb->world, a, g, MAX_NAMES);
    return buf_appendf(b, "{\"id\":\"%s\",\"spotify_id\":", a->id) ||
           jw_str(b, mb->cat->artists[a->spotify].id) || buf_append_str(b, ",\"name\":") ||
           jw_str(b, a->name) || buf_append_str(b, ",\"genres\":") || str_list(b, g, ng) ||
           buf_append_str(b, "}");
}

static void isrc_truth(const struct mb *mb, int xi, struct mb_resp *res)
{
    const struct mb_world *w = &mb->world;
    const struct mb_isrc *x = &w->isrcs[xi];
    struct buf *b = &res->body;
    const char *genres[MAX_NAMES];
    int artists[16], na = 0, ng = 0, year = 0;
    int rc = buf_appendf(b, "{\"isrc\":\"%s\",\"spotify_track\":", x->code) ||
             jw_str(b, x->track >= 0 ? mb->cat->tracks[x->track].id : NULL) ||
             buf_appendf(b, ",\"known\":%s,\"recordings\":[", x->nrecs ? "true" : "false");
    for (int k = 0; k < x->nrecs && rc == 0; k++) {
        const struct mb_recording *r = &w->recs[x->recs[k]];
        rc = (k && buf_append_str(b, ",")) || buf_appendf(b, "{\"id\":\"%s\",\"title\":", r->id) ||
             jw_str(b, r->title) || buf_append_str(b, ",\"first_release_date\":") ||
             jw_str(b, r->date[0] ? r->date : NULL) || buf_append_str(b, ",\"artists\":[");
        for (int c = 0; c < r->ncredits && rc == 0; c++) {
            int a = r->credits[c].artist;
            bool dup = false;
            for (int j = 0; j < na; j++)
                dup = dup || artists[j] == a;
            if (!dup && na < 16)
                artists[na++] = a;
            rc = (c && buf_append_str(b, ",")) || jw_str(b, w->artists[a].id);
        }
        rc = rc || buf_append_str(b, "],\"isrcs\":[");
        for (int i = 0; i < r->nisrcs && rc == 0; i++)
            rc = (i && buf_append_str(b, ",")) || jw_str(b, w->isrcs[r->isrcs[i]].code);
        rc = rc || buf_append_str(b, "]}");
        int y = r->date[0] ? atoi(r->date) : 0;
        if (y && (!year || y < year))
            year = y;
    }
    rc = rc || buf_append_str(b, "],\"artists\":[");
    for (int j = 0; j < na && rc == 0; j++) {
        const char *g[MAX_NAMES];
        int n = world_artist_genres(w, &w->artists[artists[j]], g, MAX_NAMES);
        for (int i = 0; i < n; i++)
            add_sorted(genres, &ng, g[i]);
        rc = (j && buf_append_str(b, ",")) || artist_brief(mb, &w->artists[artists[j]], b);
    }
    rc = rc || buf_append_str(b, "],\"genres\":") || str_list(b, genres, ng) ||
         (year ? buf_appendf(b, ",\"original_year\":%d}", year)
               : buf_append_str(b, ",\"original_year\":null}"));
    resp_json(res, 200, rc);
}

static void artist_truth(const struct mb *mb, int ai, struct mb_resp *res)
{
    const struct mb_artist *a = &mb->world.artists[ai];
    const char *g[MAX_NAMES];
    int ng = world_artist_genres(&mb->world, a, g, MAX_NAMES);
    struct buf *b = &res->body;
    int rc = buf_appendf(b, "{\"id\":\"%s\",\"spotify_id\":", a->id) ||
             jw_str(b, mb->cat->artists[a->spotify].id) || buf_append_str(b, ",\"name\":") ||
             jw_str(b, a->name) || buf_append_str(b, ",\"sort_name\":") || jw_str(b, a->sort_name) ||
             buf_appendf(b, ",\"type\":\"%s\",\"country\":", a->type) || jw_str(b, a->country) ||
             buf_append_str(b, ",\"tags\":[");
    for (int i = 0; i < a->ntags && rc == 0; i++)
        rc = (i && buf_append_str(b, ",")) || buf_append_str(b, "{\"name\":") || jw_str(b, a->tags[i].name) ||
             buf_appendf(b, ",\"count\":%d}", a->tags[i].count);
    rc = rc || buf_append_str(b, "],\"genres\":") || str_list(b, g, ng) || buf_append_str(b, "}");
    resp_json(res, 200, rc);
}

void truth_handle(struct mb_req *req, struct mb_resp *res, char **seg, int nseg)
{
    const struct mb *mb = req->mb;
    const struct mb_world *w = &mb->world;
    const char *what = seg[0];
    if (nseg == 1 && strcmp(what, "isrcs") == 0) {
        isrc_lists(w, res);
    } else if (nseg == 1 && strcmp(what, "genres") == 0) {
        struct buf *b = &res->body;
        int rc = buf_append_str(b, "{\"genres\":[");
        for (size_t i = 0; i < w->ngenres && rc == 0; i++)
            rc = (i && buf_append_str(b, ",")) || jw_str(b, w->genres[i].name);
        resp_json(res, 200, rc || buf_append_str(b, "]}"));
    } else if (nseg == 2 && strcmp(what, "isrc") == 0) {
        int x = world_isrc(w, seg[1]);
        if (x < 0)
            resp_error(res, 404, "no such ISRC in the Spotify catalogue or in MusicBrainz");
        else
            isrc_truth(mb, x, res);
    } else if (nseg == 2 && strcmp(what, "tracks") == 0) {
        int t = strmap_get(&mb->cat->track_map, seg[1]);
        int x = t >= 0 && mb->cat->tracks[t].isrc ? world_isrc(w, mb->cat->tracks[t].isrc) : -1;
        if (x < 0)
            resp_error(res, 404, "no such Spotify track, or it has no ISRC");
        else
            isrc_truth(mb, x, res);
    } else if (nseg == 2 && strcmp(what, "artists") == 0) {
        char id[37];
        size_t n = strlen(seg[1]);
        for (size_t i = 0; i < n && i < 36; i++)
            id[i] = (char)(seg[1][i] >= 'A' && seg[1][i] <= 'F' ? seg[1][i] + 32 : seg[1][i]);
        id[n < 36 ? n : 36] = '\0';
        int a = n == 36 ? world_artist(w, id) : world_spotify_artist(w, seg[1]);
        if (a < 0)
            resp_error(res, 404, "no such artist (an MBID or a Spotify artist id)");
        else
            artist_truth(mb, a, res);
    } else {
        resp_error(res, 404, "truth: isrcs, genres, isrc/{isrc}, tracks/{id}, artists/{id}");
    }
}
