#ifndef EMU_CATALOG_H
#define EMU_CATALOG_H
/* The emulator's world: users, artists, albums, tracks, podcast episodes, local
 * files and playlists, with id maps and pre-rendered JSON of the immutable
 * objects (so that serving a page of playlist items is mostly memcpy).
 *
 * Concurrency: every field below is guarded by catalog.lock (a writer-preferring
 * rwlock). Readers take it shared, anything that changes a playlist or adds an
 * object takes it exclusive. Functions here never lock: callers do. */
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util.h"

enum emu_mode { MODE_DEV = 0, MODE_EXT = 1 };

/* One of a user's saved tracks (Liked Songs). */
struct emu_saved {
    int64_t added_at; /* seconds since the epoch */
    int32_t track;    /* index into tracks */
};

struct emu_user {
    char *id;
    char *display_name;
    char *ref_json;   /* PlaylistUserObject (added_by) */
    char *owner_json; /* PlaylistOwnerObject (owner) */
    /* Saved tracks, newest first (library.h keeps the order). */
    struct emu_saved *liked;
    size_t nliked, capliked;
};

struct emu_artist {
    char *id, *name;
    char **genres;
    int ngenres;
    int popularity;
    long followers;
    char *simple_json; /* SimplifiedArtistObject */
};

struct emu_album {
    char *id, *name, *album_type, *release_date, *precision, *label;
    int popularity;
    int *artists;
    int nartists;
    int *tracks; /* track indexes in album order */
    int ntracks;
    char *simple_json; /* SimplifiedAlbumObject as it appears inside a track */
};

struct emu_track {
    char *id, *name, *isrc;
    int album;
    int *artists;
    int nartists;
    int duration_ms, track_number, disc_number, popularity;
    bool explicit_;
    char *json[2]; /* TrackObject per enum emu_mode */
    size_t json_len[2];
};

struct emu_episode {
    char *id, *name, *show_id, *show_name, *publisher, *release_date;
    int duration_ms;
    bool explicit_;
    char *json; /* EpisodeObject, the same in both modes */
    size_t json_len;
};

/* A local file: only known through playlists; uri spotify:local:ARTIST:ALBUM:TITLE:SECONDS. */
struct emu_local {
    char *uri, *artist, *album, *name;
    int duration_ms;
    char *json[2];
    size_t json_len[2];
};

enum entry_kind { ENTRY_TRACK = 0, ENTRY_EPISODE = 1, ENTRY_LOCAL = 2 };

struct emu_entry {
    int32_t idx; /* into tracks, episodes or locals by kind */
    int32_t added_by;
    int64_t added_at; /* seconds since the epoch */
    uint8_t kind;
};

struct emu_playlist {
    char *id, *name, *description;
    int owner;
    bool public_, collaborative;
    int *collabs; /* user indexes allowed to change a collaborative playlist */
    int ncollabs;
    struct emu_entry *entries;
    size_t n, cap;
    uint64_t version;
    char snapshot[48];
};

#define EMU_ARRAY(T, name)                                                                         \
    T *name;                                                                                       \
    size_t n_##name, cap_##name

struct catalog {
    pthread_rwlock_t lock;
    char *base_url; /* "http://127.0.0.1:PORT": hrefs and paging links */
    EMU_ARRAY(struct emu_user, users);
    EMU_ARRAY(struct emu_artist, artists);
    EMU_ARRAY(struct emu_album, albums);
    EMU_ARRAY(struct emu_track, tracks);
    EMU_ARRAY(struct emu_episode, episodes);
    EMU_ARRAY(struct emu_local, locals);
    EMU_ARRAY(struct emu_playlist *, playlists);
    struct strmap user_map, artist_map, album_map, track_map, episode_map, local_map, playlist_map;
    bool rendered; /* render_all() ran: new objects are rendered as they come */
    uint64_t seed;
    uint64_t created_playlists; /* for ids of playlists made at run time */
};

/* Allocates an empty catalogue; NULL when out of memory. Free with catalog_free(). */
struct catalog *catalog_new(uint64_t seed);
void catalog_free(struct catalog *c);

/* Adders copy their strings; return the new index, -1 when out of memory and -2
 * when the id is taken. Indexes given (album, artists) must be valid. */
int catalog_add_user(struct catalog *c, const char *id, const char *display_name);
int catalog_add_artist(struct catalog *c, const char *id, const char *name,
                       const char *const *genres, int ngenres, int popularity, long followers);
int catalog_add_album(struct catalog *c, const char *id, const char *name, const char *album_type,
                      const char *release_date, const char *precision, const char *label,
                      int popularity, const int *artists, int nartists);
int catalog_add_track(struct catalog *c, const char *id, const char *name, int album,
                      const int *artists, int nartists, int duration_ms, bool explicit_,
                      const char *isrc, int track_number, int disc_number, int popularity);
int catalog_add_episode(struct catalog *c, const char *id, const char *name, const char *show_id,
                        const char *show_name, const char *publisher, const char *release_date,
                        int duration_ms, bool explicit_);
/* Creates a playlist; id NULL makes a fresh deterministic one. Returns its index,
 * -1 (out of memory) or -2 (id taken). The playlist starts at version 1. */
int catalog_add_playlist(struct catalog *c, const char *id, int owner, const char *name,
                         const char *description, bool public_, bool collaborative);

/* Result of resolving a URI. */
enum uri_status { URI_OK = 0, URI_MALFORMED = 1, URI_UNKNOWN = 2, URI_OOM = 3 };
/* Resolves a track, episode or local-file URI to an entry (kind and idx; the
 * caller fills added_by/added_at). A local-file URI is registered on first use. */
enum uri_status catalog_resolve_uri(struct catalog *c, const char *uri, struct emu_entry *out);
/* Appends the URI of an entry. */
int catalog_entry_uri(const struct catalog *c, const struct emu_entry *e, struct buf *b);
/* 1 when the entry's URI equals uri (no allocation). */
bool catalog_entry_is(const struct catalog *c, const struct emu_entry *e, const char *uri);

/* Index of the playlist / user with that id, or -1. */
int catalog_playlist_find(const struct catalog *c, const char *id);
int catalog_user_find(const struct catalog *c, const char *id);

/* Playlist edits. Each returns 0, or -1 when out of memory (the playlist is then
 * unchanged). None bumps the version: call playlist_bump() after a change. */
int playlist_insert(struct emu_playlist *p, size_t pos, const struct emu_entry *e, size_t n);
/* Makes room for n entries in total; 0 or -1 (out of memory). */
int playlist_reserve(struct emu_playlist *p, size_t n);
/* Moves [start, start+len) before `before` (an index of the original order). */
void playlist_reorder(struct emu_playlist *p, size_t start, size_t len, size_t before);
void playlist_remove_at(struct emu_playlist *p, size_t pos);
/* A new version and a new snapshot_id. */
void playlist_bump(struct emu_playlist *p);
/* 1 when snap was a snapshot_id of this playlist (the current or an older one). */
bool playlist_snapshot_valid(const struct emu_playlist *p, const char *snap);
bool playlist_user_can_write(const struct emu_playlist *p, int user);

/* Renders the pre-rendered JSON of everything (needs base_url); later adders
 * render their object at once. 0 or -1 (out of memory). */
int catalog_render_all(struct catalog *c);

/* ---- render.c: JSON of API objects ---- */
int render_track(const struct catalog *c, struct emu_track *t);
int render_episode(const struct catalog *c, struct emu_episode *e);
int render_local(const struct catalog *c, struct emu_local *l);
int render_user(const struct catalog *c, struct emu_user *u);
int render_artist_simple(const struct catalog *c, struct emu_artist *a);
int render_album_simple(const struct catalog *c, struct emu_album *al);
/* Full ArtistObject / AlbumObject as the mode serves them. */
int render_artist_full(const struct catalog *c, const struct emu_artist *a, int mode,
                       struct buf *b);
int render_album_full(const struct catalog *c, const struct emu_album *al, int mode, struct buf *b);
/* Private user object (GET /me). */
int render_me(const struct catalog *c, const struct emu_user *u, int mode, struct buf *b);

/* Which key a playlist entry carries its object under. */
enum item_key { KEY_TRACK = 1, KEY_ITEM = 2, KEY_BOTH = 3 };
/* One PlaylistTrackObject. */
int render_entry(const struct catalog *c, const struct emu_entry *e, int mode, int key,
                 struct buf *b);
/* A paging object {href, items, limit, next, offset, previous, total} of the
 * items [offset, offset+limit) of a collection of total; path is the collection
 * path after base_url (e.g. "/v1/me/tracks"), extra an already-encoded query
 * suffix ("&fields=..." or ""), next_limit the limit written into the
 * next/previous links. item() appends the i-th item. 0 or -1 (out of memory). */
struct page {
    const char *path, *extra;
    size_t offset, limit, next_limit, total;
};
typedef int (*page_item_fn)(const struct catalog *c, const void *ctx, size_t i, struct buf *b);
int render_page(const struct catalog *c, const struct page *pg, page_item_fn item, const void *ctx,
                struct buf *b);
/* A paging object of playlist entries: items [offset, offset+limit); path is the
 * collection path after base_url (e.g. "/v1/playlists/ID/items"), extra an
 * already-encoded query suffix ("&fields=..." or ""), next_limit the limit
 * written into the next/previous links. */
int render_entries_page(const struct catalog *c, const struct emu_playlist *p, int mode, int key,
                        const char *path, size_t offset, size_t limit, size_t next_limit,
                        const char *extra, struct buf *b);
/* SimplifiedPlaylistObject (lists) or PlaylistObject (full, with the first page). */
int render_playlist(const struct catalog *c, const struct emu_playlist *p, int mode, bool full,
                    bool with_items, struct buf *b);

#endif
