#ifndef PLAYROUTER_USER_REPO_H
#define PLAYROUTER_USER_REPO_H
/* Table users: one row per Spotify account that signed in, with its Spotify tokens
 * encrypted (services/token_crypto). Every query is keyed by the user's own id (or,
 * at sign-in, by the Spotify user id), so nothing here reaches another user's row.
 * Strings and blobs returned live in the caller's arena. */
#include <stddef.h>
#include <stdint.h>
#include "domain/user.h"

struct arena;
struct db;

/* The encrypted Spotify tokens of a user and what goes with them. */
struct user_tokens {
    const unsigned char *access_enc; /* NULL when none stored */
    size_t access_len;
    const unsigned char *refresh_enc;
    size_t refresh_len;
    int64_t token_expires_at;   /* epoch seconds; 0 when unknown */
    int64_t refresh_expires_at; /* epoch seconds; 0 when unknown */
    const char *scope;          /* may be NULL */
    int64_t token_version;      /* grows on every change of the tokens */
    int needs_reauth;
};

/* The user with this id. 0, ERR_NOT_FOUND, ERR_NOMEM, ERR_INTERNAL. */
int user_repo_find(struct db *db, struct arena *arena, const char *id, struct user *out);
/* The user with this Spotify user id (sign-in). 0, ERR_NOT_FOUND, ERR_NOMEM, ERR_INTERNAL. */
int user_repo_find_by_spotify_id(struct db *db, struct arena *arena, const char *spotify_user_id,
                                 struct user *out);
/* 0 with *exists set, or ERR_INTERNAL. */
int user_repo_exists(struct db *db, const char *id, int *exists);

/* Inserts a user without tokens (u->id, spotify_user_id, display_name, created,
 * updated are used). 0, ERR_CONFLICT (id or Spotify id taken), ERR_INTERNAL. */
int user_repo_insert(struct db *db, const struct user *u);

/* Sign-in: sets the display name and every token field of user `id`, clears
 * needs_reauth and bumps token_version, in one UPDATE.
 * 0, ERR_NOT_FOUND, ERR_INTERNAL. */
int user_repo_store_signin(struct db *db, const char *id, const char *display_name,
                           const struct user_tokens *t, const char *updated);

/* Updates only the display name. 0, ERR_NOT_FOUND, ERR_INTERNAL. */
int user_repo_update_profile(struct db *db, const char *id, const char *display_name,
                             const char *updated);

/* The token fields of user `id`. 0, ERR_NOT_FOUND, ERR_NOMEM, ERR_INTERNAL. */
int user_repo_get_tokens(struct db *db, struct arena *arena, const char *id,
                         struct user_tokens *out);

/* The Spotify scopes the user's sign-in granted (space-separated, as Spotify's token
 * answer gave them): *scope in the arena, NULL when unknown. 0, ERR_NOT_FOUND,
 * ERR_NOMEM, ERR_INTERNAL. */
int user_repo_get_scope(struct db *db, struct arena *arena, const char *id, const char **scope);

/* After a refresh: writes both encrypted tokens and the access token's expiry in ONE
 * UPDATE (so the single-use refresh token and the access token it produced are never
 * stored apart) and bumps token_version, but only if the row still has
 * token_version == expected_version. 0; ERR_CONFLICT when the version moved (someone
 * else refreshed first; nothing written); ERR_INTERNAL. */
int user_repo_store_refresh(struct db *db, const char *id, int64_t expected_version,
                            const unsigned char *access_enc, size_t access_len,
                            const unsigned char *refresh_enc, size_t refresh_len,
                            int64_t token_expires_at, const char *updated);

/* Sets needs_reauth (1: the refresh token was refused; every call needing Spotify
 * answers spotify_reauth_required until the user signs in again). 0, ERR_NOT_FOUND,
 * ERR_INTERNAL. */
int user_repo_set_needs_reauth(struct db *db, const char *id, int needs_reauth,
                               const char *updated);

#endif
