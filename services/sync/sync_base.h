#ifndef PLAYROUTER_SYNC_BASE_H
#define PLAYROUTER_SYNC_BASE_H
/* A base playlist's side on Spotify, whatever its source (API.md "Base playlists"):
 * read it whole, ask its current snapshot, and tell whether it changed since the last
 * completed sync. A "playlist" base is a Spotify playlist with a snapshot_id; a
 * "liked" base is the user's saved tracks, which have none: their snapshot is the
 * fingerprint of their first page (spotify_client_get_saved_first_page(); why that
 * sees every change is argued in docs/sync.md, "Liked Songs"). A sync that finds the
 * snapshot changed reads the base whole from that same page (sync_base_snapshot()'s
 * first_page into sync_base_read()), so the page is asked once.
 *
 * For the auto-sync scheduler (branch engine) and the base store keyed by snapshot
 * (branch sse): sync_base_snapshot() gives the string to key on, for both sources, in
 * one request; sync_base_changed() compares it with what the last completed sync
 * recorded. A scheduler that already listed GET /me/playlists for the user has every
 * playlist base's snapshot from that listing and needs these only for a Liked Songs
 * base (at most one per user): one request more, as API.md allows.
 *
 * Every function takes a Spotify client of the base's user (services/spotify_session.h)
 * owned by the calling thread; strings come back in arena `a`. */
#include <stdbool.h>

#include "domain/base_playlist.h"
#include "lib/arena.h"
#include "services/spotify/spotify_client.h"

struct db;

/* Reads base `base` whole: its Spotify playlist (spotify_client_get_playlist()) or its
 * Liked Songs (spotify_client_get_saved_tracks(): entries newest save first, added_at =
 * when the track was saved, no added_by). out->info.snapshot_id is the snapshot
 * sync_base_snapshot() would have given at the time of the read's first request.
 * first_page (may be NULL; NULL for a playlist base, where it is ignored): the first
 * page a sync_base_snapshot() of this Liked Songs base read, borrowed (its strings must
 * live as long as *out): the read starts from it and does not ask that page again, and
 * out->info.snapshot_id is that snapshot. Errors: the client's (its message in rep,
 * which may be NULL). */
int sync_base_read(struct spotify_client *c, struct arena *a, const struct base_playlist *base,
                   const struct spotify_playlist *first_page, struct spotify_playlist *out,
                   struct report *rep);

/* The current snapshot of base `base`, in ONE request: a playlist's snapshot_id
 * (GET /playlists/{id}?fields=...), or for a Liked Songs base the fingerprint of its first
 * page (GET /me/tracks?limit=50): "liked:v1:<total>:<sha256 hex>". Equal strings mean
 * unchanged contents; the strings of the two sources never collide. *first_page (may be
 * NULL): for a Liked Songs base, that page (arena; its info.snapshot_id is *snapshot),
 * for sync_base_read() to start from; NULL for a playlist base. Errors: the client's
 * (ERR_NOT_FOUND: the playlist is gone or unreadable), message in rep. */
int sync_base_snapshot(struct spotify_client *c, struct arena *a, const struct base_playlist *base,
                       const char **snapshot, const struct spotify_playlist **first_page,
                       struct report *rep);

/* Has base `base_id` of `user_id` changed on Spotify since its last completed sync?
 * ONE Spotify request (sync_base_snapshot()) plus two reads of the database. *changed
 * is true when the snapshot differs from the one the last completed sync recorded, or
 * when no sync has completed. *snapshot (may be NULL) gets the current one. This looks
 * at the base only: whether children, rules, tags or metadata changed is the caller's
 * to ask. 0; ERR_NOT_FOUND (no such base of the user, or its playlist is gone);
 * ERR_NOMEM; ERR_INTERNAL; the client's errors (its message in rep). */
int sync_base_changed(struct db *db, struct spotify_client *c, struct arena *a, const char *user_id,
                      const char *base_id, bool *changed, const char **snapshot,
                      struct report *rep);

#endif
