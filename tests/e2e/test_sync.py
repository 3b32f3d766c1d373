"""Sync mechanics end to end: the real server against the Spotify emulator.

One emulator (development mode) with a generated base of 120 entries (local files,
episodes and duplicates among them) and one server; the steps run in order and share
state. Expected contents are computed here, independently, from the emulator's admin
catalogue; request counts come from the emulator's counters.

  01 first sync: contents, counts, children edited in place
  02 a re-sync with nothing changed: one request, no write
  03 base edited: only the difference is written
  04 preview writes nothing; explain of a local file and of an unknown id
  05 restore puts back the contents before the last sync; the next sync converges
  06 ?wait=false -> 202, sync-status, protected operations 409, a second POST 409
  07 Idempotency-Key: a repeat while running is 409, then the same answer
  08 sync events: newest first, cursor
  09 Spotify 5xx during the writes: failed event with a clear message; re-sync converges
  10 kill -9 during a sync, restart on the same database: failed "interrupted by server
     restart"; the next sync converges
  11 SIGTERM during a waiting POST whose sync runs: the request gets its answer, the
     server exits 0
  12 the sweeper (timeout 10 s, sweep every second) fails a slow sync, which stops at
     its next step; the waiting POST answers the failed event
"""
import json
import os
import shutil
import signal
import sys
import tempfile
import threading
import time
import unittest
import urllib.parse

sys.path.insert(0, os.path.dirname(__file__))
from harness import Server, free_port, SLOW  # noqa: E402
import emulator as EMU  # noqa: E402
from sync_steps import base_track_ids  # noqa: E402

BASE_ENTRIES = 120
WRITES = ("POST", "PUT", "DELETE")


def sign_in(srv, emu):
    """The OAuth flow: /api/auth/login -> emulator /authorize -> /api/auth/callback."""
    status, headers, body = srv.request("GET", "/api/auth/login")
    assert status == 302, (status, body)
    u = urllib.parse.urlsplit(headers["location"])
    status, headers, body = emu.request("GET", u.path + "?" + u.query + "&user=demo")
    assert status == 302, (status, body)
    cb = urllib.parse.urlsplit(headers["location"])
    status, _, body = srv.request("GET", cb.path + "?" + cb.query)
    assert status == 200 and body.get("token"), (status, body)
    return body["token"]


class SyncTest(unittest.TestCase):
    state = {}

    @classmethod
    def setUpClass(cls):
        cls.t0 = time.time()
        cls.data_dir = tempfile.mkdtemp(prefix="playrouter-sync-")
        cls.emu = EMU.Emulator(mode="development", args=[
            "--playlist", "demo:Sync base:%d" % BASE_ENTRIES, "--seed", "11"]).start()
        cls.port = free_port()
        cls.srv = None
        try:
            cls.start_server()
            cls.token = sign_in(cls.srv, cls.emu)
        except BaseException:
            cls.tearDownClass()
            raise

    @classmethod
    def start_server(cls, **extra):
        env = {
            "PLAYROUTER_PORT": str(cls.port),
            "SPOTIFY_REDIRECT_URI": "http://127.0.0.1:%d/api/auth/callback" % cls.port,
            "SPOTIFY_CLIENT_ID": cls.emu.client_id,
            "SPOTIFY_CLIENT_SECRET": cls.emu.client_secret,
            "SPOTIFY_API_BASE": cls.emu.api_base,
            "SPOTIFY_ACCOUNTS_BASE": cls.emu.accounts_base,
            "SPOTIFY_API_MODE": "development",
            "PLAYROUTER_SPOTIFY_MAX_ATTEMPTS": "2",
        }
        env.update(extra)
        cls.srv = Server(data_dir=cls.data_dir, env=env).start()

    @classmethod
    def tearDownClass(cls):
        code = None
        if cls.srv and cls.srv.proc:
            code = cls.srv.stop()
        stderr = cls.srv.stderr() if cls.srv else ""
        ecode = cls.emu.stop() if cls.emu and cls.emu.proc else 0
        shutil.rmtree(cls.data_dir, ignore_errors=True)
        sys.stderr.write("[test_sync: %.1fs]\n" % (time.time() - cls.t0))
        assert code in (None, 0), "server exited with %s:\n%s" % (code, stderr[-4000:])
        assert ecode == 0, "emulator exited with %s" % ecode

    def setUp(self):
        failed = self.state.get("failed")
        if failed:
            self.skipTest("an earlier step failed: %s" % failed)
        self.emu.reset()

    def run(self, result=None):
        n = len(result.failures) + len(result.errors) if result else 0
        out = super().run(result)
        if result and len(result.failures) + len(result.errors) > n:
            self.state["failed"] = self.id()
        return out

    # ---- helpers ----

    def api(self, method, path, body=None, headers=None, timeout=60):
        return self.srv.request(method, path, body=body, headers=headers, token=self.token,
                                timeout=timeout)

    def sync(self, expect="completed", **kw):
        status, _, ev = self.api("POST", "/api/base-playlists/%s/sync" % self.state["base"], **kw)
        self.assertEqual(status, 200, ev)
        self.assertEqual(ev["status"], expect, ev.get("error_message"))
        sys.stderr.write("[%s: sync %s, %d Spotify request(s), %d write(s)] "
                         % (self._testMethodName, ev["status"], ev["total_api_requests"],
                            sum(self.writes().values())))
        return ev

    def writes(self):
        """Write requests the emulator answered since the last reset, by route."""
        return {r: sum(s.values()) for r, s in self.emu.counters().items()
                if r.split(" ")[0] in WRITES}

    def web_requests(self):
        return sum(sum(s.values()) for r, s in self.emu.counters().items()
                   if r.split(" ", 1)[1].startswith("/v1/"))

    def wait_idle(self, timeout=30):
        deadline = time.time() + timeout * SLOW
        while time.time() < deadline:
            _, _, st = self.api("GET", "/api/base-playlists/%s/sync-status" % self.state["base"])
            if not st["active"]:
                return st["sync_event"]
            time.sleep(0.05)
        self.fail("the sync did not end")

    def wait_active(self, timeout=10, running=False):
        """The active sync event; with running=True, once a worker has taken it (a sync
        is active from the moment it is queued)."""
        deadline = time.time() + timeout * SLOW
        while time.time() < deadline:
            _, _, st = self.api("GET", "/api/base-playlists/%s/sync-status" % self.state["base"])
            if st["active"] and (not running or st["sync_event"]["progress"]["phase"] != "queued"):
                return st["sync_event"]
            time.sleep(0.01)
        self.fail("no sync became active")

    def expected(self):
        """{child_id: [track ids]} and (processed, skipped), from the admin catalogue."""
        items = self.emu.playlist(self.state["base_spid"])["items"]
        order = base_track_ids(items)
        meta = {t["id"]: t for t in self.emu.tracks(order)}
        cut = self.state["duration_cut"]
        short = [t for t in order if meta[t]["duration_ms"] < cut]
        expl = [t for t in order if meta[t]["explicit"]]
        # stable: ties keep base order
        expl = sorted(expl, key=lambda t: -meta[t]["duration_ms"])[:self.state["limit"]]
        held = set(short) | set(expl)
        rest = [t for t in order if t not in held]
        c = self.state["children"]
        return {c[0]: short, c[1]: expl, c[2]: rest}, (len(items), len(items) - len(order))

    def contents(self):
        return {cid: [u.split(":")[2] for u in self.emu.playlist_uris(spid)]
                for cid, spid in self.state["child_spids"].items()}

    def check(self, ev):
        want, (processed, skipped) = self.expected()
        self.assertEqual(self.contents(), want)
        self.assertEqual((ev["tracks_processed"], ev["tracks_skipped"]), (processed, skipped))
        per = {c["child_playlist_id"]: c["matched"] for c in ev["children"]}
        self.assertEqual(per, {cid: len(ids) for cid, ids in want.items()})
        return want

    # ---- steps ----

    def test_01_first_sync(self):
        base_spid = self.emu.playlist_id("demo", "Sync base")
        status, _, base = self.api("POST", "/api/base-playlists",
                                   {"spotify_playlist_id": base_spid})
        self.assertEqual(status, 201, base)
        self.state.update(base=base["id"], base_spid=base_spid)
        durations = sorted(t["duration_ms"] for t in self.emu.tracks(
            [u.split(":")[2] for u in self.emu.playlist_uris(base_spid)
             if u.startswith("spotify:track:")]))
        self.state["duration_cut"] = durations[len(durations) // 2]
        self.state["limit"] = 10
        specs = [
            {"name": "Short", "filter": {"field": "duration_ms", "op": "lt",
                                         "value": self.state["duration_cut"]}},
            {"name": "Explicit", "filter": {"field": "explicit", "op": "eq", "value": True},
             "sort": {"by": "duration_ms", "order": "desc"}, "limit": 10},
            {"name": "Rest", "filter": {"all": []}, "catch_all": True},
        ]
        ids, spids = [], {}
        for spec in specs:
            status, _, child = self.api("POST", "/api/base-playlists/%s/child-playlists"
                                        % base["id"], spec)
            self.assertEqual(status, 201, child)
            ids.append(child["id"])
            spids[child["id"]] = child["spotify_playlist_id"]
        self.state.update(children=ids, child_spids=spids)
        before = {p["id"]: p["snapshot_id"] for p in self.emu.playlists("demo")}

        self.emu.reset()
        ev = self.sync()
        want = self.check(ev)
        for c in ev["children"]:
            self.assertEqual((c["added"], c["removed"]), (c["matched"], 0))
        self.assertEqual(ev["child_playlist_ids"], ids)
        self.assertEqual(ev["progress"]["phase"], "done")
        self.assertIsNone(ev["error_message"])
        self.assertEqual(ev["total_api_requests"], self.web_requests())
        # Edited in place: no playlist created or deleted, the children keep theirs.
        self.assertEqual({p["id"] for p in self.emu.playlists("demo")}, set(before))
        for cid, spid in spids.items():
            _, _, c = self.api("GET", "/api/child-playlists/%s" % cid)
            self.assertEqual(c["spotify_playlist_id"], spid)
        log = self.emu.request_log()
        self.assertFalse([r for r in log if r["method"] in WRITES and base_spid in r["path"]])
        self.assertTrue(all(len(v) > 0 for v in want.values()))
        status, _, bp = self.api("GET", "/api/base-playlists/%s" % base["id"])
        self.assertIsNotNone(bp["last_synced_at"])
        self.assertEqual(bp["version"], base["version"])  # a sync is not an API change

    def test_02_resync_nothing_changed(self):
        ev = self.sync()
        self.assertEqual(self.writes(), {})
        self.assertLessEqual(ev["total_api_requests"], 2)
        self.assertLessEqual(self.web_requests(), 2)
        for c in ev["children"]:
            self.assertEqual((c["added"], c["removed"]), (0, 0))
        self.check(ev)

    def test_03_base_edited_writes_only_the_difference(self):
        spid = self.state["base_spid"]
        uris = self.emu.playlist_uris(spid)
        tracks = [u for u in uris if u.startswith("spotify:track:")]
        in_base = set(tracks)
        spare = [t["id"] for t in self.emu.tracks()
                 if "spotify:track:" + t["id"] not in in_base][:2]
        self.state["before_03"] = self.contents()
        self.emu.remove_items(spid, uris=tracks[:2])
        self.emu.add_items(spid, ["spotify:track:" + t for t in spare])
        before = self.contents()
        self.emu.reset()
        ev = self.sync()
        want = self.check(ev)
        writes = self.writes()
        changed = [cid for cid in want if want[cid] != before[cid]]
        self.assertTrue(changed)
        self.assertLessEqual(sum(writes.values()), 2 * len(changed), writes)
        per = {c["child_playlist_id"]: c for c in ev["children"]}
        for cid in want:
            add = set(want[cid]) - set(before[cid])
            rem = set(before[cid]) - set(want[cid])
            self.assertEqual((per[cid]["added"], per[cid]["removed"]), (len(add), len(rem)))
        self.state["changed_03"] = changed

    def test_04_preview_writes_nothing(self):
        base = self.state["base"]
        status, _, p = self.api("POST", "/api/base-playlists/%s/preview" % base)
        self.assertEqual(status, 200, p)
        want, _ = self.expected()
        self.assertEqual({c["child_playlist_id"]: c["track_ids"] for c in p["children"]}, want)
        self.assertTrue(all(c["add"] == [] and c["remove"] == [] for c in p["children"]))
        self.assertEqual(self.writes(), {})
        items = self.emu.playlist(self.state["base_spid"])["items"]
        local = next(it["uri"] for it in items if it.get("is_local"))
        status, _, p = self.api("POST", "/api/base-playlists/%s/preview?explain=%s"
                                % (base, urllib.parse.quote(local)))
        self.assertEqual(status, 200, p)
        self.assertEqual({c["explain"]["reason"] for c in p["children"]}, {"skipped_local"})
        status, _, p = self.api("POST", "/api/base-playlists/%s/preview?explain=0000000000000000000000"
                                % base)
        self.assertEqual(status, 200, p)
        for c in p["children"]:
            self.assertEqual(c["explain"], {"matched": False, "reason": "not_in_base"})

    def test_05_restore(self):
        cid = self.state["changed_03"][0]
        spid = self.state["child_spids"][cid]
        status, _, r = self.api("POST", "/api/child-playlists/%s/restore" % cid)
        self.assertEqual(status, 200, r)
        self.assertEqual(self.contents()[cid], self.state["before_03"][cid])
        self.assertEqual(r["track_ids"], self.state["before_03"][cid])
        # Restoring again puts back the same contents (no toggling).
        status, _, r = self.api("POST", "/api/child-playlists/%s/restore" % cid)
        self.assertEqual(status, 200, r)
        self.assertEqual(self.contents()[cid], self.state["before_03"][cid])
        self.emu.reset()
        ev = self.sync()
        self.check(ev)
        log = self.emu.request_log()
        self.assertTrue([r for r in log if r["method"] in WRITES and spid in r["path"]])
        per = {c["child_playlist_id"]: c for c in ev["children"]}
        self.assertGreater(per[cid]["added"] + per[cid]["removed"], 0)

    def test_06_wait_false_lock_and_conflicts(self):
        base = self.state["base"]
        self.emu.latency(400)
        self.emu.remove_items(self.state["base_spid"], positions=[0])  # the base must be read
        status, headers, ev = self.api("POST", "/api/base-playlists/%s/sync?wait=false" % base)
        self.assertEqual(status, 202, ev)
        self.assertEqual(ev["status"], "in_progress")
        self.assertTrue(headers.get("location", "").endswith(ev["id"]))
        status, _, st = self.api("GET", "/api/base-playlists/%s/sync-status" % base)
        self.assertEqual(status, 200)
        self.assertTrue(st["active"])
        self.assertEqual(st["sync_event"]["id"], ev["id"])
        # While it runs: a second sync and every protected operation answer 409.
        child = self.state["children"][0]
        attempts = [
            ("POST", "/api/base-playlists/%s/sync" % base, None),
            ("PATCH", "/api/base-playlists/%s" % base, {"name": "renamed"}),
            ("DELETE", "/api/base-playlists/%s" % base, None),
            ("POST", "/api/base-playlists/%s/child-playlists" % base,
             {"name": "x", "filter": {"all": []}}),
            ("PUT", "/api/base-playlists/%s/child-playlists" % base, {"items": []}),
            ("PATCH", "/api/child-playlists/%s" % child, {"name": "renamed"}),
            ("DELETE", "/api/child-playlists/%s" % child, None),
            ("POST", "/api/child-playlists/%s/restore" % child, None),
        ]
        for method, path, body in attempts:
            status, _, err = self.api(method, path, body)
            self.assertEqual(status, 409, "%s %s: %s" % (method, path, err))
            self.assertEqual(err["error"]["code"], "sync_in_progress")
            self.assertEqual(err["error"]["sync_event_id"], ev["id"])
        # Reads still work during the sync.
        status, _, got = self.api("GET", "/api/sync-events/%s" % ev["id"])
        self.assertEqual((status, got["status"]), (200, "in_progress"))
        self.assertIn(got["progress"]["phase"], ("queued", "check", "read_base", "evaluate",
                                                 "write_children", "finish"))
        end = self.wait_idle()
        self.emu.latency(0)
        self.assertEqual(end["id"], ev["id"])
        self.assertEqual(end["status"], "completed", end["error_message"])
        self.check(end)
        # Two POSTs at once: one runs, the other is refused with the running event.
        self.emu.latency(300)
        self.emu.remove_items(self.state["base_spid"], positions=[0])
        results = []

        def post():
            results.append(self.api("POST", "/api/base-playlists/%s/sync" % base))
        threads = [threading.Thread(target=post) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        self.emu.latency(0)
        statuses = sorted(r[0] for r in results)
        self.assertEqual(statuses, [200, 409], [r[2] for r in results])
        ok = next(r[2] for r in results if r[0] == 200)
        refused = next(r[2] for r in results if r[0] == 409)
        self.assertEqual(refused["error"]["sync_event_id"], ok["id"])
        self.check(ok)

    def test_07_idempotency_key(self):
        base = self.state["base"]
        key = {"Idempotency-Key": "sync-test-key-1"}
        self.emu.latency(300)
        self.emu.remove_items(self.state["base_spid"], positions=[0])
        first = {}
        t = threading.Thread(target=lambda: first.update(r=self.api(
            "POST", "/api/base-playlists/%s/sync" % base, headers=key)))
        t.start()
        active = self.wait_active()
        status, _, err = self.api("POST", "/api/base-playlists/%s/sync" % base, headers=key)
        self.assertEqual(status, 409, err)
        self.assertEqual(err["error"]["sync_event_id"], active["id"])
        t.join()
        self.emu.latency(0)
        status, _, body = first["r"]
        self.assertEqual(status, 200, body)
        self.assertEqual(body["id"], active["id"])
        status, headers, again = self.api("POST", "/api/base-playlists/%s/sync" % base,
                                          headers=key)
        self.assertEqual((status, again), (200, body))
        self.assertEqual(headers.get("idempotent-replayed"), "true")
        _, _, events = self.api("GET", "/api/base-playlists/%s/sync-events?limit=100" % base)
        self.assertEqual(sum(1 for e in events["items"] if e["id"] == body["id"]), 1)
        self.assertEqual(events["items"][0]["id"], body["id"])  # no second sync started

    def test_08_sync_events_newest_first_with_cursor(self):
        base = self.state["base"]
        _, _, everything = self.api("GET", "/api/base-playlists/%s/sync-events?limit=100" % base)
        all_ids = [e["id"] for e in everything["items"]]
        self.assertGreaterEqual(len(all_ids), 6)
        self.assertIsNone(everything["next_cursor"])
        started = [e["started_at"] for e in everything["items"]]
        self.assertEqual(started, sorted(started, reverse=True))
        paged, cursor = [], None
        while True:
            q = "limit=2" + ("&cursor=" + urllib.parse.quote(cursor) if cursor else "")
            status, _, page = self.api("GET", "/api/base-playlists/%s/sync-events?%s" % (base, q))
            self.assertEqual(status, 200, page)
            self.assertLessEqual(len(page["items"]), 2)
            paged += [e["id"] for e in page["items"]]
            cursor = page["next_cursor"]
            if not cursor:
                break
        self.assertEqual(paged, all_ids)
        status, _, err = self.api("GET", "/api/base-playlists/%s/sync-events?cursor=zz" % base)
        self.assertEqual((status, err["error"]["code"]), (400, "validation_failed"))
        status, _, err = self.api("GET", "/api/base-playlists/nope/sync-events")
        self.assertEqual(status, 404)
        status, _, m = self.srv.request("GET", "/metrics")
        self.assertIn("playrouter_sync_duration_seconds", m)
        self.assertIn("playrouter_spotify_requests_total", m)

    def test_09_spotify_5xx_during_writes(self):
        child = self.state["children"][1]
        status, _, c = self.api("PATCH", "/api/child-playlists/%s" % child, {"limit": 5})
        self.assertEqual(status, 200, c)
        self.state["limit"] = 5
        for method in WRITES:  # reads still work: the failure is in the writes
            self.emu.fail(method, path_pattern="/v1/playlists/*/items", status=503, count=-1)
        ev = self.sync(expect="failed")
        # the failure names the child and its Spotify playlist (issue 16)
        child_spid = self.api("GET", "/api/child-playlists/%s" % child)[2]["spotify_playlist_id"]
        self.assertIn("writing child playlist 'Explicit' (Spotify playlist %s)" % child_spid,
                      ev["error_message"])
        self.assertIn("503", ev["error_message"])
        self.assertIsNotNone(ev["completed_at"])
        self.emu.clear_faults()
        ev = self.sync()
        self.check(ev)
        # a base whose Spotify playlist cannot be read: the failure names it and the base
        spid = self.state["base_spid"]
        self.emu.remove_items(spid, positions=[0])  # a new snapshot: the base is read
        self.emu.fail("GET", path_prefix="/v1/playlists/%s" % spid, status=404, count=-1)
        ev = self.sync(expect="failed")
        self.assertIn("reading Spotify playlist %s of base playlist 'Sync base'" % spid,
                      ev["error_message"])
        self.assertIn("not found", ev["error_message"])
        self.emu.clear_faults()
        ev = self.sync()
        self.check(ev)

    def test_10_kill9_during_sync_then_restart(self):
        base = self.state["base"]
        self.emu.latency(500)
        self.emu.remove_items(self.state["base_spid"], positions=[0])
        status, _, ev = self.api("POST", "/api/base-playlists/%s/sync?wait=false" % base)
        self.assertEqual(status, 202, ev)
        time.sleep(0.3)
        self.srv.stop(sig=signal.SIGKILL)
        self.emu.latency(0)
        self.start_server()
        status, _, got = self.api("GET", "/api/sync-events/%s" % ev["id"])
        self.assertEqual(status, 200, got)
        self.assertEqual(got["status"], "failed")
        self.assertEqual(got["error_message"], "interrupted by server restart")
        ev = self.sync()
        self.check(ev)

    def test_11_sigterm_during_waiting_sync(self):
        base = self.state["base"]
        self.emu.latency(400)
        self.emu.remove_items(self.state["base_spid"], positions=[0])
        out = {}
        t = threading.Thread(target=lambda: out.update(r=self.api(
            "POST", "/api/base-playlists/%s/sync" % base)))
        t.start()
        self.wait_active(running=True)  # a queued one would stay queued (test_sync_queue.py)
        self.srv.proc.send_signal(signal.SIGTERM)
        t.join(60 * SLOW)
        self.emu.latency(0)
        status, _, ev = out["r"]
        self.assertEqual(status, 200, ev)
        self.assertIn(ev["status"], ("completed", "failed"))
        if ev["status"] == "failed":
            self.assertEqual(ev["error_message"], "interrupted by server shutdown")
        self.assertEqual(self.srv.stop(), 0, self.srv.stderr()[-3000:])

    def test_12_sweeper_fails_a_stale_sync(self):
        self.start_server(PLAYROUTER_SYNC_TIMEOUT="10", PLAYROUTER_SYNC_SWEEP_INTERVAL="1")
        self.emu.latency(3000)
        self.emu.remove_items(self.state["base_spid"], positions=[0])
        t0 = time.time()
        ev = self.sync(expect="failed", timeout=120)
        self.emu.latency(0)
        self.assertEqual(ev["error_message"], "timed out after 10 seconds")
        self.assertLess(time.time() - t0, 60 * SLOW)
        ev = self.sync()
        self.check(ev)
        self.assertEqual(self.srv.stop(), 0, self.srv.stderr()[-3000:])


if __name__ == "__main__":
    unittest.main(verbosity=2)
