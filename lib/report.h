#ifndef PLAYROUTER_REPORT_H
#define PLAYROUTER_REPORT_H
/* The one error report: what a failing call tells its caller besides its enum app_err
 * status. A function that can fail with a message takes `struct report *rep` (may be
 * NULL: nothing is recorded) and returns its status as usual. The report holds a
 * message and, for ERR_VALIDATION, one {"path": JSON Pointer, "message"} per problem
 * (API.md's error `details`). A caller passes a zero-initialised report
 * (struct report rep = {0}) and releases it with report_release();
 * http/response.c writes it (response_error_report). */
#include <jansson.h>
#include <stdarg.h>
#include <stddef.h>

struct arena;
struct buf;

struct report {
    json_t *details; /* JSON array, NULL until a detail is added */
    char *message;   /* NULL = the default message of the error code; heap, owned */
};

/* Appends {"path": path, "message": ...} to rep->details (creating it); 0 or ERR_NOMEM.
 * rep may be NULL (then nothing is recorded and 0 is returned). */
int report_add(struct report *rep, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
int report_vadd(struct report *rep, const char *path, const char *fmt, va_list ap);
/* Sets rep->message, replacing an earlier one (rep may be NULL; the arguments may point
 * into the old message). An empty message, or out of memory, leaves none (the code's
 * default is then shown). */
void report_message(struct report *rep, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void report_vmessage(struct report *rep, const char *fmt, va_list ap);
/* The message, or "" when there is none (rep may be NULL). */
const char *report_text(const struct report *rep);
/* Details recorded so far (0 for NULL). */
size_t report_count(const struct report *rep);
/* Frees the details and the message; the struct may be reused. */
void report_release(struct report *rep);

/* The one JSON Pointer token writer: appends "/" + key escaped (~ -> ~0, / -> ~1) to b.
 * 0 or -1 (out of memory). */
int report_pointer_append(struct buf *b, const char *key);
/* prefix + "/" + escaped key as an arena string, or NULL when out of memory. */
char *report_pointer(struct arena *a, const char *prefix, const char *key);

#endif
