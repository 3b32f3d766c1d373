/* Fixtures of the target computation tests (tests/test_target.c and
 * tests/test_target_explain.c): ten tracks, children compiled from rules written with '
 * for ", and a set of children run through target_compute. Header-only; the functions
 * are static inline so that a file that uses only some of them does not trip
 * -Wunused-function. */
#ifndef PLAYROUTER_TEST_TARGET_FIXTURE_H
#define PLAYROUTER_TEST_TARGET_FIXTURE_H
#include <ctype.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "lib/app_err.h"
#include "lib/arena.h"
#include "lib/util.h"
#include "services/rules/target.h"

#define TODAY 20400
#define MAX_TRACKS 40
#define MAX_CHILDREN 6

/* ---- fixtures -------------------------------------------------------------------- */

static const char *const TID[MAX_TRACKS] = {"t0",  "t1",  "t2",  "t3",  "t4",  "t5",  "t6",  "t7",
                                            "t8",  "t9",  "t10", "t11", "t12", "t13", "t14", "t15",
                                            "t16", "t17", "t18", "t19", "t20", "t21", "t22", "t23",
                                            "t24", "t25", "t26", "t27", "t28", "t29", "t30", "t31",
                                            "t32", "t33", "t34", "t35", "t36", "t37", "t38", "t39"};

/* Ten tracks t0..t9: duration_ms = index. */
static inline void ten_tracks(struct track *t)
{
    for (int i = 0; i < 10; i++) {
        memset(&t[i], 0, sizeof t[i]);
        t[i].id = TID[i];
        t[i].duration_ms = i;
        t[i].has = TRACK_HAS_DURATION;
    }
}

static inline json_t *jparse(const char *text)
{
    char *s = strdup(text);
    assert_non_null(s);
    for (char *p = s; *p; p++)
        if (*p == '\'')
            *p = '"';
    json_error_t err;
    json_t *j = json_loads(s, JSON_DECODE_ANY, &err);
    if (!j)
        fail_msg("bad test JSON %s: %s", s, err.text);
    free(s);
    return j;
}

static inline struct target_child *child(const char *text)
{
    json_t *j = jparse(text);
    struct report rep = {0};
    struct target_child *c = NULL;
    int rc = target_child_compile_object(j, SPOTIFY_MODE_EXTENDED, "", &c, &rep);
    if (rc != 0)
        fail_msg("child %s: %d %s", text, rc, json_dumps(rep.details, 0));
    json_decref(j);
    report_release(&rep);
    return c;
}

/* "t0 t3 t4" */
static inline const char *ids_of(const struct target_list *l, const struct track *tracks)
{
    static char out[1024];
    size_t o = 0;
    out[0] = '\0';
    for (size_t k = 0; k < l->n; k++)
        o += (size_t)snprintf(out + o, sizeof out - o, "%s%s", k ? " " : "", tracks[l->idx[k]].id);
    return out;
}

struct setup {
    struct target_child *c[MAX_CHILDREN];
    size_t n;
    struct target_result *res;
};

static inline void run(struct setup *s, const struct track *tracks, size_t n_tracks,
                       enum target_routing routing)
{
    assert_int_equal(target_compute(tracks, n_tracks, routing,
                                    (const struct target_child *const *)s->c, s->n, TODAY, &s->res),
                     0);
    assert_int_equal(s->res->n_children, s->n);
}

static inline void teardown_setup(struct setup *s)
{
    target_result_free(s->res);
    for (size_t i = 0; i < s->n; i++)
        target_child_free(s->c[i]);
}

#define EXPECT(s, i, tracks, want) assert_string_equal(ids_of(&(s).res->lists[i], tracks), want)

#endif
