/* Route matching: literal paths, {params}, 404 vs 405 and the Allow list. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <string.h>

#include "http/router.h"

static void h(struct request *req, struct response *res)
{
    (void)req;
    (void)res;
}

static const struct route routes[] = {
    {"GET", "/healthz", h, 0},
    {"GET", "/api/base-playlists", h, 0},
    {"POST", "/api/base-playlists", h, 0},
    {"GET", "/api/base-playlists/{id}", h, 0},
    {"PATCH", "/api/base-playlists/{id}", h, 0},
    {"POST", "/api/base-playlists/{id}/sync", h, 0},
    {"GET", "/api/base-playlists/{base}/x/{child}", h, 0},
};
#define N (sizeof routes / sizeof routes[0])

static void test_router_literal_match(void **state)
{
    struct request req = {.arena = arena_new()};
    const struct route *r = NULL;
    assert_int_equal(router_match(routes, N, "GET", "/healthz", &req, &r, NULL), ROUTER_FOUND);
    assert_ptr_equal(r, &routes[0]);
    assert_int_equal(req.nparams, 0);
    assert_string_equal(req.route_pattern, "/healthz");
    arena_free(req.arena);
}

static void test_router_params_extracted(void **state)
{
    struct request req = {.arena = arena_new()};
    const struct route *r = NULL;
    assert_int_equal(router_match(routes, N, "POST", "/api/base-playlists/abc123/sync", &req, &r,
                                  NULL),
                     ROUTER_FOUND);
    assert_ptr_equal(r, &routes[5]);
    assert_int_equal(req.nparams, 1);
    assert_string_equal(request_param(&req, "id"), "abc123");
    assert_null(request_param(&req, "other"));

    assert_int_equal(router_match(routes, N, "GET", "/api/base-playlists/b1/x/c2", &req, &r, NULL),
                     ROUTER_FOUND);
    assert_string_equal(request_param(&req, "base"), "b1");
    assert_string_equal(request_param(&req, "child"), "c2");
    arena_free(req.arena);
}

static void test_router_not_found(void **state)
{
    struct request req = {.arena = arena_new()};
    const struct route *r = NULL;
    const char *paths[] = {"/", "/health", "/healthz/x", "/api/base-playlists/a/b",
                           "/api/base-playlists//sync", "/api/base-playlistsX"};
    for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++)
        assert_int_equal(router_match(routes, N, "GET", paths[i], &req, &r, NULL),
                         ROUTER_NOT_FOUND);
    arena_free(req.arena);
}

static void test_router_method_not_allowed_lists_allowed(void **state)
{
    struct request req = {.arena = arena_new()};
    const struct route *r = NULL;
    struct buf allow = BUF_INIT;
    assert_int_equal(router_match(routes, N, "DELETE", "/api/base-playlists/7", &req, &r, &allow),
                     ROUTER_METHOD_NOT_ALLOWED);
    assert_string_equal(allow.data, "GET, PATCH");
    buf_release(&allow);
    assert_int_equal(router_match(routes, N, "PUT", "/api/base-playlists", &req, &r, &allow),
                     ROUTER_METHOD_NOT_ALLOWED);
    assert_string_equal(allow.data, "GET, POST");
    buf_release(&allow);
    arena_free(req.arena);
}

static void test_router_trailing_slash_tolerated(void **state)
{
    struct request req = {.arena = arena_new()};
    const struct route *r = NULL;
    assert_int_equal(router_match(routes, N, "GET", "/api/base-playlists/", &req, &r, NULL),
                     ROUTER_FOUND);
    assert_ptr_equal(r, &routes[1]);
    arena_free(req.arena);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_router_literal_match),
        cmocka_unit_test(test_router_params_extracted),
        cmocka_unit_test(test_router_not_found),
        cmocka_unit_test(test_router_method_not_allowed_lists_allowed),
        cmocka_unit_test(test_router_trailing_slash_tolerated),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
