"""Spotify emulator: Liked Songs (saved tracks) in both API modes: GET /me/tracks
paging, limits, the user-library scopes, saving and removing through /me/tracks
(extended only) and /me/library, the admin calls, --liked and determinism."""
import calendar
import json
import os
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from emulator import AdminError, Emulator  # noqa: E402

NO_LIBRARY = ("playlist-read-private playlist-read-collaborative "
              "playlist-modify-private playlist-modify-public")
TRACK_KEYS_DEV = {"album", "artists", "disc_number", "duration_ms", "explicit", "external_ids",
                  "external_urls", "href", "id", "is_local", "name", "track_number", "type", "uri"}


def secs(iso):
    return calendar.timegm(time.strptime(iso, "%Y-%m-%dT%H:%M:%SZ"))


def stopped(test, emu):
    code = emu.stop()
    test.assertEqual(code, 0, "emulator exited with %s:\n%s" % (code, emu.stderr()))


def api_path(url):
    """The /v1-relative path of a paging link."""
    return url[url.index("/v1") + 3:]


class LikedCase(unittest.TestCase):
    """Shared checks; subclasses start one emulator per class."""
    MODE = "development"
    ARGS = []

    @classmethod
    def setUpClass(cls):
        cls.emu = Emulator(mode=cls.MODE, args=cls.ARGS).start()
        cls.token = cls.emu.sign_in_token("demo")

    @classmethod
    def tearDownClass(cls):
        code = cls.emu.stop()
        assert code == 0, "emulator exited with %s:\n%s" % (code, cls.emu.stderr())

    def unsaved(self, user, n):
        """n catalogue track ids that user has not saved."""
        saved = {i["id"] for i in self.emu.liked(user)}
        return [t["id"] for t in self.emu.tracks() if t["id"] not in saved][:n]

    def get(self, path, token=None):
        return self.emu.api("GET", path, token=token or self.token)

    def assert_error(self, answer, status, message):
        self.assertEqual((answer[0], answer[2]),
                         (status, {"error": {"status": status, "message": message}}))

    def check_all_pages(self, user, token, limit):
        """Walks /me/tracks from offset 0 by the next links and checks every page
        against the admin read-back: items, order, total and the links."""
        expected = self.emu.liked(user)
        base = self.emu.base_url + "/v1/me/tracks"
        url, offset, pages = "/me/tracks?offset=0&limit=%d" % limit, 0, 0
        while url:
            status, _, page = self.get(url, token)
            self.assertEqual(status, 200, page)
            want = expected[offset:offset + limit]
            self.assertEqual([(i["track"]["id"], i["added_at"]) for i in page["items"]],
                             [(w["id"], w["added_at"]) for w in want])
            self.assertEqual(page["href"], "%s?offset=%d&limit=%d" % (base, offset, limit))
            self.assertEqual((page["offset"], page["limit"], page["total"]),
                             (offset, limit, len(expected)))
            nxt = offset + limit
            self.assertEqual(page["next"], "%s?offset=%d&limit=%d" % (base, nxt, limit)
                             if nxt < len(expected) else None)
            prev = None if offset == 0 else "%s?offset=%d&limit=%d" % (
                base, max(offset - limit, 0), limit)
            self.assertEqual(page["previous"], prev)
            pages += 1
            offset = nxt
            url = page["next"] and api_path(page["next"])
        self.assertEqual(pages, max(1, -(-len(expected) // limit)))
        return expected

    def check_track_rendering(self, extended):
        """The saved track is exactly the mode's TrackObject (GET /tracks/{id})."""
        status, _, page = self.get("/me/tracks?limit=5&offset=3")
        self.assertEqual(status, 200)
        self.assertEqual(len(page["items"]), 5)
        for item in page["items"]:
            self.assertEqual(list(item), ["added_at", "track"])
            track = item["track"]
            status, _, single = self.get("/tracks/" + track["id"])
            self.assertEqual(status, 200)
            self.assertEqual(track, single)
            keys = TRACK_KEYS_DEV | ({"popularity"} if extended else set())
            self.assertEqual(set(track), keys)
            full = self.emu.track(track["id"])
            self.assertEqual((track["name"], track["duration_ms"], track["album"]["id"]),
                             (full["name"], full["duration_ms"], full["album"]["id"]))
            if extended:
                self.assertEqual(track["popularity"], full["popularity"])
            self.assertNotIn("popularity", track["album"])
            self.assertTrue(all(set(a) == {"external_urls", "href", "id", "name", "type", "uri"}
                                for a in track["artists"]))


class DevelopmentLiked(LikedCase):
    MODE = "development"
    ARGS = ["--liked", "bob:5000"]

    def test_demo_default_list(self):
        items = self.emu.liked("demo")
        self.assertEqual(len(items), 300)
        self.assertEqual(len({i["id"] for i in items}), 300)
        times = [secs(i["added_at"]) for i in items]
        self.assertEqual(times, sorted(times, reverse=True))
        self.assertEqual(len(set(times)), 300)
        self.assertLess(times[0], secs("2026-01-01T00:00:00Z"))
        self.assertLess(times[-1], secs("2020-01-01T00:00:00Z"))  # spread over years
        self.assertTrue(all(i["uri"] == "spotify:track:" + i["id"] for i in items))
        self.assertEqual(self.emu.liked("alice"), [])

    def test_pages_of_50_and_of_7(self):
        expected = self.check_all_pages("demo", self.token, 50)
        self.assertEqual(len(expected), 300)
        self.check_all_pages("demo", self.token, 7)

    def test_5000_saved_tracks_grow_the_catalogue(self):
        bob = self.emu.sign_in_token("bob")
        expected = self.check_all_pages("bob", bob, 50)
        self.assertEqual(len(expected), 5000)
        self.assertEqual(len({i["id"] for i in expected}), 5000)
        self.assertEqual(len(self.emu.tracks()), 5000)  # 3000 + 2000 grown
        status, _, page = self.get("/me/tracks?offset=4990&limit=50", bob)
        self.assertEqual([i["track"]["id"] for i in page["items"]],
                         [i["id"] for i in expected[4990:]])
        self.assertIsNone(page["next"])

    def test_default_limit_and_offset_past_the_end(self):
        expected = self.emu.liked("demo")
        status, _, page = self.get("/me/tracks")
        self.assertEqual(status, 200)
        self.assertEqual((page["limit"], page["offset"], page["total"]), (20, 0, 300))
        self.assertEqual([i["track"]["id"] for i in page["items"]],
                         [i["id"] for i in expected[:20]])
        self.assertEqual(page["next"], self.emu.base_url + "/v1/me/tracks?offset=20&limit=20")
        status, _, page = self.get("/me/tracks?offset=300&limit=10")
        self.assertEqual((status, page["items"], page["next"], page["total"]), (200, [], None, 300))
        self.assertEqual(page["previous"], self.emu.base_url + "/v1/me/tracks?offset=290&limit=10")

    def test_limits(self):
        for bad in ("0", "51", "-1", "abc", ""):
            self.assert_error(self.get("/me/tracks?limit=" + bad), 400, "Invalid limit")
        self.assert_error(self.get("/me/tracks?offset=-1"), 400, "Invalid offset")
        status, _, page = self.get("/me/tracks?limit=50&offset=1")
        self.assertEqual((status, len(page["items"])), (200, 50))
        self.assertEqual(page["items"][0]["track"]["id"], self.emu.liked("demo")[1]["id"])

    def test_scope_is_needed(self):
        tok = self.emu.sign_in_token("demo", scope=NO_LIBRARY)
        self.assert_error(self.get("/me/tracks", tok), 403, "Insufficient client scope")
        self.assertEqual(self.get("/me", tok)[0], 200)  # other endpoints: as before
        pid = self.emu.playlist_id("demo", "Everything I like")
        self.assertEqual(self.get("/playlists/%s/items" % pid, tok)[0], 200)
        tid = self.emu.liked("demo")[0]["id"]
        self.assert_error(self.emu.api("PUT", "/me/library?uris=spotify:track:" + tid, token=tok),
                          403, "Insufficient client scope")
        # Read alone does not allow changes.
        read = self.emu.mint_token("demo", scope="user-library-read")["access_token"]
        self.assertEqual(self.get("/me/tracks", read)[0], 200)
        self.assert_error(self.emu.api("DELETE", "/me/library?uris=spotify:track:" + tid,
                                       token=read), 403, "Insufficient client scope")
        self.assertEqual(self.emu.liked("demo")[0]["id"], tid)
        # A refreshed token keeps the scopes of the sign-in.
        granted = self.emu.sign_in("demo", scope=NO_LIBRARY + " user-library-read")
        status, body = self.emu.refresh(granted["refresh_token"])
        self.assertEqual(status, 200)
        self.assertEqual(self.get("/me/tracks", body["access_token"])[0], 200)
        status, body = self.emu.refresh(self.emu.sign_in("demo", NO_LIBRARY)["refresh_token"])
        self.assert_error(self.get("/me/tracks", body["access_token"]), 403,
                          "Insufficient client scope")
        with self.assertRaises(AdminError) as ctx:
            self.emu.mint_token("demo", scope="user-library-read not-a-scope")
        self.assertEqual(ctx.exception.status, 400)

    def test_track_rendering_development(self):
        self.check_track_rendering(extended=False)

    def test_me_tracks_writes_are_gone_in_development(self):
        tid = self.emu.liked("demo")[0]["id"]
        for method, path in (("PUT", "/me/tracks?ids=" + tid), ("DELETE", "/me/tracks?ids=" + tid),
                             ("GET", "/me/tracks/contains?ids=" + tid)):
            self.assert_error(self.emu.api(method, path, token=self.token), 403, "Forbidden")

    def test_library_save_remove_resave(self):
        alice = self.emu.sign_in_token("alice")
        ids = self.unsaved("alice", 4)
        self.emu.set_liked("alice", [(ids[0], "2021-03-01T10:00:00Z"),
                                     (ids[1], "2020-03-01T10:00:00Z"),
                                     (ids[2], "2019-03-01T10:00:00Z")])
        before = int(time.time())
        status, headers, body = self.emu.api("PUT", "/me/library?uris=spotify:track:" + ids[3],
                                             token=alice)
        after = int(time.time()) + 1
        self.assertEqual((status, body), (200, ""))
        items = self.emu.liked("alice")
        self.assertEqual([i["id"] for i in items], [ids[3], ids[0], ids[1], ids[2]])
        self.assertTrue(before <= secs(items[0]["added_at"]) <= after)
        # Re-saving an old one moves it to the top with a new added_at.
        self.assertEqual(self.emu.api("PUT", "/me/library?uris=spotify:track:" + ids[2],
                                      token=alice)[0], 200)
        items = self.emu.liked("alice")
        self.assertEqual([i["id"] for i in items], [ids[2], ids[3], ids[0], ids[1]])
        self.assertTrue(before <= secs(items[0]["added_at"]) <= int(time.time()) + 1)
        status, _, page = self.get("/me/tracks?limit=2", alice)
        self.assertEqual([(i["track"]["id"], i["added_at"]) for i in page["items"]],
                         [(i["id"], i["added_at"]) for i in items[:2]])
        self.assertEqual(page["total"], 4)
        status, _, body = self.emu.api("GET", "/me/library/contains?uris=spotify:track:%s,"
                                       "spotify:track:%s" % (ids[0], "0000000000000000000000"),
                                       token=alice)
        self.assertEqual((status, body), (200, [True, False]))
        # Remove two (one of them twice, one never saved): 200, the rest stays.
        uris = ",".join("spotify:track:" + i for i in (ids[0], ids[3], ids[0]))
        self.assertEqual(self.emu.api("DELETE", "/me/library?uris=" + uris, token=alice)[0], 200)
        self.assertEqual([i["id"] for i in self.emu.liked("alice")], [ids[2], ids[1]])
        self.assertEqual(self.emu.api("DELETE", "/me/library?uris=spotify:track:" + ids[3],
                                      token=alice)[0], 200)
        self.assertEqual(len(self.emu.liked("alice")), 2)
        self.assertEqual(len(self.emu.liked("demo")), 300)  # someone else's list is untouched

    def test_library_errors(self):
        tid = self.unsaved("demo", 1)[0]
        put = lambda q, body=None: self.emu.api("PUT", "/me/library" + q, token=self.token,  # noqa
                                                body=body)
        self.assert_error(put(""), 400, "Missing required field: uris")
        self.assert_error(put("", {"uris": ["spotify:track:" + tid]}), 400,
                          "Missing required field: uris")
        self.assert_error(put("?uris=" + ",".join(["spotify:track:" + tid] * 41)), 400,
                          "Too many uris requested")
        self.assert_error(put("?uris=spotify:track:!!"), 400, "Invalid uri: spotify:track:!!")
        self.assert_error(put("?uris=%s," % ("spotify:track:" + tid)), 400, "Invalid uri: ")
        self.assert_error(put("?uris=" + tid), 400, "Invalid uri: " + tid)
        self.assert_error(put("?uris=spotify:album:4aawyAB9vmqN3uQ7FjRGTy"), 400,
                          "Unsupported URI type (the emulator saves tracks only): "
                          "spotify:album:4aawyAB9vmqN3uQ7FjRGTy")
        self.assert_error(put("?uris=spotify:track:0000000000000000000000"), 400,
                          "Payload contains a non-existing ID")
        self.assertEqual(self.emu.api("PUT", "/me/library?uris=" + ",".join(
            ["spotify:track:" + tid] * 40), token=self.token)[0], 200)
        items = self.emu.liked("demo")
        self.emu.remove_liked("demo", tid)  # back to the 300 of the other tests
        self.assertEqual((items[0]["id"], len(items)), (tid, 301))

    def test_counters_by_template(self):
        self.emu.reset_counters()
        tid = self.unsaved("demo", 1)[0]
        self.get("/me/tracks?limit=3")
        self.get("/me/tracks?limit=3&offset=3")
        self.get("/me/tracks?limit=99")
        self.emu.api("PUT", "/me/library?uris=spotify:track:" + tid, token=self.token)
        self.emu.api("DELETE", "/me/library?uris=spotify:track:" + tid, token=self.token)
        self.emu.api("GET", "/me/library/contains?uris=spotify:track:" + tid, token=self.token)
        self.emu.api("PUT", "/me/tracks?ids=" + tid, token=self.token)
        self.emu.liked("demo")  # admin calls are not counted
        self.assertEqual(self.emu.counters(), {
            "GET /v1/me/tracks": {"200": 2, "400": 1},
            "PUT /v1/me/library": {"200": 1},
            "DELETE /v1/me/library": {"200": 1},
            "GET /v1/me/library/contains": {"200": 1},
            "PUT /v1/me/tracks": {"403": 1},
        })


class ExtendedLiked(LikedCase):
    MODE = "extended"
    ARGS = ["--tracks", "400", "--liked", "carol:120"]

    def test_pages_of_50(self):
        expected = self.check_all_pages("demo", self.token, 50)
        self.assertEqual(len(expected), 300)
        carol = self.emu.sign_in_token("carol")
        self.assertEqual(len(self.check_all_pages("carol", carol, 50)), 120)

    def test_track_rendering_extended(self):
        self.check_track_rendering(extended=True)

    def test_me_tracks_save_ids_query_body_and_timestamps(self):
        bob = self.emu.sign_in_token("bob")
        ids = [t["id"] for t in self.emu.tracks()[10:16]]
        self.emu.clear_liked("bob")
        # Query ids: saved in turn at the same second, the last one on top.
        status, _, body = self.emu.api("PUT", "/me/tracks?ids=%s,%s" % (ids[0], ids[1]), token=bob)
        self.assertEqual((status, body), (200, ""))
        items = self.emu.liked("bob")
        self.assertEqual([i["id"] for i in items], [ids[1], ids[0]])
        self.assertEqual(items[0]["added_at"], items[1]["added_at"])
        # The query wins over the body.
        self.emu.api("PUT", "/me/tracks?ids=" + ids[2], token=bob, body={"ids": [ids[3]]})
        self.assertEqual([i["id"] for i in self.emu.liked("bob")], [ids[2], ids[1], ids[0]])
        # Body ids alone.
        self.emu.api("PUT", "/me/tracks", token=bob, body={"ids": [ids[3]]})
        self.assertEqual(self.emu.liked("bob")[0]["id"], ids[3])
        # timestamped_ids win over both and place the tracks by their date.
        status, _, _ = self.emu.api("PUT", "/me/tracks?ids=" + ids[5], token=bob, body={
            "ids": [ids[5]], "timestamped_ids": [
                {"id": ids[4], "added_at": "2020-06-01T12:00:00.250Z"},
                {"id": ids[0], "added_at": "2019-01-01T00:00:00Z"}]})
        self.assertEqual(status, 200)
        items = self.emu.liked("bob")
        self.assertEqual([i["id"] for i in items], [ids[3], ids[2], ids[1], ids[4], ids[0]])
        self.assertEqual((items[3]["added_at"], items[4]["added_at"]),
                         ("2020-06-01T12:00:00Z", "2019-01-01T00:00:00Z"))
        status, _, page = self.get("/me/tracks?offset=3&limit=2", bob)
        self.assertEqual([(i["track"]["id"], i["added_at"]) for i in page["items"]],
                         [(ids[4], "2020-06-01T12:00:00Z"), (ids[0], "2019-01-01T00:00:00Z")])
        status, _, body = self.emu.api("GET", "/me/tracks/contains?ids=%s,%s" % (ids[4], ids[5]),
                                       token=bob)
        self.assertEqual((status, body), (200, [True, False]))
        # DELETE: query ids, then body ids.
        self.assertEqual(self.emu.api("DELETE", "/me/tracks?ids=" + ids[3], token=bob,
                                      body={"ids": [ids[2]]})[0], 200)
        self.assertEqual(self.emu.api("DELETE", "/me/tracks", token=bob,
                                      body={"ids": [ids[1], ids[5]]})[0], 200)
        self.assertEqual([i["id"] for i in self.emu.liked("bob")], [ids[2], ids[4], ids[0]])
        # /me/library is served in extended mode too.
        self.assertEqual(self.emu.api("DELETE", "/me/library?uris=spotify:track:" + ids[2],
                                      token=bob)[0], 200)
        self.assertEqual([i["id"] for i in self.emu.liked("bob")], [ids[4], ids[0]])

    def test_me_tracks_errors(self):
        tid = self.emu.tracks()[20]["id"]
        call = lambda m, q, body=None: self.emu.api(m, "/me/tracks" + q, token=self.token,  # noqa
                                                    body=body)
        self.assert_error(call("PUT", ""), 400, "Missing required field: ids")
        self.assert_error(call("DELETE", "", {}), 400, "Missing required field: ids")
        self.assert_error(call("PUT", "?ids=" + ",".join([tid] * 51)), 400,
                          "Too many ids requested")
        self.assert_error(call("PUT", "", {"ids": [tid] * 51}), 400, "Too many ids requested")
        self.assert_error(call("PUT", "?ids=spotify:track:" + tid), 400, "invalid id")
        self.assert_error(call("PUT", "?ids=%s,,%s" % (tid, tid)), 400, "invalid id")
        self.assert_error(call("PUT", "", {"ids": [tid, 5]}), 400, "Invalid ids")
        self.assert_error(call("PUT", "", {"timestamped_ids": [{"id": tid}]}), 400,
                          "Invalid timestamped_ids")
        self.assert_error(call("PUT", "", {"timestamped_ids": [
            {"id": tid, "added_at": "yesterday"}]}), 400, "Invalid timestamped_ids")
        self.assert_error(call("PUT", "?ids=0000000000000000000000"), 400,
                          "Payload contains a non-existing ID")
        self.assert_error(self.emu.api("PUT", "/me/tracks", token=self.token, raw=b"{nope",
                                       headers={"Content-Type": "application/json"}),
                          400, "Error parsing JSON.")
        self.assert_error(self.emu.api("GET", "/me/tracks/contains?ids=" + ",".join([tid] * 51),
                                       token=self.token), 400, "Too many ids requested")
        self.assertEqual(call("DELETE", "?ids=0000000000000000000000")[0], 200)
        self.assertEqual(len(self.emu.liked("demo")), 300)  # nothing changed

    def test_admin_set_save_remove(self):
        ids = [t["id"] for t in self.emu.tracks()[30:36]]
        items = self.emu.set_liked("alice", [
            "spotify:track:" + ids[0],
            {"id": ids[1], "added_at": "2018-05-05T05:05:05Z"},
            (ids[2], "2030-01-01T00:00:00Z"),
            {"uri": "spotify:track:" + ids[3]},
        ])
        now = int(time.time())
        self.assertEqual([i["id"] for i in items], [ids[2], ids[0], ids[3], ids[1]])
        # Without added_at: now minus the index in seconds (indexes 0 and 3 here).
        self.assertEqual(secs(items[1]["added_at"]) - secs(items[2]["added_at"]), 3)
        self.assertTrue(now - 5 <= secs(items[1]["added_at"]) <= now + 1)
        self.assertEqual(items, self.emu.liked("alice"))
        items = self.emu.save_liked("alice", ids[1], "2029-01-01T00:00:00Z")  # moves
        self.assertEqual([i["id"] for i in items], [ids[2], ids[1], ids[0], ids[3]])
        items = self.emu.save_liked("alice", "spotify:track:" + ids[4])
        self.assertEqual([i["id"] for i in items], [ids[2], ids[1], ids[4], ids[0], ids[3]])
        items = self.emu.remove_liked("alice", ids[0])
        self.assertEqual([i["id"] for i in items], [ids[2], ids[1], ids[4], ids[3]])
        for bad, status in (([ids[0], ids[0]], 400), (["0000000000000000000000"], 400),
                            (["!!"], 400), ([{"id": ids[0], "added_at": "soon"}], 400)):
            with self.assertRaises(AdminError) as ctx:
                self.emu.set_liked("alice", bad)
            self.assertEqual(ctx.exception.status, status, bad)
        with self.assertRaises(AdminError) as ctx:
            self.emu.remove_liked("alice", ids[5])
        self.assertEqual(ctx.exception.status, 404)
        with self.assertRaises(AdminError) as ctx:
            self.emu.liked("nobody")
        self.assertEqual(ctx.exception.status, 404)
        self.assertEqual([i["id"] for i in self.emu.liked("alice")],
                         [ids[2], ids[1], ids[4], ids[3]])
        # size: deterministic for a user; more than the catalogue holds is a 400 at run time.
        first = self.emu.set_liked("alice", size=50)
        self.assertEqual(len(first), 50)
        self.assertEqual(self.emu.set_liked("alice", size=50), first)
        with self.assertRaises(AdminError) as ctx:
            self.emu.set_liked("alice", size=401)
        self.assertEqual(ctx.exception.status, 400)
        self.assertEqual(self.emu.clear_liked("alice"), [])


class LikedDeterminism(unittest.TestCase):
    def lists(self, *args):
        emu = Emulator(args=list(args)).start()
        try:
            return ({u: emu.liked(u) for u in ("demo", "zed")},
                    [t["id"] for t in emu.tracks()], emu.playlist_uris(
                        emu.playlist_id("demo", "Everything I like")), emu.catalog())
        finally:
            stopped(self, emu)

    def test_same_seed_same_lists_and_growth_keeps_the_base(self):
        a = self.lists("--tracks", "100", "--liked", "zed:250")
        b = self.lists("--tracks", "100", "--liked", "zed:250")
        base = Emulator(args=["--tracks", "100"]).start()
        try:
            base_tracks = [t["id"] for t in base.tracks()]
            base_playlist = base.playlist_uris(base.playlist_id("demo", "Everything I like"))
            base_demo = base.liked("demo")
        finally:
            stopped(self, base)
        self.assertEqual(a[0], b[0])
        self.assertEqual(len(a[0]["zed"]), 250)
        self.assertEqual(len(a[1]), 250)
        self.assertEqual(a[1][:100], base_tracks)  # growth only appends
        self.assertEqual(a[2], base_playlist)
        self.assertEqual(a[0]["demo"], base_demo)
        self.assertEqual(len(base_demo), 100)  # the demo list never grows the catalogue
        c = self.lists("--tracks", "100", "--liked", "zed:250", "--seed", "7")
        self.assertNotEqual([i["id"] for i in c[0]["zed"]], [i["id"] for i in a[0]["zed"]])
        # The catalogue file carries the lists and reads them back.
        cat = a[3]
        self.assertEqual(cat["liked"]["zed"], a[0]["zed"])
        with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
            json.dump(cat, f)
            path = f.name
        try:
            emu = Emulator(args=["--catalog", path]).start()
            try:
                self.assertEqual(emu.liked("zed"), a[0]["zed"])
                self.assertEqual(emu.catalog(), cat)
            finally:
                stopped(self, emu)
        finally:
            os.unlink(path)

    def test_no_demo_has_no_saved_tracks_and_bad_flag(self):
        emu = Emulator(args=["--no-demo"]).start()
        try:
            self.assertEqual(emu.liked("demo"), [])
            tok = emu.sign_in_token("demo")
            status, _, page = emu.api("GET", "/me/tracks", token=tok)
            self.assertEqual((status, page["items"], page["total"], page["next"]),
                             (200, [], 0, None))
        finally:
            stopped(self, emu)
        for bad in ("demo", "demo:", ":5", "demo:x", "demo:-1", "no body:3"):
            emu = Emulator(args=["--liked", bad])
            with self.assertRaises(RuntimeError, msg=bad):
                emu.start()
            self.assertEqual(emu.stop(), 1, bad)
            self.assertIn("--liked", emu.stderr(), bad)


if __name__ == "__main__":
    unittest.main(verbosity=2)
