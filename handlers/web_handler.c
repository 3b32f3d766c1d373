/* Static files of the browser app (see web_handler.h). */
#include "handlers/web_handler.h"

#include <string.h>

#include "handlers/web_assets.h"
#include "lib/app_err.h"

#define CACHE_INDEX "no-cache"
#define CACHE_ASSET "public, max-age=31536000, immutable"

static const struct {
    const char *ext;
    const char *type;
} TYPES[] = {
    {".html", "text/html; charset=utf-8"},
    {".js", "text/javascript; charset=utf-8"},
    {".css", "text/css; charset=utf-8"},
    {".svg", "image/svg+xml"},
    {".png", "image/png"},
    {".ico", "image/x-icon"},
    {".json", "application/json; charset=utf-8"},
    {".txt", "text/plain; charset=utf-8"},
    {".woff2", "font/woff2"},
};

static const char *content_type(const char *path)
{
    const char *dot = strrchr(path, '.');
    for (size_t i = 0; dot && i < sizeof TYPES / sizeof TYPES[0]; i++)
        if (strcmp(dot, TYPES[i].ext) == 0)
            return TYPES[i].type;
    return "application/octet-stream";
}

static const struct web_asset *find(const char *path)
{
    for (const struct web_asset *a = web_assets; a->path; a++)
        if (strcmp(a->path, path) == 0)
            return a;
    return NULL;
}

/* 1 when If-None-Match names etag (or is "*"). A weak comparison, as RFC 9110 asks
 * for If-None-Match: W/"x" matches "x". */
static int not_modified(struct request *req, const char *etag)
{
    const char *inm = request_header(req, "If-None-Match");
    if (!inm)
        return 0;
    if (strcmp(inm, "*") == 0)
        return 1;
    return strstr(inm, etag) != NULL;
}

static void serve(struct request *req, struct response *res, const struct web_asset *a,
                  const char *cache_control)
{
    response_header(res, "Cache-Control", cache_control);
    response_header(res, "ETag", a->etag);
    response_header(res, "Content-Security-Policy", WEB_CSP);
    response_header(res, "X-Content-Type-Options", "nosniff");
    response_header(res, "Referrer-Policy", "same-origin");
    buf_reset(&res->body);
    if (not_modified(req, a->etag)) {
        res->status = 304;
        res->content_type = NULL;
        return;
    }
    res->status = 200;
    res->content_type = content_type(a->path);
    if (buf_append(&res->body, a->data, a->len) != 0)
        response_error(res, ERR_NOMEM);
}

void web_handler_index(struct request *req, struct response *res)
{
    const struct web_asset *a = find("index.html");
    if (!a) {
        response_error_msg(res, ERR_NOT_FOUND, "this build has no browser app");
        return;
    }
    serve(req, res, a, CACHE_INDEX);
}

void web_handler_asset(struct request *req, struct response *res)
{
    const char *build = request_param(req, "build");
    const char *file = request_param(req, "file");
    const struct web_asset *a = NULL;
    char path[256];

    if (build && file && strcmp(build, web_build_id) == 0 && strlen(file) < sizeof path - 8) {
        memcpy(path, "assets/", 7);
        memcpy(path + 7, file, strlen(file) + 1);
        a = find(path);
    }
    if (!a) {
        response_error_msg(res, ERR_NOT_FOUND, "no asset %s", req->path);
        return;
    }
    serve(req, res, a, CACHE_ASSET);
}
