#ifndef PLAYROUTER_METRICS_H
#define PLAYROUTER_METRICS_H
/* A small thread-safe Prometheus registry: counters and histograms keyed by
 * metric name + label set, rendered in the text exposition format. */
#include "lib/buf.h"

struct metrics;

/* NULL only when out of memory. Caller frees with metrics_free(). */
struct metrics *metrics_new(void);
void metrics_free(struct metrics *m);

/* Declares the HELP and TYPE ("counter" or "histogram") of a metric family; optional
 * but makes the output self-describing. Call before threads start. */
void metrics_describe(struct metrics *m, const char *name, const char *type, const char *help);

/* Adds v to counter `name{labels}`; labels is the inside of the braces, already
 * escaped, e.g. "route=\"/healthz\",status=\"200\"" (may be "" or NULL). */
void metrics_add(struct metrics *m, const char *name, const char *labels, double v);
/* Records one observation (seconds) into histogram `name{labels}`. */
void metrics_observe(struct metrics *m, const char *name, const char *labels, double seconds);
/* The value of a counter (0 if absent); for tests. */
double metrics_get(struct metrics *m, const char *name, const char *labels);

/* Appends the whole registry in Prometheus text format. 0 or -1. */
int metrics_render(struct metrics *m, struct buf *out);

#endif
