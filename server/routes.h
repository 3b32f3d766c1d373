#ifndef PLAYROUTER_ROUTES_H
#define PLAYROUTER_ROUTES_H
/* The application's route table and the dispatcher that runs the middleware
 * chain (CORS, auth, sync lock) before a route's handler. */
#include <stddef.h>

#include "http/router.h"

extern const struct route routes_table[];
extern const size_t routes_count;

/* Answers one request: 404/405 as API.md, middleware, then the handler. */
void routes_dispatch(struct request *req, struct response *res);

#endif
