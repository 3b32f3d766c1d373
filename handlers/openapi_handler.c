#include "handlers/openapi_handler.h"

void openapi_handler_get(struct request *req, struct response *res)
{
    (void)req;
    /* The document changes only with the binary: clients may keep it for a while. */
    response_header(res, "Cache-Control", "public, max-age=300");
    response_text(res, 200, "application/json; charset=utf-8", openapi_document);
}
