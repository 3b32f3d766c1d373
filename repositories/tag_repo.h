#ifndef PLAYROUTER_TAG_REPO_H
#define PLAYROUTER_TAG_REPO_H
/* A user's own tags (tables user_tags and user_tag_state of
 * migrations/008_metadata_tags.sql). Every function is scoped by user_id. Tags are
 * stored as given (the service normalises them); a change bumps the user's tag version
 * in the same transaction. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/arena.h"

struct db;

/* One tagged item. Strings in the caller's arena. */
struct tag_item {
    const char *kind; /* "tracks" | "artists" */
    const char *id;   /* a Spotify id */
    const char *const *tags;
    size_t n_tags;
};

/* The item (kind, id) of user_id. 0; ERR_NOT_FOUND; ERR_NOMEM; ERR_INTERNAL. */
int tag_repo_get(struct db *db, struct arena *a, const char *user_id, const char *kind,
                 const char *id, struct tag_item *out);

/* Sets the tags of (kind, id) to tags[0..n) (n > 0); nothing is written when they are
 * the same already (*changed = false). A new item when the user has max_items already:
 * ERR_CONFLICT. 0; ERR_CONFLICT; ERR_NOMEM; ERR_INTERNAL. */
int tag_repo_put(struct db *db, const char *user_id, const char *kind, const char *id,
                 const char *const *tags, size_t n, const char *now, int64_t max_items,
                 bool *changed);

/* Removes the item. 0; ERR_NOT_FOUND (there was none); ERR_INTERNAL. */
int tag_repo_delete(struct db *db, const char *user_id, const char *kind, const char *id);

/* Every item of user_id, by kind then id (*items an arena array). 0, ERR_NOMEM,
 * ERR_INTERNAL. */
int tag_repo_list(struct db *db, struct arena *a, const char *user_id, struct tag_item **items,
                  size_t *n);

/* The user's tag version: 0 before any change, then bumped by each change. 0 or
 * ERR_INTERNAL. */
int tag_repo_version(struct db *db, const char *user_id, int64_t *version);

#endif
