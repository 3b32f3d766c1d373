"""Hostile HTTP clients (docs/SECURITY.md, issue #12 points 6, 8 and 9), on raw sockets.

Every attack here is bounded (a few seconds, a few hundred sockets, loopback only)
and each one was reproduced against the server before its defence existed:
- one address opening every connection made /healthz unreachable;
- a head sent one byte at a time, or a body trickled, kept a connection past any
  deadline (libmicrohttpd resets its idle timer on every byte);
- two Content-Length headers were accepted (the first won) and the rest of the body
  was served as a second request; Content-Length with Transfer-Encoding was accepted;
- 2,000 query parameters got no answer at all (the connection hung until the idle
  timeout).
"""
import json
import os
import select
import socket
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from harness import SLOW, Server, stop_checked as stop  # noqa: E402

HEAD_TIMEOUT = 2
BODY_TIMEOUT = 2
# The deadlines are checked by a sweep every quarter second; a closed connection is
# seen by the client a moment later. Under ASan everything is slower.
SLACK = 1.5 * SLOW


def connect(srv, source="127.0.0.1", timeout=10):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(timeout * SLOW)
    s.bind((source, 0))
    s.connect(("127.0.0.1", srv.port))
    return s


def read_all(s, timeout=5):
    """Everything the server sends until it closes (or until timeout: then None
    is appended to say the connection was still open)."""
    s.settimeout(timeout * SLOW)
    out = b""
    try:
        while True:
            chunk = s.recv(65536)
            if not chunk:
                return out, True
            out += chunk
    except socket.timeout:
        return out, False
    except ConnectionResetError:
        return out, True


def parse_responses(data):
    """Splits raw HTTP/1.1 responses (Content-Length framed) into
    [(status, {lower-case header: value}, body bytes)]."""
    out = []
    while data:
        head, sep, rest = data.partition(b"\r\n\r\n")
        if not sep:
            raise AssertionError("incomplete response: %r" % data[:200])
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ")[1])
        headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        n = int(headers.get("content-length", "0"))
        out.append((status, headers, rest[:n]))
        data = rest[n:]
    return out


def closed_by_peer(s, timeout):
    """True when the server closed s within timeout seconds (EOF or reset)."""
    r, _, _ = select.select([s], [], [], timeout)
    if not r:
        return False
    try:
        return s.recv(1) == b""
    except (ConnectionResetError, BrokenPipeError):
        return True


def trickle_until_closed(s, data, every, limit):
    """Sends data one byte every `every` seconds until the server closes the
    connection or `limit` seconds pass; returns the seconds until the close, or None."""
    start = time.monotonic()
    for b in data:
        if time.monotonic() - start > limit:
            return None
        try:
            s.sendall(bytes([b]))
        except (BrokenPipeError, ConnectionResetError):
            return time.monotonic() - start
        if closed_by_peer(s, every):
            return time.monotonic() - start
    return None


class OneServer(unittest.TestCase):
    """A test class sharing one server started with ENV."""
    ENV = {}

    @classmethod
    def setUpClass(cls):
        cls.srv = Server(env=cls.ENV).start()

    @classmethod
    def tearDownClass(cls):
        stop(cls.srv)


class ConnectionLimitTest(unittest.TestCase):
    """Point 6: one address cannot hold every connection."""

    def test_one_address_cannot_take_every_connection(self):
        srv = Server(env={"PLAYROUTER_MAX_CONNECTIONS": "64",
                          "PLAYROUTER_MAX_CONNECTIONS_PER_IP": "8",
                          "PLAYROUTER_HEADER_TIMEOUT": "60"}).start()
        held = []
        try:
            # The attacker: 100 idle sockets from 127.0.0.2 (the whole of 127/8 is
            # loopback on Linux, so it is another client address).
            for _ in range(100):
                try:
                    held.append(connect(srv, source="127.0.0.2"))
                except OSError:
                    break
            # Everything past the 8th is closed by the server at once.
            deadline = time.monotonic() + 5 * SLOW
            open_ = list(held)
            while time.monotonic() < deadline and len(open_) > 8:
                open_ = [s for s in open_ if not closed_by_peer(s, 0.05)]
            self.assertEqual(len(open_), 8)
            # Another address is served at once.
            s = connect(srv)
            s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            data, closed = read_all(s)
            s.close()
            self.assertTrue(closed)
            [(status, _, body)] = parse_responses(data)
            self.assertEqual((status, json.loads(body)), (200, {"status": "ok"}))
            # The 8 the attacker holds are still open (the limit closes only the excess).
            self.assertFalse([s for s in open_ if closed_by_peer(s, 0)])
        finally:
            for s in held:
                s.close()
            stop(srv)


class DeadlineTest(OneServer):
    """Point 6: a request head (and body) must arrive within a total deadline,
    however slowly its bytes come."""

    ENV = {"PLAYROUTER_HEADER_TIMEOUT": str(HEAD_TIMEOUT),
           "PLAYROUTER_BODY_TIMEOUT": str(BODY_TIMEOUT),
           "PLAYROUTER_IDLE_TIMEOUT": "60"}

    def test_slow_head_is_closed_at_the_head_deadline(self):
        s = connect(self.srv)
        head = b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"a" * 200
        t = trickle_until_closed(s, head, 0.25, HEAD_TIMEOUT + SLACK + 5)
        s.close()
        self.assertIsNotNone(t, "a head sent one byte every 0.25 s was never cut")
        self.assertGreaterEqual(t, HEAD_TIMEOUT - 0.5)
        self.assertLessEqual(t, HEAD_TIMEOUT + SLACK)

    def test_silent_connection_is_closed_at_the_head_deadline(self):
        s = connect(self.srv)
        start = time.monotonic()
        self.assertTrue(closed_by_peer(s, HEAD_TIMEOUT + SLACK))
        self.assertGreaterEqual(time.monotonic() - start, HEAD_TIMEOUT - 0.5)
        s.close()

    def test_slow_body_is_closed_at_the_body_deadline(self):
        s = connect(self.srv)
        s.sendall(b"POST /api/auth/logout HTTP/1.1\r\nHost: x\r\nContent-Type: application/json"
                  b"\r\nContent-Length: 200\r\n\r\n")
        t = trickle_until_closed(s, b"{" + b" " * 199, 0.25, BODY_TIMEOUT + SLACK + 5)
        s.close()
        self.assertIsNotNone(t, "a body sent one byte every 0.25 s was never cut")
        self.assertGreaterEqual(t, BODY_TIMEOUT - 0.5)
        self.assertLessEqual(t, BODY_TIMEOUT + SLACK)

    def test_a_head_in_pieces_within_the_deadline_is_served(self):
        s = connect(self.srv)
        for piece in (b"GET /heal", b"thz HTTP/1.1\r\nHo", b"st: x\r\nConnection: close\r\n\r\n"):
            s.sendall(piece)
            time.sleep(0.3)
        data, closed = read_all(s)
        s.close()
        self.assertEqual([r[0] for r in parse_responses(data)], [200])

    def test_kept_alive_connection_may_idle_past_the_head_deadline(self):
        # The head deadline counts from the connection's start or from the previous
        # answer plus the idle timeout: a browser's idle kept-alive connection is fine.
        s = connect(self.srv)
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        time.sleep(HEAD_TIMEOUT + 1)
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        data, closed = read_all(s)
        s.close()
        self.assertEqual([r[0] for r in parse_responses(data)], [200, 200])


class FramingTest(OneServer):
    """Point 8: ambiguous message framing (request smuggling ingredients) is refused
    with 400 and the connection is closed, so nothing after it is read as a request."""

    def refused(self, raw):
        s = connect(self.srv)
        s.sendall(raw)
        data, closed = read_all(s)
        s.close()
        self.assertTrue(closed, "the connection was left open after %r" % raw[:80])
        responses = parse_responses(data)
        self.assertEqual(len(responses), 1, responses)
        status, headers, body = responses[0]
        self.assertEqual(status, 400, body)
        self.assertEqual(headers.get("connection", "").lower(), "close")
        err = json.loads(body)["error"]
        self.assertEqual(err["code"], "bad_request")
        return err["message"]

    def test_two_content_lengths(self):
        msg = self.refused(b"POST /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n"
                           b"Content-Length: 40\r\n\r\nhelloGET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        self.assertIn("Content-Length", msg)
        # Even equal values: a proxy in front may read them differently.
        self.refused(b"POST /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n"
                     b"Content-Length: 5\r\n\r\nhello")

    def test_content_length_with_transfer_encoding(self):
        msg = self.refused(b"POST /api/auth/logout HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n"
                           b"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /healthz HTTP/1.1\r\n"
                           b"Host: x\r\n\r\n")
        self.assertIn("Transfer-Encoding", msg)

    def test_transfer_encoding_other_than_chunked(self):
        for te in (b"gzip", b"gzip, chunked", b"chunked, identity", b"xchunked"):
            self.refused(b"POST /api/auth/logout HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: " + te +
                         b"\r\n\r\n0\r\n\r\n")
        self.refused(b"POST /api/auth/logout HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
                     b"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n")

    def test_whitespace_before_the_colon(self):
        self.refused(b"POST /healthz HTTP/1.1\r\nHost: x\r\nContent-Length : 5\r\n\r\nhello")

    def test_http11_without_host(self):
        self.refused(b"GET /healthz HTTP/1.1\r\n\r\n")

    def test_well_framed_requests_still_work(self):
        s = connect(self.srv)
        # Two pipelined requests, then a chunked body, then close.
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\nGET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"
                  b"POST /api/auth/logout HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
                  b"Connection: close\r\n\r\n2\r\n{}\r\n0\r\n\r\n")
        data, closed = read_all(s)
        s.close()
        self.assertEqual([r[0] for r in parse_responses(data)], [200, 200, 401])
        # HTTP/1.0 needs no Host.
        s = connect(self.srv)
        s.sendall(b"GET /healthz HTTP/1.0\r\n\r\n")
        data, _ = read_all(s)
        s.close()
        self.assertEqual([r[0] for r in parse_responses(data)], [200])


class QueryTest(OneServer):
    """Point 9: a huge query is answered at once (414 in API.md's error shape)."""

    def get(self, target):
        s = connect(self.srv)
        s.sendall(b"GET " + target.encode() + b" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        data, closed = read_all(s, timeout=5)
        s.close()
        self.assertTrue(closed, "no answer to %s..." % target[:60])
        [(status, headers, body)] = parse_responses(data)
        return status, headers, body

    def test_two_thousand_query_parameters(self):
        q = "&".join("p%d=%d" % (i, i) for i in range(2000))
        status, headers, body = self.get("/healthz?" + q)
        self.assertEqual(status, 414, body)
        self.assertTrue(headers["content-type"].startswith("application/json"))
        err = json.loads(body)["error"]
        self.assertEqual(err["code"], "uri_too_long")
        self.assertIn("100", err["message"])
        # The same on an API route, and with empty parameters.
        self.assertEqual(self.get("/api/me?" + q)[0], 414)
        self.assertEqual(self.get("/api/me?" + "&" * 5000)[0], 414)

    def test_a_long_uri(self):
        status, _, body = self.get("/healthz?x=" + "a" * 9000)
        self.assertEqual((status, json.loads(body)["error"]["code"]), (414, "uri_too_long"))
        status, _, body = self.get("/" + "a" * 9000)
        self.assertEqual((status, json.loads(body)["error"]["code"]), (414, "uri_too_long"))

    def test_a_hundred_parameters_are_served(self):
        q = "&".join("p%d=%d" % (i, i) for i in range(100))
        self.assertEqual(self.get("/healthz?" + q)[0], 200)
        self.assertEqual(self.get("/healthz?x=" + "a" * 7000)[0], 200)


if __name__ == "__main__":
    unittest.main(verbosity=2)
