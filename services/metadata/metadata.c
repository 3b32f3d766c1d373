/* Artist / album enrichment: cache first, then batch fetches of the misses only. */
#include "services/metadata/metadata.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "lib/app_err.h"
#include "lib/json_text.h"
#include "lib/log.h"

/* What a track needs from one artist or album. */
struct meta {
    const char *id;
    bool known;
    const char *const *genres; /* artists */
    size_t n_genres;
    const char *label; /* albums */
    int32_t popularity; /* -1 = unknown */
};

static int cmp_str(const void *x, const void *y)
{
    return strcmp(*(const char *const *)x, *(const char *const *)y);
}

static int cmp_meta(const void *key, const void *elem)
{
    return strcmp((const char *)key, ((const struct meta *)elem)->id);
}

/* The sorted unique ids of the tracks' artists (artists != 0) or albums. */
static int unique_ids(const struct track *tracks, size_t n, bool artists, struct meta **out,
                      size_t *n_out)
{
    size_t cap = 0, k = 0;
    const char **ids;
    *out = NULL;
    *n_out = 0;
    for (size_t i = 0; i < n; i++)
        cap += artists ? tracks[i].n_artists : 1;
    if (cap == 0)
        return 0;
    if (!(ids = malloc(cap * sizeof(*ids))))
        return ERR_NOMEM;
    for (size_t i = 0; i < n; i++) {
        if (!artists) {
            if (tracks[i].album_id && *tracks[i].album_id)
                ids[k++] = tracks[i].album_id;
            continue;
        }
        for (size_t j = 0; j < tracks[i].n_artists; j++)
            if (tracks[i].artist_ids[j] && *tracks[i].artist_ids[j])
                ids[k++] = tracks[i].artist_ids[j];
    }
    qsort(ids, k, sizeof(*ids), cmp_str);
    struct meta *m = calloc(k ? k : 1, sizeof(*m));
    if (!m) {
        free(ids);
        return ERR_NOMEM;
    }
    size_t u = 0;
    for (size_t i = 0; i < k; i++)
        if (u == 0 || strcmp(m[u - 1].id, ids[i]) != 0) {
            m[u].id = ids[i];
            m[u].popularity = -1;
            u++;
        }
    free(ids);
    *out = m;
    *n_out = u;
    return 0;
}

/* Cache value <-> meta. Artist: {"g":[...],"p":N}; album: {"l":"...","p":N}. */
static char *meta_encode(const struct meta *m, bool artist)
{
    json_t *o = json_object(), *g = NULL;
    char *s = NULL;
    if (!o)
        return NULL;
    if (artist) {
        if (!(g = json_array()) || json_object_set_new(o, "g", g) != 0)
            goto done;
        for (size_t i = 0; i < m->n_genres; i++)
            if (m->genres[i] && json_array_append_new(g, json_string(m->genres[i])) != 0)
                goto done;
    } else if (m->label && json_object_set_new(o, "l", json_string(m->label)) != 0) {
        goto done;
    }
    if (m->popularity >= 0 && json_object_set_new(o, "p", json_integer(m->popularity)) != 0)
        goto done;
    s = json_text_dump(o, JSON_COMPACT);
done:
    json_decref(o);
    return s;
}

/* 0 and m->known on success; a malformed value is a miss (-1); ERR_NOMEM. */
static int meta_decode(const char *text, bool artist, struct arena *a, struct meta *m)
{
    json_t *o = json_text_loads(text, 0, NULL);
    int rc = -1;
    if (!json_is_object(o))
        goto done;
    const json_t *p = json_object_get(o, "p");
    m->popularity = json_is_integer(p) ? (int32_t)json_integer_value(p) : -1;
    if (artist) {
        const json_t *g = json_object_get(o, "g");
        size_t n = json_array_size(g);
        const char **v = n ? arena_alloc(a, n * sizeof(*v)) : NULL;
        if (n && !v) {
            rc = ERR_NOMEM;
            goto done;
        }
        for (size_t i = 0; i < n; i++)
            if (!(v[i] = arena_strdup(a, json_string_value(json_array_get(g, i)))) &&
                json_is_string(json_array_get(g, i))) {
                rc = ERR_NOMEM;
                goto done;
            }
        m->genres = v;
        m->n_genres = n;
    } else {
        const char *l = json_string_value(json_object_get(o, "l"));
        if (l && !(m->label = arena_strdup(a, l))) {
            rc = ERR_NOMEM;
            goto done;
        }
    }
    m->known = true;
    rc = 0;
done:
    json_decref(o);
    return rc;
}

/* Fills metas[0..n) from the cache, then Spotify, then stores what was fetched. */
static int resolve(struct spotify_client *client, struct cache *cache, struct arena *a,
                   struct meta *metas, size_t n, bool artist, int ttl, struct metadata_stats *st,
                   struct report *rep)
{
    const char *kind = artist ? "artist" : "album";
    const char **keys = calloc(n ? n : 1, sizeof(*keys));
    char **values = calloc(n ? n : 1, sizeof(*values));
    size_t *miss = calloc(n ? n : 1, sizeof(*miss));
    const char **miss_ids = calloc(n ? n : 1, sizeof(*miss_ids));
    void *fetched = NULL;
    size_t nm = 0;
    int rc = ERR_NOMEM;

    if (!keys || !values || !miss || !miss_ids)
        goto done;
    for (size_t i = 0; i < n; i++) {
        char key[160];
        if (cache_key(key, sizeof(key), kind, metas[i].id) != 0) {
            keys[i] = NULL; /* an absurd id: never cached */
            continue;
        }
        if (!(keys[i] = arena_strdup(a, key)))
            goto done;
    }
    if (cache && n) {
        /* One round trip; a key we could not build is asked as "" and misses. */
        for (size_t i = 0; i < n; i++)
            if (!keys[i])
                keys[i] = "";
        if (cache_mget(cache, keys, n, values) != 0)
            memset(values, 0, n * sizeof(*values));
    }
    for (size_t i = 0; i < n; i++) {
        int d = values[i] ? meta_decode(values[i], artist, a, &metas[i]) : -1;
        if (d == ERR_NOMEM)
            goto done;
        if (d == 0) {
            st->cache_hits++;
        } else {
            st->cache_misses++;
            miss[nm] = i;
            miss_ids[nm++] = metas[i].id;
        }
    }
    if (nm == 0) {
        rc = 0;
        goto done;
    }

    /* Only the misses travel, in batches at the endpoint's maximum. */
    if (artist) {
        struct spotify_artist *ar = calloc(nm, sizeof(*ar));
        if (!(fetched = ar))
            goto done;
        if ((rc = spotify_client_get_artists(client, a, miss_ids, nm, ar, rep)) != 0)
            goto done;
        st->artists_fetched += nm;
        for (size_t j = 0; j < nm; j++) {
            struct meta *m = &metas[miss[j]];
            if (!ar[j].id)
                continue; /* unknown to Spotify: neither filled nor cached */
            m->known = true;
            m->genres = ar[j].genres;
            m->n_genres = ar[j].n_genres;
            m->popularity = ar[j].popularity;
        }
    } else {
        struct spotify_album *al = calloc(nm, sizeof(*al));
        if (!(fetched = al))
            goto done;
        if ((rc = spotify_client_get_albums(client, a, miss_ids, nm, al, rep)) != 0)
            goto done;
        st->albums_fetched += nm;
        for (size_t j = 0; j < nm; j++) {
            struct meta *m = &metas[miss[j]];
            if (!al[j].id)
                continue;
            m->known = true;
            m->label = al[j].label;
            m->popularity = al[j].popularity;
        }
    }
    if (cache) {
        const char **skeys = calloc(nm, sizeof(*skeys));
        char **svals = calloc(nm, sizeof(*svals));
        size_t ns = 0;
        for (size_t j = 0; skeys && svals && j < nm; j++) {
            struct meta *m = &metas[miss[j]];
            if (!m->known || !*keys[miss[j]])
                continue;
            if (!(svals[ns] = meta_encode(m, artist)))
                continue; /* out of memory: just not cached */
            skeys[ns++] = keys[miss[j]];
        }
        if (ns)
            cache_mset(cache, skeys, (const char *const *)svals, ns, ttl);
        for (size_t j = 0; j < ns; j++)
            free(svals[j]);
        free(svals);
        free(skeys);
    }
    rc = 0;
done:
    for (size_t i = 0; values && i < n; i++)
        free(values[i]);
    free(values);
    free(keys);
    free(miss);
    free(miss_ids);
    free(fetched);
    return rc;
}

/* Writes the artists' genres (first-seen union) and max popularity into t. */
static int fill_artists(struct track *t, const struct meta *metas, size_t n, struct arena *a)
{
    size_t total = 0;
    const struct meta **found = t->n_artists ? arena_alloc(a, t->n_artists * sizeof(*found)) : NULL;
    if (t->n_artists && !found)
        return ERR_NOMEM;
    for (size_t j = 0; j < t->n_artists; j++) {
        const char *id = t->artist_ids[j];
        found[j] = id ? bsearch(id, metas, n, sizeof(*metas), cmp_meta) : NULL;
        if (found[j] && found[j]->known)
            total += found[j]->n_genres;
    }
    const char **g = total ? arena_alloc(a, total * sizeof(*g)) : NULL;
    size_t ng = 0;
    if (total && !g)
        return ERR_NOMEM;
    for (size_t j = 0; j < t->n_artists; j++) {
        const struct meta *m = found[j];
        if (!m || !m->known)
            continue;
        for (size_t k = 0; k < m->n_genres; k++) {
            const char *x = m->genres[k];
            bool seen = !x;
            for (size_t q = 0; q < ng && !seen; q++)
                seen = strcmp(g[q], x) == 0;
            if (!seen)
                g[ng++] = x;
        }
        if (m->popularity >= 0 &&
            (!(t->has & TRACK_HAS_ARTIST_POPULARITY) || m->popularity > t->artist_popularity)) {
            t->artist_popularity = m->popularity;
            t->has |= TRACK_HAS_ARTIST_POPULARITY;
        }
    }
    t->genres = g;
    t->n_genres = ng;
    t->genre_asked |= TRACK_SOURCE_SPOTIFY;
    return 0;
}

int metadata_enrich(struct spotify_client *client, struct cache *cache,
                    const struct metadata_opts *opts, struct arena *a, struct track *tracks,
                    size_t n, unsigned needs, struct metadata_stats *stats, struct report *rep)
{
    struct metadata_stats local = {0, 0, 0, 0};
    struct metadata_stats *st = stats ? stats : &local;
    struct meta *artists = NULL, *albums = NULL;
    size_t na = 0, nb = 0;
    int artist_ttl = opts && opts->artist_ttl_s > 0 ? opts->artist_ttl_s
                                                    : METADATA_DEFAULT_ARTIST_TTL_S;
    int album_ttl = opts && opts->album_ttl_s > 0 ? opts->album_ttl_s
                                                  : METADATA_DEFAULT_ALBUM_TTL_S;
    int rc = 0;

    needs &= RULE_NEEDS_ARTISTS | RULE_NEEDS_ALBUM;
    if (!needs || n == 0 || !spotify_client_api(client)->batch_metadata)
        return 0; /* development mode: Spotify has nothing more to give */
    if ((needs & RULE_NEEDS_ARTISTS) &&
        ((rc = unique_ids(tracks, n, true, &artists, &na)) != 0 ||
         (rc = resolve(client, cache, a, artists, na, true, artist_ttl, st, rep)) != 0))
        goto done;
    if ((needs & RULE_NEEDS_ALBUM) &&
        ((rc = unique_ids(tracks, n, false, &albums, &nb)) != 0 ||
         (rc = resolve(client, cache, a, albums, nb, false, album_ttl, st, rep)) != 0))
        goto done;
    for (size_t i = 0; i < n; i++) {
        struct track *t = &tracks[i];
        if (artists && (rc = fill_artists(t, artists, na, a)) != 0)
            goto done;
        const struct meta *m =
            albums && t->album_id ? bsearch(t->album_id, albums, nb, sizeof(*albums), cmp_meta)
                                  : NULL;
        if (m && m->known) {
            t->label = m->label;
            if (m->popularity >= 0) {
                t->album_popularity = m->popularity;
                t->has |= TRACK_HAS_ALBUM_POPULARITY;
            }
        }
    }
done:
    free(artists);
    free(albums);
    return rc;
}
