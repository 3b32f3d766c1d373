/* The catalogue's data model: adders, URI resolution, playlist edits, snapshots. */
#include "catalog.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Grows a dynamic array declared with EMU_ARRAY by one slot; 0 or -1. */
#define GROW(c, name)                                                                              \
    ((c)->n_##name < (c)->cap_##name                                                               \
         ? 0                                                                                       \
         : grow_array((void **)&(c)->name, &(c)->cap_##name, sizeof *(c)->name))

static int grow_array(void **arr, size_t *cap, size_t elem)
{
    size_t ncap = *cap ? *cap * 2 : 16;
    void *p = realloc(*arr, ncap * elem);
    if (!p)
        return -1;
    *arr = p;
    *cap = ncap;
    return 0;
}

struct catalog *catalog_new(uint64_t seed)
{
    struct catalog *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    pthread_rwlockattr_t attr;
    pthread_rwlockattr_init(&attr);
    /* Readers are many and fast; without this a writer could starve under wrk. */
    pthread_rwlockattr_setkind_np(&attr, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
    pthread_rwlock_init(&c->lock, &attr);
    pthread_rwlockattr_destroy(&attr);
    c->seed = seed;
    return c;
}

static void free_strv(char **v, int n)
{
    for (int i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

void catalog_free(struct catalog *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < c->n_users; i++) {
        struct emu_user *u = &c->users[i];
        free(u->id);
        free(u->display_name);
        free(u->ref_json);
        free(u->owner_json);
        free(u->liked);
    }
    for (size_t i = 0; i < c->n_artists; i++) {
        struct emu_artist *a = &c->artists[i];
        free(a->id);
        free(a->name);
        free_strv(a->genres, a->ngenres);
        free(a->simple_json);
    }
    for (size_t i = 0; i < c->n_albums; i++) {
        struct emu_album *a = &c->albums[i];
        free(a->id);
        free(a->name);
        free(a->album_type);
        free(a->release_date);
        free(a->precision);
        free(a->label);
        free(a->artists);
        free(a->tracks);
        free(a->simple_json);
    }
    for (size_t i = 0; i < c->n_tracks; i++) {
        struct emu_track *t = &c->tracks[i];
        free(t->id);
        free(t->name);
        free(t->isrc);
        free(t->artists);
        free(t->json[0]);
        free(t->json[1]);
    }
    for (size_t i = 0; i < c->n_episodes; i++) {
        struct emu_episode *e = &c->episodes[i];
        free(e->id);
        free(e->name);
        free(e->show_id);
        free(e->show_name);
        free(e->publisher);
        free(e->release_date);
        free(e->json);
    }
    for (size_t i = 0; i < c->n_locals; i++) {
        struct emu_local *l = &c->locals[i];
        free(l->uri);
        free(l->artist);
        free(l->album);
        free(l->name);
        free(l->json[0]);
        free(l->json[1]);
    }
    for (size_t i = 0; i < c->n_playlists; i++) {
        struct emu_playlist *p = c->playlists[i];
        free(p->id);
        free(p->name);
        free(p->description);
        free(p->collabs);
        free(p->entries);
        free(p);
    }
    free(c->users);
    free(c->artists);
    free(c->albums);
    free(c->tracks);
    free(c->episodes);
    free(c->locals);
    free(c->playlists);
    strmap_release(&c->user_map);
    strmap_release(&c->artist_map);
    strmap_release(&c->album_map);
    strmap_release(&c->track_map);
    strmap_release(&c->episode_map);
    strmap_release(&c->local_map);
    strmap_release(&c->playlist_map);
    free(c->base_url);
    pthread_rwlock_destroy(&c->lock);
    free(c);
}

int catalog_add_user(struct catalog *c, const char *id, const char *display_name)
{
    if (strmap_get(&c->user_map, id) >= 0)
        return -2;
    if (GROW(c, users) != 0)
        return -1;
    struct emu_user *u = &c->users[c->n_users];
    memset(u, 0, sizeof *u);
    u->id = strdup(id);
    u->display_name = strdup(display_name ? display_name : id);
    if (!u->id || !u->display_name || strmap_put(&c->user_map, u->id, (int)c->n_users) != 0 ||
        (c->rendered && render_user(c, u) != 0)) {
        strmap_del(&c->user_map, id);
        free(u->id);
        free(u->display_name);
        return -1;
    }
    return (int)c->n_users++;
}

int catalog_add_artist(struct catalog *c, const char *id, const char *name,
                       const char *const *genres, int ngenres, int popularity, long followers)
{
    if (strmap_get(&c->artist_map, id) >= 0)
        return -2;
    if (GROW(c, artists) != 0)
        return -1;
    struct emu_artist *a = &c->artists[c->n_artists];
    memset(a, 0, sizeof *a);
    a->id = strdup(id);
    a->name = strdup(name);
    a->genres = ngenres ? calloc((size_t)ngenres, sizeof *a->genres) : NULL;
    a->popularity = popularity;
    a->followers = followers;
    bool ok = a->id && a->name && (ngenres == 0 || a->genres);
    for (int i = 0; ok && i < ngenres; i++) {
        a->genres[i] = strdup(genres[i]);
        ok = a->genres[i] != NULL;
        a->ngenres = i + 1;
    }
    if (!ok || strmap_put(&c->artist_map, a->id, (int)c->n_artists) != 0 ||
        (c->rendered && render_artist_simple(c, a) != 0)) {
        if (a->id)
            strmap_del(&c->artist_map, a->id);
        free(a->id);
        free(a->name);
        free_strv(a->genres, a->ngenres);
        return -1;
    }
    return (int)c->n_artists++;
}

int catalog_add_album(struct catalog *c, const char *id, const char *name, const char *album_type,
                      const char *release_date, const char *precision, const char *label,
                      int popularity, const int *artists, int nartists)
{
    if (strmap_get(&c->album_map, id) >= 0)
        return -2;
    if (GROW(c, albums) != 0)
        return -1;
    struct emu_album *a = &c->albums[c->n_albums];
    memset(a, 0, sizeof *a);
    a->id = strdup(id);
    a->name = strdup(name);
    a->album_type = strdup(album_type);
    a->release_date = strdup(release_date);
    a->precision = strdup(precision);
    a->label = strdup(label ? label : "");
    a->popularity = popularity;
    a->artists = malloc(sizeof(int) * (size_t)(nartists ? nartists : 1));
    if (!a->id || !a->name || !a->album_type || !a->release_date || !a->precision || !a->label ||
        !a->artists || strmap_put(&c->album_map, a->id, (int)c->n_albums) != 0)
        goto fail;
    memcpy(a->artists, artists, sizeof(int) * (size_t)nartists);
    a->nartists = nartists;
    if (c->rendered && render_album_simple(c, a) != 0) {
        strmap_del(&c->album_map, a->id);
        goto fail;
    }
    return (int)c->n_albums++;
fail:
    free(a->id);
    free(a->name);
    free(a->album_type);
    free(a->release_date);
    free(a->precision);
    free(a->label);
    free(a->artists);
    return -1;
}

int catalog_add_track(struct catalog *c, const char *id, const char *name, int album,
                      const int *artists, int nartists, int duration_ms, bool explicit_,
                      const char *isrc, int track_number, int disc_number, int popularity)
{
    if (strmap_get(&c->track_map, id) >= 0)
        return -2;
    if (GROW(c, tracks) != 0)
        return -1;
    struct emu_album *al = &c->albums[album];
    int *nt = realloc(al->tracks, sizeof(int) * (size_t)(al->ntracks + 1));
    if (!nt)
        return -1;
    al->tracks = nt;
    struct emu_track *t = &c->tracks[c->n_tracks];
    memset(t, 0, sizeof *t);
    t->id = strdup(id);
    t->name = strdup(name);
    t->isrc = strdup(isrc);
    t->album = album;
    t->artists = malloc(sizeof(int) * (size_t)(nartists ? nartists : 1));
    t->duration_ms = duration_ms;
    t->explicit_ = explicit_;
    t->track_number = track_number;
    t->disc_number = disc_number;
    t->popularity = popularity;
    if (!t->id || !t->name || !t->isrc || !t->artists ||
        strmap_put(&c->track_map, t->id, (int)c->n_tracks) != 0)
        goto fail;
    memcpy(t->artists, artists, sizeof(int) * (size_t)nartists);
    t->nartists = nartists;
    if (c->rendered && render_track(c, t) != 0) {
        strmap_del(&c->track_map, t->id);
        goto fail;
    }
    al->tracks[al->ntracks++] = (int)c->n_tracks;
    return (int)c->n_tracks++;
fail:
    free(t->id);
    free(t->name);
    free(t->isrc);
    free(t->artists);
    return -1;
}

int catalog_add_episode(struct catalog *c, const char *id, const char *name, const char *show_id,
                        const char *show_name, const char *publisher, const char *release_date,
                        int duration_ms, bool explicit_)
{
    if (strmap_get(&c->episode_map, id) >= 0)
        return -2;
    if (GROW(c, episodes) != 0)
        return -1;
    struct emu_episode *e = &c->episodes[c->n_episodes];
    memset(e, 0, sizeof *e);
    e->id = strdup(id);
    e->name = strdup(name);
    e->show_id = strdup(show_id);
    e->show_name = strdup(show_name);
    e->publisher = strdup(publisher);
    e->release_date = strdup(release_date);
    e->duration_ms = duration_ms;
    e->explicit_ = explicit_;
    if (!e->id || !e->name || !e->show_id || !e->show_name || !e->publisher || !e->release_date ||
        strmap_put(&c->episode_map, e->id, (int)c->n_episodes) != 0)
        goto fail;
    if (c->rendered && render_episode(c, e) != 0) {
        strmap_del(&c->episode_map, e->id);
        goto fail;
    }
    return (int)c->n_episodes++;
fail:
    free(e->id);
    free(e->name);
    free(e->show_id);
    free(e->show_name);
    free(e->publisher);
    free(e->release_date);
    return -1;
}

int catalog_add_playlist(struct catalog *c, const char *id, int owner, const char *name,
                         const char *description, bool public_, bool collaborative)
{
    char gen[23];
    if (!id) {
        /* Deterministic: the n-th playlist made at run time has the same id every run. */
        do {
            base62_id(id_hash(c->seed, "runtime-playlist"), ++c->created_playlists, gen);
        } while (strmap_get(&c->playlist_map, gen) >= 0);
        id = gen;
    }
    if (strmap_get(&c->playlist_map, id) >= 0)
        return -2;
    if (GROW(c, playlists) != 0)
        return -1;
    struct emu_playlist *p = calloc(1, sizeof *p);
    if (!p)
        return -1;
    p->id = strdup(id);
    p->name = strdup(name);
    p->description = strdup(description ? description : "");
    p->owner = owner;
    p->public_ = public_;
    p->collaborative = collaborative;
    if (!p->id || !p->name || !p->description ||
        strmap_put(&c->playlist_map, p->id, (int)c->n_playlists) != 0) {
        free(p->id);
        free(p->name);
        free(p->description);
        free(p);
        return -1;
    }
    playlist_bump(p);
    c->playlists[c->n_playlists] = p;
    return (int)c->n_playlists++;
}

int catalog_playlist_find(const struct catalog *c, const char *id)
{
    return strmap_get(&c->playlist_map, id);
}

int catalog_user_find(const struct catalog *c, const char *id)
{
    return strmap_get(&c->user_map, id);
}

/* Splits a local-file URI into its four parts (decoded, '+' = space). */
static int add_local(struct catalog *c, const char *uri)
{
    const char *rest = uri + strlen("spotify:local:");
    char *copy = strdup(rest);
    char *parts[4] = {0};
    int idx = -1;
    if (!copy)
        return -1;
    char *p = copy;
    for (int i = 0; i < 4; i++) {
        parts[i] = p;
        char *colon = strchr(p, ':');
        if (i < 3) {
            if (!colon)
                goto done;
            *colon = '\0';
            p = colon + 1;
        } else if (colon) {
            goto done;
        }
    }
    long secs;
    if (parse_long(parts[3], 0, 100000, &secs) != 0)
        goto done;
    for (int i = 0; i < 3; i++)
        url_decode(parts[i], true);
    if (GROW(c, locals) != 0) {
        idx = -2;
        goto done;
    }
    struct emu_local *l = &c->locals[c->n_locals];
    memset(l, 0, sizeof *l);
    l->uri = strdup(uri);
    l->artist = strdup(parts[0]);
    l->album = strdup(parts[1]);
    l->name = strdup(parts[2]);
    l->duration_ms = (int)secs * 1000;
    if (!l->uri || !l->artist || !l->album || !l->name ||
        strmap_put(&c->local_map, l->uri, (int)c->n_locals) != 0 ||
        (c->rendered && render_local(c, l) != 0)) {
        if (l->uri)
            strmap_del(&c->local_map, l->uri);
        free(l->uri);
        free(l->artist);
        free(l->album);
        free(l->name);
        idx = -2;
        goto done;
    }
    idx = (int)c->n_locals++;
done:
    free(copy);
    return idx;
}

enum uri_status catalog_resolve_uri(struct catalog *c, const char *uri, struct emu_entry *out)
{
    static const char tp[] = "spotify:track:", ep[] = "spotify:episode:", lp[] = "spotify:local:";
    memset(out, 0, sizeof *out);
    if (!uri)
        return URI_MALFORMED;
    if (strncmp(uri, tp, sizeof tp - 1) == 0) {
        const char *id = uri + sizeof tp - 1;
        if (!is_base62_id(id, strlen(id)))
            return URI_MALFORMED;
        int i = strmap_get(&c->track_map, id);
        if (i < 0)
            return URI_UNKNOWN;
        out->kind = ENTRY_TRACK;
        out->idx = i;
        return URI_OK;
    }
    if (strncmp(uri, ep, sizeof ep - 1) == 0) {
        const char *id = uri + sizeof ep - 1;
        if (!is_base62_id(id, strlen(id)))
            return URI_MALFORMED;
        int i = strmap_get(&c->episode_map, id);
        if (i < 0)
            return URI_UNKNOWN;
        out->kind = ENTRY_EPISODE;
        out->idx = i;
        return URI_OK;
    }
    if (strncmp(uri, lp, sizeof lp - 1) == 0) {
        int i = strmap_get(&c->local_map, uri);
        if (i < 0) {
            i = add_local(c, uri);
            if (i == -2)
                return URI_OOM;
            if (i < 0)
                return URI_MALFORMED;
        }
        out->kind = ENTRY_LOCAL;
        out->idx = i;
        return URI_OK;
    }
    return URI_MALFORMED;
}

int catalog_entry_uri(const struct catalog *c, const struct emu_entry *e, struct buf *b)
{
    switch (e->kind) {
    case ENTRY_TRACK:
        return buf_append_str(b, "spotify:track:") || buf_append_str(b, c->tracks[e->idx].id) ? -1
                                                                                              : 0;
    case ENTRY_EPISODE:
        return buf_append_str(b, "spotify:episode:") || buf_append_str(b, c->episodes[e->idx].id)
                   ? -1
                   : 0;
    default:
        return buf_append_str(b, c->locals[e->idx].uri);
    }
}

bool catalog_entry_is(const struct catalog *c, const struct emu_entry *e, const char *uri)
{
    switch (e->kind) {
    case ENTRY_TRACK:
        return strncmp(uri, "spotify:track:", 14) == 0 &&
               strcmp(uri + 14, c->tracks[e->idx].id) == 0;
    case ENTRY_EPISODE:
        return strncmp(uri, "spotify:episode:", 16) == 0 &&
               strcmp(uri + 16, c->episodes[e->idx].id) == 0;
    default:
        return strcmp(uri, c->locals[e->idx].uri) == 0;
    }
}

int playlist_reserve(struct emu_playlist *p, size_t n)
{
    if (n <= p->cap)
        return 0;
    size_t ncap = p->cap ? p->cap : 16;
    while (ncap < n)
        ncap *= 2;
    struct emu_entry *ne = realloc(p->entries, ncap * sizeof *ne);
    if (!ne)
        return -1;
    p->entries = ne;
    p->cap = ncap;
    return 0;
}

int playlist_insert(struct emu_playlist *p, size_t pos, const struct emu_entry *e, size_t n)
{
    if (n == 0)
        return 0;
    if (pos > p->n)
        pos = p->n;
    if (playlist_reserve(p, p->n + n) != 0)
        return -1;
    memmove(p->entries + pos + n, p->entries + pos, (p->n - pos) * sizeof *e);
    memcpy(p->entries + pos, e, n * sizeof *e);
    p->n += n;
    return 0;
}

void playlist_reorder(struct emu_playlist *p, size_t start, size_t len, size_t before)
{
    if (len == 0 || (before >= start && before <= start + len))
        return; /* moving a range to where it already is */
    struct emu_entry *e = p->entries;
    /* Rotate instead of copying out: no allocation, so a reorder cannot fail. */
    size_t lo, mid, hi;
    if (before < start) {
        lo = before, mid = start, hi = start + len;
    } else {
        lo = start, mid = start + len, hi = before;
    }
    /* rotate [lo, hi) so that mid comes first: three reversals */
    for (size_t a = lo, b = mid - 1; a < b; a++, b--) {
        struct emu_entry t = e[a];
        e[a] = e[b];
        e[b] = t;
    }
    for (size_t a = mid, b = hi - 1; a < b; a++, b--) {
        struct emu_entry t = e[a];
        e[a] = e[b];
        e[b] = t;
    }
    for (size_t a = lo, b = hi - 1; a < b; a++, b--) {
        struct emu_entry t = e[a];
        e[a] = e[b];
        e[b] = t;
    }
}

void playlist_remove_at(struct emu_playlist *p, size_t pos)
{
    memmove(p->entries + pos, p->entries + pos + 1, (p->n - pos - 1) * sizeof *p->entries);
    p->n--;
}

/* snapshot_id = base64(8-byte hash || 8-byte version || 8-byte hash) of the id and version:
 * opaque like Spotify's, new on every change, checkable without keeping history. */
static void snapshot_for(const struct emu_playlist *p, uint64_t version, char out[48])
{
    unsigned char raw[24];
    uint64_t h1 = id_hash(version * 0x9E3779B97F4A7C15ULL + 1, p->id);
    uint64_t h2 = id_hash(h1, p->id);
    uint64_t mask = id_hash(0x5eed, p->id); /* hides the counter; same for every version */
    for (int i = 0; i < 8; i++) {
        raw[i] = (unsigned char)(h1 >> (56 - 8 * i));
        raw[8 + i] = (unsigned char)((version ^ mask) >> (56 - 8 * i));
        raw[16 + i] = (unsigned char)(h2 >> (56 - 8 * i));
    }
    b64_encode(raw, sizeof raw, out, false);
}

void playlist_bump(struct emu_playlist *p)
{
    p->version++;
    snapshot_for(p, p->version, p->snapshot);
}

bool playlist_snapshot_valid(const struct emu_playlist *p, const char *snap)
{
    unsigned char raw[32];
    if (!snap || strlen(snap) != 32 || b64_decode(snap, 32, raw, sizeof raw) != 24)
        return false;
    uint64_t v = 0;
    for (int i = 8; i < 16; i++)
        v = (v << 8) | raw[i];
    v ^= id_hash(0x5eed, p->id);
    if (v == 0 || v > p->version)
        return false;
    char again[48];
    snapshot_for(p, v, again);
    return strcmp(again, snap) == 0;
}

bool playlist_user_can_write(const struct emu_playlist *p, int user)
{
    if (p->owner == user)
        return true;
    if (!p->collaborative)
        return false;
    for (int i = 0; i < p->ncollabs; i++)
        if (p->collabs[i] == user)
            return true;
    return false;
}

int catalog_render_all(struct catalog *c)
{
    for (size_t i = 0; i < c->n_users; i++)
        if (render_user(c, &c->users[i]) != 0)
            return -1;
    for (size_t i = 0; i < c->n_artists; i++)
        if (render_artist_simple(c, &c->artists[i]) != 0)
            return -1;
    for (size_t i = 0; i < c->n_albums; i++)
        if (render_album_simple(c, &c->albums[i]) != 0)
            return -1;
    for (size_t i = 0; i < c->n_tracks; i++)
        if (render_track(c, &c->tracks[i]) != 0)
            return -1;
    for (size_t i = 0; i < c->n_episodes; i++)
        if (render_episode(c, &c->episodes[i]) != 0)
            return -1;
    for (size_t i = 0; i < c->n_locals; i++)
        if (render_local(c, &c->locals[i]) != 0)
            return -1;
    c->rendered = true;
    return 0;
}
