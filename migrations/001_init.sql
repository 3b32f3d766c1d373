-- playrouter schema. Timestamps are RFC 3339 UTC text ("2026-11-23T14:30:00Z"),
-- which sorts lexicographically in time order; *_epoch columns are unix seconds.

CREATE TABLE users (
    id                 TEXT PRIMARY KEY,
    spotify_user_id    TEXT NOT NULL UNIQUE,
    display_name       TEXT,
    access_token_enc   BLOB,             -- AES-256-GCM: nonce || ciphertext || tag
    refresh_token_enc  BLOB,
    token_expires_at   INTEGER,          -- epoch seconds when the access token expires
    refresh_expires_at INTEGER,          -- refresh tokens die six months after sign-in
    scope              TEXT,
    needs_reauth       INTEGER NOT NULL DEFAULT 0,
    created            TEXT NOT NULL,
    updated            TEXT NOT NULL
);

-- OAuth state: single use, 10 minutes, with its PKCE code_verifier.
CREATE TABLE oauth_states (
    state          TEXT PRIMARY KEY,
    code_verifier  TEXT NOT NULL,
    expires_epoch  INTEGER NOT NULL
);

-- Logged-out session tokens, kept until they would have expired.
CREATE TABLE revoked_tokens (
    jti            TEXT PRIMARY KEY,
    expires_epoch  INTEGER NOT NULL
);

CREATE TABLE base_playlists (
    id                   TEXT PRIMARY KEY,
    user_id              TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    spotify_playlist_id  TEXT NOT NULL,
    name                 TEXT NOT NULL,
    routing              TEXT NOT NULL DEFAULT 'all' CHECK (routing IN ('all', 'first_match')),
    auto_sync_minutes    INTEGER NOT NULL DEFAULT 0,
    version              INTEGER NOT NULL DEFAULT 1,
    last_synced_at       TEXT,
    last_snapshot_id     TEXT,           -- base snapshot of the last completed sync
    created              TEXT NOT NULL,
    updated              TEXT NOT NULL,
    UNIQUE (user_id, spotify_playlist_id)
);

CREATE TABLE child_playlists (
    id                   TEXT PRIMARY KEY,
    user_id              TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    base_playlist_id     TEXT NOT NULL REFERENCES base_playlists(id) ON DELETE CASCADE,
    spotify_playlist_id  TEXT NOT NULL,
    name                 TEXT NOT NULL,
    filter               TEXT NOT NULL,  -- Rule JSON
    sort                 TEXT,           -- {"by", "order"} JSON or NULL
    limit_n              INTEGER,        -- NULL = no limit
    position             INTEGER NOT NULL,
    catch_all            INTEGER NOT NULL DEFAULT 0,
    pinned_track_ids     TEXT NOT NULL DEFAULT '[]',
    banned_track_ids     TEXT NOT NULL DEFAULT '[]',
    version              INTEGER NOT NULL DEFAULT 1,
    last_written_snapshot_id TEXT,       -- snapshot_id Spotify gave after our last write
    last_target_hash     TEXT,           -- hash of the target list we last wrote
    created              TEXT NOT NULL,
    updated              TEXT NOT NULL
);
CREATE INDEX idx_child_playlists_base ON child_playlists(base_playlist_id, position);
CREATE INDEX idx_child_playlists_user ON child_playlists(user_id);
CREATE UNIQUE INDEX idx_child_playlists_one_catch_all
    ON child_playlists(base_playlist_id) WHERE catch_all = 1;

CREATE TABLE sync_events (
    id                   TEXT PRIMARY KEY,
    user_id              TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    base_playlist_id     TEXT NOT NULL REFERENCES base_playlists(id) ON DELETE CASCADE,
    child_playlist_ids   TEXT NOT NULL DEFAULT '[]',
    status               TEXT NOT NULL CHECK (status IN ('in_progress', 'completed', 'failed')),
    started_at           TEXT NOT NULL,
    completed_at         TEXT,
    error_message        TEXT,
    tracks_processed     INTEGER NOT NULL DEFAULT 0,
    tracks_skipped       INTEGER NOT NULL DEFAULT 0,
    total_api_requests   INTEGER NOT NULL DEFAULT 0,
    cache_hits           INTEGER NOT NULL DEFAULT 0,
    cache_misses         INTEGER NOT NULL DEFAULT 0,
    children             TEXT NOT NULL DEFAULT '[]',  -- [{"child_playlist_id","matched","added","removed"}]
    progress_phase       TEXT,
    progress_done        INTEGER NOT NULL DEFAULT 0,
    progress_total       INTEGER NOT NULL DEFAULT 0,
    created              TEXT NOT NULL,
    updated              TEXT NOT NULL
);
CREATE INDEX idx_sync_events_user_status ON sync_events(user_id, status);
CREATE INDEX idx_sync_events_base_status ON sync_events(base_playlist_id, status);
-- The lock: at most one in_progress sync per base playlist, even across processes.
CREATE UNIQUE INDEX idx_sync_events_one_active
    ON sync_events(base_playlist_id) WHERE status = 'in_progress';

-- What a child held before the last sync that changed it (for restore).
CREATE TABLE child_snapshots (
    child_playlist_id    TEXT PRIMARY KEY REFERENCES child_playlists(id) ON DELETE CASCADE,
    user_id              TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    sync_event_id        TEXT,
    track_uris           TEXT NOT NULL,  -- JSON array, in playlist order
    created              TEXT NOT NULL
);

-- Idempotency-Key on POST .../sync: per user, kept 24 hours.
CREATE TABLE idempotency_keys (
    user_id              TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    key                  TEXT NOT NULL,
    request_path         TEXT NOT NULL,
    status               INTEGER,         -- NULL while the first request still runs
    body                 TEXT,
    expires_epoch        INTEGER NOT NULL,
    PRIMARY KEY (user_id, key)
);
