#ifndef PLAYROUTER_MUSICBRAINZ_INTERNAL_H
#define PLAYROUTER_MUSICBRAINZ_INTERNAL_H
/* Shared by musicbrainz_metadata.c (the store, the tracks) and musicbrainz_fetch.c (the
 * batches asked of MusicBrainz). Not for other modules. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "repositories/musicbrainz_repo.h"
#include "lib/arena.h"
#include "lib/buf.h"
#include "lib/cancel.h"
#include "services/metadata/musicbrainz_metadata.h"
#include "services/musicbrainz/musicbrainz_client.h"

/* A growing array of strings in the arena, each once. */
struct mbm_strs {
    const char **v;
    size_t n, cap;
};

/* One distinct ISRC of the tracks. */
struct mbm_isrc {
    const char *isrc; /* upper case, valid */
    struct mb_isrc_row row;
    bool have;  /* row holds what MusicBrainz said (fresh or not) */
    bool fresh; /* younger than the TTL */
    /* while asking: what MusicBrainz answered for it */
    struct mbm_strs recs, arts;
    bool has_year;
    int32_t year;
};

/* One distinct artist credited on the ISRCs' recordings. */
struct mbm_artist {
    const char *id; /* MBID */
    struct mb_artist_row row;
    bool have, fresh;
};

struct mbm {
    struct app *app;
    struct arena *a;
    const struct cancel *cancel; /* may be NULL */
    int64_t now; /* epoch seconds */
    metadata_progress_fn progress;
    void *ud;
    struct musicbrainz_client *client; /* made on first need */
    struct mbm_isrc *isrcs;            /* sorted by isrc */
    size_t n_isrcs;
    struct mbm_artist *artists; /* sorted by id */
    size_t n_artists;
    const char **genres; /* MusicBrainz's genre list, lower case, sorted */
    size_t n_genres;
    double isrcs_searched, recordings_found; /* the recordings-per-ISRC ratio so far */
    bool search_lacks_isrcs; /* searches answer recordings without isrcs: look ISRCs up */
    size_t max_batch;        /* 0, or the most ISRCs a search may hold (learnt from a 414) */
    size_t max_artist_batch; /* the same for artist searches (0: MUSICBRAINZ_PAGE) */
    int64_t done, total;     /* progress */
    struct musicbrainz_stats *stats;
    struct report err; /* why MusicBrainz (or its client) last failed */
};

/* Adds s (borrowed) unless present. 0 or ERR_NOMEM. */
int mbm_strs_add(struct arena *a, struct mbm_strs *l, const char *s);

/* How long a store step waits for a database connection. */
#define MBM_DB_WAIT_MS 5000

/* A database connection for one store step (none is held across MusicBrainz requests),
 * or NULL when none is free within MBM_DB_WAIT_MS; give it back with mbm_db_done(). */
struct db *mbm_db(struct mbm *m);
void mbm_db_done(struct mbm *m, struct db *db);

/* The client, made on first use. 0 or an error (message in m->err). */
int mbm_client(struct mbm *m);
/* Reports progress (m->done / m->total) through the callback. */
int mbm_progress(struct mbm *m);

/* Asks MusicBrainz the recordings of need[0..n) (sorted by isrc), in batches, storing
 * each batch's rows; every entry asked ends with have = fresh = true. 0 or an error
 * (MusicBrainz's message in m->err). */
int mbm_fetch_isrcs(struct mbm *m, struct mbm_isrc **need, size_t n);
/* Asks MusicBrainz the genres of need[0..n) (batches of 100), storing each batch; the
 * genre list is loaded (or asked, once per TTL) first. */
int mbm_fetch_artists(struct mbm *m, struct mbm_artist **need, size_t n);

#endif
