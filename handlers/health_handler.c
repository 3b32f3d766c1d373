#include "handlers/health_handler.h"

#include "app/app.h"
#include "lib/app_err.h"
#include "lib/metrics.h"
#include "services/health_service.h"

void health_handler_healthz(struct request *req, struct response *res)
{
    response_json(res, 200, json_pack("{s:s}", "status", "ok"));
}

void health_handler_readyz(struct request *req, struct response *res)
{
    struct report rep = {0};
    if (health_service_ready(req->app, &rep) != 0)
        response_error_msg(res, ERR_UNAVAILABLE, "not ready: %s", report_text(&rep));
    else
        response_json(res, 200, json_pack("{s:s}", "status", "ready"));
    report_release(&rep);
}

void health_handler_metrics(struct request *req, struct response *res)
{
    struct buf out = BUF_INIT;
    if (metrics_render(req->app->metrics, &out) != 0) {
        buf_release(&out);
        response_error(res, ERR_NOMEM);
        return;
    }
    response_text(res, 200, "text/plain; version=0.0.4; charset=utf-8", out.data ? out.data : "");
    buf_release(&out);
}
