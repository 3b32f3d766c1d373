#ifndef PLAYROUTER_TRACK_H
#define PLAYROUTER_TRACK_H
/* The filterable track: what the Spotify client builds from a playlist item
 * (plus artist/album metadata) and what the rule engine evaluates.
 * Every pointer is borrowed: the strings and arrays live in the arena (or other
 * storage) of whoever built the track. A missing string field is NULL; a missing
 * number, date or bool has its TRACK_HAS_* bit clear. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum track_has {
    TRACK_HAS_RELEASE = 1u << 0,           /* release_* fields valid */
    TRACK_HAS_ADDED_AT = 1u << 1,
    TRACK_HAS_DURATION = 1u << 2,
    TRACK_HAS_POPULARITY = 1u << 3,
    TRACK_HAS_ARTIST_POPULARITY = 1u << 4, /* max over the track's artists */
    TRACK_HAS_ALBUM_POPULARITY = 1u << 5,
    TRACK_HAS_TRACK_NUMBER = 1u << 6,
    TRACK_HAS_DISC_NUMBER = 1u << 7,
    TRACK_HAS_EXPLICIT = 1u << 8,
    TRACK_HAS_ORIGINAL_YEAR = 1u << 9, /* original_year valid (MusicBrainz) */
};

/* Where a value came from (bits of track.genre_sources; explain's `source`). */
enum track_source {
    TRACK_SOURCE_SPOTIFY = 1u << 0,
    TRACK_SOURCE_MUSICBRAINZ = 1u << 1,
};

struct track {
    const char *id;   /* Spotify track id (22 chars base62) */
    const char *uri;  /* "spotify:track:<id>" */
    const char *name;
    const char *isrc;

    const char *const *artist_ids;   /* n_artists entries, in the order Spotify lists them */
    const char *const *artist_names; /* n_artists entries */
    size_t n_artists;
    const char *const *genres; /* union of the artists' genres, first-seen order: Spotify's,
                                * then MusicBrainz's (API.md "Metadata sources") */
    size_t n_genres;
    const unsigned char *genre_sources; /* n_genres TRACK_SOURCE_* bits, or NULL: every
                                         * genre is Spotify's */
    unsigned genre_asked; /* TRACK_SOURCE_* bits of the sources asked for its genres
                           * (0: Spotify's alone) */
    const char *const *tags; /* the user's tags on the track and on its artists, sorted,
                              * each once */
    size_t n_tags;

    const char *album_id;
    const char *album_name;
    const char *album_type; /* "album", "single", "compilation" */
    const char *label;

    const char *release_date;  /* as Spotify gives it: "1994", "1994-06" or "1994-06-12" */
    int32_t release_first_day; /* days since 1970-01-01: first day of the period it names */
    int32_t release_last_day;  /* last day of that period (== first for day precision) */
    int32_t release_year;

    int64_t added_at; /* unix seconds, UTC */
    const char *added_by;

    int32_t duration_ms;
    int32_t track_number;
    int32_t disc_number;
    int32_t popularity;
    int32_t artist_popularity;
    int32_t album_popularity;
    int32_t original_year; /* earliest first release of its MusicBrainz recordings */
    bool is_explicit;

    unsigned has;      /* TRACK_HAS_* bits */
    size_t base_index; /* position of its first entry in the base playlist */
};

/* Sets release_date, release_first_day, release_last_day, release_year and
 * TRACK_HAS_RELEASE from a Spotify release date ("1994", "1994-06", "1994-06-12").
 * `date` is borrowed and must outlive the track. An unparsable or NULL date clears
 * TRACK_HAS_RELEASE and returns -1; else 0. */
int track_set_release_date(struct track *t, const char *date);

/* Parses a rule date "YYYY-MM-DD" into days since 1970-01-01; 0 or -1 (also for
 * impossible dates such as 2026-02-30). */
int track_parse_day(const char *s, int32_t *out_day);

#endif
