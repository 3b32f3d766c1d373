/* lib/hash: the one hash table, checked against a plain array on random operations
 * (inserts, lookups, removals that shift runs across the end of the table), sized
 * tables that never grow, arena tables, iteration. */
// clang-format off
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
// clang-format on
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/app_err.h"
#include "lib/arena.h"
#include "lib/hash.h"

#define NKEYS 600

static char keys[NKEYS][16];
static int vals[NKEYS];

static void make_keys(void)
{
    for (int i = 0; i < NKEYS; i++) {
        snprintf(keys[i], sizeof keys[i], "k%d", i * 7919 % 100003);
        vals[i] = i;
    }
}

static uint64_t rng = 88172645463325252ULL;
static unsigned next_rand(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (unsigned)rng;
}

/* The table holds exactly the keys marked in `in`, each with its own value. */
static void expect_same(const struct hash *h, const bool *in)
{
    size_t n = 0, pos = 0;
    for (int i = 0; i < NKEYS; i++) {
        void *v = hash_get(h, keys[i], strlen(keys[i]));
        if (in[i]) {
            assert_ptr_equal(v, &vals[i]);
            n++;
        } else {
            assert_null(v);
        }
    }
    assert_int_equal(h->count, n);
    size_t seen = 0;
    for (struct hash_slot *s; (s = hash_next(h, &pos));) {
        int i = *(int *)s->value;
        assert_true(in[i]);
        assert_ptr_equal(s->key, keys[i]);
        seen++;
    }
    assert_int_equal(seen, n);
}

static void random_ops(struct hash *h)
{
    bool in[NKEYS] = {false};
    for (int round = 0; round < 20000; round++) {
        int i = (int)(next_rand() % NKEYS);
        bool created;
        if (next_rand() % 3 != 0) {
            struct hash_slot *s = hash_insert(h, keys[i], strlen(keys[i]), &created);
            assert_non_null(s);
            assert_int_equal(created, !in[i]);
            if (created)
                s->value = &vals[i];
            assert_ptr_equal(s->value, &vals[i]);
            in[i] = true;
        } else {
            void *v = hash_remove(h, keys[i], strlen(keys[i]));
            assert_ptr_equal(v, in[i] ? &vals[i] : NULL);
            in[i] = false;
        }
        if (round % 997 == 0)
            expect_same(h, in);
    }
    expect_same(h, in);
    /* Remove everything: the table is empty again. */
    for (int i = 0; i < NKEYS; i++)
        if (in[i])
            assert_ptr_equal(hash_remove(h, keys[i], strlen(keys[i])), &vals[i]);
    memset(in, 0, sizeof in);
    expect_same(h, in);
}

static void test_hash_matches_a_reference_on_random_operations(void **state)
{
    struct hash h = HASH_INIT;
    make_keys();
    random_ops(&h); /* grows from nothing */
    hash_release(&h);
    assert_int_equal(h.count, 0);
    assert_int_equal(hash_init(&h, 4, 12345, NULL), 0); /* seeded, grows past 4 */
    random_ops(&h);
    hash_release(&h);
}

static void test_hash_sized_table_never_grows(void **state)
{
    struct hash h;
    bool created;
    make_keys();
    assert_int_equal(hash_init(&h, 100, 0, NULL), 0);
    size_t cap = h.cap;
    assert_true(cap * 3 / 4 >= 100);
    for (int i = 0; i < 100; i++)
        hash_insert(&h, keys[i], strlen(keys[i]), &created)->value = &vals[i];
    assert_int_equal(h.cap, cap);
    /* Removing and inserting other keys at full size does not grow it either. */
    for (int i = 0; i < 100; i++) {
        assert_ptr_equal(hash_remove(&h, keys[i], strlen(keys[i])), &vals[i]);
        hash_insert(&h, keys[i + 100], strlen(keys[i + 100]), &created)->value = &vals[i + 100];
        assert_true(created);
    }
    assert_int_equal(h.cap, cap);
    assert_int_equal(h.count, 100);
    hash_release(&h);
}

static void test_hash_in_an_arena(void **state)
{
    struct arena *a = arena_new();
    struct hash h;
    make_keys();
    assert_int_equal(hash_init(&h, 2, 0, a), 0);
    random_ops(&h); /* grows inside the arena; nothing to free but the arena */
    hash_release(&h);
    arena_free(a);
}

static void test_hash_keys_are_bytes(void **state)
{
    struct hash h = HASH_INIT;
    bool created;
    /* Keys with NUL bytes, a key that is a prefix of another, the empty key. */
    static const char k1[] = {'a', 0, 'b'}, k2[] = {'a', 0, 'c'};
    hash_insert(&h, k1, 3, &created)->value = (void *)"one";
    hash_insert(&h, k2, 3, &created)->value = (void *)"two";
    hash_insert(&h, "a", 1, &created)->value = (void *)"three";
    hash_insert(&h, "", 0, &created)->value = (void *)"four";
    assert_string_equal(hash_get(&h, k1, 3), "one");
    assert_string_equal(hash_get(&h, k2, 3), "two");
    assert_string_equal(hash_get(&h, "a", 1), "three");
    assert_string_equal(hash_get(&h, "", 0), "four");
    assert_null(hash_get(&h, "a", 2));
    assert_null(hash_get(&h, "b", 1));
    assert_int_equal(h.count, 4);
    hash_release(&h);
    /* An empty table answers lookups and removals without memory. */
    assert_null(hash_get(&h, "a", 1));
    assert_null(hash_remove(&h, "a", 1));
}

static void test_hash_values_depend_on_seed_and_every_byte(void **state)
{
    assert_int_equal(hash_str("playrouter"), hash_bytes("playrouter", 10, 0));
    assert_int_not_equal(hash_bytes("playrouter", 10, 0), hash_bytes("playrouter", 10, 1));
    assert_int_not_equal(hash_bytes("ab", 2, 0), hash_bytes("ba", 2, 0));
    /* The low bits (the ones a table uses) change with the first byte alone. */
    unsigned seen = 0;
    for (int c = 0; c < 64; c++) {
        char k[4] = {(char)c, 'x', 'y', 'z'};
        seen |= 1u << (hash_bytes(k, 4, 0) & 15);
    }
    assert_true(__builtin_popcount(seen) >= 12);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hash_matches_a_reference_on_random_operations),
        cmocka_unit_test(test_hash_sized_table_never_grows),
        cmocka_unit_test(test_hash_in_an_arena),
        cmocka_unit_test(test_hash_keys_are_bytes),
        cmocka_unit_test(test_hash_values_depend_on_seed_and_every_byte),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
