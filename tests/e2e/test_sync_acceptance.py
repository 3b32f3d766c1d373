"""Acceptance: sync, preview and explain of the real server against the Spotify
emulator, in both API modes, checked against rules_reference.py (an
independent reading of API.md).

Run from a build folder:
    PLAYROUTER_BUILD_DIR=$PWD python3 -B ../tests/e2e/test_sync_acceptance.py

Each mode (development, extended) gets its own emulator and server:
  base 1: a generated playlist of 2,000 entries (local files, episodes and
          duplicates among them), routing "all", six children whose rules
          cover every operator family, sort + limit, pins/bans and a catch-all;
  base 2: a generated playlist of 400 entries, routing "first_match", four
          children (sort + limit, pin, ban, catch-all).
Steps (in order; a later step fails loudly when an earlier one did):
  01 development mode refuses the extended-only fields (400 validation_failed
     at the field's JSON path); extended mode accepts them
  02 first sync of base 1: 200 completed, playlists == reference, counters
  03 second sync writes nothing, every added/removed is 0
  04 the base is edited on the emulator; preview == new expectation, writes nothing
  05 explain: pinned, banned, limit, not_in_base, the contract's "/all/1" path,
     and partial release dates decided as API.md says
  06 re-sync: contents == new expectation, writes proportional to the change
  07 first_match base: partition, sort + limit, explain matched_earlier_child
"""
import datetime
import http.client
import json
import os
import sys
import unittest
import urllib.parse

sys.path.insert(0, os.path.dirname(__file__))
from harness import SLOW, ServerWithEmulator  # noqa: E402
import rules_reference as R  # noqa: E402

try:
    import emulator as EMU  # noqa: E402  (the emulator engineer's helper)
except ImportError as e:  # fail loudly in setUpClass, not silently
    EMU = None
    EMU_IMPORT_ERROR = e

BASE_SIZE = 2000
FM_SIZE = 400
WRITE_METHODS = ("POST", "PUT", "DELETE")


# ---------------------------------------------------------------------------
# Small HTTP helpers
# ---------------------------------------------------------------------------

def http_call(base_url, method, path, body=None, headers=None, timeout=60):
    """(status, headers with lower-case names, parsed JSON or text)."""
    u = urllib.parse.urlsplit(base_url)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=timeout * SLOW)
    hdrs = dict(headers or {})
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        hdrs["Content-Type"] = "application/json"
    conn.request(method, path, body=data, headers=hdrs)
    resp = conn.getresponse()
    payload = resp.read()
    out_headers = {k.lower(): v for k, v in resp.getheaders()}
    conn.close()
    if out_headers.get("content-type", "").startswith("application/json") and payload:
        return resp.status, out_headers, json.loads(payload)
    return resp.status, out_headers, payload.decode(errors="replace")


def sign_in(srv, emu_url, user="demo"):
    """The real OAuth flow: /api/auth/login -> emulator /authorize (auto-approves,
    `user=` picks the user) -> /api/auth/callback -> {"token"}."""
    status, headers, body = srv.request("GET", "/api/auth/login")
    assert status == 302, "login answered %s: %s" % (status, body)
    loc = headers["location"]
    assert loc.startswith(emu_url + "/authorize?"), loc
    u = urllib.parse.urlsplit(loc)
    q = urllib.parse.parse_qs(u.query)
    for k in ("response_type", "client_id", "redirect_uri", "scope", "state", "code_challenge",
              "code_challenge_method"):
        assert k in q, "authorize URL lacks %s: %s" % (k, loc)
    status, headers, body = http_call(emu_url, "GET", u.path + "?" + u.query + "&user=" + user)
    assert status == 302, "emulator /authorize answered %s: %s" % (status, body)
    cb = urllib.parse.urlsplit(headers["location"])
    assert cb.path == "/api/auth/callback" and "code=" in cb.query, headers["location"]
    status, _, body = srv.request("GET", cb.path + "?" + cb.query)
    assert status == 200 and isinstance(body, dict) and body.get("token"), \
        "callback answered %s: %s" % (status, body)
    return body["token"]


# ---------------------------------------------------------------------------
# Emulator data -> reference model
# ---------------------------------------------------------------------------

def track_view(t):
    """An /__admin track (full metadata) -> rules_reference track view."""
    al = t["album"]
    return R.make_track(
        t["id"], name=t["name"], isrc=t.get("isrc"),
        artists=[{"id": a["id"], "name": a["name"], "genres": a.get("genres") or [],
                  "popularity": a.get("popularity")} for a in t["artists"]],
        album={"id": al["id"], "name": al["name"], "album_type": al.get("album_type"),
               "release_date": al.get("release_date"), "label": al.get("label"),
               "popularity": al.get("popularity")},
        track_number=t.get("track_number"), disc_number=t.get("disc_number"),
        duration_ms=t.get("duration_ms"), explicit=t.get("explicit"),
        popularity=t.get("popularity"))


def base_entries(detail):
    """/__admin/playlists/{id} items -> reference base entries."""
    out = []
    for it in detail["items"]:
        uri = it["uri"]
        tid = uri.split(":")[2] if uri.startswith("spotify:track:") else None
        out.append({"kind": it.get("type", "track"), "is_local": bool(it.get("is_local")),
                    "track_id": tid, "added_at": it.get("added_at"),
                    "added_by": it.get("added_by")})
    return out


def uris(ids):
    return ["spotify:track:%s" % i for i in ids]


def leaf(field, op, value=None):
    r = {"field": field, "op": op}
    if value is not None:
        r["value"] = value
    return r


# ---------------------------------------------------------------------------
# The scenario, once per mode
# ---------------------------------------------------------------------------

class _Acceptance(ServerWithEmulator):
    MODE = None
    state = None  # shared between the ordered steps of one mode
    EMULATOR_ARGS = ("--playlist", "demo:Acceptance base:%d" % BASE_SIZE,
                     "--playlist", "demo:First match base:%d" % FM_SIZE,
                     "--playlist", "demo:Prefilled child:30:plain")

    # -- fixtures ---------------------------------------------------------

    @classmethod
    def prepare(cls):
        if EMU is None:
            raise RuntimeError("tests/e2e/emulator.py is missing (%s): the acceptance suite "
                               "cannot run" % EMU_IMPORT_ERROR)
        cls.emu_url = cls.emu.base_url
        cls.token = sign_in(cls.srv, cls.emu_url, "demo")
        cls._load_catalogue()

    @classmethod
    def _load_catalogue(cls):
        tracks = cls.emu.tracks()
        cls.catalogue = {t["id"]: track_view(t) for t in tracks}
        cls.artist_genres = {a["id"]: a.get("genres") or [] for t in tracks for a in t["artists"]}
        for t in tracks:  # our own union of genres agrees with the emulator's
            assert cls.catalogue[t["id"]]["genre"] == t["genres"], t["id"]
        cls.base1_spid = cls.emu.playlist_id("demo", "Acceptance base")
        cls.base2_spid = cls.emu.playlist_id("demo", "First match base")
        cls.prefilled_spid = cls.emu.playlist_id("demo", "Prefilled child")

    # -- helpers ----------------------------------------------------------

    def api(self, method, path, body=None, headers=None):
        return self.srv.request(method, path, body=body, headers=headers, token=self.token,
                                timeout=120)

    def need(self, *steps):
        """A step that builds on earlier ones fails loudly when they failed."""
        missing = [s for s in steps if s not in self.state]
        if missing:
            self.fail("depends on step(s) %s, which did not complete" % ", ".join(missing))

    def entries(self, spid):
        return base_entries(self.emu.playlist(spid))

    def playlist_uris(self, spid):
        return self.emu.playlist_uris(spid)

    def reset_log(self):
        self.emu.reset_request_log()
        self.emu.reset_counters()

    def write_log(self):
        """Web API write requests since the last reset_log(): [(method, path)].
        The per-route counters must agree with the log."""
        log = [(r["method"], r["path"]) for r in self.emu.request_log()
               if r["method"] in WRITE_METHODS and r["path"].startswith("/v1/")]
        counted = sum(sum(v.values()) for k, v in self.emu.counters().items()
                      if k.split(" ")[0] in WRITE_METHODS)
        self.assertEqual(counted, len(log), "emulator counters and request log disagree")
        return log

    def writes_per_playlist(self, log):
        out = {}
        for method, path in log:
            parts = path.split("/")
            pid = parts[3] if len(parts) > 3 and parts[2] == "playlists" else path
            out[pid] = out.get(pid, 0) + 1
        return out

    def create_base(self, spid, routing):
        status, _, body = self.api("POST", "/api/base-playlists",
                                   {"spotify_playlist_id": spid, "routing": routing})
        self.assertEqual(status, 201, body)
        self.assertEqual(body["routing"], routing)
        self.assertEqual(body["spotify_playlist_id"], spid)
        return body

    def create_child(self, base_id, spec):
        status, _, body = self.api("POST", "/api/base-playlists/%s/child-playlists" % base_id, spec)
        self.assertEqual(status, 201, "creating child %s: %s" % (spec.get("name"), body))
        for k in ("filter", "sort", "limit", "catch_all", "position"):
            if k in spec:
                self.assertEqual(body[k], spec[k], "child %s: %s echoed back" % (spec["name"], k))
        self.assertEqual(sorted(body["pinned_track_ids"]), sorted(spec.get("pinned_track_ids", [])))
        self.assertEqual(sorted(body["banned_track_ids"]), sorted(spec.get("banned_track_ids", [])))
        if spec.get("spotify_playlist_id"):
            self.assertEqual(body["spotify_playlist_id"], spec["spotify_playlist_id"])
        else:
            self.assertTrue(body["spotify_playlist_id"])
        return body

    def plan(self, spid, children, routing):
        plan = R.compute_targets(self.entries(spid), self.catalogue, children, routing)
        self.assertEqual(plan.ambiguities, [],
                         "test data hits corners API.md leaves open; pick other data")
        return plan

    def sync(self, base_id):
        status, _, ev = self.api("POST", "/api/base-playlists/%s/sync" % base_id)
        self.assertEqual(status, 200, ev)
        self.assertEqual(ev.get("status"), "completed",
                         "sync failed: %s" % ev.get("error_message"))
        return ev

    def check_event(self, ev, plan, before, children, label):
        """Counters of a finished SyncEvent against the plan; `before` is
        {child_id: [uris]} of the playlists before the sync."""
        self.assertEqual(ev["tracks_processed"], plan.processed, label + ": tracks_processed")
        self.assertEqual(ev["tracks_skipped"], plan.skipped,
                         label + ": tracks_skipped (locals %d + episodes %d + duplicates %d)"
                         % (plan.skipped_local, plan.skipped_episode, plan.skipped_duplicate))
        per = {c["child_playlist_id"]: c for c in ev["children"]}
        self.assertEqual(set(per), set(c["id"] for c in children), label + ": children listed")
        for c in children:
            tgt = plan.targets[c["id"]]
            cur = [u.split(":")[2] for u in before[c["id"]] if u.startswith("spotify:track:")]
            add, rem = R.diff(cur, tgt)
            got = per[c["id"]]
            self.assertEqual((got["matched"], got["added"], got["removed"]),
                             (len(tgt), len(add), len(rem)),
                             "%s: child %r matched/added/removed" % (label, c["name"]))

    def check_contents(self, plan, children, label):
        for c in children:
            got = self.playlist_uris(c["spotify_playlist_id"])
            want = uris(plan.targets[c["id"]])
            if got != want:
                extra = [u for u in got if u not in set(want)]
                lacking = [u for u in want if u not in set(got)]
                self.fail("%s: child %r (rule %s, sort %s, limit %s) holds %d tracks, expected %d;"
                          " unexpected %s; missing %s; first order difference at %s"
                          % (label, c["name"], json.dumps(c["filter"]), c.get("sort"),
                             c.get("limit"), len(got), len(want), extra[:5], lacking[:5],
                             next((i for i, (a, b) in enumerate(zip(got, want)) if a != b), None)))

    # -- the design of base 1 ---------------------------------------------

    def design_base1(self, views):
        """Six children over the distinct base tracks `views` (base order).
        Values are picked from the data so every branch has something to do."""
        ext = self.MODE == "extended"
        t = views
        a10 = t[10]["artist_id"][0]
        # ids compare exactly: another artist's id in another case must match
        # nothing (folding it would pull that artist's tracks in).
        a_other = next(v["artist_id"][0] for v in t[11:] if v["artist_id"][0] != a10
                       and v["artist_id"][0].lower() != v["artist_id"][0])
        alb = [t[20]["album_name"].upper(), t[30]["album_name"]]
        artist_lower = t[40]["artist_name"][0].lower()
        c1 = {"name": "Strings", "position": 0, "filter": {"any": [
            {"all": [leaf("artist_name", "starts_with", "the "),
                     leaf("track_name", "ends_with", " REMIX)")]},
            leaf("track_name", "matches", "^(silver|golden) (heart|river)$"),
            leaf("album_name", "in", alb),
            leaf("artist_id", "eq", a10),
            leaf("artist_id", "eq", a_other.lower()),
            leaf("album_id", "in", [t[12]["album_id"].upper(), t[13]["album_id"].swapcase()]),
            {"all": [leaf("album_type", "eq", "COMPILATION"),
                     leaf("track_name", "contains", "echo"),
                     leaf("track_name", "not_contains", "remix")]},
            {"all": [leaf("artist_name", "eq", artist_lower),
                     leaf("artist_name", "neq", "nobody at all"),
                     leaf("album_name", "not_in", [alb[1]])]},
            {"all": [leaf("isrc", "starts_with", "GB"), leaf("track_name", "contains", "ghost"),
                     leaf("track_name", "neq", "Quiet Ghost")]},
            # number bounds are inclusive (between) or exact (gte/lte, gt/lt)
            leaf("duration_ms", "between", [t[50]["duration_ms"], t[50]["duration_ms"]]),
            {"all": [leaf("duration_ms", "gte", t[51]["duration_ms"]),
                     leaf("duration_ms", "lte", t[51]["duration_ms"])]},
            {"all": [leaf("duration_ms", "gt", t[52]["duration_ms"] - 1),
                     leaf("duration_ms", "lt", t[52]["duration_ms"] + 1)]},
        ]}}
        if ext:
            num_rule = {"all": [
                leaf("duration_ms", "between", [150000, 300000]),
                leaf("track_number", "in", [1, 2, 3, 4, 5]),
                leaf("disc_number", "eq", 1),
                leaf("popularity", "gte", 30),
                leaf("popularity", "lt", 95),
                leaf("release_year", "gt", 1975),
                leaf("release_year", "lte", 2020),
                leaf("artist_popularity", "neq", 50),
                leaf("album_popularity", "not_in", list(range(0, 20))),
            ]}
            num_sort = {"by": "popularity", "order": "desc"}
        else:
            num_rule = {"all": [
                leaf("duration_ms", "between", [150000, 300000]),
                leaf("track_number", "in", [1, 2, 3, 4, 5]),
                leaf("disc_number", "eq", 1),
                leaf("duration_ms", "gte", 160000),
                leaf("duration_ms", "lt", 290000),
                leaf("release_year", "gt", 1975),
                leaf("release_year", "lte", 2020),
                leaf("track_number", "neq", 3),
                leaf("release_year", "not_in", list(range(1990, 2000))),
            ]}
            num_sort = {"by": "duration_ms", "order": "desc"}
        c2 = {"name": "Numbers", "position": 1, "filter": num_rule, "sort": num_sort,
              "limit": 60, "spotify_playlist_id": self.prefilled_spid}
        # added_at windows: a duplicated track's entries carry different
        # added_at values, and which entry counts is not in API.md; move each
        # window until no duplicated track straddles its edge.
        def day(n):
            return (datetime.date(2024, 1, 1) + datetime.timedelta(days=n)).isoformat()

        dups = [v for v in t if v.get("_dup_entries")]
        ev = R.Evaluator()

        def dup_safe(make):
            for n in sorted(range(-300, 300), key=abs):
                rule = make(n)
                if all(ev.matches(rule, v) == ev.matches(rule, dict(v, **alt))
                       for v in dups for alt in v["_dup_entries"]) and \
                        0 < sum(1 for v in t if ev.matches(rule, v)) < len(t):
                    return rule
            self.fail("no added_at window avoids the duplicates")

        # Partial release dates (API.md: "1994" is 1994-01-01...1994-12-31):
        # `before Z-07-01` must leave out a track released in year Z (year
        # precision) and take one released in Z's first half (day precision);
        # `between [Y-01-01, Y-06-30]` likewise for a later year Y. Pick Z < Y
        # so that, for those tracks, the partial-date branch alone decides.
        def c3_rule(y, z):
            return {"any": [
                leaf("release_date", "between", ["%s-01-01" % y, "%s-06-30" % y]),
                leaf("release_date", "before", "%s-07-01" % z),
                {"all": [leaf("release_date", "after", "2021-12-31"), leaf("explicit", "eq", True)]},
                added_between, leaf("added_at", "in_the_last", 100), added_after, added_before,
            ]}

        added_between = dup_safe(lambda n: leaf("added_at", "between", [day(31 + n), day(33 + n)]))
        added_after = dup_safe(lambda n: {"all": [leaf("added_at", "after", day(516 + n)),
                                                  leaf("release_year", "gte", 2001)]})
        added_before = dup_safe(lambda n: {"all": [leaf("added_at", "before", day(40 + n)),
                                                   leaf("explicit", "eq", True)]})
        years = sorted(set(v["release_date"] for v in t if len(v["release_date"] or "") == 4))

        def first_half(year):
            return [v for v in t if len(v["release_date"]) == 10
                    and v["release_date"].startswith(year + "-") and v["release_date"][5:7] <= "06"]

        def year_tracks(year):
            return [v for v in t if v["release_date"] == year]

        pick = None
        for z in years:
            for y in [yy for yy in years if yy > z]:
                rule = c3_rule(y, z)
                if all(first_half(x) and not any(ev.matches(rule, v) for v in year_tracks(x))
                       and all(ev.matches(rule, v) for v in first_half(x)) for x in (y, z)):
                    pick = (y, z)
                    break
            if pick:
                break
        self.assertIsNotNone(pick, "no pair of years suits the partial-date case")
        y, z = pick
        self.state["partial_year"], self.state["partial_before_year"] = y, z
        c3 = {"name": "Dates", "position": 2, "filter": c3_rule(y, z)}
        if ext:
            several = {"any": [
                {"all": [
                    {"any": [leaf("genre", "in", ["shoegaze", "Dream Pop"]),
                             leaf("genre", "eq", "INDIE ROCK"),
                             leaf("genre", "contains", "metal"),
                             leaf("genre", "starts_with", "k-"),
                             leaf("genre", "ends_with", " garage"),
                             leaf("genre", "matches", "^(deep|uk) ")]},
                    leaf("genre", "not_contains", "hop"),
                    leaf("genre", "not_in", ["emo", "grunge"]),
                    {"not": leaf("label", "in", ["Sub Pop", "4ad"])},
                    leaf("artist_popularity", "gte", 20),
                ]},
                {"all": [leaf("genre", "missing"), leaf("explicit", "eq", True),
                         leaf("label", "neq", "columbia"), leaf("album_popularity", "gt", 50)]},
                {"all": [leaf("genre", "exists"), leaf("label", "starts_with", "warp"),
                         leaf("popularity", "lte", 10)]},
                # negative operators hold on a track without genres
                {"all": [leaf("genre", "neq", "pop"), leaf("genre", "not_contains", "rock"),
                         leaf("genre", "not_in", ["soul"]), leaf("label", "eq", "matador"),
                         leaf("explicit", "eq", False)]},
            ]}
        else:
            several = {"any": [
                {"all": [
                    {"any": [leaf("artist_name", "in", [artist_lower.upper(), "nobody"]),
                             leaf("artist_name", "contains", "NEON"),
                             leaf("artist_name", "ends_with", " ghost"),
                             leaf("artist_name", "matches", "^dj (silver|quiet|wild)")]},
                    leaf("artist_name", "not_contains", "the "),
                    leaf("artist_id", "not_in", [a10]),
                    {"not": leaf("album_type", "in", ["single"])},
                ]},
                {"all": [leaf("release_date", "exists"), leaf("isrc", "missing")]},
                {"all": [leaf("artist_id", "neq", a10), leaf("artist_name", "starts_with", "club "),
                         leaf("explicit", "eq", True)]},
            ]}
        c4 = {"name": "Several values", "position": 3, "filter": several}
        if ext:
            # Tracks without genres sort last, whatever the order. Which genre
            # is "first" when the first artist has none but another has some
            # is open, so such tracks are kept out of this child.
            genreless = sorted(set(a for v in t for a, al in zip(
                v["artist_id"], [self.artist_genres[x] for x in v["artist_id"]]) if not al))
            c4["filter"] = {"all": [several, {"any": [leaf("genre", "missing"),
                                                       leaf("artist_id", "not_in", genreless)]}]}
            c4["sort"] = {"by": "genre", "order": "desc"}
        # Child 5: sort + limit with pins and bans.
        c5_rule = {"all": [leaf("explicit", "eq", False), leaf("release_year", "gte", 2000)]}
        sort5 = {"by": "track_name", "order": "asc"}
        matching = R.sort_tracks([v for v in t if R.matches(c5_rule, v)], sort5)
        not_matching = [v for v in t if not R.matches(c5_rule, v)]
        self.assertGreater(len(matching), 80)
        pin_unmatched = not_matching[7]["track_id"]
        pin_last = matching[-1]["track_id"]            # would be cut by the limit
        ban_top = matching[3]["track_id"]              # would be in the top 40
        pin_and_ban = matching[5]["track_id"]          # ban beats pin
        self.state["c5"] = {"pin_unmatched": pin_unmatched, "pin_last": pin_last,
                            "ban_top": ban_top, "pin_and_ban": pin_and_ban,
                            "cut": matching[60]["track_id"]}
        c5 = {"name": "Sorted top 40", "position": 4, "filter": c5_rule, "sort": sort5,
              "limit": 40, "pinned_track_ids": [pin_unmatched, pin_last, pin_and_ban],
              "banned_track_ids": [ban_top, pin_and_ban]}
        c6 = {"name": "Everything else", "position": 5, "catch_all": True,
              "filter": {"not": leaf("duration_ms", "lt", 110000)},
              "sort": {"by": "artist_name", "order": "desc"}}
        return [c1, c2, c3, c4, c5, c6]

    # -- steps --------------------------------------------------------------

    def test_01_extended_fields_by_mode(self):
        """development: 400 validation_failed at the field's path; extended: 201."""
        base = self.create_base(self.base1_spid, "all")
        self.state["base1"] = base
        cases = [
            ({"all": [leaf("explicit", "eq", True),
                      {"any": [leaf("duration_ms", "gt", 1), leaf("genre", "eq", "pop")]}]},
             "/filter/all/1/any/1/field"),
            (leaf("label", "eq", "4AD"), "/filter/field"),
            ({"not": leaf("popularity", "gt", 10)}, "/filter/not/field"),
            ({"any": [leaf("artist_popularity", "lt", 5)]}, "/filter/any/0/field"),
            ({"all": [leaf("album_popularity", "exists")]}, "/filter/all/0/field"),
        ]
        for flt, path in cases:
            # Each is also checked by the reference's validator.
            if self.MODE == "development":
                with self.assertRaises(R.RuleError) as cm:
                    R.validate_rule(flt, mode="development")
                self.assertEqual("/filter" + cm.exception.path, path)
            else:
                R.validate_rule(flt, mode="extended")
        if self.MODE != "development":
            # Extended mode accepts them (base 1's children use them as well).
            for flt, _ in cases:
                status, _, body = self.api("POST", "/api/base-playlists/%s/child-playlists"
                                           % base["id"], {"name": "accepted", "filter": flt})
                self.assertEqual(status, 201, "filter %s: %s" % (json.dumps(flt), body))
                status, _, body = self.api("DELETE", "/api/child-playlists/%s" % body["id"])
                self.assertEqual(status, 204, body)
            status, _, body = self.api("GET", "/api/base-playlists/%s/child-playlists" % base["id"])
            self.assertEqual((status, body.get("items")), (200, []))
            self.state["01"] = True
            return
        for flt, path in cases:
            status, _, body = self.api("POST", "/api/base-playlists/%s/child-playlists" % base["id"],
                                       {"name": "refused", "filter": flt})
            self.assertEqual(status, 400, "filter %s: %s" % (json.dumps(flt), body))
            self.assertEqual(body["error"]["code"], "validation_failed")
            paths = [d.get("path") for d in body["error"].get("details", [])]
            self.assertIn(path, paths, "filter %s: details %s" % (json.dumps(flt), body))
        status, _, body = self.api("GET", "/api/base-playlists/%s/child-playlists" % base["id"])
        self.assertEqual((status, body.get("items")), (200, []), "a refused child was created")
        self.state["01"] = True

    def test_02_first_sync(self):
        self.need("01")
        base = self.state["base1"]
        entries = self.entries(self.base1_spid)
        views = R.distinct_base_tracks(entries, self.catalogue, R.Plan())
        specs = self.design_base1(views)
        prefilled_before = self.playlist_uris(self.prefilled_spid)
        children = [self.create_child(base["id"], s) for s in specs]
        self.state["children1"] = children
        plan = self.plan(self.base1_spid, children, "all")
        # The data must exercise what the rules are for.
        self.assertEqual(plan.processed, BASE_SIZE)
        self.assertGreater(plan.skipped_local, 0)
        self.assertGreater(plan.skipped_episode, 0)
        self.assertGreater(plan.skipped_duplicate, 0)
        for c in children:
            self.assertGreater(len(plan.targets[c["id"]]), 0, "child %r expects nothing" % c["name"])
        self.assertEqual(len(plan.targets[children[4]["id"]]), 40)
        self.assertEqual(len(plan.targets[children[1]["id"]]), 60)
        before = {c["id"]: [] for c in children}
        before[children[1]["id"]] = prefilled_before
        self.reset_log()
        ev = self.sync(base["id"])
        self.check_event(ev, plan, before, children, "first sync")
        self.check_contents(plan, children, "first sync")
        # Nothing is written to the base playlist itself.
        self.assertNotIn(self.base1_spid, self.writes_per_playlist(self.write_log()))
        self.state["plan1"] = plan
        self.state["02"] = True

    def test_03_second_sync_writes_nothing(self):
        self.need("02")
        base, children, plan = self.state["base1"], self.state["children1"], self.state["plan1"]
        self.reset_log()
        ev = self.sync(base["id"])
        self.assertEqual(self.write_log(), [], "a sync with nothing to change wrote to Spotify")
        before = {c["id"]: uris(plan.targets[c["id"]]) for c in children}
        self.check_event(ev, plan, before, children, "second sync")
        for c in ev["children"]:
            self.assertEqual((c["added"], c["removed"]), (0, 0))
        status, _, st = self.api("GET", "/api/base-playlists/%s/sync-status" % base["id"])
        self.assertEqual(status, 200, st)
        self.assertIs(st["active"], False)
        self.assertEqual(st["sync_event"]["id"], ev["id"])
        status, _, got = self.api("GET", "/api/sync-events/%s" % ev["id"])
        self.assertEqual(status, 200, got)
        self.assertEqual((got["status"], got["tracks_processed"], got["tracks_skipped"]),
                         ("completed", plan.processed, plan.skipped))
        self.check_contents(plan, children, "second sync")
        self.state["03"] = True

    def test_04_edit_base_then_preview(self):
        self.need("02")
        base, children, old = self.state["base1"], self.state["children1"], self.state["plan1"]
        in_base = set(t["track_id"] for t in old.tracks)
        # Remove three tracks that children hold; add three new ones at the end.
        c5_top = old.targets[children[4]["id"]]
        pinned5 = set(children[4]["pinned_track_ids"])
        removed = [next(x for x in c5_top if x not in pinned5),
                   old.targets[children[1]["id"]][0],
                   old.targets[children[5]["id"]][len(old.targets[children[5]["id"]]) // 2]]
        self.assertEqual(len(set(removed)), 3)
        outside = [tid for tid in self.catalogue if tid not in in_base]
        c1_rule = children[0]["filter"]
        added = [next(x for x in outside if R.matches(c1_rule, self.catalogue[x])),
                 next(x for x in outside if R.matches(children[4]["filter"], self.catalogue[x])),
                 outside[len(outside) // 2]]
        self.assertEqual(len(set(added)), 3)
        self.emu.remove_items(self.base1_spid, uris(removed))
        self.emu.add_items(self.base1_spid, uris(added))
        self.state["not_in_base"] = outside[1]
        new = self.plan(self.base1_spid, children, "all")
        self.assertNotEqual(new.targets, old.targets)
        self.state["plan1b"] = new
        # Preview: exactly the new targets; add/remove against current contents.
        self.reset_log()
        status, _, body = self.api("POST", "/api/base-playlists/%s/preview" % base["id"])
        self.assertEqual(status, 200, body)
        self.assertEqual(self.write_log(), [], "preview wrote to Spotify")
        per = {c["child_playlist_id"]: c for c in body["children"]}
        self.assertEqual(set(per), set(c["id"] for c in children))
        for c in children:
            p = per[c["id"]]
            self.assertEqual(p["name"], c["name"])
            self.assertEqual(p["track_ids"], new.targets[c["id"]],
                             "preview of child %r" % c["name"])
            add, rem = R.diff(old.targets[c["id"]], new.targets[c["id"]])
            self.assertEqual(sorted(p["add"]), sorted(add), "preview add of %r" % c["name"])
            self.assertEqual(sorted(p["remove"]), sorted(rem), "preview remove of %r" % c["name"])
        # The playlists are as the last sync left them.
        self.check_contents(old, children, "after preview")
        self.state["04"] = True

    def test_05_explain(self):
        self.need("04")
        base, children, plan = self.state["base1"], self.state["children1"], self.state["plan1b"]
        c5 = self.state["c5"]
        cases = [(c5["pin_unmatched"], 4, "pinned", True),
                 (c5["pin_last"], 4, "pinned", True),
                 (c5["ban_top"], 4, "banned", False),
                 (c5["pin_and_ban"], 4, "banned", False),
                 (c5["cut"], 4, "limit", None),
                 (self.state["not_in_base"], None, "not_in_base", False)]
        for tid, idx, reason, matched in cases:
            ref = plan.explain(tid)
            status, _, body = self.api("POST", "/api/base-playlists/%s/preview?explain=%s"
                                       % (base["id"], tid))
            self.assertEqual(status, 200, body)
            per = {c["child_playlist_id"]: c for c in body["children"]}
            targets = [children[idx]] if idx is not None else children
            for c in targets:
                exp = per[c["id"]].get("explain")
                self.assertIsInstance(exp, dict, "explain missing for %s in %r" % (tid, c["name"]))
                want = ref[c["id"]]
                self.assertEqual(want["reason"], reason, "reference disagrees with the test")
                self.assertEqual(exp.get("reason"), reason,
                                 "explain of %s in child %r: %s" % (tid, c["name"], exp))
                if matched is not None:
                    self.assertIs(exp.get("matched"), matched,
                                  "explain of %s in child %r: %s" % (tid, c["name"], exp))
        # A rule decision in a flat `all`: the contract's own example path.
        # Child 5's rule is all[explicit eq false, release_year gte 2000]; a
        # non-explicit track released before 2000, neither pinned nor banned:
        c5c = children[4]
        tid = next(t["track_id"] for t in plan.tracks
                   if t["explicit"] is False and t["release_year"] is not None
                   and t["release_year"] < 2000 and t["track_id"] not in c5c["pinned_track_ids"])
        ref = plan.explain(tid)[c5c["id"]]
        self.assertEqual((ref["matched"], ref["path"]), (False, "/all/1"))
        status, _, body = self.api("POST", "/api/base-playlists/%s/preview?explain=%s"
                                   % (base["id"], tid))
        self.assertEqual(status, 200, body)
        exp = {c["child_playlist_id"]: c for c in body["children"]}[c5c["id"]]["explain"]
        self.assertEqual((exp.get("matched"), exp.get("path")), (False, "/all/1"), exp)
        # and it shows what the comparison saw: the catalogue's year, from Spotify
        year = next(t["release_year"] for t in plan.tracks if t["track_id"] == tid)
        self.assertEqual((exp.get("field"), exp.get("value"), exp.get("source")),
                         ("release_year", year, "spotify"), exp)
        # Partial release dates in child 3: for a year-precision track of Y
        # (or Z) only the partial-date branch could take it, and must not; a
        # day-precision track of the same year's first half must be taken.
        y, z = self.state["partial_year"], self.state["partial_before_year"]
        c3 = children[2]
        cases = []
        for year in (y, z):
            cases.append((next(t for t in plan.tracks if t["release_date"] == year), False))
            cases.append((next(t for t in plan.tracks if len(t["release_date"]) == 10
                               and t["release_date"].startswith(year + "-")
                               and t["release_date"][5:7] <= "06"), True))
        for tr, want in cases:
            self.assertIs(tr["track_id"] in plan.targets[c3["id"]], want)
            status, _, body = self.api("POST", "/api/base-playlists/%s/preview?explain=%s"
                                       % (base["id"], tr["track_id"]))
            self.assertEqual(status, 200, body)
            exp = {c["child_playlist_id"]: c for c in body["children"]}[c3["id"]]["explain"]
            self.assertIs(exp.get("matched"), want,
                          "release_date %s in child 3 (%s): %s"
                          % (tr["release_date"], json.dumps(c3["filter"]["any"][:2]), exp))
        self.state["05"] = True

    def test_06_resync_after_edit(self):
        self.need("04")
        base, children = self.state["base1"], self.state["children1"]
        old, new = self.state["plan1"], self.state["plan1b"]
        self.reset_log()
        ev = self.sync(base["id"])
        before = {c["id"]: uris(old.targets[c["id"]]) for c in children}
        self.check_event(ev, new, before, children, "re-sync after edit")
        self.check_contents(new, children, "re-sync after edit")
        writes = self.writes_per_playlist(self.write_log())
        for c in children:
            o, n = old.targets[c["id"]], new.targets[c["id"]]
            got = writes.get(c["spotify_playlist_id"], 0)
            if o == n:
                self.assertEqual(got, 0, "child %r did not change but got %d writes" % (c["name"], got))
                continue
            add, rem = R.diff(o, n)
            kept = [x for x in o if x not in rem]
            appended_only = n == kept + [x for x in n if x in add] and n[:len(kept)] == kept
            # Appends at the end + removals: one POST and one DELETE at most.
            # Otherwise each inserted track may need its own positioned POST.
            bound = 2 if appended_only else 2 + len(add)
            self.assertLessEqual(got, bound, "child %r: %d writes for +%d/-%d"
                                 % (c["name"], got, len(add), len(rem)))
        unknown = set(writes) - set(c["spotify_playlist_id"] for c in children)
        self.assertEqual(unknown, set(), "writes outside the children's playlists")
        self.state["06"] = True

    def test_07_first_match(self):
        base = self.create_base(self.base2_spid, "first_match")
        entries = self.entries(self.base2_spid)
        views = R.distinct_base_tracks(entries, self.catalogue, R.Plan())
        f0_rule = leaf("release_year", "lt", 1995)
        f1_rule = leaf("duration_ms", "gt", 200000)
        f2_rule = leaf("explicit", "eq", True)
        f0_sorted = R.sort_tracks([v for v in views if R.matches(f0_rule, v)],
                                  {"by": "duration_ms", "order": "desc"})
        # pinned in F1: a track F0 holds (the pin holds it in F1 as well)
        pin = f0_sorted[0]["track_id"]
        # banned in F2: an explicit track no earlier child takes and no later
        # non-catch-all child matches (so it goes to the catch-all)
        ban = next(v["track_id"] for v in views if R.matches(f2_rule, v)
                   and not R.matches(f0_rule, v) and not R.matches(f1_rule, v))
        # cut by F0's limit although F1's rule matches it: stays out of F1
        cut = next(v["track_id"] for v in f0_sorted[20:] if R.matches(f1_rule, v))
        specs = [
            {"name": "FM old", "position": 0, "filter": f0_rule,
             "sort": {"by": "duration_ms", "order": "desc"}, "limit": 20},
            {"name": "FM long", "position": 1, "filter": f1_rule, "pinned_track_ids": [pin]},
            {"name": "FM explicit", "position": 2, "filter": f2_rule, "banned_track_ids": [ban],
             "sort": {"by": "album_name", "order": "asc"}},
            {"name": "FM rest", "position": 3, "filter": {"all": []}, "catch_all": True},
        ]
        children = [self.create_child(base["id"], s) for s in specs]
        plan = self.plan(self.base2_spid, children, "first_match")
        ev = self.sync(base["id"])
        self.check_event(ev, plan, {c["id"]: [] for c in children}, children, "first_match sync")
        self.check_contents(plan, children, "first_match sync")
        # Partition: outside pins, every distinct base track is in exactly one child.
        holders = {}
        for c in children:
            for tid in plan.targets[c["id"]]:
                if tid not in c["pinned_track_ids"]:
                    holders.setdefault(tid, []).append(c["name"])
        self.assertEqual(set(holders), set(t["track_id"] for t in plan.tracks))
        self.assertEqual([k for k, v in holders.items() if len(v) != 1], [])
        got = {c["id"]: [u.split(":")[2] for u in self.playlist_uris(c["spotify_playlist_id"])]
               for c in children}
        self.assertEqual(len(got[children[0]["id"]]), 20)
        self.assertIn(pin, got[children[1]["id"]])
        self.assertIn(pin, got[children[0]["id"]])
        self.assertNotIn(cut, got[children[1]["id"]], "a limit-cut track fell through")
        self.assertIn(cut, got[children[3]["id"]], "a limit-cut track must reach the catch-all")
        self.assertNotIn(ban, got[children[2]["id"]])
        self.assertIn(ban, got[children[3]["id"]])
        durations = [self.catalogue[x]["duration_ms"] for x in got[children[0]["id"]]]
        self.assertEqual(durations, sorted(durations, reverse=True))
        # explain: the cut track, and a track F0 holds that F1 also matches.
        held = next(x for x in plan.targets[children[0]["id"]]
                    if x != pin and R.matches(f1_rule, self.catalogue[x]))
        for tid, want in ((cut, {0: "limit", 1: "matched_earlier_child"}),
                          (held, {1: "matched_earlier_child"}),
                          (pin, {1: "pinned"}),
                          (ban, {2: "banned"})):
            status, _, body = self.api("POST", "/api/base-playlists/%s/preview?explain=%s"
                                       % (base["id"], tid))
            self.assertEqual(status, 200, body)
            per = {c["child_playlist_id"]: c for c in body["children"]}
            ref = plan.explain(tid)
            for idx, reason in want.items():
                cid = children[idx]["id"]
                self.assertEqual(ref[cid]["reason"], reason, "reference disagrees with the test")
                exp = per[cid].get("explain") or {}
                self.assertEqual(exp.get("reason"), reason,
                                 "explain of %s in %r: %s" % (tid, children[idx]["name"], exp))
                if "matched" not in ref[cid]["silent"]:
                    self.assertIs(exp.get("matched"), ref[cid]["matched"], exp)
            self.assertEqual(per[children[0]["id"]]["track_ids"], plan.targets[children[0]["id"]])


class DevelopmentModeTest(_Acceptance, unittest.TestCase):
    MODE = "development"


class ExtendedModeTest(_Acceptance, unittest.TestCase):
    MODE = "extended"


if __name__ == "__main__":
    unittest.main(verbosity=2)
