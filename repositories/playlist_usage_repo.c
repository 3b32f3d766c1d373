/* The user's bases and children by Spotify playlist (see playlist_usage_repo.h). */
#include "repositories/playlist_usage_repo.h"

#include <string.h>

#include "repositories/db.h"
#include "lib/app_err.h"

#define SQL_USAGE                                                                                  \
    "SELECT 0, id, spotify_playlist_id, created FROM base_playlists "                              \
    " WHERE user_id = ?1 AND spotify_playlist_id IS NOT NULL "                                     \
    "UNION ALL "                                                                                   \
    "SELECT 1, id, spotify_playlist_id, created FROM child_playlists "                             \
    " WHERE user_id = ?1 AND spotify_playlist_id IS NOT NULL "                                     \
    "ORDER BY 1, 4, 2"

int playlist_usage_repo_list(struct db *db, struct arena *a, const char *user_id,
                             struct playlist_usage **out, size_t *n)
{
    sqlite3_stmt *st = db_stmt(db, SQL_USAGE);
    struct playlist_usage *items = NULL;
    size_t cap = 0;
    int rc = 0;

    *out = NULL;
    *n = 0;
    if (!st)
        return ERR_INTERNAL;
    if (db_bind_text(st, 1, user_id) != 0) {
        rc = ERR_INTERNAL;
        goto done;
    }
    for (;;) {
        int s = sqlite3_step(st);
        if (s == SQLITE_DONE)
            break;
        if (s != SQLITE_ROW) {
            rc = db_log_error(db, "playlist_usage_repo_list");
            goto done;
        }
        if (*n == cap) { /* arena memory: the old array is simply left behind */
            struct playlist_usage *grown;
            cap = cap ? cap * 2 : 16;
            if (!(grown = arena_alloc(a, cap * sizeof *grown))) {
                rc = ERR_NOMEM;
                goto done;
            }
            if (*n)
                memcpy(grown, items, *n * sizeof *grown);
            items = grown;
        }
        struct playlist_usage *u = &items[*n];
        u->kind = sqlite3_column_int(st, 0) == 0 ? "base" : "child";
        if (db_col_dup(st, 1, a, &u->id) != 0 ||
            db_col_dup(st, 2, a, &u->spotify_playlist_id) != 0) {
            rc = ERR_NOMEM;
            goto done;
        }
        (*n)++;
    }
    *out = items;
done:
    if (rc != 0)
        *n = 0;
    db_stmt_done(st);
    return rc;
}
