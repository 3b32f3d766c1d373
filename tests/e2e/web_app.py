"""Browser tests of the web app (tests/browser/*.test.mjs), run from CTest through
test_web_app_development.py and test_web_app_extended.py (one per API mode).

Each test starts its own emulator (--mode) and server (SPOTIFY_API_MODE), computes
what it expects from the emulator's catalogue with rules_reference.py (independent of
the server), runs one Node script that drives Debian's Chromium with playwright-core,
then checks the playlists on the emulator. Node modules come from
tests/browser/package-lock.json (`npm ci`, once, under a lock); no browser is
downloaded: the scripts use /usr/bin/chromium (scripts/install-deps.sh installs it).
Screenshots go to <build>/screenshots/.
"""
import fcntl
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from harness import Server, free_port, sign_in, SLOW, BUILD_DIR, SOURCE_DIR  # noqa: E402
from emulator import Emulator  # noqa: E402
import rules_reference as R  # noqa: E402
from test_sync_acceptance import track_view, base_entries  # noqa: E402

BROWSER_DIR = os.path.join(os.path.abspath(SOURCE_DIR), "tests", "browser")
SHOT_DIR = os.path.join(os.path.abspath(BUILD_DIR), "screenshots")
BASE_SPID = "fdvaiSC7EBuaE29215mRQE"  # the demo catalogue's "Everything I like" (500 entries)
FIRST = 25  # tracks the preview lists


def ensure_node_modules():
    """npm ci in tests/browser when node_modules is missing (one process at a time)."""
    for tool in ("node", "npm"):
        if not shutil.which(tool):
            raise RuntimeError("%s is not installed: run scripts/install-deps.sh" % tool)
    chromium = os.environ.get("CHROMIUM", "/usr/bin/chromium")
    if not os.path.exists(chromium):
        raise RuntimeError("%s is missing: run scripts/install-deps.sh (Debian package chromium)"
                           % chromium)
    with open(os.path.join(tempfile.gettempdir(), "playrouter-npm-ci.lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        marker = os.path.join(BROWSER_DIR, "node_modules", "playwright-core", "package.json")
        if not os.path.exists(marker):
            subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=BROWSER_DIR, check=True,
                           timeout=600)


class WebAppCase:
    """Mixed into one unittest.TestCase per API mode (test_web_app_*.py)."""
    MODE = None

    @classmethod
    def setUpClass(cls):
        ensure_node_modules()

    def setUp(self):
        self.emu = Emulator(mode=self.MODE).start()
        port = free_port()
        self.srv = Server(env={
            "PLAYROUTER_PORT": str(port),
            "SPOTIFY_REDIRECT_URI": "http://127.0.0.1:%d/api/auth/callback" % port,
            "SPOTIFY_CLIENT_ID": self.emu.client_id,
            "SPOTIFY_CLIENT_SECRET": self.emu.client_secret,
            "SPOTIFY_API_BASE": self.emu.api_base,
            "SPOTIFY_ACCOUNTS_BASE": self.emu.accounts_base,
            "SPOTIFY_API_MODE": self.MODE,
        })
        try:
            self.srv.start()
        except BaseException:
            self.emu.stop()
            raise
        self.tmp = tempfile.mkdtemp(prefix="playrouter-web-")

    def tearDown(self):
        code = self.srv.stop()
        stderr = self.srv.stderr()
        self.srv.cleanup()
        self.emu.stop()
        shutil.rmtree(self.tmp, ignore_errors=True)
        self.assertEqual(code, 0, "server exited with %s:\n%s" % (code, stderr[-3000:]))

    # ---- helpers ----

    def node(self, script, expect=None, timeout=180):
        """Runs tests/browser/<script>; fails with its output unless it exits 0.
        Returns what it wrote to RESULT_FILE (or None)."""
        expect_file = os.path.join(self.tmp, "expect.json")
        result_file = os.path.join(self.tmp, "result.json")
        with open(expect_file, "w") as f:
            json.dump(expect or {}, f)
        env = dict(os.environ, APP_URL=self.srv.base_url, EMU_URL=self.emu.base_url,
                   API_MODE=self.MODE, EXPECT_FILE=expect_file, RESULT_FILE=result_file,
                   SHOT_DIR=SHOT_DIR, SLOW=str(SLOW))
        t0 = time.time()
        p = subprocess.run(["node", os.path.join(BROWSER_DIR, script)], env=env, cwd=BROWSER_DIR,
                           capture_output=True, text=True, timeout=timeout * SLOW)
        sys.stderr.write(p.stdout + p.stderr)
        self.assertEqual(p.returncode, 0, "%s failed after %.1f s:\n%s%s"
                         % (script, time.time() - t0, p.stdout[-4000:], p.stderr[-4000:]))
        if os.path.exists(result_file):
            with open(result_file) as f:
                return json.load(f)
        return None

    def api_token(self):
        return sign_in(self.srv, self.emu)["token"]

    def plan(self, children, routing="all"):
        catalogue = {t["id"]: track_view(t) for t in self.emu.tracks()}
        plan = R.compute_targets(base_entries(self.emu.playlist(BASE_SPID)), catalogue, children,
                                 routing)
        self.assertEqual(plan.ambiguities, [], "pick data the contract decides")
        return plan

    # ---- the tests ----

    def test_flow(self):
        """Sign in, base from the picker, two children from the rule builder with exact
        preview counts, reorder, sync to the end, history, restore; then the emulator's
        playlists hold exactly what the reference says."""
        specs = [
            {"key": "a", "name": "Nineties", "conditions": [["release_year", "between", [1990, 1999]]],
             "sort": None, "limit": None},
            {"key": "b", "name": "Short and clean",
             "conditions": [["duration_ms", "lt", 200000], ["explicit", "eq", "no"]],
             "sort": {"by": "duration_ms", "order": "desc"}, "limit": 40},
        ]
        children = []
        for i, s in enumerate(specs):
            leaves = [{"field": f, "op": op, "value": (v == "yes") if v in ("yes", "no") else v}
                      for f, op, v in s["conditions"]]
            children.append({"id": s["key"], "position": i, "filter": {"all": leaves},
                             "sort": s["sort"], "limit": s["limit"]})
        plan = self.plan(children)
        catalogue = {t["id"]: t for t in self.emu.tracks()}
        for s in specs:
            target = plan.targets[s["key"]]
            s["expected_count"] = len(target)
            s["expected_first"] = target[:FIRST]
            # The first row's words, from the emulator's catalogue: "Song — Artist, Artist".
            first = catalogue[target[0]]
            s["expected_first_name"] = first["name"]
            s["expected_first_label"] = "%s — %s" % (
                first["name"], ", ".join(a["name"] for a in first["artists"]))
        in_base = {e["track_id"] for e in base_entries(self.emu.playlist(BASE_SPID))}
        foreign = next(t for t in sorted(catalogue) if t not in in_base)
        self.assertEqual(specs[1]["expected_count"], 40, "the limit must cut child b")
        live = dict(children[0], filter={"all": [{"field": "release_year", "op": "between",
                                                  "value": [1990, 1994]}]})
        live_count = len(self.plan([live]).targets["a"])
        self.assertNotIn(live_count, (0, specs[0]["expected_count"]))
        self.assertGreater(specs[0]["expected_count"], FIRST)
        spotify = self.emu.mint_token("demo")["access_token"]
        picker = self.emu.api("GET", "/me/playlists?limit=50", token=spotify)[2]["total"]
        result = self.node("flow.test.mjs", {"base_spid": BASE_SPID, "base_name": "Everything I like",
                                             "picker_count": picker, "children": specs,
                                             "live_count": live_count, "foreign_id": foreign})
        token = self.api_token()
        for s in specs:
            cid = result["children"][s["key"]]["id"]
            status, _, child = self.srv.request("GET", "/api/child-playlists/" + cid, token=token)
            self.assertEqual(status, 200, child)
            self.assertEqual(child["filter"], children[specs.index(s)]["filter"], s["name"])
            self.assertEqual((child["sort"], child["limit"], child["position"]),
                             (s["sort"], s["limit"], specs.index(s)), s["name"])
            got = self.emu.playlist_uris(child["spotify_playlist_id"])
            # Child b was restored to what it held before the sync: nothing.
            want = [] if s["key"] == "b" else ["spotify:track:" + t for t in plan.targets["a"]]
            self.assertEqual(got, want, "%s on the emulator" % s["name"])
        status, _, events = self.srv.request(
            "GET", "/api/base-playlists/%s/sync-events" % result["base_id"], token=token)
        self.assertEqual([e["status"] for e in events["items"]], ["completed"])

    def test_invalid_rule(self):
        """Errors of the server at the field their JSON Pointer names; fields the mode
        cannot serve disabled with the reason."""
        expect = {"base_spid": BASE_SPID}
        if self.MODE == "extended":
            plan = self.plan([{"id": "g", "filter": {"field": "genre", "op": "eq", "value": "shoegaze"}}])
            expect["genre_count"] = len(plan.targets["g"])
            self.assertGreater(expect["genre_count"], 0)
        self.node("invalid-rule.test.mjs", expect)

    def test_sync_conflict(self):
        """409 sync_in_progress in words; the running sync followed to its end."""
        plan = self.plan([{"id": "all", "filter": {"all": []}}])
        self.node("conflict.test.mjs", {"base_spid": BASE_SPID, "all_count": len(plan.targets["all"])})
        token = self.api_token()
        status, _, bases = self.srv.request("GET", "/api/base-playlists", token=token)
        status, _, kids = self.srv.request(
            "GET", "/api/base-playlists/%s/child-playlists" % bases["items"][0]["id"], token=token)
        self.assertEqual(len(kids["items"]), 1, "the delete during the sync was refused")
        self.assertEqual(self.emu.playlist_uris(kids["items"][0]["spotify_playlist_id"]),
                         ["spotify:track:" + t for t in plan.targets["all"]])

    def test_reauth(self):
        """Revoked Spotify refresh token -> the re-sign-in screen -> signed in again."""
        self.node("reauth.test.mjs", {"base_spid": BASE_SPID})

    def test_first_load(self):
        """The initial page, every byte on the wire from a cold cache, within 200 KB;
        a reload fetches no asset again."""
        result = self.node("first-load.test.mjs")
        self.assertLessEqual(result["signed_out_bytes"], 200 * 1024)
        self.assertLessEqual(result["signed_in_bytes"], 200 * 1024)
