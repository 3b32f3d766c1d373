"""Foundation end to end: the real binary on a free loopback port."""
import http.client
import os
import socket
import stat
import sys
import tempfile
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from harness import Server, run_playrouter, SLOW  # noqa: E402


class FoundationTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.srv = Server(env={"PLAYROUTER_MAX_BODY": "1000"}).start()

    @classmethod
    def tearDownClass(cls):
        code = cls.srv.stop()
        stderr = cls.srv.stderr()
        cls.srv.cleanup()
        assert code == 0, "server exited with %s:\n%s" % (code, stderr)

    def test_healthz(self):
        status, headers, body = self.srv.request("GET", "/healthz")
        self.assertEqual(status, 200)
        self.assertEqual(body, {"status": "ok"})
        self.assertTrue(headers["content-type"].startswith("application/json"))

    def test_readyz(self):
        status, _, body = self.srv.request("GET", "/readyz")
        self.assertEqual(status, 200)
        self.assertEqual(body, {"status": "ready"})

    def test_unknown_route_is_404_with_error_shape(self):
        status, _, body = self.srv.request("GET", "/nope/at/all")
        self.assertEqual(status, 404)
        self.assertEqual(body["error"]["code"], "not_found")
        self.assertIsInstance(body["error"]["message"], str)

    def test_known_path_wrong_method_is_405(self):
        status, headers, body = self.srv.request("DELETE", "/healthz")
        self.assertEqual(status, 405)
        self.assertEqual(body["error"]["code"], "method_not_allowed")
        self.assertEqual(headers["allow"], "GET")

    def test_declared_body_over_limit_is_413(self):
        status, _, body = self.srv.request("POST", "/healthz", raw=b"x" * 1001)
        self.assertEqual(status, 413)
        self.assertEqual(body["error"]["code"], "payload_too_large")

    def test_chunked_body_over_limit_is_413(self):
        conn = http.client.HTTPConnection("127.0.0.1", self.srv.port, timeout=10 * SLOW)
        chunks = iter([b"y" * 600, b"y" * 600])
        conn.request("POST", "/healthz", body=chunks, encode_chunked=True,
                     headers={"Transfer-Encoding": "chunked"})
        resp = conn.getresponse()
        resp.read()
        conn.close()
        self.assertEqual(resp.status, 413)

    def test_body_at_limit_is_not_413(self):
        status, _, body = self.srv.request("POST", "/healthz", raw=b"x" * 1000)
        self.assertEqual(status, 405)

    def test_request_id_echoed_or_generated(self):
        _, headers, _ = self.srv.request("GET", "/healthz", headers={"X-Request-Id": "abc-123"})
        self.assertEqual(headers["x-request-id"], "abc-123")
        _, headers, _ = self.srv.request("GET", "/healthz", headers={"X-Request-Id": "bad id\x01"})
        self.assertRegex(headers["x-request-id"], r"^[0-9a-f]{16}$")
        _, h1, _ = self.srv.request("GET", "/healthz")
        _, h2, _ = self.srv.request("GET", "/healthz")
        self.assertNotEqual(h1["x-request-id"], h2["x-request-id"])

    def test_metrics_counts_requests(self):
        before = self._count('/healthz', '200')
        for _ in range(3):
            self.srv.request("GET", "/healthz")
        # A request is counted when it completes, just after its answer is sent:
        # wait (bounded) for the exact count.
        deadline = time.time() + 5 * SLOW
        while self._count('/healthz', '200') != before + 3 and time.time() < deadline:
            time.sleep(0.02)
        self.assertEqual(self._count('/healthz', '200'), before + 3)

    def _count(self, route, status):
        _, _, text = self.srv.request("GET", "/metrics")
        key = 'playrouter_http_requests_total{method="GET",route="%s",status="%s"} ' % (route, status)
        for line in text.splitlines():
            if line.startswith(key):
                return float(line[len(key):])
        return 0.0

    def test_access_log_has_no_secrets(self):
        self.srv.request("GET", "/healthz", headers={"Authorization": "Bearer SECRET-TOKEN-xyz"})
        self.assertNotIn("SECRET-TOKEN-xyz", self.srv.stderr())


def read(path):
    with open(path) as f:
        return f.read()


class ConfigTest(unittest.TestCase):
    def test_help_lists_every_setting_with_defaults(self):
        code, out, _ = run_playrouter(["--help"])
        self.assertEqual(code, 0)
        for name in ["PLAYROUTER_PORT", "PLAYROUTER_DB", "PLAYROUTER_MAX_BODY", "PLAYROUTER_REDIS_URL",
                     "PLAYROUTER_JWT_SECRET", "PLAYROUTER_TOKEN_KEY", "SPOTIFY_CLIENT_ID",
                     "SPOTIFY_CLIENT_SECRET", "SPOTIFY_REDIRECT_URI", "SPOTIFY_API_BASE",
                     "SPOTIFY_ACCOUNTS_BASE", "SPOTIFY_API_MODE"]:
            self.assertIn(name, out)
        self.assertIn("[default: 8080]", out)
        self.assertIn("[default: 1048576]", out)

    def test_bad_port_exits_2_with_one_message(self):
        code, _, err = run_playrouter(["--port", "99999"])
        self.assertEqual(code, 2)
        self.assertIn("PLAYROUTER_PORT", err)
        self.assertEqual(len(err.strip().splitlines()), 1)
        code, _, err = run_playrouter([], env={"PLAYROUTER_PORT": "80a"})
        self.assertEqual(code, 2)

    def test_db_in_uncreatable_folder_exits_2(self):
        with tempfile.TemporaryDirectory() as d:
            blocker = os.path.join(d, "file")
            open(blocker, "w").close()
            code, _, err = run_playrouter(["--db", os.path.join(blocker, "sub", "x.db"), "--port", "0"])
            self.assertEqual(code, 2)
            self.assertIn("data folder", err)

    def test_production_requires_secrets(self):
        with tempfile.TemporaryDirectory() as d:
            code, _, err = run_playrouter(["--env", "production", "--db", d + "/x.db"])
            self.assertEqual(code, 2)
            self.assertIn("PLAYROUTER_JWT_SECRET", err)

    def test_secrets_generated_once_with_mode_0600(self):
        with tempfile.TemporaryDirectory() as d:
            srv = Server(data_dir=d).start()
            self.assertEqual(srv.stop(), 0)
            jwt_path = os.path.join(d, "jwt_secret")
            key_path = os.path.join(d, "token_key")
            for p in (jwt_path, key_path):
                self.assertEqual(stat.S_IMODE(os.stat(p).st_mode), 0o600)
            first = read(jwt_path)
            self.assertEqual(len(read(key_path)), 64)
            srv = Server(data_dir=d).start()
            self.assertEqual(srv.stop(), 0)
            self.assertEqual(read(jwt_path), first)

    def test_short_jwt_secret_refused(self):
        with tempfile.TemporaryDirectory() as d:
            code, _, err = run_playrouter(["--db", d + "/x.db"], env={"PLAYROUTER_JWT_SECRET": "short"})
            self.assertEqual(code, 2)
            self.assertIn("32 bytes", err)


class ShutdownTest(unittest.TestCase):
    def test_sigterm_stops_accepting_and_exits_0(self):
        srv = Server().start()
        try:
            self.assertEqual(srv.request("GET", "/healthz")[0], 200)
            # An idle keep-alive connection must not hold the shutdown.
            idle = socket.create_connection(("127.0.0.1", srv.port))
            t0 = time.time()
            self.assertEqual(srv.stop(), 0)
            self.assertLess(time.time() - t0, 10 * SLOW)
            idle.close()
            with self.assertRaises(OSError):
                socket.create_connection(("127.0.0.1", srv.port), timeout=2).close()
        finally:
            srv.cleanup()


if __name__ == "__main__":
    unittest.main(verbosity=2)
