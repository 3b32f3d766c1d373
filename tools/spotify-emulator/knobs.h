#ifndef EMU_KNOBS_H
#define EMU_KNOBS_H
/* Behaviour knobs that tests turn through /__admin: latency, a rolling-window
 * rate limit, quota exhaustion, fault injection, and what was asked of us
 * (per-route counters and a request log). Thread-safe: each part has its own
 * lock or is atomic. */
#include <stdbool.h>
#include <stdint.h>

#include "util.h"

struct knobs;

/* NULL when out of memory. Free with knobs_free(). */
struct knobs *knobs_new(void);
void knobs_free(struct knobs *k);

int knobs_latency(struct knobs *k);
void knobs_set_latency(struct knobs *k, int ms);

/* Rate limit: at most max requests per window_ms (0 max = off). retry_after > 0
 * overrides the computed Retry-After. */
void knobs_set_rate_limit(struct knobs *k, int max, int window_ms, int retry_after);
/* Counts a request against the window. 0 when allowed (then recorded), else
 * the Retry-After in seconds (>= 1). */
int knobs_rate_check(struct knobs *k, int64_t now_ms);
int knobs_rate_json(struct knobs *k, struct buf *b);

void knobs_set_quota(struct knobs *k, bool on, int retry_after);
/* 1 when quota mode is on; *retry_after then holds its Retry-After (0 = none). */
bool knobs_quota(struct knobs *k, int *retry_after);

struct fault_hit {
    int status; /* 0 with drop */
    bool drop;
    int retry_after; /* 0 = no header */
    char message[128];
};
/* Adds a rule: the next count requests (-1 = every one) whose method matches
 * (NULL/"*" = any) and whose path starts with prefix, or matches the fnmatch()
 * glob pattern, get status or a dropped connection. Returns the rule id (>0) or
 * -1 (out of memory / too many rules). */
int knobs_add_fault(struct knobs *k, const char *method, const char *prefix, const char *pattern,
                    int status, int count, bool drop, int retry_after, const char *message);
/* Consumes one use of the first matching rule; 1 and *hit when one matched. */
bool knobs_fault_match(struct knobs *k, const char *method, const char *path,
                       struct fault_hit *hit);
void knobs_clear_faults(struct knobs *k);
int knobs_faults_json(struct knobs *k, struct buf *b);

/* Records a finished request (status 0 = dropped) under "METHOD TEMPLATE". The
 * method and template strings must be static (they are kept by pointer); the
 * path is kept up to 199 bytes, the query up to 8 KiB, the User-Agent (NULL =
 * none sent) up to 255 bytes. */
void knobs_record(struct knobs *k, const char *method, const char *tmpl, const char *path,
                  const char *query, const char *user_agent, int status, int64_t start_ms,
                  int64_t end_ms);
/* With on, every request-log entry carries "user_agent" (a string or null). */
void knobs_log_user_agents(struct knobs *k, bool on);
int knobs_counters_json(struct knobs *k, struct buf *b);
void knobs_reset_counters(struct knobs *k);
/* The request log since since_ms (wall clock), oldest first. */
int knobs_log_json(struct knobs *k, int64_t since_ms, struct buf *b);
void knobs_reset_log(struct knobs *k);

/* Back to defaults: no latency, no limit, no quota, no faults (counters and log kept). */
void knobs_reset(struct knobs *k);

#endif
