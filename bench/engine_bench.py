#!/usr/bin/env python3
"""Sync-engine benchmarks (issues #11 and #14), Python standard library only.

    python3 bench/engine_bench.py --build BUILD_DIR

  7. auto-sync pass   20 bases of one user (one child each), synced once, nothing
                      changed since, all due at once: the Spotify requests of the pass
                      (the bar: 1) and how long it took
  8. 100 queued       100 bases, 100 syncs queued at once (?wait=false) with
                      PLAYROUTER_SYNC_WORKERS=4 against an emulator answering in 20 ms:
                      all complete; the server's peak thread count (sampled from
                      /proc/PID/status every 10 ms) against HTTP threads + workers + a
                      small constant; the most syncs that ran at once; peak RSS (VmHWM)

The server, the emulator and the database are this script's own, on loopback ports,
and are stopped whatever happens. Figures are printed as a Markdown table.
"""
import argparse
import os
import shutil
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "tests", "e2e"))

HTTP_THREADS = 4
WORKERS = 4
PARALLELISM = 8  # PLAYROUTER_SPOTIFY_PARALLELISM (default): phase helpers = min(8, it)


def proc_status(pid, key):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    return 0


def auto_pass(build, data_dir):
    from harness import free_port, sign_in
    import emulator as EMU
    from sync_helpers import Db, api, make_bases, metric, start_server, wait_for
    emu = EMU.Emulator(build_dir=build, mode="development",
                       args=["--no-demo", "--seed", "7"]).start()
    srv = None
    try:
        srv = start_server(emu, data_dir, free_port(), PLAYROUTER_AUTO_SYNC_TICK=1)
        token = sign_in(srv, emu)["token"]
        bases = make_bases(srv, token, emu, 20, "bench auto", size=50)
        for b in bases:
            status, _, ev = api(srv, token, "POST", "/api/base-playlists/%s/sync" % b["id"])
            assert status == 200 and ev["status"] == "completed", ev
            api(srv, token, "PATCH", "/api/base-playlists/" + b["id"], {"auto_sync_minutes": 60})
        db = Db(data_dir)
        emu.reset()
        passes = metric(srv, "playrouter_auto_sync_passes_total")
        wait_for(lambda: metric(srv, "playrouter_auto_sync_passes_total") > passes, 10, "a pass")
        emu.reset()
        t0 = time.time()
        db.run("UPDATE auto_sync_state SET last_check_at = last_check_at - 3600")
        checked = lambda: db.one("SELECT count(*) FROM auto_sync_state "  # noqa: E731
                                 "WHERE last_check_at >= ?", int(t0) - 1) == 20
        wait_for(checked, 60, "the check of 20 bases")
        took = time.time() - t0
        requests = sum(sum(s.values()) for s in emu.counters().values())
        queued = sum(1 for b in bases for e in api(
            srv, token, "GET", "/api/base-playlists/%s/sync-events" % b["id"])[2]["items"]
            if e["trigger"] == "auto")
        return requests, queued, took
    finally:
        if srv:
            srv.stop()
        emu.stop()


def queue_100(build, data_dir):
    from harness import free_port, sign_in
    import emulator as EMU
    from sync_helpers import api, make_bases, metric, start_server, wait_for
    emu = EMU.Emulator(build_dir=build, mode="development",
                       args=["--no-demo", "--seed", "8"]).start()
    srv = None
    try:
        srv = start_server(emu, data_dir, free_port(), PLAYROUTER_SYNC_WORKERS=WORKERS,
                           PLAYROUTER_THREADS=HTTP_THREADS,
                           PLAYROUTER_SPOTIFY_PARALLELISM=PARALLELISM)
        token = sign_in(srv, emu)["token"]
        bases = make_bases(srv, token, emu, 100, "bench queue", size=100)
        pid = srv.proc.pid
        idle_threads = proc_status(pid, "Threads")
        emu.latency(20)
        peak = {"threads": 0}
        done = threading.Event()

        def sample():
            while not done.is_set():
                peak["threads"] = max(peak["threads"], proc_status(pid, "Threads"))
                time.sleep(0.01)
        sampler = threading.Thread(target=sample)
        sampler.start()
        t0 = time.time()
        ids = []
        for b in bases:
            status, _, ev = api(srv, token, "POST", "/api/base-playlists/%s/sync?wait=false"
                                % b["id"])
            assert status == 202, ev
            ids.append(ev["id"])

        def ended():
            return all(api(srv, token, "GET", "/api/sync-events/" + i)[2]["status"] != "in_progress"
                       for i in ids)
        wait_for(ended, 600, "100 syncs", interval=0.25)
        wall = time.time() - t0
        done.set()
        sampler.join()
        emu.latency(0)
        statuses = [api(srv, token, "GET", "/api/sync-events/" + i)[2]["status"] for i in ids]
        completed = statuses.count("completed")
        running_peak = metric(srv, "playrouter_syncs_running_peak")
        rss_kb = proc_status(pid, "VmHWM")
        return completed, wall, idle_threads, peak["threads"], running_peak, rss_kb
    finally:
        if srv:
            srv.stop()
        emu.stop()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", required=True)
    args = ap.parse_args()
    build = os.path.abspath(args.build)
    os.environ["PLAYROUTER_BUILD_DIR"] = build
    tmp = tempfile.mkdtemp(prefix="playrouter-engine-bench-")
    status = 0
    for sub in ("a", "b"):
        os.makedirs(os.path.join(tmp, sub))
    try:
        requests, queued, took = auto_pass(build, os.path.join(tmp, "a"))
        completed, wall, idle, peak_threads, running_peak, rss_kb = queue_100(
            build, os.path.join(tmp, "b"))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    helpers = min(PARALLELISM, 8)
    bound = HTTP_THREADS + WORKERS + helpers + 2  # + the main and the scheduler threads
    print("| figure | value | bar |")
    print("|---|---|---|")
    print("| (7) auto-sync pass over 20 unchanged bases of one user: Spotify requests | %d "
          "(%d auto syncs queued; %.2f s from due to checked) | 1: %s |"
          % (requests, queued, took, "PASS" if requests == 1 and queued == 0 else "**MISS**"))
    print("| (8) 100 queued syncs, %d workers, 20 ms per Spotify request: completed | %d of 100 "
          "in %.1f s | 100: %s |" % (WORKERS, completed, wall,
                                    "PASS" if completed == 100 else "**MISS**"))
    print("| (8) peak server threads (idle: %d) | %d | <= HTTP %d + workers %d + phase helpers "
          "%d + 2 = %d: %s |" % (idle, peak_threads, HTTP_THREADS, WORKERS, helpers, bound,
                                 "PASS" if peak_threads <= bound else "**MISS**"))
    print("| (8) most syncs running at once | %d | <= %d: %s |"
          % (running_peak, WORKERS, "PASS" if running_peak <= WORKERS else "**MISS**"))
    print("| (8) peak RSS (VmHWM) | %.1f MiB | (printed) |" % (rss_kb / 1024.0))
    return status  # a missed bar is a result, not a failure of the bench


if __name__ == "__main__":
    sys.exit(main())
