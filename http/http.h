#ifndef PLAYROUTER_HTTP_H
#define PLAYROUTER_HTTP_H
/* The HTTP core on libmicrohttpd: requests, responses, the server.
 *
 * Threading (decided once, LIBRARIES.md): MHD's internal thread pool with epoll
 * runs every handler; a handler must not block for long. A request whose answer
 * comes later parks (request_park): its connection is suspended and whoever answers
 * it resumes it (the waiting POST .../sync: the sync engine's worker that ran the
 * sync). request_defer() runs a piece of work on the bounded pool the server was
 * given (lib/workpool.h). A long-lived answer (an event stream) uses request_stream():
 * suspended while it has nothing to send. No thread is started per request and no
 * polling thread is ever stalled. */
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "lib/arena.h"
#include "lib/buf.h"
#include "lib/report.h"

struct app; /* opaque here: handed to handlers in req->app */
struct db;
struct metrics;
struct route;
struct workpool;

#define REQUEST_MAX_PARAMS 4
#define REQUEST_MAX_CLEANUPS 4

struct request;
/* Releases what a layer above took for one request (see request_on_complete). */
typedef void (*request_cleanup_fn)(struct request *req);

struct request {
    struct app *app;      /* borrowed, long-lived */
    struct arena *arena;  /* freed when the request completes */
    const char *method;
    const char *path;     /* without the query string */
    const char *route_pattern; /* e.g. "/api/base-playlists/{id}"; NULL if unmatched */
    const char *param_names[REQUEST_MAX_PARAMS];
    const char *param_values[REQUEST_MAX_PARAMS];
    int nparams;
    char *body; /* NUL-terminated; NULL when empty */
    size_t body_len;
    char request_id[65];
    const char *user_id; /* set by the auth middleware */
    const char *session_jti;
    int64_t session_exp;
    void *conn; /* struct MHD_Connection * */
    struct db *db_conn; /* owned by middleware/request_db.c; the HTTP core never reads it */
    request_cleanup_fn cleanups[REQUEST_MAX_CLEANUPS];
    int ncleanups;
};

struct response_header {
    const char *name, *value;
};

#define RESPONSE_MAX_HEADERS 16

struct response {
    int status;
    const char *content_type;
    struct buf body;
    struct response_header headers[RESPONSE_MAX_HEADERS];
    int nheaders;
    struct arena *arena; /* the request's arena */
};

/* Request accessors. Returned strings are borrowed (MHD's or the arena's). */
const char *request_header(struct request *req, const char *name);
const char *request_query(struct request *req, const char *name);
const char *request_param(struct request *req, const char *name);
/* The client's IP address as text into out (INET6_ADDRSTRLEN bytes are enough): the
 * peer of the connection, so a proxy's address when behind one. 0, or -1. */
int request_client_ip(struct request *req, char *out, size_t outlen);
/* The value of cookie `name`, or NULL. */
const char *request_cookie(struct request *req, const char *name);
/* Parses the body as a JSON object. 0 (caller owns *out: json_decref), or
 * ERR_INVALID_JSON (the body is empty, not JSON, or not an object). */
int request_json(struct request *req, json_t **out);
/* The request's If-Match: PLAYLIST_IF_MATCH_NONE when absent or "*", the version of
 * "<n>", <n> or W/"<n>", else PLAYLIST_IF_MATCH_NEVER (domain/version.h). */
int64_t request_if_match(struct request *req);
/* Whether the client has closed its connection (or half-closed it) while the request is
 * being worked on: a look at the socket that never blocks. libmicrohttpd cannot say it
 * while a handler runs or the connection is suspended, so long work asks this between
 * its steps (see lib/cancel.h). Safe from the handler's thread and from deferred work:
 * a suspended connection keeps its socket open and libmicrohttpd does not read it, so a
 * client that closed or half-closed meanwhile is seen (tests/test_http_park.c). */
bool request_client_gone(struct request *req);
/* Runs fn(req) once when the request completes (after the answer was sent, or the
 * client went away), last registered first: how a layer above gives back what it
 * took for the request's lifetime (middleware/request_db.c: the database
 * connection). 0, or ERR_NOMEM when REQUEST_MAX_CLEANUPS are registered. */
int request_on_complete(struct request *req, request_cleanup_fn fn);

/* Parks the request: the handler returns right after this call without touching res;
 * once the connection is suspended, arm(req, res, arg) runs once (on the polling
 * thread; it must not block). From then on exactly one party writes res and calls
 * request_resume(req) (from any thread, possibly inside arm); the answer is then
 * sent. 0, or ERR_UNAVAILABLE (the server is stopping: the handler answers itself). */
typedef void (*request_arm_fn)(struct request *req, struct response *res, void *arg);
int request_park(struct request *req, request_arm_fn arm, void *arg);
/* Sends the answer written into a parked request's res. Call exactly once. */
void request_resume(struct request *req);

/* Runs work(req, res, arg) on the server's worker pool (http_server_opts.pool) while
 * the connection is suspended; the response is sent when work returns (503 when no
 * worker is free). The handler must return right after this call without touching
 * res. 0, or ERR_UNAVAILABLE (then the handler answers itself). */
typedef void (*request_work_fn)(struct request *req, struct response *res, void *arg);
int request_defer(struct request *req, request_work_fn work, void *arg);

/* ---- Streamed responses (http_stream.c) ----------------------------------------
 * An answer of unknown length (chunked) whose body is produced piece by piece while
 * the request stays open (Server-Sent Events), with NO thread of its own: when the
 * producer has nothing to send, the connection is suspended from MHD's content reader
 * and costs only memory; http_stream_wake(), the stream's tick or the server's stop
 * resume it, and the producer is called again on the connection's polling thread.
 * One clock thread per server serves every stream's ticks and postponed wakes. */
#define HTTP_STREAM_START 1u /* the first call */
#define HTTP_STREAM_WAKE 2u  /* http_stream_wake() was called since the last call */
#define HTTP_STREAM_TICK 4u  /* tick_ms passed since the last tick */
#define HTTP_STREAM_CLOSE 8u /* the server stops: the last call; the stream ends after it */

struct http_stream;
struct http_stream_ops {
    /* Appends to `out` (empty on entry) what is to be sent now, possibly nothing; sets
     * *end to finish the answer once `out` is sent. `why`: the HTTP_STREAM_* reasons
     * gathered since the last call (never 0). Runs on the connection's polling thread,
     * never twice at once for one stream, and must not block for long. 0, or non-zero
     * to drop the connection. */
    int (*produce)(void *ud, unsigned why, struct buf *out, bool *end);
    /* Called exactly once, when the request completes (stream ended, client gone,
     * server stopped), on a polling thread; after it neither produce nor a wake of this
     * stream happens. Frees ud. */
    void (*release)(void *ud);
    int tick_ms;    /* a TICK every tick_ms (heartbeats); 0 = none */
    int min_gap_ms; /* a wake sooner than this after the last call waits until then */
};

/* Answers the request with a stream: 200, `content_type` (static or arena), the
 * headers the handler added with response_header(). The handler returns right after
 * and writes nothing else into res. *out (may be NULL) is the stream's handle for
 * http_stream_wake(), valid until ops->release runs. 0 (then ops->release will run
 * once); ERR_NOMEM or ERR_UNAVAILABLE (the server stops): nothing happened, the
 * handler answers itself. */
int request_stream(struct request *req, const char *content_type,
                   const struct http_stream_ops *ops, void *ud, struct http_stream **out);

/* Asks for a call of the stream's producer with HTTP_STREAM_WAKE: at once, or at
 * min_gap_ms after the last call (several wakes meanwhile make one). Any thread;
 * never blocks on the producer. Only while the handle is valid (see request_stream). */
void http_stream_wake(struct http_stream *s);

/* Response writers; each returns 0 (or ERR_NOMEM). json bodies are stolen. */
int response_json(struct response *res, int status, json_t *body);
int response_text(struct response *res, int status, const char *content_type, const char *text);
int response_no_content(struct response *res);
int response_redirect(struct response *res, const char *location);
/* Adds a header (copied into the arena). */
int response_header(struct response *res, const char *name, const char *value);

/* The one place that writes API.md's error shape:
 * {"error": {"code", "message", "details"?, ...extra}} with the status of `err`.
 * message may be NULL (a default per code); details (a JSON array) and extra (an
 * object whose members are merged into "error") are stolen and may be NULL. */
int response_error_full(struct response *res, int err, const char *message, json_t *details,
                        json_t *extra);
int response_error(struct response *res, int err);
/* response_error_full() with rep's message and details (taken from rep); for
 * ERR_VALIDATION without a message, the first problem is said in the message too. */
int response_error_report(struct response *res, int err, struct report *rep);
/* Sets ETag: "<version>". */
void response_etag(struct response *res, int64_t version);
int response_error_msg(struct response *res, int err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* The server. */
struct http_server;
struct http_server_opts {
    const char *bind;
    int port; /* 0 = pick a free one */
    int threads;
    int max_connections;
    int idle_timeout_s;
    int max_connections_per_ip; /* 0 = no limit */
    int head_timeout_s;         /* a request head is due within this (http_guard.h) */
    int body_timeout_s;         /* a request body is due within this after its head */
    long long max_body;
    struct metrics *metrics; /* borrowed; NULL = no request metrics */
    int listen_fd;           /* from http_listen() (then port = the port it bound); 0 or -1:
                              * none, http_server_start() binds bind:port itself */
    struct workpool *pool;   /* borrowed; runs request_defer() work; NULL = none */
};

/* Binds and listens on bind:port without address sharing, so a port in use is an
 * error whose message names the port and PLAYROUTER_PORT. 0 with the socket in *fd
 * and the port actually bound in *port_out (port 0 picks a free one), or -1 with a
 * message in rep. */
int http_listen(const char *bind, int port, int *fd, int *port_out, struct report *rep);
/* The function that answers every request (routes_dispatch in production). */
typedef void (*http_dispatch_fn)(struct request *req, struct response *res);

/* Starts serving (on opts->listen_fd, whose ownership passes to the server even on
 * failure, or on a new socket). 0, or -1 with a message in rep. Caller frees with
 * http_server_stop(). */
int http_server_start(const struct http_server_opts *opts, struct app *app, http_dispatch_fn fn,
                      struct http_server **out, struct report *rep);
/* The port actually bound. */
int http_server_port(const struct http_server *s);
/* Ends every open event stream now, and any opened later at once (the first step of a
 * graceful stop, taken before waiting for running syncs: a stream would otherwise hold
 * its client until they end). NULL ok. */
void http_server_end_streams(struct http_server *s);
/* Graceful stop: end every open stream, stop accepting, answer 503 to new requests,
 * wait up to grace_s for in-flight requests and parked or deferred work, then close.
 * Whoever answers parked requests must have answered them by then (main.c stops the
 * sync engine first). NULL ok. */
void http_server_stop(struct http_server *s, int grace_s);
/* Requests currently being answered (for tests and shutdown). */
int http_server_inflight(struct http_server *s);
/* Streams open now (for tests and metrics). */
int http_server_streams(struct http_server *s);

#endif
