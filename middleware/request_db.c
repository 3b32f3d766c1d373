#include "middleware/request_db.h"

#include "lib/app_err.h"
#include "services/database.h"

#define REQUEST_DB_WAIT_MS 5000

static void release(struct request *req)
{
    database_release(req->app, req->db_conn);
    req->db_conn = NULL;
}

/* Whether release() is already registered for this request (once is enough: it
 * gives back whatever the request holds when it completes). */
static int registered(const struct request *req)
{
    for (int i = 0; i < req->ncleanups; i++)
        if (req->cleanups[i] == release)
            return 1;
    return 0;
}

struct db *request_db(struct request *req)
{
    if (req->db_conn)
        return req->db_conn;
    req->db_conn = database_acquire(req->app, REQUEST_DB_WAIT_MS);
    if (req->db_conn && !registered(req) && request_on_complete(req, release) != 0) {
        database_release(req->app, req->db_conn); /* cannot promise to give it back */
        req->db_conn = NULL;
    }
    return req->db_conn;
}

void request_db_release(struct request *req)
{
    if (req->db_conn)
        release(req);
}

struct db *request_db_or_503(struct request *req, struct response *res)
{
    struct db *db = request_db(req);
    if (!db)
        response_error_msg(res, ERR_UNAVAILABLE, "no database connection is free");
    return db;
}

struct db *request_db_json(struct request *req, struct response *res, json_t **body)
{
    int rc = request_json(req, body);
    if (rc != 0) {
        response_error(res, rc);
        return NULL;
    }
    return request_db_or_503(req, res);
}
