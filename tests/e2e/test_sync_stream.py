"""GET /api/sync-events/{id}/stream (Server-Sent Events) end to end.

One emulator (development mode, a base of 120 entries, 3 children) and one server with
a heartbeat of 1 s (PLAYROUTER_SSE_HEARTBEAT) and a shutdown grace of 8 s; the steps
share state and run in order.

  01 a sync's stream: text/event-stream; `progress` at once and then on changes (status
     or progress differ from the previous one, phases never go back), at most ~10 a
     second; one `done` last, byte for byte GET /api/sync-events/{id}; then the end
  02 a finished event: `done` at once, then the end
  03 another user's event, an unknown one: 404; no token: 401
  04 200 open streams on a sync waiting on Spotify: the server's thread count does not
     move (/proc/PID/status Threads); heartbeats arrive; a quarter of the clients leave;
     every stream left gets the same `done`
  05 SIGTERM with open streams: every stream ends at once and the server exits 0 well
     within its grace (no "still running" warning)
"""
import json
import os
import signal
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from harness import sign_in, SLOW  # noqa: E402
from sse_client import SSEStream  # noqa: E402
from sync_steps import SyncSteps  # noqa: E402

PHASES = ["queued", "check", "read_base", "metadata", "musicbrainz", "evaluate",
          "read_children", "write_children", "finish", "done"]
GRACE = 8
N_STREAMS = int(os.environ.get("SSE_TEST_STREAMS", "200"))


def proc_status(pid, key):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    raise KeyError(key)


class StreamTest(SyncSteps):
    ARGS = ["--playlist", "demo:Stream base:120", "--seed", "21"]
    ENV = {"PLAYROUTER_SSE_HEARTBEAT": "1", "PLAYROUTER_SHUTDOWN_GRACE": str(GRACE),
           "PLAYROUTER_SPOTIFY_TIMEOUT_MS": "60000"}

    def stream(self, event_id, token=None):
        return SSEStream(self.srv.port, "/api/sync-events/%s/stream" % event_id,
                         token or self.token, timeout=30 * SLOW)

    def start_sync(self):
        status, _, ev = self.api("POST", "/api/base-playlists/%s/sync?wait=false"
                                 % self.state["base"])
        self.assertEqual(status, 202, ev)
        return ev["id"]

    def raw_event(self, event_id):
        """GET /api/sync-events/{id}, the body as the server sent it."""
        status, headers, body = self.api("GET", "/api/sync-events/%s" % event_id)
        self.assertEqual(status, 200, body)
        return json.dumps(body, separators=(",", ":"), ensure_ascii=False)

    def assert_done_is_get(self, data, event_id):
        """`done` carries exactly what GET /api/sync-events/{id} answers."""
        self.assertEqual(json.loads(data), json.loads(self.raw_event(event_id)))
        conn_status, _, raw = self.srv.request("GET", "/api/sync-events/%s" % event_id,
                                               token=self.token, headers={"Accept": "*/*"})
        self.assertEqual(conn_status, 200)
        self.assertEqual(json.loads(data), raw)

    def test_00_setup(self):
        spid = self.emu.playlist_id("demo", "Stream base")
        status, _, base = self.api("POST", "/api/base-playlists", {"spotify_playlist_id": spid})
        self.assertEqual(status, 201, base)
        self.state.update(base=base["id"], base_spid=spid)
        for spec in ({"name": "Short", "filter": {"field": "duration_ms", "op": "lt",
                                                  "value": 200000}},
                     {"name": "Explicit", "filter": {"field": "explicit", "op": "eq",
                                                     "value": True}},
                     {"name": "Early", "filter": {"field": "track_number", "op": "lte",
                                                  "value": 2}}):
            status, _, child = self.api("POST", "/api/base-playlists/%s/child-playlists"
                                        % base["id"], spec)
            self.assertEqual(status, 201, child)
        status, _, ev = self.api("POST", "/api/base-playlists/%s/sync" % base["id"])
        self.assertEqual((status, ev["status"]), (200, "completed"), ev)

    def test_01_stream_of_a_sync(self):
        # The base changes (it is read again) and each request takes 100 ms: a sync of a
        # few hundred ms with several phases to watch.
        self.emu.remove_items(self.state["base_spid"], positions=[0])
        self.emu.latency(100)
        try:
            event_id = self.start_sync()
            s = self.stream(event_id)
            events = [e for e in s.read_all(60 * SLOW) if e[0] != "ping"]
            s.close()
        finally:
            self.emu.latency(0)
        self.assertEqual(s.status, 200)
        self.assertTrue(s.headers["content-type"].startswith("text/event-stream"), s.headers)
        self.assertTrue(s.eof)
        names = [e[0] for e in events]
        self.assertEqual(names[-1], "done", names)
        self.assertEqual(names.count("done"), 1, names)
        self.assertEqual(set(names[:-1]), {"progress"}, names)
        self.assertGreaterEqual(len(names), 3, "no live progress: %s" % names)
        seen = []
        for _, data, _ in events[:-1]:
            ev = json.loads(data)
            self.assertEqual((ev["id"], ev["status"]), (event_id, "in_progress"))
            p = ev["progress"]
            key = (ev["status"], p["phase"], p["done"], p["total"])
            self.assertNotIn(key, seen[-1:], "a progress event without a change")
            if seen:
                self.assertGreaterEqual(PHASES.index(p["phase"]), PHASES.index(seen[-1][1]),
                                        "phase went back: %s" % [k[1] for k in seen + [key]])
            seen.append(key)
        done = json.loads(events[-1][1])
        self.assertEqual(done["status"], "completed", done.get("error_message"))
        self.assert_done_is_get(events[-1][1], event_id)
        # At most about 10 a second (coalesced): over the stream's life, not more.
        span = events[-1][2] - events[0][2]
        self.assertLessEqual(len(events) - 1, 10 * span + 2, (len(events), span))

    def test_02_finished_event_done_at_once(self):
        _, _, st = self.api("GET", "/api/base-playlists/%s/sync-status" % self.state["base"])
        event_id = st["sync_event"]["id"]
        s = self.stream(event_id)
        events = s.read_all(10 * SLOW)
        s.close()
        self.assertEqual(s.status, 200)
        self.assertTrue(s.headers["content-type"].startswith("text/event-stream"))
        self.assertEqual([e[0] for e in events], ["done"])
        self.assert_done_is_get(events[0][1], event_id)

    def test_03_another_users_event_is_404(self):
        _, _, st = self.api("GET", "/api/base-playlists/%s/sync-status" % self.state["base"])
        event_id = st["sync_event"]["id"]
        alice = sign_in(self.srv, self.emu, user="alice")["token"]
        for token, path in ((alice, event_id), (self.token, "0" * 32)):
            status, headers, err = self.srv.request(
                "GET", "/api/sync-events/%s/stream" % path, token=token,
                headers={"Accept": "text/event-stream"})
            self.assertEqual((status, err["error"]["code"]), (404, "not_found"), err)
            self.assertTrue(headers["content-type"].startswith("application/json"))
        status, _, err = self.srv.request("GET", "/api/sync-events/%s/stream" % event_id)
        self.assertEqual((status, err["error"]["code"]), (401, "unauthorized"))

    def test_04_many_streams_no_threads(self):
        # Nothing changed: the sync's one request (the snapshot check) takes 6 s, so the
        # event stays in progress, at one phase, with the same threads, while we watch.
        self.emu.latency(6000)
        try:
            event_id = self.start_sync()
            deadline = time.time() + 10 * SLOW
            while time.time() < deadline:
                _, _, ev = self.api("GET", "/api/sync-events/%s" % event_id)
                if ev["progress"]["phase"] == "check":
                    break
                time.sleep(0.01)
            self.assertEqual(ev["progress"]["phase"], "check")
            pid = self.srv.proc.pid
            first = self.stream(event_id)
            self.assertEqual(first.next_event()[0], "progress")
            threads_one = proc_status(pid, "Threads")
            rss_one = proc_status(pid, "VmRSS")
            streams = [first]
            for _ in range(N_STREAMS - 1):
                s = self.stream(event_id)
                name, data, _ = s.next_event()
                self.assertEqual((name, json.loads(data)["progress"]["phase"]),
                                 ("progress", "check"))
                streams.append(s)
            threads_all = proc_status(pid, "Threads")
            rss_all = proc_status(pid, "VmRSS")
            sys.stderr.write("[%d streams: threads %d -> %d, RSS %d -> %d KiB] " % (
                N_STREAMS, threads_one, threads_all, rss_one, rss_all))
            self.assertEqual(threads_all, threads_one)
            # Heartbeats (every second here) while nothing changes.
            pings = 0
            for name, _, _ in first.events(5 * SLOW):
                if name == "ping":
                    pings += 1
                    if pings == 2:
                        break
                else:
                    self.fail("unexpected %s while the sync waits" % name)
            self.assertEqual(pings, 2)
        finally:
            self.emu.latency(0)
        # A quarter of the clients go away before the end: their connections are found
        # closed when the end wakes them (no leak, no crash: the server exits 0 under
        # ASan at the end of the run).
        gone = N_STREAMS // 4
        for s in streams[1:gone + 1]:
            s.close()
        streams = [streams[0]] + streams[gone + 1:]
        dones = set()
        for s in streams:
            got = [e for e in s.read_all(60 * SLOW) if e[0] != "ping"]
            s.close()
            self.assertEqual([e[0] for e in got], ["done"])
            dones.add(got[0][1])
        self.assertEqual(len(dones), 1)
        self.assert_done_is_get(dones.pop(), event_id)

    def test_05_sigterm_with_open_streams(self):
        self.emu.remove_items(self.state["base_spid"], positions=[0])
        self.emu.latency(1500)
        try:
            event_id = self.start_sync()
            streams = [self.stream(event_id) for _ in range(20)]
            for s in streams:
                self.assertEqual(s.next_event()[0], "progress")
            t0 = time.monotonic()
            self.srv.proc.send_signal(signal.SIGTERM)
            for s in streams:
                list(s.events(GRACE * SLOW))  # ends (EOF) without waiting for the sync
                self.assertTrue(s.eof)
                s.close()
            closed = time.monotonic() - t0
            self.srv.proc.wait(GRACE * 3 * SLOW)
            exited = time.monotonic() - t0
        finally:
            self.emu.latency(0)
        stderr = self.srv.stderr()
        self.assertEqual(self.srv.stop(), 0, stderr[-3000:])
        self.assertLess(closed, 2 * SLOW, "the streams were not ended at once")
        self.assertLess(exited, GRACE, "the server did not exit within its grace")
        self.assertNotIn("still running after", stderr)


if __name__ == "__main__":
    unittest.main(verbosity=2)
