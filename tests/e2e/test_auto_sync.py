"""Auto-sync end to end (issue #14): the real server (scheduler tick 1 s) against the
Spotify emulator. Five bases of one user, one child each, synced once by hand, then
auto_sync_minutes set. "Time passing" is the test moving a base's last check back in the
database (auto_sync_state), so no test waits minutes; every wait is on a condition
(a row that moves, an event that appears, scheduler passes counted by /metrics).
Spotify request counts come from the emulator's counters.

  01 five unchanged bases due at once: ONE Spotify request (GET /me/playlists), no sync
  02 the base edited on Spotify: an auto sync (trigger "auto") makes the child right;
     the check cost one request beside the sync's own
  03 a child's rule changed: an auto sync, and the check asked Spotify nothing
  04 the change hook (the user's change counter, bumped by tags/metadata code): an auto
     sync that re-reads the base, the check asked Spotify nothing
  05 failed auto syncs back off 1, 2, 3, 3 minutes (interval 3), nothing runs before the
     retry time, a success ends the back-off
  06 a Spotify 429 (Retry-After 120) pauses the user's auto-syncs for 120 s
  07 a user who must sign in again is skipped (no request at all) until they do
  08 a Liked Songs base: unchanged costs its first page + the children's listing (2
     requests, API.md), no sync; a new save queues an auto sync that makes the child right
"""
import os
import shutil
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from harness import free_port, sign_in  # noqa: E402
import emulator as EMU  # noqa: E402
from sync_helpers import (Db, api, make_bases, metric, start_server, wait_event_end,  # noqa: E402
                          wait_for)


class AutoSyncTest(unittest.TestCase):
    state = {}

    @classmethod
    def setUpClass(cls):
        cls.data_dir = tempfile.mkdtemp(prefix="playrouter-auto-")
        cls.emu = EMU.Emulator(mode="development", args=["--no-demo", "--seed", "9"]).start()
        cls.srv = None
        try:
            cls.srv = start_server(cls.emu, cls.data_dir, free_port(),
                                   PLAYROUTER_AUTO_SYNC_TICK=1, PLAYROUTER_RETRY_AFTER_CAP=5)
            cls.token = sign_in(cls.srv, cls.emu)["token"]
            cls.db = Db(cls.data_dir)
            cls.bases = make_bases(cls.srv, cls.token, cls.emu, 5, "auto", size=30)
            for b in cls.bases:
                status, _, ev = api(cls.srv, cls.token, "POST",
                                    "/api/base-playlists/%s/sync" % b["id"])
                assert status == 200 and ev["status"] == "completed", ev
                status, _, _ = api(cls.srv, cls.token, "PATCH",
                                   "/api/base-playlists/" + b["id"], {"auto_sync_minutes": 3})
                assert status == 200
            cls.user_id = cls.db.one("SELECT id FROM users WHERE spotify_user_id = 'demo'")
        except BaseException:
            cls.tearDownClass()
            raise

    @classmethod
    def tearDownClass(cls):
        code = cls.srv.stop() if cls.srv and cls.srv.proc else 0
        stderr = cls.srv.stderr() if cls.srv else ""
        ecode = cls.emu.stop()
        shutil.rmtree(cls.data_dir, ignore_errors=True)
        assert code == 0, "server exited with %s:\n%s" % (code, stderr[-3000:])
        assert ecode == 0

    def setUp(self):
        if self.state.get("failed"):
            self.skipTest("an earlier step failed: %s" % self.state["failed"])
        self.emu.reset()

    def run(self, result=None):
        n = len(result.failures) + len(result.errors) if result else 0
        out = super().run(result)
        if result and len(result.failures) + len(result.errors) > n:
            self.state["failed"] = self.id()
        return out

    # ---- helpers ----

    def last_check(self, b):
        return self.db.one("SELECT last_check_at FROM auto_sync_state WHERE base_playlist_id = ?",
                           b["id"]) or 0

    def make_due(self, *bases):
        """As if the interval had passed since the last check: one statement for all."""
        ids = [b["id"] for b in bases]
        self.db.run("UPDATE auto_sync_state SET last_check_at = last_check_at - 3 * 60 "
                    "WHERE base_playlist_id IN (%s)" % ",".join("?" * len(ids)), *ids)

    def passes(self, n):
        """Waits until the scheduler has made n more passes."""
        start = metric(self.srv, "playrouter_auto_sync_passes_total")
        wait_for(lambda: metric(self.srv, "playrouter_auto_sync_passes_total") >= start + n,
                 30, "%d scheduler passes" % n)

    def events(self, b):
        return api(self.srv, self.token, "GET",
                   "/api/base-playlists/%s/sync-events?limit=100" % b["id"])[2]["items"]

    def wait_auto_event(self, b, count_before):
        """The newest event of base b once there are more than count_before, ended."""
        wait_for(lambda: len(self.events(b)) > count_before, 30, "an auto sync of the base")
        ev = self.events(b)[0]
        self.assertEqual(ev["trigger"], "auto")
        return wait_event_end(self.srv, self.token, ev["id"])

    def web_requests(self):
        return sum(sum(s.values()) for r, s in self.emu.counters().items()
                   if r.split(" ", 1)[1].startswith("/v1/"))

    def spotify_requests(self):
        """Every request the emulator answered: Web API and accounts service."""
        return sum(sum(s.values()) for s in self.emu.counters().values())

    # ---- steps ----

    def test_01_unchanged_bases_cost_one_request(self):
        before = {b["id"]: self.last_check(b) for b in self.bases}
        self.assertTrue(all(before.values()), before)
        self.make_due(*self.bases)
        wait_for(lambda: all(self.last_check(b) > before[b["id"]] - 180 for b in self.bases),
                 30, "the check of the five bases")
        self.passes(2)
        self.assertEqual(self.emu.counters(), {"GET /v1/me/playlists": {"200": 1}})
        for b in self.bases:
            self.assertEqual(len(self.events(b)), 1, "no auto sync of an unchanged base")

    def test_02_base_edited_on_spotify(self):
        b = self.bases[0]
        n = len(self.events(b))
        self.emu.remove_items(b["spid"], positions=[0, 1])
        self.make_due(b)
        ev = self.wait_auto_event(b, n)
        self.assertEqual(ev["status"], "completed", ev["error_message"])
        self.assertEqual(self.emu.playlist_uris(b["child_spid"]), self.emu.playlist_uris(b["spid"]))
        self.assertEqual(ev["children"][0]["removed"], 2)
        self.assertEqual(self.web_requests(), ev["total_api_requests"] + 1)

    def test_03_child_rule_changed(self):
        b = self.bases[1]
        n = len(self.events(b))
        status, _, _ = api(self.srv, self.token, "PATCH", "/api/child-playlists/" + b["child"],
                           {"filter": {"field": "explicit", "op": "eq", "value": False}})
        self.assertEqual(status, 200)
        self.make_due(b)
        ev = self.wait_auto_event(b, n)
        self.assertEqual(ev["status"], "completed", ev["error_message"])
        tracks = {t["id"]: t for t in self.emu.tracks(
            [u.split(":")[2] for u in self.emu.playlist_uris(b["spid"])])}
        want = [u for u in self.emu.playlist_uris(b["spid"])
                if not tracks[u.split(":")[2]]["explicit"]]
        self.assertEqual(self.emu.playlist_uris(b["child_spid"]), want)
        self.assertEqual(self.web_requests(), ev["total_api_requests"])

    def test_04_change_hook(self):
        b = self.bases[2]
        n = len(self.events(b))
        # What tags or metadata code does: sync_scheduler_note_change(db, user_id).
        self.db.run("INSERT INTO user_sync_state (user_id, change_seq) VALUES (?, 1) "
                    "ON CONFLICT (user_id) DO UPDATE SET change_seq = change_seq + 1",
                    self.user_id)
        self.make_due(b)
        ev = self.wait_auto_event(b, n)
        self.assertEqual(ev["status"], "completed", ev["error_message"])
        self.assertEqual(ev["tracks_processed"], 30)  # the base was read again
        self.assertEqual(self.web_requests(), ev["total_api_requests"])

    def backoff_row(self, b):
        return self.db.one("SELECT failures, retry_at - last_check_at FROM auto_sync_state "
                           "WHERE base_playlist_id = ?", b["id"])

    def test_05_failed_auto_syncs_back_off(self):
        b = self.bases[3]
        self.emu.remove_items(b["spid"], positions=[0])
        self.emu.fail(method="*", path_pattern="/v1/playlists/%s/items" % b["child_spid"],
                      status=500, count=-1)
        n = len(self.events(b))
        self.make_due(b)
        for k, delay in enumerate([60, 120, 180, 180]):
            ev = self.wait_auto_event(b, n)
            self.assertEqual(ev["status"], "failed")
            # The worker records the failure just after the event ends.
            wait_for(lambda: self.backoff_row(b)[0] == k + 1, 10, "failure %d recorded" % (k + 1))
            self.assertEqual(self.backoff_row(b), (k + 1, delay))
            # Before the retry time nothing runs: three passes, no new event.
            n = len(self.events(b))
            self.passes(3)
            self.assertEqual(len(self.events(b)), n)
            if k == 3:
                self.emu.clear_faults()
            # As if the back-off had passed.
            self.db.run("UPDATE auto_sync_state SET retry_at = retry_at - ? "
                        "WHERE base_playlist_id = ?", delay, b["id"])
        ev = self.wait_auto_event(b, n)
        self.assertEqual(ev["status"], "completed", ev["error_message"])
        wait_for(lambda: self.backoff_row(b)[0] == 0, 10, "the back-off to end")
        self.assertEqual(self.emu.playlist_uris(b["child_spid"]), self.emu.playlist_uris(b["spid"]))

    def test_06_rate_limited_user_is_paused(self):
        b = self.bases[4]
        # Step 04 moved the user's change counter: every base of the user is to be
        # re-evaluated. A manual sync does that for this one, so only Spotify can tell.
        status, _, ev = api(self.srv, self.token, "POST", "/api/base-playlists/%s/sync" % b["id"])
        self.assertEqual((status, ev["status"]), (200, "completed"), ev)
        self.emu.reset()
        self.emu.fail(method="GET", path_prefix="/v1/me/playlists", status=429, retry_after=120,
                      count=1)
        self.make_due(b)
        until = wait_for(lambda: self.db.one(
            "SELECT paused_until FROM user_sync_state WHERE user_id = ?", self.user_id), 30,
            "the user to be paused")
        self.assertLessEqual(abs(until - time.time() - 120), 3)
        self.emu.reset()
        self.make_due(b)
        self.passes(3)
        self.assertEqual(self.spotify_requests(), 0)
        # As if the Retry-After had passed.
        self.db.run("UPDATE user_sync_state SET paused_until = 0")
        before = self.last_check(b)
        wait_for(lambda: self.last_check(b) > before, 30, "the check after the pause")
        self.assertEqual(self.emu.counters(), {"GET /v1/me/playlists": {"200": 1}})

    def test_07_user_who_must_sign_in_again_is_skipped(self):
        b = self.bases[4]
        self.emu.expire_refresh_tokens("demo")
        self.emu.expire_access_tokens()
        self.make_due(b)
        wait_for(lambda: self.db.one("SELECT needs_reauth FROM users WHERE id = ?",
                                     self.user_id) == 1, 30, "needs_reauth")
        self.emu.reset()
        self.make_due(b)
        self.passes(3)
        self.assertEqual(self.spotify_requests(), 0)
        before = self.last_check(b)
        self.__class__.token = sign_in(self.srv, self.emu)["token"]
        wait_for(lambda: self.last_check(b) > before, 30, "the check after signing in again")
        # The sign-in's own GET /me, then the check.
        self.assertEqual(self.emu.count("GET /v1/me/playlists"), 1)
        self.assertEqual(self.web_requests(), 2)


class LikedAutoSyncTest(unittest.TestCase):
    """Step 08 on a server of its own (a fresh user state)."""

    def test_08_liked_songs_base(self):
        data_dir = tempfile.mkdtemp(prefix="playrouter-auto-liked-")
        emu = EMU.Emulator(mode="development", args=["--no-demo", "--seed", "9"]).start()
        srv = None
        try:
            srv = start_server(emu, data_dir, free_port(), PLAYROUTER_AUTO_SYNC_TICK=1)
            token = sign_in(srv, emu)["token"]
            db = Db(data_dir)
            emu.set_liked("demo", size=30)
            status, _, base = api(srv, token, "POST", "/api/base-playlists",
                                  {"source": "liked", "auto_sync_minutes": 3})
            self.assertEqual(status, 201, base)
            status, _, child = api(srv, token, "POST",
                                   "/api/base-playlists/%s/child-playlists" % base["id"],
                                   {"name": "all of them", "filter": {"all": []}})
            self.assertEqual(status, 201, child)
            status, _, ev = api(srv, token, "POST", "/api/base-playlists/%s/sync" % base["id"])
            self.assertEqual((status, ev["status"]), (200, "completed"), ev)
            liked_uris = lambda: [t["uri"] for t in emu.liked("demo")]
            self.assertEqual(emu.playlist_uris(child["spotify_playlist_id"]), liked_uris())

            def due():
                db.run("UPDATE auto_sync_state SET last_check_at = last_check_at - 3 * 60 "
                       "WHERE base_playlist_id = ?", base["id"])

            def checked_after(t):
                return (db.one("SELECT last_check_at FROM auto_sync_state "
                               "WHERE base_playlist_id = ?", base["id"]) or 0) > t

            wait_for(lambda: checked_after(0), 30, "the base's auto-sync row")
            t0 = db.one("SELECT last_check_at FROM auto_sync_state WHERE base_playlist_id = ?",
                        base["id"])
            emu.reset()
            due()
            wait_for(lambda: checked_after(t0 - 180), 30, "the check of the Liked Songs base")
            # page one, and one request for the child's snapshot (GET /me/playlists, or
            # GET /playlists/{id} when that is as cheap for a single child)
            counters = emu.counters()
            self.assertEqual(counters.pop("GET /v1/me/tracks"), {"200": 1})
            self.assertEqual(sum(sum(v.values()) for v in counters.values()), 1, counters)
            events = lambda: api(srv, token, "GET",
                                 "/api/base-playlists/%s/sync-events" % base["id"])[2]["items"]
            self.assertEqual(len(events()), 1, "no auto sync of an unchanged base")

            # a new save lands on page one: an auto sync follows
            new_track = next(t["id"] for t in emu.tracks()
                             if t["uri"] not in set(liked_uris()))
            emu.save_liked("demo", new_track)
            due()
            wait_for(lambda: len(events()) == 2, 30, "an auto sync of the changed base")
            ev = wait_event_end(srv, token, events()[0]["id"])
            self.assertEqual((ev["trigger"], ev["status"]), ("auto", "completed"), ev)
            self.assertEqual(emu.playlist_uris(child["spotify_playlist_id"]), liked_uris())
            self.assertEqual(ev["children"][0]["added"], 1)
        finally:
            code = srv.stop() if srv and srv.proc else 0
            self.assertEqual(emu.stop(), 0)
            shutil.rmtree(data_dir, ignore_errors=True)
            self.assertEqual(code, 0)


if __name__ == "__main__":
    unittest.main(verbosity=2)
