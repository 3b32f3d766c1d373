/* The stored base (services/sync/sync_store.c, repositories/base_store_repo.c): an entry
 * comes back field for field, absent fields stay absent, a save is found again only at
 * its snapshot, mode and format, and goes with its base. */
#include "test_sync_fixture.h"

#include "lib/app_err.h"
#include "services/rules/rule.h"
#include "services/sync/sync_internal.h"

static const char *const ARTIST_IDS[] = {"a1", "a2"};
static const char *const ARTIST_NAMES[] = {"Ann \"Quote\" \\ Back", "Bj\xc3\xb6rk\n\t\x01"};
static const char *const GENRES[] = {"dream pop", "shoegaze", "k\xc3\xa4se"};

/* An entry with every field set, and the enriched track its metadata comes from. */
static void full_entry(struct spotify_item *it, struct track *meta)
{
    memset(it, 0, sizeof *it);
    it->kind = SPOTIFY_ITEM_TRACK;
    it->uri = "spotify:track:t1";
    struct track *t = &it->track;
    t->id = "t1";
    t->uri = "spotify:track:t1";
    t->name = "Song / \"one\"";
    t->isrc = "GBAAA9100001";
    t->artist_ids = ARTIST_IDS;
    t->artist_names = ARTIST_NAMES;
    t->n_artists = 2;
    t->album_id = "al1";
    t->album_name = "LP";
    t->album_type = "compilation";
    assert_int_equal(track_set_release_date(t, "1994-06"), 0);
    t->added_at = 1700000000;
    t->added_by = "demo";
    t->duration_ms = 240000;
    t->track_number = 3;
    t->disc_number = 2;
    t->popularity = 0; /* zero is a value, not an absence */
    t->is_explicit = false;
    t->has |= TRACK_HAS_ADDED_AT | TRACK_HAS_DURATION | TRACK_HAS_TRACK_NUMBER |
              TRACK_HAS_DISC_NUMBER | TRACK_HAS_POPULARITY | TRACK_HAS_EXPLICIT;
    t->base_index = 7;
    *meta = *t;
    meta->genres = GENRES;
    meta->n_genres = 3;
    meta->label = "Creation";
    meta->artist_popularity = 57;
    meta->album_popularity = 42;
    meta->has |= TRACK_HAS_ARTIST_POPULARITY | TRACK_HAS_ALBUM_POPULARITY;
}

static void assert_strs_equal(const char *const *a, const char *const *b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        assert_string_equal(a[i], b[i]);
}

static void test_sync_store_entry_roundtrip_every_field(void **state)
{
    struct fx *f = *state;
    struct spotify_item it, back;
    struct track meta;
    struct buf text = BUF_INIT;

    full_entry(&it, &meta);
    assert_int_equal(sync_store_encode(&it, &meta, &text), 0);
    assert_int_equal(sync_store_decode(text.data, text.len, 7, f->a, &back), 0);
    const struct track *w = &meta, *g = &back.track;
    assert_int_equal(back.kind, SPOTIFY_ITEM_TRACK);
    assert_string_equal(back.uri, it.uri);
    assert_string_equal(g->id, w->id);
    assert_string_equal(g->uri, w->uri);
    assert_string_equal(g->name, w->name);
    assert_string_equal(g->isrc, w->isrc);
    assert_int_equal(g->n_artists, 2);
    assert_strs_equal(g->artist_ids, ARTIST_IDS, 2);
    assert_strs_equal(g->artist_names, ARTIST_NAMES, 2);
    assert_int_equal(g->n_genres, 3);
    assert_strs_equal(g->genres, GENRES, 3);
    assert_string_equal(g->album_id, w->album_id);
    assert_string_equal(g->album_name, w->album_name);
    assert_string_equal(g->album_type, w->album_type);
    assert_string_equal(g->label, w->label);
    assert_string_equal(g->release_date, "1994-06");
    assert_int_equal(g->release_first_day, w->release_first_day);
    assert_int_equal(g->release_last_day, w->release_last_day);
    assert_int_equal(g->release_year, 1994);
    assert_int_equal(g->added_at, 1700000000);
    assert_string_equal(g->added_by, "demo");
    assert_int_equal(g->duration_ms, 240000);
    assert_int_equal(g->track_number, 3);
    assert_int_equal(g->disc_number, 2);
    assert_int_equal(g->popularity, 0);
    assert_int_equal(g->artist_popularity, 57);
    assert_int_equal(g->album_popularity, 42);
    assert_false(g->is_explicit);
    assert_int_equal(g->has, w->has);
    assert_int_equal(g->base_index, 7);
    /* Every string is a copy in the arena, none borrowed from the text. */
    assert_ptr_not_equal(g->name, w->name);
    buf_release(&text);
}

static void test_sync_store_entry_absent_fields_stay_absent(void **state)
{
    struct fx *f = *state;
    struct spotify_item it = {.kind = SPOTIFY_ITEM_LOCAL, .uri = "spotify:local:A:B:C:200"};
    struct spotify_item back, none = {.kind = SPOTIFY_ITEM_UNAVAILABLE};
    struct buf text = BUF_INIT;

    it.track.name = "C";
    it.track.uri = "spotify:local:A:B:C:200";
    assert_int_equal(sync_store_encode(&it, NULL, &text), 0);
    assert_int_equal(sync_store_decode(text.data, text.len, 0, f->a, &back), 0);
    assert_int_equal(back.kind, SPOTIFY_ITEM_LOCAL);
    assert_string_equal(back.track.uri, "spotify:local:A:B:C:200");
    assert_string_equal(back.track.name, "C");
    assert_null(back.track.id);
    assert_null(back.track.release_date);
    assert_null(back.track.genres);
    assert_int_equal(back.track.n_artists, 0);
    assert_int_equal(back.track.has, 0);

    assert_int_equal(sync_store_encode(&none, NULL, &text), 0);
    assert_int_equal(sync_store_decode(text.data, text.len, 1, f->a, &back), 0);
    assert_int_equal(back.kind, SPOTIFY_ITEM_UNAVAILABLE);
    assert_null(back.uri);
    assert_null(back.track.uri);
    buf_release(&text);
}

static void test_sync_store_decode_refuses_what_it_did_not_write(void **state)
{
    struct fx *f = *state;
    struct spotify_item back;
    const char *bad[] = {"", "[]", "{\"k\":9}", "{\"u\":\"x\"}", "{\"k\":\"0\"}", "{\"k\":0"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(sync_store_decode(bad[i], strlen(bad[i]), 0, f->a, &back), ERR_INTERNAL);
    /* Artist ids and names written from one count must stay paired. */
    const char *unpaired = "{\"k\":0,\"t\":{\"ai\":[\"a\",\"b\"],\"an\":[\"A\"]}}";
    assert_int_equal(sync_store_decode(unpaired, strlen(unpaired), 0, f->a, &back), ERR_INTERNAL);
}

/* A sync_input with what sync_store_load/save read: base b1 of the fixture. */
static void input_for(struct fx *f, struct sync_input *in, enum spotify_mode mode)
{
    memset(in, 0, sizeof *in);
    in->base.id = "b1";
    in->base.spotify_playlist_id = "spb1";
    in->base.name = "Base";
    in->api_mode = mode;
    assert_int_equal(base_store_repo_info(f->db, f->a, "b1", &in->store), 0);
}

/* A base of n entries: tracks t0..t(n-1), each its own filterable track. */
static void playlist_of(struct fx *f, size_t n, const char *snapshot, struct spotify_playlist *pl,
                        struct sync_tracks *tracks)
{
    memset(pl, 0, sizeof *pl);
    pl->info.snapshot_id = snapshot;
    pl->items = arena_alloc(f->a, (n + 1) * sizeof *pl->items);
    pl->n_items = n;
    for (size_t i = 0; i < n; i++) {
        struct spotify_item *it = &pl->items[i];
        it->kind = SPOTIFY_ITEM_TRACK;
        it->track.id = arena_sprintf(f->a, "t%zu", i);
        it->uri = it->track.uri = arena_sprintf(f->a, "spotify:track:t%zu", i);
        it->track.duration_ms = (int32_t)(1000 * (i + 1));
        it->track.has = TRACK_HAS_DURATION;
        it->track.base_index = i;
    }
    assert_int_equal(sync_tracks_build(f->a, pl->items, n, tracks), 0);
    for (size_t i = 0; i < tracks->n; i++) {
        tracks->tracks[i].label = "L";
        tracks->tracks[i].album_popularity = (int32_t)i;
        tracks->tracks[i].has |= TRACK_HAS_ALBUM_POPULARITY;
    }
}

static void test_sync_store_save_then_load_at_its_snapshot_only(void **state)
{
    struct fx *f = *state;
    struct sync_input in;
    struct spotify_playlist pl, back;
    struct sync_tracks tracks;

    input_for(f, &in, SPOTIFY_MODE_EXTENDED);
    assert_null(in.store.snapshot_id);
    assert_int_equal(sync_store_load(f->db, f->a, &in, "s1", &back), ERR_NOT_FOUND);
    playlist_of(f, 3, "s1", &pl, &tracks);
    assert_int_equal(sync_store_save(f->db, f->a, &in, &pl, &tracks, RULE_NEEDS_ALBUM, 1234), 0);

    input_for(f, &in, SPOTIFY_MODE_EXTENDED);
    assert_string_equal(in.store.snapshot_id, "s1");
    assert_int_equal(in.store.n_entries, 3);
    assert_int_equal(in.store.metadata_needs, RULE_NEEDS_ALBUM);
    assert_int_equal(in.store.metadata_at, 1234);
    assert_int_equal(in.store.format, SYNC_STORE_FORMAT);
    assert_int_equal(sync_store_load(f->db, f->a, &in, "s1", &back), 0);
    assert_int_equal(back.n_items, 3);
    assert_string_equal(back.info.snapshot_id, "s1");
    for (size_t i = 0; i < 3; i++) {
        assert_string_equal(back.items[i].uri, pl.items[i].uri);
        assert_int_equal(back.items[i].track.duration_ms, 1000 * (i + 1));
        assert_int_equal(back.items[i].track.base_index, i);
        assert_string_equal(back.items[i].track.label, "L"); /* from the enriched track */
        assert_int_equal(back.items[i].track.album_popularity, i);
    }
    /* Another snapshot, another mode, another format: not this store. */
    assert_int_equal(sync_store_load(f->db, f->a, &in, "s2", &back), ERR_NOT_FOUND);
    input_for(f, &in, SPOTIFY_MODE_DEVELOPMENT);
    assert_int_equal(sync_store_load(f->db, f->a, &in, "s1", &back), ERR_NOT_FOUND);
    exec_sql(f->db, "UPDATE base_stores SET format = format + 1");
    input_for(f, &in, SPOTIFY_MODE_EXTENDED);
    assert_int_equal(sync_store_load(f->db, f->a, &in, "s1", &back), ERR_NOT_FOUND);
    exec_sql(f->db, "UPDATE base_stores SET format = format - 1");
    /* A row missing is not a stored base. */
    exec_sql(f->db, "DELETE FROM base_store_entries WHERE idx = 1");
    assert_int_equal(sync_store_load(f->db, f->a, &in, "s1", &back), ERR_NOT_FOUND);
}

static void test_sync_store_save_replaces_and_goes_with_its_base(void **state)
{
    struct fx *f = *state;
    struct sync_input in;
    struct spotify_playlist pl, back;
    struct sync_tracks tracks;

    input_for(f, &in, SPOTIFY_MODE_DEVELOPMENT);
    playlist_of(f, 5, "s1", &pl, &tracks);
    assert_int_equal(sync_store_save(f->db, f->a, &in, &pl, &tracks, 0, 0), 0);
    playlist_of(f, 0, "s2", &pl, &tracks); /* the base was emptied */
    assert_int_equal(sync_store_save(f->db, f->a, &in, &pl, &tracks, 0, 0), 0);
    assert_int_equal(count(f->db, "SELECT COUNT(*) FROM base_store_entries"), 0);
    input_for(f, &in, SPOTIFY_MODE_DEVELOPMENT);
    assert_int_equal(sync_store_load(f->db, f->a, &in, "s2", &back), 0);
    assert_int_equal(back.n_items, 0);
    assert_int_equal(sync_store_load(f->db, f->a, &in, "s1", &back), ERR_NOT_FOUND);

    playlist_of(f, 4, "s3", &pl, &tracks);
    assert_int_equal(sync_store_save(f->db, f->a, &in, &pl, &tracks, 0, 0), 0);
    exec_sql(f->db, "DELETE FROM base_playlists WHERE id = 'b1'");
    assert_int_equal(count(f->db, "SELECT COUNT(*) FROM base_stores"), 0);
    assert_int_equal(count(f->db, "SELECT COUNT(*) FROM base_store_entries"), 0);
    /* A base that is gone stores nothing. */
    assert_int_equal(sync_store_save(f->db, f->a, &in, &pl, &tracks, 0, 0), ERR_NOT_FOUND);
    assert_int_equal(count(f->db, "SELECT COUNT(*) FROM base_store_entries"), 0);
    /* Nor does a read that did not say its snapshot. */
    pl.info.snapshot_id = NULL;
    assert_int_equal(sync_store_save(f->db, f->a, &in, &pl, &tracks, 0, 0), ERR_NOT_FOUND);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_sync_store_entry_roundtrip_every_field, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_sync_store_entry_absent_fields_stay_absent, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_sync_store_decode_refuses_what_it_did_not_write,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_sync_store_save_then_load_at_its_snapshot_only,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_sync_store_save_replaces_and_goes_with_its_base,
                                        setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
