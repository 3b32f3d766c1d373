"""Self-test of rules_reference.py: hand-computed cases from API.md.

Run: python3 -B tests/e2e/test_rules_reference.py
"""
import datetime
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import rules_reference as R  # noqa: E402

TODAY = datetime.date(2026, 6, 15)


def track(tid="t1", **kw):
    artists = kw.pop("artists", [{"id": "ArtA", "name": "Ann Artist", "genres": ["indie rock", "pop"],
                                  "popularity": 40},
                                 {"id": "artB", "name": "Bob", "genres": ["Jazz"], "popularity": 70}])
    album = kw.pop("album", {"id": "AlB1", "name": "Greatest Hits", "album_type": "compilation",
                             "release_date": "1994", "label": "Big Label", "popularity": 33})
    defaults = dict(name="Hello World", isrc="USABC9400001", track_number=3, disc_number=1,
                    duration_ms=215000, explicit=False, popularity=51,
                    added_at="2026-06-10T12:00:00Z", added_by="someone")
    defaults.update(kw)
    return R.make_track(tid, artists=artists, album=album, **defaults)


def leaf(field, op, value=None):
    r = {"field": field, "op": op}
    if value is not None:
        r["value"] = value
    return r


class EvalTest(unittest.TestCase):
    def m(self, rule, t=None):
        ev = R.Evaluator(TODAY)
        R.validate_rule(rule, musicbrainz=True)
        res = ev.matches(rule, t or track())
        self.assertEqual(ev.ambiguities, [], "hand cases must stay clear of silent corners")
        return res

    def test_derived_fields(self):
        t = track()
        self.assertEqual(t["release_year"], 1994)
        self.assertEqual(t["artist_popularity"], 70)  # max of its artists
        self.assertEqual(t["genre"], ["indie rock", "pop", "Jazz"])

    def test_partial_release_date_is_a_period(self):
        # API.md: "1994" is 1994-01-01...1994-12-31.
        self.assertTrue(self.m(leaf("release_date", "before", "1995-01-01")))
        self.assertFalse(self.m(leaf("release_date", "before", "1994-12-31")))
        self.assertFalse(self.m(leaf("release_date", "before", "1994-06-01")))
        self.assertTrue(self.m(leaf("release_date", "after", "1993-12-31")))
        self.assertFalse(self.m(leaf("release_date", "after", "1994-01-01")))
        self.assertTrue(self.m(leaf("release_date", "between", ["1994-01-01", "1994-12-31"])))
        self.assertFalse(self.m(leaf("release_date", "between", ["1994-01-01", "1994-12-30"])))
        self.assertFalse(self.m(leaf("release_date", "between", ["1994-06-01", "1995-12-31"])))
        month = track(album={"id": "x", "release_date": "2000-02"})
        self.assertTrue(self.m(leaf("release_date", "before", "2000-03-01"), month))
        self.assertFalse(self.m(leaf("release_date", "before", "2000-02-29"), month))
        self.assertTrue(self.m(leaf("release_date", "between", ["2000-02-01", "2000-02-29"]), month))
        self.assertTrue(self.m(leaf("release_date", "after", "2000-01-31"), month))
        day = track(album={"id": "x", "release_date": "2000-02-29"})
        self.assertTrue(self.m(leaf("release_date", "between", ["2000-02-29", "2000-02-29"]), day))
        self.assertFalse(self.m(leaf("release_date", "after", "2000-02-29"), day))

    def test_added_at_by_utc_day(self):
        t = track(added_at="2026-03-01T23:30:00-02:00")  # 2026-03-02 in UTC
        self.assertTrue(self.m(leaf("added_at", "after", "2026-03-01"), t))
        self.assertTrue(self.m(leaf("added_at", "between", ["2026-03-02", "2026-03-02"]), t))
        self.assertFalse(self.m(leaf("added_at", "before", "2026-03-02"), t))

    def test_in_the_last(self):
        self.assertTrue(self.m(leaf("added_at", "in_the_last", 30)))      # 5 days ago
        self.assertFalse(self.m(leaf("added_at", "in_the_last", 2)))      # 5 days ago
        old = track(added_at="2020-01-01T00:00:00Z")
        self.assertFalse(self.m(leaf("added_at", "in_the_last", 365), old))

    def test_several_valued_any_and_none(self):
        self.assertTrue(self.m(leaf("artist_name", "eq", "bob")))
        self.assertFalse(self.m(leaf("artist_name", "neq", "bob")))       # one matches
        self.assertTrue(self.m(leaf("artist_name", "neq", "carl")))
        self.assertTrue(self.m(leaf("genre", "contains", "ROCK")))
        self.assertFalse(self.m(leaf("genre", "not_contains", "rock")))
        self.assertTrue(self.m(leaf("genre", "not_contains", "metal")))
        self.assertTrue(self.m(leaf("genre", "in", ["metal", "jazz"])))
        self.assertFalse(self.m(leaf("genre", "not_in", ["metal", "jazz"])))
        self.assertTrue(self.m(leaf("artist_name", "starts_with", "ann")))
        self.assertTrue(self.m(leaf("artist_name", "ends_with", "ARTIST")))
        self.assertFalse(self.m(leaf("artist_name", "ends_with", "ann")))

    def test_missing_values(self):
        t = track(artists=[{"id": "a", "name": "No Genres", "genres": []}],
                  album={"id": "al", "name": "X"}, popularity=None, explicit=None)
        self.assertFalse(self.m(leaf("genre", "eq", "pop"), t))
        self.assertTrue(self.m(leaf("genre", "neq", "pop"), t))
        self.assertTrue(self.m(leaf("genre", "not_contains", "pop"), t))
        self.assertTrue(self.m(leaf("genre", "not_in", ["pop"]), t))
        self.assertFalse(self.m(leaf("genre", "exists"), t))
        self.assertTrue(self.m(leaf("genre", "missing"), t))
        self.assertFalse(self.m(leaf("release_date", "before", "2100-01-01"), t))
        self.assertFalse(self.m(leaf("release_date", "after", "1900-01-01"), t))
        self.assertFalse(self.m(leaf("release_year", "lt", 3000), t))
        self.assertTrue(self.m(leaf("release_year", "neq", 1994), t))
        self.assertTrue(self.m(leaf("release_year", "not_in", [1994]), t))
        self.assertFalse(self.m(leaf("popularity", "gte", 0), t))
        self.assertFalse(self.m(leaf("explicit", "eq", False), t))
        self.assertFalse(self.m(leaf("explicit", "eq", True), t))
        self.assertTrue(self.m(leaf("label", "missing"), t))
        self.assertFalse(self.m(leaf("label", "starts_with", ""), t))
        self.assertTrue(self.m(leaf("artist_popularity", "missing"), t))
        # a value given to exists/missing is ignored
        self.assertTrue(self.m(leaf("label", "missing", "whatever"), t))

    def test_case_folding_names_but_exact_ids(self):
        self.assertTrue(self.m(leaf("track_name", "eq", "hello world")))
        self.assertTrue(self.m(leaf("album_name", "contains", "HITS")))
        self.assertTrue(self.m(leaf("label", "in", ["big label"])))
        self.assertTrue(self.m(leaf("artist_id", "eq", "ArtA")))
        self.assertFalse(self.m(leaf("artist_id", "eq", "arta")))
        self.assertTrue(self.m(leaf("artist_id", "neq", "arta")))
        self.assertFalse(self.m(leaf("album_id", "in", ["alb1"])))
        self.assertTrue(self.m(leaf("album_id", "in", ["AlB1"])))
        self.assertFalse(self.m(leaf("track_id", "eq", "T1")))
        self.assertTrue(self.m(leaf("track_id", "eq", "t1")))

    def test_matches_unanchored_ignoring_case(self):
        self.assertTrue(self.m(leaf("track_name", "matches", "WOR")))
        self.assertFalse(self.m(leaf("track_name", "matches", "^wor")))
        self.assertTrue(self.m(leaf("track_name", "matches", "^hel+o (world|earth)$")))
        self.assertTrue(self.m(leaf("artist_name", "matches", "^b[aeiou]b$")))
        self.assertTrue(self.m(leaf("track_name", "matches", "[[:digit:]]|world")))

    def test_numbers(self):
        self.assertTrue(self.m(leaf("duration_ms", "between", [215000, 215000])))
        self.assertTrue(self.m(leaf("duration_ms", "between", [200000, 215000])))
        self.assertFalse(self.m(leaf("duration_ms", "between", [215001, 300000])))
        self.assertTrue(self.m(leaf("track_number", "in", [1, 3])))
        self.assertFalse(self.m(leaf("track_number", "not_in", [1, 3])))
        self.assertTrue(self.m(leaf("disc_number", "eq", 1)))
        self.assertTrue(self.m(leaf("popularity", "gt", 50)))
        self.assertFalse(self.m(leaf("popularity", "gt", 51)))
        self.assertTrue(self.m(leaf("popularity", "gte", 51)))
        self.assertTrue(self.m(leaf("album_popularity", "lt", 34)))
        self.assertFalse(self.m(leaf("album_popularity", "lte", 32)))
        self.assertTrue(self.m(leaf("release_year", "eq", 1994)))

    def test_bool_and_nesting(self):
        self.assertTrue(self.m(leaf("explicit", "eq", False)))
        self.assertTrue(self.m({"all": []}))
        self.assertFalse(self.m({"any": []}))
        self.assertTrue(self.m({"not": leaf("explicit", "eq", True)}))
        rule = {"all": [leaf("release_year", "lt", 2000),
                        {"any": [leaf("artist_name", "eq", "nobody"),
                                 {"not": leaf("genre", "contains", "metal")}]}]}
        self.assertTrue(self.m(rule))
        self.assertFalse(self.m({"not": rule}))

    def test_explain_path(self):
        ev = R.Evaluator(TODAY)
        rule = {"all": [leaf("explicit", "eq", False), leaf("popularity", "gt", 90)]}
        self.assertEqual(ev.explain(rule, track()), (False, "/all/1", True))

    def test_validation(self):
        with self.assertRaises(R.RuleError) as cm:
            R.validate_rule({"all": [leaf("track_name", "equals", "x")]})
        self.assertEqual(cm.exception.path, "/all/0/op")
        with self.assertRaises(R.RuleError) as cm:
            R.validate_rule({"any": [leaf("explicit", "eq", True), leaf("genre", "eq", "pop")]},
                            mode="development")
        self.assertEqual(cm.exception.path, "/any/1/field")
        R.validate_rule(leaf("genre", "eq", "pop"), mode="extended")
        # "Metadata sources": MusicBrainz provides genre in development mode;
        # original_year needs MusicBrainz in every mode.
        R.validate_rule(leaf("genre", "eq", "pop"), mode="development", musicbrainz=True)
        with self.assertRaises(R.RuleError) as cm:
            R.validate_rule({"not": leaf("original_year", "lt", 1990)}, mode="extended")
        self.assertEqual(cm.exception.path, "/not/field")
        R.validate_rule(leaf("original_year", "lt", 1990), mode="development", musicbrainz=True)
        with self.assertRaises(R.RuleError):
            R.validate_rule(leaf("label", "eq", "x"), mode="development", musicbrainz=True)

    def test_metadata_sources_and_tags(self):
        # genre: the union, lower-cased, of Spotify's (extended) and MusicBrainz's genres
        t = track(musicbrainz={"genres": ["Shoegaze", "indie rock"], "original_year": 1991})
        self.assertEqual(t["genre"], ["indie rock", "pop", "jazz", "shoegaze"])
        self.assertEqual(t["original_year"], 1991)
        self.assertTrue(self.m(leaf("genre", "eq", "SHOEGAZE"), t))
        self.assertTrue(self.m(leaf("original_year", "between", [1990, 1991]), t))
        # development mode: MusicBrainz's alone
        t = track(musicbrainz={"genres": ["Shoegaze"], "original_year": None}, spotify_genres=False)
        self.assertEqual(t["genre"], ["shoegaze"])
        self.assertTrue(self.m(leaf("original_year", "missing"), t))
        self.assertFalse(self.m(leaf("original_year", "lt", 3000), t))
        # unknown ISRC: no MusicBrainz values
        t = track(musicbrainz={}, spotify_genres=False)
        self.assertTrue(self.m(leaf("genre", "missing"), t))
        # tag: the track's own and its artists', several-valued
        t = track(tags=["workout"], tagged={"artB": ["calm", "workout"], "other": ["x"]})
        self.assertEqual(t["tag"], ["calm", "workout"])
        self.assertTrue(self.m(leaf("tag", "eq", "Calm"), t))
        self.assertTrue(self.m(leaf("tag", "not_in", ["x"]), t))
        self.assertTrue(self.m(leaf("tag", "missing"), track()))


class SortTest(unittest.TestCase):
    def test_stable_missing_last_case_insensitive(self):
        ts = [R.make_track("a", name="beta"), R.make_track("b", name=None),
              R.make_track("c", name="Alpha"), R.make_track("d", name="BETA"),
              R.make_track("e", name="alpha")]
        ids = lambda xs: [t["track_id"] for t in xs]  # noqa: E731
        self.assertEqual(ids(R.sort_tracks(ts, {"by": "track_name", "order": "asc"})),
                         ["c", "e", "a", "d", "b"])
        self.assertEqual(ids(R.sort_tracks(ts, {"by": "track_name", "order": "desc"})),
                         ["a", "d", "c", "e", "b"])

    def test_several_valued_by_first_value(self):
        ts = [R.make_track("x", artists=[{"id": "1", "name": "Zed"}, {"id": "2", "name": "Abe"}]),
              R.make_track("y", artists=[{"id": "3", "name": "Moe"}])]
        self.assertEqual([t["track_id"] for t in R.sort_tracks(ts, {"by": "artist_name", "order": "asc"})],
                         ["y", "x"])


def entry(tid, added_at="2026-01-01T00:00:00Z", kind="track", is_local=False):
    return {"kind": kind, "is_local": is_local, "track_id": tid, "added_at": added_at,
            "added_by": "u"}


def child(cid, pos, flt, **kw):
    c = {"id": cid, "position": pos, "filter": flt, "sort": None, "limit": None,
         "catch_all": False, "pinned_track_ids": [], "banned_track_ids": []}
    c.update(kw)
    return c


class TargetTest(unittest.TestCase):
    def setUp(self):
        # t1..t8 with popularity 10..80 and names n1..n8
        self.cat = {"t%d" % i: R.make_track("t%d" % i, name="n%d" % i, popularity=10 * i,
                                            artists=[{"id": "a%d" % (i % 2), "name": "A%d" % (i % 2)}],
                                            album={"id": "al", "release_date": str(1990 + i)})
                    for i in range(1, 9)}
        self.entries = [entry("t1"), entry("t2"), entry(None, kind="episode"), entry("t3"),
                        entry(None, is_local=True), entry("t4"), entry("t2"), entry("t5"),
                        entry("t6"), entry("t7"), entry("t8")]

    def test_skips_and_counts(self):
        plan = R.compute_targets(self.entries, self.cat, [child("c", 0, {"all": []})], today=TODAY)
        self.assertEqual(plan.processed, 11)
        self.assertEqual((plan.skipped_episode, plan.skipped_local, plan.skipped_duplicate), (1, 1, 1))
        self.assertEqual(plan.skipped, 3)
        self.assertEqual(plan.targets["c"], ["t%d" % i for i in range(1, 9)])
        self.assertEqual(plan.ambiguities, [])

    def test_all_routing_pins_bans_limit(self):
        pop_ge_50 = leaf("popularity", "gte", 50)              # t5..t8
        cs = [child("A", 0, pop_ge_50, pinned_track_ids=["t1", "t2", "zz"],
                    banned_track_ids=["t2", "t6"], limit=3),
              child("B", 1, leaf("artist_name", "eq", "a1"),   # odd: t1 t3 t5 t7
                    sort={"by": "popularity", "order": "desc"})]
        plan = R.compute_targets(self.entries, self.cat, cs, today=TODAY)
        # A: candidates t1(pinned) t5 t7 t8 (t2 banned beats pin, t6 banned)
        # limit 3: pinned t1 first, then t5 t7 -> base order t1 t5 t7
        self.assertEqual(plan.targets["A"], ["t1", "t5", "t7"])
        self.assertEqual(plan.targets["B"], ["t7", "t5", "t3", "t1"])
        ex = plan.explain("t2")["A"]
        self.assertEqual((ex["matched"], ex["reason"]), (False, "banned"))
        self.assertEqual(plan.explain("t1")["A"]["reason"], "pinned")
        self.assertEqual(plan.explain("t8")["A"]["reason"], "limit")
        self.assertEqual(plan.explain("zz")["A"], {"matched": False, "reason": "not_in_base",
                                                  "silent": []})
        self.assertEqual(plan.ambiguities, [])

    def test_first_match_limit_does_not_fall_through_and_catch_all(self):
        cs = [child("A", 0, leaf("popularity", "gte", 50), limit=2),        # t5 t6 (t7 t8 cut)
              child("B", 1, leaf("popularity", "gte", 30),                   # t3 t4 (t5+ taken)
                    pinned_track_ids=["t6"]),
              child("C", 2, {"all": []}, catch_all=True,
                    banned_track_ids=["t2"], sort={"by": "track_name", "order": "desc"})]
        plan = R.compute_targets(self.entries, self.cat, cs, routing="first_match", today=TODAY)
        self.assertEqual(plan.targets["A"], ["t5", "t6"])
        self.assertEqual(plan.targets["B"], ["t3", "t4", "t6"])
        # leftovers: t1 t2 (rule misses) t7 t8 (cut by A's limit); t2 banned
        self.assertEqual(plan.targets["C"], ["t8", "t7", "t1"])
        self.assertEqual(plan.explain("t7")["A"]["reason"], "limit")
        self.assertEqual(plan.explain("t7")["B"]["reason"], "matched_earlier_child")
        self.assertEqual(plan.explain("t7")["B"]["silent"], [])
        self.assertEqual(plan.explain("t6")["B"]["reason"], "pinned")
        self.assertEqual(plan.ambiguities, [])

    def test_catch_all_filter_narrows(self):
        cs = [child("A", 0, leaf("popularity", "lt", 30)),                  # t1 t2
              child("Z", 1, leaf("release_date", "after", "1996-12-31"), catch_all=True)]
        plan = R.compute_targets(self.entries, self.cat, cs, today=TODAY)
        self.assertEqual(plan.targets["Z"], ["t7", "t8"])

    def test_silent_corner_is_noted(self):
        cs = [child("A", 0, leaf("popularity", "gte", 50), banned_track_ids=["t5"]),
              child("B", 1, leaf("popularity", "gte", 30))]
        plan = R.compute_targets(self.entries, self.cat, cs, routing="first_match", today=TODAY)
        self.assertTrue(any("banned" in a for a in plan.ambiguities))

    def test_diff(self):
        self.assertEqual(R.diff(["a", "b", "c"], ["b", "d"]), ({"d"}, {"a", "c"}))


if __name__ == "__main__":
    unittest.main()
