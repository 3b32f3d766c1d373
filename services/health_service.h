#ifndef PLAYROUTER_HEALTH_SERVICE_H
#define PLAYROUTER_HEALTH_SERVICE_H
/* Readiness: the database answers, and Redis where configured. */
#include <stddef.h>

struct app;
struct db;

/* 0 when ready; else ERR_UNAVAILABLE with the failing dependency named in why. */
int health_service_ready(struct app *app, struct db *db, char *why, size_t whylen);

#endif
