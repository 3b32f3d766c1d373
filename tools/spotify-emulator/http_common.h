#ifndef EMU_HTTP_COMMON_H
#define EMU_HTTP_COMMON_H
/* HTTP plumbing shared by the Spotify and MusicBrainz emulators: per-request
 * state, artificial latency, the loopback listening socket. */
#include <microhttpd.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util.h"

/* A timer thread that resumes suspended MHD connections when they are due, so
 * that artificial latency never holds a pool thread. */
struct delay_queue;

/* NULL when out of memory or no thread could be started. */
struct delay_queue *delay_new(void);
/* Queues a suspended connection to be resumed at due (mono_ms()); 0, or -1 when
 * out of memory (the caller then resumes it and answers at once). */
int delay_add(struct delay_queue *q, struct MHD_Connection *conn, int64_t due);
/* Resumes everything still waiting (held ones too) and ends the thread; NULL is fine. */
void delay_free(struct delay_queue *q);

/* Holds, for tests that need a client stopped at a known point (e.g. "a sync is
 * waiting for its artists"): while a hold is set, a request whose path starts with
 * its prefix waits, suspended (no pool thread held), until delay_hold_release().
 * delay_hold_set replaces the prefix (copied); 0, or -1 when out of memory. */
int delay_hold_set(struct delay_queue *q, const char *path_prefix);
/* Ends the hold and resumes every held connection; returns how many there were. */
size_t delay_hold_release(struct delay_queue *q);
/* Appends {"path_prefix": string or null, "held": n} to b; 0 or -1 (out of memory). */
int delay_hold_json(struct delay_queue *q, struct buf *b);
/* With a hold set whose prefix path starts with, suspends conn and keeps it until the
 * release: true (the handler then returns MHD_YES). Else false, nothing done. */
bool delay_hold_take(struct delay_queue *q, struct MHD_Connection *conn, const char *path);

/* A TCP socket bound to 127.0.0.1:port (0 = any free port) and listening; the
 * chosen port in *chosen. The fd, or -1 (errno set). */
int listen_loopback(int port, int *chosen);

/* The state of one request (MHD's con_cls). */
struct http_conn {
    char *uri; /* as sent, with the query string */
    struct buf body;
    bool started, too_large, delayed, hold_checked;
    int64_t start_ms; /* wall clock at arrival */
};

/* For MHD_OPTION_URI_LOG_CALLBACK: a new http_conn (NULL when out of memory). */
void *http_conn_open(void *cls, const char *uri, struct MHD_Connection *conn);
/* For MHD_OPTION_NOTIFY_COMPLETED: frees it. */
void http_conn_close(void *cls, struct MHD_Connection *conn, void **con_cls,
                     enum MHD_RequestTerminationCode toe);
/* Takes an upload chunk (*size is set to 0): kept up to max bytes in all,
 * beyond that the request is marked too_large and the rest is dropped. */
void http_conn_upload(struct http_conn *cs, const char *data, size_t *size, size_t max);
/* The query string ("" when none). */
const char *http_conn_query(const struct http_conn *cs);
/* Once per request: with latency_ms > 0, suspends the connection and queues its
 * resumption; true when it did (the handler then returns MHD_YES). */
bool http_conn_delay(struct http_conn *cs, struct MHD_Connection *conn, struct delay_queue *q,
                     int latency_ms);

#endif
