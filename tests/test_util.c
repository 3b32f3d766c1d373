/* lib/util: the origin normaliser the CSRF check compares with (docs/SECURITY.md). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <string.h>

#include "lib/util.h"

static void test_util_url_origin_normalises(void **state)
{
    const struct {
        const char *in, *out;
    } ok[] = {
        {"http://127.0.0.1:8080/api/auth/callback", "http://127.0.0.1:8080"},
        {"http://127.0.0.1:8080", "http://127.0.0.1:8080"},
        {"HTTPS://App.Example.COM:443/x?y#z", "https://app.example.com"},
        {"https://app.example.com:8443", "https://app.example.com:8443"},
        {"http://app.example.com:80/", "http://app.example.com"},
        {"http://app.example.com:443", "http://app.example.com:443"},
        {"https://app.example.com:80", "https://app.example.com:80"},
        {"http://[::1]:8080/cb", "http://[::1]:8080"},
        {"http://[::1]/cb", "http://[::1]"},
        {"https://x.example?q", "https://x.example"},
    };
    char out[64];
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        assert_int_equal(util_url_origin(ok[i].in, out, sizeof out), 0);
        assert_string_equal(out, ok[i].out);
    }
}

static void test_util_url_origin_refuses(void **state)
{
    const char *bad[] = {NULL, "", "null", "ftp://x", "http://", "http:///path",
                         "http://user@evil.example@app.example", "http://x:", "http://x:123456",
                         "http://x:8a", "javascript:alert(1)", "//app.example"};
    char out[64];
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(util_url_origin(bad[i], out, sizeof out), -1);
    /* Too small a buffer is an error, not a cut origin that could match another. */
    char small[12];
    assert_int_equal(util_url_origin("https://app.example.com", small, sizeof small), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_util_url_origin_normalises),
        cmocka_unit_test(test_util_url_origin_refuses),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
