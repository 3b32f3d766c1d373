/* user_tags and user_tag_state. Tag lists are stored as compact JSON arrays (uri_list.c). */
#include "repositories/tag_repo.h"

#include <stdlib.h>
#include <string.h>

#include "repositories/db.h"
#include "repositories/uri_list.h"
#include "lib/app_err.h"

static const char *const STMT_GET =
    "SELECT tags FROM user_tags WHERE user_id = ?1 AND kind = ?2 AND item_id = ?3";
static const char *const STMT_COUNT = "SELECT COUNT(*) FROM user_tags WHERE user_id = ?1";
static const char *const STMT_UPSERT =
    "INSERT INTO user_tags (user_id, kind, item_id, tags, updated) VALUES (?1, ?2, ?3, ?4, ?5) "
    "ON CONFLICT (user_id, kind, item_id) DO UPDATE SET tags = excluded.tags, "
    "updated = excluded.updated";
static const char *const STMT_DELETE =
    "DELETE FROM user_tags WHERE user_id = ?1 AND kind = ?2 AND item_id = ?3";
static const char *const STMT_LIST =
    "SELECT kind, item_id, tags FROM user_tags WHERE user_id = ?1 ORDER BY kind, item_id";
static const char *const STMT_BUMP =
    "INSERT INTO user_tag_state (user_id, version) VALUES (?1, 1) ON CONFLICT (user_id) DO "
    "UPDATE SET version = version + 1";
static const char *const STMT_VERSION = "SELECT version FROM user_tag_state WHERE user_id = ?1";

/* Binds ?1 user_id, ?2 kind, ?3 id (kind and id may be NULL when the statement has
 * only ?1). 0 or -1. */
static int bind_key(sqlite3_stmt *st, const char *user_id, const char *kind, const char *id)
{
    return db_bind_text(st, 1, user_id) != 0 || (kind && db_bind_text(st, 2, kind) != 0) ||
                   (id && db_bind_text(st, 3, id) != 0)
               ? -1
               : 0;
}

int tag_repo_get(struct db *db, struct arena *a, const char *user_id, const char *kind,
                 const char *id, struct tag_item *out)
{
    sqlite3_stmt *st = db_stmt(db, STMT_GET);
    const char **tags = NULL;
    int rc;

    memset(out, 0, sizeof *out);
    if (!st)
        return ERR_INTERNAL;
    if (bind_key(st, user_id, kind, id) != 0) {
        db_stmt_done(st);
        return ERR_INTERNAL;
    }
    if ((rc = db_step_one(db, st, "tag_repo_get")) == 0 &&
        (rc = uri_list_decode(db_col_text(st, 0), a, &tags, &out->n_tags)) == 0) {
        out->kind = kind;
        out->id = id;
        out->tags = tags;
    }
    db_stmt_done(st);
    return rc;
}

/* The stored tags text of the item (malloc'd; NULL when none). 0 or an error. */
static int stored_text(struct db *db, const char *user_id, const char *kind, const char *id,
                       char **out)
{
    sqlite3_stmt *st = db_stmt(db, STMT_GET);
    int rc;
    *out = NULL;
    if (!st)
        return ERR_INTERNAL;
    if (bind_key(st, user_id, kind, id) != 0) {
        db_stmt_done(st);
        return ERR_INTERNAL;
    }
    rc = db_step_one(db, st, "tag_repo_put");
    if (rc == 0 && !(*out = strdup(db_col_text(st, 0) ? db_col_text(st, 0) : "")))
        rc = ERR_NOMEM;
    db_stmt_done(st);
    return rc == ERR_NOT_FOUND ? 0 : rc;
}

/* Runs a statement bound with the user id alone (?1). */
static int exec_user(struct db *db, const char *sql, const char *user_id, const char *what)
{
    sqlite3_stmt *st = db_stmt(db, sql);
    if (!st)
        return ERR_INTERNAL;
    if (db_bind_text(st, 1, user_id) != 0) {
        db_stmt_done(st);
        return ERR_INTERNAL;
    }
    return db_exec_stmt(db, st, what);
}

/* The one integer a statement bound with the user id alone (?1) answers: 0 and *out;
 * ERR_NOT_FOUND (no row); ERR_INTERNAL. */
static int user_int64(struct db *db, const char *sql, const char *user_id, const char *what,
                      int64_t *out)
{
    sqlite3_stmt *st = db_stmt(db, sql);
    int rc;
    if (!st)
        return ERR_INTERNAL;
    if (db_bind_text(st, 1, user_id) != 0) {
        db_stmt_done(st);
        return ERR_INTERNAL;
    }
    if ((rc = db_step_one(db, st, what)) == 0)
        *out = sqlite3_column_int64(st, 0);
    db_stmt_done(st);
    return rc;
}

int tag_repo_put(struct db *db, const char *user_id, const char *kind, const char *id,
                 const char *const *tags, size_t n, const char *now, int64_t max_items,
                 bool *changed)
{
    char *text = NULL, *old = NULL;
    int64_t count = 0;
    sqlite3_stmt *st;
    int rc;

    *changed = false;
    if ((rc = uri_list_encode(tags, n, &text)) != 0)
        return rc;
    if ((rc = db_begin(db)) != 0)
        goto done;
    if ((rc = stored_text(db, user_id, kind, id, &old)) != 0)
        goto rollback;
    if (old && strcmp(old, text) == 0) {
        rc = db_commit(db); /* the same tags: nothing to write */
        goto done;
    }
    if (!old && ((rc = user_int64(db, STMT_COUNT, user_id, "tag_repo_put", &count)) != 0 ||
                 count >= max_items)) {
        rc = rc ? rc : ERR_CONFLICT;
        goto rollback;
    }
    rc = ERR_INTERNAL;
    if (!(st = db_stmt(db, STMT_UPSERT)))
        goto rollback;
    if (bind_key(st, user_id, kind, id) != 0 || db_bind_text(st, 4, text) != 0 ||
        db_bind_text(st, 5, now) != 0) {
        db_stmt_done(st);
        goto rollback;
    }
    if ((rc = db_exec_stmt(db, st, "tag_repo_put")) != 0 ||
        (rc = exec_user(db, STMT_BUMP, user_id, "tag_repo_put")) != 0)
        goto rollback;
    if ((rc = db_commit(db)) == 0)
        *changed = true;
    goto done;
rollback:
    db_rollback(db);
done:
    free(text);
    free(old);
    return rc;
}

int tag_repo_delete(struct db *db, const char *user_id, const char *kind, const char *id)
{
    sqlite3_stmt *st;
    int rc;
    if ((rc = db_begin(db)) != 0)
        return rc;
    rc = ERR_INTERNAL;
    if (!(st = db_stmt(db, STMT_DELETE)))
        goto rollback;
    if (bind_key(st, user_id, kind, id) != 0) {
        db_stmt_done(st);
        goto rollback;
    }
    if ((rc = db_exec_stmt(db, st, "tag_repo_delete")) != 0)
        goto rollback;
    if (db_changes(db) == 0) {
        rc = ERR_NOT_FOUND;
        goto rollback;
    }
    if ((rc = exec_user(db, STMT_BUMP, user_id, "tag_repo_delete")) != 0)
        goto rollback;
    return db_commit(db);
rollback:
    db_rollback(db);
    return rc;
}

int tag_repo_list(struct db *db, struct arena *a, const char *user_id, struct tag_item **items,
                  size_t *n)
{
    sqlite3_stmt *st = db_stmt(db, STMT_LIST);
    struct tag_item *list = NULL;
    size_t len = 0, cap = 0;
    int rc = 0, step;

    *items = NULL;
    *n = 0;
    if (!st)
        return ERR_INTERNAL;
    if (db_bind_text(st, 1, user_id) != 0) {
        db_stmt_done(st);
        return ERR_INTERNAL;
    }
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        if (len == cap) {
            /* Arena arrays grow by copying; doubling keeps it linear. */
            size_t ncap = cap ? cap * 2 : 64;
            struct tag_item *grown = arena_alloc(a, ncap * sizeof *grown);
            if (!grown) {
                rc = ERR_NOMEM;
                break;
            }
            if (len)
                memcpy(grown, list, len * sizeof *list);
            list = grown;
            cap = ncap;
        }
        struct tag_item *it = &list[len];
        const char **tags = NULL;
        if ((rc = db_col_dup(st, 0, a, &it->kind)) != 0 ||
            (rc = db_col_dup(st, 1, a, &it->id)) != 0 ||
            (rc = uri_list_decode(db_col_text(st, 2), a, &tags, &it->n_tags)) != 0)
            break;
        it->tags = tags;
        len++;
    }
    if (rc == 0 && step != SQLITE_DONE)
        rc = db_log_error(db, "tag_repo_list");
    db_stmt_done(st);
    if (rc == 0) {
        *items = list;
        *n = len;
    }
    return rc;
}

int tag_repo_version(struct db *db, const char *user_id, int64_t *version)
{
    int rc;
    *version = 0;
    rc = user_int64(db, STMT_VERSION, user_id, "tag_repo_version", version);
    return rc == ERR_NOT_FOUND ? 0 : rc;
}
