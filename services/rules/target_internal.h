#ifndef PLAYROUTER_TARGET_INTERNAL_H
#define PLAYROUTER_TARGET_INTERNAL_H
/* Private to services/target*.c: the compiled child shared by compiling
 * (target_child.c) and computing (target.c). */
#include "services/rules/target.h"

struct target_child {
    struct rule *rule;
    bool catch_all;
    bool has_sort;
    bool sort_desc;
    enum rule_field_id sort_field;
    unsigned sort_needs; /* rule_field_needs() of sort_field in the compile env */
    bool has_limit;
    size_t limit;
    const char **pinned; /* in the arena */
    size_t n_pinned;
    const char **banned;
    size_t n_banned;
    struct arena *arena;
};

#endif
