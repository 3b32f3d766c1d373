-- Base and child playlists (issue 5). A Spotify playlist is the target of at most one
-- child of a user: two children writing the same playlist would undo each other's
-- syncs. The services check this first to name the offending JSON path; this index
-- is the backstop against races.
CREATE UNIQUE INDEX idx_child_playlists_user_spotify
    ON child_playlists(user_id, spotify_playlist_id);
-- Cursor pagination of GET /api/base-playlists walks (user_id, created, id).
CREATE INDEX idx_base_playlists_user_created ON base_playlists(user_id, created, id);
