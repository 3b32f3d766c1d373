"""The metadata cache under a real sync (extended mode, where rules on genres need
artist metadata): Redis warms across syncs, and Redis killed in the middle of a sync
leaves a correct result (the sync carries on without the cache).

Expected contents are computed here from the emulator's full catalogue, not by the
server's rule engine."""
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from harness import Server, free_port, sign_in, SLOW  # noqa: E402
import emulator as EMU  # noqa: E402

GENRE = "rock"

# The server's Redis timeout here. The production default (50 ms) bounds what a hung
# Redis costs a request; tests/test_cache_redis.c tests it. Here Redis is only ever
# running or killed (connection refused or reset: no timeout involved), and at 50 ms a
# loaded machine that stalls redis-server for a moment times out a healthy write or
# read: the cache goes down for a second and the warm sync below misses.
REDIS_TIMEOUT_MS = 5000


def start_redis(port, data_dir):
    proc = subprocess.Popen(["redis-server", "--port", str(port), "--bind", "127.0.0.1",
                             "--save", "", "--appendonly", "no", "--dir", data_dir],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 10
    while time.time() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
                s.sendall(b"PING\r\n")
                if s.recv(16).startswith(b"+PONG"):
                    return proc
        except OSError:
            time.sleep(0.05)
    proc.kill()
    raise RuntimeError("redis-server did not start")


def redis_calls(port, command):
    """How many times Redis ran command since it started (INFO commandstats)."""
    with socket.create_connection(("127.0.0.1", port), timeout=10 * SLOW) as s:
        s.sendall(b"INFO commandstats\r\n")
        data = b""
        while b"\r\n" not in data:
            chunk = s.recv(65536)
            if not chunk:
                raise RuntimeError("redis closed the connection: %r" % data)
            data += chunk
        head, body = data.split(b"\r\n", 1)
        size = int(head[1:])  # a bulk string: $<size>
        while len(body) < size:
            chunk = s.recv(65536)
            if not chunk:
                raise RuntimeError("redis closed the connection mid-reply")
            body += chunk
    m = re.search(rb"cmdstat_" + command.encode() + rb":calls=(\d+)", body)
    return int(m.group(1)) if m else 0


def expected_uris(emu, playlist_id):
    """Tracks of the base (local files, episodes and duplicates left out, base order)
    whose artists have a genre containing GENRE, ignoring case."""
    detail = emu.playlist(playlist_id, full=True)
    seen, out = set(), []
    for entry in detail["items"]:
        uri = entry["uri"]
        if entry.get("is_local") or entry.get("type") == "episode" or not uri.startswith("spotify:track:"):
            continue
        if uri in seen:
            continue
        seen.add(uri)
        track = emu.track(uri.split(":")[2])
        genres = [g for a in track["artists"] for g in emu.artist(a["id"]).get("genres", [])]
        if any(GENRE in g.lower() for g in genres):
            out.append(uri)
    return out


class CacheSyncTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.data_dir = tempfile.mkdtemp(prefix="playrouter-cache-")
        cls.redis_port = free_port()
        cls.redis = start_redis(cls.redis_port, cls.data_dir)
        cls.emu = EMU.Emulator(mode="extended", args=[
            "--playlist", "demo:Cache base:600", "--seed", "5", "--artists", "300"]).start()
        port = free_port()
        cls.srv = Server(env={
            "PLAYROUTER_PORT": str(port),
            "PLAYROUTER_REDIS_URL": "redis://127.0.0.1:%d/0" % cls.redis_port,
            "PLAYROUTER_REDIS_TIMEOUT_MS": str(REDIS_TIMEOUT_MS),
            "SPOTIFY_REDIRECT_URI": "http://127.0.0.1:%d/api/auth/callback" % port,
            "SPOTIFY_CLIENT_ID": cls.emu.client_id,
            "SPOTIFY_CLIENT_SECRET": cls.emu.client_secret,
            "SPOTIFY_API_BASE": cls.emu.api_base,
            "SPOTIFY_ACCOUNTS_BASE": cls.emu.accounts_base,
            "SPOTIFY_API_MODE": "extended",
        }).start()
        cls.token = sign_in(cls.srv, cls.emu)["token"]
        cls.base_spotify = cls.emu.playlist_id("demo", "Cache base")

    @classmethod
    def tearDownClass(cls):
        code = cls.srv.stop()
        stderr = cls.srv.stderr()
        cls.srv.cleanup()
        emu_code = cls.emu.stop()
        if cls.redis.poll() is None:
            cls.redis.kill()
        cls.redis.wait()
        shutil.rmtree(cls.data_dir, ignore_errors=True)
        assert code == 0, "server exited with %s:\n%s" % (code, stderr[-3000:])
        assert emu_code == 0, emu_code

    def api(self, method, path, body=None, expect=None):
        status, _, out = self.srv.request(method, path, body=body, token=self.token)
        if expect is not None:
            self.assertEqual(status, expect, out)
        return out

    def make_base(self, spotify_id):
        base = self.api("POST", "/api/base-playlists", {"spotify_playlist_id": spotify_id}, 201)
        child = self.api("POST", "/api/base-playlists/%s/child-playlists" % base["id"], {
            "name": "Rock", "filter": {"field": "genre", "op": "contains", "value": GENRE.upper()}}, 201)
        return base["id"], child

    def sync(self, base_id):
        return self.api("POST", "/api/base-playlists/%s/sync" % base_id, expect=200)

    def artist_requests(self):
        return self.emu.count("GET /v1/artists")

    def wait_ready(self):
        """Until /readyz answers 200: the server's cache is connected to the (restarted)
        Redis again; it reconnects by itself, at most once a second."""
        deadline = time.time() + 30 * SLOW
        status, body = None, None
        while time.time() < deadline:
            status, _, body = self.srv.request("GET", "/readyz")
            if status == 200:
                return
            time.sleep(0.05)
        self.fail("the server did not reconnect to the restarted Redis in %ds: %s %s"
                  % (30 * SLOW, status, body))

    def test_1_cache_warms_then_redis_killed_mid_sync_still_correct(self):
        base_id, child = self.make_base(self.base_spotify)
        expected = expected_uris(self.emu, self.base_spotify)
        self.assertGreater(len(expected), 0)

        # Cold: every artist is a miss and is fetched in batches of 50.
        self.emu.reset_counters()
        ev = self.sync(base_id)
        self.assertEqual(ev["status"], "completed", ev)
        self.assertEqual(self.emu.playlist_uris(child["spotify_playlist_id"]), expected)
        cold_artist_requests = self.artist_requests()
        self.assertGreater(cold_artist_requests, 0)
        self.assertGreater(ev["cache_misses"], 0)
        self.assertEqual(ev["cache_hits"], 0)

        # A second base on another playlist holding the same tracks: Redis is warm, so
        # no artist request at all, and every lookup is a hit.
        copy = self.emu.create_playlist(owner="demo", name="Copy",
                                        uris=self.emu.playlist_uris(self.base_spotify))
        copy_id = copy["id"] if isinstance(copy, dict) else copy
        base2, child2 = self.make_base(copy_id)
        self.emu.reset_counters()
        ev2 = self.sync(base2)
        self.assertEqual(ev2["status"], "completed", ev2)
        self.assertEqual(self.artist_requests(), 0)
        self.assertEqual(ev2["cache_misses"], 0)
        self.assertGreater(ev2["cache_hits"], 0)
        self.assertEqual(self.emu.playlist_uris(child2["spotify_playlist_id"]), expected)

        # A third base, cold in Redis (restarted empty), with Redis killed in the middle
        # of its sync: the emulator holds the sync's artist requests, so the kill falls
        # after the sync's lookup in Redis and before it stores what it fetched, and the
        # sync is still running, however slow the machine (no window of latency).
        self.redis.send_signal(signal.SIGKILL)
        self.redis.wait()
        type(self).redis = start_redis(self.redis_port, self.data_dir)  # empty: cold again
        self.wait_ready()
        third = self.emu.create_playlist(owner="demo", name="Third",
                                         uris=self.emu.playlist_uris(self.base_spotify))
        third_id = third["id"] if isinstance(third, dict) else third
        base3, child3 = self.make_base(third_id)
        self.emu.reset_counters()
        mgets = redis_calls(self.redis_port, "mget")
        self.emu.hold("/v1/artists")
        try:
            status, _, started = self.srv.request(
                "POST", "/api/base-playlists/%s/sync?wait=false" % base3, token=self.token)
            self.assertEqual(status, 202, started)
            deadline = time.time() + 30 * SLOW
            while self.emu.held() == 0 and time.time() < deadline:
                time.sleep(0.01)
            self.assertGreater(self.emu.held(), 0, "the sync never asked for artists")
            self.assertGreater(redis_calls(self.redis_port, "mget"), mgets,
                               "the sync did not look its artists up in Redis first")
            self.redis.send_signal(signal.SIGKILL)
            self.redis.wait()
            st = self.api("GET", "/api/base-playlists/%s/sync-status" % base3, expect=200)
            self.assertTrue(st["active"], "the sync ended before Redis was killed")
        finally:
            self.emu.release()
        deadline = time.time() + 60 * SLOW
        while time.time() < deadline:
            st = self.api("GET", "/api/base-playlists/%s/sync-status" % base3, expect=200)
            if not st["active"]:
                break
            time.sleep(0.05)
        ev3 = self.api("GET", "/api/sync-events/%s" % started["id"], expect=200)
        self.assertEqual(ev3["status"], "completed", ev3)
        self.assertEqual(self.emu.playlist_uris(child3["spotify_playlist_id"]), expected)
        # /readyz reports the dead Redis; the server itself is still serving.
        status, _, body = self.srv.request("GET", "/readyz")
        self.assertEqual(status, 503)
        self.assertIn("redis", body["error"]["message"])
        type(self).redis = start_redis(self.redis_port, self.data_dir)


if __name__ == "__main__":
    unittest.main(verbosity=2)
