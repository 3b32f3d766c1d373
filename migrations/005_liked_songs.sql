-- Liked Songs as a base playlist (issue 15). `source` says what a base reads:
-- 'playlist' (a Spotify playlist, every base made before this migration) or 'liked'
-- (the user's saved tracks, GET /me/tracks).
--
-- A Liked Songs base has no Spotify playlist (the API shows spotify_playlist_id null).
-- The column keeps its NOT NULL: SQLite can drop a NOT NULL only by rebuilding the
-- table, and dropping base_playlists under foreign_keys=ON would cascade-delete every
-- child, event and state row. So a Liked Songs base stores '' there (no real id is
-- empty: ids are 1-64 letters and digits) and base_playlist_repo.c reads it back as
-- NULL. The CHECK keeps the two columns in step; UNIQUE (user_id, spotify_playlist_id)
-- of 001 and the partial index below both allow one Liked Songs base per user.
ALTER TABLE base_playlists ADD COLUMN source TEXT NOT NULL DEFAULT 'playlist'
    CHECK (source IN ('playlist', 'liked') AND (source = 'liked') = (spotify_playlist_id = ''));
CREATE UNIQUE INDEX idx_base_playlists_one_liked ON base_playlists(user_id) WHERE source = 'liked';
