#ifndef PLAYROUTER_CONFIG_H
#define PLAYROUTER_CONFIG_H
/* The server's settings: API.md's configuration table and the operational knobs.
 * Built once by config_load() before any thread starts, read-only afterwards.
 * Each setting comes from (in order of precedence) a command-line flag, an
 * environment variable, or its default. One table in config.c lists them all. */
#include <stddef.h>
#include <stdio.h>

#include "domain/spotify_mode.h"
#include "lib/report.h"

#ifndef PLAYROUTER_VERSION
#define PLAYROUTER_VERSION "0.0.0-dev" /* CMake sets the project's version */
#endif

#define CONFIG_KEY_LEN 32 /* bytes of the token-encryption key */
#define CONFIG_CONTACT_MAX 200 /* characters of PLAYROUTER_CONTACT */

struct config {
    int port;
    char *bind;
    char *db_path;
    char *data_dir; /* derived: the folder of db_path */
    long long max_body;
    char *env; /* "development" or "production" */
    int threads;
    int max_connections;
    int idle_timeout_s;
    int max_connections_per_ip; /* 0 = unlimited */
    int header_timeout_s;       /* a request head must arrive within this */
    int body_timeout_s;         /* a request body must arrive within this */
    int shutdown_grace_s;
    char *log_level;

    char *redis_url; /* NULL = in-process cache */
    int redis_timeout_ms;
    long long cache_max_bytes;
    int cache_ttl_track_s, cache_ttl_artist_s, cache_ttl_album_s, cache_ttl_playlist_s;

    char *jwt_secret; /* NULL until config_load_secrets() */
    char *token_key_hex;
    unsigned char token_key[CONFIG_KEY_LEN];
    int session_ttl_s;
    char *cors_origins; /* comma-separated list; NULL = none */
    int login_rate_limit;    /* GET /api/auth/login per minute per client address; 0 = off */
    int max_pending_signins; /* oauth_states rows kept at most */

    char *spotify_client_id;
    char *spotify_client_secret;
    char *spotify_redirect_uri;
    char *spotify_api_base;
    char *spotify_accounts_base;
    char *spotify_api_mode_name;
    enum spotify_mode spotify_mode;
    int spotify_parallelism;
    int spotify_timeout_ms;
    int spotify_max_attempts;
    int retry_after_cap_s;

    /* MusicBrainz (API.md "Metadata sources"). musicbrainz_base NULL = off. */
    char *musicbrainz_base;
    int musicbrainz_rate; /* requests per second */
    char *contact;        /* NULL = unset; printable ASCII, at most CONFIG_CONTACT_MAX */
    int musicbrainz_timeout_ms;
    int musicbrainz_max_attempts;

    int sync_timeout_s;       /* an in_progress event older than this is failed */
    int sync_sweep_interval_s;
    int sse_heartbeat_s; /* ": ping" on an open GET /api/sync-events/{id}/stream */
    int sync_workers;     /* syncs that run at once (the queue's workers) */
    int auto_sync_tick_s; /* seconds between two auto-sync scheduler passes */
};

/* Fills *cfg from argv and the environment (envp-style lookup through getenv).
 * Returns 0; 1 when --help or --version was printed to `out` (the caller exits 0); 2 on a
 * bad value, with one clear message in rep (the caller prints it and exits 2).
 * Owned strings are released by config_release(). */
int config_load(struct config *cfg, int argc, char **argv, FILE *out, struct report *rep);

/* Loads PLAYROUTER_JWT_SECRET / PLAYROUTER_TOKEN_KEY, or generates them once from
 * the OS CSPRNG into files (mode 0600) in the data folder. In production both must
 * be given. Creates the data folder if needed (mode 0700) and makes an existing one
 * that others may enter 0700 (logged). 0, or 2 with a message in rep. */
int config_load_secrets(struct config *cfg, struct report *rep);

void config_release(struct config *cfg);

/* Writes the --help text (every setting with its default) to out. */
void config_print_help(FILE *out);

#endif
