#ifndef PLAYROUTER_MIGRATION_H
#define PLAYROUTER_MIGRATION_H
/* Schema migrations: migrations/NNN_name.sql, embedded at build time
 * (cmake/embed_migrations.cmake), applied in name order, each in its own
 * transaction, recorded in schema_migrations with a SHA-256 checksum. */
#include <sqlite3.h>
#include <stddef.h>

#include "lib/report.h"

struct migration {
    const char *name; /* "001_init.sql" */
    const char *sql;
};

/* The embedded list, terminated by {NULL, NULL}. */
extern const struct migration migrations_embedded[];

/* Applies every migration of `list` (terminated by {NULL, NULL}) not yet recorded.
 * Re-running is a no-op. A recorded migration whose text changed, or a recorded
 * migration that `list` lacks, is refused: returns -1 and says why in rep (may be NULL).
 * *applied_out (may be NULL) receives how many were applied now. */
int migration_apply_all(sqlite3 *db, const struct migration *list, int *applied_out,
                        struct report *rep);

#endif
