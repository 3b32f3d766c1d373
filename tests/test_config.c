/* Config parsing: defaults, environment, flags (which win), and bad values. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/config.h"

static void clear_env(void)
{
    const char *names[] = {"PLAYROUTER_PORT", "PLAYROUTER_DB", "PLAYROUTER_MAX_BODY",
                           "SPOTIFY_API_MODE", "PLAYROUTER_ENV", "PLAYROUTER_REDIS_URL",
                           "PLAYROUTER_MUSICBRAINZ_BASE", "PLAYROUTER_MUSICBRAINZ_RATE",
                           "PLAYROUTER_CONTACT"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        unsetenv(names[i]);
}

/* config_load with its report's message copied into err (256 bytes). */
static int load(struct config *cfg, int argc, char **argv, char *err)
{
    struct report rep = {0};
    int rc = config_load(cfg, argc, argv, stdout, &rep);
    snprintf(err, 256, "%s", report_text(&rep));
    report_release(&rep);
    return rc;
}

static void test_config_defaults(void **state)
{
    clear_env();
    struct config cfg;
    char err[256] = "";
    char *argv[] = {"playrouter"};
    assert_int_equal(load(&cfg, 1, argv, err), 0);
    assert_int_equal(cfg.port, 8080);
    assert_string_equal(cfg.bind, "127.0.0.1");
    assert_string_equal(cfg.db_path, "./data/playrouter.db");
    assert_string_equal(cfg.data_dir, "./data");
    assert_int_equal(cfg.max_body, 1048576);
    assert_null(cfg.redis_url);
    assert_string_equal(cfg.spotify_api_base, "https://api.spotify.com/v1");
    assert_string_equal(cfg.spotify_accounts_base, "https://accounts.spotify.com");
    assert_int_equal(cfg.spotify_mode, SPOTIFY_MODE_DEVELOPMENT);
    assert_int_equal(cfg.retry_after_cap_s, 60);
    assert_int_equal(cfg.sync_timeout_s, 1800);
    /* The hardening settings (docs/SECURITY.md); 30 sign-ins a minute is API.md's. */
    assert_int_equal(cfg.max_connections_per_ip, 64);
    assert_int_equal(cfg.header_timeout_s, 10);
    assert_int_equal(cfg.body_timeout_s, 30);
    assert_int_equal(cfg.login_rate_limit, 30);
    assert_int_equal(cfg.max_pending_signins, 10000);
    /* API.md: MusicBrainz on at its public address, 1 request per second, no contact */
    assert_string_equal(cfg.musicbrainz_base, "https://musicbrainz.org/ws/2");
    assert_int_equal(cfg.musicbrainz_rate, 1);
    assert_null(cfg.contact);
    config_release(&cfg);
}

static void test_config_musicbrainz(void **state)
{
    struct config cfg;
    char err[256] = "";
    clear_env();
    setenv("PLAYROUTER_MUSICBRAINZ_BASE", "off", 1);
    char *argv[] = {"playrouter", "--contact", "ops@example.org", "--musicbrainz-rate", "3"};
    assert_int_equal(load(&cfg, 5, argv, err), 0);
    assert_null(cfg.musicbrainz_base); /* off */
    assert_int_equal(cfg.musicbrainz_rate, 3);
    assert_string_equal(cfg.contact, "ops@example.org");
    config_release(&cfg);
    struct {
        const char *flag, *value, *needle;
    } bad[] = {
        {"--musicbrainz-base", "musicbrainz.org/ws/2", "PLAYROUTER_MUSICBRAINZ_BASE"},
        {"--musicbrainz-rate", "0", "PLAYROUTER_MUSICBRAINZ_RATE"},
        {"--contact", "a\r\nX-Injected: 1", "PLAYROUTER_CONTACT"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        clear_env();
        char *bargv[] = {"playrouter", (char *)bad[i].flag, (char *)bad[i].value};
        assert_int_equal(load(&cfg, 3, bargv, err), 2);
        assert_non_null(strstr(err, bad[i].needle));
        config_release(&cfg);
    }
    clear_env();
}

static void test_config_env_then_flag_precedence(void **state)
{
    clear_env();
    setenv("PLAYROUTER_PORT", "9000", 1);
    setenv("SPOTIFY_API_MODE", "extended", 1);
    setenv("PLAYROUTER_DB", "/tmp/x/y.db", 1);
    struct config cfg;
    char err[256] = "";
    char *argv[] = {"playrouter", "--port", "9001", "--max-body=2048"};
    assert_int_equal(load(&cfg, 4, argv, err), 0);
    assert_int_equal(cfg.port, 9001);
    assert_int_equal(cfg.max_body, 2048);
    assert_int_equal(cfg.spotify_mode, SPOTIFY_MODE_EXTENDED);
    assert_string_equal(cfg.data_dir, "/tmp/x");
    config_release(&cfg);
    clear_env();
}

static void test_config_bad_values_rejected(void **state)
{
    struct {
        const char *flag, *value, *needle;
    } bad[] = {
        {"--port", "99999", "PLAYROUTER_PORT"},
        {"--port", "-1", "PLAYROUTER_PORT"},
        {"--port", "80x", "PLAYROUTER_PORT"},
        {"--max-body", "0", "PLAYROUTER_MAX_BODY"},
        {"--spotify-api-mode", "premium", "SPOTIFY_API_MODE"},
        {"--env", "staging", "PLAYROUTER_ENV"},
        {"--header-timeout", "0", "PLAYROUTER_HEADER_TIMEOUT"},
        {"--body-timeout", "0", "PLAYROUTER_BODY_TIMEOUT"},
        {"--max-connections-per-ip", "-1", "PLAYROUTER_MAX_CONNECTIONS_PER_IP"},
        {"--login-rate-limit", "x", "PLAYROUTER_LOGIN_RATE_LIMIT"},
        {"--max-pending-signins", "0", "PLAYROUTER_MAX_PENDING_SIGNINS"},
        {"--nope", "1", "unknown flag"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        clear_env();
        struct config cfg;
        char err[256] = "";
        char *argv[] = {"playrouter", (char *)bad[i].flag, (char *)bad[i].value};
        assert_int_equal(load(&cfg, 3, argv, err), 2);
        assert_non_null(strstr(err, bad[i].needle));
        config_release(&cfg);
    }
}

static void test_config_flag_without_value(void **state)
{
    clear_env();
    struct config cfg;
    char err[256] = "";
    char *argv[] = {"playrouter", "--port"};
    assert_int_equal(load(&cfg, 2, argv, err), 2);
    assert_non_null(strstr(err, "needs a value"));
    config_release(&cfg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_config_defaults),
        cmocka_unit_test(test_config_env_then_flag_precedence),
        cmocka_unit_test(test_config_bad_values_rejected),
        cmocka_unit_test(test_config_flag_without_value),
        cmocka_unit_test(test_config_musicbrainz),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
