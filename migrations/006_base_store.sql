-- The base kept between syncs (docs/sync.md "The stored base"): the entries of a base
-- playlist as Spotify served them at snapshot_id, with the metadata values the rules
-- used, so that a sync or a preview of a base whose snapshot has not moved reads no
-- page of it. One stored version per base (the newest read); it is valid only while
-- Spotify reports that snapshot_id for the base.
CREATE TABLE base_stores (
    base_playlist_id     TEXT PRIMARY KEY REFERENCES base_playlists(id) ON DELETE CASCADE,
    snapshot_id          TEXT NOT NULL,
    api_mode             INTEGER NOT NULL,  -- enum spotify_mode the entries were read in
    format               INTEGER NOT NULL,  -- encoding of base_store_entries.entry
    n_entries            INTEGER NOT NULL,
    metadata_needs       INTEGER NOT NULL DEFAULT 0, -- RULE_NEEDS_* bits whose values the entries hold
    metadata_at          INTEGER NOT NULL DEFAULT 0, -- unix seconds when those values were fetched
    updated              TEXT NOT NULL
);

-- One row per playlist entry, in playlist order: compact JSON (services/sync/sync_store.c)
-- with the entry's fields under "t" and the metadata sources' values under "m".
CREATE TABLE base_store_entries (
    base_playlist_id     TEXT NOT NULL REFERENCES base_stores(base_playlist_id) ON DELETE CASCADE,
    idx                  INTEGER NOT NULL,
    entry                TEXT NOT NULL,
    PRIMARY KEY (base_playlist_id, idx)
) WITHOUT ROWID;
