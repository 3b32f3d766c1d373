#ifndef PLAYROUTER_RULE_INTERNAL_H
#define PLAYROUTER_RULE_INTERNAL_H
/* Private to services/rule_*.c: the compiled form of a rule and the inline value
 * accessors that rule_eval's inner loop uses. Not for other modules. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "lib/arena.h"
#include "services/rules/rule.h"
#include "services/rules/rule_regex.h"
#include "domain/track.h"

enum rule_op {
    RULE_OP_EQ,
    RULE_OP_NEQ,
    RULE_OP_CONTAINS,
    RULE_OP_NOT_CONTAINS,
    RULE_OP_STARTS_WITH,
    RULE_OP_ENDS_WITH,
    RULE_OP_MATCHES,
    RULE_OP_IN,
    RULE_OP_NOT_IN,
    RULE_OP_GT,
    RULE_OP_GTE,
    RULE_OP_LT,
    RULE_OP_LTE,
    RULE_OP_BETWEEN,
    RULE_OP_BEFORE,
    RULE_OP_AFTER,
    RULE_OP_IN_THE_LAST,
    RULE_OP_EXISTS,
    RULE_OP_MISSING,
    RULE_OP_COUNT
};

/* The operator named `name`, or -1. */
int rule_op_find(const char *name);
const char *rule_op_name(int op);
/* Whether `op` applies to a field of type `type`. */
bool rule_op_valid_for(int op, enum rule_type type);
/* "eq, neq, ..." : the operators of a type, for messages. */
const char *rule_type_ops(enum rule_type type);
const char *rule_type_name(enum rule_type type);

enum rule_node_kind { RN_ALL, RN_ANY, RN_NOT, RN_CMP };

struct rule_str {
    const char *s; /* NUL-terminated, folded when the field folds */
    size_t len;
};

/* Nodes are stored in prefix order in one array: a node's first child follows it, and
 * the next sibling of a child c is c + c->size. */
struct rule_node {
    uint8_t kind;   /* enum rule_node_kind */
    uint8_t field;  /* RN_CMP: enum rule_field_id */
    uint8_t op;     /* RN_CMP: the positive operator (neq -> eq, not_in -> in, ...) */
    uint8_t neg;    /* RN_CMP: the written operator was neq / not_contains / not_in */
    uint8_t fold;   /* RN_CMP on a string field: fold the track's value first */
    uint8_t type;   /* RN_CMP: enum rule_type of the field */
    uint32_t size;  /* nodes in this subtree, this one included */
    uint32_t nkids; /* RN_ALL / RN_ANY: children; RN_NOT: 1 */
    union {
        struct rule_str str; /* eq contains starts_with ends_with */
        struct {
            const struct rule_str *v; /* sorted by (bytes, length) */
            size_t n;
        } strs;      /* string in */
        struct rule_regex *re; /* matches; NULL until compiled */
        struct {
            double lo, hi;
        } num; /* eq gt gte lt lte: lo; between: lo..hi */
        struct {
            const double *v; /* sorted ascending */
            size_t n;
        } nums; /* number in */
        struct {
            int64_t lo, hi;
        } day;  /* before / after: lo; between: lo..hi; in_the_last: lo = N days */
        bool b; /* bool eq */
    } v;
};

struct rule {
    struct rule_node *nodes;
    size_t n_nodes;
    unsigned needs;
    struct arena *arena; /* the nodes' strings and sets */
};

/* The order of sorted `in` lists (qsort when compiling, bsearch when evaluating):
 * rule_str by bytes then length; doubles ascending. Inline so that glibc's inline
 * bsearch can inline them on the evaluation path. */
static inline int rule_str_cmp(const void *a, const void *b)
{
    const struct rule_str *x = a, *y = b;
    size_t n = x->len < y->len ? x->len : y->len;
    int d = memcmp(x->s, y->s, n);
    if (d)
        return d;
    return (x->len > y->len) - (x->len < y->len);
}

static inline int rule_num_cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* in_the_last N is clamped to this many days (more than any int32 day number spans). */
#define RULE_MAX_LAST_DAYS INT64_C(1000000000000)

/* Folding into a scratch buffer: small strings on the stack, bigger ones on the heap. */
#define RULE_FOLD_STACK 512

/* floor(seconds / 86400) */
static inline int64_t rule_day_of(int64_t unix_seconds)
{
    int64_t d = unix_seconds / 86400;
    if (unix_seconds % 86400 < 0)
        d--;
    return d;
}

static inline size_t rule_field_strings_inl(unsigned id, const struct track *t,
                                            const char *const **out)
{
    switch (id) {
    case RULE_FIELD_TRACK_ID:
        *out = &t->id;
        return 1;
    case RULE_FIELD_TRACK_NAME:
        *out = &t->name;
        return 1;
    case RULE_FIELD_ISRC:
        *out = &t->isrc;
        return 1;
    case RULE_FIELD_ARTIST_ID:
        *out = t->artist_ids;
        return t->artist_ids ? t->n_artists : 0;
    case RULE_FIELD_ARTIST_NAME:
        *out = t->artist_names;
        return t->artist_names ? t->n_artists : 0;
    case RULE_FIELD_GENRE:
        *out = t->genres;
        return t->genres ? t->n_genres : 0;
    case RULE_FIELD_ALBUM_ID:
        *out = &t->album_id;
        return 1;
    case RULE_FIELD_ALBUM_NAME:
        *out = &t->album_name;
        return 1;
    case RULE_FIELD_ALBUM_TYPE:
        *out = &t->album_type;
        return 1;
    case RULE_FIELD_LABEL:
        *out = &t->label;
        return 1;
    case RULE_FIELD_ADDED_BY:
        *out = &t->added_by;
        return 1;
    case RULE_FIELD_TAG:
        *out = t->tags;
        return t->tags ? t->n_tags : 0;
    default:
        *out = NULL;
        return 0;
    }
}

static inline bool rule_field_number_inl(unsigned id, const struct track *t, double *out)
{
    int32_t v;
    unsigned bit;
    switch (id) {
    case RULE_FIELD_TRACK_NUMBER:
        v = t->track_number;
        bit = TRACK_HAS_TRACK_NUMBER;
        break;
    case RULE_FIELD_DISC_NUMBER:
        v = t->disc_number;
        bit = TRACK_HAS_DISC_NUMBER;
        break;
    case RULE_FIELD_DURATION_MS:
        v = t->duration_ms;
        bit = TRACK_HAS_DURATION;
        break;
    case RULE_FIELD_POPULARITY:
        v = t->popularity;
        bit = TRACK_HAS_POPULARITY;
        break;
    case RULE_FIELD_ARTIST_POPULARITY:
        v = t->artist_popularity;
        bit = TRACK_HAS_ARTIST_POPULARITY;
        break;
    case RULE_FIELD_ALBUM_POPULARITY:
        v = t->album_popularity;
        bit = TRACK_HAS_ALBUM_POPULARITY;
        break;
    case RULE_FIELD_RELEASE_YEAR:
        v = t->release_year;
        bit = TRACK_HAS_RELEASE;
        break;
    case RULE_FIELD_ORIGINAL_YEAR:
        v = t->original_year;
        bit = TRACK_HAS_ORIGINAL_YEAR;
        break;
    default:
        return false;
    }
    if (!(t->has & bit))
        return false;
    *out = (double)v;
    return true;
}

static inline bool rule_field_period_inl(unsigned id, const struct track *t, int64_t *first,
                                         int64_t *last)
{
    switch (id) {
    case RULE_FIELD_RELEASE_DATE:
        if (!(t->has & TRACK_HAS_RELEASE))
            return false;
        *first = t->release_first_day;
        *last = t->release_last_day;
        return true;
    case RULE_FIELD_ADDED_AT:
        if (!(t->has & TRACK_HAS_ADDED_AT))
            return false;
        *first = *last = rule_day_of(t->added_at);
        return true;
    default:
        return false;
    }
}

static inline bool rule_field_bool_inl(unsigned id, const struct track *t, bool *out)
{
    if (id != RULE_FIELD_EXPLICIT || !(t->has & TRACK_HAS_EXPLICIT))
        return false;
    *out = t->is_explicit;
    return true;
}

#endif
