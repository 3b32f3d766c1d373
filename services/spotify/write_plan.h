#ifndef PLAYROUTER_WRITE_PLAN_H
#define PLAYROUTER_WRITE_PLAN_H
/* The write planner: which Spotify playlist-item calls turn a playlist's current
 * contents into a target list, in order, with as few calls as we can find.
 * Pure: no I/O, no globals. docs/write_plan.md explains it with examples.
 *
 * Operations (one Spotify call each, WRITE_PLAN_CHUNK = 100 uris at most):
 *   WRITE_OP_REPLACE  PUT  …/items {"uris": [...]}            the list becomes `uris`
 *   WRITE_OP_ADD      POST …/items {"uris": [...], "position"} insert `uris` before index
 *                                                             `position` (== length: append)
 *   WRITE_OP_REMOVE   DELETE …/items {"items": [{"uri"}...]}  remove EVERY occurrence of
 *                                                             each uri
 *   WRITE_OP_REORDER  PUT  …/items {"range_start", "insert_before", "range_length"}
 *                     move [range_start, range_start+range_length) before the entry that
 *                     is at index insert_before (indices of the list before the move)
 *
 * Algorithm (write_plan_build). Let C = current (m entries; may hold duplicates,
 * foreign entries and NULL = an entry without uri, such as an unavailable track),
 * T = target (n distinct uris), R = max(1, ceil(n/100)) (the cost of a full replace:
 * one PUT of the first 100, then POSTs of 100 appended).
 *   0. C == T: no operation at all.
 *   1. Removals D: every uri of C that T lacks, and every uri that C holds more than
 *      once (DELETE has no positions in Development Mode: it removes all occurrences,
 *      so a duplicated wanted uri is removed and added again once).
 *   2. The survivors K (unique, all in T) are a sequence of target indices. Its
 *      longest increasing subsequence (LIS, O(k log k)) stays where it is; the others
 *      ("movers") are out of order. Uris of T not in K are the additions; additions that
 *      are adjacent in T form a run, inserted with one POST per 100 at its target index
 *      (runs are inserted left to right, so every index is final when used).
 *   3. Two ways to fix the movers, both costed exactly:
 *      A. delete them too and insert them with the additions:
 *         ceil(|D ∪ movers|/100) + POSTs of the runs of T \ (K \ movers);
 *      B. move them with REORDER: movers adjacent in K whose target ranks are
 *         consecutive form one block, one call per block (blocks are placed from the
 *         highest rank down, each just before its successor in target order):
 *         ceil(|D|/100) + blocks + POSTs of the runs of T \ K.
 *   4. The plan is the cheapest of A, B and the full replace R. Ties prefer B, then A,
 *      then R, because moving keeps the entries' `added_at` and a replace resets all.
 *      Any entry that cannot be removed by uri (NULL, or a local file "spotify:local:…")
 *      forces the full replace. B is not costed when more than WRITE_PLAN_MAX_MOVERS
 *      entries are out of order (it could not beat R anyway).
 * Typical costs: equal -> 0; r removed anywhere + a appended at the end (or inserted in
 * one place) -> ceil(r/100) + ceil(a/100); one track moved -> 1 (REORDER).
 * Worst case: never more than R = max(1, ceil(n/100)) calls when C != T (0 when
 * C == T); write_plan_bound() returns that bound. Time O((m + n) log(m + n) + b·k) for
 * b reorder blocks (b ≤ WRITE_PLAN_MAX_MOVERS), memory O(m + n).
 *
 * Ownership: a plan borrows the uri strings of `current` and `target` (its ops point
 * into its own arrays of borrowed pointers): keep those strings alive while the plan
 * is used. write_plan_release() frees what the plan allocated. */
#include <stddef.h>

#define WRITE_PLAN_CHUNK 100       /* Spotify's maximum of uris per call */
#define WRITE_PLAN_MAX_MOVERS 2000 /* beyond this, strategy B is not costed */

enum write_op_kind {
    WRITE_OP_REPLACE = 1,
    WRITE_OP_ADD,
    WRITE_OP_REMOVE,
    WRITE_OP_REORDER,
};

struct write_op {
    enum write_op_kind kind;
    const char *const *uris; /* REPLACE, ADD, REMOVE: n_uris (1..100; REPLACE may be 0) */
    size_t n_uris;
    size_t position;      /* ADD: insert before this index (== list length: append) */
    size_t range_start;   /* REORDER */
    size_t range_length;  /* REORDER (>= 1) */
    size_t insert_before; /* REORDER */
};

enum write_plan_strategy {
    WRITE_PLAN_NONE = 0,     /* current == target */
    WRITE_PLAN_DELETE_INSERT, /* A */
    WRITE_PLAN_REORDER,       /* B */
    WRITE_PLAN_REPLACE,       /* R */
};

struct write_plan {
    struct write_op *ops;
    size_t n_ops;
    enum write_plan_strategy strategy;
    /* What the plan changes, counted on distinct uris: wanted uris the playlist did not
     * hold (added) and uris it held that the target lacks (removed). For SyncEvent. */
    size_t added, removed;
    /* private: storage of the ops' uri arrays */
    const char **store;
    size_t store_len;
};

#define WRITE_PLAN_INIT {NULL, 0, WRITE_PLAN_NONE, 0, 0, NULL, 0}

/* Plans the calls that turn current[0..n_current) into target[0..n_target).
 * target must not hold duplicates or NULL (ERR_VALIDATION otherwise); current may hold
 * anything (NULL entries included). *out must be WRITE_PLAN_INIT or released; on
 * success it holds the plan (release with write_plan_release()). Strings are borrowed.
 * Returns 0, ERR_VALIDATION, ERR_NOMEM. */
int write_plan_build(const char *const *current, size_t n_current, const char *const *target,
                     size_t n_target, struct write_plan *out);

/* Frees the plan's storage and resets it to WRITE_PLAN_INIT; NULL is accepted. */
void write_plan_release(struct write_plan *p);

/* The documented worst case of write_plan_build for these inputs: 0 when equal, else
 * max(1, ceil(n_target / 100)). */
size_t write_plan_bound(const char *const *current, size_t n_current, const char *const *target,
                        size_t n_target);

/* Applies one operation to list[0..*n) in place, as Spotify would (uris compared with
 * strcmp; NULL entries never match a uri). The array is reallocated as needed
 * (*list may move; caller frees it with free()). Returns 0, ERR_VALIDATION for an
 * operation that does not fit the list (position or range out of bounds), ERR_NOMEM. */
int write_plan_apply_op(const struct write_op *op, const char ***list, size_t *n);

/* Simulates the whole plan on a copy of current[0..n_current): *out (caller frees with
 * free(); the strings stay borrowed) and *n_out receive the result. Used by the tests
 * to check apply(plan(C, T), C) == T. Returns 0, ERR_VALIDATION, ERR_NOMEM. */
int write_plan_apply(const struct write_plan *p, const char *const *current, size_t n_current,
                     const char ***out, size_t *n_out);

/* Static name of a strategy, for logs and tests ("reorder"). */
const char *write_plan_strategy_name(enum write_plan_strategy s);

#endif
