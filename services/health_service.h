#ifndef PLAYROUTER_HEALTH_SERVICE_H
#define PLAYROUTER_HEALTH_SERVICE_H
/* Readiness: a database connection can be had and the database answers, and Redis
 * where configured. */
#include "lib/report.h"

struct app;

/* How long readiness waits for a free database connection: a pool that no request can
 * get a connection from within this time is not ready (issue #12). */
#define HEALTH_DB_WAIT_MS 1000

/* 0 when ready; else ERR_UNAVAILABLE with the failing dependency named in rep. Takes
 * (and gives back) a connection of its own. */
int health_service_ready(struct app *app, struct report *rep);

#endif
