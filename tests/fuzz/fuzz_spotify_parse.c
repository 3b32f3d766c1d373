/* libFuzzer target: the Spotify page and metadata parsers (services/spotify/
 * spotify_parse.c). Input: a Spotify answer body. As JSON it goes to every parser
 * (a playlist, a page of entries, a track, an artist, an album, a user); as bytes to
 * the error-body reader and the timestamp reader. Oracles: the documented return
 * values only; a parsed page holds at most `cap` entries with base_index in order; a
 * parsed release date names a period whose first day is not after its last. */
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/app_err.h"
#include "lib/arena.h"
#include "lib/buf.h"
#include "services/spotify/spotify_parse.h"
#include "tests/fuzz/fuzz_input.h"

#define CAP 64

static void check_track(const struct track *t)
{
    if (t->has & TRACK_HAS_RELEASE)
        FUZZ_CHECK(t->release_first_day <= t->release_last_day && t->release_date);
    for (size_t i = 0; i < t->n_artists; i++)
        FUZZ_CHECK(t->artist_ids && t->artist_names);
}

static void parse_json(const json_t *j, struct arena *a)
{
    struct spotify_playlist_info info;
    const json_t *first = NULL;
    int rc = spotify_parse_playlist_info(j, a, &info, &first);
    FUZZ_CHECK(rc == 0 || rc == ERR_SPOTIFY || rc == ERR_NOMEM);

    struct spotify_item items[CAP];
    size_t n = CAP / 2, total = 0; /* half the room taken, as a second page would find it */
    const json_t *page = first ? first : j;
    rc = spotify_parse_page(page, 7, a, items, CAP, &n, &total);
    FUZZ_CHECK(rc == 0 || rc == ERR_SPOTIFY || rc == ERR_NOMEM);
    FUZZ_CHECK(n >= CAP / 2 && n <= CAP);
    for (size_t i = CAP / 2; rc == 0 && i < n; i++) {
        FUZZ_CHECK(items[i].track.base_index == 7 + (i - CAP / 2));
        FUZZ_CHECK(items[i].kind <= SPOTIFY_ITEM_UNAVAILABLE);
        check_track(&items[i].track);
    }

    struct spotify_item item;
    FUZZ_CHECK(spotify_parse_entry(j, 3, a, &item) != ERR_SPOTIFY);
    check_track(&item.track);
    struct track t;
    FUZZ_CHECK(spotify_parse_track(j, a, &t) != ERR_SPOTIFY);
    check_track(&t);
    struct spotify_artist ar;
    if (spotify_parse_artist(j, a, &ar) == 0)
        FUZZ_CHECK(ar.n_genres == 0 || ar.genres);
    struct spotify_album al;
    spotify_parse_album(j, a, &al);
    struct spotify_user u;
    spotify_parse_user(j, a, &u);
    /* arrays of objects, as GET /artists?ids= and /albums?ids= answer */
    const json_t *v;
    size_t i;
    json_array_foreach(j, i, v)
    {
        spotify_parse_artist(v, a, &ar);
        spotify_parse_album(v, a, &al);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct arena *a = arena_new();
    struct buf msg = BUF_INIT;
    bool quota = false;
    if (!a)
        return 0;
    json_t *j = json_loadb((const char *)data, size, JSON_DECODE_ANY, NULL);
    if (j)
        parse_json(j, a);
    json_decref(j);

    FUZZ_CHECK(spotify_parse_error((const char *)data, size, &msg, &quota) == 0);
    struct fuzz_input in = {data, size};
    char *s = fuzz_rest(&in);
    int64_t when;
    if (s && spotify_parse_timestamp(s, &when) == 0)
        FUZZ_CHECK(strlen(s) >= 20); /* at least YYYY-MM-DDTHH:MM:SSZ */
    free(s);
    buf_release(&msg);
    arena_free(a);
    return 0;
}
