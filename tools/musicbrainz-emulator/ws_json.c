/* The JSON objects of /ws/2 answers. Search answers follow what the search
 * server writes (sir's documents through mb-solr's mbjson writer): optional
 * fields are left out, every artist tag is shown, no genres. Lookups follow
 * musicbrainz-server's serializers: fixed keys, tags and genres only with a
 * count > 0, sorted by name. docs/musicbrainz.md cites both. */
#include <string.h>

#include "mb.h"

void json_created(char out[32])
{
    int64_t ms = now_ms();
    char s[21];
    iso8601(ms / 1000, s); /* YYYY-MM-DDTHH:MM:SSZ */
    memcpy(out, s, 19);
    out[19] = '.';
    out[20] = (char)('0' + (ms % 1000) / 100);
    out[21] = (char)('0' + (ms % 100) / 10);
    out[22] = (char)('0' + ms % 10);
    out[23] = 'Z';
    out[24] = '\0';
}

/* The tags of a (count > 0 and, with genres_only, a genre), sorted by name; at most max. */
static int sorted_tags(const struct mb_world *w, const struct mb_artist *a, bool genres_only,
                       const struct mb_tag **out, int max)
{
    int n = 0;
    for (int i = 0; i < a->ntags && n < max; i++) {
        const struct mb_tag *t = &a->tags[i];
        if (t->count <= 0 || (genres_only && !world_is_genre(w, t->name)))
            continue;
        int j = n++;
        while (j > 0 && strcmp(out[j - 1]->name, t->name) > 0) {
            out[j] = out[j - 1];
            j--;
        }
        out[j] = t;
    }
    return n;
}

static int tag_obj(struct buf *b, const struct mb_tag *t)
{
    return buf_appendf(b, "{\"count\":%d,\"name\":", t->count) || jw_str(b, t->name) ||
           buf_append_str(b, "}");
}

/* ,"tags":[…] and/or ,"genres":[…] of a lookup (the filtered, sorted lists). */
static int lookup_tags(const struct mb_world *w, const struct mb_artist *a, unsigned incs,
                       struct buf *b)
{
    const struct mb_tag *sel[64];
    int rc = 0;
    if (incs & INC_TAGS) {
        int n = sorted_tags(w, a, false, sel, 64);
        rc = buf_append_str(b, ",\"tags\":[");
        for (int i = 0; i < n && rc == 0; i++)
            rc = (i && buf_append_str(b, ",")) || tag_obj(b, sel[i]);
        rc = rc || buf_append_str(b, "]");
    }
    if (incs & INC_GENRES) {
        int n = sorted_tags(w, a, true, sel, 64);
        rc = rc || buf_append_str(b, ",\"genres\":[");
        for (int i = 0; i < n && rc == 0; i++) {
            int g = strmap_get(&w->genre_map, sel[i]->name);
            rc = (i && buf_append_str(b, ",")) ||
                 buf_appendf(b, "{\"count\":%d,\"disambiguation\":\"\",\"id\":\"%s\",\"name\":",
                            sel[i]->count, w->genres[g].id) ||
                 jw_str(b, sel[i]->name) || buf_append_str(b, "}");
        }
        rc = rc || buf_append_str(b, "]");
    }
    return rc;
}

/* {"id","name","sort-name"…}: the common head of every artist object. */
static int artist_head(const struct mb_artist *a, struct buf *b)
{
    return buf_appendf(b, "{\"id\":\"%s\",\"name\":", a->id) || jw_str(b, a->name) ||
           buf_append_str(b, ",\"sort-name\":") || jw_str(b, a->sort_name);
}

static int credits(const struct mb_world *w, const struct mb_recording *r, bool search,
                   unsigned incs, struct buf *b)
{
    int rc = buf_append_str(b, ",\"artist-credit\":[");
    for (int k = 0; k < r->ncredits && rc == 0; k++) {
        const struct mb_credit *cr = &r->credits[k];
        const struct mb_artist *a = &w->artists[cr->artist];
        rc = (k && buf_append_str(b, ",")) || buf_append_str(b, "{\"name\":") || jw_str(b, cr->name);
        if (!search || cr->joinphrase[0])
            rc = rc || buf_append_str(b, ",\"joinphrase\":") || jw_str(b, cr->joinphrase);
        rc = rc || buf_append_str(b, ",\"artist\":") || artist_head(a, b);
        if (!search)
            rc = rc ||
                 buf_appendf(b, ",\"disambiguation\":\"\",\"type\":\"%s\",\"type-id\":\"%s\",",
                            a->type, a->type_id) ||
                 buf_append_str(b, "\"country\":") || jw_str(b, a->country) ||
                 lookup_tags(w, a, incs & (INC_TAGS | INC_GENRES), b);
        rc = rc || buf_append_str(b, "}}");
    }
    return rc || buf_append_str(b, "]");
}

static int isrc_list(const struct mb_world *w, const struct mb_recording *r, struct buf *b)
{
    int rc = buf_append_str(b, ",\"isrcs\":[");
    for (int i = 0; i < r->nisrcs && rc == 0; i++)
        rc = (i && buf_append_str(b, ",")) || jw_str(b, w->isrcs[r->isrcs[i]].code);
    return rc || buf_append_str(b, "]");
}

int json_recording_search(const struct mb *mb, const struct mb_recording *r, struct buf *b)
{
    const struct mb_world *w = &mb->world;
    int rc = buf_appendf(b, "{\"id\":\"%s\",\"score\":100,\"title\":", r->id) || jw_str(b, r->title);
    if (r->length >= 0)
        rc = rc || buf_appendf(b, ",\"length\":%d", r->length);
    rc = rc || buf_append_str(b, ",\"video\":null");
    if (r->disambiguation[0])
        rc = rc || buf_append_str(b, ",\"disambiguation\":") || jw_str(b, r->disambiguation);
    rc = rc || credits(w, r, true, 0, b) || buf_appendf(b, ",\"artist-credit-id\":\"%s\"", r->ac_id);
    if (r->date[0])
        rc = rc || buf_appendf(b, ",\"first-release-date\":\"%s\"", r->date);
    if (atomic_load(&mb->search_isrcs) && r->nisrcs)
        rc = rc || isrc_list(w, r, b);
    return rc || buf_append_str(b, "}");
}

int json_recording_lookup(const struct mb_world *w, const struct mb_recording *r, unsigned incs,
                          struct buf *b)
{
    int rc = buf_appendf(b, "{\"id\":\"%s\",\"title\":", r->id) || jw_str(b, r->title);
    rc = rc || (r->length >= 0 ? buf_appendf(b, ",\"length\":%d", r->length)
                               : buf_append_str(b, ",\"length\":null"));
    rc = rc || buf_append_str(b, ",\"video\":false,\"disambiguation\":") || jw_str(b, r->disambiguation);
    if (r->date[0])
        rc = rc || buf_appendf(b, ",\"first-release-date\":\"%s\"", r->date);
    if (incs & INC_ARTIST_CREDITS)
        rc = rc || credits(w, r, false, incs, b);
    if (incs & INC_ISRCS)
        rc = rc || isrc_list(w, r, b);
    if (incs & INC_TAGS)
        rc = rc || buf_append_str(b, ",\"tags\":[]"); /* nobody tags these recordings */
    if (incs & INC_GENRES)
        rc = rc || buf_append_str(b, ",\"genres\":[]");
    return rc || buf_append_str(b, "}");
}

int json_artist_search(const struct mb_artist *a, struct buf *b)
{
    int rc = buf_appendf(b, "{\"id\":\"%s\",\"type\":\"%s\",\"type-id\":\"%s\",\"score\":100,",
                        a->id, a->type, a->type_id) ||
             buf_append_str(b, "\"name\":") || jw_str(b, a->name) || buf_append_str(b, ",\"sort-name\":") ||
             jw_str(b, a->sort_name);
    if (a->country)
        rc = rc || buf_appendf(b, ",\"country\":\"%s\"", a->country);
    rc = rc || buf_append_str(b, ",\"life-span\":{\"ended\":null}");
    if (a->ntags) {
        rc = rc || buf_append_str(b, ",\"tags\":[");
        for (int i = 0; i < a->ntags && rc == 0; i++)
            rc = (i && buf_append_str(b, ",")) || tag_obj(b, &a->tags[i]);
        rc = rc || buf_append_str(b, "]");
    }
    return rc || buf_append_str(b, "}");
}

int json_artist_lookup(const struct mb_world *w, const struct mb_artist *a, unsigned incs,
                       struct buf *b)
{
    int rc = artist_head(a, b) ||
             buf_appendf(b,
                        ",\"disambiguation\":\"\",\"type\":\"%s\",\"type-id\":\"%s\","
                        "\"gender\":null,\"gender-id\":null,\"country\":",
                        a->type, a->type_id) ||
             jw_str(b, a->country) ||
             buf_append_str(b, ",\"area\":null,\"begin-area\":null,\"end-area\":null,"
                         "\"life-span\":{\"begin\":null,\"end\":null,\"ended\":false},"
                         "\"ipis\":[],\"isnis\":[]") ||
             lookup_tags(w, a, incs, b);
    return rc || buf_append_str(b, "}");
}
