#ifndef PLAYROUTER_SYNC_SCHEDULER_H
#define PLAYROUTER_SYNC_SCHEDULER_H
/* Auto-sync (API.md `auto_sync_minutes`; docs/sync.md "Auto-sync"): which bases are
 * due, the change check (ONE Spotify request per user for all that user's due bases),
 * the auto syncs it queues, the back-off of failed auto syncs and the 429 pause; and
 * the change hook for code outside the sync engine. The scheduler thread of
 * sync_manager.c calls sync_scheduler_pass() every PLAYROUTER_AUTO_SYNC_TICK seconds;
 * the queue's workers call sync_scheduler_after_run() as each sync ends. */
#include <stdint.h>

#include "lib/arena.h"
#include "domain/sync_event.h"

struct app;
struct db;
struct sync_job_row;

/* When a 429 that stopped a check or a sync gave no Retry-After (a quota 429), the
 * user's auto-syncs pause this long. */
#define SYNC_AUTO_QUOTA_PAUSE_S 3600
/* Bases looked at in one pass (the rest wait for the next tick). */
#define SYNC_AUTO_PASS_MAX 1000

/* One pass: for every base whose check is due (auto_sync_repo_due: interval elapsed or
 * back-off over, user signed in and not paused, no sync active), grouped by user: a
 * base whose configuration fingerprint (its children's rules and settings, the user's
 * change counter) moved, or that was never completed, is queued without asking
 * Spotify; the others are checked with one spotify_client_get_snapshots() call per
 * user (GET /me/playlists: every snapshot at once) against the snapshots the last
 * completed sync recorded; a moved snapshot queues a sync with trigger "auto". A
 * check that fails backs the base off like a failed auto sync; a 429 pauses the user.
 * Takes database connections only for short steps. Returns how many syncs it queued. */
int sync_scheduler_pass(struct app *app);

/* After the run of `job` ended with event *ev (`retry_after_s`: sync_service_run's):
 * a completed sync resets the base's back-off and counts as its check; a failed auto
 * sync backs off (1, 2, 4 ... minutes, at most the base's interval); a run stopped by
 * a 429 pauses the user's auto-syncs until its Retry-After. Errors are logged. */
void sync_scheduler_after_run(struct app *app, struct db *db, struct arena *a,
                              const struct sync_job_row *job, const struct sync_event *ev,
                              int64_t retry_after_s);

/* THE HOOK for changes that no playlist edit shows: call it (with the caller's
 * database connection, inside its transaction if it has one) when the user's tags
 * change (user_id), or when metadata the rules use was learnt or changed (user_id NULL:
 * every user, e.g. new MusicBrainz values). It bumps the user's change counter, which
 * is part of every base's fingerprint: the next sync re-evaluates the rules, and the
 * next auto-sync check of each of the user's bases with auto_sync_minutes queues a sync
 * without asking Spotify. 0 or ERR_INTERNAL. */
int sync_scheduler_note_change(struct db *db, const char *user_id);

#endif
