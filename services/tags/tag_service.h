#ifndef PLAYROUTER_TAG_SERVICE_H
#define PLAYROUTER_TAG_SERVICE_H
/* Folder services/tags/: the user's own tags on tracks and artists (API.md "Tags"):
 * validation and normalisation of a PUT, reads, deletion, and the `tag` values of a
 * sync's tracks. docs/rules.md says what the contract leaves open.
 *
 * Normalisation: each tag is trimmed (ASCII white space), lower-cased as the rules fold
 * names (rule_fold), then the list is de-duplicated and sorted by bytes. A tag is 1..64
 * characters (code points) after trimming, without control characters; at most 50 per
 * item. An item is (kind, id): kind "tracks" or "artists", id a Spotify id (1..64 ASCII
 * letters and digits). A user tags at most TAG_MAX_ITEMS items. */
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "repositories/tag_repo.h"
#include "domain/track.h"
#include "lib/arena.h"
#include "lib/report.h"

struct db;

#define TAG_MAX_LEN 64        /* characters of one tag */
#define TAG_MAX_PER_ITEM 50   /* tags of one item */
#define TAG_MAX_ID_LEN 64     /* characters of a Spotify id */
#define TAG_MAX_ITEMS 10000   /* tagged items of one user */

/* Whether kind is "tracks" or "artists" and id a Spotify id. */
bool tag_service_item_valid(const char *kind, const char *id);

/* PUT: sets the tags of (kind, id) from body {"tags": [...]}; an empty list removes the
 * item. *out (arena) is the item as stored (tags normalised; none after a removal).
 * 0; ERR_INVALID_JSON (not an object); ERR_VALIDATION (details in rep: "/tags/N",
 * "/tags", an unknown member, or "id"); ERR_NOT_FOUND (kind is not tracks/artists);
 * ERR_NOMEM; ERR_INTERNAL. */
int tag_service_put(struct db *db, struct arena *a, const char *user_id, const char *kind,
                    const char *id, const json_t *body, struct tag_item *out, struct report *rep);
/* GET: 0 or ERR_NOT_FOUND (also for a kind or id that names no item). */
int tag_service_get(struct db *db, struct arena *a, const char *user_id, const char *kind,
                    const char *id, struct tag_item *out);
/* DELETE: 0 or ERR_NOT_FOUND. */
int tag_service_delete(struct db *db, const char *user_id, const char *kind, const char *id);
/* GET /api/tags: every item of the user, by kind then id. */
int tag_service_list(struct db *db, struct arena *a, const char *user_id, struct tag_item **items,
                     size_t *n);

/* The `tag` values of tracks[0..n): the tags of each track and of each of its artists,
 * sorted, each once, from items[0..n_items) (sorted by kind, then id, as
 * tag_service_list() gives them). Arrays in arena `a`. 0 or ERR_NOMEM. */
int tag_service_apply(const struct tag_item *items, size_t n_items, struct track *tracks,
                      size_t n, struct arena *a);

#endif
