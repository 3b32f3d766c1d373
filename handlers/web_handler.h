#ifndef PLAYROUTER_WEB_HANDLER_H
#define PLAYROUTER_WEB_HANDLER_H
/* The browser app (API.md "Web app"), served from the files embedded at build time
 * (handlers/web_assets.h). Caching, decided in web/README.md:
 *   GET /                          web/index.html: Cache-Control: no-cache + ETag
 *   GET /assets/{build}/{file}     web/assets/<file>: one year, immutable + ETag
 *                                  (another build's id: 404, the URL never changes
 *                                  meaning once served)
 * Every answer carries a strict Content-Security-Policy (no inline script or style),
 * X-Content-Type-Options: nosniff and Referrer-Policy; If-None-Match with the current
 * ETag answers 304 without a body. Paths under /api/ never reach these handlers. */
#include "http/http.h"

#define WEB_CSP                                                                                    \
    "default-src 'self'; script-src 'self'; style-src 'self'; "                                    \
    "img-src 'self' data: https://i.scdn.co; connect-src 'self'; frame-ancestors 'none'; "         \
    "base-uri 'none'; form-action 'self'"

void web_handler_index(struct request *req, struct response *res);
void web_handler_asset(struct request *req, struct response *res);

#endif
