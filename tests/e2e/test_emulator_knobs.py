"""Spotify emulator: the test knobs (rate limit, quota, faults, latency, hold) and what
the admin API reports (counters, request log, full metadata)."""
import http.client
import os
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from emulator import AdminError, Emulator, SLOW  # noqa: E402


class KnobsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.emu = Emulator(args=["--tracks", "300", "--playlist", "demo:base:120"]).start()
        cls.token = cls.emu.mint_token("demo")["access_token"]
        cls.pid = cls.emu.playlist_id("demo", "base")

    @classmethod
    def tearDownClass(cls):
        code = cls.emu.stop()
        assert code == 0, "emulator exited with %s:\n%s" % (code, cls.emu.stderr())

    def setUp(self):
        self.emu.reset()

    def items(self, query="?limit=50"):
        return self.emu.api("GET", "/playlists/%s/items%s" % (self.pid, query), token=self.token)

    def test_rate_limit_429_and_retry_after_honoured(self):
        self.emu.rate_limit(max=4, window_ms=1000)
        statuses = [self.items()[0] for _ in range(4)]
        self.assertEqual(statuses, [200] * 4)
        status, headers, body = self.items()
        self.assertEqual(status, 429)
        self.assertEqual(body["error"]["status"], 429)
        wait = int(headers["retry-after"])
        self.assertEqual(wait, 1)
        time.sleep(wait)
        self.assertEqual(self.items()[0], 200)
        # The log shows when the 429 came and when the next request did.
        log = [r for r in self.emu.request_log() if r["route"].startswith("GET /v1/playlists")]
        self.assertEqual([r["status"] for r in log], [200] * 4 + [429, 200])
        self.assertGreaterEqual(log[5]["t_ms"] - log[4]["t_ms"], wait * 1000 - 5)
        self.assertEqual(log[4]["query"], "limit=50")

    def test_rate_limit_fixed_retry_after_and_admin_untouched(self):
        self.emu.rate_limit(max=1, window_ms=60000, retry_after=7)
        self.assertEqual(self.items()[0], 200)
        status, headers, _ = self.items()
        self.assertEqual((status, headers["retry-after"]), (429, "7"))
        self.assertEqual(self.emu.playlist(self.pid)["total"], 120)  # admin is never limited
        self.emu.clear_rate_limit()
        self.assertEqual(self.items()[0], 200)

    def test_quota_exceeded(self):
        self.emu.quota(True)
        status, _, body = self.items()
        self.assertEqual(status, 429)
        self.assertEqual(body["error"]["reason"], "QUOTA_EXCEEDED")
        status, _, body = self.emu.api("GET", "/me", token=self.token)
        self.assertEqual((status, body["error"]["reason"]), (429, "QUOTA_EXCEEDED"))
        self.emu.quota(False)
        self.assertEqual(self.items()[0], 200)

    def test_fault_injection_status_and_count(self):
        self.emu.fail("GET", path_prefix="/v1/playlists/", status=503, count=2)
        self.assertEqual(self.emu.api("GET", "/me", token=self.token)[0], 200)
        first, _, body = self.items()
        second = self.items()[0]
        third = self.items()[0]
        self.assertEqual((first, second, third), (503, 503, 200))
        self.assertEqual(body["error"]["status"], 503)
        self.assertEqual(self.emu.faults(), [])

    def test_fault_injection_pattern_and_method(self):
        self.emu.fail("POST", path_pattern="/v1/playlists/*/items", status=500, count=1)
        self.assertEqual(self.items()[0], 200)  # GET does not match
        uri = self.emu.playlist_uris(self.pid)[0]
        status, _, _ = self.emu.api("POST", "/playlists/%s/items" % self.pid, token=self.token,
                                    body={"uris": [uri]})
        self.assertEqual(status, 500)
        self.assertEqual(self.emu.playlist(self.pid)["total"], 120)  # the fault wrote nothing

    def test_dropped_connection(self):
        self.emu.fail("GET", path_prefix="/v1/me", drop=True, count=1)
        with self.assertRaises((http.client.RemoteDisconnected, ConnectionError)):
            self.emu.api("GET", "/me", token=self.token)
        self.assertEqual(self.emu.api("GET", "/me", token=self.token)[0], 200)
        self.assertEqual(self.emu.counters()["GET /v1/me"], {"dropped": 1, "200": 1})

    def test_counters_by_template_and_reset(self):
        self.items()
        self.items("?limit=51")
        self.emu.api("GET", "/playlists/" + self.pid, token=self.token)
        self.emu.api("GET", "/me")
        c = self.emu.counters()
        self.assertEqual(c["GET /v1/playlists/{id}/items"], {"200": 1, "400": 1})
        self.assertEqual(c["GET /v1/playlists/{id}"], {"200": 1})
        self.assertEqual(c["GET /v1/me"], {"401": 1})
        self.assertEqual(self.emu.count("GET /v1/playlists/{id}/items"), 2)
        self.emu.reset_counters()
        self.assertEqual(self.emu.counters(), {})

    def test_latency_does_not_serialise(self):
        latency = 200
        self.emu.latency(latency)
        results = []

        def one():
            t0 = time.time()
            results.append((self.items()[0], time.time() - t0))

        t0 = time.time()
        threads = [threading.Thread(target=one) for _ in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        total = time.time() - t0
        self.emu.latency(0)
        self.assertEqual([r[0] for r in results], [200] * 8)
        self.assertTrue(all(r[1] >= latency / 1000 - 0.005 for r in results), results)
        # serialised it would take 8 * 200 ms = 1.6 s
        self.assertLess(total, 2 * latency / 1000 * SLOW + 0.2)

    def test_hold_until_release(self):
        self.emu.hold("/v1/playlists/")
        self.assertEqual(self.emu.admin("GET", "/hold"), {"path_prefix": "/v1/playlists/", "held": 0})
        results = []
        t = threading.Thread(target=lambda: results.append(self.items()[0]))
        t.start()
        deadline = time.time() + 10 * SLOW
        while self.emu.held() == 0 and time.time() < deadline:
            time.sleep(0.01)
        self.assertEqual(self.emu.held(), 1)
        # Other paths are not held, and the held request stays unanswered.
        self.assertEqual(self.emu.api("GET", "/me", token=self.token)[0], 200)
        t.join(0.3)
        self.assertTrue(t.is_alive())
        self.assertEqual(results, [])
        self.assertEqual(self.emu.release(), 1)
        t.join(10 * SLOW)
        self.assertFalse(t.is_alive())
        self.assertEqual(results, [200])
        self.assertEqual(self.emu.admin("GET", "/hold"), {"path_prefix": None, "held": 0})
        self.assertEqual(self.items()[0], 200)
        self.assertEqual(self.emu.count("GET /v1/playlists/{id}/items"), 2)
        with self.assertRaises(AdminError):
            self.emu.hold("v1")  # not a path

    def test_admin_set_and_read_playlist(self):
        pid = self.emu.create_playlist("demo", "scratch", size=0)
        uris = self.emu.playlist_uris(self.pid)[:7]
        before = self.emu.playlist(pid)["snapshot_id"]
        out = self.emu.set_playlist(pid, uris)
        self.assertEqual(out["uris"], uris)
        self.assertNotEqual(out["snapshot_id"], before)
        self.emu.add_items(pid, uris[:1], position=0)
        self.assertEqual(self.emu.playlist_uris(pid), uris[:1] + uris)
        self.emu.remove_items(pid, uris=[uris[0]])
        self.assertEqual(self.emu.playlist_uris(pid), uris[1:])
        self.assertEqual(self.emu.counters(), {})  # admin calls are never counted

    def test_full_metadata_regardless_of_mode(self):
        p = self.emu.playlist(self.pid, full=True)
        first = next(i for i in p["items"] if i["type"] == "track" and not i["is_local"])
        t = first["track"]
        self.assertEqual(t, self.emu.track(t["id"]))
        for k in ("popularity", "isrc", "duration_ms", "explicit"):
            self.assertIn(k, t)
        self.assertIn("label", t["album"])
        self.assertIn("popularity", t["album"])
        genres = []
        for a in t["artists"]:
            self.assertEqual(a, {k: v for k, v in self.emu.artist(a["id"]).items()})
            genres += [g for g in a["genres"] if g not in genres]
        self.assertEqual(t["genres"], genres)


if __name__ == "__main__":
    unittest.main()
