-- The sync engine's state beyond 001 (docs/sync.md).

-- Listing order of sync events: an insertion sequence (timestamps are whole seconds,
-- so several events may share one). Set by the INSERT (max + 1, under the write lock).
ALTER TABLE sync_events ADD COLUMN seq INTEGER;
UPDATE sync_events SET seq = rowid;
CREATE INDEX idx_sync_events_base_seq ON sync_events(base_playlist_id, seq);
CREATE INDEX idx_sync_events_status_started ON sync_events(status, started_at);

-- Idempotency-Key: the sync event the first request started (a repeat while it runs
-- answers 409 sync_in_progress with it).
ALTER TABLE idempotency_keys ADD COLUMN sync_event_id TEXT;

-- Incremental sync, per base playlist: what the last COMPLETED sync saw, beside
-- base_playlists.last_snapshot_id. config_hash fingerprints routing and every child's
-- configuration (rule, sort, limit, pins, bans, positions, Spotify playlist); it is set
-- to NULL before a sync writes anything and set again when the sync completes, so a
-- sync that failed half-way never lets the next one skip.
CREATE TABLE base_sync_state (
    base_playlist_id     TEXT PRIMARY KEY REFERENCES base_playlists(id) ON DELETE CASCADE,
    config_hash          TEXT,
    tracks_processed     INTEGER NOT NULL DEFAULT 0,
    tracks_skipped       INTEGER NOT NULL DEFAULT 0,
    updated              TEXT NOT NULL
);

-- Per child: the uris we last wrote (or last read) into its Spotify playlist, valid
-- while Spotify still reports child_playlists.last_written_snapshot_id for it; then
-- the sync needs no read of that child.
CREATE TABLE child_written_contents (
    child_playlist_id    TEXT PRIMARY KEY REFERENCES child_playlists(id) ON DELETE CASCADE,
    track_uris           TEXT NOT NULL,  -- JSON array, in playlist order
    updated              TEXT NOT NULL
);
