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
 * with demo_playlists, the demo playlists (see README). 0, or -1 (out of memory). */
int generator_build(struct catalog *c, const struct gen_opts *o);

/* Adds a playlist from a spec "OWNER:NAME:SIZE[:plain]" (the owner is created when
 * unknown); its index in *out. 0, or -1 with a message in err. */
int generator_playlist_spec(struct catalog *c, const char *spec, int *out, char *err, size_t errsz);

/* Appends size generated entries to playlist p: distinct tracks, and unless plain
 * about 1% local files, 1% podcast episodes and 2% duplicate entries. The salt
 * makes two playlists of one owner differ. 0 or -1 (out of memory). */
int generator_fill(struct catalog *c, struct emu_playlist *p, size_t size, bool plain,
                   uint64_t salt);

/* The deterministic id of playlist NAME of OWNER. */
void generator_playlist_id(const struct catalog *c, const char *owner, const char *name,
                           char out[23]);

#endif
