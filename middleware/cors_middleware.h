#ifndef PLAYROUTER_CORS_MIDDLEWARE_H
#define PLAYROUTER_CORS_MIDDLEWARE_H
#include "http/http.h"

/* Answers a CORS preflight (OPTIONS with Origin + Access-Control-Request-Method):
 * returns 1 when it wrote the response, 0 when the request goes on. */
int cors_middleware_preflight(struct request *req, struct response *res);
/* 1 when origin is one of PLAYROUTER_CORS_ORIGINS (as this module compares them). */
struct config;
int cors_middleware_origin_listed(const struct config *cfg, const char *origin);
/* Adds the CORS headers to any response for an allowed Origin. */
void cors_middleware_decorate(struct request *req, struct response *res);

#endif
