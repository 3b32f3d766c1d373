#ifndef PLAYROUTER_REPORT_H
#define PLAYROUTER_REPORT_H
/* The one error report: what a failing call tells its caller besides its enum
 * app_err status: a message, and for ERR_VALIDATION one {"path": JSON Pointer,
 * "message"} per problem (API.md's error `details`). A caller passes a
 * zero-initialised report (struct report rep = {0}) and releases it with
 * report_release(); http/response.c writes it (response_error_report). */
#include <jansson.h>

struct arena;

/* What an error answer carries besides its code (status = the enum app_err the
 * function returns; response_error_report() writes the three as API.md's error shape). */
struct report {
    json_t *details;   /* JSON array, NULL until a detail is added */
    char message[256]; /* "" = the default message of the error code */
};

/* Appends {"path": path, "message": ...} to rep->details (creating it); 0 or ERR_NOMEM.
 * rep may be NULL (then nothing is recorded and 0 is returned). */
int report_add(struct report *rep, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Sets rep->message (rep may be NULL). */
void report_message(struct report *rep, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Frees rep->details; the struct may be reused. */
void report_release(struct report *rep);
/* Appends "/" + key escaped as a JSON Pointer token (~ -> ~0, / -> ~1) to prefix.
 * Returns an arena string, or NULL when out of memory. */
char *report_pointer(struct arena *a, const char *prefix, const char *key);

#endif
