/* Uri lists as stored JSON text. */
#include "repositories/uri_list.h"

#include <jansson.h>
#include <stdlib.h>

#include "lib/app_err.h"
#include "lib/json_text.h"

int uri_list_encode(const char *const *uris, size_t n, char **out)
{
    int rc = ERR_NOMEM;
    json_t *arr = json_array();

    *out = NULL;
    if (!arr)
        goto done;
    for (size_t i = 0; i < n; i++)
        if (json_array_append_new(arr, uris[i] ? json_string(uris[i]) : json_null()) != 0)
            goto done;
    if ((*out = json_text_dump(arr, JSON_COMPACT)) != NULL)
        rc = 0;
done:
    json_decref(arr);
    return rc;
}

int uri_list_decode(const char *json, struct arena *a, const char ***uris, size_t *n)
{
    int rc = ERR_INTERNAL;
    json_t *arr = json ? json_text_loads(json, 0, NULL) : NULL;
    const char **list = NULL;

    *uris = NULL;
    *n = 0;
    if (!json_is_array(arr))
        goto done;
    size_t len = json_array_size(arr);
    if (len > 0 && !(list = arena_alloc(a, len * sizeof *list))) {
        rc = ERR_NOMEM;
        goto done;
    }
    for (size_t i = 0; i < len; i++) {
        json_t *v = json_array_get(arr, i);
        if (json_is_null(v))
            continue; /* arena memory is zeroed: stays NULL */
        if (!json_is_string(v))
            goto done;
        if (!(list[i] = arena_strndup(a, json_string_value(v), json_string_length(v)))) {
            rc = ERR_NOMEM;
            goto done;
        }
    }
    *uris = list;
    *n = len;
    rc = 0;
done:
    json_decref(arr);
    return rc;
}
