"""MusicBrainz as a metadata source, end to end in development mode (API.md "Metadata
sources"): the real server against the Spotify and MusicBrainz emulators.

Expected contents come from rules_reference.py fed with the emulators' ground truth
(mb_world.py); request counts from the MusicBrainz emulator's own counters and log.
The steps run in order and share state:
  01 MusicBrainz off: genre and original_year are refused, saying how to turn it on
  02 first sync: genre, genre + release_year, original_year, missing values; every
     MusicBrainz request carries the User-Agent; searches at limit=100, each ISRC asked
     once; metadata_requests = what the emulator counted, within the plan's bound;
     progress.phase "musicbrainz" while it asks
  03 a second sync, and one that re-evaluates (a rule changed), ask MusicBrainz nothing
  04 another user's sync of the same tracks asks MusicBrainz nothing
  05 explain: value and source of genre and original_year
  06 a 503 storm is waited out (Retry-After), and counted
  07 MusicBrainz down: the sync fails naming MusicBrainz and writes nothing; preview 502
     metadata_unavailable; a base whose values are all known still syncs; back up: it
     converges
  08 searches without isrcs: the per-ISRC lookups stand in
"""
import os
import sys
import time
import unittest
import urllib.parse

sys.path.insert(0, os.path.dirname(__file__))
from harness import SLOW  # noqa: E402
from mb_world import WorldTest, leaf, user_agent  # noqa: E402

INDIE = ["indie rock", "alternative rock", "garage rock", "post-punk", "shoegaze", "dream pop"]


class MusicBrainzSyncTest(WorldTest):
    SPOTIFY_ARGS = ["--playlist", "demo:MB base:400", "--seed", "23"]
    MB_RATE = 10
    SERVER = {"PLAYROUTER_MUSICBRAINZ_RATE": "10", "PLAYROUTER_MUSICBRAINZ_MAX_ATTEMPTS": "3"}

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.ua = user_agent()

    def api(self, method, path, body=None, token=None, srv=None):
        return self.w.api(srv or self.srv, token or self.token, method, path, body)

    def new_playlist(self, name, n, owner="demo"):
        """A playlist of n catalogue tracks no earlier step used (so MusicBrainz is asked)."""
        used = self.state.setdefault("used", set())
        ids = [t["id"] for t in self.w.emu.tracks() if t["id"] not in used][:n]
        used.update(ids)
        return self.w.emu.create_playlist(owner=owner, name=name,
                                          uris=["spotify:track:%s" % i for i in ids])

    def check_user_agent(self, log):
        bad = [r for r in log if r.get("user_agent") != self.ua]
        self.assertEqual(bad[:3], [], "every MusicBrainz request carries %r" % self.ua)

    # ---- steps ----

    def test_01_off_refuses_with_how_to(self):
        srv = self.w.server(musicbrainz=False)
        try:
            token = self.w.sign_in(srv, "demo")
            base = self.w.create_base(srv, token, self.w.emu.playlist_id("demo", "MB base"))
            for spec, path in (
                ({"name": "g", "filter": leaf("genre", "eq", "rock")}, "/filter/field"),
                ({"name": "y", "filter": {"not": leaf("original_year", "lt", 1990)}},
                 "/filter/not/field"),
                ({"name": "s", "filter": {"all": []}, "sort": {"by": "original_year"}},
                 "/sort/by"),
            ):
                status, _, body = self.w.api(srv, token, "POST",
                                             "/api/base-playlists/%s/child-playlists" % base["id"],
                                             spec)
                self.assertEqual(status, 400, body)
                self.assertEqual(body["error"]["code"], "validation_failed")
                d = body["error"]["details"]
                self.assertEqual([x["path"] for x in d], [path], d)
                self.assertIn("PLAYROUTER_MUSICBRAINZ_BASE", d[0]["message"])
                self.assertIn("MusicBrainz", d[0]["message"])
        finally:
            self.w.stop_server(srv)

    def test_02_first_sync(self):
        w = self.w
        spid = w.emu.playlist_id("demo", "MB base")
        ids = w.track_ids(spid)
        self.state["used"] = set(ids)
        w.load_tracks(ids)
        # the most common MusicBrainz genre of this base, so that the rule has work
        counts = {}
        for i in set(ids):
            for g in w.truth(i).get("genres") or []:
                counts[g] = counts.get(g, 0) + 1
        top = max(sorted(counts), key=lambda g: counts[g])
        base = w.create_base(self.srv, self.token, spid)
        specs = [
            {"name": "Top genre", "filter": leaf("genre", "eq", top.upper())},
            {"name": "Indie 90s", "filter": {"all": [leaf("genre", "in", INDIE),
                                                     leaf("release_year", "between", [1990, 1999])]}},
            {"name": "Old originals", "filter": leaf("original_year", "lt", 1985)},
            {"name": "Reissued", "filter": {"all": [leaf("original_year", "exists"),
                                                    leaf("release_year", "gte", 2000),
                                                    leaf("original_year", "lt", 2000)]}},
            {"name": "No MusicBrainz year", "filter": leaf("original_year", "missing")},
            {"name": "No genre", "filter": leaf("genre", "missing")},
        ]
        children = [w.create_child(self.srv, self.token, base["id"], s) for s in specs]
        plan = w.plan(spid, children)
        for c in children:  # every rule has something to do (else pick other data)
            self.assertGreater(len(plan.targets[c["id"]]), 0, c["name"])
        unknown = [i for i in set(ids) if not w.truth(i).get("known")]
        self.assertTrue(unknown, "the base holds ISRCs MusicBrainz does not know")
        w.mb.reset_counters()
        w.mb.reset_request_log()
        w.mb.latency(150)  # so that the musicbrainz phase lasts long enough to be seen
        try:
            status, _, ev = self.api("POST", "/api/base-playlists/%s/sync?wait=false" % base["id"])
            self.assertEqual(status, 202, ev)
            phases = set()
            deadline = time.time() + 120 * SLOW
            while time.time() < deadline:
                _, _, st = self.api("GET", "/api/base-playlists/%s/sync-status" % base["id"])
                ev = st["sync_event"]
                phases.add((ev["progress"]["phase"], ev["progress"]["total"] > 0))
                if not st["active"]:
                    break
                time.sleep(0.05)
        finally:
            w.mb.latency(0)
        self.assertEqual(ev["status"], "completed", ev["error_message"])
        self.assertIn(("musicbrainz", True), phases, "progress.phase seen: %s" % phases)
        w.check_contents(plan, children)
        # unknown ISRCs: no MusicBrainz values, not an error
        by_name = {c["name"]: c for c in children}
        no_year = set(plan.targets[by_name["No MusicBrainz year"]["id"]])
        self.assertTrue(set(unknown) <= no_year)
        # what MusicBrainz was asked
        log = w.ws_log()
        self.assertEqual(ev["metadata_requests"]["musicbrainz"], len(log))
        self.assertEqual(len(log), w.ws_count())
        self.check_user_agent(log)
        asked = []
        for r in log:
            q = dict(x.split("=", 1) for x in r["query"].split("&") if "=" in x)
            if r["route"].startswith("GET /ws/2/recording"):
                self.assertEqual(q.get("limit"), "100", r["query"])
                terms = urllib.parse.unquote(q["query"]).split(" OR ")
                if q.get("offset", "0") == "0":
                    asked += [t.split(":", 1)[1] for t in terms]
        isrcs = set(w.spotify_track(i)["isrc"].upper() for i in set(ids))
        self.assertEqual(sorted(asked), sorted(isrcs), "each ISRC asked once")
        minimum, n_rec, n_art = w.physical_minimum(ids)
        batches = -(-len(isrcs) // 95)
        self.assertLessEqual(len(log), minimum + batches,
                             "MusicBrainz requests %d; physical minimum %d (%d recordings, %d "
                             "artists)" % (len(log), minimum, n_rec, n_art))
        sys.stderr.write("[02: %d tracks, %d MusicBrainz requests, physical minimum %d]\n"
                         % (len(set(ids)), len(log), minimum))
        self.state.update(base=base, children=children, spid=spid, top=top)

    def test_03_second_sync_asks_nothing(self):
        w, base, children = self.w, self.state["base"], self.state["children"]
        w.mb.reset_request_log()
        ev = w.sync(self.srv, self.token, base["id"])
        self.assertEqual(ev["status"], "completed", ev["error_message"])
        self.assertEqual(ev["metadata_requests"], {"musicbrainz": 0})
        self.assertEqual(ev["total_api_requests"], 1)  # nothing changed anywhere
        # a changed rule re-evaluates (the stored base serves the entries, MusicBrainz's
        # store the values): the child changes, MusicBrainz is not asked
        c = children[0]
        status, _, body = self.api("PATCH", "/api/child-playlists/%s" % c["id"],
                                   {"filter": leaf("genre", "neq", self.state["top"])})
        self.assertEqual(status, 200, body)
        ev = w.sync(self.srv, self.token, base["id"])
        self.assertEqual(ev["status"], "completed", ev["error_message"])
        self.assertEqual(ev["metadata_requests"], {"musicbrainz": 0})
        self.assertEqual(w.ws_log(), [])
        _, _, cs = self.api("GET", "/api/base-playlists/%s/child-playlists" % base["id"])
        plan = w.plan(self.state["spid"], cs["items"])
        self.assertGreater(len(plan.targets[c["id"]]), 0)
        w.check_contents(plan, cs["items"])
        self.state["children"] = cs["items"]

    def test_04_another_user_asks_nothing(self):
        w = self.w
        w.emu.create_user("friend")
        uris = w.emu.playlist_uris(self.state["spid"])
        spid = w.emu.create_playlist(owner="friend", name="Friend's copy", uris=uris)
        token = w.sign_in(self.srv, "friend")
        base = w.create_base(self.srv, token, spid)
        children = [w.create_child(self.srv, token, base["id"], {
            "name": "Friend's genre", "filter": leaf("genre", "eq", self.state["top"])}),
            w.create_child(self.srv, token, base["id"], {
                "name": "Friend's 70s", "filter": leaf("original_year", "between", [1970, 1979])})]
        w.mb.reset_request_log()
        ev = w.sync(self.srv, token, base["id"])
        self.assertEqual(ev["status"], "completed", ev["error_message"])
        self.assertEqual(ev["metadata_requests"], {"musicbrainz": 0})
        self.assertEqual(w.ws_log(), [])
        w.check_contents(w.plan(spid, children), children)

    def test_05_explain_sources(self):
        w, children = self.w, self.state["children"]
        top = next(c for c in children if c["name"] == "Top genre")
        plan = w.plan(self.state["spid"], children)
        tid = plan.targets[top["id"]][0]
        status, _, body = self.api("POST", "/api/base-playlists/%s/preview?explain=%s"
                                   % (self.state["base"]["id"], tid))
        self.assertEqual(status, 200, body)
        ex = {c["name"]: c["explain"] for c in body["children"]}
        truth = w.truth(tid)
        e = ex["Top genre"]
        self.assertEqual((e["matched"], e["field"], e["source"]), (True, "genre", "musicbrainz"))
        self.assertEqual(sorted(e["value"]), sorted(g.lower() for g in truth["genres"]))
        self.assertEqual(e["value_sources"], ["musicbrainz"] * len(e["value"]))
        e = ex["Old originals"]
        self.assertEqual((e["field"], e["value"], e["source"]),
                         ("original_year", truth["original_year"], "musicbrainz"))

    def test_06_storm_waited_out(self):
        w = self.w
        spid = self.new_playlist("Storm base", 150)
        base = w.create_base(self.srv, self.token, spid)
        children = [w.create_child(self.srv, self.token, base["id"], {
            "name": "Storm 90s", "filter": leaf("original_year", "between", [1990, 1999])})]
        w.mb.reset_counters()
        w.mb.reset_request_log()
        w.mb.storm(2)  # the next two: 503 with Retry-After 1
        t0 = time.time()
        ev = w.sync(self.srv, self.token, base["id"])
        self.assertEqual(ev["status"], "completed", ev["error_message"])
        log = w.ws_log()
        self.assertEqual([r["status"] for r in log[:2]], [503, 503])
        self.assertEqual(ev["metadata_requests"]["musicbrainz"], len(log))
        self.assertGreaterEqual(log[2]["t_ms"] - log[1]["t_ms"], 1000, "Retry-After waited")
        self.assertGreaterEqual(time.time() - t0, 2.0)
        self.check_user_agent(log)
        w.check_contents(w.plan(spid, children), children)

    def test_07_down(self):
        w = self.w
        spid = self.new_playlist("Down base", 80)
        base = w.create_base(self.srv, self.token, spid)
        children = [w.create_child(self.srv, self.token, base["id"], {
            "name": "Down genre", "filter": leaf("genre", "in", INDIE)})]
        w.emu.reset_request_log()
        w.mb.down("503")
        try:
            ev = w.sync(self.srv, self.token, base["id"])
            self.assertEqual(ev["status"], "failed")
            self.assertIn("MusicBrainz", ev["error_message"])
            self.assertGreater(ev["metadata_requests"]["musicbrainz"], 0)
            self.assertEqual(w.spotify_writes(), [], "a failed sync writes nothing")
            self.assertEqual(w.emu.playlist_uris(children[0]["spotify_playlist_id"]), [])
            status, _, body = self.api("POST", "/api/base-playlists/%s/preview" % base["id"])
            self.assertEqual(status, 502, body)
            self.assertEqual(body["error"]["code"], "metadata_unavailable")
            self.assertIn("MusicBrainz", body["error"]["message"])
            # every value the first base needs is known: it syncs without MusicBrainz
            first = self.state["base"]
            c = self.state["children"][1]
            status, _, body = self.api("PATCH", "/api/child-playlists/%s" % c["id"],
                                       {"filter": {"all": [leaf("genre", "in", INDIE[:3]),
                                                           leaf("release_year", "lt", 2000)]}})
            self.assertEqual(status, 200, body)
            ev = w.sync(self.srv, self.token, first["id"])
            self.assertEqual(ev["status"], "completed", ev["error_message"])
            self.assertEqual(ev["metadata_requests"], {"musicbrainz": 0})
            _, _, cs = self.api("GET", "/api/base-playlists/%s/child-playlists" % first["id"])
            w.check_contents(w.plan(self.state["spid"], cs["items"]), cs["items"])
        finally:
            w.mb.up()
        ev = w.sync(self.srv, self.token, base["id"])
        self.assertEqual(ev["status"], "completed", ev["error_message"])
        w.check_contents(w.plan(spid, children), children)

    def test_08_search_without_isrcs(self):
        w = self.w
        spid = self.new_playlist("Lookup base", 20)
        base = w.create_base(self.srv, self.token, spid)
        children = [w.create_child(self.srv, self.token, base["id"], {
            "name": "Lookup years", "filter": leaf("original_year", "lt", 2000)}),
            w.create_child(self.srv, self.token, base["id"], {
                "name": "Lookup genres", "filter": leaf("genre", "exists")})]
        w.mb.config(search_isrcs=False)
        w.mb.reset_counters()
        try:
            ev = w.sync(self.srv, self.token, base["id"])
        finally:
            w.mb.config(search_isrcs=True)
        self.assertEqual(ev["status"], "completed", ev["error_message"])
        lookups = w.mb.count("GET /ws/2/isrc/{id}")
        known = sum(1 for i in set(w.track_ids(spid)) if w.truth(i).get("known"))
        self.assertGreaterEqual(lookups, known)
        w.check_contents(w.plan(spid, children), children)


if __name__ == "__main__":
    unittest.main(verbosity=2)
