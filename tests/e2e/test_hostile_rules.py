"""Hostile rules and work that outlives its client (issue #12), end to end on loopback.

  01 the regex bomb ((a{1,100}){1,100}){1,100} is refused at once (400 at /filter/value);
     glibc accepted it after ~6 s and 1.2 GB
  02 the back-reference (.*)(.*)(.*)(.*)(.*)\\5\\4\\3\\2\\1$ is refused at once
  03 a child stored with that pattern before the upgrade: five concurrent previews whose
     clients hang up after 3 s answer at once (the stored rule no longer compiles) and
     leave the CPU idle; each took 37 s of CPU under glibc, on the polling threads
  04 a preview whose client hangs up stops: no Spotify request after the hang-up
     (24 children read one by one at 250 ms each would take 6 s more)
  05 a waiting sync whose client hangs up runs to its end, stores its answer for the
     Idempotency-Key and holds nothing a new request needs
"""
import json
import os
import shutil
import socket
import sqlite3
import sys
import tempfile
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from harness import Server, free_port, sign_in, SLOW  # noqa: E402
import emulator as EMU  # noqa: E402

BOMB = "((a{1,100}){1,100}){1,100}"
BACKREF = "(.*)(.*)(.*)(.*)(.*)\\5\\4\\3\\2\\1$"
N_CHILDREN = 24


def cpu_seconds(pid):
    """utime + stime of a process, in seconds."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def send_and_hang_up(port, method, path, token, after_s, headers=None):
    """Sends one request on a raw socket and closes it after_s seconds later, reading
    whatever came back meanwhile. Returns the bytes received."""
    s = socket.create_connection(("127.0.0.1", port), timeout=after_s + 5)
    hdrs = {"Host": "127.0.0.1", "Authorization": "Bearer " + token, "Content-Length": "0"}
    hdrs.update(headers or {})
    head = "%s %s HTTP/1.1\r\n%s\r\n\r\n" % (
        method, path, "\r\n".join("%s: %s" % kv for kv in hdrs.items()))
    s.sendall(head.encode())
    got = b""
    deadline = time.time() + after_s
    s.settimeout(0.1)
    while time.time() < deadline:
        try:
            chunk = s.recv(65536)
            if not chunk:
                break
            got += chunk
        except socket.timeout:
            pass
    s.close()
    return got


class HostileRulesTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.data_dir = tempfile.mkdtemp(prefix="playrouter-hostile-")
        cls.emu = EMU.Emulator(mode="development", args=[
            "--playlist", "demo:Hostile base:150", "--seed", "5"]).start()
        port = free_port()
        cls.srv = None
        try:
            cls.srv = Server(data_dir=cls.data_dir, env={
                "PLAYROUTER_PORT": str(port),
                "SPOTIFY_REDIRECT_URI": "http://127.0.0.1:%d/api/auth/callback" % port,
                "SPOTIFY_CLIENT_ID": cls.emu.client_id,
                "SPOTIFY_CLIENT_SECRET": cls.emu.client_secret,
                "SPOTIFY_API_BASE": cls.emu.api_base,
                "SPOTIFY_ACCOUNTS_BASE": cls.emu.accounts_base,
                "SPOTIFY_API_MODE": "development",
                "PLAYROUTER_SPOTIFY_PARALLELISM": "1",
            }).start()
            cls.token = sign_in(cls.srv, cls.emu)["token"]
            status, _, base = cls.api("POST", "/api/base-playlists", {
                "spotify_playlist_id": cls.emu.playlist_id("demo", "Hostile base")})
            assert status == 201, (status, base)
            cls.base = base["id"]
        except BaseException:
            cls.tearDownClass()
            raise

    @classmethod
    def tearDownClass(cls):
        code = cls.srv.stop() if cls.srv and cls.srv.proc else None
        stderr = cls.srv.stderr() if cls.srv else ""
        ecode = cls.emu.stop() if cls.emu and cls.emu.proc else 0
        shutil.rmtree(cls.data_dir, ignore_errors=True)
        assert code in (None, 0), "server exited with %s:\n%s" % (code, stderr[-4000:])
        assert ecode == 0, "emulator exited with %s" % ecode

    @classmethod
    def api(cls, method, path, body=None, headers=None, timeout=60):
        return cls.srv.request(method, path, body=body, headers=headers, token=cls.token,
                               timeout=timeout)

    def setUp(self):
        self.emu.reset()
        self.emu.latency(0)
        # every test starts from a base without children
        status, _, kids = self.api("GET", "/api/base-playlists/%s/child-playlists" % self.base)
        self.assertEqual(status, 200)
        for k in kids["items"] if isinstance(kids, dict) else kids:
            self.assertEqual(self.api("DELETE", "/api/child-playlists/" + k["id"])[0], 204)

    def child(self, name, rule, **extra):
        body = {"name": name, "filter": rule}
        body.update(extra)
        return self.api("POST", "/api/base-playlists/%s/child-playlists" % self.base, body)

    def assert_refused_fast(self, pattern, message_part):
        t0 = time.time()
        status, _, body = self.child("hostile", {"field": "track_name", "op": "matches",
                                                 "value": pattern})
        took = time.time() - t0
        self.assertEqual(status, 400, body)
        self.assertEqual(body["error"]["code"], "validation_failed")
        details = body["error"]["details"]
        self.assertEqual([d["path"] for d in details], ["/filter/value"])
        self.assertIn(message_part, details[0]["message"])
        self.assertLess(took, 2.0 * SLOW)

    def test_01_regex_bomb_refused(self):
        self.assert_refused_fast(BOMB, "repetition too large ({1,100})")

    def test_02_back_reference_refused(self):
        self.assert_refused_fast(BACKREF, "back-reference '\\5' is not supported")

    def test_03_stored_back_reference_previews_are_cheap(self):
        status, _, c = self.child("stored", {"field": "track_name", "op": "matches", "value": "x"})
        self.assertEqual(status, 201, c)
        # As an older server stored it: straight into the database.
        db = sqlite3.connect(os.path.join(self.data_dir, "playrouter.db"), timeout=10)
        db.execute("UPDATE child_playlists SET filter = ? WHERE id = ?",
                   (json.dumps({"field": "track_name", "op": "matches", "value": BACKREF}),
                    c["id"]))
        db.commit()
        db.close()
        cpu0 = cpu_seconds(self.srv.proc.pid)
        answers = [None] * 5
        path = "/api/base-playlists/%s/preview" % self.base

        def one(i):
            answers[i] = send_and_hang_up(self.srv.port, "POST", path, self.token, 3.0)

        threads = [threading.Thread(target=one, args=(i,)) for i in range(5)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        for a in answers:
            self.assertTrue(a.startswith(b"HTTP/1.1 400"), a[:200])
            self.assertIn(b"back-reference", a)
        # The hung-up clients left no work behind: the server idles.
        time.sleep(0.5)
        cpu1 = cpu_seconds(self.srv.proc.pid)
        time.sleep(2.0)
        cpu2 = cpu_seconds(self.srv.proc.pid)
        self.assertLess(cpu1 - cpu0, 1.0 * SLOW, "the previews themselves cost too much CPU")
        self.assertLess(cpu2 - cpu1, 0.3 * SLOW, "work went on after the clients hung up")
        self.assertEqual(self.api("GET", "/healthz")[0], 200)

    def make_children(self):
        for i in range(N_CHILDREN):
            pid = self.emu.create_playlist(owner="demo", name="kid %d" % i, size=3, plain=True)
            status, _, body = self.child("kid %d" % i, {"field": "explicit", "op": "eq",
                                                        "value": True},
                                         spotify_playlist_id=pid)
            self.assertEqual(status, 201, body)

    def spotify_requests(self):
        return sum(sum(by.values()) for by in self.emu.counters().values())

    def test_04_preview_stops_when_its_client_hangs_up(self):
        self.make_children()
        self.emu.latency(250)
        self.emu.reset_counters()
        got = send_and_hang_up(self.srv.port, "POST",
                               "/api/base-playlists/%s/preview" % self.base, self.token, 1.5)
        self.assertEqual(got, b"", "the preview answered before the hang-up: make it slower")
        # A request in flight at the hang-up may still end; none starts after it.
        time.sleep(0.6)
        n1 = self.spotify_requests()
        time.sleep(2.5)
        n2 = self.spotify_requests()
        self.assertEqual(n2, n1, "the preview kept calling Spotify after its client left")
        self.assertLess(n1, N_CHILDREN, "every child was read: the preview did not stop")
        self.emu.latency(0)
        status, _, body = self.api("POST", "/api/base-playlists/%s/preview" % self.base)
        self.assertEqual(status, 200, body)
        self.assertEqual(len(body["children"]), N_CHILDREN)

    def test_05_waiting_sync_whose_client_hangs_up(self):
        self.make_children()
        self.emu.latency(100)
        key = "hostile-%d" % time.time_ns()
        got = send_and_hang_up(self.srv.port, "POST", "/api/base-playlists/%s/sync" % self.base,
                               self.token, 0.8, headers={"Idempotency-Key": key})
        self.assertEqual(got, b"", "the sync ended before the hang-up: make it slower")
        # While it runs, other requests are answered at once.
        t0 = time.time()
        status, _, st = self.api("GET", "/api/base-playlists/%s/sync-status" % self.base)
        self.assertEqual(status, 200)
        self.assertTrue(st["active"], st)
        self.assertLess(time.time() - t0, 1.0 * SLOW)
        event_id = st["sync_event"]["id"]
        deadline = time.time() + 60 * SLOW
        while st["active"] and time.time() < deadline:
            time.sleep(0.2)
            st = self.api("GET", "/api/base-playlists/%s/sync-status" % self.base)[2]
        self.assertFalse(st["active"], "the sync never finished")
        self.assertEqual(st["sync_event"]["id"], event_id)
        self.assertEqual(st["sync_event"]["status"], "completed", st)
        self.emu.latency(0)
        # Its answer was kept for the key although nobody read it...
        status, headers, ev = self.api("POST", "/api/base-playlists/%s/sync" % self.base,
                                       headers={"Idempotency-Key": key})
        self.assertEqual(status, 200, ev)
        self.assertEqual(headers.get("idempotent-replayed"), "true")
        self.assertEqual(ev["id"], event_id)
        # ...and nothing is held: a new sync runs at once, converged (one read, no write).
        status, _, ev2 = self.api("POST", "/api/base-playlists/%s/sync" % self.base)
        self.assertEqual(status, 200, ev2)
        self.assertEqual(ev2["status"], "completed", ev2)
        self.assertNotEqual(ev2["id"], event_id)


if __name__ == "__main__":
    unittest.main(verbosity=2)
