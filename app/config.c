#include "app/config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/log.h"
#include "lib/util.h"

enum opt_type { OPT_INT, OPT_LLONG, OPT_STR, OPT_SECRET };

struct opt {
    const char *env;
    const char *flag;
    enum opt_type type;
    const char *def; /* NULL = unset */
    size_t offset;
    long long min, max;
    const char *help;
};

#define F(field) offsetof(struct config, field)
#define DAY 86400

/* The one table of settings. Keep README's configuration table in step. */
static const struct opt opts[] = {
    {"PLAYROUTER_PORT", "port", OPT_INT, "8080", F(port), 0, 65535,
     "listen port (0 picks a free one)"},
    {"PLAYROUTER_BIND", "bind", OPT_STR, "127.0.0.1", F(bind), 0, 0, "listen address"},
    {"PLAYROUTER_DB", "db", OPT_STR, "./data/playrouter.db", F(db_path), 0, 0,
     "SQLite database file (its folder is the data folder)"},
    {"PLAYROUTER_MAX_BODY", "max-body", OPT_LLONG, "1048576", F(max_body), 1, 1LL << 30,
     "largest request body, in bytes"},
    {"PLAYROUTER_ENV", "env", OPT_STR, "development", F(env), 0, 0,
     "development or production (production requires the secrets)"},
    {"PLAYROUTER_THREADS", "threads", OPT_INT, "4", F(threads), 1, 256, "HTTP worker threads"},
    {"PLAYROUTER_MAX_CONNECTIONS", "max-connections", OPT_INT, "1024", F(max_connections), 1,
     100000, "simultaneous connections"},
    {"PLAYROUTER_IDLE_TIMEOUT", "idle-timeout", OPT_INT, "60", F(idle_timeout_s), 1, 3600,
     "seconds before an idle connection is closed"},
    {"PLAYROUTER_MAX_CONNECTIONS_PER_IP", "max-connections-per-ip", OPT_INT, "64",
     F(max_connections_per_ip), 0, 100000,
     "simultaneous connections from one client address (0 = no limit; see docs/SECURITY.md "
     "behind a proxy)"},
    {"PLAYROUTER_HEADER_TIMEOUT", "header-timeout", OPT_INT, "10", F(header_timeout_s), 1, 3600,
     "seconds a client has to send a whole request head, however slowly its bytes come"},
    {"PLAYROUTER_BODY_TIMEOUT", "body-timeout", OPT_INT, "30", F(body_timeout_s), 1, 3600,
     "seconds a client has to send a whole request body"},
    {"PLAYROUTER_SHUTDOWN_GRACE", "shutdown-grace", OPT_INT, "10", F(shutdown_grace_s), 0, 3600,
     "seconds in-flight requests get to finish on SIGTERM"},
    {"PLAYROUTER_LOG_LEVEL", "log-level", OPT_STR, "info", F(log_level), 0, 0,
     "debug, info, warn or error"},
    {"PLAYROUTER_REDIS_URL", "redis-url", OPT_STR, NULL, F(redis_url), 0, 0,
     "redis://host:port/db; unset means an in-process cache"},
    {"PLAYROUTER_REDIS_TIMEOUT_MS", "redis-timeout-ms", OPT_INT, "50", F(redis_timeout_ms), 1,
     10000, "Redis connect and command timeout"},
    {"PLAYROUTER_CACHE_MAX_BYTES", "cache-max-bytes", OPT_LLONG, "67108864", F(cache_max_bytes),
     1024, 1LL << 40, "memory bound of the in-process cache"},
    {"PLAYROUTER_CACHE_TTL_TRACK", "cache-ttl-track", OPT_INT, "86400", F(cache_ttl_track_s), 1,
     365 * DAY, "seconds a cached track lives"},
    {"PLAYROUTER_CACHE_TTL_ARTIST", "cache-ttl-artist", OPT_INT, "604800", F(cache_ttl_artist_s),
     1, 365 * DAY, "seconds a cached artist lives"},
    {"PLAYROUTER_CACHE_TTL_ALBUM", "cache-ttl-album", OPT_INT, "604800", F(cache_ttl_album_s), 1,
     365 * DAY, "seconds a cached album lives"},
    {"PLAYROUTER_CACHE_TTL_PLAYLIST", "cache-ttl-playlist", OPT_INT, "300",
     F(cache_ttl_playlist_s), 1, 365 * DAY, "seconds a cached playlist lives"},
    {"PLAYROUTER_JWT_SECRET", "jwt-secret", OPT_SECRET, NULL, F(jwt_secret), 0, 0,
     "HS256 key for session tokens (>= 32 bytes); generated once into the data folder"},
    {"PLAYROUTER_TOKEN_KEY", "token-key", OPT_SECRET, NULL, F(token_key_hex), 0, 0,
     "64 hex characters: AES-256 key for stored Spotify tokens; generated once"},
    {"PLAYROUTER_SESSION_TTL", "session-ttl", OPT_INT, "604800", F(session_ttl_s), 60,
     365 * DAY, "session token lifetime in seconds"},
    {"PLAYROUTER_CORS_ORIGINS", "cors-origins", OPT_STR, NULL, F(cors_origins), 0, 0,
     "comma-separated origins allowed to call the API from a browser"},
    {"PLAYROUTER_LOGIN_RATE_LIMIT", "login-rate-limit", OPT_INT, "30", F(login_rate_limit), 0,
     1000, "GET /api/auth/login per minute from one client address; beyond: 429 (0 = off)"},
    {"PLAYROUTER_MAX_PENDING_SIGNINS", "max-pending-signins", OPT_INT, "10000",
     F(max_pending_signins), 1, 10000000,
     "sign-ins started and not finished kept at most (the oldest is dropped first)"},
    {"SPOTIFY_CLIENT_ID", "spotify-client-id", OPT_STR, NULL, F(spotify_client_id), 0, 0,
     "Spotify app client id (unset: `make run` uses the bundled emulator)"},
    {"SPOTIFY_CLIENT_SECRET", "spotify-client-secret", OPT_SECRET, NULL,
     F(spotify_client_secret), 0, 0, "Spotify app client secret (optional with PKCE)"},
    {"SPOTIFY_REDIRECT_URI", "spotify-redirect-uri", OPT_STR,
     NULL, F(spotify_redirect_uri), 0, 0,
     "OAuth redirect URI (HTTPS or loopback 127.0.0.1); unset: "
     "http://127.0.0.1:<the port bound>/api/auth/callback"},
    {"SPOTIFY_API_BASE", "spotify-api-base", OPT_STR, "https://api.spotify.com/v1",
     F(spotify_api_base), 0, 0, "Web API base URL"},
    {"SPOTIFY_ACCOUNTS_BASE", "spotify-accounts-base", OPT_STR, "https://accounts.spotify.com",
     F(spotify_accounts_base), 0, 0, "accounts service base URL"},
    {"SPOTIFY_API_MODE", "spotify-api-mode", OPT_STR, "development", F(spotify_api_mode_name), 0,
     0, "development or extended (see API.md)"},
    {"PLAYROUTER_SPOTIFY_PARALLELISM", "spotify-parallelism", OPT_INT, "8",
     F(spotify_parallelism), 1, 64, "playlist pages fetched at once"},
    {"PLAYROUTER_SPOTIFY_TIMEOUT_MS", "spotify-timeout-ms", OPT_INT, "15000",
     F(spotify_timeout_ms), 100, 600000, "total timeout of one Spotify request"},
    {"PLAYROUTER_SPOTIFY_MAX_ATTEMPTS", "spotify-max-attempts", OPT_INT, "4",
     F(spotify_max_attempts), 1, 20, "attempts of a Spotify request on 5xx or network errors"},
    {"PLAYROUTER_RETRY_AFTER_CAP", "retry-after-cap", OPT_INT, "60", F(retry_after_cap_s), 0,
     86400, "longest Retry-After waited out, in seconds; beyond it the sync fails"},
    {"PLAYROUTER_MUSICBRAINZ_BASE", "musicbrainz-base", OPT_STR, "https://musicbrainz.org/ws/2",
     F(musicbrainz_base), 0, 0,
     "MusicBrainz web service (genres and original_year in every mode); off disables it"},
    {"PLAYROUTER_MUSICBRAINZ_RATE", "musicbrainz-rate", OPT_INT, "1", F(musicbrainz_rate), 1, 100,
     "MusicBrainz requests per second, never exceeded (its published limit is 1)"},
    {"PLAYROUTER_CONTACT", "contact", OPT_STR, NULL, F(contact), 0, 0,
     "an e-mail or URL for the User-Agent MusicBrainz asks every client to send"},
    {"PLAYROUTER_MUSICBRAINZ_TIMEOUT_MS", "musicbrainz-timeout-ms", OPT_INT, "20000",
     F(musicbrainz_timeout_ms), 100, 600000, "total timeout of one MusicBrainz request"},
    {"PLAYROUTER_MUSICBRAINZ_MAX_ATTEMPTS", "musicbrainz-max-attempts", OPT_INT, "5",
     F(musicbrainz_max_attempts), 1, 20,
     "attempts of a MusicBrainz request on 503, 5xx or network errors"},
    {"PLAYROUTER_SYNC_TIMEOUT", "sync-timeout", OPT_INT, "1800", F(sync_timeout_s), 10, 7 * DAY,
     "seconds after which an in_progress sync is marked failed"},
    {"PLAYROUTER_SYNC_SWEEP_INTERVAL", "sync-sweep-interval", OPT_INT, "60",
     F(sync_sweep_interval_s), 1, 3600, "seconds between sweeps of stale syncs"},
    {"PLAYROUTER_SSE_HEARTBEAT", "sse-heartbeat", OPT_INT, "15", F(sse_heartbeat_s), 1, 300,
     "seconds between two heartbeat comments of an open event stream"},
    {"PLAYROUTER_SYNC_WORKERS", "sync-workers", OPT_INT, "4", F(sync_workers), 1, 64,
     "syncs that run at once; further syncs wait in a persisted queue"},
    {"PLAYROUTER_AUTO_SYNC_TICK", "auto-sync-tick", OPT_INT, "60", F(auto_sync_tick_s), 1, 3600,
     "seconds between two passes of the auto-sync scheduler"},
};

#define NOPTS (sizeof opts / sizeof opts[0])

static int set_value(struct config *cfg, const struct opt *o, const char *v, const char *src,
                     struct report *rep)
{
    char *base = (char *)cfg;
    int64_t n;
    switch (o->type) {
    case OPT_INT:
    case OPT_LLONG:
        if (util_parse_int64(v, o->min, o->max, &n) != 0) {
            report_message(rep, "invalid %s '%s' (%s): expected an integer from %lld to %lld",
                           o->env, v, src, o->min, o->max);
            return 2;
        }
        if (o->type == OPT_INT)
            *(int *)(base + o->offset) = (int)n;
        else
            *(long long *)(base + o->offset) = n;
        return 0;
    case OPT_STR:
    case OPT_SECRET: {
        char **slot = (char **)(base + o->offset);
        free(*slot);
        *slot = (*v) ? strdup(v) : NULL;
        return 0;
    }
    }
    return 2;
}

void config_print_help(FILE *out)
{
    fprintf(out, "usage: playrouter [--flag=value | --flag value]...\n\n"
                 "Each setting is a flag or an environment variable (the flag wins).\n\n");
    for (size_t i = 0; i < NOPTS; i++) {
        const struct opt *o = &opts[i];
        const char *def = o->def ? o->def : "unset";
        if (o->type == OPT_SECRET && o->def)
            def = "(secret)";
        fprintf(out, "  --%-22s %-32s %s [default: %s]\n", o->flag, o->env, o->help, def);
    }
}

/* PLAYROUTER_MUSICBRAINZ_BASE "off" (or empty) -> NULL; else an http(s) URL.
 * PLAYROUTER_CONTACT goes into a header: printable ASCII only (no header injection). */
static int musicbrainz_finish(struct config *cfg, struct report *rep)
{
    char *b = cfg->musicbrainz_base;
    if (b && strcmp(b, "off") == 0) {
        free(b);
        cfg->musicbrainz_base = NULL;
    } else if (b && strncmp(b, "http://", 7) != 0 && strncmp(b, "https://", 8) != 0) {
        report_message(rep,
                       "invalid PLAYROUTER_MUSICBRAINZ_BASE '%s': expected an http:// or https:// "
                       "URL, or off",
                       b);
        return 2;
    }
    const char *c = cfg->contact;
    size_t n = c ? strlen(c) : 0;
    bool printable = true;
    for (size_t i = 0; i < n && printable; i++)
        printable = (unsigned char)c[i] >= 0x20 && (unsigned char)c[i] <= 0x7e;
    if (!printable || n > CONFIG_CONTACT_MAX) {
        report_message(rep,
                       "invalid PLAYROUTER_CONTACT: expected at most %d printable ASCII "
                       "characters (an e-mail address or a URL)",
                       CONFIG_CONTACT_MAX);
        return 2;
    }
    return 0;
}

static int finish(struct config *cfg, struct report *rep)
{
    if (strcmp(cfg->env, "development") != 0 && strcmp(cfg->env, "production") != 0) {
        report_message(rep, "invalid PLAYROUTER_ENV '%s': expected development or production",
                       cfg->env);
        return 2;
    }
    if (strcmp(cfg->spotify_api_mode_name, "development") == 0) {
        cfg->spotify_mode = SPOTIFY_MODE_DEVELOPMENT;
    } else if (strcmp(cfg->spotify_api_mode_name, "extended") == 0) {
        cfg->spotify_mode = SPOTIFY_MODE_EXTENDED;
    } else {
        report_message(rep, "invalid SPOTIFY_API_MODE '%s': expected development or extended",
                       cfg->spotify_api_mode_name);
        return 2;
    }
    if (musicbrainz_finish(cfg, rep) != 0)
        return 2;
    const char *levels[] = {"debug", "info", "warn", "error"};
    int ok = 0;
    for (size_t i = 0; i < 4; i++)
        ok |= strcmp(cfg->log_level, levels[i]) == 0;
    if (!ok) {
        report_message(rep,
                       "invalid PLAYROUTER_LOG_LEVEL '%s': expected debug, info, warn or error",
                       cfg->log_level);
        return 2;
    }
    if (!cfg->db_path || !*cfg->db_path) {
        report_message(rep, "PLAYROUTER_DB must not be empty");
        return 2;
    }
    const char *slash = strrchr(cfg->db_path, '/');
    cfg->data_dir = slash ? strndup(cfg->db_path, (size_t)(slash - cfg->db_path)) : strdup(".");
    if (cfg->data_dir && !*cfg->data_dir) {
        free(cfg->data_dir);
        cfg->data_dir = strdup("/");
    }
    return cfg->data_dir ? 0 : 2;
}

int config_load(struct config *cfg, int argc, char **argv, FILE *out, struct report *rep)
{
    int rc;
    memset(cfg, 0, sizeof *cfg);
    for (size_t i = 0; i < NOPTS; i++) {
        const char *v = getenv(opts[i].env);
        const char *src = "environment";
        if (!v) {
            v = opts[i].def;
            src = "default";
        }
        if (v && (rc = set_value(cfg, &opts[i], v, src, rep)) != 0)
            return rc;
    }
    for (int a = 1; a < argc; a++) {
        const char *arg = argv[a];
        if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
            config_print_help(out);
            return 1;
        }
        if (strcmp(arg, "--version") == 0 || strcmp(arg, "-V") == 0) {
            fprintf(out, "playrouter %s\n", PLAYROUTER_VERSION);
            return 1;
        }
        if (strncmp(arg, "--", 2) != 0) {
            report_message(rep, "unexpected argument '%s' (see --help)", arg);
            return 2;
        }
        const char *name = arg + 2;
        const char *eq = strchr(name, '=');
        size_t nlen = eq ? (size_t)(eq - name) : strlen(name);
        const struct opt *o = NULL;
        for (size_t i = 0; i < NOPTS; i++)
            if (strlen(opts[i].flag) == nlen && strncmp(opts[i].flag, name, nlen) == 0)
                o = &opts[i];
        if (!o) {
            report_message(rep, "unknown flag '--%.*s' (see --help)", (int)nlen, name);
            return 2;
        }
        const char *v = eq ? eq + 1 : NULL;
        if (!v) {
            if (a + 1 >= argc) {
                report_message(rep, "flag '--%s' needs a value", o->flag);
                return 2;
            }
            v = argv[++a];
        }
        if ((rc = set_value(cfg, o, v, "flag", rep)) != 0)
            return rc;
    }
    return finish(cfg, rep);
}

/* mkdir -p; 0 or -1 with errno. */
static int make_dirs(const char *path)
{
    char tmp[PATH_MAX];
    if (snprintf(tmp, sizeof tmp, "%s", path) >= (int)sizeof tmp) {
        errno = ENAMETOOLONG;
        return -1;
    }
    for (char *p = tmp + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(tmp, 0700) != 0 && errno != EEXIST)
            return -1;
        *p = '/';
    }
    if (mkdir(tmp, 0700) != 0 && errno != EEXIST)
        return -1;
    struct stat st;
    if (stat(tmp, &st) != 0)
        return -1;
    if (!S_ISDIR(st.st_mode)) {
        errno = ENOTDIR;
        return -1;
    }
    return 0;
}

/* Makes the data folder private (0700) when it is open to others: another user may
 * read nothing of the server's (docs/SECURITY.md). 0, or -1 with errno. */
static int make_private_dir(const char *path)
{
    struct stat st;
    if (stat(path, &st) != 0)
        return -1;
    if ((st.st_mode & 077) == 0)
        return 0;
    if (chmod(path, 0700) != 0)
        return -1;
    log_warn("the data folder %s was open to other users: now mode 0700", path);
    return 0;
}

/* Reads the secret file `name` of the data folder, or creates it with `nbytes`
 * random bytes hex-encoded, mode 0600 (an existing one is made 0600 too). Returns a
 * malloc'd string or NULL. */
static char *load_or_create_secret(const char *dir, const char *name, size_t nbytes,
                                   struct report *rep)
{
    char path[PATH_MAX];
    char buf[256];
    if (snprintf(path, sizeof path, "%s/%s", dir, name) >= (int)sizeof path) {
        report_message(rep, "data folder path too long");
        return NULL;
    }
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
        struct stat st;
        if (fstat(fd, &st) == 0 && (st.st_mode & 077) != 0 && fchmod(fd, 0600) != 0) {
            report_message(rep, "cannot make secret file %s private (mode 0600): %s", path,
                           strerror(errno));
            close(fd);
            return NULL;
        }
        ssize_t n = read(fd, buf, sizeof buf - 1);
        close(fd);
        if (n <= 0) {
            report_message(rep, "cannot read secret file %s", path);
            return NULL;
        }
        buf[n] = '\0';
        buf[strcspn(buf, "\r\n")] = '\0';
        return strdup(buf);
    }
    unsigned char raw[64];
    if (nbytes > sizeof raw || util_random_bytes(raw, nbytes) != 0) {
        report_message(rep, "cannot read the OS random generator");
        return NULL;
    }
    util_hex_encode(raw, nbytes, buf);
    fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0 || write(fd, buf, strlen(buf)) != (ssize_t)strlen(buf) || fsync(fd) != 0) {
        report_message(rep, "cannot write secret file %s: %s", path, strerror(errno));
        if (fd >= 0)
            close(fd);
        return NULL;
    }
    close(fd);
    return strdup(buf);
}

int config_load_secrets(struct config *cfg, struct report *rep)
{
    int prod = strcmp(cfg->env, "production") == 0;
    if (make_dirs(cfg->data_dir) != 0) {
        report_message(rep, "cannot create the data folder '%s' for PLAYROUTER_DB: %s",
                       cfg->data_dir, strerror(errno));
        return 2;
    }
    if (make_private_dir(cfg->data_dir) != 0) {
        report_message(rep, "cannot make the data folder '%s' private (mode 0700): %s",
                       cfg->data_dir, strerror(errno));
        return 2;
    }
    if (prod && (!cfg->jwt_secret || !cfg->token_key_hex)) {
        report_message(rep, "PLAYROUTER_ENV=production requires PLAYROUTER_JWT_SECRET and "
                            "PLAYROUTER_TOKEN_KEY to be set");
        return 2;
    }
    if (!cfg->jwt_secret &&
        !(cfg->jwt_secret = load_or_create_secret(cfg->data_dir, "jwt_secret", 32, rep)))
        return 2;
    if (!cfg->token_key_hex &&
        !(cfg->token_key_hex = load_or_create_secret(cfg->data_dir, "token_key", 32, rep)))
        return 2;
    /* libjwt accepts unsigned tokens with an empty key (LIBRARIES.md): refuse short keys. */
    if (strlen(cfg->jwt_secret) < 32) {
        report_message(rep, "PLAYROUTER_JWT_SECRET must be at least 32 bytes long");
        return 2;
    }
    if (strlen(cfg->token_key_hex) != 2 * CONFIG_KEY_LEN) {
        report_message(rep, "PLAYROUTER_TOKEN_KEY must be 64 hex characters (32 bytes)");
        return 2;
    }
    for (size_t i = 0; i < CONFIG_KEY_LEN; i++) {
        int hi = util_hex_value(cfg->token_key_hex[2 * i]),
            lo = util_hex_value(cfg->token_key_hex[2 * i + 1]);
        if (hi < 0 || lo < 0) {
            report_message(rep, "PLAYROUTER_TOKEN_KEY must be 64 hex characters (32 bytes)");
            return 2;
        }
        cfg->token_key[i] = (unsigned char)(hi * 16 + lo);
    }
    return 0;
}

void config_release(struct config *cfg)
{
    char *base = (char *)cfg;
    for (size_t i = 0; i < NOPTS; i++) {
        if (opts[i].type == OPT_STR || opts[i].type == OPT_SECRET) {
            char **slot = (char **)(base + opts[i].offset);
            free(*slot);
            *slot = NULL;
        }
    }
    free(cfg->data_dir);
    cfg->data_dir = NULL;
    memset(cfg->token_key, 0, sizeof cfg->token_key);
}
