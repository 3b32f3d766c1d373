"""No HTTP polling thread waits on Spotify (docs/SECURITY.md §3), end to end on loopback.

The server has ONE HTTP thread (PLAYROUTER_THREADS=1): a handler that waited on Spotify
there would leave every other connection unanswered meanwhile. The Spotify emulator's
latency knob makes each Spotify answer slow.

  01 while a slow preview waits on Spotify, another request (GET /api/me) is answered at
     once, and the preview's answer is byte for byte the one a fast preview gives
     (before: /api/me waited for the whole preview, ~3 s)
  02 a preview whose client hangs up while it waits (its connection suspended) stops at
     its next step: it ends with 503 after fewer Spotify requests than a whole preview
  03 previews beyond what the worker pool can queue are answered 503 at once ("no worker
     is free; retry later"); the others are answered 200 once Spotify is fast again
"""
import http.client
import json
import os
import re
import select
import socket
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from harness import ServerWithEmulator, SLOW, sign_in  # noqa: E402
from sync_helpers import wait_for  # noqa: E402

N_CHILDREN = 6
BASE_SIZE = 60
# A whole preview of the prepared base: one request for the snapshots, then each
# child's playlist (never synced, so read): 1 + N_CHILDREN Spotify requests.
PREVIEW_REQUESTS = 1 + N_CHILDREN
# PLAYROUTER_SYNC_WORKERS=1 and PLAYROUTER_SPOTIFY_PARALLELISM=1: a pool of 1 + 1 threads,
# one of them the sync worker; its task queue holds 1 * 9 + 64 tasks (server/main.c).
POOL_FREE_THREADS = 1
POOL_QUEUE = 1 * 9 + 64


def raw_request(port, method, path, token, timeout=60):
    """(status, body bytes) of one request, the body exactly as sent."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout * SLOW)
    conn.request(method, path, headers={"Authorization": "Bearer " + token,
                                        "Content-Length": "0"})
    resp = conn.getresponse()
    body = resp.read()
    conn.close()
    return resp.status, body


def send_request(port, method, path, token):
    """A socket on which one request was sent (its answer not read)."""
    s = socket.create_connection(("127.0.0.1", port), timeout=10 * SLOW)
    s.sendall(("%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer %s\r\n"
               "Content-Length: 0\r\n\r\n" % (method, path, token)).encode())
    return s


def read_answer(s, timeout):
    """(status, body bytes) of the answer on s (Content-Length framed), or None when none
    came within timeout seconds."""
    s.settimeout(timeout)
    got = b""
    try:
        while b"\r\n\r\n" not in got:
            chunk = s.recv(65536)
            if not chunk:
                return None
            got += chunk
        head, body = got.split(b"\r\n\r\n", 1)
        n = int(re.search(rb"(?i)\r\ncontent-length: *(\d+)", head).group(1))
        while len(body) < n:
            chunk = s.recv(65536)
            if not chunk:
                return None
            body += chunk
    except socket.timeout:
        return None
    return int(head.split(b" ", 2)[1]), body


class PollingThreadsTest(ServerWithEmulator, unittest.TestCase):
    SERVER_ENV = {
        "PLAYROUTER_THREADS": "1",
        "PLAYROUTER_SYNC_WORKERS": "1",
        "PLAYROUTER_SPOTIFY_PARALLELISM": "1",
        "PLAYROUTER_MAX_CONNECTIONS_PER_IP": "0",
        "PLAYROUTER_LOG_LEVEL": "info",  # the access log says how each preview ended
    }

    @classmethod
    def prepare(cls):
        cls.token = sign_in(cls.srv, cls.emu)["token"]
        spid = cls.emu.create_playlist(owner="demo", name="Slow base", size=BASE_SIZE,
                                       plain=True)
        status, _, base = cls.api("POST", "/api/base-playlists", {"spotify_playlist_id": spid})
        assert status == 201, (status, base)
        cls.base = base["id"]
        cls.preview = "/api/base-playlists/%s/preview" % cls.base
        # What the preview must say, from the emulator's catalogue (API.md: each child's
        # target is the base's matching tracks in base order; add relative to the child's
        # current, empty, playlist).
        items = cls.emu.playlist(spid, full=True)["items"]
        cls.expected = []
        for i in range(N_CHILDREN):
            explicit = i % 2 == 0
            kid = cls.emu.create_playlist(owner="demo", name="slow kid %d" % i, plain=True)
            name = "kid %d (explicit %s)" % (i, explicit)
            status, _, child = cls.api(
                "POST", "/api/base-playlists/%s/child-playlists" % cls.base,
                {"name": name, "spotify_playlist_id": kid,
                 "filter": {"field": "explicit", "op": "eq", "value": explicit}})
            assert status == 201, (status, child)
            ids = [it["track"]["id"] for it in items if it["track"]["explicit"] == explicit]
            cls.expected.append({"child_playlist_id": child["id"], "name": name,
                                 "track_ids": ids, "add": ids, "remove": []})
        assert all(c["track_ids"] for c in cls.expected), "a child without tracks"

    @classmethod
    def api(cls, method, path, body=None):
        return cls.srv.request(method, path, body=body, token=cls.token)

    def setUp(self):
        self.emu.reset()
        # A fast preview first: its answer is the reference, and it stores the base, so
        # every preview below costs exactly PREVIEW_REQUESTS requests.
        status, self.fast = raw_request(self.srv.port, "POST", self.preview, self.token)
        self.assertEqual(status, 200, self.fast)
        fast = json.loads(self.fast)
        self.assertEqual(fast["children"], self.expected)
        # (the `tracks` map's contents have their own test: test_preview_tracks.py)
        self.assertEqual(set(fast["tracks"]),
                         {i for c in self.expected for i in c["track_ids"]})
        self.emu.reset_counters()
        status, again = raw_request(self.srv.port, "POST", self.preview, self.token)
        self.assertEqual((status, again), (200, self.fast))
        self.assertEqual(self.spotify_requests(), PREVIEW_REQUESTS)

    def spotify_requests(self):
        return sum(sum(by.values()) for by in self.emu.counters().values())

    def test_01_other_requests_are_answered_during_a_slow_preview(self):
        self.emu.latency(500)  # the preview takes PREVIEW_REQUESTS * 0.5 s = 3.5 s
        self.emu.reset_counters()
        answer = {}

        def preview():
            answer["got"] = raw_request(self.srv.port, "POST", self.preview, self.token)
        t = threading.Thread(target=preview)
        t.start()
        try:
            # Its first Spotify answer came; six more at 0.5 s each are to come.
            wait_for(lambda: self.spotify_requests() >= 1, 10, "the preview's first request")
            self.assertTrue(t.is_alive())
            t0 = time.time()
            status, _, me = self.api("GET", "/api/me")
            took = time.time() - t0
            preview_running = t.is_alive()
            n_before = self.spotify_requests()
        finally:
            t.join(60 * SLOW)
        sys.stderr.write("[GET /api/me during a slow preview: %.0f ms]\n" % (took * 1000))
        self.assertEqual(status, 200, me)
        self.assertEqual(me["spotify_user_id"], "demo")
        self.assertTrue(preview_running and n_before < PREVIEW_REQUESTS,
                        "GET /api/me was answered only after the preview (%.2f s)" % took)
        self.assertLess(took, 0.5 * SLOW, "GET /api/me took %.2f s" % took)
        self.assertEqual(answer["got"], (200, self.fast))
        self.assertEqual(self.spotify_requests(), PREVIEW_REQUESTS)

    def test_02_preview_whose_client_hangs_up_stops(self):
        self.emu.latency(400)
        self.emu.reset_counters()
        log_from = len(self.srv.stderr())
        s = send_request(self.srv.port, "POST", self.preview, self.token)
        wait_for(lambda: self.spotify_requests() >= 1, 10, "the preview's first request")
        s.close()  # the client hangs up while its connection is suspended
        ended = re.compile(r"http POST %s (\d+) " % re.escape(self.preview))
        m = wait_for(lambda: ended.search(self.srv.stderr()[log_from:]), 10,
                     "the preview to end")
        self.assertEqual(m.group(1), "503", "the preview ran to its end (%s)" % m.group(1))
        # It has ended: every Spotify request it made is counted, and it stopped early.
        self.assertLess(self.spotify_requests(), PREVIEW_REQUESTS)
        self.emu.latency(0)
        self.assertEqual(raw_request(self.srv.port, "POST", self.preview, self.token),
                         (200, self.fast))

    def test_03_a_full_worker_pool_answers_503(self):
        n = POOL_FREE_THREADS + POOL_QUEUE + 6
        n_refused = n - POOL_FREE_THREADS - POOL_QUEUE
        self.emu.latency(3000)
        socks = []
        try:
            for _ in range(n):
                socks.append(send_request(self.srv.port, "POST", self.preview, self.token))
            # One preview runs (its first Spotify answer takes 3 s), POOL_QUEUE wait in the
            # queue, the rest are refused at once.
            refused = {}
            deadline = time.time() + 10 * SLOW
            while len(refused) < n_refused and time.time() < deadline:
                ready, _, _ = select.select([s for s in socks if s not in refused], [], [], 0.1)
                for s in ready:
                    refused[s] = read_answer(s, 5 * SLOW)
            self.assertEqual(len(refused), n_refused)
            for got in refused.values():
                self.assertEqual(got[0], 503, got)
                self.assertEqual(json.loads(got[1]), {"error": {
                    "code": "unavailable", "message": "no worker is free; retry later"}})
            waiting = [s for s in socks if s not in refused]
            # The others wait: none of them has an answer yet.
            self.assertEqual(select.select(waiting, [], [], 0)[0], [])
            self.emu.latency(0)
            answers = [read_answer(s, 60 * SLOW) for s in waiting]
            self.assertEqual(answers, [(200, self.fast)] * len(waiting))
        finally:
            for s in socks:
                s.close()

if __name__ == "__main__":
    unittest.main(verbosity=2)
