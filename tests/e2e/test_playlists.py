"""Base and child playlists end to end (API.md "Base playlists", "Child playlists",
"Semantics in detail -> Resources"; docs/playlists.md): the real server against the
Spotify emulator, users signed in through the real OAuth flow.

Every route and every status of the contract: 201/200/204, 400 with exact detail paths,
404 for another user's ids, 409 conflict, 412 with a stale If-Match, ETag values, the
all-or-nothing PUT, Spotify playlist creation (checked through the emulator's admin
API), unreadable/unknown Spotify playlists, development vs extended mode for `genre`,
and 409 sync_in_progress while an in_progress sync event exists (inserted straight
into the server's SQLite file).
"""
import os
import re
import sqlite3
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from emulator import Emulator  # noqa: E402
from harness import Server, free_port, sign_in  # noqa: E402

BASE_KEYS = {"id", "source", "spotify_playlist_id", "name", "routing", "auto_sync_minutes", "version",
             "last_synced_at", "created", "updated"}
CHILD_KEYS = {"id", "base_playlist_id", "spotify_playlist_id", "name", "filter", "sort", "limit",
              "position", "catch_all", "pinned_track_ids", "banned_track_ids", "version",
              "created", "updated"}
TIME_RE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
ID_RE = re.compile(r"^[0-9a-f]{32}$")
ALL = {"all": []}
GENRE_RULE = {"field": "genre", "op": "eq", "value": "rock"}


def start_pair(mode):
    """An emulator and a playrouter in `mode`, wired together; returns (emu, srv)."""
    emu = Emulator(mode=mode, args=["--tracks", "60"]).start()
    port = free_port()
    try:
        srv = Server(env={
            "PLAYROUTER_PORT": str(port),
            "SPOTIFY_REDIRECT_URI": "http://127.0.0.1:%d/api/auth/callback" % port,
            "SPOTIFY_CLIENT_ID": emu.client_id,
            "SPOTIFY_CLIENT_SECRET": emu.client_secret,
            "SPOTIFY_API_BASE": emu.api_base,
            "SPOTIFY_ACCOUNTS_BASE": emu.accounts_base,
            "SPOTIFY_API_MODE": mode,
        }).start()
    except BaseException:
        emu.stop()
        raise
    return emu, srv


def stop_pair(emu, srv):
    code = srv.stop()
    stderr = srv.stderr()
    srv.cleanup()
    ecode = emu.stop()
    assert code == 0, "server exited with %s:\n%s" % (code, stderr[-4000:])
    for bad in ("runtime error:", "AddressSanitizer", "LeakSanitizer"):
        assert bad not in stderr, "server stderr has %r:\n%s" % (bad, stderr[-4000:])
    assert ecode == 0, "emulator exited with %s:\n%s" % (ecode, emu.stderr()[-4000:])


class PlaylistsTest(unittest.TestCase):
    """Development mode: one emulator, one server, users demo, alice and bob."""

    @classmethod
    def setUpClass(cls):
        cls.emu, cls.srv = start_pair("development")
        try:
            cls.tokens = {u: sign_in(cls.srv, cls.emu, u)["token"] for u in ("demo", "alice", "bob")}
        except BaseException:
            stop_pair(cls.emu, cls.srv)
            raise
        cls.counter = 0

    @classmethod
    def tearDownClass(cls):
        stop_pair(cls.emu, cls.srv)

    # ---- helpers ----

    def api(self, method, path, body=None, user="demo", headers=None, raw=None):
        return self.srv.request(method, path, body=body, token=self.tokens[user], headers=headers,
                                raw=raw)

    def spotify_playlist(self, owner="demo", name=None):
        """A new playlist on the emulator; returns its id."""
        PlaylistsTest.counter += 1
        return self.emu.create_playlist(owner=owner, name=name or "Spotify %d" % self.counter,
                                        size=3, plain=True)

    def new_base(self, user="demo", **fields):
        body = {"spotify_playlist_id": self.spotify_playlist(user)}
        body.update(fields)
        status, _, base = self.api("POST", "/api/base-playlists", body, user=user)
        self.assertEqual(status, 201, base)
        return base

    def new_child(self, base, user="demo", **fields):
        body = {"name": "Child", "filter": ALL}
        body.update(fields)
        status, _, child = self.api("POST", "/api/base-playlists/%s/child-playlists" % base["id"],
                                    body, user=user)
        self.assertEqual(status, 201, child)
        return child

    def children(self, base, user="demo"):
        status, _, body = self.api("GET", "/api/base-playlists/%s/child-playlists" % base["id"],
                                   user=user)
        self.assertEqual(status, 200, body)
        self.assertEqual(set(body), {"items"})
        return body["items"]

    def assert_error(self, resp, status, code, paths=None):
        """The status, the error code and (when given) exactly these detail paths."""
        st, _, body = resp
        self.assertEqual(st, status, body)
        self.assertEqual(body["error"]["code"], code, body)
        self.assertIsInstance(body["error"]["message"], str)
        if paths is not None:
            got = sorted(d["path"] for d in body["error"].get("details", []))
            self.assertEqual(got, sorted(paths), body)
        return body["error"]

    def detail(self, err, path):
        for d in err["details"]:
            if d["path"] == path:
                return d["message"]
        self.fail("no detail at %s in %s" % (path, err))

    # ---- base playlists ----

    def test_base_create_get_shape_and_etag(self):
        pid = self.spotify_playlist(name="Everything 90s")
        status, headers, base = self.api("POST", "/api/base-playlists", {"spotify_playlist_id": pid})
        self.assertEqual(status, 201, base)
        self.assertEqual(set(base), BASE_KEYS)
        self.assertRegex(base["id"], ID_RE)
        self.assertEqual(base["spotify_playlist_id"], pid)
        self.assertEqual(base["source"], "playlist")  # the default
        self.assertEqual(base["name"], "Everything 90s")  # the Spotify playlist's name
        self.assertEqual(base["routing"], "all")
        self.assertEqual(base["auto_sync_minutes"], 0)
        self.assertEqual(base["version"], 1)
        self.assertIsNone(base["last_synced_at"])
        self.assertRegex(base["created"], TIME_RE)
        self.assertEqual(base["updated"], base["created"])
        self.assertEqual(headers["etag"], '"1"')
        self.assertEqual(headers["location"], "/api/base-playlists/" + base["id"])

        status, headers, got = self.api("GET", "/api/base-playlists/" + base["id"])
        self.assertEqual(status, 200)
        self.assertEqual(got, base)
        self.assertEqual(headers["etag"], '"1"')

    def test_base_create_with_name_routing_and_uri(self):
        pid = self.spotify_playlist()
        status, _, base = self.api("POST", "/api/base-playlists", {
            "spotify_playlist_id": "spotify:playlist:" + pid, "name": "Mine",
            "routing": "first_match", "auto_sync_minutes": 60})
        self.assertEqual(status, 201, base)
        self.assertEqual((base["spotify_playlist_id"], base["name"], base["routing"],
                          base["auto_sync_minutes"]), (pid, "Mine", "first_match", 60))

    def test_base_create_validation_paths(self):
        self.assert_error(self.api("POST", "/api/base-playlists", {}), 400, "validation_failed",
                          ["/spotify_playlist_id"])
        err = self.assert_error(self.api("POST", "/api/base-playlists", {
            "spotify_playlist_id": 42, "routing": "sideways", "name": "  ", "colour": "red",
            "version": 3, "auto_sync_minutes": 10081}), 400, "validation_failed",
            ["/spotify_playlist_id", "/routing", "/name", "/colour", "/version",
             "/auto_sync_minutes"])
        self.assertEqual(self.detail(err, "/colour"), "unknown field")
        self.assertEqual(self.detail(err, "/auto_sync_minutes"),
                         "must be 0 (off) or an integer from 1 to 10080")
        for bad in (-1, 1.5, "5", True):
            self.assert_error(self.api("POST", "/api/base-playlists", {
                "spotify_playlist_id": "x", "auto_sync_minutes": bad}), 400, "validation_failed",
                ["/auto_sync_minutes"])
        self.assertEqual(self.detail(err, "/version"), "is read-only")
        self.assertEqual(self.detail(err, "/routing"), 'must be "all" or "first_match"')
        self.assert_error(self.api("POST", "/api/base-playlists", raw=b"{not json"), 400,
                          "invalid_json")
        self.assert_error(self.api("POST", "/api/base-playlists", [1, 2]), 400, "invalid_json")

    def test_base_unknown_or_unreadable_spotify_playlist(self):
        before = len(self.emu.playlists())
        err = self.assert_error(
            self.api("POST", "/api/base-playlists", {"spotify_playlist_id": "0000000000000000000000"}),
            400, "validation_failed", ["/spotify_playlist_id"])
        self.assertIn("does not exist or you may not read it",
                      self.detail(err, "/spotify_playlist_id"))
        secret = self.emu.playlist_id("alice", "Alice's secret mix")
        self.assert_error(self.api("POST", "/api/base-playlists", {"spotify_playlist_id": secret}),
                          400, "validation_failed", ["/spotify_playlist_id"])
        status, _, body = self.api("GET", "/api/base-playlists?limit=200")
        self.assertNotIn(secret, [b["spotify_playlist_id"] for b in body["items"]])
        self.assertEqual(len(self.emu.playlists()), before)

    def test_base_second_on_same_spotify_playlist_is_409(self):
        base = self.new_base()
        err = self.assert_error(self.api("POST", "/api/base-playlists", {
            "spotify_playlist_id": base["spotify_playlist_id"]}), 409, "conflict")
        self.assertIn(base["id"], err["message"])

    def test_base_patch_versions_and_if_match(self):
        base = self.new_base()
        url = "/api/base-playlists/" + base["id"]
        status, headers, got = self.api("PATCH", url, {"name": "Renamed", "routing": "first_match"},
                                        headers={"If-Match": '"1"'})
        self.assertEqual(status, 200, got)
        self.assertEqual((got["name"], got["routing"], got["version"]), ("Renamed", "first_match", 2))
        self.assertEqual(headers["etag"], '"2"')
        self.assertEqual(got["spotify_playlist_id"], base["spotify_playlist_id"])
        self.assertEqual(got["created"], base["created"])

        err = self.assert_error(self.api("PATCH", url, {"name": "Stale"}, headers={"If-Match": '"1"'}),
                                412, "version_mismatch")
        self.assertNotIn("details", err)
        self.assert_error(self.api("PATCH", url, {"name": "Junk"}, headers={"If-Match": "abc"}),
                          412, "version_mismatch")
        status, headers, got = self.api("PATCH", url, {"name": "Bare"}, headers={"If-Match": "2"})
        self.assertEqual((status, got["version"], headers["etag"]), (200, 3, '"3"'))
        status, _, got = self.api("PATCH", url, {"auto_sync_minutes": 15}, headers={"If-Match": 'W/"3"'})
        self.assertEqual((status, got["version"], got["auto_sync_minutes"]), (200, 4, 15))
        status, _, got = self.api("PATCH", url, {"routing": "all"}, headers={"If-Match": "*"})
        self.assertEqual((status, got["version"]), (200, 5))
        # Nothing changes: the version stays.
        status, headers, got = self.api("PATCH", url, {"name": "Bare"})
        self.assertEqual((status, got["version"], headers["etag"]), (200, 5, '"5"'))
        status, _, got = self.api("PATCH", url, {})
        self.assertEqual((status, got["version"]), (200, 5))

        self.assert_error(self.api("PATCH", url, {"spotify_playlist_id": "abc", "id": "x",
                                                  "last_synced_at": None, "name": 5}),
                          400, "validation_failed",
                          ["/spotify_playlist_id", "/id", "/last_synced_at", "/name"])
        self.assert_error(self.api("PATCH", url, raw=b"[]"), 400, "invalid_json")
        status, _, got = self.api("GET", url)
        self.assertEqual((got["name"], got["routing"], got["auto_sync_minutes"], got["version"]),
                         ("Bare", "all", 15, 5))
        self.assert_error(self.api("PATCH", "/api/base-playlists/nope", {"name": "x"}), 404,
                          "not_found")

    def test_base_delete_if_match_and_cascade(self):
        base = self.new_base()
        child = self.new_child(base)
        url = "/api/base-playlists/" + base["id"]
        self.assert_error(self.api("DELETE", url, headers={"If-Match": '"7"'}), 412,
                          "version_mismatch")
        status, _, body = self.api("DELETE", url, headers={"If-Match": '"1"'})
        self.assertEqual((status, body), (204, ""))
        self.assert_error(self.api("GET", url), 404, "not_found")
        self.assert_error(self.api("GET", "/api/child-playlists/" + child["id"]), 404, "not_found")
        self.assert_error(self.api("GET", url + "/child-playlists"), 404, "not_found")
        self.assert_error(self.api("DELETE", url), 404, "not_found")
        # The Spotify playlists are kept.
        self.assertEqual(self.emu.playlist(base["spotify_playlist_id"])["id"],
                         base["spotify_playlist_id"])
        self.assertEqual(self.emu.playlist(child["spotify_playlist_id"])["name"], "Child")

    def test_base_list_pagination(self):
        # bob's bases are made only here, so his list is exactly these: oldest first,
        # bases created within the same second by id.
        made = [self.new_base(user="bob") for _ in range(3)]
        made = [b["id"] for b in sorted(made, key=lambda b: (b["created"], b["id"]))]
        status, _, page = self.api("GET", "/api/base-playlists?limit=2", user="bob")
        self.assertEqual(status, 200, page)
        self.assertEqual(set(page), {"items", "next_cursor"})
        self.assertEqual([b["id"] for b in page["items"]], made[:2])
        self.assertIsInstance(page["next_cursor"], str)
        status, _, page2 = self.api("GET", "/api/base-playlists?limit=2&cursor=" + page["next_cursor"],
                                    user="bob")
        self.assertEqual(status, 200, page2)
        self.assertEqual([b["id"] for b in page2["items"]], made[2:])
        self.assertIsNone(page2["next_cursor"])
        status, _, whole = self.api("GET", "/api/base-playlists", user="bob")
        self.assertEqual(([b["id"] for b in whole["items"]], whole["next_cursor"]), (made, None))
        status, _, one = self.api("GET", "/api/base-playlists?limit=0", user="bob")  # clamped to 1
        self.assertEqual(len(one["items"]), 1)
        self.assert_error(self.api("GET", "/api/base-playlists?limit=ten", user="bob"), 400,
                          "validation_failed", ["limit"])
        self.assert_error(self.api("GET", "/api/base-playlists?cursor=bogus", user="bob"), 400,
                          "validation_failed", ["cursor"])

    def test_needs_a_session(self):
        for method, path in [("GET", "/api/base-playlists"), ("POST", "/api/base-playlists"),
                             ("GET", "/api/child-playlists/x"), ("DELETE", "/api/base-playlists/x")]:
            status, _, body = self.srv.request(method, path)
            self.assertEqual(status, 401, (method, path, body))
            self.assertEqual(body["error"]["code"], "unauthorized")

    def test_wrong_method_is_405(self):
        status, headers, body = self.api("PUT", "/api/child-playlists/whatever", {})
        self.assertEqual((status, body["error"]["code"]), (405, "method_not_allowed"))
        self.assertEqual(headers["allow"], "GET, PATCH, DELETE")
        status, headers, body = self.api("DELETE", "/api/base-playlists/x/child-playlists")
        self.assertEqual((status, headers["allow"]), (405, "GET, POST, PUT"))

    def test_another_users_ids_are_404(self):
        base = self.new_base()
        child = self.new_child(base)
        b, c = "/api/base-playlists/" + base["id"], "/api/child-playlists/" + child["id"]
        calls = [("GET", b, None), ("PATCH", b, {"name": "x"}), ("DELETE", b, None),
                 ("GET", b + "/child-playlists", None),
                 ("POST", b + "/child-playlists", {"name": "x", "filter": ALL}),
                 ("PUT", b + "/child-playlists", {"items": []}),
                 ("GET", c, None), ("PATCH", c, {"name": "x"}), ("DELETE", c, None)]
        for method, path, body in calls:
            self.assert_error(self.api(method, path, body, user="alice"), 404, "not_found")
        status, _, mine = self.api("GET", "/api/base-playlists?limit=200", user="alice")
        self.assertNotIn(base["id"], [x["id"] for x in mine["items"]])
        # Nothing of demo's changed.
        self.assertEqual(self.api("GET", b)[2], base)
        self.assertEqual(self.api("GET", c)[2], child)
        # alice's PUT naming demo's child in her own base: 400 at /items/0/id.
        hers = self.new_base(user="alice")
        self.assert_error(self.api("PUT", "/api/base-playlists/%s/child-playlists" % hers["id"],
                                   {"items": [{"id": child["id"], "name": "x", "filter": ALL}]},
                                   user="alice"),
                          400, "validation_failed", ["/items/0/id"])

    # ---- child playlists ----

    def test_child_create_makes_private_spotify_playlist(self):
        base = self.new_base()
        before = {p["id"] for p in self.emu.playlists("demo")}
        status, headers, child = self.api("POST", "/api/base-playlists/%s/child-playlists" % base["id"],
                                          {"name": "Rock", "filter": ALL})
        self.assertEqual(status, 201, child)
        self.assertEqual(set(child), CHILD_KEYS)
        self.assertRegex(child["id"], ID_RE)
        self.assertEqual(child["base_playlist_id"], base["id"])
        self.assertEqual((child["name"], child["filter"], child["sort"], child["limit"],
                          child["position"], child["catch_all"], child["pinned_track_ids"],
                          child["banned_track_ids"], child["version"]),
                         ("Rock", ALL, None, None, 0, False, [], [], 1))
        self.assertRegex(child["created"], TIME_RE)
        self.assertEqual(child["updated"], child["created"])
        self.assertEqual(headers["etag"], '"1"')
        self.assertEqual(headers["location"], "/api/child-playlists/" + child["id"])
        created = {p["id"] for p in self.emu.playlists("demo")} - before
        self.assertEqual(created, {child["spotify_playlist_id"]})
        sp = self.emu.playlist(child["spotify_playlist_id"])
        self.assertEqual((sp["name"], sp["owner"], sp["public"], sp["total"]),
                         ("Rock", "demo", False, 0))

        status, headers, got = self.api("GET", "/api/child-playlists/" + child["id"])
        self.assertEqual((status, got, headers["etag"]), (200, child, '"1"'))

    def test_child_fields_positions_and_list_order(self):
        base = self.new_base()
        first = self.new_child(base, name="First")
        own = self.spotify_playlist(name="Given")
        status, _, second = self.api("POST", "/api/base-playlists/%s/child-playlists" % base["id"], {
            "name": "Second", "filter": {"field": "track_name", "op": "contains", "value": "love"},
            "spotify_playlist_id": own, "sort": {"by": "track_name"}, "limit": 10,
            "position": 0, "catch_all": True, "pinned_track_ids": ["t1", "t2"],
            "banned_track_ids": ["t3"]})
        self.assertEqual(status, 201, second)
        self.assertEqual((second["spotify_playlist_id"], second["sort"], second["limit"],
                          second["position"], second["catch_all"], second["pinned_track_ids"],
                          second["banned_track_ids"]),
                         (own, {"by": "track_name", "order": "asc"}, 10, 0, True, ["t1", "t2"],
                          ["t3"]))
        self.assertEqual(second["filter"], {"field": "track_name", "op": "contains", "value": "love"})
        self.assertEqual(self.emu.playlist(own)["name"], "Given")  # given playlists are not renamed
        third = self.new_child(base, name="Third")
        items = self.children(base)
        self.assertEqual([(c["name"], c["position"]) for c in items],
                         [("Second", 0), ("First", 1), ("Third", 2)])
        # First was moved by the insert before it: its version grew.
        self.assertEqual(items[1]["version"], 2)
        self.assertEqual(items[2], third)
        self.assertEqual(first["version"], 1)
        self.assert_error(self.api("POST", "/api/base-playlists/nope/child-playlists",
                                   {"name": "x", "filter": ALL}), 404, "not_found")
        self.assert_error(self.api("GET", "/api/base-playlists/nope/child-playlists"), 404,
                          "not_found")

    def test_child_validation_paths(self):
        base = self.new_base()
        url = "/api/base-playlists/%s/child-playlists" % base["id"]
        before = len(self.emu.playlists())
        err = self.assert_error(self.api("POST", url, {
            "name": "", "filter": {"all": [{"field": "artist_name", "op": "equals", "value": "x"}]},
            "limit": -1, "position": -2, "sort": {"by": "nope"}, "pinned_track_ids": ["ok", 3],
            "colour": 1, "id": "x", "version": 1, "base_playlist_id": base["id"]}),
            400, "validation_failed",
            ["/name", "/filter/all/0/op", "/limit", "/position", "/sort/by",
             "/pinned_track_ids/1", "/colour", "/id", "/version", "/base_playlist_id"])
        self.assertEqual(self.detail(err, "/filter/all/0/op"), "unknown operator 'equals'")
        self.assert_error(self.api("POST", url, {}), 400, "validation_failed", ["/name", "/filter"])
        self.assert_error(self.api("POST", url, raw=b"nope"), 400, "invalid_json")
        self.assertEqual(self.children(base), [])
        self.assertEqual(len(self.emu.playlists()), before)  # nothing created on Spotify

    def test_names_that_are_not_utf8_are_refused_at_input(self):
        # A name must reach no SyncEvent, answer or Spotify call as invalid UTF-8 (jansson
        # could not print it: a 500). Bytes that are not UTF-8, overlong forms, surrogates
        # and a lone surrogate escape are not JSON (RFC 8259 text is UTF-8): 400
        # invalid_json, and nothing changes.
        base = self.new_base()
        child = self.new_child(base, name="Kept")
        base_url = "/api/base-playlists/" + base["id"]
        child_url = "/api/child-playlists/" + child["id"]
        before = len(self.emu.playlists())
        for name in (b"\xff", b"ok\xc3", b"\xc0\xaf", b"\xed\xa0\x80", b"\xf4\x90\x80\x80",
                     b"\\ud800", b"x\\udc00y"):
            raw = b'{"name": "' + name + b'", "filter": {"all": []}}'
            self.assert_error(self.api("POST", base_url + "/child-playlists", raw=raw), 400,
                              "invalid_json")
            self.assert_error(self.api("PATCH", child_url, raw=b'{"name": "' + name + b'"}'), 400,
                              "invalid_json")
            self.assert_error(self.api("PATCH", base_url, raw=b'{"name": "' + name + b'"}'), 400,
                              "invalid_json")
            self.assert_error(self.api("POST", "/api/base-playlists", raw=b'{"spotify_playlist_id": "'
                                       + self.spotify_playlist().encode() + b'", "name": "' + name
                                       + b'"}'), 400, "invalid_json")
        self.assertEqual([c["name"] for c in self.children(base)], ["Kept"])
        status, _, got = self.api("GET", base_url)
        self.assertEqual((status, got["name"], got["version"]), (200, base["name"], 1))
        self.assertEqual(len(self.emu.playlists()), before + 7)  # only the spotify_playlist() calls
        status, _, body = self.api("GET", base_url + "/sync-status")
        self.assertEqual((status, body), (200, {"active": False, "sync_event": None}))

    def test_child_spotify_playlist_rules(self):
        base = self.new_base()
        other_base = self.new_base()
        taken = self.new_child(other_base, name="Taken")
        url = "/api/base-playlists/%s/child-playlists" % base["id"]
        err = self.assert_error(self.api("POST", url, {
            "name": "x", "filter": ALL, "spotify_playlist_id": base["spotify_playlist_id"]}),
            400, "validation_failed", ["/spotify_playlist_id"])
        self.assertIn("base playlist itself", self.detail(err, "/spotify_playlist_id"))
        err = self.assert_error(self.api("POST", url, {
            "name": "x", "filter": ALL, "spotify_playlist_id": taken["spotify_playlist_id"]}),
            400, "validation_failed", ["/spotify_playlist_id"])
        self.assertIn(taken["id"], self.detail(err, "/spotify_playlist_id"))
        self.assert_error(self.api("POST", url, {
            "name": "x", "filter": ALL, "spotify_playlist_id": "0000000000000000000000"}),
            400, "validation_failed", ["/spotify_playlist_id"])
        # Chaining: another base's playlist may be a child's.
        status, _, chained = self.api("POST", url, {
            "name": "Chained", "filter": ALL, "spotify_playlist_id": other_base["spotify_playlist_id"]})
        self.assertEqual(status, 201, chained)
        # One catch-all per base; positions only up to the count.
        self.new_child(base, name="All the rest", catch_all=True)
        err = self.assert_error(self.api("POST", url, {"name": "y", "filter": ALL, "catch_all": True}),
                                400, "validation_failed", ["/catch_all"])
        self.assert_error(self.api("POST", url, {"name": "y", "filter": ALL, "position": 3}),
                          400, "validation_failed", ["/position"])
        self.assertEqual([c["name"] for c in self.children(base)], ["Chained", "All the rest"])

    def test_child_patch(self):
        base = self.new_base()
        a = self.new_child(base, name="A", sort={"by": "added_at", "order": "desc"}, limit=5)
        b = self.new_child(base, name="B")
        url = "/api/child-playlists/" + a["id"]
        status, headers, got = self.api("PATCH", url, {"name": "A2", "limit": None, "sort": None},
                                        headers={"If-Match": '"1"'})
        self.assertEqual(status, 200, got)
        self.assertEqual((got["name"], got["limit"], got["sort"], got["version"]), ("A2", None, None, 2))
        self.assertEqual((got["filter"], got["spotify_playlist_id"]), (ALL, a["spotify_playlist_id"]))
        self.assertEqual(headers["etag"], '"2"')
        self.assert_error(self.api("PATCH", url, {"name": "late"}, headers={"If-Match": '"1"'}),
                          412, "version_mismatch")
        status, _, same = self.api("PATCH", url, {"name": "A2"})
        self.assertEqual((status, same["version"]), (200, 2))
        # Move A after B: B moves up and its version grows.
        status, _, got = self.api("PATCH", url, {"position": 1})
        self.assertEqual((status, got["position"], got["version"]), (200, 1, 3))
        self.assertEqual([(c["name"], c["position"], c["version"]) for c in self.children(base)],
                         [("B", 0, 2), ("A2", 1, 3)])
        self.assert_error(self.api("PATCH", url, {"position": 2}), 400, "validation_failed",
                          ["/position"])
        err = self.assert_error(self.api("PATCH", url, {
            "filter": {"any": [{"field": "release_year", "op": "gt", "value": "x"}]},
            "version": 9, "catch_all": "yes", "colour": 1}),
            400, "validation_failed",
            ["/filter/any/0/value", "/version", "/catch_all", "/colour"])
        status, _, got = self.api("PATCH", url, {"filter": GENRE_RULE})
        self.assertEqual(status, 400)
        self.assertIn("Development Mode", self.detail(got["error"], "/filter/field"))
        # A new Spotify playlist of one's own: checked on Spotify.
        own = self.spotify_playlist()
        status, _, got = self.api("PATCH", url, {"spotify_playlist_id": own})
        self.assertEqual((status, got["spotify_playlist_id"], got["version"]), (200, own, 4))
        self.assert_error(self.api("PATCH", url, {"spotify_playlist_id": b["spotify_playlist_id"]}),
                          400, "validation_failed", ["/spotify_playlist_id"])
        self.assert_error(self.api("PATCH", "/api/child-playlists/nope", {"name": "x"}), 404,
                          "not_found")
        self.assertEqual(self.api("GET", url)[2]["version"], 4)

    def test_child_delete(self):
        base = self.new_base()
        a, b, c = (self.new_child(base, name=n) for n in ("A", "B", "C"))
        url = "/api/child-playlists/" + b["id"]
        self.assert_error(self.api("DELETE", url, headers={"If-Match": '"2"'}), 412,
                          "version_mismatch")
        status, _, body = self.api("DELETE", url)
        self.assertEqual((status, body), (204, ""))
        self.assert_error(self.api("GET", url), 404, "not_found")
        self.assert_error(self.api("DELETE", url), 404, "not_found")
        self.assertEqual([(x["name"], x["position"]) for x in self.children(base)],
                         [("A", 0), ("C", 1)])
        self.assertEqual(self.emu.playlist(b["spotify_playlist_id"])["name"], "B")  # kept

    # ---- PUT ----

    def test_put_replaces_the_set(self):
        base = self.new_base()
        a, b, c = (self.new_child(base, name=n) for n in ("A", "B", "C"))
        url = "/api/base-playlists/%s/child-playlists" % base["id"]
        before = {p["id"] for p in self.emu.playlists("demo")}
        status, headers, body = self.api("PUT", url, {"items": [
            {"id": c["id"], "name": "C2", "filter": ALL},
            {"name": "D", "filter": {"field": "explicit", "op": "eq", "value": True},
             "catch_all": True},
            # GET's representation sent back as is: its position 0 ties with item 0's
            # index, and ties keep array order.
            dict(a),
        ]})
        self.assertEqual(status, 200, body)
        self.assertEqual(set(body), {"items"})
        items = body["items"]
        self.assertEqual([(x["name"], x["position"]) for x in items], [("C2", 0), ("A", 1), ("D", 2)])
        self.assertEqual(items[0]["id"], c["id"])
        self.assertEqual(items[0]["spotify_playlist_id"], c["spotify_playlist_id"])  # kept
        self.assertEqual(items[0]["version"], 2)  # renamed and moved 2 -> 0
        self.assertEqual((items[1]["id"], items[1]["version"]), (a["id"], 2))  # moved 0 -> 1
        self.assertEqual(dict(items[1], version=1, position=0, updated=a["updated"]), a)
        self.assertEqual((items[2]["version"], items[2]["catch_all"]), (1, True))
        created = {p["id"] for p in self.emu.playlists("demo")} - before
        self.assertEqual(created, {items[2]["spotify_playlist_id"]})
        sp = self.emu.playlist(items[2]["spotify_playlist_id"])
        self.assertEqual((sp["name"], sp["public"]), ("D", False))
        self.assert_error(self.api("GET", "/api/child-playlists/" + b["id"]), 404, "not_found")
        self.assertEqual(self.emu.playlist(b["spotify_playlist_id"])["name"], "B")  # kept
        self.assertEqual(self.children(base), items)

        # The same set again changes nothing.
        status, _, again = self.api("PUT", url, {"items": items})
        self.assertEqual((status, again["items"]), (200, items))
        # Positions: by the given position, then renumbered.
        status, _, moved = self.api("PUT", url, {"items": [
            dict(items[0], position=7), dict(items[1], position=3), dict(items[2], position=5)]})
        self.assertEqual(status, 200, moved)
        self.assertEqual([x["name"] for x in moved["items"]], ["A", "D", "C2"])
        self.assertEqual([x["version"] for x in moved["items"]], [3, 2, 3])
        # The catch-all moves from D to A in one PUT.
        a2, d2, c2 = moved["items"]
        status, _, swapped = self.api("PUT", url, {"items": [
            dict(a2, catch_all=True), dict(d2, catch_all=False), c2]})
        self.assertEqual(status, 200, swapped)
        self.assertEqual([(x["name"], x["catch_all"]) for x in swapped["items"]],
                         [("A", True), ("D", False), ("C2", False)])
        # An empty set deletes every child.
        status, _, empty = self.api("PUT", url, {"items": []})
        self.assertEqual((status, empty), (200, {"items": []}))
        self.assertEqual(self.children(base), [])

    def test_put_is_all_or_nothing(self):
        base = self.new_base()
        other = self.new_child(self.new_base(), name="Elsewhere")
        a, b = self.new_child(base, name="A"), self.new_child(base, name="B")
        url = "/api/base-playlists/%s/child-playlists" % base["id"]
        before = self.children(base)
        n_playlists = len(self.emu.playlists())

        def refused(resp, status, code, paths=None):
            err = self.assert_error(resp, status, code, paths)
            self.assertEqual(self.children(base), before)
            self.assertEqual(len(self.emu.playlists()), n_playlists)
            return err

        # One invalid item (the third): nothing changes, nothing is created on Spotify.
        err = refused(self.api("PUT", url, {"items": [
            {"id": a["id"], "name": "A renamed", "filter": ALL},
            {"name": "New", "filter": ALL},
            {"name": "Bad", "filter": {"all": [{"field": "duration_ms", "op": "matches", "value": 1}]}},
        ]}), 400, "validation_failed", ["/items/2/filter/all/0/op"])
        self.assertTrue(err["message"].startswith("/items/2/filter/all/0/op: "), err)
        refused(self.api("PUT", url, {"items": [
            {"name": "", "filter": ALL, "limit": "x"}, {"id": "nope", "name": "n", "filter": ALL},
            {"id": other["id"], "name": "o", "filter": ALL},
            {"name": "s", "filter": ALL, "spotify_playlist_id": other["spotify_playlist_id"]},
            {"name": "t", "filter": ALL, "spotify_playlist_id": base["spotify_playlist_id"]},
            {"id": a["id"], "name": "a", "filter": ALL, "base_playlist_id": "elsewhere"},
            {"id": a["id"], "name": "a", "filter": ALL},
            7,
        ]}), 400, "validation_failed",
            ["/items/0/name", "/items/0/limit", "/items/1/id", "/items/2/id",
             "/items/3/spotify_playlist_id", "/items/4/spotify_playlist_id",
             "/items/5/base_playlist_id", "/items/6/id", "/items/7"])
        refused(self.api("PUT", url, {"items": [
            {"name": "x", "filter": ALL, "catch_all": True},
            {"name": "y", "filter": ALL, "catch_all": True}]}),
            400, "validation_failed", ["/items/1/catch_all"])
        refused(self.api("PUT", url, {"items": [
            {"name": "x", "filter": ALL, "spotify_playlist_id": "0000000000000000000000"}]}),
            400, "validation_failed", ["/items/0/spotify_playlist_id"])
        refused(self.api("PUT", url, {}), 400, "validation_failed", ["/items"])
        refused(self.api("PUT", url, {"items": {}, "extra": 1}), 400, "validation_failed",
                ["/items", "/extra"])
        refused(self.api("PUT", url, raw=b"[]"), 400, "invalid_json")
        # A stale item version: 412, nothing written or created.
        refused(self.api("PUT", url, {"items": [
            {"name": "New", "filter": ALL}, dict(a, name="A2"), dict(b, version=5)]}),
            412, "version_mismatch")
        # Spotify refuses to create the new playlist: nothing written.
        self.emu.fail("POST", path_prefix="/v1/me/playlists", status=400, count=1,
                      message="Spotify says no")
        try:
            err = self.assert_error(self.api("PUT", url, {"items": [
                {"name": "N1", "filter": ALL}, {"name": "N2", "filter": ALL}]}),
                502, "spotify_error")
        finally:
            self.emu.clear_faults()
        self.assertIn("Spotify says no", err["message"])
        self.assertEqual(self.children(base), before)
        self.assert_error(self.api("PUT", "/api/base-playlists/nope/child-playlists", {"items": []}),
                          404, "not_found")

    # ---- the sync lock ----

    def test_sync_in_progress_locks_writes(self):
        base = self.new_base()
        child = self.new_child(base)
        db = sqlite3.connect(os.path.join(self.srv.data_dir, "playrouter.db"), timeout=10)
        try:
            user_id = db.execute("SELECT user_id FROM base_playlists WHERE id = ?",
                                 (base["id"],)).fetchone()[0]
            with db:
                db.execute("INSERT INTO sync_events (id, user_id, base_playlist_id, status, "
                           "started_at, created, updated) VALUES (?, ?, ?, 'in_progress', "
                           "'2026-11-23T14:30:00Z', '2026-11-23T14:30:00Z', '2026-11-23T14:30:00Z')",
                           ("ev-lock-1", user_id, base["id"]))
            b = "/api/base-playlists/" + base["id"]
            c = "/api/child-playlists/" + child["id"]
            for method, path, body in [
                    ("PATCH", b, {"name": "x"}), ("DELETE", b, None),
                    ("POST", b + "/child-playlists", {"name": "x", "filter": ALL}),
                    ("PUT", b + "/child-playlists", {"items": []}),
                    ("PATCH", c, {"name": "x"}), ("DELETE", c, None)]:
                err = self.assert_error(self.api(method, path, body), 409, "sync_in_progress")
                self.assertEqual(err["sync_event_id"], "ev-lock-1", (method, path))
            # Reads go on; another user still gets 404, not 409.
            self.assertEqual(self.api("GET", b)[2], base)
            self.assertEqual(self.api("GET", c)[2], child)
            self.assertEqual(len(self.children(base)), 1)
            self.assert_error(self.api("PATCH", b, {"name": "x"}, user="alice"), 404, "not_found")
            self.assert_error(self.api("DELETE", c, user="alice"), 404, "not_found")
            # Other bases are not locked.
            other = self.new_base()
            self.assertEqual(self.api("PATCH", "/api/base-playlists/" + other["id"],
                                      {"name": "free"})[0], 200)
            with db:
                db.execute("UPDATE sync_events SET status = 'completed' WHERE id = 'ev-lock-1'")
            status, _, got = self.api("PATCH", c, {"name": "after"})
            self.assertEqual((status, got["version"]), (200, 2))
            # Deleting the base takes its sync history with it.
            self.assertEqual(self.api("DELETE", b)[0], 204)
            self.assertEqual(db.execute("SELECT count(*) FROM sync_events WHERE base_playlist_id = ?",
                                        (base["id"],)).fetchone()[0], 0)
        finally:
            db.close()


class ExtendedModeTest(unittest.TestCase):
    """A rule on `genre` is refused in development mode (above) and accepted here."""

    def test_genre_rule_accepted_in_extended_mode(self):
        emu, srv = start_pair("extended")
        try:
            token = sign_in(srv, emu)["token"]
            pid = emu.create_playlist(owner="demo", name="Ext base", size=3, plain=True)
            status, _, base = srv.request("POST", "/api/base-playlists",
                                          {"spotify_playlist_id": pid}, token=token)
            self.assertEqual(status, 201, base)
            status, _, child = srv.request(
                "POST", "/api/base-playlists/%s/child-playlists" % base["id"],
                {"name": "Rock", "filter": GENRE_RULE, "sort": {"by": "popularity", "order": "desc"}},
                token=token)
            self.assertEqual(status, 201, child)
            self.assertEqual((child["filter"], child["sort"]),
                             (GENRE_RULE, {"by": "popularity", "order": "desc"}))
        finally:
            stop_pair(emu, srv)

    def test_genre_rule_refused_in_development_mode(self):
        emu, srv = start_pair("development")
        try:
            token = sign_in(srv, emu)["token"]
            pid = emu.create_playlist(owner="demo", name="Dev base", size=3, plain=True)
            status, _, base = srv.request("POST", "/api/base-playlists",
                                          {"spotify_playlist_id": pid}, token=token)
            self.assertEqual(status, 201, base)
            before = len(emu.playlists())
            status, _, body = srv.request(
                "POST", "/api/base-playlists/%s/child-playlists" % base["id"],
                {"name": "Rock", "filter": {"all": [GENRE_RULE]}}, token=token)
            self.assertEqual(status, 400, body)
            self.assertEqual(body["error"]["code"], "validation_failed")
            self.assertEqual([d["path"] for d in body["error"]["details"]], ["/filter/all/0/field"])
            self.assertIn("Development Mode", body["error"]["details"][0]["message"])
            self.assertEqual(len(emu.playlists()), before)
        finally:
            stop_pair(emu, srv)


if __name__ == "__main__":
    unittest.main(verbosity=2)
