-- The sync engine's queue, auto-sync and its change hooks (docs/sync.md, "The queue").

-- What started a sync: SyncEvent.trigger.
ALTER TABLE sync_events ADD COLUMN trigger_kind TEXT NOT NULL DEFAULT 'manual'
    CHECK (trigger_kind IN ('manual', 'auto'));

-- The persisted job queue: one row per sync that is queued or running. Its event is
-- in_progress from the moment it is queued (progress.phase "queued"), so it holds the
-- base's lock (idx_sync_events_one_active). The row goes when the run ends; the event
-- keeps the outcome. Workers take the queued row with the lowest (priority,
-- enqueued_seq) whose next_run_at has come.
CREATE TABLE sync_jobs (
    event_id          TEXT PRIMARY KEY REFERENCES sync_events(id) ON DELETE CASCADE,
    user_id           TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    base_playlist_id  TEXT NOT NULL REFERENCES base_playlists(id) ON DELETE CASCADE,
    priority          INTEGER NOT NULL,             -- 0 manual, 1 auto: lower runs first
    state             TEXT NOT NULL DEFAULT 'queued' CHECK (state IN ('queued', 'running')),
    attempts          INTEGER NOT NULL DEFAULT 0,   -- times a worker took it
    last_error        TEXT,                         -- why the last take did not run it
    next_run_at       INTEGER NOT NULL,             -- epoch seconds: not taken before
    enqueued_seq      INTEGER NOT NULL,             -- FIFO within a priority
    enqueued_at       INTEGER NOT NULL
);
CREATE INDEX idx_sync_jobs_ready ON sync_jobs(state, priority, enqueued_seq);

-- Auto-sync, per base: when it was last checked (or synced), and the back-off of
-- failed auto syncs (1, 2, 4 ... minutes, at most the base's interval).
CREATE TABLE auto_sync_state (
    base_playlist_id  TEXT PRIMARY KEY REFERENCES base_playlists(id) ON DELETE CASCADE,
    last_check_at     INTEGER NOT NULL DEFAULT 0,   -- epoch: last check or completed sync
    failures          INTEGER NOT NULL DEFAULT 0,   -- consecutive failed auto syncs
    retry_at          INTEGER NOT NULL DEFAULT 0,   -- with failures > 0: next check
    last_error        TEXT
);

-- Per user: the change counter that code outside the sync engine bumps when something
-- the rules see changed without a playlist edit (the user's tags, metadata learnt from
-- MusicBrainz): it is part of every base's fingerprint, so the next sync (manual or
-- auto) re-evaluates. paused_until: a Spotify 429 pauses the user's auto-syncs.
CREATE TABLE user_sync_state (
    user_id           TEXT PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
    change_seq        INTEGER NOT NULL DEFAULT 0,
    paused_until      INTEGER NOT NULL DEFAULT 0
);
