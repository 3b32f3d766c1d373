/* libFuzzer target: the write planner (services/spotify/write_plan.c) on random
 * current/target lists, checked against a model. Input: the lengths and the entries of
 * both lists over a small alphabet of uris (so lists share, repeat and reorder them):
 * current may hold duplicates, NULL (an entry without uri) and local files; target is
 * made distinct. Oracles:
 *   - the plan applied by an independent model of Spotify's four calls (below, written
 *     from write_plan.h's table, not from write_plan_apply) turns current into target;
 *   - write_plan_apply() agrees with the model;
 *   - n_ops <= write_plan_bound() (max(1, ceil(n/100)), 0 when equal), every op holds
 *     1..100 uris (a REPLACE may hold 0), and equal lists give no op at all. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/app_err.h"
#include "services/spotify/write_plan.h"
#include "tests/fuzz/fuzz_input.h"

#define ALPHABET 400
#define MAX_LEN 700

static char uris[ALPHABET][40];
static const char *LOCAL = "spotify:local:Artist:Album:Song:200";

static bool same(const char *a, const char *b)
{
    return a && b && strcmp(a, b) == 0;
}

/* The model: a plain array, one Spotify call at a time. false when the call does not
 * fit the list. */
static bool model_apply(const struct write_op *op, const char **list, size_t *n)
{
    switch (op->kind) {
    case WRITE_OP_REPLACE:
        if (op->n_uris > MAX_LEN * 2)
            return false;
        for (size_t i = 0; i < op->n_uris; i++)
            list[i] = op->uris[i];
        *n = op->n_uris;
        return true;
    case WRITE_OP_ADD:
        if (op->position > *n || *n + op->n_uris > MAX_LEN * 2)
            return false;
        memmove(list + op->position + op->n_uris, list + op->position,
                (*n - op->position) * sizeof *list);
        for (size_t i = 0; i < op->n_uris; i++)
            list[op->position + i] = op->uris[i];
        *n += op->n_uris;
        return true;
    case WRITE_OP_REMOVE: {
        size_t o = 0;
        for (size_t i = 0; i < *n; i++) {
            bool gone = false;
            for (size_t k = 0; k < op->n_uris && !gone; k++)
                gone = same(list[i], op->uris[k]);
            if (!gone)
                list[o++] = list[i];
        }
        *n = o;
        return true;
    }
    case WRITE_OP_REORDER: {
        size_t s = op->range_start, len = op->range_length, b = op->insert_before;
        if (len == 0 || s + len > *n || b > *n || (b > s && b < s + len))
            return false;
        const char *moved[MAX_LEN * 2];
        memcpy(moved, list + s, len * sizeof *list);
        /* take the range out, then insert it before what was at index b */
        memmove(list + s, list + s + len, (*n - s - len) * sizeof *list);
        size_t at = b > s ? b - len : b;
        memmove(list + at + len, list + at, (*n - len - at) * sizeof *list);
        memcpy(list + at, moved, len * sizeof *list);
        return true;
    }
    }
    return false;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    for (int i = 0; i < ALPHABET; i++)
        snprintf(uris[i], sizeof uris[i], "spotify:track:%022d", i);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fuzz_input in = {data, size};
    static const char *cur[MAX_LEN], *tgt[MAX_LEN], *list[MAX_LEN * 2];
    static bool used[ALPHABET];
    /* lists up to MAX_LEN: the two length bytes scale so that long lists are reachable */
    size_t nc = fuzz_below(&in, MAX_LEN + 1), nt = fuzz_below(&in, MAX_LEN + 1);
    size_t alpha = 1 + fuzz_below(&in, ALPHABET);
    if (nt > alpha)
        nt = alpha;
    for (size_t i = 0; i < nc; i++) {
        uint8_t kind = fuzz_u8(&in);
        cur[i] = kind == 255 ? NULL : kind == 254 ? LOCAL : uris[fuzz_below(&in, alpha)];
    }
    memset(used, 0, sizeof used);
    size_t n = 0;
    for (size_t i = 0; i < nt; i++) {
        size_t u = fuzz_below(&in, alpha);
        while (used[u]) /* distinct: the next free uri */
            u = (u + 1) % alpha;
        used[u] = true;
        tgt[n++] = uris[u];
    }
    nt = n;

    struct write_plan p = WRITE_PLAN_INIT;
    int rc = write_plan_build(cur, nc, tgt, nt, &p);
    if (rc == ERR_NOMEM)
        return 0;
    FUZZ_CHECK(rc == 0);
    size_t bound = write_plan_bound(cur, nc, tgt, nt);
    FUZZ_CHECK(p.n_ops <= bound);
    bool equal = nc == nt;
    for (size_t i = 0; equal && i < nc; i++)
        equal = same(cur[i], tgt[i]);
    FUZZ_CHECK(equal == (p.n_ops == 0));

    size_t len = nc;
    memcpy(list, cur, nc * sizeof *cur);
    for (size_t i = 0; i < p.n_ops; i++) {
        const struct write_op *op = &p.ops[i];
        if (op->kind != WRITE_OP_REORDER)
            FUZZ_CHECK(op->n_uris <= WRITE_PLAN_CHUNK &&
                       (op->n_uris >= 1 || op->kind == WRITE_OP_REPLACE));
        FUZZ_CHECK(model_apply(op, list, &len));
    }
    FUZZ_CHECK(len == nt);
    for (size_t i = 0; i < nt; i++)
        FUZZ_CHECK(same(list[i], tgt[i]));

    const char **sim = NULL;
    size_t n_sim = 0;
    rc = write_plan_apply(&p, cur, nc, &sim, &n_sim);
    if (rc == 0) {
        FUZZ_CHECK(n_sim == nt);
        for (size_t i = 0; i < nt; i++)
            FUZZ_CHECK(same(sim[i], tgt[i]));
    } else {
        FUZZ_CHECK(rc == ERR_NOMEM);
    }
    free(sim);
    write_plan_release(&p);
    return 0;
}
