#!/usr/bin/env python3
"""Size of the preview answer (POST /api/base-playlists/{id}/preview), in bytes on the
wire (the body as the server sends it), Python standard library only.

    python3 bench/preview_size.py --build BUILD_DIR

  demo        the demo of `make run`: the base "Everything I like" (500 entries) and
              the three children of scripts/demo.py, MusicBrainz emulator on
  10,000      a base of 10,000 tracks with one child whose rule takes 50 of them (short
              lists), then one whose rule takes every track (the longest lists there are)

Each preview is taken before the first sync (every target is still to add) and after it.
For each: the body's bytes, the ids in the children's lists (track_ids, add, remove;
each counted once) and, when the answer has it, the entries of its `tracks` map and
that map's share of the body. The emulators, the server and its database are this
script's own, on loopback ports, and are stopped whatever happens.
"""
import argparse
import http.client
import json
import os
import shutil
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "tests", "e2e"))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "scripts"))

DEMO_BASE = "fdvaiSC7EBuaE29215mRQE"  # the demo catalogue's "Everything I like"


def raw_preview(srv, token, base_id):
    """(bytes of the body, parsed body) of one preview."""
    conn = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=300)
    conn.request("POST", "/api/base-playlists/%s/preview" % base_id,
                 headers={"Authorization": "Bearer " + token})
    resp = conn.getresponse()
    body = resp.read()
    conn.close()
    assert resp.status == 200, (resp.status, body[:300])
    return len(body), json.loads(body)


def figures(label, size, body):
    ids = set()
    for c in body["children"]:
        ids.update(c["track_ids"], c["add"], c["remove"])
    tracks = body.get("tracks")
    map_bytes = len(json.dumps(tracks, separators=(",", ":"), ensure_ascii=False).encode()) \
        if tracks is not None else 0
    return {"case": label, "bytes": size, "ids": len(ids),
            "map_entries": len(tracks) if tracks is not None else None, "map_bytes": map_bytes}


def run_case(build, data_dir, spotify_args, children, label, base_spid=None, with_mb=False):
    from harness import free_port, sign_in
    import emulator as EMU
    from musicbrainz_emulator import MusicBrainzEmulator
    from sync_helpers import api, start_server
    out = []
    os.makedirs(data_dir, mode=0o700)
    emu = EMU.Emulator(build_dir=build, mode="development", args=spotify_args).start()
    mb = srv = None
    try:
        extra = {}
        if with_mb:
            mb = MusicBrainzEmulator.matching(emu, rate=0).start()
            extra["PLAYROUTER_MUSICBRAINZ_BASE"] = mb.ws_base
        srv = start_server(emu, data_dir, free_port(), **extra)
        token = sign_in(srv, emu)["token"]
        spid = base_spid or emu.playlists(owner="demo")[0]["id"]
        status, _, base = api(srv, token, "POST", "/api/base-playlists",
                              {"spotify_playlist_id": spid})
        assert status == 201, (status, base)
        for child in children:
            status, _, c = api(srv, token, "POST",
                               "/api/base-playlists/%s/child-playlists" % base["id"], child)
            assert status == 201, (status, c)
        size, body = raw_preview(srv, token, base["id"])
        out.append(figures(label + ", before the first sync", size, body))
        status, _, ev = api(srv, token, "POST", "/api/base-playlists/%s/sync" % base["id"],
                            timeout=600)
        assert status == 200 and ev["status"] == "completed", ev
        size, body = raw_preview(srv, token, base["id"])
        out.append(figures(label + ", after the sync", size, body))
    finally:
        if srv:
            srv.stop()
        if mb:
            mb.stop()
        emu.stop()
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default=os.path.join(os.path.dirname(HERE), "build"))
    args = ap.parse_args()
    build = os.path.abspath(args.build)
    os.environ["PLAYROUTER_BUILD_DIR"] = build
    import demo  # scripts/demo.py: the demo's children
    rows = []
    tmp = tempfile.mkdtemp(prefix="playrouter-preview-size-")
    try:
        rows += run_case(build, os.path.join(tmp, "demo"), [], demo.CHILDREN,
                         "demo base (500 entries, 3 children)", base_spid=DEMO_BASE,
                         with_mb=True)
        big = [{"name": "Short list", "filter": {"all": [
            {"field": "release_year", "op": "eq", "value": 1994},
            {"field": "duration_ms", "op": "lt", "value": 200000},
            {"field": "explicit", "op": "eq", "value": False}]}}]
        big_args = ["--no-demo", "--seed", "7", "--tracks", "12000",
                    "--playlist", "demo:Big base:10000"]
        rows += run_case(build, os.path.join(tmp, "big"), big_args, big,
                         "10,000-track base, 1 short child")
        every = [{"name": "Everything", "filter": {"all": []}}]
        rows += run_case(build, os.path.join(tmp, "every"), big_args, every,
                         "10,000-track base, 1 child of every track")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print("| case | answer bytes | ids in the lists | `tracks` entries | `tracks` bytes |")
    print("|---|---|---|---|---|")
    for r in rows:
        print("| %s | %s | %s | %s | %s |" % (
            r["case"], format(r["bytes"], ","), format(r["ids"], ","),
            "—" if r["map_entries"] is None else format(r["map_entries"], ","),
            "—" if r["map_entries"] is None else format(r["map_bytes"], ",")))


if __name__ == "__main__":
    main()
