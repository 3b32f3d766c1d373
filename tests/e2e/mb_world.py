"""Shared by the MusicBrainz and tags end-to-end tests (Python standard library only).

A World is a Spotify emulator and a MusicBrainz emulator over one catalogue, and
playrouter servers pointed at both. Expected playlist contents are computed by
rules_reference.py (written from API.md) from the emulators' ground truth: the Spotify
emulator's catalogue (/__admin/tracks) and the MusicBrainz emulator's /__admin/truth
(genres and original_year as API.md defines them), never from playrouter's answers.

    w = World(mode="development", spotify_args=["--playlist", "demo:Base:300"]).start()
    srv = w.server()                       # PLAYROUTER_MUSICBRAINZ_BASE = the emulator
    token = w.sign_in(srv, "demo")
    plan = w.plan(spid, children, tags={...})
    w.stop()
"""
import json
import os
import subprocess
import sys
import time
import unittest
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import BUILD_DIR, SLOW, Server, free_port  # noqa: E402
import emulator as EMU  # noqa: E402
import rules_reference as R  # noqa: E402
from musicbrainz_emulator import MusicBrainzEmulator  # noqa: E402

CONTACT = "tests@playrouter.invalid"
WRITE_METHODS = ("POST", "PUT", "DELETE")


def playrouter_version():
    out = subprocess.run([os.path.join(BUILD_DIR, "playrouter"), "--version"],
                         capture_output=True, timeout=30 * SLOW).stdout.decode()
    return out.strip().split(" ", 1)[1]


def user_agent():
    """What API.md says the server sends: playrouter/<version> ( <PLAYROUTER_CONTACT> )."""
    return "playrouter/%s ( %s )" % (playrouter_version(), CONTACT)


# The acceptance suite's readings of the emulator's playlists and of a comparison.
from test_sync_acceptance import base_entries, leaf  # noqa: E402,F401


class World:
    def __init__(self, mode="development", spotify_args=(), mb_rate=0, mb_args=()):
        self.mode = mode
        self.spotify_args = list(spotify_args)
        self.mb_rate = mb_rate
        self.mb_args = list(mb_args)
        self.emu = self.mb = None
        self.servers = []
        self._truth = {}
        self._tracks = {}

    def start(self):
        try:
            self.emu = EMU.Emulator(mode=self.mode, args=self.spotify_args).start()
            self.mb = MusicBrainzEmulator.matching(self.emu, rate=self.mb_rate,
                                                   args=self.mb_args).start()
        except BaseException:
            self.stop()
            raise
        return self

    def server(self, musicbrainz=True, **env):
        """A new playrouter with its own data folder; musicbrainz=False sets it off."""
        port = free_port()
        e = {
            "PLAYROUTER_PORT": str(port),
            "SPOTIFY_REDIRECT_URI": "http://127.0.0.1:%d/api/auth/callback" % port,
            "SPOTIFY_CLIENT_ID": self.emu.client_id,
            "SPOTIFY_CLIENT_SECRET": self.emu.client_secret,
            "SPOTIFY_API_BASE": self.emu.api_base,
            "SPOTIFY_ACCOUNTS_BASE": self.emu.accounts_base,
            "SPOTIFY_API_MODE": self.mode,
            "PLAYROUTER_MUSICBRAINZ_BASE": self.mb.ws_base if musicbrainz else "off",
            "PLAYROUTER_CONTACT": CONTACT,
        }
        e.update(env)
        srv = Server(env=e)
        self.servers.append(srv)
        return srv.start()

    def stop_server(self, srv):
        """Stops srv; returns its exit code (non-zero on an ASan report)."""
        code = srv.stop()
        stderr = srv.stderr()
        srv.cleanup()
        self.servers.remove(srv)
        assert code == 0, "server exited with %s:\n%s" % (code, stderr[-4000:])

    def stop(self):
        codes = []
        for srv in list(self.servers):
            code = srv.stop()
            if code not in (0, None):
                codes.append((code, srv.stderr()[-4000:]))
            srv.cleanup()
        self.servers = []
        for p in (self.mb, self.emu):
            if p and p.proc:
                c = p.stop()
                if c != 0:
                    codes.append((c, p.stderr()[-2000:]))
        assert not codes, "a process exited badly: %s" % codes

    # ---- sessions and resources ----

    def sign_in(self, srv, user="demo"):
        status, headers, body = srv.request("GET", "/api/auth/login")
        assert status == 302, (status, body)
        u = urllib.parse.urlsplit(headers["location"])
        status, headers, body = self.emu.request("GET", "%s?%s&user=%s" % (u.path, u.query, user))
        assert status == 302, (status, body)
        cb = urllib.parse.urlsplit(headers["location"])
        status, _, body = srv.request("GET", cb.path + "?" + cb.query)
        assert status == 200 and body.get("token"), (status, body)
        return body["token"]

    @staticmethod
    def api(srv, token, method, path, body=None, timeout=120):
        return srv.request(method, path, body=body, token=token, timeout=timeout)

    def create_base(self, srv, token, spid):
        status, _, body = self.api(srv, token, "POST", "/api/base-playlists",
                                   {"spotify_playlist_id": spid})
        assert status == 201, (status, body)
        return body

    def create_child(self, srv, token, base_id, spec):
        status, _, body = self.api(srv, token, "POST",
                                   "/api/base-playlists/%s/child-playlists" % base_id, spec)
        assert status == 201, (spec.get("name"), status, body)
        return body

    def sync(self, srv, token, base_id):
        status, _, ev = self.api(srv, token, "POST", "/api/base-playlists/%s/sync" % base_id,
                                 timeout=300)
        assert status == 200, (status, ev)
        return ev

    # ---- the emulators' truth -> reference views ----

    def truth(self, track_id):
        """The MusicBrainz emulator's ground truth of a Spotify track's ISRC."""
        if track_id not in self._truth:
            self._truth[track_id] = self.mb.truth_track(track_id)
        return self._truth[track_id]

    def spotify_track(self, track_id):
        if track_id not in self._tracks:
            self._tracks[track_id] = self.emu.track(track_id)
        return self._tracks[track_id]

    def load_tracks(self, ids):
        """Fetches the Spotify metadata of many tracks at once (cache)."""
        missing = [i for i in ids if i not in self._tracks]
        for k in range(0, len(missing), 200):
            for t in self.emu.tracks(missing[k:k + 200]):
                if t:
                    self._tracks[t["id"]] = t

    def view(self, track_id, musicbrainz=True, tags=None):
        """The reference's track view. musicbrainz: the server's MusicBrainz is on.
        tags: {"tracks": {id: [...]}, "artists": {id: [...]}} (normalised)."""
        t = self.spotify_track(track_id)
        al = t["album"]
        mbv = None
        if musicbrainz:
            tr = self.truth(track_id)
            mbv = {"genres": tr.get("genres") or [], "original_year": tr.get("original_year")}
        tags = tags or {}
        return R.make_track(
            t["id"], name=t["name"], isrc=t.get("isrc"),
            artists=[{"id": a["id"], "name": a["name"], "genres": a.get("genres") or [],
                      "popularity": a.get("popularity")} for a in t["artists"]],
            album={"id": al["id"], "name": al["name"], "album_type": al.get("album_type"),
                   "release_date": al.get("release_date"), "label": al.get("label"),
                   "popularity": al.get("popularity")},
            track_number=t.get("track_number"), disc_number=t.get("disc_number"),
            duration_ms=t.get("duration_ms"), explicit=t.get("explicit"),
            popularity=t.get("popularity"),
            musicbrainz=mbv, spotify_genres=self.mode == "extended",
            tags=(tags.get("tracks") or {}).get(track_id),
            tagged=tags.get("artists") or {})

    def entries(self, spid):
        return base_entries(self.emu.playlist(spid))

    def track_ids(self, spid):
        return [e["track_id"] for e in self.entries(spid)
                if e["track_id"] and not e["is_local"] and e["kind"] == "track"]

    def plan(self, spid, children, musicbrainz=True, tags=None):
        ids = self.track_ids(spid)
        self.load_tracks(ids)
        catalogue = {i: self.view(i, musicbrainz, tags) for i in set(ids)}
        plan = R.compute_targets(self.entries(spid), catalogue, children)
        assert plan.ambiguities == [], plan.ambiguities
        return plan

    def check_contents(self, plan, children):
        """Each child's Spotify playlist holds exactly its planned target."""
        for c in children:
            got = self.emu.playlist_uris(c["spotify_playlist_id"])
            want = ["spotify:track:%s" % i for i in plan.targets[c["id"]]]
            if got != want:
                extra = [u for u in got if u not in set(want)][:5]
                lacking = [u for u in want if u not in set(got)][:5]
                raise AssertionError("child %r (%s) holds %d tracks, expected %d; unexpected %s;"
                                     " missing %s" % (c["name"], json.dumps(c["filter"]), len(got),
                                                      len(want), extra, lacking))

    # ---- what MusicBrainz was asked ----

    def ws_log(self):
        return [r for r in self.mb.request_log() if r["path"].startswith("/ws/2")]

    def ws_count(self):
        return sum(sum(v.values()) for k, v in self.mb.counters().items()
                   if k.startswith("GET /ws/2"))

    def spotify_writes(self):
        """Web API write requests in the Spotify emulator's log: [(method, path)]."""
        return [(r["method"], r["path"]) for r in self.emu.request_log()
                if r["method"] in WRITE_METHODS and r["path"].startswith("/v1/")]

    def physical_minimum(self, track_ids):
        """docs/musicbrainz.md §6: ceil(R/100) + ceil(M/100) + 1 (the genre list), R the
        distinct recordings of the tracks' ISRCs, M their distinct credited artists."""
        recs, arts = set(), set()
        for i in set(track_ids):
            tr = self.truth(i)
            for r in tr.get("recordings") or []:
                recs.add(r["id"])
                arts.update(r.get("artists") or [])
        return -(-len(recs) // 100) + -(-len(arts) // 100) + 1, len(recs), len(arts)


class WorldTest(unittest.TestCase):
    """A test class on one World whose steps run in order (test_01_…, test_02_…): a step
    that fails skips the later ones. Class attributes: MODE, SPOTIFY_ARGS, MB_RATE, SERVER
    (the keyword arguments of World.server(), or None for no shared server) and USERS
    (signed in on it: self.tokens[user]; self.token is the first's). ORDERED = False runs
    every step whatever the others did."""
    ORDERED = True
    MODE = "development"
    SPOTIFY_ARGS = ()
    MB_RATE = 0
    SERVER = {}
    USERS = ("demo",)

    @classmethod
    def setUpClass(cls):
        cls.t0 = time.time()
        cls.state = {}
        cls.w = World(mode=cls.MODE, mb_rate=cls.MB_RATE, spotify_args=cls.SPOTIFY_ARGS).start()
        try:
            cls.srv = cls.w.server(**cls.SERVER) if cls.SERVER is not None else None
            cls.tokens = {}
            for user in cls.USERS if cls.srv else ():
                if user != "demo":
                    cls.w.emu.create_user(user)
                cls.tokens[user] = cls.w.sign_in(cls.srv, user)
            cls.token = cls.tokens.get(cls.USERS[0]) if cls.USERS else None
        except BaseException:
            cls.w.stop()
            raise

    @classmethod
    def tearDownClass(cls):
        cls.w.stop()
        sys.stderr.write("[%s: %.1fs]\n" % (cls.__name__, time.time() - cls.t0))

    def setUp(self):
        if self.ORDERED and self.state.get("failed"):
            self.skipTest("an earlier step failed: %s" % self.state["failed"])

    def run(self, result=None):
        n = len(result.failures) + len(result.errors) if result else 0
        out = super().run(result)
        if result and len(result.failures) + len(result.errors) > n:
            self.state["failed"] = self.id()
        return out
