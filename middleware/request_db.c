#include "middleware/request_db.h"

#include "services/database.h"

#define REQUEST_DB_WAIT_MS 5000

static void release(struct request *req)
{
    database_release(req->app, req->db_conn);
    req->db_conn = NULL;
}

struct db *request_db(struct request *req)
{
    if (req->db_conn)
        return req->db_conn;
    req->db_conn = database_acquire(req->app, REQUEST_DB_WAIT_MS);
    if (req->db_conn && request_on_complete(req, release) != 0) {
        database_release(req->app, req->db_conn); /* cannot promise to give it back */
        req->db_conn = NULL;
    }
    return req->db_conn;
}

void request_db_done(struct request *req)
{
    release(req); /* the completion cleanup then finds nothing to give back */
}
