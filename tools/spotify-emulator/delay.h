#ifndef EMU_DELAY_H
#define EMU_DELAY_H
/* Shared by the Spotify and MusicBrainz emulators' HTTP layers. */
#include <microhttpd.h>
#include <stdint.h>

/* A timer thread that resumes suspended MHD connections when they are due, so
 * that artificial latency never holds a pool thread. */
struct delay_queue;

/* NULL when out of memory or no thread could be started. */
struct delay_queue *delay_new(void);
/* Queues a suspended connection to be resumed at due (mono_ms()); 0, or -1 when
 * out of memory (the caller then resumes it and answers at once). */
int delay_add(struct delay_queue *q, struct MHD_Connection *conn, int64_t due);
/* Resumes everything still waiting and ends the thread; NULL is fine. */
void delay_free(struct delay_queue *q);

/* A TCP socket bound to 127.0.0.1:port (0 = any free port) and listening; the
 * chosen port in *chosen. The fd, or -1 (errno set). */
int listen_loopback(int port, int *chosen);

#endif
