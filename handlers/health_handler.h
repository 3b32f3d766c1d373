#ifndef PLAYROUTER_HEALTH_HANDLER_H
#define PLAYROUTER_HEALTH_HANDLER_H
#include "http/http.h"

/* GET /healthz -> 200 {"status":"ok"} while the process serves. */
void health_handler_healthz(struct request *req, struct response *res);
/* GET /readyz -> 200 {"status":"ready"} or 503 unavailable naming the dependency. */
void health_handler_readyz(struct request *req, struct response *res);
/* GET /metrics -> Prometheus text format. */
void health_handler_metrics(struct request *req, struct response *res);

#endif
