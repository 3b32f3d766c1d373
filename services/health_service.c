#include "services/health_service.h"

#include "repositories/db.h"
#include "app/app.h"
#include "lib/app_err.h"
#include "services/cache/cache.h"
#include "services/database.h"

int health_service_ready(struct app *app, struct report *rep)
{
    struct db *db = database_acquire(app, HEALTH_DB_WAIT_MS);
    if (!db) {
        report_message(rep, "no database connection is free (all in use)");
        return ERR_UNAVAILABLE;
    }
    int rc = db_ping(db);
    database_release(app, db);
    if (rc != 0) {
        report_message(rep, "database unavailable");
        return ERR_UNAVAILABLE;
    }
    if (app->cache && cache_ping(app->cache) != 0) {
        report_message(rep, "redis unavailable");
        return ERR_UNAVAILABLE;
    }
    return 0;
}
