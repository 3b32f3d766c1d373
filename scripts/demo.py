#!/usr/bin/env python3
"""The demo walk-through against a server started by `make run` (demo mode).

Signs in, adds the demo base playlist (or reuses it when it exists), makes sure the two
demo children exist (creating the missing ones), syncs and prints the event. Safe to
run again: nothing is created twice. Every error the server answers is printed as the
server said it (status, code, message, details) and the script exits 1.
Python standard library only.
"""
import json
import sys
import urllib.error
import urllib.request

API = (sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:8080").rstrip("/")
BASE_PLAYLIST = "fdvaiSC7EBuaE29215mRQE"  # the emulator's "Everything I like"
CHILDREN = [
    {"name": "90s", "filter": {"field": "release_year", "op": "between", "value": [1990, 1999]}},
    {"name": "Short and clean", "filter": {"all": [
        {"field": "duration_ms", "op": "lt", "value": 240000},
        {"field": "explicit", "op": "eq", "value": False}]}},
    # Genres come from MusicBrainz (make run starts its emulator): development mode too.
    {"name": "Indie rock from the 90s", "filter": {"all": [
        {"field": "genre", "op": "in", "value": ["indie rock", "alternative rock", "garage rock",
                                                "post-punk", "shoegaze", "dream pop"]},
        {"field": "release_year", "op": "between", "value": [1990, 1999]}]}},
]


class ServerError(Exception):
    pass


def call(method, path, token=None, body=None, ok=(200, 201, 204)):
    """(status, parsed JSON or None). A status outside `ok` raises ServerError with the
    server's own words."""
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(API + path, data=data, method=method)
    if token:
        req.add_header("Authorization", "Bearer " + token)
    if data is not None:
        req.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(req, timeout=600) as r:
            status, raw = r.status, r.read()
    except urllib.error.HTTPError as e:
        status, raw = e.code, e.read()
    except urllib.error.URLError as e:
        raise ServerError("cannot reach %s (%s): is `make run` running?" % (API, e.reason))
    parsed = json.loads(raw) if raw else None
    if status not in ok:
        err = (parsed or {}).get("error", {}) if isinstance(parsed, dict) else {}
        lines = ["%s %s -> %d %s: %s" % (method, path, status, err.get("code", "?"),
                                         err.get("message", raw.decode(errors="replace")))]
        for d in err.get("details") or []:
            lines.append("  at %s: %s" % (d.get("path"), d.get("message")))
        raise ServerError("\n".join(lines))
    return status, parsed


def main():
    _, signed = call("GET", "/api/auth/login")  # the emulator approves at once
    token = signed["token"]
    print("signed in as %s" % signed["user"]["display_name"])

    status, base = call("POST", "/api/base-playlists", token,
                        {"spotify_playlist_id": BASE_PLAYLIST}, ok=(201, 409))
    if status == 409:
        _, bases = call("GET", "/api/base-playlists", token)
        base = next(b for b in bases["items"] if b["spotify_playlist_id"] == BASE_PLAYLIST)
        print("base playlist: %s (%s), already there" % (base["id"], base["name"]))
    else:
        print("base playlist: %s (%s), added" % (base["id"], base["name"]))

    _, children = call("GET", "/api/base-playlists/%s/child-playlists" % base["id"], token)
    have = {c["name"] for c in children["items"]}
    for child in CHILDREN:
        if child["name"] in have:
            print("child: %s, already there" % child["name"])
            continue
        _, c = call("POST", "/api/base-playlists/%s/child-playlists" % base["id"], token, child)
        print("child: %s -> spotify playlist %s, added" % (c["name"], c["spotify_playlist_id"]))

    _, event = call("POST", "/api/base-playlists/%s/sync" % base["id"], token)
    print("sync:")
    print(json.dumps(event, indent=2))
    return 0 if event.get("status") == "completed" else 1


if __name__ == "__main__":
    try:
        sys.exit(main())
    except ServerError as e:
        print("demo: " + str(e), file=sys.stderr)
        sys.exit(1)
