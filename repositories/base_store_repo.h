#ifndef PLAYROUTER_BASE_STORE_REPO_H
#define PLAYROUTER_BASE_STORE_REPO_H
/* The base kept between syncs (migrations/006_base_store.sql, docs/sync.md): per base
 * playlist, the entries Spotify served at one snapshot_id and the metadata values the
 * rules used. The rows hold opaque entry texts; what they say is the sync engine's
 * business (services/sync/sync_store.c). Callers pass base ids they have already
 * checked to belong to the user. */
#include <stddef.h>
#include <stdint.h>

#include "lib/arena.h"

struct db;

/* The header of a stored base. */
struct base_store_info {
    const char *snapshot_id; /* NULL: nothing stored */
    int api_mode;            /* enum spotify_mode of the read */
    int format;              /* encoding of the entries */
    int64_t n_entries;
    unsigned metadata_needs; /* RULE_NEEDS_* bits whose values the entries hold */
    int64_t metadata_at;     /* unix seconds those values were fetched */
};

/* The header of base `base_id` (strings in arena `a`); every member NULL / 0 when
 * nothing is stored. 0, ERR_NOMEM, ERR_INTERNAL. */
int base_store_repo_info(struct db *db, struct arena *a, const char *base_id,
                         struct base_store_info *out);

/* Called for each stored entry, in playlist order: idx (0-based) and its text
 * (borrowed until the call returns). A non-zero return stops the load with that code. */
typedef int (*base_store_entry_fn)(void *ud, int64_t idx, const char *text, size_t len);

/* Hands every entry of base `base_id` to fn, provided the stored header still says
 * `snapshot_id`, `api_mode` and `format` and holds n_entries rows 0..n-1 (one statement:
 * a consistent read even while another connection saves). 0; ERR_NOT_FOUND (nothing
 * stored for that snapshot, mode and format, or rows missing); fn's error; ERR_INTERNAL. */
int base_store_repo_load(struct db *db, const char *base_id, const char *snapshot_id,
                         int api_mode, int format, base_store_entry_fn fn, void *ud);

/* Gives the text of entry idx for a save: *text (borrowed until the next call) and
 * *len. 0, or an error that stops the save. */
typedef int (*base_store_next_fn)(void *ud, int64_t idx, const char **text, size_t *len);

/* Replaces what is stored for base `base_id` with *info (snapshot_id, api_mode, format,
 * n_entries, metadata_needs, metadata_at) and the info->n_entries texts that `next`
 * gives, in one transaction. 0; ERR_NOT_FOUND (the base is gone); next's error (nothing
 * saved); ERR_INTERNAL. */
int base_store_repo_save(struct db *db, const char *base_id, const struct base_store_info *info,
                         base_store_next_fn next, void *ud, const char *now);

#endif
