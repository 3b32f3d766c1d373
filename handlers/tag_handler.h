#ifndef PLAYROUTER_TAG_HANDLER_H
#define PLAYROUTER_TAG_HANDLER_H
/* HTTP side of /api/tags (API.md "Tags"): parses requests, calls services/tags, writes
 * {"kind", "id", "tags"} items. */
#include "http/http.h"

void tag_handler_list(struct request *req, struct response *res);   /* GET    /api/tags */
void tag_handler_get(struct request *req, struct response *res);    /* GET    .../{kind}/{id} */
void tag_handler_put(struct request *req, struct response *res);    /* PUT    .../{kind}/{id} */
void tag_handler_delete(struct request *req, struct response *res); /* DELETE .../{kind}/{id} */

#endif
