#include "services/health_service.h"

#include <stdio.h>

#include "repositories/db.h"
#include "app/app.h"
#include "lib/app_err.h"
#include "services/cache/cache.h"

int health_service_ready(struct app *app, struct db *db, char *why, size_t whylen)
{
    if (!db || db_ping(db) != 0) {
        snprintf(why, whylen, "database unavailable");
        return ERR_UNAVAILABLE;
    }
    if (app->cache && cache_ping(app->cache) != 0) {
        snprintf(why, whylen, "redis unavailable");
        return ERR_UNAVAILABLE;
    }
    return 0;
}
