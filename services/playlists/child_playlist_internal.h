#ifndef PLAYROUTER_CHILD_PLAYLIST_INTERNAL_H
#define PLAYROUTER_CHILD_PLAYLIST_INTERNAL_H
/* Private to services/child_playlist_*.c: what POST and PATCH
 * (child_playlist_service.c) share with the PUT replace-all (child_playlist_replace.c).
 * Not for other modules; the public contract is services/child_playlist_service.h.
 * Strings returned through out-params live in the arena `a`; problems with the client's
 * body go to `rep` (base_playlist_service.h) and are not errors by themselves: callers
 * check child_playlist_has_problems() and answer ERR_VALIDATION. */
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "repositories/base_playlist_repo.h"
#include "repositories/child_playlist_repo.h"
#include "lib/arena.h"
#include "services/playlists/base_playlist_service.h"

struct app;
struct db;

/* Which body child_playlist_input_parse() reads: its required and allowed members differ. */
enum child_playlist_body_kind {
    CHILD_PLAYLIST_BODY_POST,
    CHILD_PLAYLIST_BODY_PUT_ITEM,
    CHILD_PLAYLIST_BODY_PATCH
};

/* The members of a child body that are not the target configuration (those are
 * read by target_child_compile_object). */
struct child_playlist_input {
    const char *id;                  /* PUT item: the child it updates; NULL = a new child */
    int64_t version;                 /* PUT item with id: compare-and-set on it; 0 = none */
    const char *name;                /* NULL = absent */
    const char *spotify_playlist_id; /* normalised; NULL = absent or null */
    bool has_position;
    int64_t position;
};

/* The current time as text (util_time_format) in the arena. 0 or ERR_NOMEM. */
int child_playlist_now_text(struct arena *a, const char **out);

/* A new child id in the arena. 0, ERR_INTERNAL (no randomness) or ERR_NOMEM. */
int child_playlist_new_id(struct arena *a, const char **out);

/* Whether rep holds at least one problem (rep may be NULL: false). */
bool child_playlist_has_problems(const struct report *rep);

/* Validates every member of `obj` that is not the target configuration and fills *in
 * (strings borrowed from obj or in the arena); problems go to rep under `prefix`.
 * `base_id` is the PUT's base (to check a given base_playlist_id; unused otherwise).
 * A non-object obj is left to child_playlist_config_check to report.
 * 0 (problems or not) or ERR_NOMEM. */
int child_playlist_input_parse(const json_t *obj, enum child_playlist_body_kind kind,
                               const char *prefix, const char *base_id, struct arena *a,
                               struct child_playlist_input *in, struct report *rep);

/* Compiles (validates) the target configuration of `obj` in the mode of app's config;
 * problems go to rep under `prefix`. 0 (problems or not) or ERR_NOMEM. */
int child_playlist_config_check(const struct app *app, const json_t *obj, const char *prefix,
                                struct report *rep);

/* Fills the configuration fields of cp from a VALID object
 * (child_playlist_config_check reported nothing): compact JSON texts in the arena, sort
 * normalised to {"by", "order"}. 0 or ERR_NOMEM. */
int child_playlist_config_store(const json_t *obj, struct arena *a, struct child_playlist *cp);

/* The Spotify playlist id checks that need the database: not the base's own, not
 * another child's (except `self_id`, and, when `same_base_ok` (a PUT), except children
 * of the same base, which the replace may move or delete: the caller checks the set
 * itself). A conflict is a problem at `path` in rep. 0, ERR_NOMEM or ERR_INTERNAL. */
int child_playlist_spotify_id_conflicts(struct db *db, struct arena *a, const char *user_id,
                                        const struct base_playlist *base, const char *spotify_id,
                                        const char *self_id, bool same_base_ok, const char *path,
                                        struct report *rep);

/* The description of a Spotify playlist created for a child of `base`, in the arena;
 * NULL only for out-of-memory. */
const char *child_playlist_description(struct arena *a, const struct base_playlist *base);

#endif
