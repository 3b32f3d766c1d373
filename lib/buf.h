#ifndef PLAYROUTER_BUF_H
#define PLAYROUTER_BUF_H
/* Growable, always NUL-terminated byte string (after Redis's sds and Git's strbuf). */
#include <stdarg.h>
#include <stddef.h>

struct buf {
    char *data; /* NULL until the first append; always NUL-terminated after */
    size_t len;
    size_t cap;
};

#define BUF_INIT {NULL, 0, 0}

/* Appends; return 0, or -1 when out of memory (the buffer is then unchanged). */
int buf_append(struct buf *b, const void *data, size_t len);
int buf_append_str(struct buf *b, const char *s);
int buf_appendf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int buf_vappendf(struct buf *b, const char *fmt, va_list ap);
/* Makes room for `extra` more bytes (and the NUL); 0 or -1 (out of memory). */
int buf_reserve(struct buf *b, size_t extra);
/* Empties the buffer but keeps its memory. */
void buf_reset(struct buf *b);
/* Frees the memory; the buffer may be reused. */
void buf_release(struct buf *b);
/* Hands the string to the caller (caller frees with free()); the buffer is emptied.
 * Never returns NULL unless out of memory: an empty buffer yields "". */
char *buf_detach(struct buf *b, size_t *len_out);

#endif
