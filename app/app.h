#ifndef PLAYROUTER_APP_H
#define PLAYROUTER_APP_H
/* The long-lived objects of a running server, built once in main() and shared
 * (read-only or internally synchronised) by every thread. */
#include <stdatomic.h>

struct config;
struct db_pool;
struct cache;
struct metrics;
struct http_server;
struct sync_manager;
struct session_cache;
struct spotify_session_table;
struct rate_limiter;

struct app {
    const struct config *cfg;
    struct db_pool *db;       /* thread-safe pool */
    struct cache *cache;      /* thread-safe; NULL = none */
    struct metrics *metrics;  /* thread-safe */
    struct session_cache *sessions; /* verified sessions; thread-safe; NULL = no caching */
    struct sync_manager *syncs; /* running syncs; NULL until the sync service is up */
    struct spotify_session_table *spotify_sessions; /* per-user Spotify token state */
    /* Paces every MusicBrainz request of the process (PLAYROUTER_MUSICBRAINZ_RATE);
     * NULL when MusicBrainz is off. */
    struct rate_limiter *musicbrainz_limiter;
    atomic_int shutting_down; /* set on SIGTERM: long work should stop early */
};

#endif
