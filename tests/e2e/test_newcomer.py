"""A newcomer's first ten minutes (issue 16): the port, `make run`, the demo, --version.

Real processes only: two servers on one port, the run script that `make run` calls
(scripts/run.sh, started on the already built binaries of this build folder so the
ASan pass runs it too), and scripts/demo.sh run twice against it.
"""
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.parse

sys.path.insert(0, os.path.dirname(__file__))
from emulator import Emulator  # noqa: E402
from harness import BUILD_DIR, SLOW, SOURCE_DIR, Server, free_port, run_playrouter  # noqa: E402

BUILD = os.path.abspath(BUILD_DIR)
SRC = os.path.abspath(SOURCE_DIR)


def clean_env(extra):
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("PLAYROUTER_", "SPOTIFY_"))}
    env["ASAN_OPTIONS"] = os.environ.get("ASAN_OPTIONS", "detect_leaks=1")
    env.update(extra)
    return env


class RunScript:
    """scripts/run.sh BUILD in its own folder (its ./data), output collected."""

    def __init__(self, port):
        self.cwd = tempfile.mkdtemp(prefix="playrouter-run-")
        self.out_path = os.path.join(self.cwd, "run.out")
        self.out = open(self.out_path, "wb")
        self.proc = subprocess.Popen(
            ["bash", os.path.join(SRC, "scripts", "run.sh"), BUILD], cwd=self.cwd,
            stdout=self.out, stderr=subprocess.STDOUT,
            env=clean_env({"PLAYROUTER_PORT": str(port)}), start_new_session=True)

    def text(self):
        with open(self.out_path, "rb") as f:
            return f.read().decode(errors="replace")

    def wait_for(self, needle, timeout):
        deadline = time.time() + timeout * SLOW
        while time.time() < deadline:
            if needle in self.text():
                return True
            if self.proc.poll() is not None:
                return needle in self.text()
            time.sleep(0.05)
        return False

    def stop(self):
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGINT)
            try:
                self.proc.wait(timeout=30 * SLOW)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self.out.close()
        return self.proc.returncode


class PortTest(unittest.TestCase):
    def test_second_server_on_a_port_in_use_exits_2_naming_the_port(self):
        first = Server().start()
        try:
            code, out, err = run_playrouter(["--port", str(first.port)], env={
                "PLAYROUTER_DB": os.path.join(first.data_dir, "second.db")})
            self.assertEqual(code, 2, err)
            self.assertIn("port %d" % first.port, err)
            self.assertIn("PLAYROUTER_PORT", err)
            self.assertEqual(len(err.strip().splitlines()), 1, err)
            # the first server is untouched and still the only one answering
            for _ in range(20):
                status, _, body = first.request("GET", "/healthz")
                self.assertEqual((status, body), (200, {"status": "ok"}))
        finally:
            self.assertEqual(first.stop(), 0)

    def test_port_0_signs_in_through_the_port_actually_bound(self):
        emu = Emulator().start()
        srv = Server(env={
            "SPOTIFY_CLIENT_ID": emu.client_id, "SPOTIFY_CLIENT_SECRET": emu.client_secret,
            "SPOTIFY_API_BASE": emu.base_url + "/v1", "SPOTIFY_ACCOUNTS_BASE": emu.base_url,
        }).start()  # PLAYROUTER_PORT=0, no SPOTIFY_REDIRECT_URI
        try:
            self.assertNotEqual(srv.port, 0)
            status, headers, _ = srv.request("GET", "/api/auth/login")
            self.assertEqual(status, 302)
            q = urllib.parse.parse_qs(urllib.parse.urlsplit(headers["location"]).query)
            self.assertEqual(q["redirect_uri"], ["http://127.0.0.1:%d/api/auth/callback" % srv.port])
            # and the whole flow completes through it
            u = urllib.parse.urlsplit(headers["location"])
            status, headers, _ = emu.request("GET", "%s?%s&user=demo" % (u.path, u.query))
            self.assertEqual(status, 302)
            cb = urllib.parse.urlsplit(headers["location"])
            self.assertEqual((cb.hostname, cb.port), ("127.0.0.1", srv.port))
            status, _, body = srv.request("GET", cb.path + "?" + cb.query)
            self.assertEqual(status, 200, body)
            self.assertEqual(body["user"]["spotify_user_id"], "demo")
        finally:
            self.assertEqual(srv.stop(), 0)
            self.assertEqual(emu.stop(), 0)

    def test_version(self):
        with open(os.path.join(SRC, "CMakeLists.txt")) as f:
            version = re.search(r"project\(playrouter VERSION ([0-9.]+)", f.read()).group(1)
        code, out, err = run_playrouter(["--version"])
        self.assertEqual((code, out, err), (0, "playrouter %s\n" % version, ""))


class RunAndDemoTest(unittest.TestCase):
    def test_run_then_demo_twice_then_a_second_run_fails_clearly(self):
        port = free_port()
        run = RunScript(port)
        try:
            self.assertTrue(run.wait_for("Ctrl-C stops", 30), run.text())
            api = "http://127.0.0.1:%d" % port
            # what the script prints names the port really bound
            self.assertIn("playrouter is listening on %s" % api, run.text())
            self.assertIn("bash scripts/demo.sh %s" % api, run.text())

            outs = []
            for _ in range(2):
                p = subprocess.run(["bash", os.path.join(SRC, "scripts", "demo.sh"), api],
                                   capture_output=True, timeout=300 * SLOW)
                outs.append(p.stdout.decode() + p.stderr.decode())
                self.assertEqual(p.returncode, 0, outs[-1])
                self.assertNotIn("Traceback", outs[-1])
            self.assertIn("Everything I like), added", outs[0])
            self.assertIn("child: 90s -> spotify playlist", outs[0])
            self.assertIn("Everything I like), already there", outs[1])
            self.assertIn("child: 90s, already there", outs[1])
            self.assertIn("child: Short and clean, already there", outs[1])
            self.assertEqual(outs[1].count('"status": "completed"'), 1, outs[1])

            # a second `make run` on the same port: a clear message and a non-zero exit
            second = RunScript(port)
            code = second.proc.wait(timeout=60 * SLOW)
            text = second.text()
            second.stop()
            self.assertEqual(code, 2, text)
            self.assertIn("port %d on 127.0.0.1 is already in use" % port, text)
            self.assertIn("PLAYROUTER_PORT", text)
            self.assertNotIn("Sign in", text)
        finally:
            self.assertIn(run.stop(), (0, 130), run.text())

    def test_a_restarted_demo_starts_afresh_and_says_so(self):
        port = free_port()
        first = RunScript(port)
        api = "http://127.0.0.1:%d" % port
        try:
            self.assertTrue(first.wait_for("Ctrl-C stops", 30), first.text())
            self.assertNotIn("starts afresh", first.text())  # nothing to reset the first time
            p = subprocess.run(["bash", os.path.join(SRC, "scripts", "demo.sh"), api],
                               capture_output=True, timeout=300 * SLOW)
            self.assertEqual(p.returncode, 0, p.stdout.decode() + p.stderr.decode())
        finally:
            self.assertIn(first.stop(), (0, 130), first.text())
        # the same folder again: the emulator has forgotten the playlists it created
        second = RunScript.__new__(RunScript)
        second.cwd = first.cwd
        second.out_path = os.path.join(second.cwd, "run2.out")
        second.out = open(second.out_path, "wb")
        second.proc = subprocess.Popen(
            ["bash", os.path.join(SRC, "scripts", "run.sh"), BUILD], cwd=second.cwd,
            stdout=second.out, stderr=subprocess.STDOUT,
            env=clean_env({"PLAYROUTER_PORT": str(port)}), start_new_session=True)
        try:
            self.assertTrue(second.wait_for("Ctrl-C stops", 30), second.text())
            self.assertIn("Demo mode starts afresh each time", second.text())
            self.assertTrue(os.path.exists(os.path.join(first.cwd, "data", "playrouter.db.previous")))
            p = subprocess.run(["bash", os.path.join(SRC, "scripts", "demo.sh"), api],
                               capture_output=True, timeout=300 * SLOW)
            out = p.stdout.decode() + p.stderr.decode()
            self.assertEqual(p.returncode, 0, out)
            self.assertIn("Everything I like), added", out)  # a fresh start, not a dangling base
            self.assertIn('"status": "completed"', out)
        finally:
            self.assertIn(second.stop(), (0, 130), second.text())

    def test_demo_shows_the_servers_own_error_message(self):
        # A server with no Spotify app configured refuses sign-in with a clear error;
        # demo.sh must print the server's code and message, not a traceback.
        srv = Server().start()
        try:
            status, _, body = srv.request("GET", "/api/auth/login")
            self.assertGreaterEqual(status, 400)
            p = subprocess.run(["bash", os.path.join(SRC, "scripts", "demo.sh"), srv.base_url],
                               capture_output=True, timeout=60 * SLOW)
            err = p.stderr.decode()
            self.assertEqual(p.returncode, 1)
            self.assertEqual(err.strip().splitlines()[0], "demo: GET /api/auth/login -> %d %s: %s" % (
                status, body["error"]["code"], body["error"]["message"]))
            self.assertNotIn("Traceback", err)
        finally:
            self.assertEqual(srv.stop(), 0)


if __name__ == "__main__":
    unittest.main(verbosity=2)
