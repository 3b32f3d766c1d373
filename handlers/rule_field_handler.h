#ifndef PLAYROUTER_RULE_FIELD_HANDLER_H
#define PLAYROUTER_RULE_FIELD_HANDLER_H
#include "http/http.h"

/* GET /api/rule-fields (an extension of API.md, docs/web.md) -> 200
 * {"api_mode": "development"|"extended", "items": [{"field", "type":
 * "string"|"number"|"date"|"bool", "several": bool, "available": bool, "reason": null |
 * "…"}…]}: every field of the rule language, in the order of the rule engine's table,
 * and whether this server's SPOTIFY_API_MODE serves it (the reason is the message a
 * rule on it would be refused with). The web app's rule builder shows the unavailable
 * ones disabled, with the reason. Needs a session like every /api route. */
void rule_field_handler_list(struct request *req, struct response *res);

#endif
