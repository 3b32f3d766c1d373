#ifndef PLAYROUTER_IDEMPOTENCY_REPO_H
#define PLAYROUTER_IDEMPOTENCY_REPO_H
/* Rows of idempotency_keys: the first answer to a POST carrying an Idempotency-Key,
 * per user, until it expires. A row whose status is 0 (SQL NULL) belongs to a first
 * request that is still running. Every query is scoped by user_id. */
#include <stdint.h>

#include "lib/arena.h"

struct db;

#define IDEMPOTENCY_KEY_MAX 255 /* longest accepted key (bytes) */

struct idempotency_record {
    const char *request_path;  /* "POST /api/base-playlists/<id>/sync" */
    int status;                /* HTTP status of the first answer; 0 while it runs */
    const char *body;          /* its body; NULL while it runs */
    const char *sync_event_id; /* the sync it started; may be NULL */
    int64_t expires_epoch;
};

/* The unexpired record of (user_id, key) at time now_epoch; strings in arena `a`.
 * 0; ERR_NOT_FOUND (none, or expired); ERR_NOMEM; ERR_INTERNAL. */
int idempotency_repo_find(struct db *db, struct arena *a, const char *user_id, const char *key,
                          int64_t now_epoch, struct idempotency_record *out);

/* Records a first request (status NULL) for (user_id, key), replacing an expired record
 * of that key. 0; ERR_CONFLICT when an unexpired record exists (or the user does not);
 * ERR_INTERNAL. */
int idempotency_repo_insert(struct db *db, const char *user_id, const char *key,
                            const char *request_path, const char *sync_event_id,
                            int64_t expires_epoch, int64_t now_epoch);

/* Stores the first answer (status and body) of (user_id, key).
 * 0; ERR_NOT_FOUND (no such record); ERR_INTERNAL. */
int idempotency_repo_finish(struct db *db, const char *user_id, const char *key, int status,
                            const char *body);

/* Forgets (user_id, key) (a first request that started nothing). 0 or ERR_INTERNAL. */
int idempotency_repo_delete(struct db *db, const char *user_id, const char *key);

/* Deletes every record expired at now_epoch; *n_out (may be NULL) gets how many.
 * 0 or ERR_INTERNAL. */
int idempotency_repo_purge(struct db *db, int64_t now_epoch, int *n_out);

#endif
