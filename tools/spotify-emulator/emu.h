#ifndef EMU_EMU_H
#define EMU_EMU_H
/* The emulator process: configuration, the request/response pair that every
 * handler gets, and the module entry points. */
#include <jansson.h>
#include <microhttpd.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "catalog.h"
#include "util.h"

struct accounts;
struct knobs;
struct delay_queue;

#define EMU_MAX_REDIRECTS 32

struct emu_config {
    char *client_id, *client_secret;
    /* Registered redirect URIs; one holding '*' is an fnmatch() pattern, so a test
     * can register its callback with the port as '*' before it knows the port.
     * Guarded by redirect_mu: the admin API can add more at run time. */
    pthread_mutex_t redirect_mu;
    char *redirect_uris[EMU_MAX_REDIRECTS];
    int nredirect;
    atomic_int token_lifetime;    /* seconds */
    atomic_int mode;              /* enum emu_mode */
    atomic_int foreign_forbidden; /* development mode: others' playlists answer 403 */
    int threads;
    int port;
    char *public_url;
};

struct emu {
    struct emu_config cfg;
    struct catalog *cat;
    struct accounts *acc;
    struct knobs *knobs;
    struct delay_queue *delays;
    struct MHD_Daemon *daemon;
};

#define EMU_MAX_PARAMS 3

/* The OAuth scopes the accounts service knows. A token keeps the ones it was
 * granted as a bit set (1u << SCOPE_x); routes that need one check it. */
enum emu_scope {
    SCOPE_UGC_IMAGE_UPLOAD,
    SCOPE_USER_READ_PLAYBACK_STATE,
    SCOPE_USER_MODIFY_PLAYBACK_STATE,
    SCOPE_USER_READ_CURRENTLY_PLAYING,
    SCOPE_APP_REMOTE_CONTROL,
    SCOPE_STREAMING,
    SCOPE_PLAYLIST_READ_PRIVATE,
    SCOPE_PLAYLIST_READ_COLLABORATIVE,
    SCOPE_PLAYLIST_MODIFY_PRIVATE,
    SCOPE_PLAYLIST_MODIFY_PUBLIC,
    SCOPE_USER_FOLLOW_MODIFY,
    SCOPE_USER_FOLLOW_READ,
    SCOPE_USER_READ_PLAYBACK_POSITION,
    SCOPE_USER_TOP_READ,
    SCOPE_USER_READ_RECENTLY_PLAYED,
    SCOPE_USER_LIBRARY_MODIFY,
    SCOPE_USER_LIBRARY_READ,
    SCOPE_USER_READ_EMAIL,
    SCOPE_USER_READ_PRIVATE,
    SCOPE_USER_PERSONALIZED,
    SCOPE_USER_SOA_LINK,
    SCOPE_USER_SOA_UNLINK,
    SCOPE_SOA_MANAGE_ENTITLEMENTS,
    SCOPE_SOA_MANAGE_PARTNER,
    SCOPE_SOA_CREATE_PARTNER,
    SCOPE_COUNT
};
_Static_assert(SCOPE_COUNT <= 32, "scopes must fit a uint32_t bit set");
#define SCOPE_BIT(s) (1u << (s))

/* One request, valid during the handler call. Strings are borrowed. */
struct emu_req {
    struct emu *emu;
    struct MHD_Connection *conn;
    const char *method;
    const char *path; /* without the query string */
    const char *body; /* NUL-terminated; NULL when there was none */
    size_t body_len;
    const char *params[EMU_MAX_PARAMS]; /* {id} segments of the route, in order */
    int user;                           /* authenticated user index, -1 before auth */
    uint32_t scopes;                    /* the token's scopes (SCOPE_BIT), 0 before auth */
    int mode;                           /* enum emu_mode, read once per request */
    int arg;                            /* the route's variant (see ROUTES in http.c) */
};

/* The answer a handler builds; http.c sends it. */
struct emu_resp {
    int status;
    struct buf body;
    const char *ctype; /* NULL = application/json; charset=utf-8 */
    char *location;    /* malloc'ed; sent as Location when set */
    int retry_after;   /* > 0: a Retry-After header (seconds) */
    bool drop;         /* close the connection without an answer */
};

typedef void (*emu_handler_fn)(struct emu_req *req, struct emu_resp *res);

/* ---- http.c ---- */
/* Binds 127.0.0.1:cfg.port (0 = any free port; the chosen one is written back
 * to cfg.port) and listens; the socket in *fd. 0 or -1 with a message on stderr. */
int http_listen(struct emu *emu, int *fd);
/* Starts the daemon (thread pool of cfg.threads) on that socket, which it then
 * owns. 0 or -1 with a message on stderr. */
int http_start_on(struct emu *emu, int fd);
/* Resumes every delayed connection and stops the daemon. */
void http_stop(struct emu *emu);
/* Query-string value (decoded by MHD) or NULL. */
const char *req_query(const struct emu_req *req, const char *key);
const char *req_header(const struct emu_req *req, const char *name);
/* (webapi.c) ?limit and ?offset like Spotify: absent = the default; not a number
 * or out of range = 400 "Invalid limit"/"Invalid offset". 0, or -1 after writing
 * the error. */
int req_paging(struct emu_req *req, struct emu_resp *res, long def_limit, long max_limit,
               long *limit, long *offset);
/* (webapi_write.c) The request body as a JSON object; NULL (after a 400 "Error
 * parsing JSON.") when it is not one. With optional, an absent body yields an
 * empty object. Caller json_decref()s. */
json_t *req_json_body(struct emu_req *req, struct emu_resp *res, bool optional);
/* Spotify's Web API error: {"error":{"status":S,"message":M}} (replaces the body). */
void resp_error(struct emu_resp *res, int status, const char *message);
/* Body already written: only the status. An allocation failure while writing
 * the body (rc != 0) turns the answer into a 500. */
void resp_json(struct emu_resp *res, int status, int rc);

/* ---- accounts.c ---- */
struct accounts *accounts_new(void);
void accounts_free(struct accounts *a);
enum bearer_status {
    BEARER_OK = 0,
    BEARER_MISSING,
    BEARER_INVALID,
    BEARER_EXPIRED,
    BEARER_BAD_SCHEME
};
/* Checks an Authorization header; on BEARER_OK the user's index in *user and the
 * token's scopes (SCOPE_BIT set) in *scopes. */
enum bearer_status accounts_check_bearer(struct accounts *a, const char *header, int *user,
                                         uint32_t *scopes);
/* Parses a space- (or '+'-) separated scope list into a SCOPE_BIT set; 0, or -1
 * when it names a scope Spotify does not have. */
int accounts_scope_parse(const char *scope, uint32_t *bits);
void accounts_authorize(struct emu_req *req, struct emu_resp *res);
void accounts_token(struct emu_req *req, struct emu_resp *res);
/* Signs a user in without the browser dance (admin): fills access (>= 64 bytes)
 * and refresh (>= 64 bytes). 0 or -1 (out of memory). */
int accounts_mint(struct emu *emu, int user, const char *scope, char *access, char *refresh);
/* Makes every access token expired now. */
void accounts_expire_access(struct accounts *a);
/* Makes the user's refresh tokens unusable (invalid_grant); returns how many. */
int accounts_expire_refresh(struct accounts *a, int user);

/* ---- webapi.c / webapi_write.c: handlers of /v1 routes ---- */
void web_me(struct emu_req *req, struct emu_resp *res);
void web_user(struct emu_req *req, struct emu_resp *res);
void web_my_playlists(struct emu_req *req, struct emu_resp *res);
void web_playlist(struct emu_req *req, struct emu_resp *res);
void web_playlist_items(struct emu_req *req, struct emu_resp *res);
void web_several(struct emu_req *req, struct emu_resp *res);
void web_one(struct emu_req *req, struct emu_resp *res);
void web_create_playlist(struct emu_req *req, struct emu_resp *res);
void web_change_playlist(struct emu_req *req, struct emu_resp *res);
void web_add_items(struct emu_req *req, struct emu_resp *res);
void web_update_items(struct emu_req *req, struct emu_resp *res);
void web_remove_items(struct emu_req *req, struct emu_resp *res);

/* ---- webapi_library.c: the user's saved tracks (Liked Songs) ---- */
void web_saved_tracks(struct emu_req *req, struct emu_resp *res);
void web_library_save(struct emu_req *req, struct emu_resp *res);
void web_library_remove(struct emu_req *req, struct emu_resp *res);
void web_library_contains(struct emu_req *req, struct emu_resp *res);

/* ---- fields.c: Spotify's `fields` filter ---- */
/* Filters the JSON text in *body by a fields expression in place. 0, or -1 when
 * the expression is malformed (the body is then unchanged). */
int fields_apply(struct buf *body, const char *fields);

/* ---- admin.c ---- */
void admin_handle(struct emu_req *req, struct emu_resp *res);

#endif
