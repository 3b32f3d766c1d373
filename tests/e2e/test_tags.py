"""The user's own tags (API.md "Tags"): the /api/tags routes, and the `tag` rule field
in a sync (development mode, MusicBrainz off: tags need nothing else).

  01 PUT normalises (trim, lower-case, de-duplicate, sort) and answers {kind, id, tags};
     GET, GET /api/tags, DELETE, an empty list removes
  02 validation: each problem at /tags/N, 1-64 characters, at most 50; unknown kind 404;
     no session 401; nothing changes on a refusal
  03 tags are per user
  04 a tag change makes the next sync re-evaluate though no playlist changed on
     Spotify; the same tags again change nothing; another user's tags never count
"""
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from mb_world import WorldTest, leaf  # noqa: E402


class TagsTest(WorldTest):
    SPOTIFY_ARGS = ["--playlist", "demo:Tag base:150", "--seed", "37"]
    SERVER = {"musicbrainz": False}
    USERS = ("demo", "tagfriend")

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.token2 = cls.tokens["tagfriend"]

    def api(self, method, path, body=None, token=None, raw=None):
        if raw is not None:
            return self.srv.request(method, path, raw=raw, token=token or self.token,
                                    headers={"Content-Type": "application/json"})
        return self.w.api(self.srv, token or self.token, method, path, body)

    def test_01_put_get_list_delete(self):
        status, _, body = self.api("PUT", "/api/tags/tracks/T0000000000000000000001",
                                   {"tags": ["  Workout ", "gym", "WORKOUT", "Café Noir"]})
        self.assertEqual(status, 200, body)
        self.assertEqual(body, {"kind": "tracks", "id": "T0000000000000000000001",
                                "tags": ["café noir", "gym", "workout"]})
        status, _, got = self.api("GET", "/api/tags/tracks/T0000000000000000000001")
        self.assertEqual((status, got), (200, body))
        status, _, body = self.api("PUT", "/api/tags/artists/A01", {"tags": ["calm"]})
        self.assertEqual(status, 200, body)
        status, _, lst = self.api("GET", "/api/tags")
        self.assertEqual(status, 200)
        self.assertEqual([(i["kind"], i["id"]) for i in lst["items"]],
                         [("artists", "A01"), ("tracks", "T0000000000000000000001")])
        # an empty list removes the item
        status, _, body = self.api("PUT", "/api/tags/artists/A01", {"tags": []})
        self.assertEqual((status, body), (200, {"kind": "artists", "id": "A01", "tags": []}))
        self.assertEqual(self.api("GET", "/api/tags/artists/A01")[0], 404)
        status, _, body = self.api("DELETE", "/api/tags/tracks/T0000000000000000000001")
        self.assertEqual(status, 204, body)
        self.assertEqual(self.api("DELETE", "/api/tags/tracks/T0000000000000000000001")[0], 404)
        self.assertEqual(self.api("GET", "/api/tags")[2], {"items": []})

    def test_02_validation(self):
        path = "/api/tags/tracks/T2"
        cases = [
            ({"tags": ["ok", "", "x" * 65, 7, "  \t ", "a\u0001b"]},
             ["/tags/1", "/tags/2", "/tags/3", "/tags/4", "/tags/5"]),
            ({"tags": ["t%02d" % i for i in range(51)]}, ["/tags/50"]),
            ({"tags": "workout"}, ["/tags"]),
            ({}, ["/tags"]),
            ({"tags": ["a"], "color": "red"}, ["/color"]),
        ]
        for body, paths in cases:
            status, _, got = self.api("PUT", path, body)
            self.assertEqual(status, 400, (body, got))
            self.assertEqual(got["error"]["code"], "validation_failed")
            self.assertEqual([d["path"] for d in got["error"]["details"]], paths, body)
        # 64 characters (code points, not bytes) and 50 tags are fine
        status, _, got = self.api("PUT", path, {"tags": ["é" * 64] + ["t%02d" % i for i in range(49)]})
        self.assertEqual(status, 200, got)
        self.assertEqual(len(got["tags"]), 50)
        # nothing changed by the refusals above: the item is what the last PUT made it
        self.assertEqual(self.api("GET", path)[2]["tags"], got["tags"])
        status, _, got = self.api("PUT", path, raw=b"[1, 2]")
        self.assertEqual((status, got["error"]["code"]), (400, "invalid_json"))
        status, _, got = self.api("PUT", "/api/tags/albums/X", {"tags": ["a"]})
        self.assertEqual((status, got["error"]["code"]), (404, "not_found"))
        self.assertEqual(self.api("GET", "/api/tags/albums/X")[0], 404)
        status, _, got = self.api("PUT", "/api/tags/tracks/not-an-id!", {"tags": ["a"]})
        self.assertEqual((status, got["error"]["details"][0]["path"]), (400, "id"))
        status, _, got = self.srv.request("GET", "/api/tags")
        self.assertEqual((status, got["error"]["code"]), (401, "unauthorized"))
        self.assertEqual(self.api("DELETE", path)[0], 204)

    def test_03_per_user(self):
        self.assertEqual(self.api("PUT", "/api/tags/tracks/T3", {"tags": ["mine"]})[0], 200)
        self.assertEqual(self.api("GET", "/api/tags/tracks/T3", token=self.token2)[0], 404)
        self.assertEqual(self.api("GET", "/api/tags", token=self.token2)[2], {"items": []})
        self.assertEqual(self.api("DELETE", "/api/tags/tracks/T3", token=self.token2)[0], 404)
        status, _, body = self.api("PUT", "/api/tags/tracks/T3", {"tags": ["theirs"]},
                                   token=self.token2)
        self.assertEqual((status, body["tags"]), (200, ["theirs"]))
        self.assertEqual(self.api("GET", "/api/tags/tracks/T3")[2]["tags"], ["mine"])
        for tok in (self.token, self.token2):
            self.assertEqual(self.api("DELETE", "/api/tags/tracks/T3", token=tok)[0], 204)

    def test_04_tag_change_re_evaluates(self):
        w = self.w
        spid = w.emu.playlist_id("demo", "Tag base")
        ids = w.track_ids(spid)
        w.load_tracks(ids)
        base = w.create_base(self.srv, self.token, spid)
        children = [w.create_child(self.srv, self.token, base["id"], {
            "name": "Workout", "filter": leaf("tag", "eq", "workout")}),
            w.create_child(self.srv, self.token, base["id"], {
                "name": "Calm or gym", "filter": leaf("tag", "in", ["Calm", "gym"])}),
            w.create_child(self.srv, self.token, base["id"], {
                "name": "Untagged", "filter": leaf("tag", "missing")})]
        # the other user's copy of the base, and their own tags on the same tracks
        spid2 = w.emu.create_playlist(owner="tagfriend", name="Tag copy",
                                      uris=w.emu.playlist_uris(spid))
        base2 = w.create_base(self.srv, self.token2, spid2)
        children2 = [w.create_child(self.srv, self.token2, base2["id"], {
            "name": "Their workout", "filter": leaf("tag", "eq", "workout")})]

        ev = w.sync(self.srv, self.token, base["id"])
        self.assertEqual(ev["status"], "completed", ev["error_message"])
        w.check_contents(w.plan(spid, children, musicbrainz=False, tags={}), children)

        # tags on two tracks and on the first artist of a third
        t1, t2, t3 = ids[0], ids[5], ids[9]
        a3 = w.spotify_track(t3)["artists"][0]["id"]
        tags = {"tracks": {t1: ["workout"], t2: ["calm", "workout"]}, "artists": {a3: ["gym"]}}
        for kind, items in tags.items():
            for i, t in items.items():
                self.assertEqual(self.api("PUT", "/api/tags/%s/%s" % (kind, i), {"tags": t})[0], 200)
        self.assertEqual(self.api("PUT", "/api/tags/tracks/%s" % ids[1], {"tags": ["workout"]},
                                  token=self.token2)[0], 200)
        w.emu.reset_request_log()
        ev = w.sync(self.srv, self.token, base["id"])
        self.assertEqual(ev["status"], "completed", ev["error_message"])
        self.assertGreater(sum(c["added"] for c in ev["children"]), 0, "re-evaluated")
        plan = w.plan(spid, children, musicbrainz=False, tags=tags)
        self.assertIn(t1, plan.targets[children[0]["id"]])
        self.assertNotIn(ids[1], plan.targets[children[0]["id"]])  # the other user's tag
        w.check_contents(plan, children)

        # the same tags again change nothing (the tag version stays, as
        # tests/test_metadata_store.c checks): the next sync costs one request
        self.assertEqual(self.api("PUT", "/api/tags/tracks/%s" % t1, {"tags": ["Workout"]})[0], 200)
        ev = w.sync(self.srv, self.token, base["id"])
        self.assertEqual(ev["total_api_requests"], 1)

        # a removed artist tag re-evaluates again
        self.assertEqual(self.api("DELETE", "/api/tags/artists/%s" % a3)[0], 204)
        del tags["artists"][a3]
        ev = w.sync(self.srv, self.token, base["id"])
        self.assertEqual(ev["status"], "completed", ev["error_message"])
        self.assertGreater(sum(c["removed"] for c in ev["children"]), 0, "re-evaluated")
        w.check_contents(w.plan(spid, children, musicbrainz=False, tags=tags), children)

        # the other user's sync sees their tags only
        ev = w.sync(self.srv, self.token2, base2["id"])
        self.assertEqual(ev["status"], "completed", ev["error_message"])
        w.check_contents(w.plan(spid2, children2, musicbrainz=False,
                                tags={"tracks": {ids[1]: ["workout"]}}), children2)


if __name__ == "__main__":
    unittest.main(verbosity=2)
