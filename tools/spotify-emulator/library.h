#ifndef EMU_LIBRARY_H
#define EMU_LIBRARY_H
/* A user's saved tracks (Spotify's "Liked Songs", GET /me/tracks): the list in
 * struct emu_user, always ordered newest first by added_at; among saves with the
 * same added_at the later save comes first. A track is saved at most once.
 * Callers hold the catalogue lock (exclusive for the changes). */
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "catalog.h"

/* Position of track in u's list, or -1 when it is not saved. */
long library_find(const struct emu_user *u, int32_t track);

/* Saves track at added_at. An already saved track moves to where added_at puts
 * it (its old entry goes). 0, or -1 when out of memory (the list is unchanged). */
int library_save(struct emu_user *u, int32_t track, int64_t added_at);

/* Removes track; true when it was saved. */
bool library_remove(struct emu_user *u, int32_t track);

/* Replaces the whole list with n items (distinct tracks, any order: sorted here,
 * stably, so equal added_at keep the given order). 0, or -1 when out of memory
 * (the list is unchanged). */
int library_replace(struct emu_user *u, const struct emu_saved *items, size_t n);

/* The track index of "ID" or "spotify:track:ID" (len bytes of s): 0 and *out,
 * 1 for a well-formed id that no track has, -1 when malformed. */
int library_track_ref(const struct catalog *c, const char *s, size_t len, int32_t *out);

/* Reads a list of saved tracks as the admin API and the catalogue file give it:
 * an array of "ID" / "spotify:track:ID" strings or {"id"|"uri", "added_at"?}
 * objects, newest first. Items without added_at get newest - index seconds.
 * 0 with *out (caller frees with free()) and *n, or -1 with a message in err
 * (unknown or malformed track, bad added_at, a track given twice). */
int library_parse(const struct catalog *c, json_t *items, int64_t newest, struct emu_saved **out,
                  size_t *n, char *err, size_t errsz);

/* [{"id","uri","added_at"}, ...] newest first: the admin read-back and the
 * catalogue file's format. 0 or -1 (out of memory). */
int library_json(const struct catalog *c, const struct emu_user *u, struct buf *b);

/* The paging object of GET /me/tracks: SavedTrackObjects {"added_at","track"}
 * [offset, offset+limit) with tracks as the mode renders them. 0 or -1. */
int library_render_page(const struct catalog *c, const struct emu_user *u, int mode, size_t offset,
                        size_t limit, struct buf *b);

#endif
