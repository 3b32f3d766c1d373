/* The sync engine's inputs (loading, compiling, fingerprinting) and the evaluation of
 * a base playlist: read, build the tracks, enrich, compute the targets. */
#include <openssl/evp.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include "app/app.h"
#include "repositories/auto_sync_repo.h"
#include "lib/app_err.h"
#include "lib/json_text.h"
#include "app/config.h"
#include "lib/log.h"
#include "lib/util.h"
#include "services/database.h"
#include "services/sync/sync_base.h"
#include "services/sync/sync_internal.h"
#include "services/tags/tag_service.h"

/* SHA-256 of the pieces p[0..n) (NULL = "") each followed by '\n', in hex. An empty
 * string when the digest cannot be computed (out of memory): it then matches nothing
 * stored, which only costs a full sync. */
static void hash_lines(const char *const *p, size_t n, char out[SYNC_HASH_HEX])
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    int ok = ctx && EVP_DigestInit_ex(ctx, EVP_sha256(), NULL);
    for (size_t i = 0; ok && i < n; i++)
        ok = EVP_DigestUpdate(ctx, p[i] ? p[i] : "", p[i] ? strlen(p[i]) : 0) &&
             EVP_DigestUpdate(ctx, "\n", 1);
    ok = ok && EVP_DigestFinal_ex(ctx, md, &len) && len == 32;
    EVP_MD_CTX_free(ctx);
    if (ok)
        util_hex_encode(md, len, out);
    else
        out[0] = '\0';
}

static void hex_digest(const struct buf *b, char out[SYNC_HASH_HEX])
{
    const char *one = b->data ? b->data : "";
    hash_lines(&one, 1, out);
}

void sync_hash_uris(const char *const *uris, size_t n, char out[SYNC_HASH_HEX])
{
    hash_lines(uris, n, out);
}

/* A stored JSON text, parsed; `dflt` (stolen) when absent. A text that does not parse
 * (out of memory, or a damaged row) sets *bad: the child is not evaluated without its
 * sort, pins or bans, which would write the wrong contents. */
static json_t *parse_or(const char *text, json_t *dflt, bool *bad)
{
    if (!text)
        return dflt;
    json_decref(dflt);
    json_t *v = json_text_loads(text, JSON_DECODE_ANY, NULL);
    *bad |= !v;
    return v;
}

/* The members of a stored child that target_child_compile_object() reads; NULL when one
 * of them cannot be read or out of memory. */
static json_t *child_config(const struct child_playlist *cp)
{
    bool bad = false;
    json_t *filter = parse_or(cp->filter, NULL, &bad),
           *sort = parse_or(cp->sort, json_null(), &bad),
           *pins = parse_or(cp->pinned_track_ids, json_array(), &bad),
           *bans = parse_or(cp->banned_track_ids, json_array(), &bad);
    if (bad || !sort || !pins || !bans) {
        json_decref(filter);
        json_decref(sort);
        json_decref(pins);
        json_decref(bans);
        return NULL;
    }
    return json_pack("{s:o?, s:o, s:o, s:b, s:o, s:o}", "filter", filter, "sort", sort, "limit",
                     cp->has_limit ? json_integer(cp->limit) : json_null(), "catch_all",
                     cp->catch_all, "pinned_track_ids", pins, "banned_track_ids", bans);
}

/* Does the rule use `in_the_last` (its outcome then moves with the day)? */
static bool uses_today(const json_t *rule)
{
    if (json_is_array(rule)) {
        size_t i;
        const json_t *v;
        json_array_foreach(rule, i, v)
        {
            if (uses_today(v))
                return true;
        }
        return false;
    }
    if (!json_is_object(rule))
        return false;
    const char *op = json_string_value(json_object_get(rule, "op"));
    if (op && strcmp(op, "in_the_last") == 0)
        return true;
    const char *key;
    const json_t *v;
    json_object_foreach((json_t *)rule, key, v)
    {
        if (uses_today(v))
            return true;
    }
    return false;
}

/* A validation detail array as one line: "/filter/all/0/op: unknown operator". */
static void describe_details(const json_t *details, struct buf *out)
{
    size_t i;
    const json_t *d;
    json_array_foreach(details, i, d)
    {
        buf_appendf(out, "%s%s: %s", i ? "; " : "",
                    json_string_value(json_object_get(d, "path")) ?: "",
                    json_string_value(json_object_get(d, "message")) ?: "");
    }
}

/* What the rules see beyond the playlists, as part of the fingerprint: the user's tag
 * version when a rule uses `tag` (the tags themselves are read by the evaluation);
 * the 30-day period of the MusicBrainz store when a rule needs MusicBrainz (staggered
 * by base, so that bases do not all refresh at once), so its values are asked again at
 * least that often. 0, ERR_NOMEM or ERR_INTERNAL. */
static int fingerprint_metadata(struct db *db, struct arena *a, const char *user_id,
                                struct sync_input *in, struct buf *fp)
{
    int rc;
    if (in->needs & RULE_NEEDS_TAGS) {
        int64_t version = 0;
        if ((rc = tag_repo_version(db, user_id, &version)) != 0)
            return rc;
        if (buf_appendf(fp, "tags=%lld\n", (long long)version) != 0)
            return ERR_NOMEM;
    }
    if (in->needs & RULE_NEEDS_MUSICBRAINZ) {
        unsigned long stagger = 5381;
        for (const char *p = in->base.id; p && *p; p++)
            stagger = stagger * 33 + (unsigned char)*p;
        int64_t period = ((int64_t)time(NULL) + (int64_t)(stagger % MUSICBRAINZ_METADATA_TTL_S)) /
                         MUSICBRAINZ_METADATA_TTL_S;
        if (buf_appendf(fp, "musicbrainz=%lld\n", (long long)period) != 0)
            return ERR_NOMEM;
    }
    return 0;
}

int sync_input_load(struct app *app, struct db *db, struct arena *a, const char *user_id,
                    const char *base_id, struct sync_input *in, struct report *rep)
{
    struct buf fp = BUF_INIT, why = BUF_INIT;
    struct report problems = {0};
    json_t *cfg = NULL;
    bool time_dependent = false;
    int rc;

    unsigned env = rule_env(app->cfg->spotify_mode, app->cfg->musicbrainz_base != NULL);

    memset(in, 0, sizeof *in);
    in->today = (int32_t)(time(NULL) / 86400);
    if ((rc = base_playlist_repo_find(db, a, user_id, base_id, &in->base)) != 0 ||
        (rc = child_playlist_repo_list_by_base(db, a, user_id, base_id, &in->children,
                                               &in->n_children)) != 0 ||
        (rc = sync_state_repo_get_base(db, a, base_id, &in->state)) != 0 ||
        (rc = base_store_repo_info(db, a, base_id, &in->store)) != 0)
        goto done;
    in->api_mode = app->cfg->spotify_mode;
    if (target_routing_parse(in->base.routing, &in->routing) != 0) {
        report_message(rep, "base playlist has an unknown routing '%s'", in->base.routing);
        rc = ERR_VALIDATION;
        goto done;
    }
    rc = ERR_NOMEM;
    if (in->n_children &&
        (!(in->compiled = calloc(in->n_children, sizeof *in->compiled)) ||
         !(in->child_state = arena_alloc(a, in->n_children * sizeof *in->child_state))))
        goto done;
    /* ":liked" cannot be a playlist id (ids are letters and digits). */
    if (buf_appendf(&fp, "playrouter-sync-v1\n%d\n%s\n%s\n", (int)app->cfg->spotify_mode,
                    base_playlist_is_liked(&in->base) ? ":liked" : in->base.spotify_playlist_id,
                    in->base.routing) != 0)
        goto done;
    for (size_t i = 0; i < in->n_children; i++) {
        const struct child_playlist *cp = &in->children[i];
        json_decref(cfg);
        report_release(&problems);
        if (!(cfg = child_config(cp)))
            goto done;
        rc = target_child_compile_object(cfg, env, "", &in->compiled[i], &problems);
        if (rc == ERR_VALIDATION) {
            /* One line (the answer of a sync or preview has no details of its own). */
            describe_details(problems.details, &why);
            report_message(rep, "child playlist '%s' cannot be evaluated: %s", cp->name,
                           why.data ? why.data : "");
        }
        if (rc != 0)
            goto done;
        in->needs |= target_child_needs(in->compiled[i]);
        time_dependent |= uses_today(json_object_get(cfg, "filter"));
        char *canon = json_text_dump(cfg, JSON_COMPACT | JSON_SORT_KEYS);
        int bad = !canon ||
                  buf_appendf(&fp, "%s\x1f%s\x1f%s\n", cp->id, cp->spotify_playlist_id, canon) != 0;
        free(canon);
        rc = ERR_NOMEM;
        if (bad)
            goto done;
        if ((rc = sync_state_repo_get_child(db, a, cp->id, &in->child_state[i])) != 0)
            goto done;
        rc = ERR_NOMEM;
    }
    /* A rule with in_the_last gives another answer tomorrow: the day is part of it. */
    if (time_dependent && buf_appendf(&fp, "today=%d\n", (int)in->today) != 0)
        goto done;
    /* The user's tag version and the MusicBrainz period, when the rules use them. */
    if ((rc = fingerprint_metadata(db, a, user_id, in, &fp)) != 0)
        goto done;
    /* What the rules see beside the playlists (the user's tags, metadata learnt since)
     * is counted by the user's change counter (sync_manager_note_change): part of the
     * fingerprint, so the next sync, manual or auto, re-evaluates. 0 adds nothing:
     * fingerprints recorded before the counter existed stay valid. */
    int64_t changes = 0;
    if ((rc = auto_sync_repo_change_seq(db, user_id, &changes)) != 0)
        goto done;
    rc = ERR_NOMEM;
    if (changes > 0 && buf_appendf(&fp, "changes=%lld\n", (long long)changes) != 0)
        goto done;
    hex_digest(&fp, in->config_hash);
    rc = 0;
done:
    json_decref(cfg);
    report_release(&problems);
    buf_release(&why);
    buf_release(&fp);
    return rc;
}

void sync_input_release(struct sync_input *in)
{
    if (in->compiled)
        for (size_t i = 0; i < in->n_children; i++)
            target_child_free(in->compiled[i]);
    free(in->compiled);
    in->compiled = NULL;
}

/* The oldest the stored metadata of kinds `meta` may be: the cache lifetime of the
 * shortest-lived kind among them. */
static int64_t metadata_max_age(const struct app *app, unsigned meta)
{
    int64_t age = INT64_MAX;
    if ((meta & RULE_NEEDS_ARTISTS) && app->cfg->cache_ttl_artist_s < age)
        age = app->cfg->cache_ttl_artist_s;
    if ((meta & RULE_NEEDS_ALBUM) && app->cfg->cache_ttl_album_s < age)
        age = app->cfg->cache_ttl_album_s;
    return age;
}

bool sync_input_metadata_stale(const struct app *app, const struct sync_input *in, int64_t now)
{
    unsigned meta = in->needs & (RULE_NEEDS_ARTISTS | RULE_NEEDS_ALBUM);
    return meta && in->store.snapshot_id &&
           ((in->store.metadata_needs & meta) != meta ||
            now - in->store.metadata_at >= metadata_max_age(app, meta));
}

/* Forgets the stored values of kinds `meta` before they are fetched again, so that a
 * value Spotify no longer gives does not linger. */
static void clear_metadata(struct track *t, size_t n, unsigned meta)
{
    for (size_t i = 0; i < n; i++) {
        if (meta & RULE_NEEDS_ARTISTS) {
            t[i].genres = NULL;
            t[i].n_genres = 0;
            t[i].has &= ~(unsigned)TRACK_HAS_ARTIST_POPULARITY;
        }
        if (meta & RULE_NEEDS_ALBUM) {
            t[i].label = NULL;
            t[i].has &= ~(unsigned)TRACK_HAS_ALBUM_POPULARITY;
        }
    }
}

/* How long a store step waits for a database connection before doing without. */
#define SYNC_STORE_DB_WAIT_MS 5000

/* The entries: from the stored base when it was stored at the snapshot the check saw,
 * else read (from the first page the check read, if it read one). */
static int base_entries(struct app *app, struct spotify_client *c, struct arena *a,
                        const struct sync_input *in, const struct sync_base_seen *seen,
                        struct sync_eval *ev, struct report *rep)
{
    const char *base_snapshot = seen ? seen->snapshot : NULL;
    if (base_snapshot && in->store.snapshot_id &&
        strcmp(base_snapshot, in->store.snapshot_id) == 0) {
        /* A connection for this one read only (none is held across Spotify calls). */
        struct db *db = database_acquire(app, SYNC_STORE_DB_WAIT_MS);
        int rc = db ? sync_store_load(db, a, in, base_snapshot, &ev->base) : ERR_UNAVAILABLE;
        database_release(app, db);
        if (rc == 0) {
            ev->from_store = true;
            return 0;
        }
        if (rc == ERR_NOMEM)
            return rc;
        /* Not there after all (saved over meanwhile, another format): read it. */
        log_info("base %s: stored entries unusable (%s); reading the base", in->base.id,
                 app_err_code(rc));
    }
    return sync_base_read(c, a, &in->base, seen ? seen->first_page : NULL, &ev->base, rep);
}

/* The user's tags on the tracks and their artists, read with a connection of its own
 * for that read only. */
static int apply_tags(struct app *app, struct arena *a, const struct sync_input *in,
                      struct sync_eval *ev)
{
    struct tag_item *items = NULL;
    size_t n = 0;
    struct db *db = database_acquire(app, SYNC_STORE_DB_WAIT_MS);
    int rc = db ? tag_service_list(db, a, in->base.user_id, &items, &n) : ERR_UNAVAILABLE;
    database_release(app, db);
    if (rc == ERR_UNAVAILABLE)
        report_message(&ev->why, "no database connection was free to read the user's tags");
    return rc ? rc : tag_service_apply(items, n, ev->tracks.tracks, ev->tracks.n, a);
}

int sync_eval_run(struct app *app, struct spotify_client *c, struct arena *a,
                  const struct sync_input *in, const struct sync_base_seen *seen,
                  sync_phase_fn phase, void *ud, struct sync_eval *ev, struct report *rep)
{
    unsigned meta = in->needs & (RULE_NEEDS_ARTISTS | RULE_NEEDS_ALBUM);
    int64_t now = (int64_t)time(NULL);
    bool fetch = false;
    int rc;

    memset(ev, 0, sizeof *ev);
    if (phase && (rc = phase(ud, "read_base", 0, 0)) != 0)
        return rc;
    if ((rc = base_entries(app, c, a, in, seen, ev, rep)) != 0)
        return rc;
    if ((rc = sync_tracks_build(a, ev->base.items, ev->base.n_items, &ev->tracks)) != 0)
        return rc;
    if (cancel_requested(in->cancel))
        return ERR_UNAVAILABLE;
    /* Stored values serve while they cover every kind the rules need and are younger
     * than the cache lifetime of their kind; else fetched again (cache first). */
    if (meta)
        fetch = !ev->from_store || sync_input_metadata_stale(app, in, now);
    if (fetch) {
        if (phase && (rc = phase(ud, "metadata", 0, 0)) != 0)
            return rc;
        struct metadata_opts mo = {.artist_ttl_s = app->cfg->cache_ttl_artist_s,
                                   .album_ttl_s = app->cfg->cache_ttl_album_s,
                                   .track_ttl_s = app->cfg->cache_ttl_track_s};
        if (ev->from_store)
            clear_metadata(ev->tracks.tracks, ev->tracks.n, meta);
        if ((rc = metadata_enrich(c, app->cache, &mo, a, ev->tracks.tracks, ev->tracks.n, meta,
                                  &ev->mstats, rep)) != 0)
            return rc;
    }
    /* What was read or fetched is kept for the next sync or preview. */
    if (!ev->from_store || fetch) {
        unsigned kept = fetch ? meta : ev->from_store ? in->store.metadata_needs : 0;
        int64_t at = fetch ? now : ev->from_store ? in->store.metadata_at : 0;
        struct db *db = database_acquire(app, SYNC_STORE_DB_WAIT_MS);
        rc = db ? sync_store_save(db, a, in, &ev->base, &ev->tracks, kept, at) : ERR_UNAVAILABLE;
        database_release(app, db);
        if (rc == ERR_NOMEM)
            return rc;
        if (rc != 0)
            log_warn("base %s: could not store its entries (%s); the next sync reads it again",
                     in->base.id, app_err_code(rc));
    }
    /* MusicBrainz (its progress phase is "musicbrainz" while it asks; its values come from
     * its own shared store, never from the stored base), then the user's tags. */
    if ((in->needs & RULE_NEEDS_MUSICBRAINZ) &&
        (rc = musicbrainz_metadata_enrich(app, a, ev->tracks.tracks, ev->tracks.n, in->cancel,
                                          phase, ud, &ev->mbstats, &ev->why)) != 0)
        return rc;
    if ((in->needs & RULE_NEEDS_TAGS) && (rc = apply_tags(app, a, in, ev)) != 0)
        return rc;
    if (phase && (rc = phase(ud, "evaluate", 0, 0)) != 0)
        return rc;
    if (cancel_requested(in->cancel))
        return ERR_UNAVAILABLE;
    return target_compute_until(ev->tracks.tracks, ev->tracks.n, in->routing,
                                (const struct target_child *const *)in->compiled, in->n_children,
                                in->today, in->cancel, &ev->targets);
}

void sync_eval_release(struct sync_eval *ev)
{
    target_result_free(ev->targets);
    ev->targets = NULL;
    report_release(&ev->why);
}

int sync_eval_target_uris(const struct sync_eval *ev, size_t child, struct arena *a,
                          const char ***uris, size_t *n)
{
    const struct target_list *l = &ev->targets->lists[child];
    const char **out = NULL;
    if (l->n && !(out = arena_alloc(a, l->n * sizeof *out)))
        return ERR_NOMEM;
    for (size_t i = 0; i < l->n; i++)
        out[i] = ev->tracks.tracks[l->idx[i]].uri;
    *uris = out;
    *n = l->n;
    return 0;
}

bool sync_uris_equal(const char *const *a, size_t na, const char *const *b, size_t nb)
{
    if (na != nb)
        return false;
    for (size_t i = 0; i < na; i++)
        if (!a[i] || !b[i] || strcmp(a[i], b[i]) != 0)
            return false;
    return true;
}
