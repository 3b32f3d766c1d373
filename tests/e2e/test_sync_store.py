"""The base kept between syncs, snapshots learnt from write answers, restore holding the
lock: exact Spotify request counts from the emulator's counters and request log.

Every expected count is derived from the contract, not from the server's output:
  - a base read is GET /playlists/{id} (header + the first 100 entries) and then
    ceil((total - 100) / page) item pages (page 50 in development mode, 100 in extended);
  - a child's read (uris only) of at most 100 entries is one GET /playlists/{id};
  - the snapshot check is ONE GET /me/playlists (the user has fewer than 50 playlists);
  - an empty child filled with m tracks costs ceil(m / 100) writes; removing r <= 100
    tracks (nothing added or moved) one; replacing a whole target of <= 100 one;
  - a write answers the playlist's new snapshot_id, so nothing is read after the writes.
Expected contents are computed here from the emulator's catalogue.

  StoreTest (development mode, base of 250 entries, children A, B, C without catch-all)
    01 first sync: base pages + one read per child + ceil(m/100) writes per child, and
       not one request more (no check: nothing known; no "learn" after the writes)
    02 A's rule changed: 1 check + 1 DELETE; no base page, B and C untouched
    03 B's sort changed: 1 check + 1 write (a replace); 04 B's limit: 1 check + 1 write
    05 a pin in C, a ban in A: 1 check + 1 write each
    06 preview of the unchanged base: exactly 1 request; writes nothing
    07 nothing changed: exactly 1 request
    08 base edited: the base is read again (its pages exactly), the rest as above
    09 restore holds the lock: a sync started meanwhile is refused with 409 and the
       restore's event id; afterwards the lock is gone and the restore is not an event
  MetadataTest (extended mode, artist metadata lifetime 1 s, a genre rule)
    01 first sync: base pages, ceil(artists/50) artist batches, reads, writes
    02 once the artist metadata is older than its lifetime, a re-sync with nothing else
       changed fetches the artists again and evaluates again, reading no base page
"""
import math
import os
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from harness import SLOW  # noqa: E402
from sync_steps import SyncSteps, base_track_ids  # noqa: E402

WRITES = ("POST", "PUT", "DELETE")
FIRST_PAGE = 100  # entries embedded in GET /playlists/{id}


def base_read_cost(total, page):
    return 1 + (math.ceil((total - FIRST_PAGE) / page) if total > FIRST_PAGE else 0)


class Steps(SyncSteps):
    """The steps of this file, with their helpers."""

    def log(self):
        """The Web API requests since the last reset: [(method, path)]."""
        return [(r["method"], r["path"]) for r in self.emu.request_log()
                if r["path"].startswith("/v1/")]

    def on(self, log, spid):
        return [r for r in log if "/playlists/%s" % spid in r[1]]

    def writes_on(self, log, spid):
        return [r for r in self.on(log, spid) if r[0] in WRITES]

    def create_base(self, name):
        spid = self.emu.playlist_id("demo", name)
        status, _, base = self.api("POST", "/api/base-playlists", {"spotify_playlist_id": spid})
        self.assertEqual(status, 201, base)
        self.state.update(base=base["id"], base_spid=spid)

    def create_children(self, specs):
        ids, spids = [], {}
        for spec in specs:
            status, _, child = self.api("POST", "/api/base-playlists/%s/child-playlists"
                                        % self.state["base"], spec)
            self.assertEqual(status, 201, child)
            ids.append(child["id"])
            spids[child["id"]] = child["spotify_playlist_id"]
        self.state.update(children=ids, child_spids=spids)

    def base_tracks(self):
        """The base's distinct tracks in base order (first entry kept), and the entries."""
        items = self.emu.playlist(self.state["base_spid"])["items"]
        return base_track_ids(items), items

    def contents(self):
        return {cid: [u.split(":")[2] for u in self.emu.playlist_uris(spid)]
                for cid, spid in self.state["child_spids"].items()}


class StoreTest(Steps):
    MODE = "development"
    PAGE = 50
    ARGS = ["--playlist", "demo:Store base:250", "--seed", "13"]

    def expected(self):
        order, _ = self.base_tracks()
        meta = {t["id"]: t for t in self.emu.tracks(order)}
        s = self.state
        a, b, c = s["children"]
        want_a = [t for t in order if meta[t]["duration_ms"] < s["cut"] or t in s["pins_a"]]
        want_a = [t for t in want_a if t not in s["bans_a"]]
        expl = [t for t in order if meta[t]["explicit"]]
        expl = sorted(expl, key=lambda t: meta[t]["duration_ms"], reverse=s["order"] == "desc")
        want_b = expl[:s["limit"]]
        want_c = [t for t in order if meta[t]["track_number"] <= 3 or t in s["pins_c"]]
        return {a: want_a, b: want_b, c: want_c}

    def check(self, ev):
        want = self.expected()
        self.assertEqual(self.contents(), want)
        per = {c["child_playlist_id"]: c["matched"] for c in ev["children"]}
        self.assertEqual(per, {cid: len(ids) for cid, ids in want.items()})
        return want

    def changed_one(self, child, patch, writes=1):
        """PATCH one child, re-sync: exactly 1 check + `writes` writes, all on that child."""
        status, _, c = self.api("PATCH", "/api/child-playlists/%s" % child, patch)
        self.assertEqual(status, 200, c)
        before = self.contents()
        self.emu.reset()
        ev = self.sync()
        want = self.check(ev)
        log = self.log()
        spid = self.state["child_spids"][child]
        self.assertEqual(self.on(log, self.state["base_spid"]), [], "the base was read")
        self.assertEqual([r for r in log if r[0] == "GET"], [("GET", "/v1/me/playlists")], log)
        self.assertEqual(len(self.writes_on(log, spid)), writes, log)
        self.assertEqual(len(log), 1 + writes, log)
        self.assertEqual(ev["total_api_requests"], 1 + writes)
        for cid, other in self.state["child_spids"].items():
            if cid != child:
                self.assertEqual(self.on(log, other), [])
                self.assertEqual(want[cid], before[cid])
        return ev

    def test_01_first_sync(self):
        self.create_base("Store base")
        order, items = self.base_tracks()
        meta = {t["id"]: t for t in self.emu.tracks(order)}
        durations = sorted(meta[t]["duration_ms"] for t in order)
        self.state.update(cut=durations[len(durations) // 2], order="desc", limit=10,
                          pins_a=[], bans_a=[], pins_c=[])
        self.create_children([
            {"name": "A", "filter": {"field": "duration_ms", "op": "lt",
                                     "value": self.state["cut"]}},
            {"name": "B", "filter": {"field": "explicit", "op": "eq", "value": True},
             "sort": {"by": "duration_ms", "order": "desc"}, "limit": 10},
            {"name": "C", "filter": {"field": "track_number", "op": "lte", "value": 3}},
        ])
        self.emu.reset()
        ev = self.sync()
        want = self.check(ev)
        log = self.log()
        base_reads = self.on(log, self.state["base_spid"])
        self.assertEqual(len(base_reads), base_read_cost(len(items), self.PAGE), base_reads)
        writes = sum(math.ceil(len(ids) / 100) for ids in want.values())
        expect = len(base_reads) + len(want) + writes
        self.assertEqual(len(log), expect, log)
        self.assertEqual(ev["total_api_requests"], expect)
        self.assertNotIn(("GET", "/v1/me/playlists"), log)  # nothing known: no check, no learn
        for cid, spid in self.state["child_spids"].items():
            self.assertEqual(len([r for r in self.on(log, spid) if r[0] == "GET"]), 1)
            self.assertEqual(len(self.writes_on(log, spid)), math.ceil(len(want[cid]) / 100))

    def test_02_rule_changed_reads_no_base_page(self):
        a = self.state["children"][0]
        order, _ = self.base_tracks()
        meta = {t["id"]: t for t in self.emu.tracks(order)}
        held = sorted(meta[t]["duration_ms"] for t in order
                      if meta[t]["duration_ms"] < self.state["cut"])
        # A narrower cut that drops between 1 and 100 tracks: one DELETE, nothing else.
        cut = held[len(held) * 3 // 4]
        dropped = [d for d in held if d >= cut]
        self.assertTrue(1 <= len(dropped) <= 100, len(dropped))
        self.state["cut"] = cut
        self.changed_one(a, {"filter": {"field": "duration_ms", "op": "lt", "value": cut}})

    def test_03_sort_changed(self):
        b = self.state["children"][1]
        old = set(self.expected()[b])
        self.state["order"] = "asc"
        new = set(self.expected()[b])
        # Ten out, ten in: DELETE + POST (2) costs more than one PUT of the 10 (1).
        self.assertFalse(old & new)
        self.changed_one(b, {"sort": {"by": "duration_ms", "order": "asc"}})

    def test_04_limit_changed(self):
        self.state["limit"] = 5
        self.changed_one(self.state["children"][1], {"limit": 5})  # the last 5 removed

    def test_05_pin_and_ban(self):
        a, _, c = self.state["children"]
        want = self.expected()
        pin = next(t for t in want[a] if t not in want[c])
        self.state["pins_c"] = [pin]
        self.changed_one(c, {"pinned_track_ids": [pin]})  # one POST at its base position
        ban = want[a][len(want[a]) // 2]
        self.state["bans_a"] = [ban]
        self.changed_one(a, {"banned_track_ids": [ban]})  # one DELETE

    def test_06_preview_of_an_unchanged_base_costs_one_request(self):
        status, _, p = self.api("POST", "/api/base-playlists/%s/preview" % self.state["base"])
        self.assertEqual(status, 200, p)
        self.assertEqual({c["child_playlist_id"]: c["track_ids"] for c in p["children"]},
                         self.expected())
        self.assertTrue(all(c["add"] == [] and c["remove"] == [] for c in p["children"]))
        self.assertEqual(self.log(), [("GET", "/v1/me/playlists")])

    def test_07_nothing_changed(self):
        ev = self.sync()
        self.check(ev)
        self.assertEqual(self.log(), [("GET", "/v1/me/playlists")])
        self.assertEqual(ev["total_api_requests"], 1)

    def test_08_base_edited_is_read_again(self):
        spid = self.state["base_spid"]
        order, items = self.base_tracks()
        spare = [t["id"] for t in self.emu.tracks() if t["id"] not in set(order)][:2]
        self.emu.add_items(spid, ["spotify:track:" + t for t in spare])
        self.emu.reset()
        ev = self.sync()
        self.check(ev)
        log = self.log()
        self.assertEqual(len(self.on(log, spid)), base_read_cost(len(items) + 2, self.PAGE), log)
        self.assertEqual(ev["tracks_processed"], len(items) + 2)
        # And the new snapshot is stored: a rule change right after reads no page.
        self.state["limit"] = 4
        self.changed_one(self.state["children"][1], {"limit": 4})

    def test_09_restore_holds_the_lock(self):
        base, a = self.state["base"], self.state["children"][0]
        self.emu.latency(400)
        out = {}
        t = threading.Thread(target=lambda: out.update(r=self.api(
            "POST", "/api/child-playlists/%s/restore" % a)))
        t.start()
        try:
            deadline = time.time() + 10 * SLOW
            active = None
            while time.time() < deadline and not active:
                _, _, st = self.api("GET", "/api/base-playlists/%s/sync-status" % base)
                active = st["sync_event"] if st["active"] else None
                time.sleep(0.01)
            self.assertIsNotNone(active, "the restore took no lock")
            self.assertEqual(active["progress"]["phase"], "restore")
            self.assertEqual(active["child_playlist_ids"], [a])
            status, _, err = self.api("POST", "/api/base-playlists/%s/sync" % base)
            self.assertEqual((status, err["error"]["code"]), (409, "sync_in_progress"), err)
            self.assertEqual(err["error"]["sync_event_id"], active["id"])
            status, _, err = self.api("POST", "/api/child-playlists/%s/restore" % a)
            self.assertEqual((status, err["error"]["sync_event_id"]), (409, active["id"]), err)
        finally:
            t.join(60 * SLOW)
            self.emu.latency(0)
        status, _, r = out["r"]
        self.assertEqual(status, 200, r)
        _, _, st = self.api("GET", "/api/base-playlists/%s/sync-status" % base)
        self.assertFalse(st["active"])
        self.assertNotEqual(st["sync_event"]["id"], active["id"])
        status, _, _ = self.api("GET", "/api/sync-events/%s" % active["id"])
        self.assertEqual(status, 404)  # the lock is not kept as a sync event
        ev = self.sync()
        self.check(ev)


class MetadataTest(Steps):
    MODE = "extended"
    PAGE = 100
    ARGS = ["--playlist", "demo:Genre base:180", "--seed", "17"]
    ENV = {"PLAYROUTER_CACHE_TTL_ARTIST": "1"}

    def test_01_first_sync(self):
        self.create_base("Genre base")
        order, items = self.base_tracks()
        tracks = self.emu.tracks(order)
        artists = {a["id"] for t in tracks for a in t["artists"]}
        genre = next(g for t in tracks for g in t["genres"])
        self.state.update(items=len(items), artists=len(artists), genre=genre,
                          want=[t["id"] for t in tracks if genre in t["genres"]])
        self.create_children([{"name": "G", "filter": {"field": "genre", "op": "eq",
                                                       "value": genre}}])
        self.emu.reset()
        ev = self.sync()
        log = self.log()
        batches = math.ceil(len(artists) / 50)
        self.assertEqual(len([r for r in log if r[1] == "/v1/artists"]), batches, log)
        reads = base_read_cost(len(items), self.PAGE)
        self.assertEqual(len(self.on(log, self.state["base_spid"])), reads)
        writes = math.ceil(len(self.state["want"]) / 100)
        self.assertEqual(len(log), reads + batches + 1 + writes, log)
        self.assertEqual(list(self.contents().values()), [self.state["want"]])
        self.state["t_sync"] = time.time()

    def test_02_stale_metadata_evaluates_again_without_the_base(self):
        # The artist metadata lives 1 s (PLAYROUTER_CACHE_TTL_ARTIST): wait it out.
        time.sleep(max(0.0, self.state["t_sync"] + 1.2 - time.time()))
        self.emu.reset()
        ev = self.sync()
        log = self.log()
        batches = math.ceil(self.state["artists"] / 50)
        self.assertEqual(self.on(log, self.state["base_spid"]), [], "the base was read")
        self.assertEqual(len([r for r in log if r[1] == "/v1/artists"]), batches, log)
        self.assertEqual(len(log), 1 + batches, log)  # the check, the artists; no write
        self.assertEqual(ev["total_api_requests"], 1 + batches)
        self.assertEqual(ev["tracks_processed"], self.state["items"])
        self.assertEqual(list(self.contents().values()), [self.state["want"]])
        # Fresh again: nothing changed costs the check alone.
        self.emu.reset()
        self.sync()
        self.assertEqual(self.log(), [("GET", "/v1/me/playlists")])


if __name__ == "__main__":
    unittest.main(verbosity=2)
