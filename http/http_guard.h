#ifndef PLAYROUTER_HTTP_GUARD_H
#define PLAYROUTER_HTTP_GUARD_H
/* The HTTP core's defences against hostile clients (docs/SECURITY.md), used by
 * http.c only. It owns the deadline of every open connection and the thread that
 * enforces them.
 *
 * Deadlines. libmicrohttpd 0.9.75 has only an idle timeout, restarted by every byte
 * received, so a client sending one byte every few seconds keeps a connection for
 * ever. Here every connection has a deadline:
 *   opened                   its first request head is due within head_timeout;
 *   head received            its body is due within body_timeout;
 *   body received            none while the request is answered (or deferred);
 *   answer sent (kept alive) the next head is due within idle_timeout + head_timeout
 *                            (an idle browser connection is MHD's idle timeout's
 *                            business, as before).
 * A sweeper thread looks at the deadlines four times a second and shuts down
 * (shutdown(2)) each connection past its deadline; MHD then sees the end of the stream
 * and closes it as a client that went away. The fd cannot have been reused meanwhile:
 * MHD calls our close notification (which unregisters it, under the same mutex)
 * before it closes the fd.
 *
 * Request target. MHD 0.9.75 stores each query parameter in the connection's memory
 * pool while it parses the request line; when the pool runs out it queues an error and
 * then carries on in a broken state, so the client gets no answer until the idle
 * timeout (2,000 parameters did it). The URI callback, which MHD calls before it parses
 * the query, counts the parameters: a target over HTTP_GUARD_URI_MAX bytes or with more
 * than HTTP_GUARD_QUERY_MAX parameters has its query cut off before MHD sees it (the
 * byte after '?' becomes the end of the string), and the request is answered 414.
 *
 * Framing (request smuggling ingredients). A request whose head has two
 * Content-Length headers, Content-Length with Transfer-Encoding, a Transfer-Encoding
 * other than one "chunked", whitespace between a field name and its colon, or (HTTP/1.1)
 * no Host is answered 400 before its body is read, and the connection is closed. */
#include <microhttpd.h>
#include <stddef.h>

#include "lib/report.h"

#define HTTP_GUARD_URI_MAX 8192 /* bytes of a request target (path and query) */
#define HTTP_GUARD_QUERY_MAX 100 /* query parameters */

struct http_guard;
struct metrics;

/* Starts the sweeper. A timeout <= 0 is no deadline for that phase. metrics (borrowed, may be NULL) counts the connections cut.
 * 0, or -1 (out of memory, no thread). Caller frees with http_guard_free(). */
int http_guard_new(int head_timeout_s, int body_timeout_s, int idle_timeout_s,
                   struct metrics *metrics, struct http_guard **out);
/* Stops the sweeper and frees; call after MHD_stop_daemon(). NULL ok. */
void http_guard_free(struct http_guard *g);

/* MHD_OPTION_NOTIFY_CONNECTION callback; cls is the guard. */
void http_guard_on_connection(void *cls, struct MHD_Connection *c, void **socket_context,
                              enum MHD_ConnectionNotificationCode code);
/* MHD_OPTION_URI_LOG_CALLBACK; cls is the guard. Returns the request's first *con_cls:
 * NULL, or a mark saying why the target is refused (see http_guard_is_mark). */
void *http_guard_on_uri(void *cls, const char *uri, struct MHD_Connection *c);
/* 1 when con_cls is a mark of http_guard_on_uri (and not a request's own state). */
int http_guard_is_mark(const void *con_cls);

/* Checks a request whose head has just arrived (mark: its first *con_cls). 0, or
 * ERR_URI_TOO_LONG / ERR_BAD_REQUEST with the reason in rep; the caller answers at
 * once and the connection is closed after the answer. */
int http_guard_check_request(struct MHD_Connection *c, const void *mark, const char *version,
                             struct report *rep);

/* The connection's current request moved on (see the deadlines above). Called on
 * the connection's polling thread. */
void http_guard_head_received(struct MHD_Connection *c);
void http_guard_body_received(struct MHD_Connection *c);
void http_guard_request_done(struct MHD_Connection *c);

#endif
