#ifndef PLAYROUTER_URI_LIST_H
#define PLAYROUTER_URI_LIST_H
/* How the repositories store a list of Spotify uris: a compact JSON array of strings
 * (a NULL entry as JSON null). Shared by child_snapshot_repo and sync_state_repo. */
#include <stddef.h>

#include "lib/arena.h"

/* Encodes uris[0..n) (caller frees *out with free()). 0 or ERR_NOMEM. */
int uri_list_encode(const char *const *uris, size_t n, char **out);

/* Decodes a stored array into an arena array of arena strings (*uris; NULL when n is 0).
 * 0; ERR_NOMEM; ERR_INTERNAL when `json` is not an array of strings and nulls. */
int uri_list_decode(const char *json, struct arena *a, const char ***uris, size_t *n);

#endif
