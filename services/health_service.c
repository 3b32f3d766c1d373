#include "services/health_service.h"

#include <stdio.h>

#include "repositories/db.h"
#include "app/app.h"
#include "lib/app_err.h"
#include "services/cache/cache.h"
#include "services/database.h"

int health_service_ready(struct app *app, char *why, size_t whylen)
{
    struct db *db = database_acquire(app, HEALTH_DB_WAIT_MS);
    if (!db) {
        snprintf(why, whylen, "no database connection is free (all in use)");
        return ERR_UNAVAILABLE;
    }
    int rc = db_ping(db);
    database_release(app, db);
    if (rc != 0) {
        snprintf(why, whylen, "database unavailable");
        return ERR_UNAVAILABLE;
    }
    if (app->cache && cache_ping(app->cache) != 0) {
        snprintf(why, whylen, "redis unavailable");
        return ERR_UNAVAILABLE;
    }
    return 0;
}
