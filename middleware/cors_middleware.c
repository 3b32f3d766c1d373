#include "middleware/cors_middleware.h"

/* Placeholder until CORS lands: no origin is allowed. */
int cors_middleware_preflight(struct request *req, struct response *res)
{
    (void)req;
    (void)res;
    return 0;
}

void cors_middleware_decorate(struct request *req, struct response *res)
{
    (void)req;
    (void)res;
}
