"""Writes the seed corpus of every fuzz target into tests/fuzz/corpus/<target>/.
Run once from the repository root (python3 tests/fuzz/make_seeds.py); the files are
committed. Crash inputs found later are added next to them by hand (README.md)."""
import base64
import hashlib
import hmac
import json
import os
import random
import struct

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus")


def put(target, name, data):
    d = os.path.join(ROOT, target)
    os.makedirs(d, exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


# ---- fuzz_rule_compile: child objects and bare rules, good and bad -----------------
RULES = [
    {"all": []},
    {"any": []},
    {"not": {"field": "explicit", "op": "eq", "value": True}},
    {"all": [{"field": "genre", "op": "in", "value": ["indie rock", "Shoegaze"]},
             {"field": "release_year", "op": "between", "value": [1990, 1999]}]},
    {"any": [{"field": "artist_name", "op": "matches", "value": "^the .*s$"},
             {"field": "track_name", "op": "contains", "value": "Live"}]},
    {"field": "added_at", "op": "in_the_last", "value": 30},
    {"field": "release_date", "op": "before", "value": "2000-02-29"},
    {"field": "release_date", "op": "between", "value": ["1994-01-01", "1994-12-31"]},
    {"field": "duration_ms", "op": "lt", "value": 240000.5},
    {"field": "popularity", "op": "not_in", "value": [1, 2, 3]},
    {"field": "label", "op": "exists"},
    {"field": "album_type", "op": "neq", "value": "compilation"},
    {"field": "track_name", "op": "matches", "value": "((a{1,100}){1,100}){1,100}"},
    {"field": "track_name", "op": "matches", "value": "(.*)(.*)(.*)(.*)(.*)\\5\\4\\3\\2\\1$"},
    {"field": "track_name", "op": "matches", "value": "[[=a=]]\\<x\\d{,3}[\\]"},
    {"field": "nope", "op": "equals", "value": {}},
    {"field": "release_date", "op": "before", "value": "2026-02-30"},
    {"all": {"field": "x"}},
    {"not": {"not": {"not": {"any": [{"all": []}, 3, "x", None]}}}},
]
for i, r in enumerate(RULES):
    put("fuzz_rule_compile", "rule_%02d.json" % i, json.dumps(r))
put("fuzz_rule_compile", "child_full.json", json.dumps({
    "name": "x", "filter": RULES[3], "sort": {"by": "release_date", "order": "desc"},
    "limit": 50, "catch_all": False, "pinned_track_ids": ["a", "b"],
    "banned_track_ids": ["c"]}))
put("fuzz_rule_compile", "child_bad.json", json.dumps({
    "filter": None, "sort": {"by": "genre", "order": "up"}, "limit": -1, "catch_all": 1,
    "pinned_track_ids": [""], "banned_track_ids": "x"}))
deep = {"all": []}
for _ in range(40):
    deep = {"not": deep}
put("fuzz_rule_compile", "deep.json", json.dumps(deep))

# ---- binary inputs: rule_eval, write_plan -----------------------------------------
rng = random.Random(12)
for i in range(12):
    put("fuzz_rule_eval", "random_%02d" % i, bytes(rng.randrange(256) for _ in range(rng.randrange(8, 400))))
for i in range(12):
    put("fuzz_write_plan", "random_%02d" % i, bytes(rng.randrange(256) for _ in range(rng.randrange(8, 1500))))
# lists that are equal, reversed and disjoint: lengths 40, alphabet 40
put("fuzz_write_plan", "equal", struct.pack(">III", 40, 40, 39) + b"".join(
    b"\x00" + struct.pack(">I", i) for i in range(40)) + b"".join(struct.pack(">I", i) for i in range(40)))

# ---- fuzz_session_verify -----------------------------------------------------------
KEY = b"fuzz-key-0123456789abcdef-0123456789abcdef"


def b64(d):
    return base64.urlsafe_b64encode(d).rstrip(b"=")


def token(header, claims, key=KEY):
    signing = b64(json.dumps(header).encode()) + b"." + b64(json.dumps(claims).encode())
    return signing + b"." + b64(hmac.new(key, signing, hashlib.sha256).digest())


good = {"iss": "playrouter", "sub": "user1", "iat": 1799999000, "exp": 1800003600, "jti": "j1"}
put("fuzz_session_verify", "valid", b"\x00" + token({"alg": "HS256", "typ": "JWT"}, good))
put("fuzz_session_verify", "alg_none", b"\x00" + b64(b'{"alg":"none"}') + b"." + b64(json.dumps(good).encode()) + b".")
put("fuzz_session_verify", "expired", b"\x00" + token({"alg": "HS256"}, dict(good, exp=1700000000)))
put("fuzz_session_verify", "wrong_key", b"\x00" + token({"alg": "HS256"}, good, b"x" * 32))
put("fuzz_session_verify", "garbage", b"\x00a.b.c")
put("fuzz_session_verify", "issue_a", b"\x01\x05alice" + bytes(range(1, 40)))
put("fuzz_session_verify", "issue_b", b"\x01\x40" + b"u" * 64 + b"\xff" * 24)

# ---- fuzz_spotify_parse: answers as the emulator (and Spotify) give them -------------
track = {"id": "4uLU6hMCjMI75M1A2tKUQC", "uri": "spotify:track:4uLU6hMCjMI75M1A2tKUQC",
         "name": "Never Gonna Give You Up", "type": "track", "is_local": False,
         "duration_ms": 213573, "explicit": False, "popularity": 80, "track_number": 1,
         "disc_number": 1, "external_ids": {"isrc": "GBARL9300135"},
         "artists": [{"id": "0gxyHStUsqpMadRV0Di1Qt", "name": "Rick Astley"}],
         "album": {"id": "6N9PS4QXF1D0OWPk0Sxtb4", "name": "Whenever You Need Somebody",
                   "album_type": "album", "release_date": "1987-11-12",
                   "release_date_precision": "day"}}
entry = {"added_at": "2026-11-20T10:00:00Z", "added_by": {"id": "alice"}, "is_local": False,
         "item": track}
local = {"added_at": "2026-11-20T10:00:00.123Z", "is_local": True,
         "track": {"uri": "spotify:local:A:B:C:200", "name": "C", "is_local": True,
                   "artists": [{"name": "A"}], "album": {"name": "B"}}}
episode = {"added_at": "bad", "item": {"type": "episode", "id": "e1", "uri": "spotify:episode:e1",
                                       "name": "Ep", "duration_ms": 1000}}
page = {"items": [entry, local, episode, {"item": None}, 7], "total": 5, "limit": 50,
        "offset": 0, "next": None}
put("fuzz_spotify_parse", "page.json", json.dumps(page))
put("fuzz_spotify_parse", "playlist.json", json.dumps({
    "id": "p1", "name": "Base", "snapshot_id": "s1", "owner": {"id": "demo"}, "items": page}))
put("fuzz_spotify_parse", "playlist_tracks.json", json.dumps({
    "id": "p1", "name": "Base", "snapshot_id": "s1", "owner": {"id": "demo"},
    "tracks": dict(page, items=[dict(entry, track=track, item=None)])}))
put("fuzz_spotify_parse", "track.json", json.dumps(track))
put("fuzz_spotify_parse", "artists.json", json.dumps([
    {"id": "a1", "name": "X", "genres": ["indie", "", 3], "popularity": 50}, None]))
put("fuzz_spotify_parse", "albums.json", json.dumps([
    {"id": "b1", "name": "Y", "label": "", "popularity": "high"}, None]))
put("fuzz_spotify_parse", "user.json", json.dumps({"id": "demo", "display_name": "Demo",
                                                   "country": "SE", "product": "premium"}))
put("fuzz_spotify_parse", "error.json", json.dumps({"error": {"status": 429, "message": "Too many",
                                                              "reason": "QUOTA_EXCEEDED"}}))
put("fuzz_spotify_parse", "error_accounts.json", json.dumps({"error": "invalid_grant",
                                                             "error_description": "expired"}))
put("fuzz_spotify_parse", "timestamp", "2026-11-23T14:30:00.123456Z")
put("fuzz_spotify_parse", "dates.json", json.dumps({"items": [
    {"item": dict(track, album=dict(track["album"], release_date=d))}
    for d in ("1994", "1994-06", "0000-00-00", "2026-02-30", "99999", "")]}))

# ---- fuzz_redis_url ----------------------------------------------------------------
for i, u in enumerate(["redis://127.0.0.1:6379/0", "redis://:secret@localhost/3",
                       "redis://user:p%40ss@[::1]:6380/15", "redis://host:0", "redis://h:65536",
                       "REDIS://a@b", "redis://%00@h", "redis://[::1", "redis://h/1?x=1",
                       "redis://h:6379/-1", "http://h"]):
    put("fuzz_redis_url", "url_%02d" % i, u)
