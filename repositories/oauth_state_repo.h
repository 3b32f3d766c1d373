#ifndef PLAYROUTER_OAUTH_STATE_REPO_H
#define PLAYROUTER_OAUTH_STATE_REPO_H
/* Table oauth_states: the OAuth `state` values handed out at login, each with its
 * PKCE code_verifier and expiry. A state is taken (read and deleted) exactly once. */
#include <stdint.h>

struct arena;
struct db;

/* Stores a new state. 0, ERR_CONFLICT (state already there), ERR_INTERNAL. */
int oauth_state_repo_insert(struct db *db, const char *state, const char *code_verifier,
                            int64_t expires_epoch);

/* Atomically deletes `state` and returns what it held (one DELETE ... RETURNING, so
 * two concurrent callbacks cannot both take it). *code_verifier lives in arena.
 * The expiry is returned, not checked: the caller decides. 0, ERR_NOT_FOUND (unknown
 * or already taken), ERR_NOMEM, ERR_INTERNAL. */
int oauth_state_repo_take(struct db *db, struct arena *arena, const char *state,
                          char **code_verifier, int64_t *expires_epoch);

/* Deletes states whose expires_epoch is before now. 0 or ERR_INTERNAL. */
int oauth_state_repo_purge(struct db *db, int64_t now);

/* Keeps at most `keep` states: the newest (SQLite gives a new row the largest rowid,
 * so rowids run in insertion order; gaps left by taken states only make it keep
 * fewer). One indexed range delete, O(log n + deleted). 0 or ERR_INTERNAL. */
int oauth_state_repo_trim(struct db *db, int64_t keep);

#endif
