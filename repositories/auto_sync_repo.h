#ifndef PLAYROUTER_AUTO_SYNC_REPO_H
#define PLAYROUTER_AUTO_SYNC_REPO_H
/* Auto-sync's rows (migrations/007_sync_queue.sql): per base, when it was last checked
 * and its back-off (auto_sync_state); per user, the change counter and the 429 pause
 * (user_sync_state). Times are epoch seconds. */
#include <stddef.h>
#include <stdint.h>

#include "lib/arena.h"

struct db;

/* A base whose auto-sync check is due. */
struct auto_sync_due {
    const char *base_id, *user_id; /* arena */
    int64_t interval_min;           /* auto_sync_minutes */
};

/* At most `limit` bases due at now_epoch, by user then base: auto_sync_minutes > 0,
 * the user does not need to sign in again and is not paused, the base has no sync in
 * progress or queued, and its next check has come: with failed auto syncs pending, the
 * back-off's retry_at; else its last check (or last completed sync) + the interval.
 * *out: arena array of *n. 0, ERR_NOMEM, ERR_INTERNAL. */
int auto_sync_repo_due(struct db *db, struct arena *a, int64_t now_epoch, int limit,
                       struct auto_sync_due **out, size_t *n);

/* Base checked (or synced) at now_epoch: nothing to do until the interval has passed
 * again. reset_failures: the back-off ends too (a completed sync, or a check that
 * found nothing to do). 0 or ERR_INTERNAL. */
int auto_sync_repo_checked(struct db *db, const char *base_id, int64_t now_epoch,
                           int reset_failures);

/* An auto sync (or the check) of the base failed: one more failure, next try after
 * 1, 2, 4 ... minutes (the n-th failure waits 2^(n-1) minutes), at most interval_min.
 * 0 or ERR_INTERNAL. */
int auto_sync_repo_failed(struct db *db, const char *base_id, int64_t now_epoch,
                          int64_t interval_min, const char *error);

/* The user's auto-syncs pause until `until` (a Spotify Retry-After). 0 or ERR_INTERNAL. */
int auto_sync_repo_pause_user(struct db *db, const char *user_id, int64_t until);

/* The user's change counter (0 when never bumped). 0 or ERR_INTERNAL. */
int auto_sync_repo_change_seq(struct db *db, const char *user_id, int64_t *out);

/* Bumps the change counter of `user_id`, or of every user when user_id is NULL.
 * 0 or ERR_INTERNAL. */
int auto_sync_repo_bump(struct db *db, const char *user_id);

#endif
