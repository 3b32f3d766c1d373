/* libFuzzer target: the session token parser (services/auth/session_service.c), through
 * its public verify function: what arrives in "Authorization: Bearer <jwt>" or the
 * playrouter_session cookie. First input byte:
 *   even: the rest is a token, verified as it is (must not crash; 0 or ERR_UNAUTHORIZED
 *         with a reason; accepted claims are within their documented sizes);
 *   odd:  a real token is issued for a drawn user id, lifetime and time, then one drawn
 *         byte may be changed and it is verified at a drawn moment. Oracles: unchanged
 *         and within [iat - skew, exp + skew] -> accepted with the same sub and jti;
 *         a changed byte in the signed part (header.payload) -> refused. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/app_err.h"
#include "services/auth/session_service.h"
#include "tests/fuzz/fuzz_input.h"

static const unsigned char KEY[] = "fuzz-key-0123456789abcdef-0123456789abcdef";

static void verify_raw(struct fuzz_input *in)
{
    char *token = fuzz_rest(in);
    struct session_claims c;
    const char *why = NULL;
    if (!token)
        return;
    int rc = session_service_verify(KEY, sizeof KEY - 1, token, 1800000000, &c, &why);
    FUZZ_CHECK(rc == 0 || rc == ERR_UNAUTHORIZED || rc == ERR_NOMEM);
    if (rc == ERR_UNAUTHORIZED)
        FUZZ_CHECK(why && why[0]);
    if (rc == 0)
        FUZZ_CHECK(c.sub[0] && strlen(c.sub) <= SESSION_ID_MAX && strlen(c.jti) <= SESSION_ID_MAX);
    free(token);
}

static void issue_and_tamper(struct fuzz_input *in)
{
    char *user = fuzz_str(in, SESSION_ID_MAX + 2);
    int64_t now = 1700000000 + (int64_t)fuzz_below(in, 200000000);
    int64_t ttl = (int64_t)fuzz_below(in, 10000000) - 10;
    int64_t later = now + (int64_t)fuzz_below(in, 20000000) - 1000;
    char *token = NULL;
    struct session_claims issued, got;
    const char *why = NULL;
    if (!user)
        return;
    int rc = session_service_issue(KEY, sizeof KEY - 1, user, now, ttl, &token, &issued);
    if (rc != 0) { /* ERR_INTERNAL: jansson refuses a user id that is not UTF-8 */
        FUZZ_CHECK(rc == ERR_VALIDATION || rc == ERR_NOMEM || rc == ERR_INTERNAL);
        free(user);
        return;
    }
    size_t len = strlen(token), signed_len = (size_t)(strrchr(token, '.') - token);
    size_t at = fuzz_below(in, len + 1); /* == len: no change */
    unsigned char was = at < len ? (unsigned char)token[at] : 0;
    if (at < len)
        token[at] = (char)fuzz_u8(in);
    bool changed = at < len && (unsigned char)token[at] != was;
    if (changed && token[at] == '\0')
        signed_len = at; /* the token now ends there: still a change of the signed part */
    rc = session_service_verify(KEY, sizeof KEY - 1, token, later, &got, &why);
    if (!changed && later >= now - SESSION_MAX_SKEW_S && later <= now + ttl + SESSION_MAX_SKEW_S) {
        FUZZ_CHECK(rc == 0);
        FUZZ_CHECK(strcmp(got.sub, issued.sub) == 0 && strcmp(got.jti, issued.jti) == 0);
        FUZZ_CHECK(got.exp == issued.exp && got.iat == issued.iat);
    }
    if (changed && at <= signed_len)
        FUZZ_CHECK(rc != 0);
    free(token);
    free(user);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fuzz_input in = {data, size};
    if (fuzz_u8(&in) & 1)
        issue_and_tamper(&in);
    else
        verify_raw(&in);
    return 0;
}
