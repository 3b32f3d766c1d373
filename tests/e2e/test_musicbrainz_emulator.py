"""MusicBrainz emulator: its world against the Spotify emulator's catalogue, the
/ws/2 answer shapes, the Lucene subset, paging, the 503 rate limit, the admin
knobs, and expectations computed here from the answers (not taken from the
emulator's own ground truth alone)."""
import http.client
import json
import os
import re
import socket
import sys
import tempfile
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from emulator import Emulator, SLOW  # noqa: E402
from musicbrainz_emulator import MusicBrainzEmulator  # noqa: E402

ARGS = ["--seed", "42", "--tracks", "600", "--artists", "120", "--albums", "160"]
HELP = "For usage, please see: https://musicbrainz.org/development/mmd"
RATE_BODY = ('{"error": "Your requests are exceeding the allowable rate limit. Please see '
             'http://wiki.musicbrainz.org/XMLWebService for more information."}')
BUSY_BODY = '{"error": "The MusicBrainz web server is currently busy. Please try again later."}'
NO_UA_BODY = ('{"error": "Your requests are being throttled by MusicBrainz because the '
              'application you are using has not identified itself. Please update your '
              'application, and see http://musicbrainz.org/doc/XML_Web_Service/Rate_Limiting '
              'for more information."}')
UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
DATE = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$")


def stopped(test, emu):
    code = emu.stop()
    test.assertEqual(code, 0, emu.stderr())


def raw_get(emu, target, user_agent="t/1 ( t@example.com )"):
    """GET target exactly as given (no encoding): (status, headers, raw body text)."""
    conn = http.client.HTTPConnection("127.0.0.1", emu.port, timeout=30 * SLOW)
    try:
        conn.request("GET", target, headers={"User-Agent": user_agent} if user_agent else {})
        resp = conn.getresponse()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read().decode()
    finally:
        conn.close()


def ids(body):
    return [r["id"] for r in body.get("recordings", body.get("artists", []))]


class WorldTest(unittest.TestCase):
    """The MusicBrainz world against a Spotify emulator started with the same flags."""

    @classmethod
    def setUpClass(cls):
        cls.spotify = Emulator(args=ARGS + ["--playlist", "demo:base:300"]).start()
        cls.mb = MusicBrainzEmulator.matching(cls.spotify, rate=0).start()
        cls.tracks = {t["id"]: t for t in cls.spotify.tracks()}
        cls.truth = cls.mb.truth_isrcs()

    @classmethod
    def tearDownClass(cls):
        for emu in (cls.mb, cls.spotify):
            code = emu.stop()
            assert code == 0, "%s exited with %s:\n%s" % (emu.binary_name, code, emu.stderr())

    def test_every_served_isrc_is_known_or_unknown(self):
        served = {t["isrc"] for t in self.tracks.values()}
        # …and what the Web API itself serves in a playlist (external_ids.isrc).
        token = self.spotify.mint_token("demo")["access_token"]
        pid = self.spotify.playlist_id("demo", "base")
        url = "/playlists/%s/items?limit=50" % pid
        from_api = set()
        while url:
            status, _, page = self.spotify.api("GET", url, token=token)
            self.assertEqual(status, 200)
            for entry in page["items"]:
                item = entry["item"]
                if item and item.get("type") == "track" and not entry["is_local"]:
                    from_api.add(item["external_ids"]["isrc"])
            url = page["next"] and page["next"].split("/v1", 1)[1]
        self.assertGreater(len(from_api), 250)
        self.assertLessEqual(from_api, served)
        known, unknown = set(self.truth["known"]), set(self.truth["unknown"])
        self.assertEqual(known | unknown, served)
        self.assertEqual(known & unknown, set())
        self.assertLessEqual(set(self.truth["multiple"]), known)
        self.assertEqual(set(self.truth["musicbrainz_only"]) & served, set())
        self.assertTrue(all(c.startswith("XX") for c in self.truth["musicbrainz_only"]))

    def test_exact_figures_of_this_world(self):
        # Pinned: a change to the derivation (world.c) or the generator shows here.
        w = self.mb.config()["world"]
        self.assertEqual(w, {"artists": 120, "recordings": 591, "spotify_isrcs": 600,
                             "unknown_isrcs": 46, "multi_recording_isrcs": 37, "genres": 100})
        cat = self.spotify.catalog()
        self.assertEqual(self.mb.truth_artist(cat["artists"][0]["id"])["id"],
                         "30aa2339-72e4-465d-8e96-03907a03031a")
        first = self.mb.truth_isrc(cat["tracks"][0]["isrc"])
        self.assertEqual((first["isrc"], [r["id"] for r in first["recordings"]],
                          [r["first_release_date"] for r in first["recordings"]],
                          first["genres"], first["original_year"]),
                         ("KRUC37140240", ["faa575df-827a-47bd-b6c0-ed14db0f6c64",
                                           "1c07d7e1-636b-42f6-a6aa-2a597d9b8cf8"],
                          ["1967-11-18", "1961"], ["alternative rock", "chillwave", "country"],
                          1961))

    def test_recordings_credit_the_spotify_artists(self):
        by_spotify = {}
        for code in self.truth["known"][:80]:
            t = self.mb.truth_isrc(code)
            track = self.tracks[t["spotify_track"]]
            self.assertEqual(track["isrc"], code)
            first = t["recordings"][0]
            self.assertEqual(first["title"], track["name"])
            self.assertIn(code, first["isrcs"])
            for mbid in first["artists"]:
                if mbid not in by_spotify:
                    by_spotify[mbid] = self.mb.truth_artist(mbid)["spotify_id"]
            self.assertEqual([by_spotify[m] for m in first["artists"]],
                             [a["id"] for a in track["artists"]])
            self.assertEqual({a["spotify_id"] for a in t["artists"]} >=
                             {a["id"] for a in track["artists"]}, True)
            years = [int(r["first_release_date"][:4]) for r in t["recordings"]
                     if r["first_release_date"]]
            self.assertEqual(t["original_year"], min(years) if years else None)

    def test_variety_the_client_must_handle(self):
        dates, credits_differ, dates_differ = set(), 0, 0
        for code in self.truth["known"]:
            t = self.mb.truth_isrc(code)
            for r in t["recordings"]:
                d = r["first_release_date"]
                dates.add("missing" if d is None else {4: "year", 7: "month", 10: "day"}[len(d)])
            if len(t["recordings"]) == 2:
                a, b = t["recordings"]
                credits_differ += a["artists"] != b["artists"]
                dates_differ += a["first_release_date"] != b["first_release_date"]
        self.assertEqual(dates, {"missing", "year", "month", "day"})
        self.assertGreater(credits_differ, 0)
        self.assertGreater(dates_differ, 0)
        tags = [self.mb.truth_artist(a["id"])["tags"] for a in self.spotify.catalog()["artists"]]
        genre_list = set(self.mb.genres())
        self.assertIn([], tags)  # nobody tagged some artists
        flat = [t for ts in tags for t in ts]
        self.assertTrue(any(t["count"] == 0 for t in flat))
        self.assertTrue(any(t["count"] < 0 for t in flat))
        self.assertTrue(any(t["name"] == "seen live" for t in flat) or
                        any(t["name"] not in genre_list and t["count"] > 0 for t in flat))

    def test_genres_and_year_computed_from_the_answers(self):
        """What playrouter will compute, done here from /ws/2 answers only, equals the truth."""
        codes = self.truth["known"][:90] + self.truth["unknown"][:10]
        status, _, page = self.mb.search_recordings(codes)
        self.assertEqual(status, 200)
        recs, offset = list(page["recordings"]), 100
        while offset < page["count"]:
            status, _, more = self.mb.search_recordings(codes, offset=offset)
            recs += more["recordings"]
            offset += 100
        self.assertEqual(len(recs), page["count"])
        by_isrc = {c: [] for c in codes}
        for r in recs:
            for code in r["isrcs"]:
                if code in by_isrc:
                    by_isrc[code].append(r)
        artists = sorted({c["artist"]["id"] for r in recs for c in r["artist-credit"]})
        status, _, found = self.mb.search_artists(artists)
        self.assertEqual((status, found["count"], len(found["artists"])), (200, len(artists),
                                                                         len(artists)))
        status, headers, txt = self.mb.ws("/genre/all", {"fmt": "txt"})
        genre_list = set(txt.split("\n"))
        genres_of = {a["id"]: {t["name"] for t in a.get("tags", [])
                               if t["count"] > 0 and t["name"] in genre_list}
                     for a in found["artists"]}
        for code in codes:
            truth = self.mb.truth_isrc(code)
            mine = by_isrc[code]
            self.assertEqual(sorted(r["id"] for r in mine),
                             sorted(r["id"] for r in truth["recordings"]), code)
            genres = set()
            for r in mine:
                for c in r["artist-credit"]:
                    genres |= genres_of[c["artist"]["id"]]
            self.assertEqual(sorted(genres), truth["genres"], code)
            years = [int(r["first-release-date"][:4]) for r in mine if "first-release-date" in r]
            self.assertEqual(min(years) if years else None, truth["original_year"], code)

    def test_a_catalogue_file_gives_the_same_world(self):
        with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
            json.dump(self.spotify.catalog(), f)
        try:
            spotify = Emulator(args=["--catalog", f.name])  # not started: matching() reads args
            loaded = MusicBrainzEmulator.matching(spotify, rate=0).start()
            try:
                self.assertEqual(loaded.truth_isrcs(), self.truth)
                code = self.truth["multiple"][1]
                self.assertEqual(loaded.truth_isrc(code), self.mb.truth_isrc(code))
                self.assertEqual(loaded.genres(), self.mb.genres())
            finally:
                stopped(self, loaded)
        finally:
            os.unlink(f.name)

    def test_same_flags_same_world_other_seed_another(self):
        twin = MusicBrainzEmulator(args=ARGS, rate=0).start()
        other = MusicBrainzEmulator(args=["--seed", "7"] + ARGS[2:], rate=0).start()
        try:
            code = self.truth["multiple"][0]
            self.assertEqual(twin.truth_isrc(code), self.mb.truth_isrc(code))
            self.assertEqual(twin.truth_isrcs(), self.truth)
            self.assertEqual(twin.genres(), self.mb.genres())
            self.assertEqual(set(other.truth_isrcs()["known"]) & set(self.truth["known"]), set())
        finally:
            stopped(self, twin)
            stopped(self, other)


class WebServiceTest(unittest.TestCase):
    """Shapes, the Lucene subset, paging and the lookups (no rate limit)."""

    @classmethod
    def setUpClass(cls):
        cls.mb = MusicBrainzEmulator(args=ARGS, rate=0).start()
        cls.truth = cls.mb.truth_isrcs()
        cls.multi = cls.truth["multiple"][0]
        cls.single = next(c for c in cls.truth["known"] if c not in cls.truth["multiple"])

    @classmethod
    def tearDownClass(cls):
        code = cls.mb.stop()
        assert code == 0, cls.mb.stderr()

    def test_recording_search_shape(self):
        status, headers, body = self.mb.search_recordings([self.single])
        self.assertEqual((status, headers["content-type"]),
                         (200, "application/json; charset=utf-8"))
        self.assertEqual(sorted(body), ["count", "created", "offset", "recordings"])
        self.assertRegex(body["created"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
        self.assertEqual((body["count"], body["offset"]), (1, 0))
        rec, truth = body["recordings"][0], self.mb.truth_isrc(self.single)
        self.assertEqual(rec["id"], truth["recordings"][0]["id"])
        self.assertRegex(rec["id"], UUID)
        self.assertEqual((rec["score"], rec["title"], rec["video"]),
                         (100, truth["recordings"][0]["title"], None))
        self.assertIn(self.single, rec["isrcs"])
        self.assertEqual([c["artist"]["id"] for c in rec["artist-credit"]],
                         truth["recordings"][0]["artists"])
        for c in rec["artist-credit"]:
            self.assertEqual(sorted(c["artist"]), ["id", "name", "sort-name"])  # no tags, genres
        self.assertNotIn("joinphrase", rec["artist-credit"][-1])  # left out when empty
        self.assertEqual(rec.get("first-release-date"), truth["recordings"][0]["first_release_date"])
        self.assertRegex(rec["artist-credit-id"], UUID)

    def test_query_variants_mean_the_same(self):
        a, b = self.single, self.multi
        want = sorted(ids(self.mb.search_recordings([a, b])[2]))
        self.assertEqual(len(want), 3)
        for q in ["isrc:%s OR isrc:%s", "(isrc:%s OR isrc:%s)", 'isrc:"%s" OR isrc:"%s"',
                  "isrc:(%s OR %s)", "isrc:%s isrc:%s", "isrc:%s || isrc:%s",
                  "((isrc:%s) OR (isrc:(%s)))"]:
            for codes in [(a, b), (a.lower(), b.lower())]:
                status, _, body = self.mb.ws("/recording", {"query": q % codes, "limit": 100})
                self.assertEqual((status, sorted(ids(body))), (200, want), q)
        # '+' for a space, as a form-encoded client sends it, and a trailing slash.
        status, _, raw = raw_get(self.mb, "/ws/2/recording/?fmt=json&query=isrc:%s+OR+isrc:%s"
                                 % (a, b))
        self.assertEqual((status, sorted(ids(json.loads(raw)))), (200, want))

    def test_unsupported_and_blank_queries(self):
        for q in ["isrc:%s AND isrc:X" % self.single, "recording:Heart", "Heart",
                  "isrc:GB*", "(isrc:%s" % self.single, "isrc:%s OR" % self.single,
                  "NOT isrc:X", "arid:" + "0" * 36]:
            status, _, body = self.mb.ws("/recording", {"query": q})
            self.assertEqual(status, 400, q)
            self.assertIn("does not emulate", body["error"], q)
            self.assertEqual(body["help"], HELP)
        for q in ["", "   ", '" "']:
            status, _, body = self.mb.ws("/recording", {"query": q})
            self.assertEqual((status, body["error"]), (400, "You submitted a blank search query. "
                             "You must include a non-blank 'query=' parameter with your search."))
        too_many = "isrc:(%s)" % " ".join("A" * 1025)  # short terms: the URI stays < 8 KiB
        status, _, body = self.mb.ws("/recording", {"query": too_many})
        self.assertEqual((status, body["error"]),
                         (400, "Search server could not complete query: Bad request"))
        status, _, body = self.mb.ws("/artist", {"query": "arid:not-a-uuid"})
        self.assertEqual((status, body["error"]),
                         (400, "Search server could not complete query: Bad request"))

    def test_paging_and_limits(self):
        codes = self.truth["known"][:150]
        expected = set()
        for code in codes:
            expected |= {r["id"] for r in self.mb.truth_isrc(code)["recordings"]}
        got = []
        for offset in range(0, 200, 40):
            status, _, body = self.mb.ws("/recording", {
                "query": " OR ".join("isrc:" + c for c in codes), "limit": 40, "offset": offset})
            self.assertEqual((status, body["count"], body["offset"]), (200, len(expected), offset))
            got += ids(body)
        self.assertEqual(len(got), len(expected))
        self.assertEqual(set(got), expected)
        query = " OR ".join("isrc:" + c for c in codes)
        for limit, n in [(100, 100), (101, 25), (0, 25), ("abc", 25), (-5, 25), (1, 1)]:
            status, _, body = self.mb.ws("/recording", {"query": query, "limit": limit})
            self.assertEqual((status, len(body["recordings"])), (200, n), limit)
        status, _, body = self.mb.ws("/recording", {"query": query, "offset": "abc"})
        self.assertEqual((body["offset"], len(body["recordings"])), (0, 25))
        status, _, body = self.mb.ws("/recording", {"query": query, "offset": 10000})
        self.assertEqual((status, body["recordings"], body["count"]), (200, [], len(expected)))

    def test_artist_search_shows_every_tag_and_no_genres(self):
        artists = [self.mb.truth_artist(a["id"]) for a in
                   [x for c in self.truth["known"][:60] for x in self.mb.truth_isrc(c)["artists"]]]
        mbids = sorted({a["id"] for a in artists})
        status, _, body = self.mb.search_artists(mbids)
        self.assertEqual((status, body["count"]), (200, len(mbids)))
        low = []
        for a in body["artists"]:
            truth = self.mb.truth_artist(a["id"])
            self.assertNotIn("genres", a)
            self.assertEqual(a.get("tags", []), [{"count": t["count"], "name": t["name"]}
                                                 for t in truth["tags"]])
            self.assertEqual((a["name"], a["sort-name"], a["type"], a["score"]),
                             (truth["name"], truth["sort_name"], truth["type"], 100))
            if any(t["count"] <= 0 for t in a.get("tags", [])):
                low.append(a)
        self.assertTrue(low, "no artist with a tag at count <= 0 among %d" % len(mbids))
        genre_list = set(self.mb.genres())
        for a in low:  # a lookup leaves those tags out, and sorts by name
            status, _, full = self.mb.ws("/artist/" + a["id"], {"inc": "tags+genres"})
            positive = sorted((t for t in a["tags"] if t["count"] > 0), key=lambda t: t["name"])
            self.assertEqual(full["tags"], positive)
            self.assertEqual([g["name"] for g in full["genres"]],
                             [t["name"] for t in positive if t["name"] in genre_list])
        upper = [m.upper() for m in mbids[:3]]
        self.assertEqual(sorted(ids(self.mb.search_artists(upper)[2])), sorted(mbids[:3]))

    def test_isrc_lookup(self):
        truth = self.mb.truth_isrc(self.multi)
        status, _, body = self.mb.ws("/isrc/" + self.multi)
        self.assertEqual(status, 200)
        self.assertEqual(body["isrc"], self.multi)
        self.assertEqual([r["id"] for r in body["recordings"]],
                         [r["id"] for r in truth["recordings"]])
        r = body["recordings"][0]
        self.assertEqual(r["video"], False)
        self.assertNotIn("artist-credit", r)
        status, _, body = self.mb.ws("/isrc/" + self.multi, {"inc": "artist-credits+isrcs+tags"})
        r = body["recordings"][0]
        self.assertEqual([c["artist"]["id"] for c in r["artist-credit"]],
                         truth["recordings"][0]["artists"])
        self.assertEqual(r["artist-credit"][-1]["joinphrase"], "")
        self.assertEqual(r["isrcs"], truth["recordings"][0]["isrcs"])
        artist = r["artist-credit"][0]["artist"]
        self.assertEqual(sorted(artist), ["country", "disambiguation", "id", "name", "sort-name",
                                          "tags", "type", "type-id"])
        self.assertTrue(all(t["count"] > 0 for t in artist["tags"]))
        for path, params, want in [
                ("/isrc/" + self.multi.lower(), {}, (400, "Invalid isrc.")),
                ("/isrc/" + self.truth["unknown"][0], {}, (404, "Not Found")),
                ("/isrc/" + self.multi, {"inc": "genres"},
                 (400, "genres is not a valid inc parameter for the isrc resource."))]:
            status, _, body = self.mb.ws(path, params)
            self.assertEqual((status, body), (want[0], {"error": want[1], "help": HELP}), path)

    def test_artist_and_recording_lookups(self):
        truth = self.mb.truth_isrc(self.single)
        mbid = truth["artists"][0]["id"]
        status, _, a = self.mb.ws("/artist/" + mbid.upper(), {"inc": "genres tags"})
        self.assertEqual(status, 200)
        tagged = self.mb.truth_artist(mbid)
        self.assertEqual(a["tags"], sorted([{"count": t["count"], "name": t["name"]}
                                            for t in tagged["tags"] if t["count"] > 0],
                                           key=lambda t: t["name"]))
        self.assertEqual([g["name"] for g in a["genres"]], tagged["genres"])
        for g in a["genres"]:
            self.assertEqual(sorted(g), ["count", "disambiguation", "id", "name"])
        for key in ["gender", "area", "begin-area", "end-area", "ipis", "isnis", "life-span"]:
            self.assertIn(key, a)
        status, _, bare = self.mb.ws("/artist/" + mbid)
        self.assertNotIn("tags", bare)
        rid = truth["recordings"][0]["id"]
        status, _, rec = self.mb.ws("/recording/" + rid, {"inc": "artist-credits isrcs"})
        self.assertEqual((status, rec["id"], rec["isrcs"]), (200, rid, truth["recordings"][0]["isrcs"]))
        for path, params, want in [
                ("/artist/not-a-mbid", {}, (400, "Invalid mbid.")),
                ("/artist/00000000-1111-2222-3333-444444444444", {}, (404, "Not Found")),
                ("/artist/" + mbid, {"inc": "coffee"},
                 (400, "coffee is not a valid inc parameter for the artist resource."))]:
            status, _, body = self.mb.ws(path, params)
            self.assertEqual((status, body), (want[0], {"error": want[1], "help": HELP}), path)

    def test_genre_list(self):
        names = self.mb.genres()
        self.assertEqual(names, sorted(names))
        self.assertNotIn("lo-fi beats", names)  # a generator genre MusicBrainz does not list
        self.assertIn("rock", names)
        status, headers, txt = self.mb.ws("/genre/all", {"fmt": "txt"})
        self.assertEqual((status, headers["content-type"], txt),
                         (200, "text/plain; charset=utf-8", "\n".join(names)))
        got = []
        for offset in range(0, len(names) + 100, 100):
            status, _, page = self.mb.ws("/genre/all", {"limit": 100, "offset": offset})
            self.assertEqual((page["genre-count"], page["genre-offset"]), (len(names), offset))
            got += [g["name"] for g in page["genres"]]
            self.assertTrue(all(UUID.match(g["id"]) and g["disambiguation"] == ""
                                for g in page["genres"]))
        self.assertEqual(got, names)
        for limit, n in [(500, 100), (0, 25), (None, 25)]:
            params = {} if limit is None else {"limit": limit}
            self.assertEqual(len(self.mb.ws("/genre/all", params)[2]["genres"]), n)
        status, _, body = self.mb.ws("/genre/all", {"limit": "ten"})
        self.assertEqual((status, body["error"]),
                         (400, "The 'limit' and 'offset' parameters must be positive integers"))

    def test_formats_and_unknown_paths(self):
        status, _, body = raw_get(self.mb, "/ws/2/isrc/%s" % self.single)
        self.assertEqual(status, 400)  # MusicBrainz would answer XML; the emulator says so
        self.assertIn("fmt=json", body)
        status, _, body = self.mb.ws("/isrc/" + self.single, {"fmt": "xml"})
        self.assertEqual(status, 400)
        status, _, body = self.mb.request("GET", "/ws/2/isrc/" + self.single, headers={
            "Accept": "application/json", "User-Agent": "t/1 ( t@example.com )"})
        self.assertEqual((status, body["isrc"]), (200, self.single))
        status, _, body = self.mb.ws("/label/x")
        self.assertEqual((status, body), (404, {"error": "Not Found", "help": HELP}))
        status, _, body = self.mb.request("POST", "/ws/2/recording?fmt=json",
                                          headers={"User-Agent": "t/1"})
        self.assertEqual((status, body["error"]), (405, "POST is not allowed on this endpoint."))


class RateLimitTest(unittest.TestCase):
    """The default: one request per second, then MusicBrainz's 503."""

    def setUp(self):
        self.mb = MusicBrainzEmulator(args=ARGS).start()
        self.code = self.mb.truth_isrcs()["known"][0]

    def tearDown(self):
        stopped(self, self.mb)

    def test_second_request_in_a_second_gets_the_real_503(self):
        self.assertEqual(self.mb.ws("/isrc/" + self.code)[0], 200)
        status, headers, body = self.mb.request("GET", "/ws/2/isrc/%s?fmt=json" % self.code,
                                                headers={"User-Agent": self.mb.user_agent})
        self.assertEqual(status, 503)
        self.assertEqual(body, {"error": "Your requests are exceeding the allowable rate limit. "
                                "Please see http://wiki.musicbrainz.org/XMLWebService for more "
                                "information."})
        status, headers, raw = raw_get(self.mb, "/ws/2/isrc/%s?fmt=json" % self.code)
        self.assertEqual((status, raw), (503, RATE_BODY))
        self.assertEqual((headers["retry-after"], headers["x-ratelimit-zone"],
                          headers["x-ratelimit-limit"], headers["x-ratelimit-remaining"],
                          headers["server"]), ("1", "ws ip=127.0.0.1", "1", "0", "openresty"))
        time.sleep(1.0)
        self.assertEqual(self.mb.ws("/isrc/" + self.code)[0], 200)
        log = self.mb.request_log()
        self.assertEqual([r["status"] for r in log], [200, 503, 503, 200])
        self.assertEqual({r["user_agent"] for r in log},
                         {self.mb.user_agent, "t/1 ( t@example.com )"})
        self.assertEqual(self.mb.max_in_window(statuses=[200]), 1)
        self.assertEqual(self.mb.max_in_window(), 3)
        self.assertEqual(self.mb.count("GET /ws/2/isrc/{id}", 503), 2)

    def test_a_paced_client_never_sees_a_503_and_no_user_agent_is_403(self):
        status, headers, raw = raw_get(self.mb, "/ws/2/isrc/%s?fmt=json" % self.code,
                                       user_agent=None)
        self.assertEqual((status, raw), (403, NO_UA_BODY))
        for i in range(4):  # the 403 took no budget: the first paced request passes
            if i:
                time.sleep(1.01)
            self.assertEqual(self.mb.ws("/isrc/" + self.code)[0], 200)
        self.assertEqual(self.mb.max_in_window(statuses=[200]), 1)
        self.assertEqual(self.mb.config(require_user_agent=False)["require_user_agent"], False)
        time.sleep(1.01)
        self.assertEqual(raw_get(self.mb, "/ws/2/isrc/%s?fmt=json" % self.code,
                                 user_agent=None)[0], 200)

    def test_rate_knobs_and_reset(self):
        self.mb.set_rate(3)
        self.assertEqual([self.mb.ws("/isrc/" + self.code)[0] for _ in range(4)],
                         [200, 200, 200, 503])
        self.mb.rate_off()
        self.assertEqual([self.mb.ws("/isrc/" + self.code)[0] for _ in range(5)], [200] * 5)
        self.assertEqual(self.mb.reset()["rate"], 1)  # back to --rate
        self.assertEqual([self.mb.ws("/isrc/" + self.code)[0] for _ in range(2)], [200, 503])


class AdminTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.mb = MusicBrainzEmulator(args=ARGS, rate=0).start()
        cls.code = cls.mb.truth_isrcs()["known"][0]

    @classmethod
    def tearDownClass(cls):
        code = cls.mb.stop()
        assert code == 0, cls.mb.stderr()

    def setUp(self):
        self.mb.reset()

    def get(self):
        return self.mb.ws("/isrc/" + self.code)

    def test_storms(self):
        self.assertEqual(self.mb.storm(2)["remaining"], 2)
        answers = [raw_get(self.mb, "/ws/2/isrc/%s?fmt=json" % self.code) for _ in range(3)]
        self.assertEqual([(a[0], a[2] if a[0] == 503 else "") for a in answers],
                         [(503, RATE_BODY), (503, RATE_BODY), (200, "")])
        self.assertEqual(answers[0][1]["retry-after"], "1")
        self.mb.storm(1, kind="busy")
        status, headers, raw = raw_get(self.mb, "/ws/2/isrc/%s?fmt=json" % self.code)
        self.assertEqual((status, raw, headers["retry-after"], headers["x-ratelimit-zone"]),
                         (503, BUSY_BODY, "0", "global"))
        self.mb.storm(-1, kind="busy", retry_after=3)
        self.assertEqual([self.get()[0] for _ in range(3)], [503] * 3)
        self.assertEqual(self.mb.admin("GET", "/storm")["remaining"], -1)
        self.mb.clear_storm()
        self.assertEqual(self.get()[0], 200)

    def test_latency_delays_ws_only(self):
        self.mb.latency(1000)
        t0 = int(time.time() * 1000)
        answer = []
        slow = threading.Thread(target=lambda: answer.append(self.get()[0]))
        slow.start()
        time.sleep(0.05)
        self.mb.config()  # admin calls are never delayed: this returns while /ws/2 waits
        self.assertTrue(slow.is_alive())
        slow.join()
        self.assertEqual(answer, [200])
        entry = self.mb.request_log(since_ms=t0)[0]
        self.assertGreaterEqual(entry["end_ms"] - entry["t_ms"], 1000)

    def test_down_503_and_refused(self):
        self.mb.down("503")
        status, _, raw = raw_get(self.mb, "/ws/2/isrc/%s?fmt=json" % self.code)
        self.assertEqual((status, raw, self.mb.config()["down"]), (503, BUSY_BODY, "503"))
        self.mb.up()
        self.assertEqual(self.get()[0], 200)
        self.assertEqual(self.mb.down("refuse", ms=2000)["down"], "refuse")
        with self.assertRaises(ConnectionRefusedError):
            socket.create_connection(("127.0.0.1", self.mb.port), timeout=2).close()
        deadline = time.time() + 5 * SLOW
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.mb.port), timeout=2).close()
                break
            except ConnectionRefusedError:
                self.assertLess(time.time(), deadline, "never listened again")
                time.sleep(0.05)
        self.assertEqual((self.get()[0], self.mb.config()["down"]), (200, "no"))

    def test_counters_and_request_log(self):
        t0 = int(time.time() * 1000)
        self.get()
        self.mb.ws("/isrc/XX")
        self.mb.search_recordings([self.code])
        self.mb.ws("/genre/all", {"fmt": "txt"})
        self.mb.ws("/nothing")
        self.assertEqual(self.mb.counters(), {
            "GET /ws/2/isrc/{id}": {"200": 1, "400": 1}, "GET /ws/2/recording": {"200": 1},
            "GET /ws/2/genre/all": {"200": 1}, "GET (unmatched)": {"404": 1}})
        log = self.mb.request_log(since_ms=t0)
        self.assertEqual([(r["route"], r["status"]) for r in log], [
            ("GET /ws/2/isrc/{id}", 200), ("GET /ws/2/isrc/{id}", 400),
            ("GET /ws/2/recording", 200), ("GET /ws/2/genre/all", 200), ("GET (unmatched)", 404)])
        self.assertEqual(log[2]["query"], "query=isrc%3A" + self.code + "&limit=100&offset=0&fmt=json")
        self.assertTrue(all(r["user_agent"] == self.mb.user_agent and r["t_ms"] >= t0
                            for r in log))
        self.assertEqual(self.mb.reset_request_log(), {"requests": []})
        self.assertEqual(self.mb.reset_counters(), {})

    def test_long_uri_is_414_and_admin_errors(self):
        query = " OR ".join("isrc:%s" % self.code for _ in range(400))
        status, headers, body = self.mb.ws("/recording", {"query": query})
        self.assertEqual((status, headers["content-type"]), (414, "text/html"))
        self.assertIn("414 Request-URI Too Large", body)
        status, _, _ = self.mb.ws("/recording", {"query": " OR ".join(
            "isrc:%s" % self.code for _ in range(250))})
        self.assertEqual(status, 200)  # ~7.5 KB still passes
        for method, path, body in [("GET", "/nothing", None), ("PUT", "/down", {"mode": "x"}),
                                   ("POST", "/storm", {"count": 0}),
                                   ("PUT", "/rate", {"rate": -1}), ("PUT", "/config", [])]:
            status, _, _ = self.mb.request(method, "/__admin" + path, body=body)
            self.assertIn(status, (400, 404), path)


if __name__ == "__main__":
    unittest.main()
