"""The metadata cache under a real sync (extended mode, where rules on genres need
artist metadata): Redis warms across syncs, and Redis killed in the middle of a sync
leaves a correct result (the sync carries on without the cache).

Expected contents are computed here from the emulator's full catalogue, not by the
server's rule engine."""
import os
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

        # A third base, cold in Redis for its new artists, with Redis killed while the
        # sync runs (the emulator's latency keeps the sync busy long enough).
        self.redis.send_signal(signal.SIGKILL)
        self.redis.wait()
        type(self).redis = start_redis(self.redis_port, self.data_dir)  # empty: cold again
        self.emu.latency(40)
        try:
            third = self.emu.create_playlist(owner="demo", name="Third",
                                             uris=self.emu.playlist_uris(self.base_spotify))
            third_id = third["id"] if isinstance(third, dict) else third
            base3, child3 = self.make_base(third_id)
            self.emu.reset_counters()
            status, _, started = self.srv.request(
                "POST", "/api/base-playlists/%s/sync?wait=false" % base3, token=self.token)
            self.assertEqual(status, 202, started)
            # Kill Redis once the sync has begun asking Spotify for artists.
            deadline = time.time() + 30 * SLOW
            while self.artist_requests() == 0 and time.time() < deadline:
                time.sleep(0.01)
            self.assertGreater(self.artist_requests(), 0, "the sync never fetched artists")
            self.redis.send_signal(signal.SIGKILL)
            self.redis.wait()
            st = self.api("GET", "/api/base-playlists/%s/sync-status" % base3, expect=200)
            self.assertTrue(st["active"], "the sync ended before Redis was killed")
            deadline = time.time() + 60 * SLOW
            while time.time() < deadline:
                st = self.api("GET", "/api/base-playlists/%s/sync-status" % base3, expect=200)
                if not st["active"]:
                    break
                time.sleep(0.05)
            ev3 = self.api("GET", "/api/sync-events/%s" % started["id"], expect=200)
        finally:
            self.emu.latency(0)
        self.assertEqual(ev3["status"], "completed", ev3)
        self.assertEqual(self.emu.playlist_uris(child3["spotify_playlist_id"]), expected)
        # /readyz reports the dead Redis; the server itself is still serving.
        status, _, body = self.srv.request("GET", "/readyz")
        self.assertEqual(status, 503)
        self.assertIn("redis", body["error"]["message"])
        type(self).redis = start_redis(self.redis_port, self.data_dir)


if __name__ == "__main__":
    unittest.main(verbosity=2)
