#ifndef PLAYROUTER_SPOTIFY_MODE_H
#define PLAYROUTER_SPOTIFY_MODE_H
/* Which Web API Spotify serves this app (API.md's SPOTIFY_API_MODE). */
enum spotify_mode {
    SPOTIFY_MODE_DEVELOPMENT = 0, /* since 2026-03-09: no batch metadata, genres, popularity, label */
    SPOTIFY_MODE_EXTENDED = 1,    /* extended quota: batch endpoints and the rich fields */
};
#endif
