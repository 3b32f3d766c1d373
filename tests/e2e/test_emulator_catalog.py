"""Spotify emulator: the catalogue (deterministic generator, demo ids, --catalog
files), start-up and shutdown."""
import json
import os
import signal
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from emulator import Emulator, SLOW  # noqa: E402

# README.md "Demo catalogue": with no flags (seed 42) these ids never change.
DEMO_IDS = {
    ("demo", "Everything I like"): ("fdvaiSC7EBuaE29215mRQE", 500),
    ("demo", "Chill"): ("4IkDvAt59hNYPXHgVww6e1", 0),
    ("demo", "Workout"): ("jlI0uAfUKYIvJ0i9kqUFNV", 0),
    ("demo", "Indie picks"): ("NqrfmNrOg1ndYzxbrFI0s5", 0),
    ("alice", "Alice's public mix"): ("zi8WBuVKNkYxUAphiJeNpY", 120),
    ("alice", "Alice's secret mix"): ("xM8L5wfplz7FkIWAaY1T3F", 40),
    ("bob", "Road trip (collaborative)"): ("YaVVK5ZqPh3VVlBUMHpGsy", 30),
}


def stopped(test, emu):
    code = emu.stop()
    test.assertEqual(code, 0, emu.stderr())


class CatalogTest(unittest.TestCase):
    def test_demo_catalogue_ids_are_fixed(self):
        emu = Emulator(args=[]).start()
        try:
            got = {(p["owner"], p["name"]): (p["id"], p["total"]) for p in emu.playlists()}
            self.assertEqual(got, DEMO_IDS)
            self.assertIn("fdvaiSC7EBuaE29215mRQE", emu.stderr())  # logged at start-up
            items = emu.playlist("fdvaiSC7EBuaE29215mRQE")["items"]
            tracks = [i["uri"] for i in items if i["type"] == "track" and not i["is_local"]]
            self.assertEqual((sum(i["is_local"] for i in items),
                              sum(i["type"] == "episode" for i in items),
                              len(tracks) - len(set(tracks))), (6, 6, 11))
            cat = emu.catalog()
            self.assertEqual((len(cat["tracks"]), len(cat["artists"]), len(cat["albums"])),
                             (3000, 400, 800))
            self.assertEqual([u["id"] for u in cat["users"]], ["demo", "alice", "bob", "carol"])
        finally:
            stopped(self, emu)

    def test_same_seed_same_catalogue_other_seed_differs(self):
        args = ["--tracks", "300", "--artists", "60", "--albums", "90",
                "--playlist", "demo:base:150"]
        a = Emulator(args=args + ["--seed", "5"]).start()
        b = Emulator(args=args + ["--seed", "5"]).start()
        c = Emulator(args=args + ["--seed", "6"]).start()
        try:
            ca, cb, cc = a.catalog(), b.catalog(), c.catalog()
            self.assertEqual(ca, cb)
            self.assertNotEqual([t["id"] for t in ca["tracks"]], [t["id"] for t in cc["tracks"]])
            self.assertEqual(len(ca["tracks"]), 300)
            self.assertEqual(len(ca["artists"]), 60)
            self.assertEqual(len(ca["albums"]), 90)
        finally:
            for e in (a, b, c):
                stopped(self, e)

    def test_generated_metadata_is_realistic(self):
        emu = Emulator(args=["--tracks", "1000", "--no-demo"]).start()
        try:
            cat = emu.catalog()
        finally:
            stopped(self, emu)
        counts = [len(a["genres"]) for a in cat["artists"]]
        self.assertEqual(set(counts), {0, 1, 2, 3})
        for a in cat["artists"]:
            self.assertEqual(len(a["genres"]), len(set(a["genres"])))
            self.assertTrue(0 <= a["popularity"] <= 100)
        genres = {g for a in cat["artists"] for g in a["genres"]}
        self.assertTrue({"indie rock", "shoegaze", "hip hop", "dream pop"} <= genres)
        precisions = {al["release_date_precision"] for al in cat["albums"]}
        self.assertEqual(precisions, {"year", "month", "day"})
        pattern = {"year": r"^\d{4}$", "month": r"^\d{4}-\d{2}$", "day": r"^\d{4}-\d{2}-\d{2}$"}
        for al in cat["albums"]:
            self.assertRegex(al["release_date"], pattern[al["release_date_precision"]])
            self.assertTrue(al["label"])
            self.assertIn(al["album_type"], ("album", "single", "compilation"))
        self.assertEqual({t["explicit"] for t in cat["tracks"]}, {True, False})
        self.assertEqual(len({t["isrc"] for t in cat["tracks"]}), 1000)
        self.assertTrue(all(90000 <= t["duration_ms"] <= 400000 for t in cat["tracks"]))

    def test_playlist_flag_sizes_and_plain(self):
        emu = Emulator(args=["--tracks", "400", "--no-demo", "--playlist", "demo:base:2000",
                             "--playlist", "alice:clean:50:plain"]).start()
        try:
            base = emu.playlist(emu.playlist_id("demo", "base"))
            self.assertEqual(base["total"], 2000)
            kinds = [i["type"] for i in base["items"]]
            self.assertEqual(kinds.count("episode"), 21)
            self.assertEqual(sum(1 for i in base["items"] if i["is_local"]), 21)
            clean = emu.playlist(emu.playlist_id("alice", "clean"))
            self.assertEqual(clean["total"], 50)
            self.assertEqual(len(set(clean["uris"])), 50)
            self.assertTrue(all(u.startswith("spotify:track:") for u in clean["uris"]))
        finally:
            stopped(self, emu)

    def test_catalog_file_round_trip(self):
        src = Emulator(args=["--tracks", "120", "--artists", "30", "--albums", "40",
                             "--episodes", "5"]).start()
        try:
            cat = src.catalog()
            pid = src.playlist_id("demo", "Everything I like")
            src_items = src.playlist(pid)["items"]
        finally:
            stopped(self, src)
        with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
            json.dump(cat, f)
            path = f.name
        try:
            dst = Emulator(mode="extended", args=["--catalog", path]).start()
            try:
                self.assertEqual(dst.catalog(), cat)
                self.assertEqual(dst.playlist(pid)["items"], src_items)
                t = cat["tracks"][3]
                tok = dst.sign_in_token("demo")
                status, _, body = dst.api("GET", "/tracks?ids=" + t["id"], token=tok)
                self.assertEqual(status, 200)
                self.assertEqual((body["tracks"][0]["name"], body["tracks"][0]["popularity"]),
                                 (t["name"], t["popularity"]))
            finally:
                stopped(self, dst)
        finally:
            os.unlink(path)

    def test_minimal_catalog_file_and_bad_file(self):
        doc = {"artists": [{"id": "a1", "name": "Solo", "genres": ["shoegaze"]}],
               "albums": [{"id": "al1", "name": "LP", "artists": ["a1"], "release_date": "1991"}],
               "tracks": [{"id": "t1", "name": "Song", "album": "al1", "artists": ["a1"]}],
               "playlists": [{"id": "p1", "name": "Mine", "owner": "demo",
                              "items": ["spotify:track:t1", "spotify:track:t1",
                                        {"uri": "spotify:local:A:B:C:100",
                                         "added_at": "2020-05-01T10:00:00Z"}]}]}
        with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
            json.dump(doc, f)
            path = f.name
        try:
            emu = Emulator(args=["--catalog", path]).start()
            try:
                p = emu.playlist("p1")
                self.assertEqual(p["uris"], ["spotify:track:t1", "spotify:track:t1",
                                             "spotify:local:A:B:C:100"])
                self.assertEqual(p["items"][2]["added_at"], "2020-05-01T10:00:00Z")
                self.assertEqual(emu.album("al1")["release_date_precision"], "year")
            finally:
                stopped(self, emu)
            doc["tracks"][0]["album"] = "missing"
            with open(path, "w") as f:
                json.dump(doc, f)
            r = subprocess.run([os.path.join(emu.build_dir, "spotify-emulator"), "--catalog", path],
                               capture_output=True, timeout=30 * SLOW)
            self.assertEqual(r.returncode, 1)
            self.assertIn(b"unknown album", r.stderr)
            self.assertEqual(r.stdout, b"")
        finally:
            os.unlink(path)

    def test_help_and_bad_flags(self):
        binary = os.path.join(Emulator().build_dir, "spotify-emulator")
        r = subprocess.run([binary, "--help"], capture_output=True, timeout=30 * SLOW)
        self.assertEqual(r.returncode, 0)
        self.assertIn(b"--playlist", r.stdout)
        r = subprocess.run([binary, "--mode", "bogus"], capture_output=True, timeout=30 * SLOW)
        self.assertEqual(r.returncode, 2)
        r = subprocess.run([binary, "--playlist", "demo:x"], capture_output=True,
                           timeout=30 * SLOW)
        self.assertNotEqual(r.returncode, 0)

    def test_exactly_one_stdout_line_and_clean_exit(self):
        binary = os.path.join(Emulator().build_dir, "spotify-emulator")
        env = dict(os.environ)
        env.setdefault("ASAN_OPTIONS", "detect_leaks=1")
        p = subprocess.Popen([binary, "--port", "0", "--tracks", "20", "--no-demo"],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
        first = p.stdout.readline().decode()
        self.assertRegex(first, r"^listening on http://127\.0\.0\.1:\d+\n$")
        p.send_signal(signal.SIGTERM)
        rest, err = p.communicate(timeout=30 * SLOW)
        self.assertEqual(rest, b"")
        self.assertEqual(p.returncode, 0, err.decode(errors="replace"))
        self.assertIn(b"signal 15", err)

if __name__ == "__main__":
    unittest.main()
