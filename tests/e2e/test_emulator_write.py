"""Spotify emulator: changing playlists (add, replace, reorder, remove, create),
snapshot ids and permissions, checked against an independent Python model."""
import os
import random
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from emulator import Emulator  # noqa: E402


def model_reorder(items, start, length, before):
    """Spotify's documented reorder, written independently of the emulator's rotation:
    the block [start, start+length) is put right before the element that was at
    `before` (or at the end when before == len)."""
    if start <= before <= start + length:
        return list(items)
    tagged = list(enumerate(items))
    block = tagged[start:start + length]
    rest = [t for t in tagged if not start <= t[0] < start + length]
    cut = len([t for t in rest if t[0] < before])
    return [v for _, v in rest[:cut] + block + rest[cut:]]


class ModelSelfCheck(unittest.TestCase):
    def test_documented_examples(self):
        ten = list(range(10))
        # "To reorder the first item to the last position ... range_start 0, insert_before 10"
        self.assertEqual(model_reorder(ten, 0, 1, 10), list(range(1, 10)) + [0])
        # "To reorder the last item ... to the start ... range_start 9, insert_before 0"
        self.assertEqual(model_reorder(ten, 9, 1, 0), [9] + list(range(9)))
        # "To move the items at index 9-10 to the start": range_start 9, range_length 2
        self.assertEqual(model_reorder(list(range(11)), 9, 2, 0), [9, 10] + list(range(9)))
        self.assertEqual(model_reorder([0, 1, 2, 3, 4], 1, 2, 4), [0, 3, 1, 2, 4])


class WriteBase:
    """The cases, run by each concrete class below (one per API flavour)."""
    mode = "development"
    coll = "items"

    @classmethod
    def setUpClass(cls):
        cls.emu = Emulator(mode=cls.mode, args=["--tracks", "600", "--seed", "11"]).start()
        cls.token = cls.emu.sign_in_token("demo")
        cls.pool = ["spotify:track:" + t["id"] for t in cls.emu.tracks()]

    @classmethod
    def tearDownClass(cls):
        code = cls.emu.stop()
        assert code == 0, "emulator exited with %s:\n%s" % (code, cls.emu.stderr())

    def new_playlist(self, uris):
        return self.emu.create_playlist("demo", "w", uris=uris)

    def call(self, method, pid, body=None, query=""):
        return self.emu.api(method, "/playlists/%s/%s%s" % (pid, self.coll, query),
                            token=self.token, body=body)

    def test_add_append_and_position(self):
        pid = self.new_playlist(self.pool[:5])
        status, _, body = self.call("POST", pid, {"uris": self.pool[10:12]})
        self.assertEqual(status, 201)
        self.assertEqual(body["snapshot_id"], self.emu.playlist(pid)["snapshot_id"])
        status, _, _ = self.call("POST", pid, {"uris": self.pool[20:22], "position": 1})
        self.assertEqual(status, 201)
        status, _, _ = self.call("POST", pid, None, "?position=0&uris=" + self.pool[30])
        self.assertEqual(status, 201)
        expected = ([self.pool[30], self.pool[0]] + self.pool[20:22] + self.pool[1:5] +
                    self.pool[10:12])
        self.assertEqual(self.emu.playlist_uris(pid), expected)
        for bad in ({"uris": self.pool[:2], "position": 99}, {"uris": self.pool[:2], "position": -1},
                    {"uris": ["spotify:track:!!"]}, {"uris": []},
                    {"uris": ["spotify:track:0000000000000000000000"]}):
            status, _, body = self.call("POST", pid, bad)
            self.assertEqual(status, 400, bad)
            self.assertEqual(body["error"]["status"], 400)
        self.assertEqual(self.emu.playlist_uris(pid), expected)

    def test_at_most_100_uris_per_call(self):
        pid = self.new_playlist([])
        status, _, _ = self.call("POST", pid, {"uris": self.pool[:100]})
        self.assertEqual(status, 201)
        status, _, body = self.call("POST", pid, {"uris": self.pool[:101]})
        self.assertEqual(status, 400)
        status, _, _ = self.call("PUT", pid, {"uris": self.pool[:101]})
        self.assertEqual(status, 400)
        key = "items" if self.coll == "items" else "tracks"
        status, _, _ = self.call("DELETE", pid, {key: [{"uri": u} for u in self.pool[:101]]})
        self.assertEqual(status, 400)
        self.assertEqual(self.emu.playlist_uris(pid), self.pool[:100])

    def test_every_change_makes_a_new_snapshot(self):
        pid = self.new_playlist(self.pool[:10])
        seen = {self.emu.playlist(pid)["snapshot_id"]}
        key = "items" if self.coll == "items" else "tracks"
        for method, body in (("POST", {"uris": [self.pool[50]]}),
                             ("PUT", {"range_start": 0, "insert_before": 3}),
                             ("DELETE", {key: [{"uri": self.pool[50]}]}),
                             ("PUT", {"uris": self.pool[:3]}),
                             ("PUT", {"uris": self.pool[:3]})):
            status, _, out = self.call(method, pid, body)
            self.assertIn(status, (200, 201), (method, body, out))
            self.assertNotIn(out["snapshot_id"], seen)
            seen.add(out["snapshot_id"])
            _, _, p = self.emu.api("GET", "/playlists/" + pid, token=self.token)
            self.assertEqual(p["snapshot_id"], out["snapshot_id"])

    def test_replace(self):
        pid = self.new_playlist(self.pool[:30])
        status, _, _ = self.call("PUT", pid, {"uris": self.pool[40:45] + [self.pool[40]]})
        self.assertEqual(status, 200)
        self.assertEqual(self.emu.playlist_uris(pid), self.pool[40:45] + [self.pool[40]])
        status, _, _ = self.call("PUT", pid, {"uris": []})
        self.assertEqual(status, 200)
        self.assertEqual(self.emu.playlist_uris(pid), [])
        status, _, _ = self.call("PUT", pid, None, "?uris=" + ",".join(self.pool[7:9]))
        self.assertEqual(status, 200)
        self.assertEqual(self.emu.playlist_uris(pid), self.pool[7:9])

    def test_reorder_matches_model(self):
        rnd = random.Random(1234)
        items = self.pool[100:160]
        pid = self.new_playlist(items)
        for _ in range(40):
            n = len(items)
            start = rnd.randrange(n)
            length = rnd.randint(1, min(6, n - start))
            before = rnd.randint(0, n)
            body = {"range_start": start, "insert_before": before}
            if length != 1 or rnd.random() < 0.5:
                body["range_length"] = length
            if rnd.random() < 0.3:
                body["snapshot_id"] = self.emu.playlist(pid)["snapshot_id"]
            status, _, out = self.call("PUT", pid, body)
            self.assertEqual(status, 200, (body, out))
            items = model_reorder(items, start, length, before)
            self.assertEqual(self.emu.playlist_uris(pid), items, body)

    def test_reorder_bounds(self):
        pid = self.new_playlist(self.pool[:5])
        for body in ({"range_start": 5, "insert_before": 0}, {"range_start": 0, "insert_before": 6},
                     {"range_start": 3, "range_length": 3, "insert_before": 0},
                     {"range_start": -1, "insert_before": 0},
                     {"range_start": 0, "insert_before": 2, "snapshot_id": "bogus"}):
            status, _, _ = self.call("PUT", pid, body)
            self.assertEqual(status, 400, body)
        self.assertEqual(self.emu.playlist_uris(pid), self.pool[:5])

    def test_remove_every_occurrence_and_positions(self):
        a, b, c = self.pool[200:203]
        start = [a, b, a, c, a, b, "spotify:local:Art:Alb:Song:200"]
        pid = self.new_playlist(start)
        key = "items" if self.coll == "items" else "tracks"
        status, _, _ = self.call("DELETE", pid, {key: [{"uri": a}, {"uri": self.pool[300]}]})
        self.assertEqual(status, 200)
        self.assertEqual(self.emu.playlist_uris(pid), [b, c, b, start[6]])
        status, _, _ = self.call("DELETE", pid, {key: [{"uri": b, "positions": [2]}]})
        self.assertEqual(status, 200)
        self.assertEqual(self.emu.playlist_uris(pid), [b, c, start[6]])
        status, _, _ = self.call("DELETE", pid, {key: [{"uri": b, "positions": [1]}]})
        self.assertEqual(status, 400)
        status, _, _ = self.call("DELETE", pid, {key: [{"uri": start[6]}]})
        self.assertEqual(status, 200)
        self.assertEqual(self.emu.playlist_uris(pid), [b, c])

    def test_only_owner_or_collaborator_may_change(self):
        alice = self.emu.playlist_id("alice", "Alice's public mix")
        before = self.emu.playlist_uris(alice)
        key = "items" if self.coll == "items" else "tracks"
        for method, body in (("POST", {"uris": self.pool[:1]}), ("PUT", {"uris": []}),
                             ("DELETE", {key: [{"uri": before[0]}]})):
            status, _, out = self.call(method, alice, body)
            self.assertEqual(status, 403, method)
            self.assertEqual(out["error"]["status"], 403)
        self.assertEqual(self.emu.playlist_uris(alice), before)
        collab = self.emu.playlist_id("bob", "Road trip (collaborative)")
        status, _, _ = self.call("POST", collab, {"uris": self.pool[:1]})
        self.assertEqual(status, 201)
        self.assertEqual(self.emu.playlist(collab)["items"][-1]["added_by"], "demo")

    def test_create_playlist(self):
        status, _, p = self.emu.api("POST", "/me/playlists", token=self.token,
                                    body={"name": "Fresh", "public": False, "description": "d"})
        self.assertEqual(status, 201)
        self.assertEqual(p["name"], "Fresh")
        self.assertEqual(p["owner"]["id"], "demo")
        self.assertFalse(p["public"])
        admin = self.emu.playlist(p["id"])
        self.assertEqual((admin["owner"], admin["total"], admin["snapshot_id"]),
                         ("demo", 0, p["snapshot_id"]))
        status, _, _ = self.emu.api("POST", "/me/playlists", token=self.token, body={})
        self.assertEqual(status, 400)


class WriteDevelopment(WriteBase, unittest.TestCase):
    mode = "development"
    coll = "items"

    def test_delete_wants_items_key(self):
        pid = self.new_playlist(self.pool[:3])
        status, _, _ = self.call("DELETE", pid, {"tracks": [{"uri": self.pool[0]}]})
        self.assertEqual(status, 400)
        self.assertEqual(self.emu.playlist_uris(pid), self.pool[:3])

    def test_users_playlists_is_gone(self):
        status, _, _ = self.emu.api("POST", "/users/demo/playlists", token=self.token,
                                    body={"name": "x"})
        self.assertEqual(status, 403)


class WriteExtendedTracks(WriteBase, unittest.TestCase):
    mode = "extended"
    coll = "tracks"

    def test_users_playlists(self):
        status, _, p = self.emu.api("POST", "/users/demo/playlists", token=self.token,
                                    body={"name": "Old style"})
        self.assertEqual(status, 201)
        self.assertEqual(p["tracks"]["total"], 0)
        status, _, _ = self.emu.api("POST", "/users/alice/playlists", token=self.token,
                                    body={"name": "x"})
        self.assertEqual(status, 403)

    def test_items_path_takes_either_key(self):
        pid = self.new_playlist(self.pool[:3])
        status, _, _ = self.emu.api("DELETE", "/playlists/%s/items" % pid, token=self.token,
                                    body={"items": [{"uri": self.pool[0]}]})
        self.assertEqual(status, 200)
        status, _, _ = self.emu.api("DELETE", "/playlists/%s/items" % pid, token=self.token,
                                    body={"tracks": [{"uri": self.pool[1]}]})
        self.assertEqual(status, 200)
        self.assertEqual(self.emu.playlist_uris(pid), self.pool[2:3])


class WriteExtendedItems(WriteBase, unittest.TestCase):
    mode = "extended"
    coll = "items"


if __name__ == "__main__":
    unittest.main()
