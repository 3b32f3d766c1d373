"""The preview's `tracks` map (docs/API.md, extensions): for every base track whose id
the answer names, its name, artist names and duration, and for no other id. Expected
lists and values come from the emulator's admin catalogue (GET /__admin/tracks and
/__admin/playlists/{id}), never from the server's answers.

  01 before the first sync (the base read from Spotify): the map holds exactly the
     children's targets, each with the catalogue's name, artists and duration_ms
  02 after a sync, child A's rule narrowed and its Spotify playlist given a track that is
     not in the base and a local file (the base now comes from the stored base): the
     base tracks of A's remove join the map; the foreign id and the local file do not
  03 explain: a base track that no list names joins the map; an id not in the base
     does not; an answer for a base whose lists are all empty has an empty map
"""
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from sync_steps import SyncSteps, base_track_ids  # noqa: E402

NOT_IN_BASE = "0000000000000000000000"


class PreviewTracksTest(SyncSteps):
    MODE = "development"
    ARGS = ["--playlist", "demo:Names base:120", "--seed", "5"]

    # ---- the reference, from the emulator's catalogue ----

    def base_order(self):
        """The base's distinct track ids in base order, and its entries."""
        items = self.emu.playlist(self.state["base_spid"])["items"]
        return base_track_ids(items), items

    def catalogue(self, ids):
        return {t["id"]: t for t in self.emu.tracks(list(ids))}

    def targets(self):
        """{child id: target} from the rules of self.state (API.md "Sync")."""
        order, _ = self.base_order()
        meta = self.catalogue(order)
        a, b = self.state["children"]
        return {a: [t for t in order if meta[t]["duration_ms"] < self.state["cut_a"]],
                b: [t for t in order if meta[t]["explicit"]]}

    def want_map(self, ids):
        """What the map must say of ids: the catalogue's name, artists' names, duration."""
        return {t["id"]: {"name": t["name"], "artist_names": [ar["name"] for ar in t["artists"]],
                          "duration_ms": t["duration_ms"]}
                for t in self.catalogue(ids).values()}

    def preview(self, query=""):
        status, _, p = self.api("POST", "/api/base-playlists/%s/preview%s"
                                % (self.state["base"], query))
        self.assertEqual(status, 200, p)
        return p

    # ---- the steps ----

    def test_01_map_of_the_targets(self):
        spid = self.emu.playlist_id("demo", "Names base")
        status, _, base = self.api("POST", "/api/base-playlists", {"spotify_playlist_id": spid})
        self.assertEqual(status, 201, base)
        self.state.update(base=base["id"], base_spid=spid)
        order, _ = self.base_order()
        durations = sorted(t["duration_ms"] for t in self.catalogue(order).values())
        self.state["cut_a"] = durations[len(durations) // 2]
        ids, spids = [], {}
        for name, rule in (("A", {"field": "duration_ms", "op": "lt", "value": self.state["cut_a"]}),
                           ("B", {"field": "explicit", "op": "eq", "value": True})):
            status, _, child = self.api("POST", "/api/base-playlists/%s/child-playlists"
                                        % base["id"], {"name": name, "filter": rule})
            self.assertEqual(status, 201, child)
            ids.append(child["id"])
            spids[child["id"]] = child["spotify_playlist_id"]
        self.state.update(children=ids, child_spids=spids)

        want = self.targets()
        p = self.preview()
        self.assertEqual({c["child_playlist_id"]: c["track_ids"] for c in p["children"]}, want)
        named = set(want[ids[0]]) | set(want[ids[1]])
        self.assertTrue(0 < len(named) < len(order), "the lists name some of the base, not all")
        self.assertEqual(p["tracks"], self.want_map(named))

    def test_02_removed_base_tracks_only(self):
        a, b = self.state["children"]
        self.sync()
        old_a = self.targets()[a]
        # A's rule narrowed: the tracks between the two cuts leave it.
        order, items = self.base_order()
        meta = self.catalogue(order)
        cut = sorted(meta[t]["duration_ms"] for t in old_a)[len(old_a) // 2]
        status, _, child = self.api("PATCH", "/api/child-playlists/" + a,
                                    {"filter": {"field": "duration_ms", "op": "lt", "value": cut}})
        self.assertEqual(status, 200, child)
        self.state["cut_a"] = cut
        # A's playlist also holds a track the base lacks, and a local file.
        foreign = next(t["id"] for t in self.emu.tracks() if t["id"] not in set(order))
        local = next(it["uri"] for it in items if it.get("is_local"))
        spid_a = self.state["child_spids"][a]
        self.emu.set_playlist(spid_a, self.emu.playlist_uris(spid_a)
                              + ["spotify:track:" + foreign, local])

        want = self.targets()
        left = [t for t in old_a if t not in set(want[a])]
        self.assertTrue(left)
        self.emu.reset()
        p = self.preview()
        base_reads = [r for r in self.emu.request_log()
                      if "/playlists/%s" % self.state["base_spid"] in r["path"]]
        self.assertEqual(base_reads, [], "the base comes from the stored base")
        by = {c["child_playlist_id"]: c for c in p["children"]}
        self.assertEqual({cid: c["track_ids"] for cid, c in by.items()}, want)
        self.assertEqual(sorted(by[a]["remove"]), sorted(left + [foreign, local]))
        self.assertEqual((by[a]["add"], by[b]["add"], by[b]["remove"]), ([], [], []))
        named = set(want[a]) | set(want[b]) | set(left)
        self.assertEqual(p["tracks"], self.want_map(named))
        self.assertNotIn(foreign, p["tracks"])
        self.assertNotIn(local, p["tracks"])
        self.state["named"] = named

    def test_03_explain(self):
        order, _ = self.base_order()
        named = self.state["named"]
        other = next(t for t in order if t not in named)
        p = self.preview("?explain=" + other)
        self.assertEqual({c["explain"]["matched"] for c in p["children"]}, {False})
        self.assertEqual(p["tracks"], self.want_map(named | {other}))
        p = self.preview("?explain=" + NOT_IN_BASE)
        self.assertEqual(p["tracks"], self.want_map(named))
        # Both children now match nothing and their playlists are emptied: an empty map.
        for cid in self.state["children"]:
            status, _, c = self.api("PATCH", "/api/child-playlists/" + cid,
                                    {"filter": {"field": "track_id", "op": "eq", "value": NOT_IN_BASE}})
            self.assertEqual(status, 200, c)
            self.emu.set_playlist(self.state["child_spids"][cid], [])
        p = self.preview()
        self.assertEqual([(c["track_ids"], c["add"], c["remove"]) for c in p["children"]],
                         [([], [], [])] * 2)
        self.assertEqual(p["tracks"], {})


if __name__ == "__main__":
    unittest.main()
