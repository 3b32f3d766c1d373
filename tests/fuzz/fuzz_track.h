/* A track drawn from fuzzer bytes, for the rule targets: every field may be set or
 * missing, strings are arbitrary bytes (invalid UTF-8, long), numbers and dates
 * anywhere in their range. Header-only; fuzz_track_release() frees what it drew. */
#ifndef PLAYROUTER_FUZZ_TRACK_H
#define PLAYROUTER_FUZZ_TRACK_H
#include <stdbool.h>

#include "domain/track.h"
#include "tests/fuzz/fuzz_input.h"

#define FUZZ_TRACK_MAX_MULTI 4

struct fuzz_track {
    struct track t;
    char *strs[8]; /* id name isrc album_id album_name album_type label added_by */
    char *release;
    char *artist_ids[FUZZ_TRACK_MAX_MULTI], *artist_names[FUZZ_TRACK_MAX_MULTI];
    char *genres[FUZZ_TRACK_MAX_MULTI];
    unsigned char genre_sources[FUZZ_TRACK_MAX_MULTI];
    char *tags[FUZZ_TRACK_MAX_MULTI];
};

static inline char *fuzz_maybe_str(struct fuzz_input *in, size_t max)
{
    return fuzz_u8(in) & 1 ? fuzz_str(in, max) : NULL;
}

static inline void fuzz_track_draw(struct fuzz_input *in, struct fuzz_track *ft)
{
    memset(ft, 0, sizeof *ft);
    struct track *t = &ft->t;
    for (int i = 0; i < 8; i++)
        ft->strs[i] = fuzz_maybe_str(in, i == 1 ? 255 : 40);
    t->id = ft->strs[0], t->name = ft->strs[1], t->isrc = ft->strs[2];
    t->album_id = ft->strs[3], t->album_name = ft->strs[4], t->album_type = ft->strs[5];
    t->label = ft->strs[6], t->added_by = ft->strs[7];
    size_t na = fuzz_below(in, FUZZ_TRACK_MAX_MULTI + 1),
           ng = fuzz_below(in, FUZZ_TRACK_MAX_MULTI + 1);
    for (size_t i = 0; i < na; i++) {
        ft->artist_ids[i] = fuzz_maybe_str(in, 30);
        ft->artist_names[i] = fuzz_maybe_str(in, 60);
    }
    for (size_t i = 0; i < ng; i++) {
        ft->genres[i] = fuzz_maybe_str(in, 30);
        ft->genre_sources[i] = (unsigned char)(fuzz_u8(in) & 3);
    }
    size_t nt = fuzz_below(in, FUZZ_TRACK_MAX_MULTI + 1);
    for (size_t i = 0; i < nt; i++)
        ft->tags[i] = fuzz_maybe_str(in, 30);
    t->tags = (const char *const *)ft->tags;
    t->n_tags = nt;
    t->genre_sources = fuzz_u8(in) & 1 ? ft->genre_sources : NULL;
    t->artist_ids = (const char *const *)ft->artist_ids;
    t->artist_names = (const char *const *)ft->artist_names;
    t->n_artists = na;
    t->genres = (const char *const *)ft->genres;
    t->n_genres = ng;
    if ((ft->release = fuzz_maybe_str(in, 12)))
        track_set_release_date(t, ft->release);
    t->added_at = (int64_t)(int32_t)fuzz_u32(in) * 4; /* about 1834..2106, negative too */
    t->duration_ms = (int32_t)fuzz_u32(in);
    t->track_number = (int32_t)fuzz_u32(in);
    t->disc_number = (int32_t)fuzz_u32(in);
    t->popularity = (int32_t)fuzz_below(in, 101);
    t->artist_popularity = (int32_t)fuzz_below(in, 101);
    t->album_popularity = (int32_t)fuzz_below(in, 101);
    t->is_explicit = fuzz_u8(in) & 1;
    t->original_year = (int32_t)fuzz_u32(in);
    /* which of the optional numbers the track carries (the release bit is the date's) */
    t->has |= (fuzz_u32(in) & ~(unsigned)TRACK_HAS_RELEASE) & 0x3ffu;
}

static inline void fuzz_track_release(struct fuzz_track *ft)
{
    for (int i = 0; i < 8; i++)
        free(ft->strs[i]);
    free(ft->release);
    for (int i = 0; i < FUZZ_TRACK_MAX_MULTI; i++) {
        free(ft->artist_ids[i]);
        free(ft->artist_names[i]);
        free(ft->genres[i]);
        free(ft->tags[i]);
    }
}

#endif
