#ifndef PLAYROUTER_WEB_ASSETS_H
#define PLAYROUTER_WEB_ASSETS_H
/* The browser app's files, embedded into the binary at build time by
 * cmake/embed_web.cmake from web/index.html and every file of web/assets (web/README.md). */
#include <stddef.h>

struct web_asset {
    const char *path;          /* "index.html" or "assets/<name>" */
    const unsigned char *data; /* len bytes (plus a NUL that is not part of the file) */
    size_t len;
    const char *etag; /* a strong ETag, quoted: "\"<hash of the content>\"" */
};

/* Terminated by {NULL, NULL, 0, NULL}. */
extern const struct web_asset web_assets[];
/* A hash of every embedded file (12 hex digits): the <build> of /assets/<build>/<name>. */
extern const char web_build_id[];

#endif
