#ifndef PLAYROUTER_OPENAPI_HANDLER_H
#define PLAYROUTER_OPENAPI_HANDLER_H
/* GET /api/openapi.json (API.md "Operations"): the HTTP contract as an OpenAPI 3.1
 * document. The document is docs/openapi.json, embedded at build time; a test checks
 * that it names exactly the routes of server/routes.c and e2e tests validate real
 * answers against its schemas. */
#include <stddef.h>

#include "http/http.h"

extern const char openapi_document[]; /* NUL-terminated JSON */
extern const size_t openapi_document_len;

void openapi_handler_get(struct request *req, struct response *res);

#endif
