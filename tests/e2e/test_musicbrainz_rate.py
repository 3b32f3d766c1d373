"""The MusicBrainz rate, proven from the requests' arrival times (API.md "Metadata sources":
"never more than PLAYROUTER_MUSICBRAINZ_RATE requests per second").

The MusicBrainz emulator runs MusicBrainz's own limit (1 per rolling second, else 503) and
logs the arrival time of every request. Two users' bases of distinct tracks are synced at
the same time, by one server at PLAYROUTER_MUSICBRAINZ_RATE=1: both complete, no 503 was
ever answered, and no one-second window of the log holds more than one request. Then at
rate 3 with the emulator's window at 3 per second, the same for three users.
Also here: a MusicBrainz that refuses connections fails the sync (and names it), and a URL
too long for MusicBrainz's edge (414) halves the batch.
"""
import os
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from harness import free_port  # noqa: E402
from mb_world import WorldTest, leaf, user_agent  # noqa: E402
from musicbrainz_emulator import MusicBrainzEmulator  # noqa: E402


class MusicBrainzRateTest(WorldTest):
    SPOTIFY_ARGS = ["--seed", "31"]
    MB_RATE = 1
    SERVER = None  # each step starts its own
    ORDERED = False  # the steps do not build on each other
    next_track = 0

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.ua = user_agent()

    def fresh_tracks(self, n):
        """n catalogue tracks no other base of this test used."""
        tracks = self.w.emu.tracks()[self.next_track:self.next_track + n]
        type(self).next_track += n
        return ["spotify:track:%s" % t["id"] for t in tracks]

    def user_base(self, srv, user, n, rule):
        w = self.w
        w.emu.create_user(user)
        spid = w.emu.create_playlist(owner=user, name=user + "'s base", uris=self.fresh_tracks(n))
        token = w.sign_in(srv, user)
        base = w.create_base(srv, token, spid)
        child = w.create_child(srv, token, base["id"], {"name": user + " child", "filter": rule})
        return {"token": token, "base": base, "spid": spid, "children": [child]}

    def concurrent_syncs(self, srv, users):
        out = {}

        def run(u):
            out[u["base"]["id"]] = self.w.sync(srv, u["token"], u["base"]["id"])

        threads = [threading.Thread(target=run, args=(u,)) for u in users]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        return out

    def check_window(self, rate, since_ms):
        w = self.w
        log = [r for r in w.mb.request_log(since_ms) if r["path"].startswith("/ws/2")]
        self.assertGreater(len(log), 2 * rate)
        self.assertEqual([r for r in log if r["status"] != 200][:3], [], "no 503: never too fast")
        self.assertEqual([r for r in log if r["user_agent"] != self.ua][:3], [])
        busiest = w.mb.max_in_window(1000, since_ms=since_ms)
        self.assertLessEqual(busiest, rate, "a one-second window held %d requests" % busiest)
        return log

    def test_01_two_users_at_one_per_second(self):
        w = self.w
        srv = w.server(PLAYROUTER_MUSICBRAINZ_RATE="1")
        try:
            users = [self.user_base(srv, "mb-alice", 120, leaf("genre", "exists")),
                     self.user_base(srv, "mb-bob", 120, leaf("original_year", "lt", 1995))]
            since = int(time.time() * 1000)
            events = self.concurrent_syncs(srv, users)
            for u in users:
                ev = events[u["base"]["id"]]
                self.assertEqual(ev["status"], "completed", ev["error_message"])
                self.assertGreater(ev["metadata_requests"]["musicbrainz"], 0)
                w.check_contents(w.plan(u["spid"], u["children"]), u["children"])
            log = self.check_window(1, since)
            self.assertEqual(sum(events[u["base"]["id"]]["metadata_requests"]["musicbrainz"]
                                 for u in users), len(log))
            # both syncs asked while the other did: their requests interleave
            t = [r["t_ms"] for r in log]
            self.assertGreaterEqual(t[-1] - t[0], (len(log) - 1) * 1000)
        finally:
            w.stop_server(srv)

    def test_02_three_users_at_three_per_second(self):
        w = self.w
        w.mb.set_rate(3, 1000)
        srv = w.server(PLAYROUTER_MUSICBRAINZ_RATE="3")
        try:
            users = [self.user_base(srv, "mb-u%d" % i, 100, leaf("genre", "exists"))
                     for i in range(3)]
            since = int(time.time() * 1000)
            events = self.concurrent_syncs(srv, users)
            for u in users:
                ev = events[u["base"]["id"]]
                self.assertEqual(ev["status"], "completed", ev["error_message"])
                w.check_contents(w.plan(u["spid"], u["children"]), u["children"])
            self.check_window(3, since)
        finally:
            w.mb.set_rate(1, 1000)
            w.stop_server(srv)

    def test_03_unreachable_fails_naming_musicbrainz(self):
        w = self.w
        srv = w.server(PLAYROUTER_MUSICBRAINZ_BASE="http://127.0.0.1:%d/ws/2" % free_port(),
                       PLAYROUTER_MUSICBRAINZ_MAX_ATTEMPTS="2")
        try:
            u = self.user_base(srv, "mb-carol", 30, leaf("genre", "exists"))
            w.emu.reset_request_log()
            ev = w.sync(srv, u["token"], u["base"]["id"])
            self.assertEqual(ev["status"], "failed")
            self.assertIn("MusicBrainz could not be reached", ev["error_message"])
            self.assertEqual(ev["metadata_requests"], {"musicbrainz": 2})
            self.assertEqual(w.spotify_writes(), [])
        finally:
            w.stop_server(srv)

    def test_04_uri_too_long_halves_the_batch(self):
        w = self.w
        # An edge that takes URLs of at most 1,500 bytes: about 50 isrc: terms.
        mb = MusicBrainzEmulator.matching(w.emu, rate=0, args=["--max-uri", "1500"]).start()
        srv = w.server(PLAYROUTER_MUSICBRAINZ_BASE=mb.ws_base, PLAYROUTER_MUSICBRAINZ_RATE="20")
        try:
            u = self.user_base(srv, "mb-dave", 150, leaf("original_year", "gte", 1990))
            ev = w.sync(srv, u["token"], u["base"]["id"])
            self.assertEqual(ev["status"], "completed", ev["error_message"])
            log = [r for r in mb.request_log() if r["path"].startswith("/ws/2")]
            # a 414 teaches the size: after the first success of a kind, no more 414s of it
            for route in ("GET /ws/2/recording", "GET /ws/2/artist"):
                st = [r["status"] for r in log if r["route"] == route]
                self.assertIn(414, st, route)
                self.assertNotIn(414, st[st.index(200):], "%s: %s" % (route, st))
            self.assertEqual(ev["metadata_requests"]["musicbrainz"], len(log))
            ok = [r for r in log if r["status"] == 200]
            self.assertTrue(all(len(r["path"]) + len(r["query"]) + 1 <= 1500 for r in ok))
            w.check_contents(w.plan(u["spid"], u["children"]), u["children"])
        finally:
            w.stop_server(srv)
            self.assertEqual(mb.stop(), 0)


if __name__ == "__main__":
    unittest.main(verbosity=2)
