#ifndef PLAYROUTER_MUSICBRAINZ_METADATA_H
#define PLAYROUTER_MUSICBRAINZ_METADATA_H
/* MusicBrainz values of a sync's tracks (API.md "Metadata sources"; the plan in
 * docs/musicbrainz.md §6 and "How the server uses it"): `original_year` and the
 * MusicBrainz genres, merged into track.genres.
 *
 * Store first, MusicBrainz for the rest: every ISRC and artist MusicBrainz was asked
 * about is kept in the database for the whole server (repositories/musicbrainz_repo.h),
 * "unknown to MusicBrainz" included, and asked again only when older than
 * MUSICBRAINZ_METADATA_TTL_S. What is missing is asked in batches: the genre list once
 * (genre/all?fmt=txt), recordings by `isrc:A OR isrc:B ...` (limit 100, pages by offset,
 * mapped back by each recording's isrcs, sized from the recordings-per-ISRC ratio seen,
 * halved on 414; an ISRC left unattributed by a recording without isrcs is looked up
 * alone), then the credited artists by `arid:X OR ...` (100 a request). What each batch
 * taught is stored at once, so a sync that fails half-way leaves less to ask next time.
 *
 * When MusicBrainz cannot be reached, values older than the TTL stand in; if a value
 * is not known at all, the call fails with ERR_METADATA_UNAVAILABLE and its report names
 * MusicBrainz. */
#include <stddef.h>
#include <stdint.h>

#include "domain/track.h"
#include "lib/arena.h"
#include "lib/cancel.h"
#include "lib/report.h"

struct app;

#define MUSICBRAINZ_METADATA_TTL_S (30 * 24 * 3600) /* refreshed after 30 days */

/* Progress of a long step: `phase` ("musicbrainz") and done/total units (ISRCs, then
 * artists, asked of MusicBrainz). A non-zero return stops the call with that code. */
typedef int (*metadata_progress_fn)(void *ud, const char *phase, int64_t done, int64_t total);

struct musicbrainz_stats {
    unsigned long requests;       /* sent to MusicBrainz, retries included */
    unsigned long isrcs, artists; /* distinct ones the tracks needed */
    unsigned long isrcs_asked, artists_asked; /* of those, asked of MusicBrainz */
};

/* Gives tracks[0..n) their MusicBrainz values: original_year (TRACK_HAS_ORIGINAL_YEAR)
 * and the genres of the artists credited on their recordings, merged into genres (every
 * genre lower-cased, each once; Spotify's first, then MusicBrainz's; genre_sources says
 * which source gave each) with TRACK_SOURCE_MUSICBRAINZ in genre_asked. A track without a
 * valid ISRC, or whose ISRC MusicBrainz does not know, gets none. Strings and arrays go
 * into arena `a`. `progress` (may be NULL) is called with "musicbrainz" before and
 * after each MusicBrainz request; `cancel` (may be NULL) is asked at the same moments;
 * stats may be NULL (else added to). The store is read and written with a database
 * connection of the app's pool taken for each step (none is held across a MusicBrainz
 * request). Returns 0; ERR_METADATA_UNAVAILABLE (rep's message says why); ERR_UNAVAILABLE
 * (cancelled, shutting down, or no database connection to read the store: then rep
 * says so); a progress callback's code; ERR_NOMEM. A failure to write the store only
 * costs requests next time (logged). */
int musicbrainz_metadata_enrich(struct app *app, struct arena *a, struct track *tracks, size_t n,
                                const struct cancel *cancel, metadata_progress_fn progress,
                                void *ud, struct musicbrainz_stats *stats, struct report *rep);

#endif
