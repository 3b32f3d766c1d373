"""Shared helpers for playrouter's end-to-end tests (Python standard library only).

    from harness import Server, free_port
    srv = Server(env={...}).start()
    status, headers, body = srv.request("GET", "/healthz")
    assert srv.stop() == 0          # SIGTERM; exit code (non-zero on ASan leaks)

The build folder comes from PLAYROUTER_BUILD_DIR (set by CTest), the binaries
are build/playrouter and build/spotify-emulator.
"""
import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time

import openapi_check  # noqa: E402 (tests put this folder on sys.path)

BUILD_DIR = os.environ.get("PLAYROUTER_BUILD_DIR") or os.path.join(
    os.path.dirname(__file__), "..", "..", "build")
SOURCE_DIR = os.environ.get("PLAYROUTER_SOURCE_DIR") or os.path.join(
    os.path.dirname(__file__), "..", "..")
SANITIZED = os.environ.get("PLAYROUTER_SANITIZE", "OFF").upper() in ("ON", "1", "TRUE")
# Under ASan everything is slower; timeouts scale with this.
SLOW = 3 if SANITIZED else 1


def free_port():
    """A loopback port that was free a moment ago."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def read_listening_line(proc, timeout):
    """Reads stdout until 'listening on http://HOST:PORT'; returns the URL."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        line = proc.stdout.readline()
        if not line:
            if proc.poll() is not None:
                raise RuntimeError("process exited with %s before listening" % proc.returncode)
            continue
        line = line.decode(errors="replace").strip()
        if line.startswith("listening on "):
            return line[len("listening on "):]
    raise RuntimeError("process did not start listening in %ss" % timeout)


class Server:
    """A playrouter process on a free loopback port with its own data folder."""

    def __init__(self, env=None, args=None, data_dir=None):
        self.data_dir = data_dir or tempfile.mkdtemp(prefix="playrouter-test-")
        self.own_data_dir = data_dir is None
        self.env = dict(os.environ)
        for k in list(self.env):
            if k.startswith("PLAYROUTER_") and k not in ("PLAYROUTER_BUILD_DIR", "PLAYROUTER_SOURCE_DIR", "PLAYROUTER_SANITIZE"):
                del self.env[k]
            if k.startswith("SPOTIFY_"):
                del self.env[k]
        self.env.update({
            "PLAYROUTER_PORT": "0",
            "PLAYROUTER_DB": os.path.join(self.data_dir, "playrouter.db"),
            "PLAYROUTER_LOG_LEVEL": "warn",
            # Suites sign in dozens of times a minute from 127.0.0.1; the sign-in rate
            # limit has its own test (test_security_auth.py), which sets it.
            "PLAYROUTER_LOGIN_RATE_LIMIT": "0",
            # No test reaches the real MusicBrainz: those that need it start the emulator
            # and set PLAYROUTER_MUSICBRAINZ_BASE themselves.
            "PLAYROUTER_MUSICBRAINZ_BASE": "off",
            "ASAN_OPTIONS": os.environ.get("ASAN_OPTIONS", "detect_leaks=1"),
        })
        self.env.update(env or {})
        self.args = args or []
        self.proc = None
        self.port = None
        self.base_url = None
        self.stderr_path = os.path.join(self.data_dir, "server.stderr")

    def start(self, timeout=20):
        self._stderr = open(self.stderr_path, "ab")
        self.proc = subprocess.Popen([os.path.join(BUILD_DIR, "playrouter")] + self.args,
                                     env=self.env, stdout=subprocess.PIPE, stderr=self._stderr)
        self.base_url = read_listening_line(self.proc, timeout * SLOW)
        self.port = int(self.base_url.rsplit(":", 1)[1])
        return self

    def stderr(self):
        with open(self.stderr_path, "rb") as f:
            return f.read().decode(errors="replace")

    def request(self, method, path, body=None, headers=None, token=None, raw=None, timeout=60):
        """Returns (status, headers dict with lower-case names, parsed JSON or text)."""
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout * SLOW)
        hdrs = dict(headers or {})
        data = raw
        if body is not None:
            data = json.dumps(body).encode()
            hdrs.setdefault("Content-Type", "application/json")
        if token:
            hdrs["Authorization"] = "Bearer " + token
        conn.request(method, path, body=data, headers=hdrs)
        resp = conn.getresponse()
        payload = resp.read()
        out_headers = {k.lower(): v for k, v in resp.getheaders()}
        conn.close()
        ctype = out_headers.get("content-type", "")
        if ctype.startswith("application/json") and payload:
            parsed = json.loads(payload)
        else:
            parsed = payload.decode(errors="replace")
        # Every answer a test sees is also checked against docs/openapi.json.
        openapi_check.check(method, path, resp.status, out_headers, parsed)
        return resp.status, out_headers, parsed

    def stop(self, sig=signal.SIGTERM, timeout=30):
        """Stops the server; returns its exit code."""
        if not self.proc:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            code = self.proc.wait(timeout * SLOW)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            code = self.proc.wait()
        self.proc.stdout.close()
        self._stderr.close()
        self.proc = None
        return code

    def cleanup(self):
        if self.proc:
            self.stop(signal.SIGKILL)
        if self.own_data_dir:
            shutil.rmtree(self.data_dir, ignore_errors=True)


def run_playrouter(args, env=None, timeout=20):
    """Runs playrouter to completion (for --help and bad-config tests)."""
    e = {k: v for k, v in os.environ.items()
         if not k.startswith("PLAYROUTER_") or k in ("PLAYROUTER_BUILD_DIR", "PLAYROUTER_SOURCE_DIR")}
    e.update(env or {})
    p = subprocess.run([os.path.join(BUILD_DIR, "playrouter")] + args, env=e,
                       capture_output=True, timeout=timeout * SLOW)
    return p.returncode, p.stdout.decode(errors="replace"), p.stderr.decode(errors="replace")


def sign_in(srv, emu, user="demo"):
    """Signs `user` in through the real OAuth flow (GET /api/auth/login -> the
    emulator's /authorize as `user` -> GET /api/auth/callback) and returns the
    callback's JSON body ({"token", "expires_at", "user"}). srv is a Server whose
    SPOTIFY_* settings point at emu (an emulator.Emulator)."""
    import urllib.parse
    status, headers, body = srv.request("GET", "/api/auth/login")
    if status != 302:
        raise RuntimeError("login answered %s: %s" % (status, body))
    u = urllib.parse.urlsplit(headers["location"])
    status, headers, body = emu.request("GET", "%s?%s&user=%s" % (
        u.path, u.query, urllib.parse.quote(user)))
    if status != 302:
        raise RuntimeError("authorize answered %s: %s" % (status, body))
    cb = urllib.parse.urlsplit(headers["location"])
    status, _, body = srv.request("GET", cb.path + "?" + cb.query)
    if status != 200 or not isinstance(body, dict) or not body.get("token"):
        raise RuntimeError("callback answered %s: %s" % (status, body))
    return body


def emulator_server(emu, mode="development", env=None):
    """A Server (not started) on a free port whose Spotify settings point at emu (an
    emulator.Emulator, started): its accounts service, Web API, client and API mode."""
    port = free_port()
    e = {
        "PLAYROUTER_PORT": str(port),
        "SPOTIFY_REDIRECT_URI": "http://127.0.0.1:%d/api/auth/callback" % port,
        "SPOTIFY_CLIENT_ID": emu.client_id,
        "SPOTIFY_CLIENT_SECRET": emu.client_secret,
        "SPOTIFY_API_BASE": emu.base_url + "/v1",
        "SPOTIFY_ACCOUNTS_BASE": emu.base_url,
        "SPOTIFY_API_MODE": mode,
    }
    e.update(env or {})
    return Server(env=e)


def stop_server_and_emulator(srv, emu):
    """Stops srv (a Server, or None) and removes its data folder, then stops emu (or
    None), warning on stderr when the emulator exits non-zero. Returns (the server's
    exit code or None, its stderr)."""
    import sys
    code, stderr = None, ""
    if srv is not None:
        code = srv.stop() if srv.proc else None
        try:
            stderr = srv.stderr()
        except OSError:  # it never started
            pass
        srv.cleanup()
    if emu is not None and emu.proc:
        ecode = emu.stop()
        if ecode != 0:
            sys.stderr.write("warning: spotify-emulator exited with %s\n%s\n"
                             % (ecode, emu.stderr()[-2000:]))
    return code, stderr


class ServerWithEmulator:
    """Mixin for a unittest.TestCase class whose tests share one emulator and one server
    pointed at it: setUpClass starts Emulator(mode=cls.MODE, args=cls.EMULATOR_ARGS)
    as cls.emu and emulator_server() as cls.srv, sets cls.t0 and cls.state = {}, then
    calls cls.prepare() (sign-in, catalogue...); on any failure both are stopped.
    cls.SERVER_ENV adds server settings.
    tearDownClass stops both and asserts that the server exited 0 (an ASan leak report
    makes it non-zero)."""
    MODE = "development"
    EMULATOR_ARGS = ()
    SERVER_ENV = {}

    @classmethod
    def setUpClass(cls):
        from emulator import Emulator
        cls.t0 = time.time()
        cls.state = {}
        cls.emu = Emulator(mode=cls.MODE, args=list(cls.EMULATOR_ARGS)).start()
        cls.srv = emulator_server(cls.emu, cls.MODE, env=cls.SERVER_ENV)
        try:
            cls.srv.start()
            cls.prepare()
        except BaseException:
            cls._teardown()
            raise

    @classmethod
    def prepare(cls):
        pass

    @classmethod
    def tearDownClass(cls):
        cls._teardown(check=True)

    @classmethod
    def _teardown(cls, check=False):
        import sys
        code, stderr = stop_server_and_emulator(getattr(cls, "srv", None),
                                                getattr(cls, "emu", None))
        sys.stderr.write("[%s mode: %.1fs]\n" % (cls.MODE, time.time() - cls.t0))
        if check:
            assert code == 0, "server exited with %s:\n%s" % (code, stderr[-4000:])


def stop_checked(srv):
    """Stops srv and removes its data folder; raises AssertionError if it exited
    non-zero or its stderr holds a sanitizer report. Returns its stderr."""
    code = srv.stop()
    stderr = srv.stderr()
    srv.cleanup()
    assert code == 0, "server exited with %s:\n%s" % (code, stderr[-4000:])
    for bad in ("runtime error:", "AddressSanitizer", "LeakSanitizer"):
        assert bad not in stderr, "server stderr has %r:\n%s" % (bad, stderr[-4000:])
    return stderr
