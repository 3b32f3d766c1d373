#ifndef PLAYROUTER_RULE_H
#define PLAYROUTER_RULE_H
/* Folder services/rules/: the rule language and the targets. Owns compiling a child's
 * filter (rule_compile.c), the field table (rule_field.c), evaluation and explain
 * (rule_eval.c), and a child's target list from the base tracks: routing, sort, limit,
 * pins, bans, catch-all (target.h, target.c, target_child.c). Pure computation: no
 * I/O, no database, no Spotify. */

/* The rule language of a child playlist's `filter` (API.md "Rule (the filter)" and
 * "Semantics in detail"): compiled once from JSON, then evaluated against many tracks.
 *
 *   Rule := {"all": [Rule...]} | {"any": [Rule...]} | {"not": Rule}
 *         | {"field": FIELD, "op": OP, "value": VALUE}
 *
 * Modules: rule_field.c (the one table of fields, case folding, value accessors),
 * rule_compile.c (JSON -> compiled form, validation), rule_eval.c (evaluation, explain).
 * docs/rules.md describes the language for users.
 *
 * Decisions the contract leaves open (also in docs/rules.md):
 * - Dates. Every date value is a period of days [first, last]: a release date "1994" is
 *   1994-01-01..1994-12-31, "1994-06" the month, "1994-06-12" one day; `added_at` is the
 *   one UTC day of its timestamp. `before D`: last < D. `after D`: first > D.
 *   `between [a, b]`: a <= first and last <= b. `in_the_last N` is exactly
 *   `between [today - N, today]`: the whole period must lie inside the window, so a
 *   partial release date "2026" is not `in_the_last 30` on 2026-11-23 (the period reaches
 *   into the future) and a future date never is. `in_the_last 0` means "today".
 * - Case folding. Fields with `fold` (names and free text; every string field except
 *   the ids track_id, artist_id, album_id) compare after simple lowercase mapping of
 *   ASCII, Latin-1, Latin Extended-A, Greek (final sigma folds to sigma) and basic
 *   Cyrillic. The mapping never changes a string's byte length; characters whose
 *   lowercase form has another length (U+0130, U+1E9E) and every other script are
 *   compared as they are, and nothing is normalised (NFC/NFD differ).
 * - `matches` (POSIX ERE, unanchored) on a folded field runs on the folded text with a
 *   folded pattern (letters after a backslash are kept, so \W stays \W), ignoring case;
 *   on an id field it is case-sensitive, because ids compare exactly. The engine is RE2
 *   (rule_regex.h says why and what it refuses): linear time, bounded memory, UTF-8
 *   characters (`é+` repeats é). Back-references are refused. A rule holds at most
 *   RULE_MAX_MATCHES patterns compiling to RULE_MAX_REGEX_PROGRAM instructions in all.
 * - A string field is missing when its pointer is NULL or it is "" (Spotify sends ""
 *   for an unknown label); a several-valued field is missing when no entry is a
 *   non-empty string, and "" entries are skipped. So `eq ""` never holds.
 * - Numbers: a rule value may be a JSON integer or real; comparisons are in double.
 * - Evaluation of a string longer than 512 bytes folds it into heap memory; if that
 *   allocation fails the comparison counts as false (never a crash, never an abort).
 *
 * Thread safety: a compiled rule is immutable; rule_eval and rule_explain may run on it
 * from several threads at once (an RE2 object is thread-safe).
 */
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "domain/spotify_mode.h"
#include "domain/track.h"
#include "lib/buf.h"
#include "lib/report.h"

/* ---- Fields (rule_field.c) ------------------------------------------------------ */

enum rule_type {
    RULE_TYPE_STRING,  /* one string */
    RULE_TYPE_STRINGS, /* several strings: a comparison holds when ANY value matches */
    RULE_TYPE_NUMBER,
    RULE_TYPE_DATE,
    RULE_TYPE_BOOL,
};

/* Which metadata a field needs, so a sync fetches only what the rules use. */
enum rule_needs {
    RULE_NEEDS_TRACK = 1u << 0,   /* the playlist item's track object alone */
    RULE_NEEDS_ARTISTS = 1u << 1, /* the artists' full objects (genres, popularity) */
    RULE_NEEDS_ALBUM = 1u << 2,   /* the full album object (label, popularity) */
    RULE_NEEDS_MUSICBRAINZ = 1u << 3, /* MusicBrainz's recordings and artists (genre,
                                       * original_year), by the track's ISRC */
    RULE_NEEDS_TAGS = 1u << 4,        /* the user's own tags */
};

/* Bit of a spotify_mode in rule_field.modes. */
#define RULE_MODE_BIT(mode) (1u << (unsigned)(mode))

/* Other providers of a field (rule_field.providers). */
#define RULE_PROVIDER_MUSICBRAINZ 1u

/* What serves the rule fields, the `env` of rule_compile() and friends: a spotify_mode
 * OR'd with RULE_ENV_MUSICBRAINZ when MusicBrainz is on (PLAYROUTER_MUSICBRAINZ_BASE is
 * not "off"). A bare spotify_mode means Spotify alone. */
#define RULE_ENV_MUSICBRAINZ 0x100u
static inline unsigned rule_env(enum spotify_mode mode, bool musicbrainz)
{
    return (unsigned)mode | (musicbrainz ? RULE_ENV_MUSICBRAINZ : 0u);
}

enum rule_field_id {
    RULE_FIELD_TRACK_ID,
    RULE_FIELD_TRACK_NAME,
    RULE_FIELD_ISRC,
    RULE_FIELD_ARTIST_ID,
    RULE_FIELD_ARTIST_NAME,
    RULE_FIELD_GENRE,
    RULE_FIELD_ALBUM_ID,
    RULE_FIELD_ALBUM_NAME,
    RULE_FIELD_ALBUM_TYPE,
    RULE_FIELD_LABEL,
    RULE_FIELD_ADDED_BY,
    RULE_FIELD_TRACK_NUMBER,
    RULE_FIELD_DISC_NUMBER,
    RULE_FIELD_DURATION_MS,
    RULE_FIELD_POPULARITY,
    RULE_FIELD_ARTIST_POPULARITY,
    RULE_FIELD_ALBUM_POPULARITY,
    RULE_FIELD_RELEASE_YEAR,
    RULE_FIELD_RELEASE_DATE,
    RULE_FIELD_ADDED_AT,
    RULE_FIELD_EXPLICIT,
    RULE_FIELD_ORIGINAL_YEAR,
    RULE_FIELD_TAG,
    RULE_FIELD_COUNT
};

struct rule_field {
    const char *name; /* as written in a rule: "artist_name" */
    enum rule_field_id id;
    enum rule_type type;
    bool fold;        /* strings compare ignoring case (false for the ids) */
    unsigned needs;   /* the RULE_NEEDS_* bit of the field as the Spotify modes (or the
                       * user's tags) provide it; see rule_field_needs() */
    unsigned modes;   /* RULE_MODE_BIT() of every spotify_mode that provides the field */
    unsigned providers; /* RULE_PROVIDER_* that provide it too, in every mode */
    const char *what; /* for messages: "artist genres" */
};

/* The field named `name`, or NULL. Borrowed from a static table. */
const struct rule_field *rule_field_find(const char *name);
/* For an unknown field or operator name: the known name the user most likely meant
 * ("year" -> "release_year", "relase_year" -> "release_year", "beetween" -> "between"), or
 * NULL when none is near. A static string. */
const char *rule_field_suggest(const char *name);
const char *rule_op_suggest(const char *name);
/* " (did you mean NEAR?)" for a suggestion from the two above, "" for none: the one way
 * the messages say it. Returns out (or ""), which must hold RULE_SUGGEST_MAX bytes. */
#define RULE_SUGGEST_MAX 96
const char *rule_suggest_text(const char *near, char out[RULE_SUGGEST_MAX]);
/* The field with that id (id < RULE_FIELD_COUNT). */
const struct rule_field *rule_field_by_id(enum rule_field_id id);
/* 0 when `env` (see rule_env()) provides the field; else ERR_VALIDATION and sets rep's
 * message (rep may be NULL) to why and what would provide it ("field 'genre' is not available:
 * Spotify no longer serves artist genres to apps in Development Mode ... MusicBrainz
 * provides it: ..."). ERR_NOMEM if the message cannot be made. */
int rule_field_check_mode(const struct rule_field *f, unsigned env, struct report *rep);
/* The RULE_NEEDS_* bits a sync must fetch for field f under `env`: genre needs the
 * artists in extended mode and MusicBrainz when it is on; original_year MusicBrainz. */
unsigned rule_field_needs(const struct rule_field *f, unsigned env);

/* Case folding (see above): writes the folded form of s[0..len) to out[0..len)
 * (same length, not NUL-terminated). s and out may be the same buffer. */
void rule_fold(const char *s, size_t len, char *out);

/* The values the rule engine compares, read from a track (also used by target.c's sort).
 * rule_field_strings: for string fields; sets *out to `n` entries (returned), any of
 *   which may be NULL or "" (= no value); a single-valued field yields n = 1.
 * rule_field_number: for number fields; false when missing.
 * rule_field_period: for date fields, the period of days since 1970-01-01; false when
 *   missing.
 * rule_field_bool: for bool fields; false when missing. */
size_t rule_field_strings(enum rule_field_id id, const struct track *t, const char *const **out);
bool rule_field_number(enum rule_field_id id, const struct track *t, double *out);
bool rule_field_period(enum rule_field_id id, const struct track *t, int64_t *first, int64_t *last);
bool rule_field_bool(enum rule_field_id id, const struct track *t, bool *out);

/* ---- Compiled rules (rule_compile.c, rule_eval.c) --------------------------------- */

/* Limits; beyond them rule_compile reports a validation error naming the path. */
#define RULE_MAX_DEPTH 32    /* nesting: the root is depth 1 */
#define RULE_MAX_NODES 1000  /* rule objects (all / any / not / comparisons) */
#define RULE_MAX_REGEX 256   /* characters (code points) of a `matches` pattern */
#define RULE_MAX_MATCHES 32  /* `matches` comparisons in one rule */
#define RULE_MAX_REGEX_PROGRAM 2000 /* RE2 instructions of a rule's patterns, in all */
#define RULE_MAX_IN 10000    /* values of an `in` / `not_in` list */
#define RULE_MAX_DETAILS 100 /* problems reported by one rule_compile call */

struct rule;

/* Parses and type-checks `filter` once into a compiled rule (caller frees with
 * rule_free()). `env` (rule_env()) decides which fields exist: development mode refuses
 * popularity, artist_popularity, album_popularity and label, and genre unless
 * MusicBrainz is on; original_year needs MusicBrainz in every mode. `path_prefix` (NULL =
 * "") is prepended to every detail path, e.g. "/filter".
 * Returns 0 and sets *out; or ERR_VALIDATION, *out = NULL, and adds to `rep` (may be
 * NULL) one detail {"path": "<prefix>/all/0/op", "message": "..."} per problem found
 * (all of them, up to RULE_MAX_DETAILS); or ERR_NOMEM.
 * A `filter` of NULL is reported as a missing rule at path_prefix. */
int rule_compile(const json_t *filter, unsigned env, const char *path_prefix, struct rule **out,
                 struct report *rep);

/* Frees a compiled rule; NULL is accepted. */
void rule_free(struct rule *r);

/* Whether track `t` matches. `today` is the current UTC day (days since 1970-01-01),
 * used by `in_the_last`. */
bool rule_eval(const struct rule *r, const struct track *t, int32_t today);

/* The track's value of field `id` as explain shows it (a new reference; NULL when out
 * of memory): an array for several-valued fields, a string, integer or boolean, a
 * date as written ("1994", "2026-11-23T14:30:00Z"), or JSON null when it lacks one. */
json_t *rule_field_value_json(enum rule_field_id id, const struct track *t);
/* Where track t's values of field `id` come from, as explain shows it (static): "spotify",
 * "musicbrainz" or "tags"; for genre the sources of the values the track has, joined by
 * '+' ("spotify+musicbrainz"); a track without genres names the sources that were asked
 * (genre_sources says which). */
const char *rule_field_source(enum rule_field_id id, const struct track *t);
/* The source of the i-th value of t's genres (i < t->n_genres): "spotify",
 * "musicbrainz" or "spotify+musicbrainz". Static. */
const char *rule_field_genre_source(const struct track *t, size_t i);
/* For genre: an array parallel to rule_field_value_json()'s, each value's source (a new
 * reference; NULL when out of memory). NULL for every other field. */
json_t *rule_field_value_sources_json(enum rule_field_id id, const struct track *t);
/* The field compared by the comparison node at JSON Pointer `path` into the rule (as
 * rule_explain() gives it), or -1 when the node there is all/any/not or none. */
int rule_field_at(const struct rule *r, const char *path);

/* OR of RULE_NEEDS_* of every field the rule uses (0 for a rule without comparisons). */
unsigned rule_needs(const struct rule *r);

/* Explains the outcome of rule_eval(r, t, today): *matched is that outcome; `path`
 * (emptied first) receives the JSON Pointer into the filter of the node that decided
 * it ("" = the root, "/all/1", "/not/any/0"); *reason a static string:
 *   "condition_true" / "condition_false"  a comparison held / did not hold
 *   "missing_value"   a comparison on a field the track lacks (false, except for
 *                     neq / not_contains / not_in, which then hold)
 *   "empty_all"       {"all": []}: matches every track
 *   "empty_any"       {"any": []}: matches none
 *   "all_true"        an `all` whose children all hold (path = the `all` node)
 *   "none_true"       an `any` whose children all fail (path = the `any` node)
 * Who decides: a failing `all` -> its first failing child; a holding `all` -> the
 * `all` itself ("all_true"); a holding `any` -> its first true child; a failing `any`
 * -> the `any` itself ("none_true"); `not` -> its child's explanation with *matched
 * inverted (the reason then describes the child node, not the overall outcome).
 * Returns 0, or ERR_NOMEM when `path` cannot grow. */
int rule_explain(const struct rule *r, const struct track *t, int32_t today, bool *matched,
                 struct buf *path, const char **reason);

#endif
