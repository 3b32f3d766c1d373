#ifndef PLAYROUTER_AUTH_MIDDLEWARE_H
#define PLAYROUTER_AUTH_MIDDLEWARE_H
#include "http/http.h"

/* Checks the session (Authorization: Bearer <jwt>, or the playrouter_session
 * cookie). On success sets req->user_id (and session fields) and returns 0; else
 * writes 401 unauthorized into res and returns ERR_UNAUTHORIZED. */
int auth_middleware_run(struct request *req, struct response *res);

#endif
