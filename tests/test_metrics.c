/* The Prometheus registry: counters, histograms, the exact text format. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "lib/metrics.h"

static void test_metrics_counter_adds_per_label_set(void **state)
{
    struct metrics *m = metrics_new();
    metrics_add(m, "x_total", "a=\"1\"", 1);
    metrics_add(m, "x_total", "a=\"1\"", 2);
    metrics_add(m, "x_total", "a=\"2\"", 5);
    metrics_add(m, "y_total", NULL, 1);
    assert_true(metrics_get(m, "x_total", "a=\"1\"") == 3.0);
    assert_true(metrics_get(m, "x_total", "a=\"2\"") == 5.0);
    assert_true(metrics_get(m, "y_total", "") == 1.0);
    assert_true(metrics_get(m, "x_total", "a=\"3\"") == 0.0);
    metrics_free(m);
}

static void test_metrics_render_exact_text(void **state)
{
    struct metrics *m = metrics_new();
    struct buf out = BUF_INIT;
    metrics_describe(m, "req_total", "counter", "Requests");
    metrics_add(m, "req_total", "s=\"200\"", 2);
    metrics_add(m, "req_total", "s=\"404\"", 1);
    metrics_observe(m, "dur_seconds", NULL, 0.02);
    metrics_observe(m, "dur_seconds", NULL, 3);
    assert_int_equal(metrics_render(m, &out), 0);
    const char *want =
        "dur_seconds_bucket{le=\"0.005\"} 0\n"
        "dur_seconds_bucket{le=\"0.01\"} 0\n"
        "dur_seconds_bucket{le=\"0.025\"} 1\n"
        "dur_seconds_bucket{le=\"0.05\"} 1\n"
        "dur_seconds_bucket{le=\"0.1\"} 1\n"
        "dur_seconds_bucket{le=\"0.25\"} 1\n"
        "dur_seconds_bucket{le=\"0.5\"} 1\n"
        "dur_seconds_bucket{le=\"1\"} 1\n"
        "dur_seconds_bucket{le=\"2.5\"} 1\n"
        "dur_seconds_bucket{le=\"5\"} 2\n"
        "dur_seconds_bucket{le=\"10\"} 2\n"
        "dur_seconds_bucket{le=\"30\"} 2\n"
        "dur_seconds_bucket{le=\"60\"} 2\n"
        "dur_seconds_bucket{le=\"300\"} 2\n"
        "dur_seconds_bucket{le=\"+Inf\"} 2\n"
        "dur_seconds_sum 3.02\n"
        "dur_seconds_count 2\n"
        "# HELP req_total Requests\n"
        "# TYPE req_total counter\n"
        "req_total{s=\"200\"} 2\n"
        "req_total{s=\"404\"} 1\n";
    assert_string_equal(out.data, want);
    buf_release(&out);
    metrics_free(m);
}

static void test_metrics_many_series_found_again(void **state)
{
    struct metrics *m = metrics_new();
    char labels[64];
    for (int round = 0; round < 3; round++)
        for (int i = 0; i < 3000; i++) {
            snprintf(labels, sizeof labels, "route=\"/r%d\"", i);
            metrics_add(m, "many_total", labels, i);
        }
    for (int i = 0; i < 3000; i += 97) {
        snprintf(labels, sizeof labels, "route=\"/r%d\"", i);
        assert_true(metrics_get(m, "many_total", labels) == 3.0 * i);
    }
    metrics_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_metrics_counter_adds_per_label_set),
        cmocka_unit_test(test_metrics_render_exact_text),
        cmocka_unit_test(test_metrics_many_series_found_again),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
