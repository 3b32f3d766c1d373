/* The error shape of API.md and the error table, written in one place. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <jansson.h>
#include <string.h>

#include "lib/app_err.h"
#include "http/http.h"

static json_t *body_of(struct response *res)
{
    json_error_t e;
    json_t *j = json_loads(res->body.data, 0, &e);
    assert_non_null(j);
    return j;
}

static void test_response_error_shape(void **state)
{
    struct response res = {.arena = arena_new()};
    json_t *details = json_pack("[{s:s,s:s}]", "path", "/filter/all/0/op", "message",
                                "unknown operator 'equals'");
    response_error_full(&res, ERR_VALIDATION, "the rule is not valid", details, NULL);
    assert_int_equal(res.status, 400);
    json_t *j = body_of(&res);
    json_t *expected = json_pack("{s:{s:s,s:s,s:[{s:s,s:s}]}}", "error", "code", "validation_failed",
                                 "message", "the rule is not valid", "details", "path",
                                 "/filter/all/0/op", "message", "unknown operator 'equals'");
    assert_true(json_equal(j, expected));
    json_decref(j);
    json_decref(expected);
    buf_release(&res.body);
    arena_free(res.arena);
}

static void test_response_error_extra_merged(void **state)
{
    struct response res = {.arena = arena_new()};
    response_error_full(&res, ERR_SYNC_IN_PROGRESS, NULL, NULL,
                        json_pack("{s:s}", "sync_event_id", "ev1"));
    assert_int_equal(res.status, 409);
    json_t *j = body_of(&res);
    assert_string_equal(json_string_value(json_object_get(json_object_get(j, "error"), "code")),
                        "sync_in_progress");
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(j, "error"), "sync_event_id")), "ev1");
    assert_null(json_object_get(json_object_get(j, "error"), "details"));
    json_decref(j);
    buf_release(&res.body);
    arena_free(res.arena);
}

static void test_app_err_table_matches_contract(void **state)
{
    const struct {
        int err, status;
        const char *code;
    } want[] = {
        {ERR_INVALID_JSON, 400, "invalid_json"},
        {ERR_VALIDATION, 400, "validation_failed"},
        {ERR_UNAUTHORIZED, 401, "unauthorized"},
        {ERR_FORBIDDEN, 403, "forbidden"},
        {ERR_BAD_REQUEST, 400, "bad_request"},
        {ERR_URI_TOO_LONG, 414, "uri_too_long"},
        {ERR_RATE_LIMITED, 429, "rate_limited"},
        {ERR_NOT_FOUND, 404, "not_found"},
        {ERR_METHOD_NOT_ALLOWED, 405, "method_not_allowed"},
        {ERR_SYNC_IN_PROGRESS, 409, "sync_in_progress"},
        {ERR_VERSION_MISMATCH, 412, "version_mismatch"},
        {ERR_PAYLOAD_TOO_LARGE, 413, "payload_too_large"},
        {ERR_SPOTIFY, 502, "spotify_error"},
        {ERR_UNAVAILABLE, 503, "unavailable"},
        {ERR_INTERNAL, 500, "internal"},
        {9999, 500, "internal"},
    };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        assert_int_equal(app_err_status(want[i].err), want[i].status);
        assert_string_equal(app_err_code(want[i].err), want[i].code);
    }
}

static void test_request_json_rejects_non_objects(void **state)
{
    struct request req = {0};
    json_t *j = NULL;
    const char *bad[] = {"", "nope", "[1,2]", "\"s\"", "{\"a\":1", "{\"a\":1,\"a\":2}"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        req.body = (char *)bad[i];
        req.body_len = strlen(bad[i]);
        assert_int_equal(request_json(&req, &j), ERR_INVALID_JSON);
        assert_null(j);
    }
    req.body = "{\"a\": [1]}";
    req.body_len = strlen(req.body);
    assert_int_equal(request_json(&req, &j), 0);
    assert_int_equal(json_array_size(json_object_get(j, "a")), 1);
    json_decref(j);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_response_error_shape),
        cmocka_unit_test(test_response_error_extra_merged),
        cmocka_unit_test(test_app_err_table_matches_contract),
        cmocka_unit_test(test_request_json_rejects_non_objects),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
