/* Tests of services/write_plan.c: unit cases and a property test on random pairs
 * (apply(plan(C, T), C) == T, and the number of calls stays within the bound). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "lib/app_err.h"
#include "services/spotify/write_plan.h"

#define POOL 1200
static char pool_buf[POOL][32];
static const char *pool[POOL];

static int setup_pool(void **state)
{
    (void)state;
    for (int i = 0; i < POOL; i++) {
        snprintf(pool_buf[i], sizeof(pool_buf[i]), "spotify:track:%06d", i);
        pool[i] = pool_buf[i];
    }
    return 0;
}

/* Deterministic xorshift so failures reproduce. */
static uint64_t rng_state = 88172645463325252ULL;
static uint64_t rnd(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}
static size_t rnd_below(size_t n)
{
    return n ? (size_t)(rnd() % n) : 0;
}

static size_t ceil100(size_t n)
{
    return (n + 99) / 100;
}

/* Plans, checks apply(plan) == target and the bound, returns the number of ops. */
static size_t check_plan(const char *const *cur, size_t m, const char *const *tgt, size_t n,
                         struct write_plan *keep)
{
    struct write_plan p = WRITE_PLAN_INIT;
    const char **res = NULL;
    size_t nres = 0;

    assert_int_equal(write_plan_build(cur, m, tgt, n, &p), 0);
    assert_int_equal(write_plan_apply(&p, cur, m, &res, &nres), 0);
    if (nres != n) {
        fprintf(stderr, "strategy %s: got %zu entries, want %zu\n",
                write_plan_strategy_name(p.strategy), nres, n);
    }
    assert_int_equal(nres, n);
    for (size_t i = 0; i < n; i++)
        assert_string_equal(res[i], tgt[i]);
    assert_true(p.n_ops <= write_plan_bound(cur, m, tgt, n));
    for (size_t i = 0; i < p.n_ops; i++) {
        const struct write_op *op = &p.ops[i];
        if (op->kind != WRITE_OP_REORDER)
            assert_true(op->n_uris <= WRITE_PLAN_CHUNK);
        if (op->kind == WRITE_OP_ADD || op->kind == WRITE_OP_REMOVE)
            assert_true(op->n_uris >= 1);
        if (op->kind == WRITE_OP_REPLACE)
            assert_int_equal(i, 0);
    }
    free(res);
    size_t n_ops = p.n_ops;
    if (keep)
        *keep = p;
    else
        write_plan_release(&p);
    return n_ops;
}

static void test_write_plan_equal_is_no_call(void **state)
{
    (void)state;
    assert_int_equal(check_plan(pool, 250, pool, 250, NULL), 0);
    assert_int_equal(check_plan(NULL, 0, NULL, 0, NULL), 0);
    assert_int_equal(write_plan_bound(pool, 3, pool, 3), 0);
}

static void test_write_plan_append(void **state)
{
    (void)state;
    struct write_plan p;
    assert_int_equal(check_plan(pool, 10, pool, 15, &p), 1);
    assert_int_equal(p.ops[0].kind, WRITE_OP_ADD);
    assert_int_equal(p.ops[0].position, 10);
    assert_int_equal(p.ops[0].n_uris, 5);
    assert_int_equal(p.added, 5);
    assert_int_equal(p.removed, 0);
    write_plan_release(&p);
}

static void test_write_plan_append_chunks_of_100(void **state)
{
    (void)state;
    struct write_plan p;
    /* empty playlist, 250 wanted: 3 POSTs at 0, 100, 200 */
    assert_int_equal(check_plan(NULL, 0, pool, 250, &p), 3);
    for (size_t i = 0; i < 3; i++) {
        assert_int_equal(p.ops[i].kind, WRITE_OP_ADD);
        assert_int_equal(p.ops[i].position, 100 * i);
    }
    assert_int_equal(p.ops[2].n_uris, 50);
    write_plan_release(&p);
}

static void test_write_plan_remove(void **state)
{
    (void)state;
    const char *cur[] = {pool[0], pool[1], pool[2], pool[3], pool[4]};
    const char *tgt[] = {pool[0], pool[2], pool[4]};
    struct write_plan p;
    assert_int_equal(check_plan(cur, 5, tgt, 3, &p), 1);
    assert_int_equal(p.ops[0].kind, WRITE_OP_REMOVE);
    assert_int_equal(p.ops[0].n_uris, 2);
    assert_int_equal(p.removed, 2);
    write_plan_release(&p);
    /* everything removed: one DELETE (ties with the replace; the DELETE wins) */
    assert_int_equal(check_plan(cur, 5, NULL, 0, &p), 1);
    assert_int_equal(p.ops[0].kind, WRITE_OP_REMOVE);
    write_plan_release(&p);
}

/* The common sync: r tracks gone from the base, a new ones at the end. */
static void test_write_plan_removed_and_appended(void **state)
{
    (void)state;
    const char *cur[600], *tgt[600];
    size_t m = 0, n = 0;
    for (size_t i = 0; i < 500; i++)
        cur[m++] = pool[i];
    for (size_t i = 0; i < 500; i++)
        if (i % 3 != 0) /* 167 removed */
            tgt[n++] = pool[i];
    for (size_t i = 500; i < 620 && n < 600; i++) /* 120 appended */
        tgt[n++] = pool[i];
    struct write_plan p;
    assert_int_equal(check_plan(cur, m, tgt, n, &p), ceil100(167) + ceil100(100 + 20));
    assert_int_equal(p.strategy, WRITE_PLAN_DELETE_INSERT);
    write_plan_release(&p);
}

static void test_write_plan_insert_in_middle(void **state)
{
    (void)state;
    const char *cur[] = {pool[0], pool[1], pool[4], pool[5]};
    const char *tgt[] = {pool[0], pool[1], pool[2], pool[3], pool[4], pool[5]};
    struct write_plan p;
    assert_int_equal(check_plan(cur, 4, tgt, 6, &p), 1);
    assert_int_equal(p.ops[0].kind, WRITE_OP_ADD);
    assert_int_equal(p.ops[0].position, 2);
    assert_int_equal(p.ops[0].n_uris, 2);
    write_plan_release(&p);
}

static void test_write_plan_mixed(void **state)
{
    (void)state;
    /* remove 1 and 3, insert 10 after 0 and 11 at the end */
    const char *cur[] = {pool[0], pool[1], pool[2], pool[3], pool[4]};
    const char *tgt[] = {pool[0], pool[10], pool[2], pool[4], pool[11]};
    struct write_plan p;
    /* DELETE + 2 POSTs would be 3 calls: one PUT of the 5 is cheaper */
    assert_int_equal(check_plan(cur, 5, tgt, 5, &p), 1);
    assert_int_equal(p.strategy, WRITE_PLAN_REPLACE);
    write_plan_release(&p);
    /* the same edit on a 400-track list: DELETE + 2 POSTs beat 4 calls of a replace */
    const char *cur2[400], *tgt2[400];
    size_t m = 0, n = 0;
    for (size_t i = 0; i < 400; i++)
        cur2[m++] = pool[i];
    for (size_t i = 0; i < 400; i++) {
        if (i == 1 || i == 3)
            continue;
        tgt2[n++] = pool[i];
        if (i == 0)
            tgt2[n++] = pool[1000];
    }
    tgt2[n++] = pool[1001];
    assert_int_equal(check_plan(cur2, m, tgt2, n, &p), 3);
    assert_int_equal(p.strategy, WRITE_PLAN_DELETE_INSERT);
    write_plan_release(&p);
}

static void test_write_plan_reorder_one_track(void **state)
{
    (void)state;
    const char *cur[300], *tgt[300];
    for (size_t i = 0; i < 300; i++)
        cur[i] = tgt[i] = pool[i];
    /* the track at 250 moves to the front */
    tgt[0] = pool[250];
    for (size_t i = 1; i <= 250; i++)
        tgt[i] = pool[i - 1];
    struct write_plan p;
    assert_int_equal(check_plan(cur, 300, tgt, 300, &p), 1);
    assert_int_equal(p.ops[0].kind, WRITE_OP_REORDER);
    assert_int_equal(p.strategy, WRITE_PLAN_REORDER);
    write_plan_release(&p);
}

static void test_write_plan_reverse_falls_back_to_replace(void **state)
{
    (void)state;
    const char *cur[150], *tgt[150];
    for (size_t i = 0; i < 150; i++) {
        cur[i] = pool[i];
        tgt[i] = pool[149 - i];
    }
    struct write_plan p;
    assert_int_equal(check_plan(cur, 150, tgt, 150, &p), 2); /* PUT 100 + POST 50 */
    assert_int_equal(p.strategy, WRITE_PLAN_REPLACE);
    assert_int_equal(p.ops[0].kind, WRITE_OP_REPLACE);
    assert_int_equal(p.ops[1].kind, WRITE_OP_ADD);
    assert_int_equal(p.ops[1].position, 100);
    write_plan_release(&p);
}

static void test_write_plan_duplicates_in_current(void **state)
{
    (void)state;
    const char *cur[] = {pool[0], pool[1], pool[0], pool[2]};
    const char *tgt[] = {pool[0], pool[1], pool[2]};
    assert_int_equal(check_plan(cur, 4, tgt, 3, NULL), 1); /* a PUT of 3 */
    /* 300 tracks, one duplicated: DELETE it (both copies), POST it back at its index */
    const char *cur2[301], *tgt2[300];
    for (size_t i = 0; i < 300; i++)
        cur2[i] = tgt2[i] = pool[i];
    cur2[300] = pool[7];
    struct write_plan p;
    assert_int_equal(check_plan(cur2, 301, tgt2, 300, &p), 2);
    assert_int_equal(p.ops[0].kind, WRITE_OP_REMOVE);
    assert_int_equal(p.ops[1].kind, WRITE_OP_ADD);
    assert_int_equal(p.ops[1].position, 7);
    write_plan_release(&p);
}

static void test_write_plan_unremovable_entries_force_replace(void **state)
{
    (void)state;
    const char *cur[] = {pool[0], NULL, pool[1]};
    const char *tgt[] = {pool[0], pool[1]};
    struct write_plan p;
    assert_int_equal(check_plan(cur, 3, tgt, 2, &p), 1);
    assert_int_equal(p.strategy, WRITE_PLAN_REPLACE);
    write_plan_release(&p);
    const char *cur2[] = {pool[0], "spotify:local:a:b:c:100", pool[1]};
    assert_int_equal(check_plan(cur2, 3, tgt, 2, &p), 1);
    assert_int_equal(p.strategy, WRITE_PLAN_REPLACE);
    write_plan_release(&p);
}

static void test_write_plan_rejects_bad_target(void **state)
{
    (void)state;
    struct write_plan p = WRITE_PLAN_INIT;
    const char *dup[] = {pool[0], pool[0]};
    const char *nul[] = {pool[0], NULL};
    assert_int_equal(write_plan_build(pool, 1, dup, 2, &p), ERR_VALIDATION);
    assert_int_equal(write_plan_build(pool, 1, nul, 2, &p), ERR_VALIDATION);
    assert_null(p.ops);
}

static void test_write_plan_apply_op_bounds(void **state)
{
    (void)state;
    const char **l = malloc(3 * sizeof(*l));
    size_t n = 3;
    l[0] = pool[0];
    l[1] = pool[1];
    l[2] = pool[2];
    struct write_op op = {.kind = WRITE_OP_ADD, .uris = pool, .n_uris = 1, .position = 4};
    assert_int_equal(write_plan_apply_op(&op, &l, &n), ERR_VALIDATION);
    struct write_op mv = {.kind = WRITE_OP_REORDER, .range_start = 0, .range_length = 1,
                          .insert_before = 3};
    assert_int_equal(write_plan_apply_op(&mv, &l, &n), 0);
    assert_string_equal(l[2], pool[0]);
    assert_string_equal(l[0], pool[1]);
    mv.range_start = 2;
    mv.insert_before = 0;
    assert_int_equal(write_plan_apply_op(&mv, &l, &n), 0);
    assert_string_equal(l[0], pool[0]);
    mv.range_length = 2;
    assert_int_equal(write_plan_apply_op(&mv, &l, &n), ERR_VALIDATION);
    free(l);
}

/* ---- Property test ---------------------------------------------------------------- */

static void shuffle(const char **a, size_t n)
{
    for (size_t i = n; i > 1; i--) {
        size_t j = rnd_below(i);
        const char *t = a[i - 1];
        a[i - 1] = a[j];
        a[j] = t;
    }
}

/* A random distinct target drawn from the pool. */
static size_t random_target(const char **t, size_t max)
{
    size_t n = rnd_below(max + 1);
    const char *tmp[POOL];
    memcpy(tmp, pool, sizeof(tmp));
    shuffle(tmp, POOL);
    memcpy(t, tmp, n * sizeof(*t));
    return n;
}

/* A current derived from the target the way playlists drift: some entries dropped,
 * some foreign ones added, some duplicated, some moved; or a fully random one. */
static size_t derive_current(const char *const *t, size_t n, const char **c, size_t cap)
{
    size_t m = 0;
    int kind = (int)rnd_below(8);
    if (kind >= 6) { /* a sync's usual drift: tracks gone from the base, new ones at its end */
        size_t keep = n - rnd_below(n / 4 + 1);
        for (size_t i = 0; i < keep && m + 1 < cap; i++) {
            if (rnd_below(10) == 0)
                c[m++] = pool[POOL - 1 - rnd_below(200)];
            c[m++] = t[i];
        }
        return m;
    }
    if (kind == 0) { /* unrelated */
        size_t k = rnd_below(cap < 300 ? cap : 300);
        for (size_t i = 0; i < k; i++)
            c[m++] = pool[rnd_below(POOL)];
        return m;
    }
    /* rates in per mille: mild drift (kinds 1-3) is what syncs see; kind 5 shuffles */
    unsigned drop = (unsigned)rnd_below(kind == 1 ? 400 : 40),
             foreign = (unsigned)rnd_below(kind == 2 ? 200 : 20),
             dup = (unsigned)rnd_below(kind == 3 ? 50 : 5),
             move = (unsigned)rnd_below(kind == 5 ? 600 : 6);
    for (size_t i = 0; i < n && m + 2 < cap; i++) {
        if (rnd_below(1000) < foreign)
            c[m++] = pool[POOL - 1 - rnd_below(200)]; /* mostly not in target */
        if (rnd_below(1000) < drop)
            continue;
        c[m++] = t[i];
        if (rnd_below(1000) < dup)
            c[m++] = t[i];
    }
    for (size_t i = 0; i < m; i++) {
        if (rnd_below(1000) < move) {
            size_t j = rnd_below(m);
            const char *x = c[i];
            c[i] = c[j];
            c[j] = x;
        }
    }
    if (kind == 4 && m > 0 && rnd_below(4) == 0)
        c[rnd_below(m)] = NULL; /* an unavailable entry */
    return m;
}

/* Whether target = current without some entries, plus new ones at the end only. */
static int sync_like(const char *const *c, size_t m, const char *const *t, size_t n)
{
    size_t j = 0;
    for (size_t i = 0; i < m; i++) {
        if (!c[i])
            return 0;
        if (j < n && strcmp(c[i], t[j]) == 0)
            j++;
        else
            for (size_t k = 0; k < n; k++)
                if (strcmp(c[i], t[k]) == 0)
                    return 0; /* a wanted entry out of place or duplicated */
    }
    for (size_t k = j; k < n; k++) /* the rest of the target must be new */
        for (size_t i = 0; i < m; i++)
            if (c[i] && strcmp(c[i], t[k]) == 0)
                return 0;
    return 1;
}

static void test_write_plan_property_random_pairs(void **state)
{
    (void)state;
    static const char *t[POOL], *c[2 * POOL];
    size_t total_ops = 0, total_bound = 0;
    int strategies[5] = {0};
    for (int iter = 0; iter < 6000; iter++) {
        size_t maxn = iter % 3 == 0 ? 1000 : 260;
        size_t n = random_target(t, maxn);
        size_t m = derive_current(t, n, c, 2 * POOL);
        struct write_plan p;
        size_t ops = check_plan(c, m, t, n, &p);
        size_t bound = write_plan_bound(c, m, t, n);
        assert_true(ops <= bound);
        /* removed + appended only: ceil(removed/100) + ceil(appended/100), or less */
        assert_true(ops <= ceil100(p.removed) + ceil100(p.added) || ops <= 1 ||
                    !sync_like(c, m, t, n));
        strategies[p.strategy]++;
        total_ops += ops;
        total_bound += bound;
        write_plan_release(&p);
    }
    fprintf(stderr,
            "property: 6000 pairs, %zu calls planned vs %zu for full replaces; strategies "
            "none=%d delete_insert=%d reorder=%d replace=%d\n",
            total_ops, total_bound, strategies[WRITE_PLAN_NONE],
            strategies[WRITE_PLAN_DELETE_INSERT], strategies[WRITE_PLAN_REORDER],
            strategies[WRITE_PLAN_REPLACE]);
    assert_true(strategies[WRITE_PLAN_REORDER] > 0);
    assert_true(strategies[WRITE_PLAN_DELETE_INSERT] > 0);
    assert_true(strategies[WRITE_PLAN_REPLACE] > 0);
}

/* Pure reorders of a large list: permutations with few displaced blocks. */
static void test_write_plan_property_reorders(void **state)
{
    (void)state;
    static const char *t[1000], *c[1000];
    for (int iter = 0; iter < 500; iter++) {
        size_t n = 1 + rnd_below(1000);
        for (size_t i = 0; i < n; i++)
            c[i] = pool[i];
        memcpy(t, c, n * sizeof(*t));
        size_t moves = 1 + rnd_below(6);
        for (size_t k = 0; k < moves; k++) { /* move a random block somewhere else */
            size_t s = rnd_below(n), len = 1 + rnd_below(5);
            if (s + len > n)
                len = n - s;
            size_t b = rnd_below(n + 1);
            struct write_op op = {.kind = WRITE_OP_REORDER, .range_start = s,
                                  .range_length = len, .insert_before = b};
            const char **l = malloc(n * sizeof(*l));
            size_t ln = n;
            memcpy(l, t, n * sizeof(*l));
            assert_int_equal(write_plan_apply_op(&op, &l, &ln), 0);
            memcpy(t, l, n * sizeof(*t));
            free(l);
        }
        size_t ops = check_plan(c, n, t, n, NULL);
        /* each random block move displaces at most 2 blocks of the sorted order
         * (check_plan() already holds ops to the bound, so that is not an out here) */
        assert_true(ops <= 2 * moves);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_write_plan_equal_is_no_call),
        cmocka_unit_test(test_write_plan_append),
        cmocka_unit_test(test_write_plan_append_chunks_of_100),
        cmocka_unit_test(test_write_plan_remove),
        cmocka_unit_test(test_write_plan_removed_and_appended),
        cmocka_unit_test(test_write_plan_insert_in_middle),
        cmocka_unit_test(test_write_plan_mixed),
        cmocka_unit_test(test_write_plan_reorder_one_track),
        cmocka_unit_test(test_write_plan_reverse_falls_back_to_replace),
        cmocka_unit_test(test_write_plan_duplicates_in_current),
        cmocka_unit_test(test_write_plan_unremovable_entries_force_replace),
        cmocka_unit_test(test_write_plan_rejects_bad_target),
        cmocka_unit_test(test_write_plan_apply_op_bounds),
        cmocka_unit_test(test_write_plan_property_random_pairs),
        cmocka_unit_test(test_write_plan_property_reorders),
    };
    return cmocka_run_group_tests(tests, setup_pool, NULL);
}
