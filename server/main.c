/* playrouter: entry point. Builds the long-lived objects (config, database pool,
 * cache, metrics), starts the HTTP server, and shuts down gracefully on
 * SIGTERM/SIGINT. */
#include <curl/curl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "repositories/db.h"
#include "app/app.h"
#include "app/config.h"
#include "http/http.h"
#include "lib/json_text.h"
#include "lib/log.h"
#include "lib/memo.h"
#include "lib/metrics.h"
#include "lib/rate_limit.h"
#include "lib/pacer.h"
#include "lib/workpool.h"
#include "server/routes.h"
#include "services/cache/cache.h"
#include "services/auth/session_cache.h"
#include "services/spotify/spotify_session.h"
#include "services/sync/sync_event_service.h"
#include "services/sync/sync_manager.h"
#include "services/sync/sync_watch.h"

/* Client addresses the sign-in limiter remembers (lib/rate_limit.h): about 330 KiB
 * at the default 30 a minute. */
#define LOGIN_LIMIT_ADDRESSES 1024

static enum log_level parse_level(const char *s)
{
    if (strcmp(s, "debug") == 0)
        return LOG_DEBUG;
    if (strcmp(s, "warn") == 0)
        return LOG_WARN;
    if (strcmp(s, "error") == 0)
        return LOG_ERROR;
    return LOG_INFO;
}

static void describe_metrics(struct metrics *m)
{
    metrics_describe(m, "playrouter_http_requests_total", "counter",
                     "HTTP requests by method, route and status");
    metrics_describe(m, "playrouter_http_request_duration_seconds", "histogram",
                     "HTTP request duration by method and route");
}

int main(int argc, char **argv)
{
    struct config cfg;
    struct report err = {0};
    struct app app = {0};
    struct http_server *srv = NULL;
    int listen_fd = -1, port = 0;
    int exit_code = 2;

    /* Whatever the server creates (the database, SQLite's -wal and -shm, the secrets)
     * is for its own user only, whatever umask it was started with. */
    umask(077);
    int rc = config_load(&cfg, argc, argv, stdout, &err);
    if (rc == 1) {
        config_release(&cfg);
        return 0;
    }
    if (rc != 0 || config_load_secrets(&cfg, &err) != 0) {
        fprintf(stderr, "playrouter: %s\n", report_text(&err));
        report_release(&err);
        config_release(&cfg);
        return 2;
    }
    log_set_level(parse_level(cfg.log_level));
    app.cfg = &cfg;

    /* Signals are taken by sigwait() below; every thread inherits the mask. */
    sigset_t sigs;
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGTERM);
    sigaddset(&sigs, SIGINT);
    pthread_sigmask(SIG_BLOCK, &sigs, NULL);
    signal(SIGPIPE, SIG_IGN);

    json_text_install(); /* jansson's reads and prints never come back half-done */
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        fprintf(stderr, "playrouter: cannot initialise libcurl\n");
        goto done;
    }
    if (!(app.metrics = metrics_new())) {
        fprintf(stderr, "playrouter: out of memory\n");
        goto done;
    }
    describe_metrics(app.metrics);
    sync_manager_describe_metrics(app.metrics);
    if (spotify_session_table_new(&app.spotify_sessions) != 0 ||
        session_cache_new(SESSION_CACHE_MAX, &app.sessions) != 0 ||
        sync_watch_service_new(&app.sync_watch) != 0 ||
        memo_new(SYNC_STATUS_MEMO_ENTRIES, SYNC_STATUS_MEMO_BYTES, &app.status_answers) != 0 ||
        (cfg.login_rate_limit > 0 && rate_limit_new(cfg.login_rate_limit, 60 * 1000,
                                                    LOGIN_LIMIT_ADDRESSES,
                                                    &app.login_limiter) != 0)) {
        fprintf(stderr, "playrouter: out of memory\n");
        goto done;
    }
    if (cfg.musicbrainz_base) {
        if (!(app.musicbrainz_pacer = pacer_new(cfg.musicbrainz_rate, 1000))) {
            fprintf(stderr, "playrouter: out of memory\n");
            goto done;
        }
    }
    if (db_pool_new(cfg.db_path, cfg.threads * 2 + 8, &app.db, &err) != 0) {
        fprintf(stderr, "playrouter: %s\n", report_text(&err));
        goto done;
    }
    struct cache_opts copts = {.redis_url = cfg.redis_url,
                               .timeout_ms = cfg.redis_timeout_ms,
                               .memory_max_bytes = (size_t)cfg.cache_max_bytes};
    if (cache_new(&copts, &app.cache) != 0) {
        fprintf(stderr, "playrouter: cannot create the cache\n");
        goto done;
    }
    /* Listen first: a port in use stops the server before anything else starts, and
     * with port 0 the redirect URI can name the port actually bound. */
    if (http_listen(cfg.bind, cfg.port, &listen_fd, &port, &err) != 0) {
        fprintf(stderr, "playrouter: %s\n", report_text(&err));
        goto done;
    }
    if (!cfg.spotify_redirect_uri) {
        char uri[64];
        snprintf(uri, sizeof uri, "http://127.0.0.1:%d/api/auth/callback", port);
        if (!(cfg.spotify_redirect_uri = strdup(uri))) {
            fprintf(stderr, "playrouter: out of memory\n");
            goto done;
        }
    }
    /* The one bounded pool beside the HTTP threads (issue #11): the sync workers, the
     * helpers of the syncs' parallel Spotify phases (up to the Spotify parallelism, at
     * most 8 per sync) and deferred requests. Its queue is bounded too. */
    int helpers = cfg.spotify_parallelism < 8 ? cfg.spotify_parallelism : 8;
    int pool_threads = cfg.sync_workers + helpers;
    if (workpool_new(pool_threads, cfg.sync_workers * 9 + 64, &app.workers) != 0) {
        fprintf(stderr, "playrouter: cannot start the worker pool\n");
        goto done;
    }
    /* Syncs: recovery of events a previous process left in progress, the queue's
     * workers and the scheduler; before the server accepts a request. */
    if (sync_manager_new(&app, &app.syncs) != 0 || sync_manager_start(app.syncs) != 0) {
        fprintf(stderr, "playrouter: cannot start the sync service\n");
        goto done;
    }

    struct http_server_opts hopts = {.bind = cfg.bind,
                                     .port = port, /* the port bound */
                                     .threads = cfg.threads,
                                     .max_connections = cfg.max_connections,
                                     .idle_timeout_s = cfg.idle_timeout_s,
                                     .max_connections_per_ip = cfg.max_connections_per_ip,
                                     .head_timeout_s = cfg.header_timeout_s,
                                     .body_timeout_s = cfg.body_timeout_s,
                                     .max_body = cfg.max_body,
                                     .metrics = app.metrics,
                                     .pool = app.workers,
                                     .listen_fd = listen_fd};
    listen_fd = -1; /* the server owns it now */
    if (http_server_start(&hopts, &app, routes_dispatch, &srv, &err) != 0) {
        fprintf(stderr, "playrouter: %s\n", report_text(&err));
        goto done;
    }
    log_info("playrouter listening on http://%s:%d (spotify api %s, mode %s, cache %s, "
             "musicbrainz %s)",
             cfg.bind, http_server_port(srv), cfg.spotify_api_base, cfg.spotify_api_mode_name,
             cache_backend_name(app.cache), cfg.musicbrainz_base ? cfg.musicbrainz_base : "off");
    if (cfg.musicbrainz_base && !cfg.contact)
        log_warn("PLAYROUTER_CONTACT is unset: MusicBrainz asks every client for a contact in "
                 "its User-Agent (sent without one); set it to an e-mail address or a URL");
    printf("listening on http://%s:%d\n", cfg.bind, http_server_port(srv));
    fflush(stdout);

    int sig = 0;
    sigwait(&sigs, &sig);
    log_info("shutdown: signal %d, finishing in-flight requests (grace %d s)", sig,
             cfg.shutdown_grace_s);
    atomic_store(&app.shutting_down, 1);
    http_server_end_streams(srv); /* an EventSource reconnects; a stream would wait for syncs */
    /* The sync engine first: it takes no new job, lets running syncs finish within the
     * grace (queued ones stay queued for the next start) and answers the requests
     * waiting for a sync; meanwhile the HTTP server still answers (sync-status...). */
    if (sync_manager_stop(app.syncs, cfg.shutdown_grace_s) > 0) {
        log_error("shutdown: exiting without cleanup while syncs still run");
        return 0;
    }
    http_server_stop(srv, cfg.shutdown_grace_s);
    srv = NULL;
    exit_code = 0;
    log_info("shutdown: done");

done:
    if (listen_fd >= 0)
        close(listen_fd);
    http_server_stop(srv, 0);
    sync_manager_stop(app.syncs, 0);
    workpool_free(app.workers); /* its tasks have ended: the workers left their loops */
    sync_manager_free(app.syncs);
    sync_watch_service_free(app.sync_watch); /* the streams and the syncs are gone */
    cache_free(app.cache);
    spotify_session_table_free(app.spotify_sessions);
    session_cache_free(app.sessions);
    rate_limit_free(app.login_limiter);
    memo_free(app.status_answers);
    db_pool_free(app.db);
    pacer_free(app.musicbrainz_pacer);
    metrics_free(app.metrics);
    curl_global_cleanup();
    config_release(&cfg);
    report_release(&err);
    return exit_code;
}
