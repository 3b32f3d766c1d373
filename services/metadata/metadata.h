#ifndef PLAYROUTER_METADATA_H
#define PLAYROUTER_METADATA_H
/* Folder services/metadata/: the metadata the rules need beyond a playlist page: which
 * kinds a set of rules needs, and fetching only the unknown ones (through the cache). */

/* Track enrichment with artist and album metadata (extended mode only): genres
 * (union of the track's artists' genres, first-seen order), artist_popularity (max over
 * its artists), label and album_popularity.
 *
 * Per call: the UNIQUE artist / album ids of the tracks are looked up in the cache in
 * one round trip each (keys "spotify:v1:artist:<id>", "spotify:v1:album:<id>", values
 * compact JSON: artist {"g":["rock",...],"p":57}, album {"l":"Label","p":42}; a missing
 * field is left out), only the misses are fetched from Spotify in batches at each
 * endpoint's maximum (artists 50, albums 20), then stored in the cache with the TTLs of
 * the options. In development mode, or when `needs` asks for neither, nothing happens.
 * A NULL cache means no cache (everything is fetched). */
#include <stddef.h>

#include "domain/track.h"
#include "lib/arena.h"
#include "lib/report.h"
#include "services/cache/cache.h"
#include "services/rules/rule.h" /* RULE_NEEDS_ARTISTS (2), RULE_NEEDS_ALBUM (4) */
#include "services/spotify/spotify_client.h"

#define METADATA_DEFAULT_ARTIST_TTL_S (7 * 24 * 3600)
#define METADATA_DEFAULT_ALBUM_TTL_S (7 * 24 * 3600)
#define METADATA_DEFAULT_TRACK_TTL_S (24 * 3600)

struct metadata_opts {
    int artist_ttl_s; /* <= 0: 7 days */
    int album_ttl_s;  /* <= 0: 7 days */
    int track_ttl_s;  /* <= 0: 24 hours (reserved: the playlist items carry the tracks) */
};

/* Counters of one call, added to (not reset): the caller sums over a sync. */
struct metadata_stats {
    unsigned long cache_hits;   /* ids found in the cache */
    unsigned long cache_misses; /* ids not found (fetched from Spotify) */
    unsigned long artists_fetched, albums_fetched; /* ids asked of Spotify */
};

/* Enriches tracks[0..n) in place. `needs` is an OR of RULE_NEEDS_ARTISTS and
 * RULE_NEEDS_ALBUM (other bits ignored). Tracks without ids (local files) are skipped.
 * Strings and arrays written into the tracks live in arena `a`. opts may be NULL
 * (defaults); stats may be NULL.
 * Returns 0, or the client's error (ERR_SPOTIFY, ERR_RATE_LIMITED, ERR_SPOTIFY_REAUTH,
 * ERR_NOMEM; its message in rep, which may be NULL). A cache failure is never an error
 * (it counts as misses). */
int metadata_enrich(struct spotify_client *client, struct cache *cache,
                    const struct metadata_opts *opts, struct arena *a, struct track *tracks,
                    size_t n, unsigned needs, struct metadata_stats *stats, struct report *rep);

#endif
