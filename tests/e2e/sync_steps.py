"""Ordered end-to-end steps against one emulator and one playrouter server, shared by
test_sync_store.py and test_sync_stream.py (as test_sync.py does it): the steps of a
class run in order, share `state`, and after the first failure the rest are skipped.

    class MyTest(SyncSteps):
        MODE = "development"                  # the emulator's and the server's API mode
        ARGS = ["--playlist", "demo:Base:120"]  # emulator flags
        ENV = {"PLAYROUTER_SSE_HEARTBEAT": "1"}  # more server settings
"""
import shutil
import tempfile
import unittest

from harness import Server, free_port, sign_in
import emulator as EMU


def base_track_ids(items):
    """The distinct track ids of a base's entries (/__admin/playlists/{id} items) in base
    order, each at its first entry: local files, episodes and other uris left out, as
    API.md "Sync" says."""
    order, seen = [], set()
    for it in items:
        uri = it["uri"]
        if it.get("is_local") or it.get("type", "track") != "track" \
                or not uri.startswith("spotify:track:"):
            continue
        tid = uri.split(":")[2]
        if tid not in seen:
            seen.add(tid)
            order.append(tid)
    return order


class SyncSteps(unittest.TestCase):
    state = {}
    MODE = "development"
    ARGS = []
    ENV = {}

    @classmethod
    def setUpClass(cls):
        cls.state = {}
        cls.data_dir = tempfile.mkdtemp(prefix="playrouter-steps-")
        cls.emu = EMU.Emulator(mode=cls.MODE, args=cls.ARGS).start()
        cls.srv = None
        try:
            port = free_port()
            env = {
                "PLAYROUTER_PORT": str(port),
                "SPOTIFY_REDIRECT_URI": "http://127.0.0.1:%d/api/auth/callback" % port,
                "SPOTIFY_CLIENT_ID": cls.emu.client_id,
                "SPOTIFY_CLIENT_SECRET": cls.emu.client_secret,
                "SPOTIFY_API_BASE": cls.emu.api_base,
                "SPOTIFY_ACCOUNTS_BASE": cls.emu.accounts_base,
                "SPOTIFY_API_MODE": cls.MODE,
            }
            env.update(cls.ENV)
            cls.srv = Server(data_dir=cls.data_dir, env=env).start()
            cls.token = sign_in(cls.srv, cls.emu)["token"]
        except BaseException:
            cls.tearDownClass()
            raise

    @classmethod
    def tearDownClass(cls):
        code = cls.srv.stop() if cls.srv and cls.srv.proc else None
        stderr = cls.srv.stderr() if cls.srv else ""
        ecode = cls.emu.stop() if cls.emu and cls.emu.proc else 0
        shutil.rmtree(cls.data_dir, ignore_errors=True)
        assert code in (None, 0), "server exited with %s:\n%s" % (code, stderr[-4000:])
        assert ecode == 0, "emulator exited with %s" % ecode

    def setUp(self):
        if self.state.get("failed"):
            self.skipTest("an earlier step failed: %s" % self.state["failed"])
        self.emu.reset()

    def run(self, result=None):
        n = len(result.failures) + len(result.errors) if result else 0
        out = super().run(result)
        if result and len(result.failures) + len(result.errors) > n:
            self.state["failed"] = self.id()
        return out

    def api(self, method, path, body=None, **kw):
        return self.srv.request(method, path, body=body, token=self.token, **kw)

    def sync(self):
        status, _, ev = self.api("POST", "/api/base-playlists/%s/sync" % self.state["base"])
        self.assertEqual(status, 200, ev)
        self.assertEqual(ev["status"], "completed", ev.get("error_message"))
        return ev
