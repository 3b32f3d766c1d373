#ifndef PLAYROUTER_CURL_UTIL_H
#define PLAYROUTER_CURL_UTIL_H
/* Small libcurl helpers shared by the HTTP clients of services/ (Spotify, MusicBrainz). */
#include <curl/curl.h>
#include <stdint.h>

/* The Retry-After header of the last answer on `e`, in seconds; -1 when it is absent or
 * not a number of seconds (an HTTP date is not followed: both services send seconds). */
int64_t curl_util_retry_after_s(CURL *e);

#endif
