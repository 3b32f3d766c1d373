#ifndef PLAYROUTER_MUSICBRAINZ_REPO_H
#define PLAYROUTER_MUSICBRAINZ_REPO_H
/* What MusicBrainz said, kept for the whole server (tables mb_isrcs, mb_artists,
 * mb_state of migrations/008_metadata_tags.sql): public data, shared by every user, so
 * no user_id anywhere. Strings of returned rows live in the caller's arena. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/arena.h"

struct db;

/* One ISRC: its recordings (MBIDs), every artist credited on them (MBIDs, first-seen
 * order) and the earliest year of their first release. known == false: MusicBrainz
 * lists no recording for it (the lists are then empty). */
struct mb_isrc_row {
    const char *isrc; /* upper case */
    bool known;
    const char *const *recording_ids;
    size_t n_recordings;
    const char *const *artist_ids;
    size_t n_artists;
    bool has_year;
    int32_t original_year;
    int64_t fetched_at; /* epoch seconds */
};

/* One artist: its genres (lower case, sorted). known == false: MusicBrainz did not
 * return it when asked (genres empty). */
struct mb_artist_row {
    const char *id;
    bool known;
    const char *const *genres;
    size_t n_genres;
    int64_t fetched_at;
};

/* Reads the row of `isrc` (upper case) into *out. 0; ERR_NOT_FOUND (never asked);
 * ERR_NOMEM; ERR_INTERNAL. */
int musicbrainz_repo_get_isrc(struct db *db, struct arena *a, const char *isrc,
                              struct mb_isrc_row *out);
/* Inserts or replaces rows[0..n) in one transaction. 0, ERR_NOMEM, ERR_INTERNAL. */
int musicbrainz_repo_put_isrcs(struct db *db, const struct mb_isrc_row *rows, size_t n);

/* The same for artists. */
int musicbrainz_repo_get_artist(struct db *db, struct arena *a, const char *id,
                                struct mb_artist_row *out);
int musicbrainz_repo_put_artists(struct db *db, const struct mb_artist_row *rows, size_t n);

/* A shared value by key ("genre_list"): *value (arena) and *fetched_at. 0;
 * ERR_NOT_FOUND; ERR_NOMEM; ERR_INTERNAL. */
int musicbrainz_repo_get_state(struct db *db, struct arena *a, const char *key,
                               const char **value, int64_t *fetched_at);
/* Inserts or replaces it. 0 or ERR_INTERNAL. */
int musicbrainz_repo_put_state(struct db *db, const char *key, const char *value,
                               int64_t fetched_at);

#endif
