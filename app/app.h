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
struct rate_limit;
struct pacer;
struct sync_watch;
struct workpool;
struct memo;

struct app {
    const struct config *cfg;
    struct db_pool *db;       /* thread-safe pool */
    struct cache *cache;      /* thread-safe; NULL = none */
    struct metrics *metrics;  /* thread-safe */
    struct session_cache *sessions; /* verified sessions; thread-safe; NULL = no caching */
    struct sync_manager *syncs; /* the sync queue's workers and the scheduler; NULL until up */
    struct workpool *workers;   /* the one bounded pool beside the HTTP threads (issue #11) */
    struct spotify_session_table *spotify_sessions; /* per-user Spotify token state */
    struct rate_limit *login_limiter; /* GET /api/auth/login per client address; NULL = off */
    /* Paces every MusicBrainz request of the process (PLAYROUTER_MUSICBRAINZ_RATE);
     * NULL when MusicBrainz is off. */
    struct pacer *musicbrainz_pacer;
    struct memo *status_answers; /* sync-status answers by event id; thread-safe; NULL = none */
    struct sync_watch *sync_watch; /* who follows which sync's progress; thread-safe; NULL ok */
    /* 0 running; 1 after SIGTERM: take no new work (queued syncs stay queued), let
     * running syncs finish; 2 once the shutdown grace is over: running syncs stop at
     * their next step ("interrupted by server shutdown"). */
    atomic_int shutting_down;
};

#endif
