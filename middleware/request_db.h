#ifndef PLAYROUTER_REQUEST_DB_H
#define PLAYROUTER_REQUEST_DB_H
/* A request's database connection: taken from the pool (services/database.h) on
 * first use, kept for the rest of the request and given back when it completes
 * (request_on_complete). The HTTP core knows nothing of it. */
#include "http/http.h"

/* The request's connection; NULL when none is free within 5 s (answer 503). */
struct db *request_db(struct request *req);

/* Gives the request's connection back now (before a Spotify call, or before a parked
 * request waits); a later request_db() takes one again. No open transaction may be
 * left on it. Safe when none is held. */
void request_db_release(struct request *req);

/* request_db(), or NULL with the 503 answered ("no database connection is free"). */
struct db *request_db_or_503(struct request *req, struct response *res);

/* For a route that takes a JSON object body and the database: *body (caller frees with
 * json_decref(); NULL on failure) and the connection, or NULL with the answer given
 * (400 invalid_json, then 503). */
struct db *request_db_json(struct request *req, struct response *res, json_t **body);

#endif
