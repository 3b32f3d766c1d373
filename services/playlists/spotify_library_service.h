#ifndef PLAYROUTER_SPOTIFY_LIBRARY_SERVICE_H
#define PLAYROUTER_SPOTIFY_LIBRARY_SERVICE_H
/* GET /api/spotify/playlists (API.md "Web app"): the signed-in user's Spotify
 * playlists, a page at a time, each with the base or child of this user that uses
 * it, for the web app's playlist picker. */
#include <stddef.h>

#include "lib/arena.h"
#include "lib/buf.h"
#include "services/spotify/spotify_client_playlists.h"

struct app;
struct db;

struct spotify_library_entry {
    struct spotify_my_playlist playlist;
    const char *used_kind; /* "base", "child" or NULL (unused) */
    const char *used_id;   /* that base's or child's id */
};

/* One page (SPOTIFY_MY_PLAYLISTS_PAGE playlists at most, Spotify's order). `cursor`
 * (NULL = the first page) is a *next_cursor of an earlier page: today the offset in
 * the library, opaque to clients. *next_cursor (arena) is NULL on the last page. A
 * playlist that both a base and a child use names the base. Spotify is asked first,
 * then the database is read. 0; ERR_VALIDATION (a cursor this server did not give);
 * ERR_SPOTIFY_REAUTH, ERR_RATE_LIMITED, ERR_SPOTIFY (Spotify's reason in rep's message);
 * ERR_NOMEM; ERR_INTERNAL. */
int spotify_library_service_page(struct app *app, struct db *db, struct arena *a,
                                 const char *user_id, const char *cursor,
                                 struct spotify_library_entry **items, size_t *n,
                                 const char **next_cursor, struct report *rep);

#endif
