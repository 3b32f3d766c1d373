/* The OpenAPI document (docs/openapi.json, served at GET /api/openapi.json) and the
 * router agree: every route of server/routes.c is an operation of the document and
 * every operation is a route; a public route is an operation with `security: []`;
 * every $ref resolves. (e2e tests validate real answers against its schemas.) */
#include <ctype.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "handlers/openapi_handler.h"
#include "server/routes.h"

static const char *const METHODS[] = {"get", "put", "post", "delete", "patch", "head", "options"};

static json_t *load(void)
{
    json_error_t err;
    json_t *doc = json_loadb(openapi_document, openapi_document_len, 0, &err);
    if (!doc)
        fail_msg("docs/openapi.json is not JSON: line %d: %s", err.line, err.text);
    return doc;
}

static void lower(const char *in, char *out, size_t n)
{
    size_t i = 0;
    for (; in[i] && i + 1 < n; i++)
        out[i] = (char)tolower((unsigned char)in[i]);
    out[i] = '\0';
}

static void test_openapi_every_route_is_documented(void **state)
{
    (void)state;
    json_t *doc = load();
    json_t *paths = json_object_get(doc, "paths");
    assert_non_null(paths);
    for (size_t i = 0; i < routes_count; i++) {
        const struct route *r = &routes_table[i];
        char m[16];
        lower(r->method, m, sizeof m);
        json_t *op = json_object_get(json_object_get(paths, r->pattern), m);
        if (!op)
            fail_msg("route %s %s is not in docs/openapi.json", r->method, r->pattern);
        json_t *sec = json_object_get(op, "security");
        int public_doc = json_is_array(sec) && json_array_size(sec) == 0;
        if (public_doc != ((r->flags & ROUTE_AUTH) == 0))
            fail_msg("%s %s: the document says %s, the router %s", r->method, r->pattern,
                     public_doc ? "public" : "authenticated",
                     r->flags & ROUTE_AUTH ? "authenticated" : "public");
        if (!json_is_object(json_object_get(op, "responses")))
            fail_msg("%s %s has no responses", r->method, r->pattern);
    }
    json_decref(doc);
}

static void test_openapi_every_operation_is_a_route(void **state)
{
    (void)state;
    json_t *doc = load();
    const char *path;
    json_t *item;
    size_t ops = 0;
    json_object_foreach(json_object_get(doc, "paths"), path, item) {
        for (size_t k = 0; k < sizeof METHODS / sizeof METHODS[0]; k++) {
            if (!json_object_get(item, METHODS[k]))
                continue;
            int found = 0;
            ops++;
            for (size_t i = 0; i < routes_count && !found; i++) {
                char m[16];
                lower(routes_table[i].method, m, sizeof m);
                found = strcmp(routes_table[i].pattern, path) == 0 && strcmp(m, METHODS[k]) == 0;
            }
            if (!found)
                fail_msg("docs/openapi.json has %s %s, which no route serves", METHODS[k], path);
        }
    }
    assert_int_equal(ops, routes_count);
    json_decref(doc);
}

/* Every "$ref" names something that exists in the document. */
static void check_refs(json_t *doc, json_t *node)
{
    if (json_is_object(node)) {
        const char *key;
        json_t *v;
        json_object_foreach(node, key, v) {
            if (strcmp(key, "$ref") == 0) {
                const char *ref = json_string_value(v);
                char buf[256];
                assert_non_null(ref);
                assert_true(strncmp(ref, "#/", 2) == 0 && strlen(ref) < sizeof buf);
                strcpy(buf, ref + 2);
                json_t *at = doc;
                for (char *tok = strtok(buf, "/"); tok && at; tok = strtok(NULL, "/"))
                    at = json_object_get(at, tok);
                if (!at)
                    fail_msg("dangling $ref %s", ref);
            } else {
                check_refs(doc, v);
            }
        }
    } else if (json_is_array(node)) {
        size_t i;
        json_t *v;
        json_array_foreach(node, i, v) check_refs(doc, v);
    }
}

static void test_openapi_refs_resolve(void **state)
{
    (void)state;
    json_t *doc = load();
    assert_string_equal(json_string_value(json_object_get(doc, "openapi")), "3.1.0");
    check_refs(doc, doc);
    json_decref(doc);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_openapi_every_route_is_documented),
        cmocka_unit_test(test_openapi_every_operation_is_a_route),
        cmocka_unit_test(test_openapi_refs_resolve),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
