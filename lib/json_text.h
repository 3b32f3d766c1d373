#ifndef PLAYROUTER_JSON_TEXT_H
#define PLAYROUTER_JSON_TEXT_H
/* JSON text that is whole or absent, in both directions. Out of memory, jansson 2.14
 * answers wrong rather than not at all (found by tests/oom/): json_dumps() ignores a
 * failed allocation while it prints an object's key and returns text such as
 * {"code:"x"}; json_loads() ignores one while it saves a token's bytes and returns
 * strings with bytes missing ("child_playlistid"). Every JSON text we send, store or
 * hash is printed with json_text_dump(), and every one we read is parsed with
 * json_text_loadb() / json_text_loads(), which answer NULL instead. */
#include <jansson.h>

/* json_dumps(j, flags), except that it returns NULL whenever any part of the printing
 * failed (out of memory, or a value jansson refuses to print). Caller frees with free(). */
char *json_text_dump(const json_t *j, size_t flags);

/* Routes jansson's allocations through malloc() with a note of any failure (per thread);
 * call once at start-up, before threads start. Without it the loaders below are
 * json_loadb()/json_loads() as they are. */
void json_text_install(void);

/* json_loadb()/json_loads(), except that a parse during which an allocation failed
 * answers NULL (err, if given, says "out of memory" with json_error_out_of_memory). */
json_t *json_text_loadb(const char *buf, size_t len, size_t flags, json_error_t *err);
json_t *json_text_loads(const char *text, size_t flags, json_error_t *err);

#endif
