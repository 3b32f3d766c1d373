#ifndef PLAYROUTER_TARGET_H
#define PLAYROUTER_TARGET_H
/* The target computation of a sync or preview (API.md "Sync", "Semantics in detail"):
 * from a base playlist's filterable tracks and its children, the list of tracks each
 * child's Spotify playlist must hold. Pure computation: no I/O, no globals.
 *
 * Inputs. `tracks[0..n_tracks)` are the base's filterable tracks in base order, already
 * de-duplicated, local files and episodes removed; a track index below always means an
 * index into that array (not track.base_index). `children` are ordered by `position`.
 *
 * Rules, exactly as implemented (docs/rules.md repeats them):
 * 1. Candidates of a child that is not the catch-all:
 *    - routing `all`: every track its rule matches;
 *    - routing `first_match`: every track whose FIRST matching rule, among the children
 *      that are not the catch-all in position order, is this child's. First-match
 *      routing looks at rules only: pins and bans of other children do not change it,
 *      and a track that this child then bans or cuts by `limit` does not fall through
 *      to a later child (it may end in the catch-all).
 *    plus its pinned tracks ("held whatever the rule or routing", so a pinned track may
 *    be in several children even under first_match), minus its banned tracks (a ban
 *    beats a pin). A pinned or banned id that is not in `tracks` is ignored.
 * 2. Order: base order, or `sort` (stable: ties keep base order; a missing value sorts
 *    last in either order; strings -- ids included -- compare case-folded as
 *    rule_fold() does, by bytes then length; several-valued fields by their first
 *    value that is not NULL or ""; numbers by value; release_date by the first day of
 *    its period ("1994" sorts as 1994-01-01, tied with "1994-01-01"); added_at by its
 *    full timestamp; bool false < true). Any field of the rule table may be a sort
 *    key. Pinned tracks take their place in that order.
 * 3. `limit` N: when more than N tracks remain, the first min(N, pinned) pinned tracks
 *    in that order are kept, then the first others in order up to N; the kept tracks
 *    stay in that order (pinned tracks are not moved to the front).
 * 4. The catch-all child (at most one) starts from the tracks that no other child holds
 *    after steps 1-3, narrows them with its own rule, then applies its own pins, bans,
 *    sort and limit the same way.
 */
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/arena.h"
#include "lib/cancel.h"
#include "services/rules/rule.h"
#include "domain/spotify_mode.h"
#include "domain/track.h"

#define TARGET_MAX_LIMIT 10000 /* largest `limit` (Spotify's playlist size) */
#define TARGET_MAX_IDS 10000   /* entries of pinned_track_ids / banned_track_ids */

enum target_routing {
    TARGET_ROUTING_ALL,
    TARGET_ROUTING_FIRST_MATCH,
};

/* "all" / "first_match" -> *out; 0 or ERR_VALIDATION. */
int target_routing_parse(const char *s, enum target_routing *out);

/* A child's compiled configuration: rule, sort, limit, catch_all, pins and bans.
 * Immutable once compiled; owns copies of everything it needs. */
struct target_child;

/* The JSON pieces of a child (API.md ChildPlaylist); each borrowed. NULL means the
 * member is absent: filter is required, the others default to null / false / []. */
struct target_child_json {
    const json_t *filter;    /* Rule */
    const json_t *sort;      /* null | {"by": FIELD, "order": "asc"|"desc"} ("asc" if no order) */
    const json_t *limit;     /* null | integer 0..TARGET_MAX_LIMIT */
    const json_t *catch_all; /* true | false */
    const json_t *pinned_track_ids; /* [non-empty string...], at most TARGET_MAX_IDS */
    const json_t *banned_track_ids; /* same */
};

/* Validates and compiles a child (caller frees with target_child_free()) under `env`
 * (rule_env(): the Spotify mode and whether MusicBrainz is on). Detail paths
 * are `path_prefix` (NULL = "") + "/filter/...", "/sort", "/sort/by", "/sort/order",
 * "/limit", "/catch_all", "/pinned_track_ids/3", "/banned_track_ids/0"; every problem
 * is a detail of `rep` (may be NULL).
 * Returns 0 and sets *out; ERR_VALIDATION (*out = NULL); or ERR_NOMEM. */
int target_child_compile(const struct target_child_json *in, unsigned env, const char *path_prefix,
                         struct target_child **out, struct report *rep);
/* The same from a child object (a request body or a stored child): reads the members
 * filter, sort, limit, catch_all, pinned_track_ids, banned_track_ids and ignores every
 * other member (name, position, ... are the caller's). A non-object is one detail at
 * path_prefix. */
int target_child_compile_object(const json_t *child, unsigned env, const char *path_prefix,
                                struct target_child **out, struct report *rep);
/* NULL is accepted. */
void target_child_free(struct target_child *c);

/* RULE_NEEDS_* of the child's rule and of its sort field. */
unsigned target_child_needs(const struct target_child *c);
bool target_child_is_catch_all(const struct target_child *c);
/* Borrowed; lives as long as the child. */
const struct rule *target_child_rule(const struct target_child *c);

/* One child's target: indices into `tracks`, in playlist order. */
struct target_list {
    size_t *idx;
    size_t n;
};

struct target_result {
    struct target_list *lists; /* n_children entries, in the order of `children` */
    size_t n_children;
};

/* Computes every child's target (caller frees *out with target_result_free()).
 * `today` is the current UTC day for `in_the_last`. Cost: at most one rule evaluation
 * per track and child, plus sorting. Returns 0; ERR_VALIDATION when more than one
 * child is a catch-all; ERR_NOMEM. */
int target_compute(const struct track *tracks, size_t n_tracks, enum target_routing routing,
                   const struct target_child *const *children, size_t n_children, int32_t today,
                   struct target_result **out);
/* target_compute() that asks `cancel` (NULL = never) every TARGET_CANCEL_EVERY tracks and
 * returns ERR_UNAVAILABLE (nothing in *out) as soon as it says stop. */
#define TARGET_CANCEL_EVERY 256
int target_compute_until(const struct track *tracks, size_t n_tracks, enum target_routing routing,
                         const struct target_child *const *children, size_t n_children,
                         int32_t today, const struct cancel *cancel, struct target_result **out);
/* NULL is accepted. */
void target_result_free(struct target_result *r);

/* Why one track is or is not in one child's target (preview ?explain=TRACK_ID). */
struct target_explain {
    bool matched;       /* the track is in the child's target */
    const char *reason; /* static string, see target_explain() */
    const char *path;   /* JSON Pointer into the child's filter, or NULL when no rule
                         * node decided (pinned, banned, limit, ...) */
    int field;          /* the field the deciding comparison compared, or -1 */
    const struct track *track; /* the explained base track (borrowed), or NULL */
};

/* Explains, for the track with id `track_id` and each child, the outcome recorded in
 * `res` (the target_compute() result of the same inputs). out[i] is for children[i]:
 *   not_in_base            the id is not among `tracks` (every child; path NULL)
 *   banned                 in the child's banned_track_ids
 *   pinned                 held because pinned
 *   limit                  pinned or matched, but cut by the child's limit
 *   matched_earlier_child  first_match: the rule matches, but an earlier child's
 *                          rule matched first; for the catch-all (which is computed
 *                          after every other child, whatever the routing): another
 *                          child holds the track
 *   a rule_explain() reason, with its path: the rule decided (in or out)
 * `skipped_local` (API.md) is the caller's: local files never reach `tracks`.
 * Paths are allocated in `a`. Returns 0 or ERR_NOMEM. */
int target_explain(const struct track *tracks, size_t n_tracks, enum target_routing routing,
                   const struct target_child *const *children, size_t n_children, int32_t today,
                   const struct target_result *res, const char *track_id, struct arena *a,
                   struct target_explain *out);

#endif
