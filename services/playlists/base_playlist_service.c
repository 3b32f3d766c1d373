/* Base playlists: validation, Spotify checks, versions, pagination; and the helpers
 * that child_playlist_service.c and child_playlist_replace.c share (reports, names,
 * Spotify ids, the lazily opened Spotify client of a request). */
#include "services/playlists/base_playlist_service.h"

#include <assert.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "app/app.h"
#include "lib/app_err.h"
#include "repositories/user_repo.h"
#include "app/config.h"
#include "lib/log.h"
#include "lib/util.h"
#include "services/spotify/spotify_accounts.h"
#include "services/database.h"
#include "services/spotify/spotify_client.h"
#include "services/spotify/spotify_session.h"
#include "services/rules/target.h"

/* ---- names and Spotify ids ---- */

const char *playlist_name_problem(const json_t *v)
{
    const char *s;
    size_t chars = 0;
    int blank = 1;

    if (!json_is_string(v))
        return "must be a string";
    s = json_string_value(v);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if ((*p & 0xC0) != 0x80) /* jansson guarantees valid UTF-8: count lead bytes */
            chars++;
        if (*p != ' ' && *p != '\t' && *p != '\n' && *p != '\r')
            blank = 0;
    }
    if (json_string_length(v) != strlen(s))
        return "must not contain NUL characters";
    if (chars == 0 || blank)
        return "must not be empty";
    if (chars > PLAYLIST_NAME_MAX)
        return "must be at most 100 characters long";
    return NULL;
}

const char *playlist_spotify_id_parse(const json_t *v, struct arena *a, const char **out)
{
    static const char *const prefixes[] = {
        "spotify:playlist:", "https://open.spotify.com/playlist/",
        "http://open.spotify.com/playlist/", NULL};
    const char *s, *end;
    size_t len;

    *out = NULL;
    if (!json_is_string(v))
        return "must be a string: a Spotify playlist id, URI or link";
    s = json_string_value(v);
    for (int i = 0; prefixes[i]; i++)
        if (strncmp(s, prefixes[i], strlen(prefixes[i])) == 0) {
            s += strlen(prefixes[i]);
            break;
        }
    end = s + strcspn(s, "?#/");
    if (*end == '/' && end[1] != '\0')
        return "is not a Spotify playlist id, URI or link";
    len = (size_t)(end - s);
    if (len == 0 || len > 64)
        return "must be a Spotify playlist id (1 to 64 letters and digits)";
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')))
            return "must be a Spotify playlist id (letters and digits only)";
    }
    if (!(*out = arena_strndup(a, s, len)))
        return "out of memory";
    return NULL;
}

/* ---- the Spotify side of a request ---- */

void playlist_spotify_init(struct playlist_spotify *s, struct app *app, struct db *db,
                           const char *user_id)
{
    memset(s, 0, sizeof *s);
    s->app = app;
    s->db = db;
    s->user_id = user_id;
}

void playlist_spotify_release(struct playlist_spotify *s)
{
    if (!s)
        return;
    spotify_client_free(s->client);
    s->client = NULL;
}

void playlist_spotify_log_orphans(struct playlist_spotify *s, const char *why)
{
    for (size_t i = 0; i < s->n_created; i++)
        log_warn("playlists: Spotify playlist %s created for user %s was left on Spotify: %s",
                 s->created[i], s->user_id, why);
}

/* Maps a Spotify failure of the client (its message in `spotify`) to our error, with a
 * message in rep. */
static int spotify_failure(const struct report *spotify, int rc, const char *what,
                           struct report *rep)
{
    const char *why = report_text(spotify);
    if (rc == ERR_NOMEM || rc == ERR_SPOTIFY_REAUTH)
        return rc;
    if (rc != ERR_RATE_LIMITED)
        rc = ERR_SPOTIFY;
    report_message(rep, "Spotify could not %s%s%s", what, why[0] ? ": " : "", why);
    return rc;
}

static int open_client(struct playlist_spotify *s, struct report *rep)
{
    int rc;
    if (s->client)
        return 0;
    int lent = database_lend(s->app, s->db); /* a token refresh may ask Spotify */
    rc = spotify_session_client(s->app, s->user_id, &s->client);
    if (database_reclaim(s->app, s->db, lent) != 0) {
        spotify_client_free(s->client);
        s->client = NULL;
        return ERR_UNAVAILABLE;
    }
    if (rc != 0) {
        s->client = NULL;
        if (rc != ERR_NOMEM && rc != ERR_INTERNAL) {
            report_message(rep, "cannot reach Spotify for this user");
            rc = ERR_SPOTIFY;
        }
    }
    return rc;
}

int playlist_spotify_check(struct playlist_spotify *s, struct arena *a, const char *spotify_id,
                           const char *path, const char **name_out, struct report *rep)
{
    struct spotify_playlist_info info;
    struct report spotify = {0};
    int rc;

    if (name_out)
        *name_out = NULL;
    if ((rc = open_client(s, rep)) != 0)
        return rc;
    memset(&info, 0, sizeof info);
    int lent = database_lend(s->app, s->db);
    rc = spotify_client_get_playlist_info(s->client, a, spotify_id, &info, &spotify);
    if (database_reclaim(s->app, s->db, lent) != 0)
        rc = ERR_UNAVAILABLE;
    else if (rc == ERR_NOT_FOUND)
        rc = report_add(rep, path, "Spotify playlist '%s' does not exist or you may not read it",
                        spotify_id) != 0
                 ? ERR_NOMEM
                 : ERR_VALIDATION;
    else if (rc != 0)
        rc = spotify_failure(&spotify, rc, "read the playlist", rep);
    else if (name_out)
        *name_out = info.name;
    report_release(&spotify);
    return rc;
}

int playlist_spotify_create(struct playlist_spotify *s, struct arena *a, const char *name,
                            const char *description, const char **id_out,
                            struct report *rep)
{
    struct report spotify = {0};
    char *id = NULL;
    int rc;

    *id_out = NULL;
    if ((rc = open_client(s, rep)) != 0)
        return rc;
    int lent = database_lend(s->app, s->db);
    rc = spotify_client_create_playlist(s->client, name, false, description, &id, &spotify);
    if (database_reclaim(s->app, s->db, lent) != 0) {
        if (rc == 0)
            log_warn("playlists: Spotify playlist %s created for user %s was left on Spotify: "
                     "no database connection", id, s->user_id);
        free(id);
        report_release(&spotify);
        return ERR_UNAVAILABLE;
    }
    if (rc != 0)
        rc = spotify_failure(&spotify, rc, "create a playlist", rep);
    report_release(&spotify);
    if (rc != 0)
        return rc;
    *id_out = arena_strdup(a, id);
    free(id);
    if (!*id_out)
        return ERR_NOMEM;
    if (s->n_created < sizeof s->created / sizeof s->created[0])
        s->created[s->n_created++] = *id_out;
    return 0;
}

/* ---- body validation ---- */

static int is_one_of(const char *key, const char *const *list)
{
    for (; *list; list++)
        if (strcmp(key, *list) == 0)
            return 1;
    return 0;
}

/* What a POST or PATCH body of a base may set. */
struct base_input {
    bool liked;                      /* POST only: source "liked" */
    const char *spotify_playlist_id; /* POST only, source "playlist" */
    const char *name;                /* NULL: absent */
    const char *routing;             /* NULL: absent */
    int has_auto_sync;
    int64_t auto_sync_minutes;
};

static const char *const BASE_READ_ONLY[] = {"id",      "version", "last_synced_at",
                                             "created", "updated", NULL};

/* Validates a base body; every problem goes to rep. creating: POST (else PATCH). */
static int base_input_parse(const json_t *body, int creating, struct arena *a,
                            struct base_input *in, struct report *rep)
{
    const char *key;
    json_t *v;
    int bad = 0, rc = 0;
    /* The source decides what spotify_playlist_id must be, so it is read first. */
    const json_t *source = json_object_get(body, "source");
    bool source_bad = source && !(json_is_string(source) &&
                                  (strcmp(json_string_value(source), BASE_SOURCE_PLAYLIST) == 0 ||
                                   strcmp(json_string_value(source), BASE_SOURCE_LIKED) == 0));
#define PROBLEM(path, ...)                                                                         \
    do {                                                                                           \
        bad = 1;                                                                                   \
        if (report_add(rep, path, __VA_ARGS__) != 0)                                      \
            return ERR_NOMEM;                                                                      \
    } while (0)

    memset(in, 0, sizeof in[0]);
    in->liked = creating && source && !source_bad &&
                strcmp(json_string_value(source), BASE_SOURCE_LIKED) == 0;
    json_object_foreach((json_t *)body, key, v)
    {
        const char *path = report_pointer(a, "", key);
        if (!path)
            return ERR_NOMEM;
        if (strcmp(key, "source") == 0) {
            if (!creating)
                PROBLEM(path, "cannot be changed; create a new base playlist for another source");
            else if (source_bad)
                PROBLEM(path, "must be \"playlist\" (a Spotify playlist) or \"liked\" (your "
                              "Liked Songs)");
        } else if (strcmp(key, "spotify_playlist_id") == 0) {
            if (!creating) {
                PROBLEM(path, "cannot be changed; create a new base playlist for another "
                              "Spotify playlist");
                continue;
            }
            if (in->liked) {
                /* null is what GET shows for a Liked Songs base: the same as absent. */
                if (!json_is_null(v))
                    PROBLEM(path, "must not be given with source \"liked\": a Liked Songs "
                                  "base reads your saved tracks, not a playlist");
                continue;
            }
            const char *why = playlist_spotify_id_parse(v, a, &in->spotify_playlist_id);
            if (why)
                PROBLEM(path, "%s", why);
        } else if (strcmp(key, "name") == 0) {
            const char *why = playlist_name_problem(v);
            if (why)
                PROBLEM(path, "%s", why);
            else
                in->name = json_string_value(v);
        } else if (strcmp(key, "routing") == 0) {
            enum target_routing r;
            if (!json_is_string(v) || target_routing_parse(json_string_value(v), &r) != 0)
                PROBLEM(path, "must be \"all\" or \"first_match\"");
            else
                in->routing = r == TARGET_ROUTING_ALL ? "all" : "first_match";
        } else if (strcmp(key, "auto_sync_minutes") == 0) {
            json_int_t m = json_is_integer(v) ? json_integer_value(v) : -1;
            if (m != 0 && (m < BASE_PLAYLIST_AUTO_SYNC_MIN || m > BASE_PLAYLIST_AUTO_SYNC_MAX))
                PROBLEM(path, "must be 0 (off) or an integer from %d to %d",
                        BASE_PLAYLIST_AUTO_SYNC_MIN, BASE_PLAYLIST_AUTO_SYNC_MAX);
            else {
                in->has_auto_sync = 1;
                in->auto_sync_minutes = m;
            }
        } else if (is_one_of(key, BASE_READ_ONLY)) {
            PROBLEM(path, "is read-only");
        } else {
            PROBLEM(path, "unknown field");
        }
    }
    if (creating && !in->liked && !source_bad && !json_object_get(body, "spotify_playlist_id"))
        PROBLEM("/spotify_playlist_id", "is required (or give \"source\": \"liked\")");
#undef PROBLEM
    if (bad)
        rc = ERR_VALIDATION;
    return rc;
}

/* ---- cursor ---- */

/* "<created epoch>.<id>": opaque to clients, strict to parse. */
static const char *cursor_encode(struct arena *a, const struct base_playlist *last)
{
    time_t t;
    if (util_time_parse(last->created, &t) != 0)
        return NULL;
    return arena_sprintf(a, "%lld.%s", (long long)t, last->id);
}

static int cursor_decode(struct arena *a, const char *cursor, const char **created, const char **id)
{
    const char *dot = strchr(cursor, '.');
    char *num, *ts;
    int64_t epoch;

    if (!dot || dot == cursor || dot[1] == '\0' || strlen(dot + 1) > 64)
        return -1;
    for (const char *p = dot + 1; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
              *p == '_' || *p == '-'))
            return -1;
    if (!(num = arena_strndup(a, cursor, (size_t)(dot - cursor))) ||
        util_parse_int64(num, 0, 253402300799LL /* 9999-12-31T23:59:59Z */, &epoch) != 0)
        return -1;
    if (!(ts = arena_alloc(a, 21)))
        return -1;
    util_time_format((time_t)epoch, ts);
    *created = ts;
    *id = dot + 1;
    return 0;
}

/* ---- routes ---- */

int base_playlist_service_list(struct db *db, struct arena *a, const char *user_id,
                               const char *cursor, int limit, struct base_playlist **items,
                               size_t *n, const char **next_cursor, struct report *rep)
{
    const char *after_created = NULL, *after_id = NULL;
    int more = 0, rc;
    assert(rep != NULL); /* the services read it to see problems */

    *next_cursor = NULL;
    if (limit < 1)
        limit = 1;
    if (limit > BASE_PLAYLIST_LIST_MAX)
        limit = BASE_PLAYLIST_LIST_MAX;
    if (cursor && cursor_decode(a, cursor, &after_created, &after_id) != 0) {
        if (report_add(rep, "cursor",
                                "is not a cursor this server gave (use next_cursor as is)") != 0)
            return ERR_NOMEM;
        return ERR_VALIDATION;
    }
    rc = base_playlist_repo_list(db, a, user_id, after_created, after_id, limit, items, n, &more);
    if (rc != 0)
        return rc;
    if (more && *n > 0 && !(*next_cursor = cursor_encode(a, &(*items)[*n - 1])))
        return ERR_INTERNAL;
    return 0;
}

int base_playlist_service_get(struct db *db, struct arena *a, const char *user_id, const char *id,
                              struct base_playlist *out)
{
    return base_playlist_repo_find(db, a, user_id, id, out);
}

/* Is `want` one of the space-separated scopes of `granted`? */
static bool scope_has(const char *granted, const char *want)
{
    size_t n = strlen(want);
    for (const char *p = granted; *p;) {
        size_t len = strcspn(p, " ");
        if (len == n && strncmp(p, want, n) == 0)
            return true;
        p += len;
        p += strspn(p, " ");
    }
    return false;
}

/* Before a Liked Songs base is made: the user has none yet (ERR_CONFLICT), and their
 * sign-in lets us read their saved tracks. A grant without user-library-read (a sign-in
 * from before that scope was asked for) is ERR_VALIDATION at /source saying to sign in
 * again; an unknown grant (none stored) is let through, and Spotify's answer to the
 * first sync will say. No Spotify request. */
static int liked_check(struct db *db, struct arena *a, const char *user_id, struct report *rep)
{
    struct base_playlist existing;
    const char *scope = NULL;
    int rc = base_playlist_repo_find_liked(db, a, user_id, &existing);
    if (rc == 0) {
        report_message(rep, "you already have a Liked Songs base playlist (%s)", existing.id);
        return ERR_CONFLICT;
    }
    if (rc != ERR_NOT_FOUND)
        return rc;
    if ((rc = user_repo_get_scope(db, a, user_id, &scope)) != 0)
        return rc;
    if (scope && !scope_has(scope, SPOTIFY_SCOPE_LIBRARY_READ)) {
        if (report_add(rep, "/source",
                       "your Spotify sign-in does not let playrouter read your Liked Songs "
                       "(it lacks the %s scope): sign in again (GET /api/auth/login), then "
                       "retry",
                       SPOTIFY_SCOPE_LIBRARY_READ) != 0)
            return ERR_NOMEM;
        return ERR_VALIDATION;
    }
    return 0;
}

/* Before a base on Spotify playlist `spid` is made: the user has none on it yet
 * (ERR_CONFLICT, checked before Spotify is asked), and they may read it (*name: its
 * name on Spotify). */
static int playlist_check(struct playlist_spotify *sp, struct db *db, struct arena *a,
                          const char *user_id, const char *spid, const char **name,
                          struct report *rep)
{
    struct base_playlist existing;
    int rc = base_playlist_repo_find_by_spotify_id(db, a, user_id, spid, &existing);
    if (rc == 0) {
        report_message(rep, "you already have base playlist %s on Spotify playlist %s",
                       existing.id, spid);
        return ERR_CONFLICT;
    }
    if (rc != ERR_NOT_FOUND)
        return rc;
    return playlist_spotify_check(sp, a, spid, "/spotify_playlist_id", name, rep);
}

int base_playlist_service_create(struct app *app, struct db *db, struct arena *a,
                                 const char *user_id, const json_t *body, struct base_playlist *out,
                                 struct report *rep)
{
    struct playlist_spotify sp;
    struct base_input in;
    struct base_playlist bp;
    const char *spotify_name = NULL;
    char id[ID_LEN + 1], now[21];
    int rc;
    assert(rep != NULL); /* the services read it to see problems */

    playlist_spotify_init(&sp, app, db, user_id);
    if ((rc = base_input_parse(body, 1, a, &in, rep)) != 0)
        goto done;
    rc = in.liked ? liked_check(db, a, user_id, rep)
                  : playlist_check(&sp, db, a, user_id, in.spotify_playlist_id, &spotify_name, rep);
    if (rc != 0)
        goto done;
    if (util_id_new(id) != 0) {
        rc = ERR_INTERNAL;
        goto done;
    }
    util_time_format(time(NULL), now);
    memset(&bp, 0, sizeof bp);
    bp.id = arena_strdup(a, id);
    bp.user_id = user_id;
    bp.source = in.liked ? BASE_SOURCE_LIKED : BASE_SOURCE_PLAYLIST;
    bp.spotify_playlist_id = in.liked ? NULL : in.spotify_playlist_id;
    /* A Spotify playlist may have an empty name; ours may not. */
    bp.name = in.name                             ? in.name
              : in.liked                          ? BASE_LIKED_DEFAULT_NAME
              : (spotify_name && spotify_name[0]) ? spotify_name
                                                  : in.spotify_playlist_id;
    bp.routing = in.routing ? in.routing : "all";
    bp.auto_sync_minutes = in.has_auto_sync ? in.auto_sync_minutes : 0;
    bp.version = 1;
    bp.created = arena_strdup(a, now);
    bp.updated = bp.created;
    if (!bp.id || !bp.created) {
        rc = ERR_NOMEM;
        goto done;
    }
    rc = base_playlist_repo_insert(db, &bp);
    if (rc == ERR_CONFLICT && in.liked)
        report_message(rep, "you already have a Liked Songs base playlist");
    else if (rc == ERR_CONFLICT)
        report_message(rep, "you already have a base playlist on Spotify playlist %s",
                                in.spotify_playlist_id);
    if (rc == 0)
        *out = bp;
done:
    playlist_spotify_release(&sp);
    return rc;
}

int base_playlist_service_update(struct app *app, struct db *db, struct arena *a,
                                 const char *user_id, const char *id, const json_t *body,
                                 int64_t if_match, struct base_playlist *out,
                                 struct report *rep)
{
    struct base_input in;
    struct base_playlist cur, next;
    char now[21];
    int rc;
    assert(rep != NULL); /* the services read it to see problems */

    (void)app;
    if ((rc = base_input_parse(body, 0, a, &in, rep)) != 0)
        return rc;
    /* Without If-Match a concurrent change is merged again (a few times); with it,
     * the client asked for exactly that version. */
    for (int attempt = 0; attempt < 3; attempt++) {
        if ((rc = base_playlist_repo_find(db, a, user_id, id, &cur)) != 0)
            return rc;
        if (if_match != PLAYLIST_IF_MATCH_NONE && if_match != cur.version)
            return ERR_VERSION_MISMATCH;
        next = cur;
        if (in.name)
            next.name = in.name;
        if (in.routing)
            next.routing = in.routing;
        if (in.has_auto_sync)
            next.auto_sync_minutes = in.auto_sync_minutes;
        if (strcmp(next.name, cur.name) == 0 && strcmp(next.routing, cur.routing) == 0 &&
            next.auto_sync_minutes == cur.auto_sync_minutes) {
            *out = cur; /* nothing changes: the version stays */
            return 0;
        }
        util_time_format(time(NULL), now);
        if (!(next.updated = arena_strdup(a, now)))
            return ERR_NOMEM;
        rc = base_playlist_repo_update(db, &next, cur.version);
        if (rc == 0) {
            next.version = cur.version + 1;
            *out = next;
            return 0;
        }
        if (rc != ERR_VERSION_MISMATCH || if_match != PLAYLIST_IF_MATCH_NONE)
            return rc;
    }
    return ERR_VERSION_MISMATCH;
}

int base_playlist_service_delete(struct db *db, const char *user_id, const char *id,
                                 int64_t if_match)
{
    if (if_match == PLAYLIST_IF_MATCH_NEVER) {
        /* Nothing can match; still 404 for an id that is not the user's. */
        struct arena *a = arena_new();
        struct base_playlist cur;
        int rc;
        if (!a)
            return ERR_NOMEM;
        rc = base_playlist_repo_find(db, a, user_id, id, &cur);
        arena_free(a);
        return rc == 0 ? ERR_VERSION_MISMATCH : rc;
    }
    return base_playlist_repo_delete(db, user_id, id, if_match);
}
