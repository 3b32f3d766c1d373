#!/usr/bin/env python3
"""Sync benchmarks of playrouter (issue 8), Python standard library only.

    python3 bench/sync_bench.py --build BUILD_DIR [--modes extended,development]
    python3 bench/sync_bench.py --build BUILD_DIR --serve-http INFO.json   (for http_bench.sh)

For each API mode it starts a Spotify emulator (build/spotify-emulator, 20 ms per
request) loaded with a catalogue this script generates (deterministic, seed 2026), a
redis-server, and playrouter servers on free loopback ports, and runs scenario S1:

  1. cold        5,000-track base (2,500 artists, 1,500 albums), 5 empty children whose
                 rules each match about 20% (extended: genre + release year;
                 development: artist + release year), empty cache (Redis flushed)
  2. no change   re-sync, nothing changed
  3. +10 tracks  re-sync after 10 new tracks (5 new albums by artists the base has,
                 5 of the tracks featuring a new artist) were appended to the base
  L. Liked Songs the same 5,000 tracks as the user's saved tracks (Liked Songs, newest
                 first), a base with source "liked" and 5 empty children with case 1's
                 rules, Redis flushed: cold, then re-synced with nothing changed (after
                 case 4's warm run, so that one keeps its warm cache), then re-synced
                 after one new save (5,001 saved tracks)
  4. 2nd base    a second 5,000-track base sharing half of the first one's artists:
                 synced with Redis warm (after 1-3), then again on a fresh user with
                 Redis flushed; prints the artist requests the warm cache saved
  5. P=1         case 1 again (fresh server, user and database, Redis flushed, children
                 emptied) with the default parallelism and with
                 PLAYROUTER_SPOTIFY_PARALLELISM=1, interleaved, --repeat times each (3);
                 the bar compares the median wall times
  R. 10k RSS     cold sync of a 10,000-track base on a fresh server: peak RSS
  6. rule        re-sync of base 1 (after 3) once child 0's rule changed (its release-year
                 condition narrowed): the stored base serves, no base page is read; bar:
                 at most the child's writes + 3 requests (1 snapshot check, 2 to spare)
  9. streams     1,000 open GET /api/sync-events/{id}/stream on a sync that waits on
                 Spotify: the server's threads (must not grow with the streams) and RSS
                 with 0, 1 and 1,000 streams open, and the time for all 1,000 to get
                 their `done`

Every case runs on a fresh server process (same database and Redis where the case
needs earlier state), so the peak RSS (VmHWM) is that case's own. Spotify requests
are the emulator's per-endpoint counters, reset before each sync; CPU time is the
server's utime+stime over the sync (/proc/PID/stat); wall time is around the POST.
A missed bar is printed as MISS with its number; nothing is tuned to pass.
"""
import argparse
import hashlib
import http.client
import json
import math
import os
import random
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE_DIR = os.path.dirname(HERE)

LATENCY_MS = 20
SEED_HEADLINE_READS = 460  # seed 001: "Total: ~460 requests" for 5,000 tracks
N_STREAMS = 1000
STREAM_HOLD_MS = 12000  # the sync's one request waits this long while streams are opened
WRITE_METHODS = ("POST", "PUT", "DELETE")
CLK_TCK = os.sysconf("SC_CLK_TCK")
CLIENT_ID = "playrouter-bench"
CLIENT_SECRET = "playrouter-bench-secret"
USER = "demo"


# ---------------------------------------------------------------- processes

def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def _die_with_parent():
    """In the child before exec: get SIGTERM when this script dies, however it dies."""
    try:
        import ctypes
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except Exception:
        pass


class Proc:
    """A child process whose stdout we scan for a readiness line; stopped by stop()."""
    ALL = []

    def __init__(self, name, argv, env=None, log_dir=None):
        self.name = name
        self.argv = argv
        self.env = env
        self.log_path = os.path.join(log_dir, name + ".log") if log_dir else os.devnull
        self.proc = None
        Proc.ALL.append(self)

    def start(self, ready=None, timeout=60):
        """ready: a prefix of a stdout line that means "up"; returns the rest of that line."""
        self._log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(self.argv, env=self.env, stdout=subprocess.PIPE,
                                     stderr=self._log, stdin=subprocess.DEVNULL,
                                     preexec_fn=_die_with_parent)
        if ready is None:
            return None
        deadline = time.time() + timeout
        buf = b""
        fd = self.proc.stdout.fileno()
        while time.time() < deadline:
            r, _, _ = select.select([fd], [], [], 0.2)
            if r:
                chunk = os.read(fd, 65536)
                if not chunk:
                    break
                self._log.write(chunk)
                buf += chunk
                while b"\n" in buf:
                    line, buf = buf.split(b"\n", 1)
                    text = line.decode(errors="replace").strip()
                    if text.startswith(ready):
                        self._drain()
                        return text[len(ready):].strip()
            elif self.proc.poll() is not None:
                break
        self.stop()
        raise RuntimeError("%s did not start (see %s)" % (self.name, self.log_path))

    def _drain(self):
        # Keep reading stdout in the background so the child never blocks on a full pipe.
        import threading

        def pump(f, log):
            try:
                for chunk in iter(lambda: f.read1(65536), b""):
                    log.write(chunk)
            except (ValueError, OSError):
                pass
        threading.Thread(target=pump, args=(self.proc.stdout, self._log), daemon=True).start()

    @property
    def pid(self):
        return self.proc.pid

    def stop(self, timeout=20):
        if not self.proc:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        code = self.proc.returncode
        self.proc = None
        try:
            self._log.close()
        except Exception:
            pass
        return code

    @classmethod
    def stop_all(cls):
        for p in reversed(cls.ALL):
            try:
                p.stop(5)
            except Exception:
                pass


def proc_cpu_s(pid):
    """utime + stime of the whole process (live and exited threads), seconds."""
    with open("/proc/%d/stat" % pid) as f:
        rest = f.read().rsplit(")", 1)[1].split()
    return (int(rest[11]) + int(rest[12])) / CLK_TCK


def proc_status_kb(pid, key):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    return 0


# ---------------------------------------------------------------- HTTP

def call(base_url, method, path, body=None, headers=None, token=None, timeout=600):
    """(status, headers with lower-case names, parsed JSON or text)."""
    u = urllib.parse.urlsplit(base_url)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=timeout)
    hdrs = dict(headers or {})
    data = None
    if body is not None:
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        hdrs.setdefault("Content-Type", "application/json")
    if token:
        hdrs["Authorization"] = "Bearer " + token
    conn.request(method, (u.path.rstrip("/") + path) if u.path not in ("", "/") else path,
                 body=data, headers=hdrs)
    resp = conn.getresponse()
    payload = resp.read()
    out_headers = {k.lower(): v for k, v in resp.getheaders()}
    conn.close()
    if payload and out_headers.get("content-type", "").startswith("application/json"):
        return resp.status, out_headers, json.loads(payload)
    return resp.status, out_headers, payload.decode(errors="replace")


def expect(status, want, what, body):
    if status != want:
        raise RuntimeError("%s: HTTP %s, want %s: %s" % (what, status, want, str(body)[:600]))


# ---------------------------------------------------------------- catalogue

GENRES = [
    "indie rock", "shoegaze", "hip hop", "dream pop", "post-punk", "synthpop", "trip hop",
    "neo soul", "alternative r&b", "bedroom pop", "art pop", "garage rock", "lo-fi beats",
    "techno", "deep house", "ambient", "drum and bass", "uk garage", "k-pop", "latin pop",
    "reggaeton", "afrobeats", "country", "americana", "indie folk", "emo", "pop punk",
    "metalcore", "black metal", "classical", "new wave", "disco", "funk", "soul", "blues",
    "grunge", "jazz fusion", "chillwave", "hyperpop", "singer-songwriter",
]
ADJ = ["Silver", "Quiet", "Electric", "Golden", "Broken", "Velvet", "Neon", "Hollow", "Wild",
       "Paper", "Crystal", "Midnight", "Lonely", "Burning", "Frozen", "Distant", "Sweet",
       "Violet", "Restless", "Static", "Bright", "Faded", "Secret", "Northern", "Summer"]
NOUN = ["Heart", "River", "Ghost", "Signal", "Garden", "Echo", "Highway", "Ocean", "Mirror",
        "Window", "Satellite", "Harbor", "Lantern", "Machine", "Forest", "Letter", "Morning",
        "Shadow", "Thunder", "Balloon", "Planet", "Tide", "Feather", "Motel", "Parade"]
B62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def sid(kind, n):
    """A deterministic 22-character base62 Spotify id."""
    h = int.from_bytes(hashlib.sha256(("%s:%s" % (kind, n)).encode()).digest()[:17], "big")
    out = []
    for _ in range(22):
        h, r = divmod(h, 62)
        out.append(B62[r])
    return "".join(out)


class Catalogue:
    """The benchmark world, generated in Python and loaded with --catalog.

    Bases are built from disjoint albums; each base's artists are exactly the pool
    it is given (album artists first, the rest as featured artists)."""

    def __init__(self, seed=2026):
        self.r = random.Random(seed)
        self.artists = []   # dicts in file format
        self.albums = []
        self.tracks = []
        self.playlists = []
        self.liked = []        # the user's saved tracks, newest first
        self.track_meta = {}   # track id -> (artist ids, release year)
        self.artist_by_id = {}

    def new_artists(self, n):
        out = []
        for _ in range(n):
            i = len(self.artists)
            ng = self.r.choice((1, 1, 2, 2, 3))
            a = {"id": sid("artist", i),
                 "name": "%s %s %d" % (self.r.choice(ADJ), self.r.choice(NOUN), i),
                 "genres": self.r.sample(GENRES, ng),
                 "popularity": self.r.randrange(101),
                 "followers": self.r.randrange(2000000)}
            self.artists.append(a)
            self.artist_by_id[a["id"]] = a
            out.append(a["id"])
        return out

    def new_album(self, artist_ids):
        i = len(self.albums)
        year = 1965 + self.r.randrange(61)
        p = self.r.randrange(10)
        if p < 7:
            date = "%04d-%02d-%02d" % (year, 1 + self.r.randrange(12), 1 + self.r.randrange(28))
        elif p < 8:
            date = "%04d-%02d" % (year, 1 + self.r.randrange(12))
        else:
            date = "%04d" % year
        al = {"id": sid("album", i), "name": "%s %s" % (self.r.choice(ADJ), self.r.choice(NOUN)),
              "album_type": self.r.choice(("album", "album", "album", "single", "compilation")),
              "release_date": date, "label": "Bench Records",
              "popularity": self.r.randrange(101), "artists": list(artist_ids), "_year": year,
              "_n": 0}
        self.albums.append(al)
        return al

    def new_track(self, album, extra_artists=()):
        i = len(self.tracks)
        album["_n"] += 1
        arts = list(album["artists"]) + [a for a in extra_artists if a not in album["artists"]]
        t = {"id": sid("track", i), "name": "%s %s" % (self.r.choice(ADJ), self.r.choice(NOUN)),
             "album": album["id"], "artists": arts,
             "duration_ms": 95000 + self.r.randrange(300000),
             "explicit": self.r.randrange(4) == 0,
             "isrc": "QZBN0%07d" % i, "track_number": album["_n"], "disc_number": 1,
             "popularity": self.r.randrange(101)}
        self.tracks.append(t)
        self.track_meta[t["id"]] = (arts, album["_year"])
        return t["id"]

    def build_base(self, artist_pool, n_albums, n_tracks):
        """n_tracks new tracks on n_albums new albums whose artists are exactly artist_pool."""
        pool = list(artist_pool)
        self.r.shuffle(pool)
        n_primary = min(n_albums, len(pool))
        primary, rest = pool[:n_primary], pool[n_primary:]
        albums = []
        for k in range(n_albums):
            arts = [primary[k % n_primary]]
            albums.append(self.new_album(arts))
        # spread tracks over the albums (3-4 each), featured artists cover the rest
        per_album = [n_tracks // n_albums] * n_albums
        for k in range(n_tracks - sum(per_album)):
            per_album[k] += 1
        feats = list(rest)
        slots = [(ai, j) for ai, cnt in enumerate(per_album) for j in range(cnt)]
        self.r.shuffle(slots)
        feat_at = {}
        for idx, s in enumerate(slots[:len(feats)]):
            feat_at[s] = feats[idx]
        ids = []
        for ai, cnt in enumerate(per_album):
            for j in range(cnt):
                extra = [feat_at[(ai, j)]] if (ai, j) in feat_at else []
                ids.append(self.new_track(albums[ai], extra))
        self.r.shuffle(ids)
        return ids

    def add_playlist(self, name, track_ids):
        pid = sid("playlist", name)
        self.playlists.append({"id": pid, "owner": USER, "name": name, "public": False,
                               "items": ["spotify:track:" + t for t in track_ids]})
        return pid

    def to_json(self):
        strip = lambda d: {k: v for k, v in d.items() if not k.startswith("_")}
        return {"users": [{"id": USER, "display_name": "Bench User"}],
                "artists": self.artists,
                "albums": [strip(a) for a in self.albums],
                "tracks": self.tracks,
                "playlists": self.playlists,
                "liked": {USER: list(self.liked)}}

    def stats(self, track_ids):
        arts = set()
        for t in track_ids:
            arts.update(self.track_meta[t][0])
        ids = set(track_ids)
        albs = {tr["album"] for tr in self.tracks if tr["id"] in ids}
        return len(track_ids), len(arts), len(albs)


class World:
    """Everything the scenarios need, built once per run."""

    def __init__(self):
        c = self.cat = Catalogue()
        a1 = c.new_artists(2500)
        a2_own = c.new_artists(1250)
        self.base1 = c.build_base(a1, 1500, 5000)
        shared = random.Random(7).sample(a1, 1250)
        self.base2 = c.build_base(shared + a2_own, 1500, 5000)
        # 10 new tracks appended to base 1 in case 3: 5 new albums, each by an artist the
        # base already has, with 2 tracks, the second featuring one of 5 new artists
        known = random.Random(8).sample(a1, 5)
        new = c.new_artists(5)
        self.added = []
        for k in range(5):
            al = c.new_album([known[k]])
            self.added.append(c.new_track(al))
            self.added.append(c.new_track(al, [new[k]]))
        a3 = c.new_artists(5000)
        self.base10k = c.build_base(a3, 3000, 10000)
        self.shared_artists = len(shared)
        self.p_base1 = c.add_playlist("S1 base", self.base1)
        self.p_base2 = c.add_playlist("S1 second base", self.base2)
        self.p_base10k = c.add_playlist("R 10k base", self.base10k)
        c.liked = list(self.base1)  # case L: base 1's tracks as the user's Liked Songs
        # Empty child playlists: one set per sync that needs "children initially empty".
        self.child_sets = {}
        for tag in ("cold", "par-default", "p1", "base2-warm", "base2-cold", "10k", "http",
                    "liked"):
            self.child_sets[tag] = [c.add_playlist("child %s %d" % (tag, k), []) for k in range(5)]

    def write(self, path):
        with open(path, "w") as f:
            json.dump(self.cat.to_json(), f)


# ---------------------------------------------------------------- rules

def year_conds():
    """The release-year half of each child's rule (five different windows)."""
    return [
        {"field": "release_year", "op": "lt", "value": 1995},
        {"field": "release_year", "op": "gte", "value": 1985},
        {"field": "release_year", "op": "between", "value": [1975, 2010]},
        {"field": "release_year", "op": "gte", "value": 2000},
        {"field": "release_year", "op": "lt", "value": 2015},
    ]


def year_ok(cond, y):
    op, v = cond["op"], cond["value"]
    return {"lt": y < v if op == "lt" else None, "gte": y >= v if op == "gte" else None,
            "between": (v[0] <= y <= v[1]) if op == "between" else None}[op]


def make_rules(world, track_ids, mode, target_frac=0.20):
    """Five rules on (genre | artist) + release year, each matching about target_frac of
    the base, chosen greedily from the generated data. Returns [(rule, expected)]."""
    cat = world.cat
    n = len(track_ids)
    target = round(n * target_frac)
    out = []
    rng = random.Random(11)
    for k, yc in enumerate(year_conds()):
        in_window = [t for t in track_ids if year_ok(yc, cat.track_meta[t][1])]
        # value -> tracks of the window carrying it
        by_val = {}
        for t in in_window:
            arts = cat.track_meta[t][0]
            vals = set()
            for a in arts:
                if mode == "extended":
                    vals.update(g.lower() for g in cat.artist_by_id[a]["genres"])
                else:
                    vals.add(cat.artist_by_id[a]["name"])
            for v in vals:
                by_val.setdefault(v, set()).add(t)
        vals = sorted(by_val)
        rng.shuffle(vals)
        chosen, covered = [], set()
        for v in vals:
            gain = by_val[v] - covered
            if not gain:
                continue
            if abs(len(covered | gain) - target) <= abs(len(covered) - target):
                chosen.append(v)
                covered |= gain
            if len(covered) >= target:
                break
        field = "genre" if mode == "extended" else "artist_name"
        rule = {"all": [{"field": field, "op": "in", "value": sorted(chosen)}, yc]}
        out.append((rule, len(covered)))
    return out


# ---------------------------------------------------------------- emulator, redis, server

class Bench:
    def __init__(self, build, mode, world, work, redis_url, log_dir):
        self.build = build
        self.mode = mode
        self.world = world
        self.work = work
        self.redis_url = redis_url
        self.log_dir = log_dir
        self.emu = None
        self.emu_url = None
        self.procs = []

    def stop(self):
        for p in self.procs:
            p.stop()
        if self.emu:
            self.emu.stop()

    # emulator
    def start_emulator(self, catalog_path):
        port = free_port()
        self.server_port = free_port()  # the server's callback must be known up front
        argv = [os.path.join(self.build, "spotify-emulator"), "--port", str(port),
                "--mode", self.mode, "--catalog", catalog_path,
                "--latency-ms", str(LATENCY_MS), "--client-id", CLIENT_ID,
                "--client-secret", CLIENT_SECRET, "--redirect-uri", self.redirect_uri()]
        self.emu = Proc("emulator-" + self.mode, argv, log_dir=self.log_dir)
        self.emu_url = self.emu.start("listening on ", timeout=120).rstrip("/")
        st, _, cfg = call(self.emu_url, "GET", "/__admin/config")
        expect(st, 200, "emulator config", cfg)
        if cfg.get("mode") != self.mode or cfg.get("latency_ms") != LATENCY_MS:
            raise RuntimeError("emulator config is not what was asked: %s" % cfg)

    def redirect_uri(self, port=None):
        return "http://127.0.0.1:%d/api/auth/callback" % (port or self.server_port)

    def admin(self, method, path, body=None, want=200):
        st, _, b = call(self.emu_url, method, "/__admin" + path, body=body)
        expect(st, want, "emulator admin %s %s" % (method, path), b)
        return b

    def reset_counters(self):
        self.admin("DELETE", "/counters")
        self.admin("DELETE", "/requests")

    def timeline(self, t0_ms):
        """Per endpoint, from the emulator's request log: count, first start and last end
        (ms after t0_ms) and the peak number of requests in flight at once."""
        log = self.admin("GET", "/requests").get("requests", [])
        by = {}
        for e in log:
            by.setdefault(e["route"], []).append((e["t_ms"], e["end_ms"]))
        out = []
        for route, iv in by.items():
            ev = sorted([(a, 1) for a, _ in iv] + [(z, -1) for _, z in iv], key=lambda x: (x[0], x[1]))
            cur = peak = 0
            for _, d in ev:
                cur += d
                peak = max(peak, cur)
            out.append({"route": route, "n": len(iv), "start_ms": min(a for a, _ in iv) - t0_ms,
                        "end_ms": max(z for _, z in iv) - t0_ms, "peak": peak})
        out.sort(key=lambda x: x["start_ms"])
        return out

    def counters(self):
        """{"METHOD /path/template": total count} of the Web API and accounts requests."""
        raw = self.admin("GET", "/counters")
        return {ep: sum(by_status.values()) for ep, by_status in raw.items()}

    def flush_redis(self):
        u = urllib.parse.urlsplit(self.redis_url)
        db = (u.path or "/0").lstrip("/") or "0"
        s = socket.create_connection((u.hostname, u.port), timeout=10)
        s.sendall(("*2\r\n$6\r\nSELECT\r\n$%d\r\n%s\r\n*1\r\n$7\r\nFLUSHDB\r\n" % (len(db), db)).encode())
        got = b""
        while got.count(b"\r\n") < 2:
            chunk = s.recv(100)
            if not chunk:
                break
            got += chunk
        s.close()
        if got != b"+OK\r\n+OK\r\n":
            raise RuntimeError("redis FLUSHDB failed: %r" % got)

    # server
    def server_env(self, data_dir, parallelism=None, extra=None):
        env = {k: v for k, v in os.environ.items()
               if not k.startswith("PLAYROUTER_") and not k.startswith("SPOTIFY_")}
        env.update({
            "PLAYROUTER_PORT": str(self.server_port),
            "PLAYROUTER_DB": os.path.join(data_dir, "playrouter.db"),
            "PLAYROUTER_LOG_LEVEL": "warn",
            "PLAYROUTER_REDIS_URL": self.redis_url,
            "SPOTIFY_API_BASE": self.emu_url + "/v1",
            "SPOTIFY_ACCOUNTS_BASE": self.emu_url,
            "SPOTIFY_API_MODE": self.mode,
            "SPOTIFY_CLIENT_ID": CLIENT_ID,
            "SPOTIFY_CLIENT_SECRET": CLIENT_SECRET,
            "SPOTIFY_REDIRECT_URI": self.redirect_uri(),
            # S1 counts Spotify's requests: genre comes from Spotify alone here (with
            # MusicBrainz on, extended mode's genre is the union of both sources and a
            # cold sync would wait on MusicBrainz's 1 request/s). MusicBrainz has its
            # own scenario (musicbrainz_bench.py, which sets its emulator's URL).
            "PLAYROUTER_MUSICBRAINZ_BASE": "off",
        })
        if parallelism is not None:
            env["PLAYROUTER_SPOTIFY_PARALLELISM"] = str(parallelism)
        env.update(extra or {})
        return env

    def start_server(self, name, data_dir, parallelism=None, extra=None):
        os.makedirs(data_dir, exist_ok=True)
        p = Proc("server-%s-%s" % (self.mode, name),
                 [os.path.join(self.build, "playrouter")],
                 env=self.server_env(data_dir, parallelism, extra), log_dir=self.log_dir)
        self.procs.append(p)
        url = p.start("listening on ", timeout=60).rstrip("/")
        p.url = url
        return p

    def check_children(self, child_playlist_ids, res):
        """The child playlists' sizes on "Spotify" against the SyncEvent's matched counts."""
        totals = [self.admin("GET", "/playlists/%s" % pid)["total"] for pid in child_playlist_ids]
        matched = [ch.get("matched") for ch in (res.get("event") or {}).get("children", [])]
        same = sorted(totals) == sorted(m for m in matched if m is not None)
        return "sizes %s %s SyncEvent matched %s" % (
            totals, "=" if same else "**differ from**", matched)

    def sign_in(self, srv):
        st, h, b = call(srv.url, "GET", "/api/auth/login")
        expect(st, 302, "GET /api/auth/login", b)
        loc = urllib.parse.urlsplit(h["location"])
        st, h, b = call("%s://%s" % (loc.scheme, loc.netloc), "GET",
                        loc.path + "?" + loc.query + "&user=" + USER)
        expect(st, 302, "emulator /authorize", b)
        cb = urllib.parse.urlsplit(h["location"])
        st, _, b = call(srv.url, "GET", cb.path + "?" + cb.query)
        expect(st, 200, "GET /api/auth/callback", b)
        return b["token"]

    def setup_base(self, srv, token, playlist_id, child_tag, rules):
        """playlist_id None: a base over the user's Liked Songs."""
        body = {"spotify_playlist_id": playlist_id} if playlist_id else {"source": "liked"}
        st, _, base = call(srv.url, "POST", "/api/base-playlists", body, token=token)
        expect(st, 201, "POST /api/base-playlists", base)
        children = []
        for k, (rule, _) in enumerate(rules):
            body = {"name": "child %d" % k, "filter": rule,
                    "spotify_playlist_id": self.world.child_sets[child_tag][k]}
            st, _, ch = call(srv.url, "POST", "/api/base-playlists/%s/child-playlists" % base["id"],
                             body, token=token)
            expect(st, 201, "POST child-playlists", ch)
            children.append(ch)
        return base, children

    def measure_sync(self, srv, token, base_id):
        """One sync, measured. Returns a dict of figures."""
        self.reset_counters()
        cpu0 = proc_cpu_s(srv.pid)
        ecpu0 = proc_cpu_s(self.emu.pid)
        t0_wall_ms = int(time.time() * 1000)
        t0 = time.monotonic()
        st, _, ev = call(srv.url, "POST", "/api/base-playlists/%s/sync" % base_id, token=token,
                         timeout=1800)
        wall = time.monotonic() - t0
        cpu1 = proc_cpu_s(srv.pid)
        ecpu1 = proc_cpu_s(self.emu.pid)
        expect(st, 200, "POST sync", ev)
        by_ep = self.counters()
        res = {"wall_s": wall, "cpu_s": cpu1 - cpu0, "emulator_cpu_s": ecpu1 - ecpu0,
               "rss_kb": proc_status_kb(srv.pid, "VmHWM"),
               "by_endpoint": by_ep,
               "requests": sum(by_ep.values()),
               "timeline": self.timeline(t0_wall_ms),
               "event": ev}
        if ev.get("status") != "completed":
            res["error"] = ev.get("error_message") or ev.get("status")
        return res


# ---------------------------------------------------------------- scenarios

def seed_plan(cat, track_ids, matched):
    """Seed 001's plan for this playlist: ceil(N/50) item pages + ceil(N/50) track batches +
    ceil(M/50) artist batches + ceil(P/20) album batches, then per child a clear and the
    adds (100 uris per request)."""
    n, m, p = cat.stats(track_ids)
    reads = 2 * math.ceil(n / 50) + math.ceil(m / 50) + math.ceil(p / 20)
    writes = sum(1 + math.ceil(x / 100) for x in matched)
    return reads, writes



def page_limit(mode):
    return 100 if mode == "extended" else 50


def pick_median(cases, prefix, key, n):
    """cases[key] = the repetition with the median wall time (its walls in "samples")."""
    runs = [cases.get("%s%d" % (prefix, i)) for i in range(n)]
    good = [r for r in runs if r and "wall_s" in r and not r.get("error")]
    if not good:
        bad = [r for r in runs if r]
        cases[key] = bad[0] if bad else {"error": "not run"}
        return
    good.sort(key=lambda r: r["wall_s"])
    med = dict(good[(len(good) - 1) // 2])
    med["samples"] = [r["wall_s"] for r in runs if r and "wall_s" in r]
    med["failed_runs"] = len(runs) - len(good)
    cases[key] = med


def run_mode(args, mode, world, catalog_path, work, redis_url, log_dir):
    """Runs every case of one API mode; returns {"cases": {name: figures or {"error"}}}."""
    b = Bench(args.build, mode, world, work, redis_url, log_dir)
    out = {"mode": mode, "cases": {}, "notes": []}
    rules = {"base1": make_rules(world, world.base1, mode),
             "base2": make_rules(world, world.base2, mode),
             "base10k": make_rules(world, world.base10k, mode)}
    out["rules_expected"] = {k: [e for _, e in v] for k, v in rules.items()}
    out["rules"] = {k: [r for r, _ in v] for k, v in rules.items()}
    data_main = os.path.join(work, mode, "main")
    state = {}

    def case(name, fn):
        srv = None
        try:
            res, srv = fn()
            srv.stop()
            srv = None
            out["cases"][name] = res
            if res.get("error"):
                print("  [%s] %s: sync %s" % (mode, name, res["error"]), file=sys.stderr)
            elif "streams" in res:
                print("  [%s] %-10s %d streams: threads %d -> %d, RSS %.1f -> %.1f MiB" % (
                    mode, name, res["streams"], res["threads_one"], res["threads_all"],
                    res["rss_one_kb"] / 1024, res["rss_all_kb"] / 1024), file=sys.stderr)
            else:
                print("  [%s] %-10s %4d requests  %6.2f s wall  %5.2f s CPU  %6.1f MiB" % (
                    mode, name, res["requests"], res["wall_s"], res["cpu_s"],
                    res["rss_kb"] / 1024), file=sys.stderr)
        except Exception as e:  # a broken case must not hide the others
            out["cases"][name] = {"error": "%s: %s" % (type(e).__name__, e)}
            print("  [%s] %s FAILED: %s" % (mode, name, e), file=sys.stderr)
            if srv:
                srv.stop()

    def cold_on(name, playlist_id, tag, key):
        """A cold sync (Redis flushed, empty children `tag`) of a new base on the main
        database: playlist_id, or the user's Liked Songs when None. The first signs in."""
        def fn():
            b.flush_redis()
            srv = b.start_server(name, data_main)
            if "tok" not in state:
                state["tok"] = b.sign_in(srv)
            base, children = b.setup_base(srv, state["tok"], playlist_id, tag, rules["base1"])
            state[key] = base["id"]
            if key == "base1":  # the rule-changed case (6) edits the first child
                state["children1"] = [c["id"] for c in children]
            res = b.measure_sync(srv, state["tok"], base["id"])
            res["check"] = b.check_children(world.child_sets[tag], res)
            return res, srv
        return fn

    def nochange():
        srv = b.start_server("nochange", data_main)
        return b.measure_sync(srv, state["tok"], state["base1"]), srv

    def add10():
        b.admin("POST", "/playlists/%s/items" % world.p_base1,
                {"uris": ["spotify:track:" + t for t in world.added]})
        state["added"] = True
        srv = b.start_server("add10", data_main)
        res = b.measure_sync(srv, state["tok"], state["base1"])
        res["check"] = b.check_children(world.child_sets["cold"], res)
        return res, srv

    def rule_changed():
        """Child 0's release-year condition narrowed (lt 1995 -> lt 1990); nothing else."""
        srv = b.start_server("rule", data_main)
        rule = rules["base1"][0][0]
        narrowed = {"all": [rule["all"][0], {"field": "release_year", "op": "lt", "value": 1990}]}
        st, _, ch = call(srv.url, "PATCH", "/api/child-playlists/%s" % state["children1"][0],
                         {"filter": narrowed}, token=state["tok"])
        expect(st, 200, "PATCH child 0", ch)
        res = b.measure_sync(srv, state["tok"], state["base1"])
        res["writes"] = sum(v for k, v in res["by_endpoint"].items()
                            if k.split(" ")[0] in WRITE_METHODS)
        res["base_reads"] = sum(v for k, v in res["by_endpoint"].items()
                                if k.startswith("GET /v1/playlists/"))
        res["check"] = b.check_children(world.child_sets["cold"], res)
        return res, srv

    def streams():
        """N_STREAMS event streams on one sync that waits STREAM_HOLD_MS on Spotify."""
        sys.path.insert(0, os.path.join(SOURCE_DIR, "tests", "e2e"))
        from sse_client import SSEStream
        # N_STREAMS from 127.0.0.1: no per-address limit (docs/SECURITY.md)
        srv = b.start_server("streams", data_main, extra={"PLAYROUTER_MAX_CONNECTIONS": "4096",
                                                          "PLAYROUTER_MAX_CONNECTIONS_PER_IP": "0"})
        port = urllib.parse.urlsplit(srv.url).port
        path = "/api/base-playlists/%s/sync?wait=false" % state["base1"]
        opened = []
        res = {"streams": N_STREAMS}
        b.admin("PUT", "/latency", {"ms": STREAM_HOLD_MS})
        try:
            st, _, ev = call(srv.url, "POST", path, token=state["tok"])
            expect(st, 202, "POST sync?wait=false", ev)
            deadline = time.time() + 30
            while time.time() < deadline:
                _, _, cur = call(srv.url, "GET", "/api/sync-events/%s" % ev["id"],
                                 token=state["tok"])
                if cur["progress"]["phase"] == "check":
                    break
                time.sleep(0.01)
            res["threads_none"] = proc_status_kb(srv.pid, "Threads")
            res["rss_none_kb"] = proc_status_kb(srv.pid, "VmRSS")
            t0 = time.monotonic()
            for k in range(N_STREAMS):
                s = SSEStream(port, "/api/sync-events/%s/stream" % ev["id"], state["tok"],
                              timeout=60)
                first = s.next_event()
                if not first or first[0] != "progress":
                    raise RuntimeError("stream %d began with %r" % (k, first))
                opened.append(s)
                if k == 0:
                    res["threads_one"] = proc_status_kb(srv.pid, "Threads")
                    res["rss_one_kb"] = proc_status_kb(srv.pid, "VmRSS")
            res["open_s"] = time.monotonic() - t0
            res["threads_all"] = proc_status_kb(srv.pid, "Threads")
            res["rss_all_kb"] = proc_status_kb(srv.pid, "VmRSS")
            res["open_before_end"] = (time.monotonic() - t0) * 1000 < STREAM_HOLD_MS
        finally:
            b.admin("PUT", "/latency", {"ms": LATENCY_MS})
        firsts, dones, same = [], 0, set()
        for s in opened:
            for name, data, t in s.events(120):
                if name == "done":
                    dones += 1
                    firsts.append(t)
                    same.add(data)
            s.close()
        res["dones"] = dones
        res["done_spread_ms"] = (max(firsts) - min(firsts)) * 1000 if firsts else None
        res["same_done"] = len(same) == 1
        res["rss_kb"] = proc_status_kb(srv.pid, "VmHWM")
        return res, srv

    def base2_warm():
        srv = b.start_server("base2-warm", data_main)
        base, _ = b.setup_base(srv, state["tok"], world.p_base2, "base2-warm", rules["base2"])
        return b.measure_sync(srv, state["tok"], base["id"]), srv

    def liked_nochange():
        srv = b.start_server("liked-nochange", data_main)
        return b.measure_sync(srv, state["tok"], state["liked"]), srv

    def liked_save():
        """One new save (a track the user had not saved) lands first on page one."""
        b.admin("POST", "/users/%s/liked" % USER, {"id": world.added[0]})
        srv = b.start_server("liked-save", data_main)
        res = b.measure_sync(srv, state["tok"], state["liked"])
        res["check"] = b.check_children(world.child_sets["liked"], res)
        return res, srv

    def base2_cold():
        b.flush_redis()
        srv = b.start_server("base2-cold", os.path.join(work, mode, "base2-cold"))
        tok = b.sign_in(srv)
        base, _ = b.setup_base(srv, tok, world.p_base2, "base2-cold", rules["base2"])
        return b.measure_sync(srv, tok, base["id"]), srv

    def cold_fresh(tag, parallelism, rep):
        """A cold sync of base 1 on a fresh server, user and database, Redis flushed,
        the child set emptied first."""
        def fn():
            if state.pop("added", False):  # back to the same 5,000 tracks as case 1
                b.admin("PUT", "/playlists/%s" % world.p_base1,
                        {"uris": ["spotify:track:" + t for t in world.base1]})
            for pid in world.child_sets[tag]:
                b.admin("PUT", "/playlists/%s" % pid, {"uris": []})
            b.flush_redis()
            srv = b.start_server("%s-%d" % (tag, rep), os.path.join(work, mode, "%s-%d" % (tag, rep)),
                                 parallelism=parallelism)
            tok = b.sign_in(srv)
            base, _ = b.setup_base(srv, tok, world.p_base1, tag, rules["base1"])
            return b.measure_sync(srv, tok, base["id"]), srv
        return fn

    def rss10k():
        b.flush_redis()
        srv = b.start_server("10k", os.path.join(work, mode, "10k"))
        tok = b.sign_in(srv)
        base, _ = b.setup_base(srv, tok, world.p_base10k, "10k", rules["base10k"])
        return b.measure_sync(srv, tok, base["id"]), srv

    try:
        b.start_emulator(catalog_path)
        case("cold", cold_on("cold", world.p_base1, "cold", "base1"))
        if "tok" in state:
            case("nochange", nochange)
            case("add10", add10)
            case("rule", rule_changed)
            case("streams", streams)
            case("base2_warm", base2_warm)
            case("liked_cold", cold_on("liked-cold", None, "liked", "liked"))
            if "liked" in state:
                case("liked_nochange", liked_nochange)
                case("liked_save", liked_save)
        case("base2_cold", base2_cold)
        # 5. default vs parallelism 1: interleaved repetitions, medians compared
        for rep in range(args.repeat):
            case("par_default_%d" % rep, cold_fresh("par-default", None, rep))
            case("par_one_%d" % rep, cold_fresh("p1", 1, rep))
        pick_median(out["cases"], "par_default_", "par_default", args.repeat)
        pick_median(out["cases"], "par_one_", "p1", args.repeat)
        case("rss10k", rss10k)
    except Exception as e:
        out["error"] = "%s: %s" % (type(e).__name__, e)
        print("  [%s] FAILED: %s" % (mode, e), file=sys.stderr)
    finally:
        b.stop()
    return out


# ---------------------------------------------------------------- report

EP_SHORT = [("/v1", ""), ("/playlists/{id}", "/pl"), ("/users/{id}", "/users"),
            ("/playlists/{playlist_id}", "/pl")]


def short_ep(ep):
    for a, z in EP_SHORT:
        ep = ep.replace(a, z)
    return ep


def fmt_eps(by_ep):
    items = sorted(by_ep.items(), key=lambda kv: (-kv[1], kv[0]))
    return ", ".join("%s %d" % (short_ep(k), v) for k, v in items if v) or "none"


def mib(kb):
    return kb / 1024.0


def verdict(ok):
    return "PASS" if ok else "**MISS**"


def artist_requests(res):
    return sum(v for k, v in res.get("by_endpoint", {}).items() if "/artists" in k)


def report(results, world):
    lines = []
    p = lines.append
    cat = world.cat
    n1, m1, a1 = cat.stats(world.base1)
    n2, m2, a2 = cat.stats(world.base2)
    n3, m3, a3 = cat.stats(world.base10k)
    p("S1: base of %d tracks (%d artists, %d albums); second base %d tracks (%d artists, %d "
      "shared with the first); R: %d tracks (%d artists, %d albums). Emulator latency %d ms "
      "per request; Redis cache; server defaults (parallelism 8) unless noted."
      % (n1, m1, a1, n2, m2, world.shared_artists, n3, m3, a3, LATENCY_MS))
    summary = []
    for r in results:
        mode = r["mode"]
        c = r["cases"]
        p("")
        p("### %s mode (rules: %s + release year)" % (
            mode, "genre" if mode == "extended" else "artist name"))
        if r.get("error"):
            p("")
            p("run failed: %s" % r["error"])
        p("")
        p("| case | Spotify requests | by endpoint | wall | server CPU | peak RSS | bar | |")
        p("|---|---:|---|---:|---:|---:|---|---|")
        pl = page_limit(mode)

        def row(label, key, bar_text, ok_fn):
            res = c.get(key)
            if res is None:
                p("| %s | – | not run | | | | %s | |" % (label, bar_text))
                return None
            if "requests" not in res:
                p("| %s | – | error: %s | | | | %s | **MISS** (error) |" % (
                    label, res.get("error", "?").replace("|", "/")[:200], bar_text))
                summary.append((mode, label, False))
                return None
            ok = ok_fn(res) if ok_fn else None
            extra = ""
            if res.get("error"):
                extra = " (sync %s)" % res["error"]
                ok = False if ok_fn else None
            ev = res.get("event") or {}
            mismatch = ""
            if isinstance(ev.get("total_api_requests"), int) and ev["total_api_requests"] != res["requests"]:
                mismatch = " [SyncEvent says %d]" % ev["total_api_requests"]
            p("| %s | %d%s | %s%s | %.2f s | %.2f s | %.1f MiB | %s | %s |" % (
                label, res["requests"], mismatch, fmt_eps(res["by_endpoint"]), extra,
                res["wall_s"], res["cpu_s"], mib(res["rss_kb"]), bar_text,
                verdict(ok) if ok is not None else ""))
            if ok is not None:
                summary.append((mode, label, ok))
            return res

        cold = row("1 cold", "cold", "≤ 160 requests", lambda x: x["requests"] <= 160)
        lpages = math.ceil(len(world.base1) / 50)
        lcold = row("L cold, Liked Songs", "liked_cold",
                    "saved-track pages = ⌈%d/50⌉ = %d (the minimum)" % (len(world.base1), lpages),
                    lambda x: x["by_endpoint"].get("GET /v1/me/tracks") == lpages)
        row("2 re-sync, no change", "nochange", "≤ 6 requests", lambda x: x["requests"] <= 6)
        row("L re-sync, Liked Songs, no change", "liked_nochange",
            "≤ 2 (page one + the library listing)", lambda x: x["requests"] <= 2)
        spages = math.ceil((len(world.base1) + 1) / 50)
        row("L re-sync, Liked Songs, one new save", "liked_save",
            "saved-track pages = ⌈%d/50⌉ = %d (page one once: the check's starts the read)"
            % (len(world.base1) + 1, spages),
            lambda x: x["by_endpoint"].get("GET /v1/me/tracks") == spages)
        pages = math.ceil((n1 + len(world.added)) / pl)
        row("3 re-sync, +10 tracks", "add10", "≤ %d pages + 12 = %d" % (pages, pages + 12),
            lambda x: x["requests"] <= pages + 12)
        rule = c.get("rule") or {}
        w = rule.get("writes", 0)
        row("6 re-sync, one child's rule changed", "rule", "≤ its writes %d + 3 = %d" % (w, w + 3),
            lambda x: x["requests"] <= x["writes"] + 3)
        warm = row("4 2nd base, Redis warm", "base2_warm", "(artist requests)", None)
        coldb2 = row("4 2nd base, Redis cold", "base2_cold", "(artist requests)", None)
        p1 = c.get("p1")
        pd = c.get("par_default")
        ok5 = None
        if pd and p1 and "wall_s" in p1 and "wall_s" in pd and not p1.get("error") \
                and not pd.get("error"):
            ok5 = pd["wall_s"] <= 0.3 * p1["wall_s"]
        row("5 cold, default (median)", "par_default", "", None)
        row("5 cold, parallelism 1 (median)", "p1", "default ≤ 0.3 × this",
            (lambda x: ok5) if ok5 is not None else None)
        if ok5 is None and "p1" in c:
            summary.append((mode, "5 parallelism", False))
        row("R cold, 10,000 tracks", "rss10k", "peak RSS ≤ 64 MiB",
            lambda x: x["rss_kb"] <= 64 * 1024)
        # ratios
        p("")
        if cold and "requests" in cold:
            ev = cold.get("event") or {}
            matched = [ch.get("matched", 0) for ch in ev.get("children", [])] or \
                r["rules_expected"]["base1"]
            sreads, swrites = seed_plan(cat, world.base1, matched)
            seed_total = SEED_HEADLINE_READS + swrites
            p("- cold vs seed 001: %d requests vs %d (seed's ~460 reads + %d writes: a clear and "
              "ceil(matched/100) adds per child) = **%.2f×** (%.1f× fewer); the seed's formula "
              "on this playlist gives %d reads + %d writes = %d (%.2f×)."
              % (cold["requests"], seed_total, swrites, cold["requests"] / seed_total,
                 seed_total / max(cold["requests"], 1), sreads, swrites, sreads + swrites,
                 cold["requests"] / (sreads + swrites)))
            exp = r["rules_expected"]["base1"]
            p("- children matched (cold): %s; the bench's own count of these rules on the "
              "generated data: %s (%s; about 20%% each by design)" % (
                  ", ".join(str(x) for x in matched), ", ".join(str(x) for x in exp),
                  "same" if list(matched) == list(exp) else "**differs**"))
            if cold.get("check"):
                p("- child playlists after the cold sync: %s" % cold["check"])
        if cold and lcold and "requests" in cold and "requests" in lcold:
            # the base's header (with its first 100) + its item pages; the children
            # are new playlists and are not read through /items
            base_pl = 1 + sum(v for k, v in cold["by_endpoint"].items()
                              if k in ("GET /v1/playlists/{id}/items",
                                       "GET /v1/playlists/{id}/tracks"))
            lpg = lcold["by_endpoint"].get("GET /v1/me/tracks", 0)
            p("- Liked Songs vs playlist base, same 5,000 tracks and rules, Redis flushed: "
              "%d requests (%d saved-track pages of 50 + %d others) vs %d (%d playlist reads, "
              "header + pages of %d, + %d others); %.2f s vs %.2f s wall"
              % (lcold["requests"], lpg, lcold["requests"] - lpg, cold["requests"], base_pl, pl,
                 cold["requests"] - base_pl, lcold["wall_s"], cold["wall_s"]))
            if lcold.get("check"):
                p("- child playlists after the Liked Songs cold sync: %s" % lcold["check"])
        lsave = c.get("liked_save") or {}
        if "requests" in lsave:
            lpg = lsave["by_endpoint"].get("GET /v1/me/tracks", 0)
            p("- Liked Songs after one new save: %d requests, %d of them saved-track pages "
              "(⌈%d/50⌉ = %d: the check's page one starts the whole read) + %d others; %s"
              % (lsave["requests"], lpg, len(world.base1) + 1,
                 math.ceil((len(world.base1) + 1) / 50), lsave["requests"] - lpg,
                 lsave.get("check", "")))
        if c.get("add10", {}).get("check"):
            p("- child playlists after the +10 re-sync: %s" % c["add10"]["check"])
        if "requests" in rule:
            p("- 6 rule changed: %d requests = %d check + %d base reads + %d writes of child 0 "
              "(before the stored base: 1 + %d base pages + writes); %s" % (
                  rule["requests"], rule["requests"] - rule["base_reads"] - rule["writes"],
                  rule["base_reads"], rule["writes"], pages, rule.get("check", "")))
        sres = c.get("streams") or {}
        if "threads_all" in sres:
            ok9 = sres["threads_all"] == sres["threads_one"] and sres["dones"] == sres["streams"] \
                and sres["same_done"]
            summary.append((mode, "9 streams", ok9))
            p("- 9 %d open event streams: server threads %d (none open) / %d (1) / %d (%d): %s; "
              "RSS %.1f / %.1f / %.1f MiB (%.1f KiB a stream); opened in %.2f s; %d of %d got "
              "the same `done`, spread %.0f ms; bar: threads do not grow with streams: %s" % (
                  sres["streams"], sres["threads_none"], sres["threads_one"],
                  sres["threads_all"], sres["streams"],
                  "same" if sres["threads_all"] == sres["threads_one"] else "**grew**",
                  sres["rss_none_kb"] / 1024, sres["rss_one_kb"] / 1024,
                  sres["rss_all_kb"] / 1024,
                  (sres["rss_all_kb"] - sres["rss_one_kb"]) / max(sres["streams"] - 1, 1),
                  sres["open_s"], sres["dones"], sres["streams"], sres["done_spread_ms"] or 0,
                  verdict(ok9)))
        elif sres.get("error"):
            summary.append((mode, "9 streams", False))
            p("- 9 event streams: **MISS** (error: %s)" % sres["error"])
        if warm and coldb2:
            aw, ac = artist_requests(warm), artist_requests(coldb2)
            ew, ec = warm.get("event") or {}, coldb2.get("event") or {}
            p("- 2nd base: artist requests %d with Redis warm vs %d cold: **%d saved**%s; all "
              "requests %d vs %d (%.2f×); SyncEvent cache hits/misses %s/%s warm, %s/%s cold" % (
                  aw, ac, ac - aw, " (%.0f%%)" % (100.0 * (ac - aw) / ac) if ac else
                  " (this mode fetches no artists)", warm["requests"], coldb2["requests"],
                  warm["requests"] / max(coldb2["requests"], 1), ew.get("cache_hits"),
                  ew.get("cache_misses"), ec.get("cache_hits"), ec.get("cache_misses")))
        for key, label in (("par_default", "default, median run"), ("p1", "parallelism 1, median run")):
            tl = (c.get(key) or {}).get("timeline")
            if tl:
                p("- where the time goes (%s, emulator CPU %.2f s; ms after the POST, peak in "
                  "flight): %s" % (label, c[key].get("emulator_cpu_s", 0), "; ".join("%s ×%d %d–%d ms (peak %d)" % (
                        short_ep(x["route"]), x["n"], x["start_ms"], x["end_ms"], x["peak"])
                        for x in tl)))
        if pd and p1 and "wall_s" in p1 and "wall_s" in pd:
            p("- parallelism (%d interleaved runs each, medians): default %.2f s (runs: %s) vs "
              "parallelism 1 %.2f s (runs: %s) = **%.2f×** (bar ≤ 0.30): %s" % (
                  len(p1.get("samples", [])), pd["wall_s"],
                  ", ".join("%.2f" % x for x in pd.get("samples", [])), p1["wall_s"],
                  ", ".join("%.2f" % x for x in p1.get("samples", [])),
                  pd["wall_s"] / p1["wall_s"],
                  verdict(ok5) if ok5 is not None else "**MISS** (a sync failed)"))
    p("")
    passed = sum(1 for _, _, ok in summary if ok)
    p("bars: %d passed, %d missed%s" % (
        passed, len(summary) - passed,
        "" if passed == len(summary) else " (" + "; ".join(
            "%s: %s" % (m, l) for m, l, ok in summary if not ok) + ")"))
    return "\n".join(lines)


# ---------------------------------------------------------------- main

def start_redis(log_dir):
    exe = shutil.which("redis-server")
    if not exe:
        raise RuntimeError("redis-server is not installed (scripts/install-deps.sh)")
    port = free_port()
    p = Proc("redis", [exe, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                       "--appendonly", "no", "--daemonize", "no", "--loglevel", "warning"],
             log_dir=log_dir)
    p.start(None)
    deadline = time.time() + 20
    while time.time() < deadline:
        try:
            s = socket.create_connection(("127.0.0.1", port), timeout=1)
            s.sendall(b"PING\r\n")
            if s.recv(16).startswith(b"+PONG"):
                s.close()
                return p, "redis://127.0.0.1:%d/0" % port
            s.close()
        except OSError:
            pass
        time.sleep(0.05)
    raise RuntimeError("redis-server did not start")


def serve_http(args, world, catalog_path, work, log_dir):
    """For http_bench.sh: emulator + server (default settings) with a signed-in user whose
    base was synced once; writes {"url", "token", "threads"} and waits for SIGTERM."""
    b = Bench(args.build, "extended", world, work, None, log_dir)
    global LATENCY_MS
    LATENCY_MS = 0
    b.start_emulator(catalog_path)
    env = b.server_env(os.path.join(work, "http"))
    env.pop("PLAYROUTER_REDIS_URL")
    env.pop("PLAYROUTER_LOG_LEVEL")  # the server's default (info: one access-log line a request)
    # wrk's 64 connections all come from 127.0.0.1, as do the previous run's that the
    # server may not have reaped yet: no per-address limit here (docs/SECURITY.md).
    env["PLAYROUTER_MAX_CONNECTIONS_PER_IP"] = "0"
    os.makedirs(os.path.join(work, "http"), exist_ok=True)
    srv = Proc("server-http", [os.path.join(args.build, "playrouter")], env=env, log_dir=log_dir)
    srv.url = srv.start("listening on ", timeout=60).rstrip("/")
    tok = b.sign_in(srv)
    rules = make_rules(world, world.base1, "extended")
    base, _ = b.setup_base(srv, tok, world.p_base1, "http", rules)
    st, _, ev = call(srv.url, "POST", "/api/base-playlists/%s/sync" % base["id"], token=tok)
    expect(st, 200, "POST sync", ev)
    info = {"url": "%s/api/base-playlists/%s/sync-status" % (srv.url, base["id"]),
            "token": tok, "threads": int(os.environ.get("PLAYROUTER_THREADS", "4"))}
    tmp = args.serve_http + ".tmp"
    with open(tmp, "w") as f:
        json.dump(info, f)
    os.rename(tmp, args.serve_http)
    while srv.proc.poll() is None:
        time.sleep(0.5)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build", required=True, help="build folder with playrouter and spotify-emulator")
    ap.add_argument("--modes", default="extended,development")
    ap.add_argument("--json", help="also write the raw figures here")
    ap.add_argument("--repeat", type=int, default=3,
                    help="repetitions of the default vs parallelism-1 comparison (medians)")
    ap.add_argument("--keep", action="store_true", help="keep the work folder (logs, databases)")
    ap.add_argument("--no-musicbrainz", action="store_true",
                    help="skip the MusicBrainz scenario (bench/musicbrainz_bench.py)")
    ap.add_argument("--serve-http", metavar="INFO", help=argparse.SUPPRESS)
    args = ap.parse_args()
    args.build = os.path.abspath(args.build)

    def on_signal(sig, frame):
        raise SystemExit(128 + sig)
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)

    # Case 9 opens N_STREAMS sockets here and as many connections in the server (which
    # inherits the limit): raise the soft limit of open files to the hard one.
    try:
        import resource
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        want = hard if hard != resource.RLIM_INFINITY else 65536
        if soft != resource.RLIM_INFINITY and soft < want:
            resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))
    except (ImportError, ValueError, OSError):
        pass
    for exe in ("playrouter", "spotify-emulator", "musicbrainz-emulator"):
        if not os.access(os.path.join(args.build, exe), os.X_OK):
            print("sync_bench: %s/%s is missing (make build first)" % (args.build, exe), file=sys.stderr)
            return 1
    work = tempfile.mkdtemp(prefix="playrouter-bench-")
    log_dir = os.path.join(work, "logs")
    os.makedirs(log_dir)
    code = 0
    try:
        world = World()
        catalog_path = os.path.join(work, "catalog.json")
        world.write(catalog_path)
        if args.serve_http:
            serve_http(args, world, catalog_path, work, log_dir)
            return 0
        _, redis_url = start_redis(log_dir)
        results = []
        for mode in [m.strip() for m in args.modes.split(",") if m.strip()]:
            print("sync bench: %s mode ..." % mode, file=sys.stderr)
            results.append(run_mode(args, mode, world, catalog_path, work, redis_url, log_dir))
        text = report(results, world)
        mb = None
        if "development" in args.modes and not args.no_musicbrainz:
            import musicbrainz_bench as MB
            print("sync bench: MusicBrainz (development mode, 1 request/s) ...", file=sys.stderr)
            mb = MB.run_musicbrainz(sys.modules[__name__], args, world, catalog_path, work, log_dir)
            lines = []
            bars = MB.report_musicbrainz(sys.modules[__name__], mb, lines)
            passed = sum(1 for _, ok in bars if ok)
            lines.append("")
            lines.append("MusicBrainz bars: %d passed, %d missed" % (passed, len(bars) - passed))
            text += "\n" + "\n".join(lines)
            results.append({"mode": "musicbrainz", **mb})
        print(text)
        if args.json:
            with open(args.json, "w") as f:
                json.dump({"results": [{k: v for k, v in r.items()} for r in results]}, f, indent=1,
                          default=str)
        if any(r.get("error") for r in results):
            code = 1
    finally:
        Proc.stop_all()
        if args.keep or code:
            print("sync bench: logs and databases kept in %s" % work, file=sys.stderr)
        else:
            shutil.rmtree(work, ignore_errors=True)
    return code


if __name__ == "__main__":
    sys.exit(main())
