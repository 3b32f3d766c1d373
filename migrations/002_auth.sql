-- Sign in with Spotify (issue 4).
-- token_version grows by one each time the stored Spotify tokens change (sign-in or
-- refresh). A thread that waited while another refreshed sees the version move and
-- uses the new token instead of spending the single-use refresh token again.
ALTER TABLE users ADD COLUMN token_version INTEGER NOT NULL DEFAULT 0;

-- Purges of expired OAuth states and revocations scan by expiry.
CREATE INDEX idx_oauth_states_expires ON oauth_states(expires_epoch);
CREATE INDEX idx_revoked_tokens_expires ON revoked_tokens(expires_epoch);
