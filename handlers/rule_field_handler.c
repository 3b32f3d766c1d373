/* GET /api/rule-fields (see the header). */
#include "handlers/rule_field_handler.h"

#include "app/app.h"
#include "lib/app_err.h"
#include "app/config.h"
#include "services/rules/rule.h"

static const char *type_name(enum rule_type t)
{
    switch (t) {
    case RULE_TYPE_NUMBER:
        return "number";
    case RULE_TYPE_DATE:
        return "date";
    case RULE_TYPE_BOOL:
        return "bool";
    default:
        return "string";
    }
}

void rule_field_handler_list(struct request *req, struct response *res)
{
    /* The mode, and MusicBrainz on or off (genre in development mode, original_year). */
    unsigned env = rule_env(req->app->cfg->spotify_mode, req->app->cfg->musicbrainz_base != NULL);
    json_t *items = json_array();
    struct report why = {0};

    for (int id = 0; items && id < RULE_FIELD_COUNT; id++) {
        const struct rule_field *f = rule_field_by_id((enum rule_field_id)id);
        report_release(&why);
        int rc = rule_field_check_mode(f, env, &why);
        json_t *o = json_pack("{s:s, s:s, s:b, s:b, s:s?}", "field", f->name, "type",
                              type_name(f->type), "several", f->type == RULE_TYPE_STRINGS,
                              "available", rc == 0, "reason", rc == 0 ? NULL : report_text(&why));
        if (!o || json_array_append_new(items, o) != 0) {
            json_decref(items);
            items = NULL;
        }
    }
    report_release(&why);
    json_t *body = items ? json_pack("{s:s, s:o}", "api_mode", req->app->cfg->spotify_api_mode_name,
                                     "items", items)
                         : NULL;
    if (!body) {
        response_error(res, ERR_NOMEM);
        return;
    }
    response_json(res, 200, body);
}
