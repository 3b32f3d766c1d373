/* lib/memo: a text answers only for exactly its source, one entry per key, the
 * bounds in entries and bytes (oldest first), concurrent use. */
// clang-format off
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
// clang-format on
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "lib/app_err.h"
#include "lib/arena.h"
#include "lib/memo.h"

static const char *get(struct memo *m, struct arena *a, const char *key, const char *src)
{
    return memo_get(m, key, strlen(key), src, strlen(src), a);
}

static void put(struct memo *m, const char *key, const char *src, const char *text)
{
    memo_put(m, key, strlen(key), src, strlen(src), text);
}

static void test_memo_answers_only_for_the_same_source(void **state)
{
    struct memo *m = NULL;
    struct arena *a = arena_new();
    assert_int_equal(memo_new(8, 4096, &m), 0);
    assert_null(get(m, a, "e1", "v1"));
    put(m, "e1", "v1", "{\"text\":1}");
    assert_string_equal(get(m, a, "e1", "v1"), "{\"text\":1}");
    assert_null(get(m, a, "e1", "v2"));  /* the event changed: a miss */
    assert_null(get(m, a, "e1", "v"));   /* a prefix of the source is another source */
    assert_null(get(m, a, "e1", "v1x")); /* and so is a longer one */
    assert_null(get(m, a, "e2", "v1"));
    put(m, "e1", "v2", "{\"text\":2}"); /* one entry per key: replaced */
    assert_null(get(m, a, "e1", "v1"));
    assert_string_equal(get(m, a, "e1", "v2"), "{\"text\":2}");
    assert_int_equal(memo_count(m), 1);
    /* Sources are bytes: a NUL inside counts. */
    memo_put(m, "e3", 2, "a\0b", 3, "nul");
    assert_string_equal(memo_get(m, "e3", 2, "a\0b", 3, a), "nul");
    assert_null(memo_get(m, "e3", 2, "a\0c", 3, a));
    /* No memo: every call misses, puts do nothing. */
    assert_null(get(NULL, a, "e1", "v2"));
    put(NULL, "e1", "v2", "x");
    memo_free(m);
    memo_free(NULL);
    arena_free(a);
    assert_int_equal(memo_new(0, 4096, &m), ERR_VALIDATION);
}

static void test_memo_bounds_drop_the_oldest(void **state)
{
    struct memo *m = NULL;
    struct arena *a = arena_new();
    char key[16];
    assert_int_equal(memo_new(3, 1 << 20, &m), 0);
    for (int i = 0; i < 5; i++) {
        snprintf(key, sizeof key, "k%d", i);
        put(m, key, "s", key);
    }
    assert_int_equal(memo_count(m), 3);
    assert_null(get(m, a, "k0", "s"));
    assert_null(get(m, a, "k1", "s"));
    assert_string_equal(get(m, a, "k4", "s"), "k4");
    assert_string_equal(get(m, a, "k2", "s"), "k2");
    memo_free(m);

    /* Bytes: an entry bigger than the whole memo is not kept; big ones push out old ones. */
    char big[1500]; /* an entry of about 1,540 bytes: two do not fit in 3,000 */
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    assert_int_equal(memo_new(100, 3000, &m), 0);
    put(m, "small", "s", "t");
    char huge[4000];
    memset(huge, 'y', sizeof huge - 1);
    huge[sizeof huge - 1] = '\0';
    put(m, "huge", "s", huge);
    assert_null(get(m, a, "huge", "s"));
    assert_string_equal(get(m, a, "small", "s"), "t");
    put(m, "b1", "s", big);
    put(m, "b2", "s", big); /* small + b1 + b2 > 3000 bytes: small, then b1 leave */
    assert_null(get(m, a, "small", "s"));
    assert_null(get(m, a, "b1", "s"));
    assert_string_equal(get(m, a, "b2", "s"), big);
    assert_int_equal(memo_count(m), 1);
    memo_free(m);
    arena_free(a);
}

static struct memo *shared;

static void *hammer(void *arg)
{
    struct arena *a = arena_new();
    char key[16], src[16], text[32];
    int id = (int)(size_t)arg;
    for (int i = 0; i < 20000; i++) {
        snprintf(key, sizeof key, "k%d", i % 50);
        snprintf(src, sizeof src, "v%d", (i / 7) % 3);
        snprintf(text, sizeof text, "%s=%s", key, src);
        const char *got = get(shared, a, key, src);
        if (got && strcmp(got, text) != 0)
            return (void *)1; /* a text for another source: never */
        if (!got || (i + id) % 5 == 0)
            put(shared, key, src, text);
    }
    arena_free(a);
    return NULL;
}

static void test_memo_concurrent_use(void **state)
{
    pthread_t t[4];
    assert_int_equal(memo_new(32, 1 << 16, &shared), 0);
    for (size_t i = 0; i < 4; i++)
        assert_int_equal(pthread_create(&t[i], NULL, hammer, (void *)i), 0);
    for (size_t i = 0; i < 4; i++) {
        void *r;
        assert_int_equal(pthread_join(t[i], &r), 0);
        assert_null(r);
    }
    assert_true(memo_count(shared) <= 32);
    memo_free(shared);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_memo_answers_only_for_the_same_source),
        cmocka_unit_test(test_memo_bounds_drop_the_oldest),
        cmocka_unit_test(test_memo_concurrent_use),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
