-- Issue 13: MusicBrainz as a metadata source, and the user's own tags (API.md "Metadata
-- sources", "Tags"; docs/musicbrainz.md "How the server uses it"). Numbered 008: main
-- holds 005_liked_songs, 006_base_store and 007_sync_queue; this one depends on none.

-- What MusicBrainz said, kept for the whole server (public data, no user_id). Times are
-- epoch seconds; an entry older than 30 days is asked again when a sync needs it.
-- One row per ISRC asked (upper case). known = 0: MusicBrainz lists no recording for it
-- (stored too, so it is not asked again). recording_ids, artist_ids: JSON arrays of MBIDs
-- (the recordings that carry the ISRC; every artist credited on them, first-seen order).
-- original_year: the earliest year of their first-release-date, NULL when none has one.
CREATE TABLE mb_isrcs (
    isrc           TEXT PRIMARY KEY,
    known          INTEGER NOT NULL,
    recording_ids  TEXT NOT NULL DEFAULT '[]',
    artist_ids     TEXT NOT NULL DEFAULT '[]',
    original_year  INTEGER,
    fetched_at     INTEGER NOT NULL
) WITHOUT ROWID;

-- One row per artist MBID asked: its genres (JSON array, lower-case, sorted): the tags
-- with a positive count whose name is in MusicBrainz's genre list. known = 0: the search
-- did not find it (its genres are then empty).
CREATE TABLE mb_artists (
    id             TEXT PRIMARY KEY,
    known          INTEGER NOT NULL,
    genres         TEXT NOT NULL DEFAULT '[]',
    fetched_at     INTEGER NOT NULL
) WITHOUT ROWID;

-- Small shared values: key 'genre_list' = MusicBrainz's genre names, one a line
-- (GET /genre/all?fmt=txt), asked again after 30 days.
CREATE TABLE mb_state (
    key            TEXT PRIMARY KEY,
    value          TEXT NOT NULL,
    fetched_at     INTEGER NOT NULL
) WITHOUT ROWID;

-- The user's own tags (API.md "Tags"): kind 'tracks' or 'artists', a Spotify id, and
-- the normalised tags (JSON array: trimmed, lower-case, unique, sorted; never empty:
-- an empty list deletes the row).
CREATE TABLE user_tags (
    user_id        TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    kind           TEXT NOT NULL CHECK (kind IN ('tracks', 'artists')),
    item_id        TEXT NOT NULL,
    tags           TEXT NOT NULL,
    updated        TEXT NOT NULL,
    PRIMARY KEY (user_id, kind, item_id)
) WITHOUT ROWID;

-- Per user: a counter bumped by every change of the user's tags, in the same
-- transaction. It is part of a base's sync fingerprint when a rule uses `tag`, so the
-- next sync re-evaluates although no playlist changed on Spotify.
CREATE TABLE user_tag_state (
    user_id        TEXT PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
    version        INTEGER NOT NULL DEFAULT 0
);

-- SyncEvent.metadata_requests.musicbrainz
ALTER TABLE sync_events ADD COLUMN metadata_musicbrainz INTEGER NOT NULL DEFAULT 0;
