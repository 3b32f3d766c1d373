#ifndef PLAYROUTER_APP_ERR_H
#define PLAYROUTER_APP_ERR_H
/* Every failure a function can report. 0 is success. Only response_error()
 * (server/response.c) turns these into HTTP statuses and API.md codes. */
enum app_err {
    APP_OK = 0,
    ERR_NOMEM,              /* 500 internal */
    ERR_INTERNAL,           /* 500 internal */
    ERR_INVALID_JSON,       /* 400 invalid_json */
    ERR_BAD_REQUEST,        /* 400 bad_request (malformed HTTP framing: docs/SECURITY.md) */
    ERR_VALIDATION,         /* 400 validation_failed */
    ERR_INVALID_STATE,      /* 400 invalid_state (OAuth) */
    ERR_UNAUTHORIZED,       /* 401 unauthorized */
    ERR_FORBIDDEN,          /* 403 forbidden (CSRF: a cookie write from a foreign origin) */
    ERR_SPOTIFY_REAUTH,     /* 401 spotify_reauth_required */
    ERR_NOT_FOUND,          /* 404 not_found */
    ERR_METHOD_NOT_ALLOWED, /* 405 method_not_allowed */
    ERR_CONFLICT,           /* 409 conflict */
    ERR_SYNC_IN_PROGRESS,   /* 409 sync_in_progress */
    ERR_VERSION_MISMATCH,   /* 412 version_mismatch */
    ERR_PAYLOAD_TOO_LARGE,  /* 413 payload_too_large */
    ERR_URI_TOO_LONG,       /* 414 uri_too_long (docs/SECURITY.md) */
    ERR_RATE_LIMITED,       /* 429 rate_limited (Spotify quota / Retry-After beyond the cap; sign-in flood) */
    ERR_SPOTIFY,            /* 502 spotify_error */
    ERR_UNAVAILABLE,        /* 503 unavailable */
    ERR_METADATA_UNAVAILABLE, /* 502 metadata_unavailable (MusicBrainz unreachable) */
};

/* The stable snake_case code of API.md for an error ("internal" for 5xx bugs). */
const char *app_err_code(int err);
/* The HTTP status of an error. */
int app_err_status(int err);

#endif
