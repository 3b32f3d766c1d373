/* libFuzzer target: a request body -> the child/rule compiler (services/rules).
 * Input: JSON text. It is compiled as a child object (filter, sort, limit, pins, ...)
 * and as a bare rule, in both API modes. Oracles: a refusal lists 1..RULE_MAX_DETAILS
 * problems, each {"path": "/...", "message": non-empty}; a compiled rule evaluates and
 * explains (with the same answer) on a few tracks drawn from the same bytes. */
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "lib/app_err.h"
#include "lib/buf.h"
#include "services/rules/rule.h"
#include "services/rules/target.h"
#include "tests/fuzz/fuzz_track.h"

static void check_details(int rc, const json_t *details)
{
    if (rc != ERR_VALIDATION) {
        FUZZ_CHECK(json_array_size(details) == 0);
        return;
    }
    size_t n = json_array_size(details);
    FUZZ_CHECK(n >= 1 && n <= RULE_MAX_DETAILS);
    for (size_t i = 0; i < n; i++) {
        const json_t *d = json_array_get(details, i);
        const char *path = json_string_value(json_object_get(d, "path"));
        const char *msg = json_string_value(json_object_get(d, "message"));
        FUZZ_CHECK(path && (path[0] == '\0' || path[0] == '/'));
        FUZZ_CHECK(msg && msg[0]);
    }
}

static void evaluate(const struct rule *r, const uint8_t *data, size_t size)
{
    struct fuzz_input in = {data, size};
    struct buf path = BUF_INIT;
    for (int k = 0; k < 3; k++) {
        struct fuzz_track ft;
        fuzz_track_draw(&in, &ft);
        bool hit = rule_eval(r, &ft.t, 20415);
        bool matched = !hit;
        const char *reason = NULL;
        if (rule_explain(r, &ft.t, 20415, &matched, &path, &reason) == 0) {
            FUZZ_CHECK(matched == hit);
            FUZZ_CHECK(reason && reason[0]);
            FUZZ_CHECK(path.data && (path.len == 0 || path.data[0] == '/'));
        }
        fuzz_track_release(&ft);
    }
    buf_release(&path);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_t *j =
        json_loadb((const char *)data, size, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, NULL);
    if (!j)
        return 0;
    /* Both API modes, each with MusicBrainz off and on (rule_env()). */
    for (int k = 0; k < 4; k++) {
        unsigned env = rule_env((enum spotify_mode)(k & 1), k >= 2);
        struct report rep = {0};
        struct target_child *c = NULL;
        int rc = target_child_compile_object(j, env, "/items/0", &c, &rep);
        FUZZ_CHECK(rc == 0 || rc == ERR_VALIDATION || rc == ERR_NOMEM);
        FUZZ_CHECK((rc == 0) == (c != NULL));
        check_details(rc, rep.details);
        if (c)
            evaluate(target_child_rule(c), data, size);
        target_child_free(c);
        report_release(&rep);

        struct rule *r = NULL;
        rc = rule_compile(j, env, NULL, &r, &rep);
        FUZZ_CHECK((rc == 0) == (r != NULL));
        check_details(rc, rep.details);
        if (r)
            evaluate(r, data, size);
        rule_free(r);
        report_release(&rep);
    }
    json_decref(j);
    return 0;
}
