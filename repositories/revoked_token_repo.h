#ifndef PLAYROUTER_REVOKED_TOKEN_REPO_H
#define PLAYROUTER_REVOKED_TOKEN_REPO_H
/* Table revoked_tokens: jti of logged-out session tokens, each kept until
 * expires_epoch (after which the token would be refused as expired anyway). */
#include <stdint.h>

struct db;

/* Records jti as revoked until expires_epoch (a later expiry wins if it is already
 * there). 0 or ERR_INTERNAL. */
int revoked_token_repo_add(struct db *db, const char *jti, int64_t expires_epoch);
/* *revoked = 1 when jti is in the table (whatever its expiry), else 0.
 * 0 or ERR_INTERNAL. */
int revoked_token_repo_is_revoked(struct db *db, const char *jti, int *revoked);
/* Deletes rows whose expires_epoch is before now. 0 or ERR_INTERNAL. */
int revoked_token_repo_purge(struct db *db, int64_t now);

#endif
