"""make soak: the server under a long mixed load while Spotify misbehaves (issue #12).

For SOAK_SECONDS (60): SOAK_CONNECTIONS (200) keep-alive connections of wrk read the
read routes (base playlists, children, sync-status, sync events, /api/me, /healthz),
while SOAK_SYNCS (20) threads run waiting syncs in loops over SOAK_BASES (10) bases (two
loops per base, so some answers are the expected 409 sync_in_progress) and change their
base between syncs, and the emulator injects 5xx, 429 and dropped connections on /v1
(its /__admin/faults knob, a few a second). Before it, a warm-up of the same load.

Prints the reads' counts by status and API error code, socket errors, p50/p99/max
latency; the syncs' outcomes and p99; the faults injected; the server's RSS after the
warm-up and after the soak. Exit status 1 when a read is not 2xx, a socket error
happened, a sync answer is neither 200 nor 409, the RSS grew by more than
max(16 MiB, 10 %), or the server does not exit cleanly.

    python3 tests/soak/soak.py [--build build]      (make soak)
Python standard library and wrk; starts and stops everything itself on 127.0.0.1.
"""
import argparse
import os
import random
import re
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "e2e"))

SECONDS = int(os.environ.get("SOAK_SECONDS", "60"))
CONNECTIONS = int(os.environ.get("SOAK_CONNECTIONS", "200"))
SYNCS = int(os.environ.get("SOAK_SYNCS", "20"))
BASES = int(os.environ.get("SOAK_BASES", "10"))
WARMUP = int(os.environ.get("SOAK_WARMUP", "10"))
FAULT_EVERY_S = float(os.environ.get("SOAK_FAULT_EVERY", "0.25"))


def rss_kib(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def percentile(values, p):
    if not values:
        return 0.0
    s = sorted(values)
    return s[min(len(s) - 1, int(len(s) * p / 100.0))]


class Load:
    """The sync loops and the fault injector, for one phase (warm-up or soak)."""

    def __init__(self, srv, emu, token, bases):
        self.srv, self.emu, self.token, self.bases = srv, emu, token, bases
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.outcomes = {}
        self.latencies = []
        self.faults = {}
        self.threads = []

    def note(self, key, latency=None):
        with self.lock:
            self.outcomes[key] = self.outcomes.get(key, 0) + 1
            if latency is not None:
                self.latencies.append(latency)

    def sync_loop(self, i):
        base = self.bases[i % len(self.bases)]
        rng = random.Random(i)
        while not self.stop.is_set():
            t0 = time.time()
            try:
                status, _, body = self.srv.request(
                    "POST", "/api/base-playlists/%s/sync" % base["id"], token=self.token,
                    timeout=180)
            except Exception as e:  # a socket error is an outcome too
                self.note("error %s" % type(e).__name__)
                continue
            took = time.time() - t0
            if status == 200:
                self.note("200 %s" % body.get("status"), took)
                if body.get("status") == "failed":
                    msg = re.sub(r"[0-9a-zA-Z]{22}", "ID", body.get("error_message") or "")
                    self.note("    failed: %s" % msg[:90])
            else:
                code = body["error"]["code"] if isinstance(body, dict) else "-"
                self.note("%d %s" % (status, code))
                if status == 409:
                    time.sleep(0.05 + rng.random() * 0.1)
            # change the base a little, so that the next sync has work to do
            try:
                uris = self.emu.playlist_uris(base["spotify"])
                if uris:
                    self.emu.remove_items(base["spotify"], positions=[0])
                    self.emu.add_items(base["spotify"], [uris[0]])
            except Exception:
                pass

    def fault_loop(self):
        kinds = [("500", {"status": 500}), ("502", {"status": 502}), ("503", {"status": 503}),
                 ("429", {"status": 429, "retry_after": 1}), ("drop", {"drop": True})]
        rng = random.Random(7)
        while not self.stop.wait(FAULT_EVERY_S):
            name, body = rng.choice(kinds)
            body = dict(body, method="*", path_prefix="/v1/", count=1)
            try:
                self.emu.admin("POST", "/faults", body)
                self.faults[name] = self.faults.get(name, 0) + 1
            except Exception:
                pass

    def start(self):
        self.threads = [threading.Thread(target=self.sync_loop, args=(i,)) for i in range(SYNCS)]
        self.threads.append(threading.Thread(target=self.fault_loop))
        for t in self.threads:
            t.start()

    def finish(self):
        self.stop.set()
        for t in self.threads:
            t.join()
        self.emu.admin("DELETE", "/faults")


def run_wrk(srv, token, paths, seconds):
    env = dict(os.environ, SOAK_TOKEN=token, SOAK_PATHS=",".join(paths))
    cmd = ["wrk", "-t2", "-c%d" % CONNECTIONS, "-d%ds" % seconds, "--timeout", "10s",
           "--latency", "-s", os.path.join(HERE, "soak_read.lua"),
           "http://127.0.0.1:%d" % srv.port]
    out = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=seconds + 120)
    line = [x for x in out.stdout.splitlines() if x.startswith("SOAK_READ ")]
    if not line:
        raise RuntimeError("wrk printed no result:\n%s\n%s" % (out.stdout, out.stderr))
    return dict(kv.split("=", 1) for kv in line[0].split()[1:])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default=os.path.join(HERE, "..", "..", "build"))
    args = ap.parse_args()
    os.environ["PLAYROUTER_BUILD_DIR"] = os.path.abspath(args.build)
    from harness import Server, free_port, sign_in  # noqa: E402
    import emulator as EMU  # noqa: E402

    data = tempfile.mkdtemp(prefix="playrouter-soak-")
    emu = EMU.Emulator(mode="development", build_dir=os.path.abspath(args.build)).start()
    srv = None
    ok = True
    try:
        emu.latency(20)
        port = free_port()
        srv = Server(data_dir=data, env={
            "PLAYROUTER_PORT": str(port),
            "SPOTIFY_REDIRECT_URI": "http://127.0.0.1:%d/api/auth/callback" % port,
            "SPOTIFY_CLIENT_ID": emu.client_id, "SPOTIFY_CLIENT_SECRET": emu.client_secret,
            "SPOTIFY_API_BASE": emu.api_base, "SPOTIFY_ACCOUNTS_BASE": emu.accounts_base,
            "SPOTIFY_API_MODE": "development", "PLAYROUTER_LOG_LEVEL": "error",
        }).start()
        token = sign_in(srv, emu)["token"]
        bases, paths = [], ["/healthz", "/api/me", "/api/base-playlists"]
        for b in range(BASES):
            spotify = emu.create_playlist(owner="demo", name="soak %d" % b, size=200)
            status, _, base = srv.request("POST", "/api/base-playlists", token=token,
                                          body={"spotify_playlist_id": spotify})
            assert status == 201, (status, base)
            for k, rule in enumerate([
                    {"field": "explicit", "op": "eq", "value": False},
                    {"field": "release_year", "op": "between", "value": [1990, 2009]},
                    {"field": "track_name", "op": "matches", "value": "^[a-m]"}]):
                status, _, c = srv.request(
                    "POST", "/api/base-playlists/%s/child-playlists" % base["id"], token=token,
                    body={"name": "child %d" % k, "filter": rule})
                assert status == 201, (status, c)
            status, _, ev = srv.request("POST", "/api/base-playlists/%s/sync" % base["id"],
                                        token=token, timeout=120)
            assert status == 200 and ev["status"] == "completed", (status, ev)
            bases.append({"id": base["id"], "spotify": spotify})
            bid = base["id"]
            paths += ["/api/base-playlists/%s" % bid, "/api/base-playlists/%s/child-playlists" % bid,
                      "/api/base-playlists/%s/sync-status" % bid,
                      "/api/base-playlists/%s/sync-events?limit=5" % bid,
                      "/api/sync-events/%s" % ev["id"]]

        print("soak: %d read connections, %d sync loops over %d bases, faults every %.2f s, "
              "%d s (after a %d s warm-up)" % (CONNECTIONS, SYNCS, BASES, FAULT_EVERY_S,
                                               SECONDS, WARMUP))
        warm = Load(srv, emu, token, bases)
        warm.start()
        run_wrk(srv, token, paths, WARMUP)
        warm.finish()
        time.sleep(2)
        rss0 = rss_kib(srv.proc.pid)

        emu.reset_counters()
        load = Load(srv, emu, token, bases)
        load.start()
        t0 = time.time()
        reads = run_wrk(srv, token, paths, SECONDS)
        load.finish()
        wall = time.time() - t0
        time.sleep(3)
        rss1 = rss_kib(srv.proc.pid)
        counters = emu.counters()

        # ---- report ----
        n = int(reads.pop("requests"))
        lat = {k: int(reads.pop(k)) for k in ("p50_us", "p99_us", "max_us")}
        sock = {k: int(reads.pop(k)) for k in list(reads) if k.startswith("sock_")}
        print("\nreads: %d requests in %d s (%.0f/s), p50 %.1f ms, p99 %.1f ms, max %.1f ms"
              % (n, SECONDS, n / SECONDS, lat["p50_us"] / 1000, lat["p99_us"] / 1000,
                 lat["max_us"] / 1000))
        for k in sorted(reads):
            print("  %-40s %8s" % (k, reads[k]))
        print("  socket errors: %s" % (", ".join("%s %d" % (k[5:], v) for k, v in sock.items())))
        bad_reads = sum(int(v) for k, v in reads.items() if not k.startswith("status:2"))
        if bad_reads or any(sock.values()):
            ok = False

        total = sum(v for k, v in load.outcomes.items() if not k.startswith("    "))
        print("\nsyncs: %d answers in %.0f s, p50 %.2f s, p99 %.2f s" % (
            total, wall, percentile(load.latencies, 50), percentile(load.latencies, 99)))
        for k in sorted(load.outcomes):
            print("  %-60s %6d" % (k, load.outcomes[k]))
            if not k.startswith("    ") and not (k.startswith("200 ") or k.startswith("409 ")):
                ok = False

        dropped = sum(v.get("dropped", 0) for v in counters.values())
        by_status = {}
        for route, by in counters.items():
            for st, v in by.items():
                by_status[st] = by_status.get(st, 0) + v
        print("\nSpotify (emulator): %d requests; faults armed %s; answered %s" % (
            sum(by_status.values()), load.faults,
            ", ".join("%s %d" % (k, by_status[k]) for k in sorted(by_status))))
        growth = rss1 - rss0
        limit = max(16 * 1024, rss0 // 10)
        print("\nserver RSS: %.1f MiB after the warm-up, %.1f MiB after the soak (%+.1f MiB; "
              "allowed %+.1f MiB)" % (rss0 / 1024, rss1 / 1024, growth / 1024, limit / 1024))
        if growth > limit:
            ok = False
    finally:
        code = srv.stop() if srv and srv.proc else None
        ecode = emu.stop()
        if code not in (None, 0):
            print("server exited with %s:\n%s" % (code, srv.stderr()[-3000:]))
            ok = False
        if ecode != 0:
            print("emulator exited with %s" % ecode)
        if srv:
            srv.cleanup()
    print("\nsoak: %s" % ("PASS" if ok else "FAIL"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
