#include "services/database.h"

#include <stddef.h>

#include "app/app.h"
#include "repositories/db.h"

struct db *database_acquire(struct app *app, int timeout_ms)
{
    return app && app->db ? db_pool_acquire(app->db, timeout_ms) : NULL;
}

void database_release(struct app *app, struct db *db)
{
    if (db)
        db_pool_release(app->db, db);
}

int database_lend(struct app *app, struct db *db)
{
    return app && app->db && db ? db_pool_lend(app->db, db) : -1;
}

int database_reclaim(struct app *app, struct db *db, int lent)
{
    if (lent != 0)
        return 0; /* it was kept */
    return db_pool_reclaim(app->db, db, DATABASE_RECLAIM_WAIT_MS);
}
