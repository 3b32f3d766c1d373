/* The one table of rule fields and operators, case folding, and the value accessors
 * shared by the rule engine and the target computation. */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "lib/app_err.h"
#include "lib/util.h"
#include "services/rules/rule.h"
#include "services/rules/rule_internal.h"

#define BOTH_MODES (RULE_MODE_BIT(SPOTIFY_MODE_DEVELOPMENT) | RULE_MODE_BIT(SPOTIFY_MODE_EXTENDED))
#define EXTENDED_ONLY RULE_MODE_BIT(SPOTIFY_MODE_EXTENDED)

/* Facts (API.md, Spotify 2026): in both modes a playlist item's track object carries the
 * id, name, isrc, artists (id + name), album (id, name, album_type, release_date),
 * duration, explicit, track/disc number and added_at/added_by; in extended mode also the
 * track's popularity. Genres and artist popularity come from the artists' full objects,
 * label and album popularity from the full album; development mode serves none of the
 * starred fields. MusicBrainz (when on) provides genre and original_year in both modes;
 * tag is the user's own (services/tags). Indexed by enum rule_field_id. */
static const struct rule_field FIELDS[RULE_FIELD_COUNT] = {
    {"track_id", RULE_FIELD_TRACK_ID, RULE_TYPE_STRING, false, RULE_NEEDS_TRACK, BOTH_MODES, 0,
     "track ids"},
    {"track_name", RULE_FIELD_TRACK_NAME, RULE_TYPE_STRING, true, RULE_NEEDS_TRACK, BOTH_MODES, 0,
     "track names"},
    {"isrc", RULE_FIELD_ISRC, RULE_TYPE_STRING, true, RULE_NEEDS_TRACK, BOTH_MODES, 0, "ISRCs"},
    {"artist_id", RULE_FIELD_ARTIST_ID, RULE_TYPE_STRINGS, false, RULE_NEEDS_TRACK, BOTH_MODES, 0,
     "artist ids"},
    {"artist_name", RULE_FIELD_ARTIST_NAME, RULE_TYPE_STRINGS, true, RULE_NEEDS_TRACK, BOTH_MODES, 0,
     "artist names"},
    {"genre", RULE_FIELD_GENRE, RULE_TYPE_STRINGS, true, RULE_NEEDS_ARTISTS, EXTENDED_ONLY,
     RULE_PROVIDER_MUSICBRAINZ,
     "artist genres"},
    {"album_id", RULE_FIELD_ALBUM_ID, RULE_TYPE_STRING, false, RULE_NEEDS_TRACK, BOTH_MODES, 0,
     "album ids"},
    {"album_name", RULE_FIELD_ALBUM_NAME, RULE_TYPE_STRING, true, RULE_NEEDS_TRACK, BOTH_MODES, 0,
     "album names"},
    {"album_type", RULE_FIELD_ALBUM_TYPE, RULE_TYPE_STRING, true, RULE_NEEDS_TRACK, BOTH_MODES, 0,
     "album types"},
    {"label", RULE_FIELD_LABEL, RULE_TYPE_STRING, true, RULE_NEEDS_ALBUM, EXTENDED_ONLY, 0,
     "album labels"},
    {"added_by", RULE_FIELD_ADDED_BY, RULE_TYPE_STRING, true, RULE_NEEDS_TRACK, BOTH_MODES, 0,
     "who added a track"},
    {"track_number", RULE_FIELD_TRACK_NUMBER, RULE_TYPE_NUMBER, false, RULE_NEEDS_TRACK, BOTH_MODES, 0,
     "track numbers"},
    {"disc_number", RULE_FIELD_DISC_NUMBER, RULE_TYPE_NUMBER, false, RULE_NEEDS_TRACK, BOTH_MODES, 0,
     "disc numbers"},
    {"duration_ms", RULE_FIELD_DURATION_MS, RULE_TYPE_NUMBER, false, RULE_NEEDS_TRACK, BOTH_MODES, 0,
     "durations"},
    {"popularity", RULE_FIELD_POPULARITY, RULE_TYPE_NUMBER, false, RULE_NEEDS_TRACK, EXTENDED_ONLY, 0,
     "track popularity"},
    {"artist_popularity", RULE_FIELD_ARTIST_POPULARITY, RULE_TYPE_NUMBER, false, RULE_NEEDS_ARTISTS,
     EXTENDED_ONLY, 0, "artist popularity"},
    {"album_popularity", RULE_FIELD_ALBUM_POPULARITY, RULE_TYPE_NUMBER, false, RULE_NEEDS_ALBUM,
     EXTENDED_ONLY, 0, "album popularity"},
    {"release_year", RULE_FIELD_RELEASE_YEAR, RULE_TYPE_NUMBER, false, RULE_NEEDS_TRACK, BOTH_MODES, 0,
     "release dates"},
    {"release_date", RULE_FIELD_RELEASE_DATE, RULE_TYPE_DATE, false, RULE_NEEDS_TRACK, BOTH_MODES, 0,
     "release dates"},
    {"added_at", RULE_FIELD_ADDED_AT, RULE_TYPE_DATE, false, RULE_NEEDS_TRACK, BOTH_MODES, 0,
     "when a track was added"},
    {"explicit", RULE_FIELD_EXPLICIT, RULE_TYPE_BOOL, false, RULE_NEEDS_TRACK, BOTH_MODES, 0,
     "explicit flags"},
    {"original_year", RULE_FIELD_ORIGINAL_YEAR, RULE_TYPE_NUMBER, false, 0, 0,
     RULE_PROVIDER_MUSICBRAINZ, "original release years"},
    {"tag", RULE_FIELD_TAG, RULE_TYPE_STRINGS, true, RULE_NEEDS_TAGS, BOTH_MODES, 0,
     "the user's tags"},
};

static const char *const OP_NAMES[RULE_OP_COUNT] = {
    [RULE_OP_EQ] = "eq",
    [RULE_OP_NEQ] = "neq",
    [RULE_OP_CONTAINS] = "contains",
    [RULE_OP_NOT_CONTAINS] = "not_contains",
    [RULE_OP_STARTS_WITH] = "starts_with",
    [RULE_OP_ENDS_WITH] = "ends_with",
    [RULE_OP_MATCHES] = "matches",
    [RULE_OP_IN] = "in",
    [RULE_OP_NOT_IN] = "not_in",
    [RULE_OP_GT] = "gt",
    [RULE_OP_GTE] = "gte",
    [RULE_OP_LT] = "lt",
    [RULE_OP_LTE] = "lte",
    [RULE_OP_BETWEEN] = "between",
    [RULE_OP_BEFORE] = "before",
    [RULE_OP_AFTER] = "after",
    [RULE_OP_IN_THE_LAST] = "in_the_last",
    [RULE_OP_EXISTS] = "exists",
    [RULE_OP_MISSING] = "missing",
};

#define OPB(op) (1u << (op))
#define STRING_OPS                                                                                 \
    (OPB(RULE_OP_EQ) | OPB(RULE_OP_NEQ) | OPB(RULE_OP_CONTAINS) | OPB(RULE_OP_NOT_CONTAINS) |      \
     OPB(RULE_OP_STARTS_WITH) | OPB(RULE_OP_ENDS_WITH) | OPB(RULE_OP_MATCHES) | OPB(RULE_OP_IN) |  \
     OPB(RULE_OP_NOT_IN) | OPB(RULE_OP_EXISTS) | OPB(RULE_OP_MISSING))
#define NUMBER_OPS                                                                                 \
    (OPB(RULE_OP_EQ) | OPB(RULE_OP_NEQ) | OPB(RULE_OP_GT) | OPB(RULE_OP_GTE) | OPB(RULE_OP_LT) |   \
     OPB(RULE_OP_LTE) | OPB(RULE_OP_BETWEEN) | OPB(RULE_OP_IN) | OPB(RULE_OP_NOT_IN) |             \
     OPB(RULE_OP_EXISTS) | OPB(RULE_OP_MISSING))
#define DATE_OPS                                                                                   \
    (OPB(RULE_OP_BEFORE) | OPB(RULE_OP_AFTER) | OPB(RULE_OP_BETWEEN) | OPB(RULE_OP_IN_THE_LAST) |  \
     OPB(RULE_OP_EXISTS) | OPB(RULE_OP_MISSING))
#define BOOL_OPS (OPB(RULE_OP_EQ) | OPB(RULE_OP_EXISTS) | OPB(RULE_OP_MISSING))

static unsigned type_ops(enum rule_type type)
{
    switch (type) {
    case RULE_TYPE_STRING:
    case RULE_TYPE_STRINGS:
        return STRING_OPS;
    case RULE_TYPE_NUMBER:
        return NUMBER_OPS;
    case RULE_TYPE_DATE:
        return DATE_OPS;
    case RULE_TYPE_BOOL:
        return BOOL_OPS;
    }
    return 0;
}

const struct rule_field *rule_field_find(const char *name)
{
    if (!name)
        return NULL;
    for (size_t i = 0; i < RULE_FIELD_COUNT; i++)
        if (strcmp(FIELDS[i].name, name) == 0)
            return &FIELDS[i];
    return NULL;
}

const struct rule_field *rule_field_by_id(enum rule_field_id id)
{
    return (unsigned)id < RULE_FIELD_COUNT ? &FIELDS[id] : NULL;
}

int rule_field_check_mode(const struct rule_field *f, unsigned env, struct report *rep)
{
    bool mb = (env & RULE_ENV_MUSICBRAINZ) != 0;
    enum spotify_mode mode = (enum spotify_mode)(env & 0xffu);

    if ((f->modes & RULE_MODE_BIT(mode)) || (mb && (f->providers & RULE_PROVIDER_MUSICBRAINZ)))
        return 0;
    if (f->modes == 0) /* MusicBrainz alone provides it, and it is off */
        report_message(rep,
                       "field '%s' is not available: only MusicBrainz provides %s, and it is "
                       "off (PLAYROUTER_MUSICBRAINZ_BASE=off); unset PLAYROUTER_MUSICBRAINZ_BASE "
                       "or set it to a MusicBrainz web service URL to use it",
                       f->name, f->what);
    /* Only two modes exist and every Spotify field is served in extended mode, so a field
     * that is missing is one Spotify took away from Development Mode apps. */
    else if (f->providers & RULE_PROVIDER_MUSICBRAINZ)
        report_message(rep,
                       "field '%s' is not available: Spotify no longer serves %s to apps in "
                       "Development Mode (SPOTIFY_API_MODE=development) and MusicBrainz, which "
                       "provides it in every mode, is off (PLAYROUTER_MUSICBRAINZ_BASE=off); "
                       "unset PLAYROUTER_MUSICBRAINZ_BASE (or set it to a MusicBrainz web "
                       "service URL), or use an app with extended quota "
                       "(SPOTIFY_API_MODE=extended)",
                       f->name, f->what);
    else
        report_message(rep,
                       "field '%s' is not available: Spotify no longer serves %s to apps in "
                       "Development Mode (SPOTIFY_API_MODE=development); it needs an app with "
                       "extended quota (SPOTIFY_API_MODE=extended)",
                       f->name, f->what);
    /* report_message() leaves no message when it runs out of memory. */
    return rep && !rep->message ? ERR_NOMEM : ERR_VALIDATION;
}

unsigned rule_field_needs(const struct rule_field *f, unsigned env)
{
    unsigned needs = 0;
    if (f->modes & RULE_MODE_BIT(env & 0xffu))
        needs |= f->needs;
    if ((env & RULE_ENV_MUSICBRAINZ) && (f->providers & RULE_PROVIDER_MUSICBRAINZ))
        needs |= RULE_NEEDS_MUSICBRAINZ;
    return needs;
}

int rule_op_find(const char *name)
{
    if (!name)
        return -1;
    for (int i = 0; i < RULE_OP_COUNT; i++)
        if (strcmp(OP_NAMES[i], name) == 0)
            return i;
    return -1;
}

/* ---- suggestions for a name that is not known ---- */

/* Levenshtein distance of two short names, capped: names longer than 63 bytes are
 * never near anything. */
static int edit_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    int row[64];

    if (la > 63 || lb > 63)
        return 64;
    for (size_t j = 0; j <= lb; j++)
        row[j] = (int)j;
    for (size_t i = 1; i <= la; i++) {
        int diag = row[0];
        row[0] = (int)i;
        for (size_t j = 1; j <= lb; j++) {
            int up = row[j];
            int cost = tolower((unsigned char)a[i - 1]) == tolower((unsigned char)b[j - 1]) ? 0 : 1;
            int best = diag + cost;
            if (row[j] + 1 < best)
                best = row[j] + 1;
            if (row[j - 1] + 1 < best)
                best = row[j - 1] + 1;
            row[j] = best;
            diag = up;
        }
    }
    return row[lb];
}

/* Whether `word` is one of the '_'-separated words of `name` ("year" in "release_year"). */
static int is_word_of(const char *word, const char *name)
{
    size_t n = strlen(word);
    for (const char *p = name; n > 0 && (p = strstr(p, word)) != NULL; p++)
        if ((p == name || p[-1] == '_') && (p[n] == '\0' || p[n] == '_'))
            return 1;
    return 0;
}

/* The candidate nearest to `name`: one of whose words it is, or that it begins (4+
 * characters; first in table order),
 * else the one within a small edit distance (a typo: at most 2 edits, and fewer than
 * half the name's length), else NULL. */
static const char *nearest(const char *name, const char *const *cands, size_t n)
{
    const char *best = NULL;
    int best_d = 3;
    int limit = (int)strlen(name) / 2;

    if (!name || !*name)
        return NULL;
    for (size_t i = 0; i < n; i++)
        if (cands[i] && (is_word_of(name, cands[i]) ||
                         (strlen(name) >= 4 && strncmp(cands[i], name, strlen(name)) == 0)))
            return cands[i];
    for (size_t i = 0; i < n; i++) {
        int d = cands[i] ? edit_distance(name, cands[i]) : 64;
        if (d < best_d && d < limit) {
            best_d = d;
            best = cands[i];
        }
    }
    return best;
}

const char *rule_field_suggest(const char *name)
{
    const char *names[RULE_FIELD_COUNT];
    for (size_t i = 0; i < RULE_FIELD_COUNT; i++)
        names[i] = FIELDS[i].name;
    return nearest(name, names, RULE_FIELD_COUNT);
}

const char *rule_suggest_text(const char *near, char out[RULE_SUGGEST_MAX])
{
    if (!near)
        return "";
    snprintf(out, RULE_SUGGEST_MAX, " (did you mean %s?)", near);
    return out;
}

const char *rule_op_suggest(const char *name)
{
    /* Typos only: API.md's own example ("unknown operator 'equals'") stays as it is. */
    return nearest(name, OP_NAMES, RULE_OP_COUNT);
}

const char *rule_op_name(int op)
{
    return op >= 0 && op < RULE_OP_COUNT ? OP_NAMES[op] : "?";
}

bool rule_op_valid_for(int op, enum rule_type type)
{
    return op >= 0 && op < RULE_OP_COUNT && (type_ops(type) & OPB(op));
}

const char *rule_type_ops(enum rule_type type)
{
    switch (type) {
    case RULE_TYPE_STRING:
    case RULE_TYPE_STRINGS:
        return "eq, neq, contains, not_contains, starts_with, ends_with, matches, in, not_in, "
               "exists, missing";
    case RULE_TYPE_NUMBER:
        return "eq, neq, gt, gte, lt, lte, between, in, not_in, exists, missing";
    case RULE_TYPE_DATE:
        return "before, after, between, in_the_last, exists, missing";
    case RULE_TYPE_BOOL:
        return "eq, exists, missing";
    }
    return "";
}

const char *rule_type_name(enum rule_type type)
{
    switch (type) {
    case RULE_TYPE_STRING:
        return "string";
    case RULE_TYPE_STRINGS:
        return "several-valued string";
    case RULE_TYPE_NUMBER:
        return "number";
    case RULE_TYPE_DATE:
        return "date";
    case RULE_TYPE_BOOL:
        return "bool";
    }
    return "?";
}

/* ---- Case folding ---------------------------------------------------------------- */

/* Simple lowercase of a code point in U+0080..U+07FF whose lowercase is also in that
 * range (so its UTF-8 form keeps two bytes); others are returned unchanged. */
static unsigned fold_cp2(unsigned cp)
{
    if (cp < 0x100) {
        /* Latin-1: À..Þ except × */
        if (cp >= 0xC0 && cp <= 0xDE && cp != 0xD7)
            return cp + 0x20;
        return cp;
    }
    if (cp < 0x180) { /* Latin Extended-A */
        if (cp == 0x130 || cp == 0x131 || cp == 0x138 || cp == 0x149 || cp == 0x17F)
            return cp; /* İ (lowercase is i + dot: 3 bytes), ı, ĸ, ŉ, ſ */
        if (cp == 0x178)
            return 0xFF; /* Ÿ -> ÿ */
        if ((cp >= 0x139 && cp <= 0x148) || (cp >= 0x179 && cp <= 0x17E))
            return (cp & 1) ? cp + 1 : cp; /* odd = upper in these runs */
        return (cp & 1) ? cp : cp + 1;     /* elsewhere even = upper */
    }
    if (cp >= 0x370 && cp < 0x400) { /* Greek */
        if (cp == 0x386)
            return 0x3AC;
        if (cp >= 0x388 && cp <= 0x38A)
            return cp + 37;
        if (cp == 0x38C)
            return 0x3CC;
        if (cp == 0x38E || cp == 0x38F)
            return cp + 63;
        if ((cp >= 0x391 && cp <= 0x3A1) || (cp >= 0x3A3 && cp <= 0x3AB))
            return cp + 0x20;
        if (cp == 0x3C2)
            return 0x3C3; /* final sigma compares as sigma */
        return cp;
    }
    if (cp >= 0x400 && cp < 0x500) { /* Cyrillic */
        if (cp <= 0x40F)
            return cp + 0x50;
        if (cp <= 0x42F)
            return cp + 0x20;
        if ((cp >= 0x460 && cp <= 0x481) || (cp >= 0x48A && cp <= 0x4BF))
            return (cp & 1) ? cp : cp + 1;
        return cp;
    }
    return cp;
}

void rule_fold(const char *s, size_t len, char *out)
{
    const unsigned char *in = (const unsigned char *)s;
    unsigned char *o = (unsigned char *)out;
    size_t i = 0;
    while (i < len) {
        unsigned c = in[i];
        if (c < 0x80) {
            o[i] = (unsigned char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
            i++;
        } else if (c >= 0xC2 && c <= 0xDF && i + 1 < len && (in[i + 1] & 0xC0) == 0x80) {
            unsigned cp = ((c & 0x1Fu) << 6) | (in[i + 1] & 0x3Fu);
            unsigned f = fold_cp2(cp);
            o[i] = (unsigned char)(0xC0 | (f >> 6));
            o[i + 1] = (unsigned char)(0x80 | (f & 0x3F));
            i += 2;
        } else {
            o[i] = (unsigned char)c; /* longer sequences and stray bytes: as they are */
            i++;
        }
    }
}

/* ---- Value accessors --------------------------------------------------------------- */

size_t rule_field_strings(enum rule_field_id id, const struct track *t, const char *const **out)
{
    return rule_field_strings_inl(id, t, out);
}

bool rule_field_number(enum rule_field_id id, const struct track *t, double *out)
{
    return rule_field_number_inl(id, t, out);
}

bool rule_field_period(enum rule_field_id id, const struct track *t, int64_t *first, int64_t *last)
{
    return rule_field_period_inl(id, t, first, last);
}

bool rule_field_bool(enum rule_field_id id, const struct track *t, bool *out)
{
    return rule_field_bool_inl(id, t, out);
}

json_t *rule_field_value_json(enum rule_field_id id, const struct track *t)
{
    const struct rule_field *f = rule_field_by_id(id);
    const char *const *vals;
    double x;
    int64_t first, last;
    bool b;

    if (!f)
        return NULL;
    switch (f->type) {
    case RULE_TYPE_STRINGS: {
        json_t *arr = json_array();
        size_t n = rule_field_strings(id, t, &vals);
        for (size_t i = 0; arr && i < n; i++)
            if (vals[i] && vals[i][0] && json_array_append_new(arr, json_string(vals[i])) != 0) {
                json_decref(arr);
                return NULL;
            }
        return arr;
    }
    case RULE_TYPE_STRING:
        return rule_field_strings(id, t, &vals) > 0 && vals[0] && vals[0][0] ? json_string(vals[0])
                                                                              : json_null();
    case RULE_TYPE_NUMBER:
        return rule_field_number(id, t, &x) ? json_integer((json_int_t)x) : json_null();
    case RULE_TYPE_DATE:
        if (!rule_field_period(id, t, &first, &last))
            return json_null();
        if (id == RULE_FIELD_RELEASE_DATE)
            return json_string(t->release_date); /* as Spotify gave it: "1994" is a period */
        {
            char day[21];
            util_time_format((time_t)t->added_at, day);
            return json_string(day);
        }
    case RULE_TYPE_BOOL:
        return rule_field_bool(id, t, &b) ? json_boolean(b) : json_null();
    }
    return json_null();
}

/* "spotify", "musicbrainz" or both, for TRACK_SOURCE_* bits (0 = Spotify). */
static const char *source_name(unsigned bits)
{
    switch (bits & (TRACK_SOURCE_SPOTIFY | TRACK_SOURCE_MUSICBRAINZ)) {
    case TRACK_SOURCE_MUSICBRAINZ:
        return "musicbrainz";
    case TRACK_SOURCE_SPOTIFY | TRACK_SOURCE_MUSICBRAINZ:
        return "spotify+musicbrainz";
    default:
        return "spotify";
    }
}

const char *rule_field_genre_source(const struct track *t, size_t i)
{
    return source_name(t->genre_sources && i < t->n_genres ? t->genre_sources[i]
                                                           : TRACK_SOURCE_SPOTIFY);
}

const char *rule_field_source(enum rule_field_id id, const struct track *t)
{
    switch (id) {
    case RULE_FIELD_ORIGINAL_YEAR:
        return "musicbrainz";
    case RULE_FIELD_TAG:
        return "tags";
    case RULE_FIELD_GENRE: {
        unsigned bits = 0;
        for (size_t i = 0; t && t->genres && i < t->n_genres; i++)
            if (t->genres[i] && t->genres[i][0])
                bits |= t->genre_sources ? t->genre_sources[i] : TRACK_SOURCE_SPOTIFY;
        return source_name(bits ? bits : t ? t->genre_asked : 0);
    }
    default:
        return "spotify";
    }
}

json_t *rule_field_value_sources_json(enum rule_field_id id, const struct track *t)
{
    json_t *arr;
    if (id != RULE_FIELD_GENRE || !(arr = json_array()))
        return NULL;
    /* The same values as rule_field_value_json(): NULL and "" left out. */
    for (size_t i = 0; t->genres && i < t->n_genres; i++)
        if (t->genres[i] && t->genres[i][0] &&
            json_array_append_new(arr, json_string(rule_field_genre_source(t, i))) != 0) {
            json_decref(arr);
            return NULL;
        }
    return arr;
}
