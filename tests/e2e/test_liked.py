"""Liked Songs as a base playlist (issue 15): the real server against the Spotify
emulator, in both API modes.

Expected contents are computed here, independently of the server: the saved tracks
come from the emulator's admin read-back (/__admin/users/{id}/liked, newest first),
the track metadata from its catalogue, and the rules from rules_reference.py (an
independent reading of API.md) with added_at = the save date and no added_by.

Run from a build folder:
    PLAYROUTER_BUILD_DIR=$PWD python3 -B ../tests/e2e/test_liked.py

Steps (in order; a later step fails loudly when an earlier one did):
  01 POST {"source": "liked"}: 201, shape, defaults; a playlist base says "playlist";
     409 conflict for a second; 400 at /source, /spotify_playlist_id; PATCH
  02 first sync: contents == reference; the saved tracks read in ceil(N/50) pages
  03 unchanged re-sync: page one + the library listing (children), 1 request without
     children; nothing written
  04 a new save; 05 a removal; 06 a removal + a save (same total); 07 a re-save of the
     oldest track (moves to page one with a new added_at): each re-sync == reference,
     the saved tracks asked in ceil(N/50) requests (the check's page one starts the read)
  08 preview, explain and restore on a Liked Songs base (a changed base: ceil(N/50)
     saved-track requests for the preview too)
  09 a sign-in from before user-library-read was asked for: 400 at /source, nothing
     created; signing in again fixes it; a grant that lost the scope fails the sync
     with a message saying to sign in again
"""
import os
import sys
import unittest
import urllib.parse

sys.path.insert(0, os.path.dirname(__file__))
from harness import ServerWithEmulator  # noqa: E402
import rules_reference as R  # noqa: E402
import test_sync_acceptance as ACC  # noqa: E402  (track_view, sign_in, leaf, uris)

LIKED_SIZE = 437          # demo's saved tracks: 9 pages of 50
ALICE_SIZE = 120          # alice's: 3 pages, a base without children
PLAYLIST_BASE = "fdvaiSC7EBuaE29215mRQE"  # demo's "Everything I like" (emulator README)
OLD_SCOPE = ("playlist-read-private playlist-read-collaborative playlist-modify-private "
             "playlist-modify-public user-read-private")
WRITE_METHODS = ("POST", "PUT", "DELETE")
leaf = ACC.leaf
uris = ACC.uris


def pages(n):
    return max(1, (n + 49) // 50)


class _Liked(ServerWithEmulator):
    MODE = None
    state = None
    EMULATOR_ARGS = ("--liked", "demo:%d" % LIKED_SIZE, "--liked", "alice:%d" % ALICE_SIZE)

    @classmethod
    def prepare(cls):
        cls.token = ACC.sign_in(cls.srv, cls.emu.base_url, "demo")
        cls.catalogue = {t["id"]: ACC.track_view(t) for t in cls.emu.tracks()}

    # -- helpers ----------------------------------------------------------

    def api(self, method, path, body=None, token=None):
        return self.srv.request(method, path, body=body, token=token or self.token, timeout=120)

    def need(self, *steps):
        missing = [s for s in steps if s not in self.state]
        if missing:
            self.fail("depends on step(s) %s, which did not complete" % ", ".join(missing))

    def sign_in_scope(self, user, scope):
        """The OAuth flow with the authorize URL's scope replaced: what a user who
        signed in before the server asked for user-library-read holds."""
        status, headers, body = self.srv.request("GET", "/api/auth/login")
        self.assertEqual(status, 302, body)
        u = urllib.parse.urlsplit(headers["location"])
        q = dict(urllib.parse.parse_qsl(u.query))
        self.assertIn("user-library-read", q["scope"].split(), "sign-in must ask for the scope")
        q["scope"] = scope
        q["user"] = user
        status, headers, body = self.emu.request("GET", u.path + "?" + urllib.parse.urlencode(q))
        self.assertEqual(status, 302, body)
        cb = urllib.parse.urlsplit(headers["location"])
        status, _, body = self.srv.request("GET", cb.path + "?" + cb.query)
        self.assertEqual(status, 200, body)
        return body["token"]

    def entries(self, user="demo"):
        """The saved tracks as base entries, newest first (the emulator's read-back)."""
        return [{"kind": "track", "is_local": False, "track_id": it["id"],
                 "added_at": it["added_at"], "added_by": None} for it in self.emu.liked(user)]

    def plan(self, children, routing="all"):
        plan = R.compute_targets(self.entries(), self.catalogue, children, routing)
        self.assertEqual(plan.ambiguities, [], "test data hits corners API.md leaves open")
        return plan

    def reset_counters(self):
        self.emu.reset_counters()
        self.emu.reset_request_log()

    def writes(self):
        return [(r["method"], r["path"]) for r in self.emu.request_log()
                if r["method"] in WRITE_METHODS and r["path"].startswith("/v1/")]

    def sync(self, base_id, token=None, want="completed"):
        status, _, ev = self.api("POST", "/api/base-playlists/%s/sync" % base_id, token=token)
        self.assertEqual(status, 200, ev)
        self.assertEqual(ev.get("status"), want, "sync: %s" % ev.get("error_message"))
        return ev

    def check_contents(self, plan, label):
        for c in self.state["children"]:
            got = self.emu.playlist_uris(c["spotify_playlist_id"])
            self.assertEqual(got, uris(plan.targets[c["id"]]),
                             "%s: child %r (rule %s)" % (label, c["name"], c["filter"]))

    def check_event(self, ev, plan, before, label):
        self.assertEqual((ev["tracks_processed"], ev["tracks_skipped"]),
                         (plan.processed, plan.skipped), label)
        per = {c["child_playlist_id"]: c for c in ev["children"]}
        for c in self.state["children"]:
            tgt = plan.targets[c["id"]]
            add, rem = R.diff(before[c["id"]], tgt)
            self.assertEqual((per[c["id"]]["matched"], per[c["id"]]["added"],
                              per[c["id"]]["removed"]), (len(tgt), len(add), len(rem)),
                             "%s: child %r" % (label, c["name"]))

    def resync_after(self, label, change):
        """Applies change() on the emulator, re-syncs, and checks contents and counts
        against the new reference. Returns (old plan, new plan, event)."""
        base, old = self.state["base"], self.state["plan"]
        change()
        new = self.plan(self.state["children"])
        self.reset_counters()
        ev = self.sync(base["id"])
        self.check_event(ev, new, {cid: t for cid, t in old.targets.items()}, label)
        self.check_contents(new, label)
        # the check (page one) found the change; the whole read started from that page,
        # so page one was asked once: ceil(N/50) in all (437 tracks: 9, not 10)
        self.assertEqual(self.emu.count("GET /v1/me/tracks"), pages(new.processed), label)
        for method, path in self.writes():
            self.assertIn(path.split("/")[3], set(c["spotify_playlist_id"]
                                                  for c in self.state["children"]), label)
        self.state["plan"] = new
        return old, new, ev

    def liked_ids(self):
        return [it["id"] for it in self.emu.liked("demo")]

    def unsaved(self, n=1):
        saved = set(self.liked_ids())
        return [t for t in sorted(self.catalogue) if t not in saved][:n]

    # -- steps ------------------------------------------------------------

    def test_01_create_and_validate(self):
        status, headers, base = self.api("POST", "/api/base-playlists", {"source": "liked"})
        self.assertEqual(status, 201, base)
        self.assertEqual(headers.get("location"), "/api/base-playlists/%s" % base["id"])
        for k, v in (("source", "liked"), ("spotify_playlist_id", None), ("name", "Liked Songs"),
                     ("routing", "all"), ("auto_sync_minutes", 0), ("version", 1),
                     ("last_synced_at", None)):
            self.assertEqual(base.get(k, "absent"), v, k)
        status, _, got = self.api("GET", "/api/base-playlists/%s" % base["id"])
        self.assertEqual((status, got), (200, base))
        # source defaults to "playlist", and every BasePlaylist says which
        status, _, pl = self.api("POST", "/api/base-playlists", {"spotify_playlist_id": PLAYLIST_BASE})
        self.assertEqual(status, 201, pl)
        self.assertEqual((pl["source"], pl["spotify_playlist_id"]), ("playlist", PLAYLIST_BASE))
        status, _, pl2 = self.api("POST", "/api/base-playlists", {"source": "playlist",
                                                                  "spotify_playlist_id": PLAYLIST_BASE})
        self.assertEqual((status, pl2["error"]["code"]), (409, "conflict"))
        # one Liked Songs base per user
        for body in ({"source": "liked"}, {"source": "liked", "name": "Again"},
                     {"source": "liked", "spotify_playlist_id": None}):
            status, _, err = self.api("POST", "/api/base-playlists", body)
            self.assertEqual((status, err["error"]["code"]), (409, "conflict"), body)
        # validation: each problem at its path, nothing created
        cases = [
            ({"source": "starred"}, ["/source"]),
            ({"source": 5}, ["/source"]),
            ({"source": None}, ["/source"]),
            ({"source": "liked", "spotify_playlist_id": PLAYLIST_BASE}, ["/spotify_playlist_id"]),
            ({"source": "liked", "spotify_playlist_id": "not a playlist"}, ["/spotify_playlist_id"]),
            ({"source": "playlist"}, ["/spotify_playlist_id"]),
            ({}, ["/spotify_playlist_id"]),
            ({"source": "liked", "name": ""}, ["/name"]),
            ({"source": "liked", "routing": "some"}, ["/routing"]),
            ({"source": "liked", "auto_sync_minutes": -1, "colour": "red"},
             ["/auto_sync_minutes", "/colour"]),
        ]
        for body, paths in cases:
            status, _, err = self.api("POST", "/api/base-playlists", body)
            self.assertEqual((status, err["error"]["code"]), (400, "validation_failed"), body)
            self.assertEqual(sorted(d["path"] for d in err["error"]["details"]), sorted(paths),
                             body)
        status, _, lst = self.api("GET", "/api/base-playlists")
        self.assertEqual(status, 200, lst)
        self.assertEqual({b["id"]: b["source"] for b in lst["items"]},
                         {base["id"]: "liked", pl["id"]: "playlist"})
        # PATCH: the source is fixed; the rest works as for any base
        status, _, err = self.api("PATCH", "/api/base-playlists/%s" % base["id"],
                                  {"source": "playlist"})
        self.assertEqual((status, err["error"]["details"][0]["path"]), (400, "/source"))
        status, _, upd = self.api("PATCH", "/api/base-playlists/%s" % base["id"],
                                  {"name": "My saved songs"})
        self.assertEqual(status, 200, upd)
        self.assertEqual((upd["name"], upd["version"], upd["source"], upd["spotify_playlist_id"]),
                         ("My saved songs", 2, "liked", None))
        # another user: their own Liked Songs base, with everything given
        self.state["alice_token"] = ACC.sign_in(self.srv, self.emu.base_url, "alice")
        status, _, ab = self.api("POST", "/api/base-playlists",
                                 {"source": "liked", "name": "Alice likes", "routing": "first_match",
                                  "auto_sync_minutes": 60}, token=self.state["alice_token"])
        self.assertEqual(status, 201, ab)
        self.assertEqual((ab["source"], ab["name"], ab["routing"], ab["auto_sync_minutes"]),
                         ("liked", "Alice likes", "first_match", 60))
        status, _, _ = self.api("GET", "/api/base-playlists/%s" % ab["id"])
        self.assertEqual(status, 404, "another user's base")
        self.state["base"] = upd
        self.state["alice_base"] = ab
        self.state["01"] = True

    def design(self):
        """Four children over the saved tracks: save-date windows, a limit on the base
        order (newest save first), and a catch-all on a field saved tracks lack
        (added_by). (No sort by added_at: two saves on one day would make the order
        depend on a reading API.md leaves open.)"""
        saved = self.emu.liked("demo")
        dates = sorted(it["added_at"][:10] for it in saved)
        mid = dates[len(dates) // 2]
        quarter = dates[len(dates) // 4]
        pin_old = next(it["id"] for it in reversed(saved))
        ban = saved[0]["id"]
        return [
            {"name": "Saved lately", "position": 0,
             "filter": leaf("added_at", "after", mid),
             "pinned_track_ids": [pin_old], "banned_track_ids": [ban]},
            {"name": "Old saves, 2000s", "position": 1,
             "filter": {"all": [leaf("added_at", "before", quarter),
                                leaf("release_year", "gte", 2000)]}},
            {"name": "Newest short saves", "position": 2,
             "filter": leaf("duration_ms", "lt", 240000), "limit": 25},
            {"name": "The rest", "position": 3, "catch_all": True,
             "filter": leaf("added_by", "missing")},
        ]

    def test_02_first_sync(self):
        self.need("01")
        base = self.state["base"]
        children = []
        for spec in self.design():
            status, _, ch = self.api("POST", "/api/base-playlists/%s/child-playlists" % base["id"],
                                     spec)
            self.assertEqual(status, 201, ch)
            self.assertTrue(ch["spotify_playlist_id"])
            children.append(ch)
        self.state["children"] = children
        plan = self.plan(children)
        self.assertEqual(plan.processed, LIKED_SIZE)
        for c in children:
            self.assertGreater(len(plan.targets[c["id"]]), 0, c["name"])
        self.assertEqual(len(plan.targets[children[2]["id"]]), 25)
        self.reset_counters()
        ev = self.sync(base["id"])
        self.check_event(ev, plan, {c["id"]: [] for c in children}, "first sync")
        self.check_contents(plan, "first sync")
        # the saved tracks in pages of 50, the first one then the rest in parallel
        self.assertEqual(self.emu.count("GET /v1/me/tracks"), pages(LIKED_SIZE))
        self.assertEqual(ev["total_api_requests"],
                         sum(sum(v.values()) for v in self.emu.counters().values()))
        # the base order is the save order, newest first
        saved = self.emu.liked("demo")
        newest = [it["id"] for it in saved if self.catalogue[it["id"]]["duration_ms"] < 240000]
        self.assertEqual(plan.targets[children[2]["id"]], newest[:25])
        status, _, b = self.api("GET", "/api/base-playlists/%s" % base["id"])
        self.assertIsNotNone(b["last_synced_at"])
        self.assertEqual(b["version"], base["version"], "a sync changes no version")
        self.state["plan"] = plan
        self.state["02"] = True

    def test_03_unchanged_resync(self):
        self.need("02")
        base, plan = self.state["base"], self.state["plan"]
        self.reset_counters()
        ev = self.sync(base["id"])
        self.assertEqual(self.writes(), [], "an unchanged re-sync wrote to Spotify")
        # page one says the saved tracks are as they were; one listing of the library
        # says the children are
        self.assertEqual(self.emu.counters(), {"GET /v1/me/tracks": {"200": 1},
                                               "GET /v1/me/playlists": {"200": 1}})
        self.assertEqual(ev["total_api_requests"], 2)
        before = {c["id"]: plan.targets[c["id"]] for c in self.state["children"]}
        self.check_event(ev, plan, before, "unchanged re-sync")
        self.check_contents(plan, "unchanged re-sync")
        # a Liked Songs base without children: ONE request
        ab, tok = self.state["alice_base"], self.state["alice_token"]
        self.reset_counters()
        ev = self.sync(ab["id"], token=tok)
        self.assertEqual((ev["tracks_processed"], ev["tracks_skipped"]), (ALICE_SIZE, 0))
        self.assertEqual(self.emu.count("GET /v1/me/tracks"), pages(ALICE_SIZE))
        self.reset_counters()
        ev = self.sync(ab["id"], token=tok)
        self.assertEqual(self.emu.counters(), {"GET /v1/me/tracks": {"200": 1}})
        self.assertEqual((ev["total_api_requests"], ev["tracks_processed"]), (1, ALICE_SIZE))
        self.state["03"] = True

    def test_04_new_save(self):
        self.need("02")
        new = self.unsaved()[0]
        self.resync_after("a new save", lambda: self.emu.save_liked("demo", new))
        self.assertEqual(self.liked_ids()[0], new, "a save lands on page one")
        # saved now: the "saved lately" child holds it
        lately = self.state["children"][0]
        self.assertIn("spotify:track:" + new, self.emu.playlist_uris(lately["spotify_playlist_id"]))
        self.state["04"] = True

    def test_05_removal(self):
        self.need("02")
        plan = self.state["plan"]
        held = set(t for c in self.state["children"] for t in plan.targets[c["id"]])
        ids = self.liked_ids()
        gone = next(t for t in ids[200:] if t in held)  # beyond page one: only the total moves
        old, new, _ = self.resync_after("a removal", lambda: self.emu.remove_liked("demo", gone))
        self.assertNotEqual(old.targets, new.targets)
        self.assertEqual(self.liked_ids()[:50], ids[:50], "page one did not move")
        self.state["05"] = True

    def test_06_removal_and_save(self):
        self.need("02")
        plan = self.state["plan"]
        held = set(t for c in self.state["children"] for t in plan.targets[c["id"]])
        ids = self.liked_ids()
        gone = next(t for t in ids[300:] if t in held)
        new = self.unsaved()[0]

        def change():
            self.emu.remove_liked("demo", gone)
            self.emu.save_liked("demo", new)
        old, fresh, _ = self.resync_after("a removal and a save", change)
        self.assertEqual(len(self.liked_ids()), len(ids), "the total is the same")
        self.assertNotEqual(old.targets, fresh.targets)
        self.state["06"] = True

    def test_07_resave_of_an_old_track(self):
        self.need("02")
        lately, newest = self.state["children"][0], self.state["children"][2]
        # the oldest save that is not pinned anywhere
        old_id = next(t for t in reversed(self.liked_ids())
                      if t not in lately["pinned_track_ids"])
        self.assertNotIn(old_id, self.state["plan"].targets[lately["id"]])
        old, new, _ = self.resync_after("a re-save",
                                        lambda: self.emu.save_liked("demo", old_id))
        self.assertEqual(self.liked_ids()[0], old_id, "a re-save moves the track to page one")
        # its save date is now: the "saved lately" rule takes it, and, when short, it
        # leads the newest saves
        self.assertIn(old_id, new.targets[lately["id"]])
        self.assertIn("spotify:track:" + old_id,
                      self.emu.playlist_uris(lately["spotify_playlist_id"]))
        if self.catalogue[old_id]["duration_ms"] < 240000:
            self.assertEqual(new.targets[newest["id"]][0], old_id)
        else:
            self.assertNotIn(old_id, new.targets[newest["id"]])
        self.state["07"] = True

    def test_08_preview_explain_restore(self):
        self.need("02")
        base, children, old = self.state["base"], self.state["children"], self.state["plan"]
        new_ids = self.unsaved(2)
        for t in new_ids:
            self.emu.save_liked("demo", t)
        plan = self.plan(children)
        self.reset_counters()
        status, _, body = self.api("POST", "/api/base-playlists/%s/preview" % base["id"])
        self.assertEqual(status, 200, body)
        self.assertEqual(self.writes(), [], "preview wrote")
        # the check's page one starts the read of the changed base: page one once
        self.assertEqual(self.emu.count("GET /v1/me/tracks"), pages(plan.processed), "preview")
        per = {c["child_playlist_id"]: c for c in body["children"]}
        for c in children:
            self.assertEqual(per[c["id"]]["track_ids"], plan.targets[c["id"]], c["name"])
            add, rem = R.diff(old.targets[c["id"]], plan.targets[c["id"]])
            self.assertEqual((sorted(per[c["id"]]["add"]), sorted(per[c["id"]]["remove"])),
                             (sorted(add), sorted(rem)), c["name"])
        # explain: the pinned oldest save, the banned newest, a track never saved
        pinned, banned = children[0]["pinned_track_ids"][0], children[0]["banned_track_ids"][0]
        not_saved = self.unsaved()[0]
        for tid, reason in ((pinned, "pinned"), (banned, "banned"), (not_saved, "not_in_base")):
            status, _, body = self.api("POST", "/api/base-playlists/%s/preview?explain=%s"
                                       % (base["id"], tid))
            self.assertEqual(status, 200, body)
            exp = {c["child_playlist_id"]: c for c in body["children"]}[children[0]["id"]]["explain"]
            self.assertEqual(exp["reason"], reason, tid)
            self.assertEqual(exp["reason"], plan.explain(tid)[children[0]["id"]]["reason"])
        # sync, then restore the "saved lately" child to what it held before
        ev = self.sync(base["id"])
        self.check_contents(plan, "sync after preview")
        lately = children[0]  # took the two new saves
        self.assertNotEqual(old.targets[lately["id"]], plan.targets[lately["id"]])
        status, _, res = self.api("POST", "/api/child-playlists/%s/restore" % lately["id"])
        self.assertEqual(status, 200, res)
        self.assertEqual(res["restored_from_sync_event_id"], ev["id"])
        self.assertEqual(self.emu.playlist_uris(lately["spotify_playlist_id"]),
                         uris(old.targets[lately["id"]]))
        self.sync(base["id"])  # and the next sync puts the target back
        self.check_contents(plan, "sync after restore")
        self.state["plan"] = plan
        self.state["08"] = True

    def test_09_missing_scope(self):
        # bob signed in before the server asked for user-library-read
        tok = self.sign_in_scope("bob", OLD_SCOPE)
        status, _, err = self.api("POST", "/api/base-playlists", {"source": "liked"}, token=tok)
        self.assertEqual((status, err["error"]["code"]), (400, "validation_failed"), err)
        self.assertEqual([d["path"] for d in err["error"]["details"]], ["/source"])
        self.assertIn("sign in again", err["error"]["message"])
        self.assertIn("user-library-read", err["error"]["message"])
        status, _, lst = self.api("GET", "/api/base-playlists", token=tok)
        self.assertEqual(lst["items"], [], "nothing was created")
        # a playlist base still works for him
        bob_pl = self.emu.create_playlist(owner="bob", name="Bob's", size=10, plain=True)
        status, _, b = self.api("POST", "/api/base-playlists", {"spotify_playlist_id": bob_pl},
                                token=tok)
        self.assertEqual((status, b.get("source")), (201, "playlist"), b)
        # signing in again (the server asks for the scope) fixes it
        tok = ACC.sign_in(self.srv, self.emu.base_url, "bob")
        status, _, lb = self.api("POST", "/api/base-playlists", {"source": "liked"}, token=tok)
        self.assertEqual(status, 201, lb)
        self.emu.set_liked("bob", size=30)
        ev = self.sync(lb["id"], token=tok)
        self.assertEqual(ev["tracks_processed"], 30)
        # carol made a Liked Songs base, then her grant lost the scope: the sync fails
        # and says what to do
        tok = ACC.sign_in(self.srv, self.emu.base_url, "carol")
        status, _, cb = self.api("POST", "/api/base-playlists", {"source": "liked"}, token=tok)
        self.assertEqual(status, 201, cb)
        tok = self.sign_in_scope("carol", OLD_SCOPE)
        ev = self.sync(cb["id"], token=tok, want="failed")
        self.assertIn("user-library-read", ev["error_message"])
        self.assertIn("sign in again", ev["error_message"])


class DevelopmentModeTest(_Liked, unittest.TestCase):
    MODE = "development"


class ExtendedModeTest(_Liked, unittest.TestCase):
    MODE = "extended"


if __name__ == "__main__":
    unittest.main(verbosity=2)
