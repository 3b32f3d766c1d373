#include "lib/app_err.h"

static const struct {
    int status;
    const char *code;
} err_table[] = {
    [APP_OK] = {200, "ok"},
    [ERR_NOMEM] = {500, "internal"},
    [ERR_INTERNAL] = {500, "internal"},
    [ERR_INVALID_JSON] = {400, "invalid_json"},
    [ERR_BAD_REQUEST] = {400, "bad_request"},
    [ERR_VALIDATION] = {400, "validation_failed"},
    [ERR_INVALID_STATE] = {400, "invalid_state"},
    [ERR_UNAUTHORIZED] = {401, "unauthorized"},
    [ERR_FORBIDDEN] = {403, "forbidden"},
    [ERR_SPOTIFY_REAUTH] = {401, "spotify_reauth_required"},
    [ERR_NOT_FOUND] = {404, "not_found"},
    [ERR_METHOD_NOT_ALLOWED] = {405, "method_not_allowed"},
    [ERR_CONFLICT] = {409, "conflict"},
    [ERR_SYNC_IN_PROGRESS] = {409, "sync_in_progress"},
    [ERR_VERSION_MISMATCH] = {412, "version_mismatch"},
    [ERR_PAYLOAD_TOO_LARGE] = {413, "payload_too_large"},
    [ERR_URI_TOO_LONG] = {414, "uri_too_long"},
    [ERR_RATE_LIMITED] = {429, "rate_limited"},
    [ERR_SPOTIFY] = {502, "spotify_error"},
    [ERR_UNAVAILABLE] = {503, "unavailable"},
    [ERR_METADATA_UNAVAILABLE] = {502, "metadata_unavailable"},
};

const char *app_err_code(int err)
{
    if (err < 0 || (unsigned)err >= sizeof(err_table) / sizeof(err_table[0]) || !err_table[err].code)
        return "internal";
    return err_table[err].code;
}

int app_err_status(int err)
{
    if (err < 0 || (unsigned)err >= sizeof(err_table) / sizeof(err_table[0]) || !err_table[err].code)
        return 500;
    return err_table[err].status;
}
