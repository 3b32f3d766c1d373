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
