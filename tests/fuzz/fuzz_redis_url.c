/* libFuzzer target: PLAYROUTER_REDIS_URL's parser (services/cache/cache_redis_url.c).
 * Input: the URL. Oracles: 0 gives a non-empty host, a port 1..65535 and a db >= 0,
 * and a failure leaves the struct zeroed (as cache_internal.h says); release frees
 * all (ASan's leak check). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/app_err.h"
#include "services/cache/cache_internal.h"
#include "tests/fuzz/fuzz_input.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fuzz_input in = {data, size};
    char *url = fuzz_rest(&in);
    struct cache_redis_url u;
    if (!url)
        return 0;
    memset(&u, 0xA5, sizeof u); /* the parser must set every member */
    int rc = cache_redis_url_parse(url, &u);
    FUZZ_CHECK(rc == 0 || rc == ERR_VALIDATION || rc == ERR_NOMEM);
    if (rc == 0) {
        FUZZ_CHECK(u.host && u.host[0]);
        FUZZ_CHECK(u.port >= 1 && u.port <= 65535);
        FUZZ_CHECK(u.db >= 0);
        FUZZ_CHECK(!u.user || u.password); /* a user comes with a password */
    } else {
        FUZZ_CHECK(!u.host && !u.user && !u.password && u.port == 0 && u.db == 0);
    }
    cache_redis_url_release(&u);
    free(url);
    return 0;
}
