"""Spotify emulator: reading playlists in both API modes (pagination, shapes,
limits, removed endpoints and fields, 401/403)."""
import os
import sys
import unittest
import urllib.parse

sys.path.insert(0, os.path.dirname(__file__))
from emulator import Emulator  # noqa: E402

EXT_ONLY_TRACK_FIELDS = {"popularity"}
DEV_ITEM_KEYS = {"added_at", "added_by", "is_local", "item", "primary_color", "video_thumbnail"}


def entry_uri(entry, key):
    obj = entry[key]
    return obj["uri"]


def all_pages(emu, token, path, limit, key):
    """Follows next links from offset 0; returns (uris, pages)."""
    url = "%s?offset=0&limit=%d" % (path, limit)
    uris, pages = [], []
    while url:
        status, _, body = emu.api("GET", url[url.index("/v1") + 3:] if url.startswith("http")
                                  else url, token=token)
        assert status == 200, (status, body)
        pages.append(body)
        uris += [entry_uri(e, key) for e in body["items"]]
        url = body["next"]
    return uris, pages


class DevelopmentModeRead(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.emu = Emulator(mode="development",
                           args=["--tracks", "800", "--playlist", "demo:big:257"]).start()
        cls.token = cls.emu.sign_in_token("demo")
        cls.big = cls.emu.playlist_id("demo", "big")
        cls.expected = cls.emu.playlist_uris(cls.big)

    @classmethod
    def tearDownClass(cls):
        code = cls.emu.stop()
        assert code == 0, "emulator exited with %s:\n%s" % (code, cls.emu.stderr())

    def test_playlist_has_extras(self):
        # 257 entries: 3 local files, 3 episodes, 6 duplicates (README).
        items = self.emu.playlist(self.big)["items"]
        self.assertEqual(len(items), 257)
        self.assertEqual(sum(1 for i in items if i["is_local"]), 3)
        self.assertEqual(sum(1 for i in items if i["type"] == "episode"), 3)
        track_uris = [i["uri"] for i in items if i["type"] == "track" and not i["is_local"]]
        self.assertEqual(len(track_uris) - len(set(track_uris)), 6)

    def test_pages_of_50_cover_the_playlist_in_order(self):
        uris, pages = all_pages(self.emu, self.token, "/playlists/%s/items" % self.big, 50, "item")
        self.assertEqual(uris, self.expected)
        self.assertEqual(len(pages), 6)  # 50*5 + 7
        self.assertEqual([len(p["items"]) for p in pages], [50, 50, 50, 50, 50, 7])
        self.assertTrue(all(p["total"] == 257 for p in pages))
        self.assertIsNone(pages[0]["previous"])
        self.assertIsNone(pages[-1]["next"])
        q = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(pages[2]["previous"]).query))
        self.assertEqual(q, {"offset": "50", "limit": "50"})
        self.assertEqual(pages[3]["offset"], 150)
        self.assertEqual(pages[3]["limit"], 50)

    def test_limit_over_50_is_400(self):
        status, _, body = self.emu.api("GET", "/playlists/%s/items?limit=51" % self.big,
                                       token=self.token)
        self.assertEqual(status, 400)
        self.assertEqual(body["error"]["status"], 400)
        self.assertIsInstance(body["error"]["message"], str)
        for bad in ("0", "-1", "abc"):
            status, _, _ = self.emu.api("GET", "/playlists/%s/items?limit=%s" % (self.big, bad),
                                        token=self.token)
            self.assertEqual(status, 400, bad)

    def test_default_limit_is_20_and_offset_past_end_is_empty(self):
        _, _, body = self.emu.api("GET", "/playlists/%s/items" % self.big, token=self.token)
        self.assertEqual(len(body["items"]), 20)
        self.assertEqual(body["limit"], 20)
        _, _, body = self.emu.api("GET", "/playlists/%s/items?offset=400&limit=10" % self.big,
                                  token=self.token)
        self.assertEqual(body["items"], [])
        self.assertIsNone(body["next"])
        self.assertEqual(body["total"], 257)

    def test_item_shape_and_removed_fields(self):
        _, _, body = self.emu.api("GET", "/playlists/%s/items?limit=50" % self.big,
                                  token=self.token)
        for e in body["items"]:
            self.assertEqual(set(e), DEV_ITEM_KEYS)
            self.assertTrue(e["added_at"].endswith("Z"))
            self.assertEqual(e["added_by"]["id"], "demo")
            obj = e["item"]
            self.assertNotIn("popularity", obj)
            if obj["type"] == "track" and not e["is_local"]:
                self.assertEqual(obj["uri"], "spotify:track:" + obj["id"])
                self.assertRegex(obj["external_ids"]["isrc"], r"^[A-Z]{2}[A-Z0-9]{3}\d{7}$")
                for k in ("duration_ms", "explicit", "track_number", "disc_number", "name"):
                    self.assertIn(k, obj)
                for a in obj["artists"]:
                    self.assertEqual(set(a), {"external_urls", "href", "id", "name", "type", "uri"})
                for k in ("label", "popularity", "genres"):
                    self.assertNotIn(k, obj["album"])
                self.assertIn(obj["album"]["release_date_precision"], ("year", "month", "day"))

    def test_local_files_and_episodes(self):
        items = self.emu.playlist(self.big)["items"]
        first_local = next(i for i, e in enumerate(items) if e["is_local"])
        first_ep = next(i for i, e in enumerate(items) if e["type"] == "episode")
        for pos in (first_local, first_ep):
            _, _, body = self.emu.api("GET", "/playlists/%s/items?offset=%d&limit=1"
                                      % (self.big, pos), token=self.token)
            e = body["items"][0]
            self.assertEqual(e["item"]["uri"], items[pos]["uri"])
            if pos == first_local:
                self.assertTrue(e["is_local"])
                self.assertIsNone(e["item"]["id"])
                self.assertTrue(e["item"]["uri"].startswith("spotify:local:"))
                self.assertEqual(e["item"]["type"], "track")
            else:
                self.assertFalse(e["is_local"])
                self.assertEqual(e["item"]["type"], "episode")

    def test_playlist_object_embeds_first_100(self):
        status, _, p = self.emu.api("GET", "/playlists/" + self.big, token=self.token)
        self.assertEqual(status, 200)
        self.assertNotIn("tracks", p)
        self.assertEqual(p["items"]["total"], 257)
        self.assertEqual(len(p["items"]["items"]), 100)
        self.assertEqual([entry_uri(e, "item") for e in p["items"]["items"]], self.expected[:100])
        self.assertEqual(p["owner"]["id"], "demo")
        self.assertEqual(p["owner"]["display_name"], "Demo User")
        self.assertEqual(p["snapshot_id"], self.emu.playlist(self.big)["snapshot_id"])
        self.assertIn("/items?offset=100&limit=50", p["items"]["next"])

    def test_fields_filter(self):
        status, _, body = self.emu.api(
            "GET", "/playlists/%s/items?limit=3&fields=total,next,items(added_by.id,item(id,uri))"
            % self.big, token=self.token)
        self.assertEqual(status, 200)
        self.assertEqual(set(body), {"total", "next", "items"})
        self.assertEqual(body["total"], 257)
        self.assertIn("fields=", body["next"])
        for e, uri in zip(body["items"], self.expected[:3]):
            self.assertEqual(set(e), {"added_by", "item"})
            self.assertEqual(e["added_by"], {"id": "demo"})
            self.assertEqual(e["item"]["uri"], uri)
            self.assertLessEqual(set(e["item"]), {"id", "uri"})
        status, _, body = self.emu.api("GET", "/playlists/%s?fields=name,snapshot_id" % self.big,
                                       token=self.token)
        self.assertEqual(set(body), {"name", "snapshot_id"})

    def test_me_and_my_playlists(self):
        status, _, me = self.emu.api("GET", "/me", token=self.token)
        self.assertEqual(status, 200)
        self.assertEqual(me["id"], "demo")
        for gone in ("email", "country", "product", "followers", "explicit_content"):
            self.assertNotIn(gone, me)
        admin = [p for p in self.emu.playlists() if p["owner"] == "demo"]
        collab = self.emu.playlist_id("bob", "Road trip (collaborative)")
        _, _, page = self.emu.api("GET", "/me/playlists?limit=3", token=self.token)
        self.assertEqual(page["total"], len(admin) + 1)
        ids = []
        url = "/me/playlists?limit=3"
        while url:
            _, _, page = self.emu.api("GET", url, token=self.token)
            ids += [p["id"] for p in page["items"]]
            url = page["next"] and page["next"][page["next"].index("/v1") + 3:]
        self.assertEqual(sorted(ids), sorted([p["id"] for p in admin] + [collab]))
        status, _, _ = self.emu.api("GET", "/me/playlists?limit=51", token=self.token)
        self.assertEqual(status, 400)

    def test_removed_endpoints_are_403(self):
        track = self.expected[0].split(":")[2]
        for path in ("/tracks?ids=" + track, "/artists?ids=x1", "/albums?ids=x1",
                     "/playlists/%s/tracks" % self.big, "/users/demo"):
            status, _, body = self.emu.api("GET", path, token=self.token)
            self.assertEqual(status, 403, path)
            self.assertEqual(body["error"]["status"], 403)
        status, _, _ = self.emu.api("POST", "/users/demo/playlists", token=self.token,
                                    body={"name": "x"})
        self.assertEqual(status, 403)

    def test_single_objects_lose_fields(self):
        full = self.emu.track(self.expected[0].split(":")[2])
        status, _, t = self.emu.api("GET", "/tracks/" + full["id"], token=self.token)
        self.assertEqual(status, 200)
        self.assertNotIn("popularity", t)
        _, _, a = self.emu.api("GET", "/artists/" + full["artists"][0]["id"], token=self.token)
        for gone in ("genres", "popularity", "followers"):
            self.assertNotIn(gone, a)
        _, _, al = self.emu.api("GET", "/albums/" + full["album"]["id"], token=self.token)
        for gone in ("label", "popularity"):
            self.assertNotIn(gone, al)
        self.assertEqual(al["release_date"], full["album"]["release_date"])

    def test_401s(self):
        path = "/playlists/%s/items" % self.big
        status, _, body = self.emu.api("GET", path)
        self.assertEqual((status, body["error"]["message"]), (401, "No token provided"))
        status, _, body = self.emu.api("GET", path, token="nope")
        self.assertEqual((status, body["error"]["message"]), (401, "Invalid access token"))

    def test_foreign_playlists(self):
        public = self.emu.playlist_id("alice", "Alice's public mix")
        status, _, body = self.emu.api("GET", "/playlists/%s/items" % public, token=self.token)
        self.assertEqual(status, 403)
        status, _, _ = self.emu.api("GET", "/playlists/" + public, token=self.token)
        self.assertEqual(status, 403)
        collab = self.emu.playlist_id("bob", "Road trip (collaborative)")
        status, _, body = self.emu.api("GET", "/playlists/%s/items" % collab, token=self.token)
        self.assertEqual(status, 200)
        self.assertEqual(body["total"], 30)
        status, _, _ = self.emu.api("GET", "/playlists/nosuchplaylist0000000", token=self.token)
        self.assertEqual(status, 404)


class ExtendedModeRead(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.emu = Emulator(mode="extended",
                           args=["--tracks", "800", "--playlist", "demo:big:257"]).start()
        cls.token = cls.emu.sign_in_token("demo")
        cls.big = cls.emu.playlist_id("demo", "big")
        cls.expected = cls.emu.playlist_uris(cls.big)

    @classmethod
    def tearDownClass(cls):
        code = cls.emu.stop()
        assert code == 0, "emulator exited with %s:\n%s" % (code, cls.emu.stderr())

    def test_tracks_pages_of_100(self):
        uris, pages = all_pages(self.emu, self.token, "/playlists/%s/tracks" % self.big, 100,
                                "track")
        self.assertEqual(uris, self.expected)
        self.assertEqual([len(p["items"]) for p in pages], [100, 100, 57])
        for e in pages[0]["items"]:
            self.assertNotIn("item", e)
            if e["track"]["type"] == "track" and not e["is_local"]:
                full = self.emu.track(e["track"]["id"])
                self.assertEqual(e["track"]["popularity"], full["popularity"])
        status, _, _ = self.emu.api("GET", "/playlists/%s/tracks?limit=101" % self.big,
                                    token=self.token)
        self.assertEqual(status, 400)

    def test_items_served_too(self):
        uris, pages = all_pages(self.emu, self.token, "/playlists/%s/items" % self.big, 100,
                                "item")
        self.assertEqual(uris, self.expected)
        self.assertEqual(pages[0]["items"][0]["track"], pages[0]["items"][0]["item"])

    def test_playlist_object_has_tracks(self):
        _, _, p = self.emu.api("GET", "/playlists/" + self.big, token=self.token)
        self.assertNotIn("items", p)
        self.assertEqual(p["tracks"]["total"], 257)
        self.assertEqual([e["track"]["uri"] for e in p["tracks"]["items"]], self.expected[:100])

    def test_batch_limits(self):
        tracks = self.emu.tracks()
        ids = [t["id"] for t in tracks]
        for path, n_ok, key in (("tracks", 50, "tracks"), ("artists", 50, "artists"),
                                ("albums", 20, "albums")):
            pool = ids if path == "tracks" else sorted({
                (t["artists"][0]["id"] if path == "artists" else t["album"]["id"])
                for t in tracks})
            status, _, body = self.emu.api("GET", "/%s?ids=%s" % (path, ",".join(pool[:n_ok])),
                                           token=self.token)
            self.assertEqual(status, 200, path)
            self.assertEqual([o["id"] for o in body[key]], pool[:n_ok])
            status, _, body = self.emu.api("GET", "/%s?ids=%s" % (path, ",".join(pool[:n_ok + 1])),
                                           token=self.token)
            self.assertEqual(status, 400, path)
            self.assertEqual(body["error"]["status"], 400)

    def test_rich_fields_and_unknown_ids(self):
        t = self.emu.tracks()[5]
        a = t["artists"][0]
        status, _, body = self.emu.api("GET", "/artists?ids=%s,0000000000000000000000"
                                       % a["id"], token=self.token)
        self.assertEqual(status, 200)
        self.assertIsNone(body["artists"][1])
        got = body["artists"][0]
        self.assertEqual(got["genres"], a["genres"])
        self.assertEqual(got["popularity"], a["popularity"])
        self.assertEqual(got["followers"]["total"], a["followers"])
        _, _, body = self.emu.api("GET", "/albums?ids=" + t["album"]["id"], token=self.token)
        self.assertEqual(body["albums"][0]["label"], t["album"]["label"])
        self.assertEqual(body["albums"][0]["popularity"], t["album"]["popularity"])
        _, _, body = self.emu.api("GET", "/tracks?ids=" + t["id"], token=self.token)
        self.assertEqual(body["tracks"][0]["popularity"], t["popularity"])
        self.assertEqual(body["tracks"][0]["external_ids"]["isrc"], t["isrc"])

    def test_public_foreign_playlist_readable_private_not(self):
        public = self.emu.playlist_id("alice", "Alice's public mix")
        status, _, body = self.emu.api("GET", "/playlists/%s/tracks" % public, token=self.token)
        self.assertEqual(status, 200)
        self.assertEqual(body["total"], 120)
        secret = self.emu.playlist_id("alice", "Alice's secret mix")
        status, _, _ = self.emu.api("GET", "/playlists/%s/tracks" % secret, token=self.token)
        self.assertEqual(status, 403)

    def test_runtime_mode_switch(self):
        try:
            self.emu.set_mode("development")
            status, _, _ = self.emu.api("GET", "/playlists/%s/tracks" % self.big, token=self.token)
            self.assertEqual(status, 403)
        finally:
            self.emu.set_mode("extended")
        status, _, _ = self.emu.api("GET", "/playlists/%s/tracks" % self.big, token=self.token)
        self.assertEqual(status, 200)


if __name__ == "__main__":
    unittest.main()
