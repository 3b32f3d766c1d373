/* Child playlists: validation, Spotify playlists, positions, versions. The PUT
 * replace-all is in child_playlist_replace.c; what both share is declared in
 * child_playlist_internal.h. */
#include "services/playlists/child_playlist_service.h"

#include <assert.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "repositories/base_playlist_repo.h"
#include "repositories/child_playlist_repo.h"
#include "app/app.h"
#include "lib/app_err.h"
#include "lib/json_text.h"
#include "app/config.h"
#include "lib/log.h"
#include "lib/util.h"
#include "services/playlists/child_playlist_internal.h"
#include "services/rules/target.h"

static const char *const CONFIG_MEMBERS[] = {
    "filter", "sort", "limit", "catch_all", "pinned_track_ids", "banned_track_ids", NULL};

static bool is_one_of(const char *key, const char *const *list)
{
    for (; *list; list++)
        if (strcmp(key, *list) == 0)
            return true;
    return false;
}

/* rule_env(): the Spotify mode, and whether MusicBrainz is on. */
static unsigned env_of(const struct app *app)
{
    return app && app->cfg ? rule_env(app->cfg->spotify_mode, app->cfg->musicbrainz_base != NULL)
                           : SPOTIFY_MODE_DEVELOPMENT;
}

int child_playlist_now_text(struct arena *a, const char **out)
{
    char now[21];
    util_time_format(time(NULL), now);
    *out = arena_strdup(a, now);
    return *out ? 0 : ERR_NOMEM;
}

int child_playlist_new_id(struct arena *a, const char **out)
{
    char id[ID_LEN + 1];
    if (util_id_new(id) != 0)
        return ERR_INTERNAL;
    *out = arena_strdup(a, id);
    return *out ? 0 : ERR_NOMEM;
}

bool child_playlist_has_problems(const struct report *rep)
{
    return report_count(rep) > 0;
}

int child_playlist_input_parse(const json_t *obj, enum child_playlist_body_kind kind,
                               const char *prefix, const char *base_id, struct arena *a,
                               struct child_playlist_input *in, struct report *rep)
{
    const char *key;
    json_t *v;

    memset(in, 0, sizeof *in);
    if (!json_is_object(obj))
        return 0; /* target_child_compile_object reports it */
#define PROBLEM(path, ...)                                                                         \
    do {                                                                                           \
        if (report_add(rep, path, __VA_ARGS__) != 0)                                      \
            return ERR_NOMEM;                                                                      \
    } while (0)
    json_object_foreach((json_t *)obj, key, v)
    {
        const char *path = report_pointer(a, prefix, key);
        if (!path)
            return ERR_NOMEM;
        if (is_one_of(key, CONFIG_MEMBERS)) {
            continue;
        } else if (strcmp(key, "name") == 0) {
            const char *why = playlist_name_problem(v);
            if (why)
                PROBLEM(path, "%s", why);
            else
                in->name = json_string_value(v);
        } else if (strcmp(key, "spotify_playlist_id") == 0) {
            if (json_is_null(v) && kind != CHILD_PLAYLIST_BODY_PATCH)
                continue; /* null = "create one for me", like absent */
            const char *why = playlist_spotify_id_parse(v, a, &in->spotify_playlist_id);
            if (why)
                PROBLEM(path, "%s", why);
        } else if (strcmp(key, "position") == 0) {
            if (!json_is_integer(v) || json_integer_value(v) < 0)
                PROBLEM(path, "must be an integer from 0");
            else {
                in->has_position = true;
                in->position = json_integer_value(v);
            }
        } else if (kind == CHILD_PLAYLIST_BODY_PUT_ITEM && strcmp(key, "id") == 0) {
            if (!json_is_string(v) || json_string_length(v) == 0 || json_string_length(v) > 64)
                PROBLEM(path, "must be the id of a child playlist of this base playlist");
            else
                in->id = json_string_value(v);
        } else if (kind == CHILD_PLAYLIST_BODY_PUT_ITEM && strcmp(key, "version") == 0) {
            if (!json_is_integer(v) || json_integer_value(v) < 1)
                PROBLEM(path, "must be an integer from 1");
            else
                in->version = json_integer_value(v);
        } else if (kind == CHILD_PLAYLIST_BODY_PUT_ITEM && strcmp(key, "base_playlist_id") == 0) {
            if (!json_is_string(v) || strcmp(json_string_value(v), base_id) != 0)
                PROBLEM(path, "must be this base playlist's id (%s) when given", base_id);
        } else if (kind == CHILD_PLAYLIST_BODY_PUT_ITEM &&
                   (strcmp(key, "created") == 0 || strcmp(key, "updated") == 0)) {
            continue; /* read-only, accepted so that GET's items can be sent back */
        } else if (strcmp(key, "id") == 0 || strcmp(key, "base_playlist_id") == 0 ||
                   strcmp(key, "version") == 0 || strcmp(key, "created") == 0 ||
                   strcmp(key, "updated") == 0) {
            PROBLEM(path, "is read-only");
        } else {
            PROBLEM(path, "unknown field");
        }
    }
    if (kind != CHILD_PLAYLIST_BODY_PATCH && !json_object_get(obj, "name")) {
        const char *path = report_pointer(a, prefix, "name");
        if (!path)
            return ERR_NOMEM;
        PROBLEM(path, "is required");
    }
#undef PROBLEM
    return 0;
}

int child_playlist_config_check(const struct app *app, const json_t *obj, const char *prefix,
                                struct report *rep)
{
    struct target_child *tc = NULL;
    int rc = target_child_compile_object(obj, env_of(app), prefix, &tc, rep);
    target_child_free(tc);
    return rc == ERR_NOMEM ? ERR_NOMEM : 0;
}

static const char *dump(struct arena *a, const json_t *v)
{
    char *s = json_text_dump(v, JSON_COMPACT | JSON_ENCODE_ANY);
    const char *out = s ? arena_strdup(a, s) : NULL;
    free(s);
    return out;
}

int child_playlist_config_store(const json_t *obj, struct arena *a, struct child_playlist *cp)
{
    const json_t *filter = json_object_get(obj, "filter");
    const json_t *sort = json_object_get(obj, "sort");
    const json_t *limit = json_object_get(obj, "limit");
    const json_t *pinned = json_object_get(obj, "pinned_track_ids");
    const json_t *banned = json_object_get(obj, "banned_track_ids");

    if (!(cp->filter = dump(a, filter)))
        return ERR_NOMEM;
    cp->sort = NULL;
    if (sort && !json_is_null(sort)) {
        const json_t *order = json_object_get(sort, "order");
        json_t *norm = json_pack("{s:O, s:s}", "by", json_object_get(sort, "by"), "order",
                                 order ? json_string_value(order) : "asc");
        cp->sort = norm ? dump(a, norm) : NULL;
        json_decref(norm);
        if (!cp->sort)
            return ERR_NOMEM;
    }
    cp->has_limit = limit && !json_is_null(limit);
    cp->limit = cp->has_limit ? json_integer_value(limit) : 0;
    cp->catch_all = json_is_true(json_object_get(obj, "catch_all"));
    cp->pinned_track_ids = pinned ? dump(a, pinned) : "[]";
    cp->banned_track_ids = banned ? dump(a, banned) : "[]";
    if (!cp->pinned_track_ids || !cp->banned_track_ids)
        return ERR_NOMEM;
    return 0;
}

/* The stored configuration of cp as an object (caller decrefs), for PATCH merging. */
static json_t *config_object(const struct child_playlist *cp)
{
    json_t *o = json_object();
    if (!o)
        return NULL;
    json_object_set_new(o, "filter", json_text_loads(cp->filter, JSON_DECODE_ANY, NULL));
    json_object_set_new(o, "sort", cp->sort ? json_text_loads(cp->sort, 0, NULL) : json_null());
    json_object_set_new(o, "limit", cp->has_limit ? json_integer(cp->limit) : json_null());
    json_object_set_new(o, "catch_all", json_boolean(cp->catch_all));
    json_object_set_new(o, "pinned_track_ids", json_text_loads(cp->pinned_track_ids, 0, NULL));
    json_object_set_new(o, "banned_track_ids", json_text_loads(cp->banned_track_ids, 0, NULL));
    return o;
}

int child_playlist_spotify_id_conflicts(struct db *db, struct arena *a, const char *user_id,
                                        const struct base_playlist *base, const char *spotify_id,
                                        const char *self_id, bool same_base_ok, const char *path,
                                        struct report *rep)
{
    struct child_playlist other;
    int rc;

    /* A Liked Songs base has no Spotify playlist to collide with. */
    if (base->spotify_playlist_id && strcmp(spotify_id, base->spotify_playlist_id) == 0)
        return report_add(rep, path,
                                   "is the Spotify playlist of the base playlist itself; a "
                                   "child needs a playlist of its own");
    rc = child_playlist_repo_find_by_spotify_id(db, a, user_id, spotify_id, &other);
    if (rc == ERR_NOT_FOUND)
        return 0;
    if (rc != 0)
        return rc;
    if (self_id && strcmp(other.id, self_id) == 0)
        return 0;
    if (same_base_ok && strcmp(other.base_playlist_id, base->id) == 0)
        return 0;
    return report_add(rep, path,
                               "is already the Spotify playlist of child playlist %s (\"%s\")",
                               other.id, other.name);
}

const char *child_playlist_description(struct arena *a, const struct base_playlist *base)
{
    return arena_sprintf(a, "Kept in sync by playrouter from \"%s\".", base->name);
}

/* ---- routes ---- */

int child_playlist_service_list(struct db *db, struct arena *a, const char *user_id,
                                const char *base_id, struct child_playlist **items, size_t *n)
{
    struct base_playlist base;
    int rc = base_playlist_repo_find(db, a, user_id, base_id, &base);
    if (rc != 0)
        return rc;
    return child_playlist_repo_list_by_base(db, a, user_id, base_id, items, n);
}

int child_playlist_service_get(struct db *db, struct arena *a, const char *user_id, const char *id,
                               struct child_playlist *out)
{
    return child_playlist_repo_find(db, a, user_id, id, out);
}

int child_playlist_service_create(struct app *app, struct db *db, struct arena *a,
                                  const char *user_id, const char *base_id, const json_t *body,
                                  struct child_playlist *out, struct report *rep)
{
    struct playlist_spotify sp;
    struct base_playlist base;
    struct child_playlist *siblings = NULL, cp;
    struct child_playlist_input in;
    size_t n_siblings = 0;
    int64_t pos = 0;
    int rc;
    assert(rep != NULL); /* the services read it to see problems */

    playlist_spotify_init(&sp, app, db, user_id);
    memset(&cp, 0, sizeof cp);
    if ((rc = base_playlist_repo_find(db, a, user_id, base_id, &base)) != 0)
        goto done;
    if ((rc = child_playlist_input_parse(body, CHILD_PLAYLIST_BODY_POST, "", base_id, a, &in,
                                         rep)) != 0 ||
        (rc = child_playlist_config_check(app, body, "", rep)) != 0)
        goto done;
    if ((rc = child_playlist_repo_list_by_base(db, a, user_id, base_id, &siblings, &n_siblings)) !=
        0)
        goto done;
    if (n_siblings >= CHILD_PLAYLIST_MAX_PER_BASE &&
        (rc = report_add(rep, "", "a base playlist has at most %d child playlists",
                                  CHILD_PLAYLIST_MAX_PER_BASE)) != 0)
        goto done;
    if (in.has_position && in.position > (int64_t)n_siblings &&
        (rc = report_add(rep, "/position",
                                  "must be from 0 to %zu (the number of "
                                  "child playlists)",
                                  n_siblings)) != 0)
        goto done;
    if (json_is_true(json_object_get(body, "catch_all")))
        for (size_t i = 0; i < n_siblings; i++)
            if (siblings[i].catch_all &&
                (rc = report_add(rep, "/catch_all",
                                          "child playlist %s is already this base playlist's "
                                          "catch-all; a base has at most one",
                                          siblings[i].id)) != 0)
                goto done;
    if (in.spotify_playlist_id &&
        (rc = child_playlist_spotify_id_conflicts(db, a, user_id, &base, in.spotify_playlist_id,
                                                  NULL, false, "/spotify_playlist_id", rep)) != 0)
        goto done;
    if (child_playlist_has_problems(rep)) {
        rc = ERR_VALIDATION;
        goto done;
    }

    /* Spotify first, then the database (never a transaction across a request). */
    if (in.spotify_playlist_id)
        rc = playlist_spotify_check(&sp, a, in.spotify_playlist_id, "/spotify_playlist_id", NULL,
                                    rep);
    else
        rc = playlist_spotify_create(&sp, a, in.name, child_playlist_description(a, &base),
                                     &in.spotify_playlist_id, rep);
    if (rc != 0)
        goto done;

    if ((rc = child_playlist_new_id(a, &cp.id)) != 0 ||
        (rc = child_playlist_now_text(a, &cp.created)) != 0 ||
        (rc = child_playlist_config_store(body, a, &cp)) != 0)
        goto done;
    cp.user_id = user_id;
    cp.base_playlist_id = base_id;
    cp.spotify_playlist_id = in.spotify_playlist_id;
    cp.name = in.name;
    cp.position = in.has_position ? in.position : (int64_t)n_siblings;
    cp.version = 1;
    cp.updated = cp.created;
    rc = child_playlist_repo_insert(db, &cp, &pos);
    if (rc == ERR_CONFLICT)
        report_message(rep, "a concurrent change took the catch-all or the Spotify "
                                     "playlist of this child; retry");
    if (rc == 0) {
        cp.position = pos;
        *out = cp;
    }
done:
    if (rc != 0)
        playlist_spotify_log_orphans(&sp, "the child playlist was not created");
    playlist_spotify_release(&sp);
    return rc;
}

int child_playlist_service_update(struct app *app, struct db *db, struct arena *a,
                                  const char *user_id, const char *id, const json_t *body,
                                  int64_t if_match, struct child_playlist *out,
                                  struct report *rep)
{
    struct playlist_spotify sp;
    struct child_playlist_input in;
    json_t *merged = NULL;
    int rc;
    assert(rep != NULL); /* the services read it to see problems */

    playlist_spotify_init(&sp, app, db, user_id);
    /* Problems of the members are reported together with those of the merged
     * configuration below. */
    if ((rc = child_playlist_input_parse(body, CHILD_PLAYLIST_BODY_PATCH, "", NULL, a, &in, rep)) !=
        0)
        goto done;
    /* Without If-Match a concurrent change is merged again (a few times); with it,
     * the client asked for exactly that version. */
    for (int attempt = 0; attempt < 3; attempt++) {
        struct child_playlist cur, next, *siblings = NULL;
        struct base_playlist base;
        size_t n_siblings = 0;
        const char *key;
        json_t *v;

        if ((rc = child_playlist_repo_find(db, a, user_id, id, &cur)) != 0)
            goto done;
        if (if_match != PLAYLIST_IF_MATCH_NONE && if_match != cur.version) {
            rc = ERR_VERSION_MISMATCH;
            goto done;
        }
        if ((rc = base_playlist_repo_find(db, a, user_id, cur.base_playlist_id, &base)) != 0 ||
            (rc = child_playlist_repo_list_by_base(db, a, user_id, cur.base_playlist_id, &siblings,
                                                   &n_siblings)) != 0)
            goto done;
        json_decref(merged);
        if (!(merged = config_object(&cur))) {
            rc = ERR_NOMEM;
            goto done;
        }
        json_object_foreach((json_t *)body, key, v) if (is_one_of(key, CONFIG_MEMBERS) &&
                                                        json_object_set(merged, key, v) != 0)
        {
            rc = ERR_NOMEM;
            goto done;
        }
        if ((rc = child_playlist_config_check(app, merged, "", rep)) != 0)
            goto done;
        next = cur;
        /* child_playlist_config_store needs a valid configuration; the checks below do not, so that
         * every problem is reported at once. */
        if (!child_playlist_has_problems(rep) &&
            (rc = child_playlist_config_store(merged, a, &next)) != 0)
            goto done;
        if (in.name)
            next.name = in.name;
        if (in.spotify_playlist_id)
            next.spotify_playlist_id = in.spotify_playlist_id;
        if (in.has_position) {
            next.position = in.position;
            if (in.position >= (int64_t)n_siblings &&
                (rc = report_add(rep, "/position", "must be from 0 to %zu",
                                          n_siblings - 1)) != 0)
                goto done;
        }
        if (json_is_true(json_object_get(merged, "catch_all")) && !cur.catch_all)
            for (size_t i = 0; i < n_siblings; i++)
                if (siblings[i].catch_all && strcmp(siblings[i].id, cur.id) != 0 &&
                    (rc = report_add(rep, "/catch_all",
                                              "child playlist %s is already this base "
                                              "playlist's catch-all; a base has at most one",
                                              siblings[i].id)) != 0)
                    goto done;
        bool new_spotify = strcmp(next.spotify_playlist_id, cur.spotify_playlist_id) != 0;
        if (new_spotify && (rc = child_playlist_spotify_id_conflicts(
                                db, a, user_id, &base, next.spotify_playlist_id, cur.id, false,
                                "/spotify_playlist_id", rep)) != 0)
            goto done;
        if (child_playlist_has_problems(rep)) {
            rc = ERR_VALIDATION;
            goto done;
        }
        if (strcmp(next.name, cur.name) == 0 && !new_spotify &&
            strcmp(next.filter, cur.filter) == 0 &&
            (next.sort ? cur.sort && strcmp(next.sort, cur.sort) == 0 : !cur.sort) &&
            next.has_limit == cur.has_limit && next.limit == cur.limit &&
            next.position == cur.position && next.catch_all == cur.catch_all &&
            strcmp(next.pinned_track_ids, cur.pinned_track_ids) == 0 &&
            strcmp(next.banned_track_ids, cur.banned_track_ids) == 0) {
            *out = cur; /* nothing changes: the version stays */
            goto done;
        }
        if (new_spotify && attempt == 0 &&
            (rc = playlist_spotify_check(&sp, a, next.spotify_playlist_id, "/spotify_playlist_id",
                                         NULL, rep)) != 0)
            goto done;
        if ((rc = child_playlist_now_text(a, &next.updated)) != 0)
            goto done;
        rc = child_playlist_repo_update(db, &next, cur.version);
        if (rc == 0) {
            next.version = cur.version + 1;
            *out = next;
            goto done;
        }
        if (rc == ERR_CONFLICT)
            report_message(rep, "a concurrent change took the catch-all or the "
                                         "Spotify playlist of this child; retry");
        if (rc != ERR_VERSION_MISMATCH || if_match != PLAYLIST_IF_MATCH_NONE)
            goto done;
    }
    rc = ERR_VERSION_MISMATCH;
done:
    json_decref(merged);
    playlist_spotify_release(&sp);
    return rc;
}

int child_playlist_service_delete(struct db *db, const char *user_id, const char *id,
                                  int64_t if_match)
{
    if (if_match == PLAYLIST_IF_MATCH_NEVER) {
        struct arena *a = arena_new();
        struct child_playlist cur;
        int rc;
        if (!a)
            return ERR_NOMEM;
        rc = child_playlist_repo_find(db, a, user_id, id, &cur);
        arena_free(a);
        return rc == 0 ? ERR_VERSION_MISMATCH : rc;
    }
    return child_playlist_repo_delete(db, user_id, id, if_match);
}
