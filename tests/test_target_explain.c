/* Target computation: explain (why a track is or is not in each child). The other
 * behaviours are in tests/test_target.c. */
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
#include "test_target_fixture.h"

/* ---- explain --------------------------------------------------------------------- */

static void test_target_explain_reasons(void **state)
{
    (void)state;
    struct track t[10];
    ten_tracks(t);
    struct setup s = {
        {child("{'filter':{'field':'duration_ms','op':'lt','value':3},'banned_track_ids':['t1']}"),
         child("{'filter':{'all':[{'field':'duration_ms','op':'gte','value':0},"
               "{'field':'duration_ms','op':'lt','value':6}]},'limit':2,"
               "'pinned_track_ids':['t8']}"),
         child("{'filter':{'all':[]},'catch_all':true}")},
        3,
        NULL};
    run(&s, t, 10, TARGET_ROUTING_FIRST_MATCH);
    EXPECT(s, 0, t, "t0 t2");
    EXPECT(s, 1, t, "t3 t8");
    EXPECT(s, 2, t, "t1 t4 t5 t6 t7 t9");

    struct arena *a = arena_new();
    struct target_explain e[3];
    struct {
        const char *track;
        int child;
        bool matched;
        const char *reason, *path;
    } cases[] = {
        {"t0", 0, true, "condition_true", ""},
        {"t0", 1, false, "matched_earlier_child", NULL},
        {"t0", 2, false, "matched_earlier_child", NULL},
        {"t1", 0, false, "banned", NULL},
        {"t1", 1, false, "matched_earlier_child", NULL}, /* first match is rules only */
        {"t1", 2, true, "empty_all", ""},
        {"t3", 0, false, "condition_false", ""},
        {"t3", 1, true, "all_true", ""},
        {"t4", 1, false, "limit", NULL},
        {"t4", 2, true, "empty_all", ""},
        {"t6", 1, false, "condition_false", "/all/1"},
        {"t8", 1, true, "pinned", NULL},
        {"t8", 2, false, "matched_earlier_child", NULL},
        {"zz", 0, false, "not_in_base", NULL},
        {"zz", 2, false, "not_in_base", NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        assert_int_equal(target_explain(t, 10, TARGET_ROUTING_FIRST_MATCH,
                                        (const struct target_child *const *)s.c, s.n, TODAY, s.res,
                                        cases[i].track, a, e),
                         0);
        const struct target_explain *x = &e[cases[i].child];
        if (x->matched != cases[i].matched || strcmp(x->reason, cases[i].reason) != 0 ||
            (cases[i].path ? !x->path || strcmp(x->path, cases[i].path) != 0 : x->path != NULL))
            fail_msg("%s x child %d: got %d %s %s", cases[i].track, cases[i].child, x->matched,
                     x->reason, x->path ? x->path : "(null)");
    }

    /* a pinned track cut by the limit; all routing never says matched_earlier_child */
    struct setup s2 = {{child("{'filter':{'all':[]}}"),
                        child("{'filter':{'all':[]},'limit':1,'pinned_track_ids':['t5','t6']}")},
                       2,
                       NULL};
    run(&s2, t, 10, TARGET_ROUTING_ALL);
    assert_int_equal(target_explain(t, 10, TARGET_ROUTING_ALL,
                                    (const struct target_child *const *)s2.c, s2.n, TODAY, s2.res,
                                    "t6", a, e),
                     0);
    assert_false(e[1].matched);
    assert_string_equal(e[1].reason, "limit");
    assert_int_equal(target_explain(t, 10, TARGET_ROUTING_ALL,
                                    (const struct target_child *const *)s2.c, s2.n, TODAY, s2.res,
                                    "t0", a, e),
                     0);
    assert_true(e[0].matched);
    assert_false(e[1].matched);
    assert_string_equal(e[1].reason, "limit");
    teardown_setup(&s2);
    arena_free(a);
    teardown_setup(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_target_explain_reasons),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
