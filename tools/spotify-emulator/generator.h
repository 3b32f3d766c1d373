#ifndef EMU_GENERATOR_H
#define EMU_GENERATOR_H
/* Deterministic catalogue generator: the same seed and sizes give the same ids,
 * names and playlists on every run and every machine. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "catalog.h"

struct gen_opts {
    uint64_t seed;
    int tracks, artists, albums, episodes;
    bool demo_playlists; /* the demo user's playlists and the other users' ones */
};

/* Fills an empty catalogue: users demo, alice, bob, carol; artists with 0-3
 * genres; albums of every release-date precision; tracks; podcast episodes; and,
 * with demo_playlists, the demo playlists and the demo user's 300 saved tracks
 * (see README). 0, or -1 (out of memory). */
int generator_build(struct catalog *c, const struct gen_opts *o);

/* Adds a playlist from a spec "OWNER:NAME:SIZE[:plain]" (the owner is created when
 * unknown); its index in *out. 0, or -1 with a message in err. */
int generator_playlist_spec(struct catalog *c, const char *spec, int *out, char *err, size_t errsz);

/* Appends size generated entries to playlist p: distinct tracks, and unless plain
 * about 1% local files, 1% podcast episodes and 2% duplicate entries. The salt
 * makes two playlists of one owner differ. 0 or -1 (out of memory). */
int generator_fill(struct catalog *c, struct emu_playlist *p, size_t size, bool plain,
                   uint64_t salt);

/* Gives user a deterministic list of size saved tracks, replacing theirs:
 * distinct tracks picked by the seed and the user's id, added_at spread over
 * the eight years before 2026-01-01, newest first. When the catalogue has fewer
 * than size tracks, grow (start-up only, before rendering) first adds tracks on
 * albums of their own (ids from the seed; the existing ones stay as they are);
 * otherwise that is an error. 0, or -1 with a message in err. */
int generator_liked(struct catalog *c, int user, size_t size, bool grow, char *err, size_t errsz);

/* --liked USER:SIZE: generator_liked() with growth; an unknown user is created.
 * 0, or -1 with a message in err. */
int generator_liked_spec(struct catalog *c, const char *spec, char *err, size_t errsz);

/* The deterministic id of playlist NAME of OWNER. */
void generator_playlist_id(const struct catalog *c, const char *owner, const char *name,
                           char out[23]);

#endif
