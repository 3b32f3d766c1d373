/* The playlist picker's listing (see spotify_library_service.h). */
#include "services/playlists/spotify_library_service.h"

#include <string.h>

#include "repositories/playlist_usage_repo.h"
#include "lib/app_err.h"
#include "lib/util.h"
#include "services/spotify/spotify_session.h"

/* Spotify lists at most 10,000 playlists of a library through offsets. */
#define LIBRARY_MAX_OFFSET 100000

static int read_page(struct app *app, struct arena *a, const char *user_id, size_t offset,
                     struct spotify_my_playlists *page, struct report *rep)
{
    struct spotify_client *client = NULL;
    int rc = spotify_session_client(app, user_id, &client);
    if (rc == 0)
        rc = spotify_client_get_my_playlists(client, a, offset, SPOTIFY_MY_PLAYLISTS_PAGE, page,
                                             rep);
    spotify_client_free(client);
    return rc;
}

int spotify_library_service_page(struct app *app, struct db *db, struct arena *a,
                                 const char *user_id, const char *cursor,
                                 struct spotify_library_entry **items, size_t *n,
                                 const char **next_cursor, struct report *rep)
{
    struct spotify_my_playlists page;
    struct playlist_usage *uses = NULL;
    size_t n_uses = 0;
    int64_t offset = 0;
    int rc;

    *items = NULL;
    *n = 0;
    *next_cursor = NULL;
    if (cursor && util_parse_int64(cursor, 0, LIBRARY_MAX_OFFSET, &offset) != 0)
        return ERR_VALIDATION;
    if ((rc = read_page(app, a, user_id, (size_t)offset, &page, rep)) != 0)
        return rc;
    if ((rc = playlist_usage_repo_list(db, a, user_id, &uses, &n_uses)) != 0)
        return rc;
    *items = arena_alloc(a, (page.n + 1) * sizeof **items);
    if (!*items)
        return ERR_NOMEM;
    for (size_t i = 0; i < page.n; i++) {
        struct spotify_library_entry *e = &(*items)[i];
        e->playlist = page.items[i];
        e->used_kind = e->used_id = NULL;
        /* Bases come first in `uses`, so a base wins over a child on the same playlist. */
        for (size_t k = 0; k < n_uses && !e->used_kind; k++) {
            if (strcmp(uses[k].spotify_playlist_id, e->playlist.id) == 0) {
                e->used_kind = uses[k].kind;
                e->used_id = uses[k].id;
            }
        }
    }
    *n = page.n;
    size_t next = (size_t)offset + SPOTIFY_MY_PLAYLISTS_PAGE;
    if (next < page.total && next <= LIBRARY_MAX_OFFSET &&
        !(*next_cursor = arena_sprintf(a, "%zu", next)))
        return ERR_NOMEM;
    return 0;
}
