/* libcurl helpers shared by the HTTP clients (curl_util.h). */
#include "lib/curl_util.h"

#include "lib/util.h"

int64_t curl_util_retry_after_s(CURL *e)
{
    struct curl_header *h = NULL;
    int64_t v;
    if (curl_easy_header(e, "Retry-After", 0, CURLH_HEADER, -1, &h) != CURLHE_OK || !h)
        return -1;
    const char *s = h->value;
    while (*s == ' ')
        s++;
    return util_parse_int64(s, 0, INT32_MAX, &v) == 0 ? v : -1;
}
