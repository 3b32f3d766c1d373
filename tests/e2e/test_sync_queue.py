"""The sync queue end to end (issues #11, #12.3, #14): the real server against the
Spotify emulator.

  worker cap    PLAYROUTER_SYNC_WORKERS=2, six syncs queued at once: all complete,
                never more than two run at once (the emulator's request log: the
                periods in which each base's playlists were being asked overlap at most
                twice, and twice at least), and the server's peak gauge says 2
  restart       one worker, three syncs queued, kill -9 while the first runs: after the
                restart the first is failed "interrupted by server restart", the two
                queued ones run and complete
  SIGTERM       one worker, a waiting POST whose sync runs and a waiting POST whose sync
                is queued: the first gets its completed event, the second 503 with its
                sync_event_id, the server exits 0; the queued sync runs after a restart
  starvation    16 workers, 18 slow syncs (1 s per Spotify request) on a pool of 12
                database connections: another user's GET /api/me answers 200 at once,
                and /readyz says ready
"""
import os
import shutil
import signal
import sys
import tempfile
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from harness import free_port, sign_in, SLOW  # noqa: E402
import emulator as EMU  # noqa: E402
from sync_helpers import (Db, api, event, make_bases, metric, start_server,  # noqa: E402
                          wait_event_end, wait_for)


class SyncQueueTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.emu = EMU.Emulator(mode="development", args=["--no-demo", "--seed", "5"]).start()

    @classmethod
    def tearDownClass(cls):
        assert cls.emu.stop() == 0

    def setUp(self):
        self.emu.reset()
        self.data_dir = tempfile.mkdtemp(prefix="playrouter-queue-")
        self.port = free_port()
        self.srv = None

    def tearDown(self):
        self.emu.reset()
        if self.srv and self.srv.proc:
            code = self.srv.stop()
            self.assertEqual(code, 0, self.srv.stderr()[-3000:])
        shutil.rmtree(self.data_dir, ignore_errors=True)

    def start(self, **env):
        self.srv = start_server(self.emu, self.data_dir, self.port, **env)
        return self.srv

    def post_sync(self, base, wait=False):
        path = "/api/base-playlists/%s/sync%s" % (base["id"], "" if wait else "?wait=false")
        status, _, ev = api(self.srv, self.token, "POST", path, timeout=120)
        if not wait:
            self.assertEqual(status, 202, ev)
            self.assertEqual((ev["status"], ev["trigger"], ev["progress"]["phase"]),
                             ("in_progress", "manual", "queued"))
        return status, ev

    def test_worker_cap(self):
        self.start(PLAYROUTER_SYNC_WORKERS=2)
        self.token = sign_in(self.srv, self.emu)["token"]
        bases = make_bases(self.srv, self.token, self.emu, 6, "cap")
        self.emu.reset_request_log()
        self.emu.latency(150)
        events = [self.post_sync(b)[1] for b in bases]
        ends = [wait_event_end(self.srv, self.token, ev["id"], 120) for ev in events]
        self.emu.latency(0)
        self.assertEqual([e["status"] for e in ends], ["completed"] * 6,
                         [e["error_message"] for e in ends])
        for b in bases:  # each child holds its base (the rule takes every track)
            self.assertEqual(self.emu.playlist_uris(b["child_spid"]),
                             self.emu.playlist_uris(b["spid"]))
        # When each base's playlists were asked: [first arrival, last answer].
        spans = []
        log = self.emu.request_log()
        for b in bases:
            mine = [r for r in log if b["spid"] in r["path"] or b["child_spid"] in r["path"]]
            self.assertTrue(mine, "no request for base %s" % b["id"])
            spans.append((min(r["t_ms"] for r in mine), max(r["end_ms"] for r in mine)))
        points = sorted([(s, 1) for s, _ in spans] + [(e, -1) for _, e in spans],
                        key=lambda p: (p[0], p[1]))
        depth = peak = 0
        for _, d in points:
            depth += d
            peak = max(peak, depth)
        self.assertEqual(peak, 2, spans)
        self.assertEqual(metric(self.srv, "playrouter_syncs_running_peak"), 2)

    def test_restart_fails_running_and_runs_queued(self):
        self.start(PLAYROUTER_SYNC_WORKERS=1)
        self.token = sign_in(self.srv, self.emu)["token"]
        bases = make_bases(self.srv, self.token, self.emu, 3, "restart")
        self.emu.latency(400)
        events = [self.post_sync(b)[1] for b in bases]
        wait_for(lambda: event(self.srv, self.token, events[0]["id"])["progress"]["phase"]
                 not in ("queued",), 30, "the first sync to run")
        # One worker: the other two are still queued.
        for ev in events[1:]:
            self.assertEqual(event(self.srv, self.token, ev["id"])["progress"]["phase"], "queued")
        self.srv.stop(sig=signal.SIGKILL)
        self.emu.latency(0)
        self.start(PLAYROUTER_SYNC_WORKERS=1)
        first = event(self.srv, self.token, events[0]["id"])
        self.assertEqual((first["status"], first["error_message"]),
                         ("failed", "interrupted by server restart"))
        for ev in events[1:]:
            end = wait_event_end(self.srv, self.token, ev["id"])
            self.assertEqual((end["status"], end["trigger"]), ("completed", "manual"),
                             end["error_message"])
        # The interrupted base syncs again and converges.
        status, ev = self.post_sync(bases[0], wait=True)
        self.assertEqual((status, ev["status"]), (200, "completed"), ev)
        self.assertEqual(self.emu.playlist_uris(bases[0]["child_spid"]),
                         self.emu.playlist_uris(bases[0]["spid"]))

    def test_sigterm_lets_running_finish_and_keeps_queued(self):
        self.start(PLAYROUTER_SYNC_WORKERS=1, PLAYROUTER_SHUTDOWN_GRACE=30)
        self.token = sign_in(self.srv, self.emu)["token"]
        bases = make_bases(self.srv, self.token, self.emu, 2, "term")
        self.emu.latency(300)
        out = {}
        t0 = threading.Thread(target=lambda: out.update(a=self.post_sync(bases[0], wait=True)))
        t0.start()
        def running(b):
            st = api(self.srv, self.token, "GET",
                     "/api/base-playlists/%s/sync-status" % b["id"])[2]
            return st["active"] and st["sync_event"]["progress"]["phase"] != "queued"
        wait_for(lambda: running(bases[0]), 10, "the first sync to run")
        t1 = threading.Thread(target=lambda: out.update(b=self.post_sync(bases[1], wait=True)))
        t1.start()
        second = wait_for(lambda: api(self.srv, self.token, "GET",
                                      "/api/base-playlists/%s/sync-status" % bases[1]["id"])[2]
                          ["sync_event"], 10, "the second sync to be queued")
        self.srv.proc.send_signal(signal.SIGTERM)
        t0.join(60 * SLOW)
        t1.join(60 * SLOW)
        self.emu.latency(0)
        status, ev = out["a"]
        self.assertEqual((status, ev["status"]), (200, "completed"), ev)
        status, err = out["b"]
        self.assertEqual(status, 503, err)
        self.assertEqual(err["error"]["code"], "unavailable")
        self.assertEqual(err["error"]["sync_event_id"], second["id"])
        self.assertEqual(self.srv.stop(), 0, self.srv.stderr()[-3000:])
        db = Db(self.data_dir)
        self.assertEqual(db.one("SELECT status || '/' || progress_phase FROM sync_events "
                                "WHERE id = ?", second["id"]), "in_progress/queued")
        self.start(PLAYROUTER_SYNC_WORKERS=1)
        end = wait_event_end(self.srv, self.token, second["id"])
        self.assertEqual(end["status"], "completed", end["error_message"])

    def test_slow_syncs_do_not_starve_other_requests(self):
        # 2 HTTP threads: a pool of 2 * 2 + 8 = 12 database connections, 16 workers.
        self.start(PLAYROUTER_SYNC_WORKERS=16, PLAYROUTER_THREADS=2)
        self.token = sign_in(self.srv, self.emu)["token"]
        other = sign_in(self.srv, self.emu, user="alice")["token"]
        bases = make_bases(self.srv, self.token, self.emu, 18, "slow", size=10)
        self.emu.latency(1000)
        waiting = []
        for i, b in enumerate(bases):
            if i % 2:
                self.post_sync(b)
            else:
                t = threading.Thread(target=self.post_sync, args=(b, True))
                t.start()
                waiting.append(t)
        wait_for(lambda: metric(self.srv, "playrouter_syncs_running") == 16, 30,
                 "16 syncs running")
        t0 = time.time()
        status, _, me = api(self.srv, other, "GET", "/api/me")
        took = time.time() - t0
        self.assertEqual(status, 200, me)
        self.assertEqual(me["spotify_user_id"], "alice")
        self.assertLess(took, 1.0 * SLOW, "GET /api/me took %.2f s" % took)
        status, _, ready = self.srv.request("GET", "/readyz")
        self.assertEqual(status, 200, ready)
        self.emu.latency(0)
        for t in waiting:
            t.join(120 * SLOW)
        for b in bases:
            st = wait_for(lambda: (lambda s: s if not s["active"] else None)(
                api(self.srv, self.token, "GET", "/api/base-playlists/%s/sync-status"
                    % b["id"])[2]), 120, "every sync to end")
            self.assertEqual(st["sync_event"]["status"], "completed",
                             st["sync_event"]["error_message"])


if __name__ == "__main__":
    unittest.main(verbosity=2)
