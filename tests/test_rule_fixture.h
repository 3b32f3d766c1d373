/* Fixtures of the rule engine tests: the track fixtures (enum fixture), the reference
 * day TODAY, and compiling rules written with ' for ". Header-only: included by
 * tests/test_rule.c and tests/test_rule_errors.c; static inline so that a file that
 * uses only some of it does not trip -Wunused-function. */
#ifndef PLAYROUTER_TEST_RULE_FIXTURE_H
#define PLAYROUTER_TEST_RULE_FIXTURE_H
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "lib/app_err.h"
#include "lib/buf.h"
#include "lib/util.h"
#include "services/rules/rule.h"

#define DAY(y, m, d) ((int32_t)util_days_from_civil((y), (m), (d)))
#define TODAY DAY(2026, 11, 23)

static const char *const FULL_ARTIST_IDS[] = {"0gxyHStUsqpMadRV0Di1Qt", "6vWDO969PvNqNYHIOW5v0m"};
static const char *const FULL_ARTIST_NAMES[] = {"Rick Astley", "BEYONCÉ"};
static const char *const FULL_GENRES[] = {"dance pop", "Europop"};
static const char *const FULL_TAGS[] = {"80s", "workout"};
static const char *const INTL_ARTIST_NAMES[] = {"ΟΔΥΣΣΕΥΣ", "ПРИВЕТ Мир"};
static const char *const INTL_ARTIST_IDS[] = {"a1", "a2"};
static const char *const BLANK_ARTIST_NAMES[] = {"", "Muse"};
static const char *const BLANK_GENRES[] = {""};

enum fixture {
    FULL,     /* every field set */
    EMPTY,    /* no field at all */
    Y1994,    /* release date "1994", explicit */
    M1994_06, /* release date "1994-06" */
    INTL,     /* non-ASCII names */
    NOGENRE,  /* artists listed, genre list empty */
    Y2026,    /* release "2026", added today */
    M2026_10, /* release "2026-10" */
    FUTURE,   /* release "2027-01-01" */
    OLD,      /* added 1969-12-31T23:59:59Z */
    BLANK,    /* empty strings: no value */
    N_FIXTURES
};

static inline struct track fixture(enum fixture f)
{
    struct track t = {0};
    switch (f) {
    case FULL:
        t.id = "4uLU6hMCjMI75M1A2tKUQC";
        t.name = "Never Gonna Give You Up";
        t.isrc = "GBARL9300135";
        t.artist_ids = FULL_ARTIST_IDS;
        t.artist_names = FULL_ARTIST_NAMES;
        t.n_artists = 2;
        t.genres = FULL_GENRES;
        t.n_genres = 2;
        t.tags = FULL_TAGS;
        t.n_tags = 2;
        t.original_year = 1987;
        t.has |= TRACK_HAS_ORIGINAL_YEAR;
        t.album_id = "6N9PS4QXF1D0OWPk0Sxtb4";
        t.album_name = "Whenever You Need Somebody";
        t.album_type = "album";
        t.label = "RCA Records Label";
        track_set_release_date(&t, "1987-11-12");
        t.added_at = (int64_t)DAY(2026, 11, 20) * 86400 + 36000; /* 10:00Z */
        t.added_by = "Alice";
        t.duration_ms = 213573;
        t.track_number = 1;
        t.disc_number = 2;
        t.popularity = 80;
        t.artist_popularity = 77;
        t.album_popularity = 70;
        t.is_explicit = false;
        t.has |= TRACK_HAS_ADDED_AT | TRACK_HAS_DURATION | TRACK_HAS_POPULARITY |
                 TRACK_HAS_ARTIST_POPULARITY | TRACK_HAS_ALBUM_POPULARITY | TRACK_HAS_TRACK_NUMBER |
                 TRACK_HAS_DISC_NUMBER | TRACK_HAS_EXPLICIT;
        break;
    case EMPTY:
        break;
    case Y1994:
        t.id = "y1994";
        t.name = "Song of 1994";
        track_set_release_date(&t, "1994");
        t.is_explicit = true;
        t.has |= TRACK_HAS_EXPLICIT;
        break;
    case M1994_06:
        track_set_release_date(&t, "1994-06");
        break;
    case INTL:
        t.name = "ÉTÉ À PARIS";
        t.album_name = "Ÿ Łódź";
        t.artist_ids = INTL_ARTIST_IDS;
        t.artist_names = INTL_ARTIST_NAMES;
        t.n_artists = 2;
        break;
    case NOGENRE:
        t.artist_ids = FULL_ARTIST_IDS;
        t.artist_names = FULL_ARTIST_NAMES;
        t.n_artists = 2;
        t.genres = FULL_GENRES;
        t.n_genres = 0;
        break;
    case Y2026:
        track_set_release_date(&t, "2026");
        t.added_at = (int64_t)TODAY * 86400 + 86399;
        t.has |= TRACK_HAS_ADDED_AT;
        break;
    case M2026_10:
        track_set_release_date(&t, "2026-10");
        break;
    case FUTURE:
        track_set_release_date(&t, "2027-01-01");
        break;
    case OLD:
        t.added_at = -1;
        t.has |= TRACK_HAS_ADDED_AT;
        break;
    case BLANK:
        t.name = "";
        t.label = "";
        t.artist_names = BLANK_ARTIST_NAMES;
        t.n_artists = 2;
        t.genres = BLANK_GENRES;
        t.n_genres = 1;
        track_set_release_date(&t, "");
        break;
    case N_FIXTURES:
        break;
    }
    return t;
}

/* Rules are written with ' for " to keep the tables readable. */
static inline json_t *jparse(const char *text)
{
    char *s = strdup(text);
    assert_non_null(s);
    for (char *p = s; *p; p++)
        if (*p == '\'')
            *p = '"';
    json_error_t err;
    json_t *j = json_loads(s, JSON_DECODE_ANY, &err);
    if (!j)
        fail_msg("bad test JSON %s: %s", s, err.text);
    free(s);
    return j;
}

static inline struct rule *compile_ok(const char *text, unsigned mode)
{
    json_t *j = jparse(text);
    struct report rep = {0};
    struct rule *r = NULL;
    int rc = rule_compile(j, mode, "/filter", &r, &rep);
    if (rc != 0) {
        char *d = json_dumps(rep.details, 0);
        fail_msg("rule %s: rc %d %s", text, rc, d);
    }
    json_decref(j);
    report_release(&rep);
    return r;
}

#endif
