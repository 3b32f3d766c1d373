"""Hostile browsers and sign-in floods (docs/SECURITY.md, issue #12 points 4, 5 and 7),
end to end against the Spotify emulator.

Each attack was reproduced against the server before its defence existed:
- CSRF: a cookie-authenticated POST from http://evil.example with a text/plain body
  (what a plain HTML form can send) created a base, started a sync and logged out;
- login CSRF: a victim who opened an attacker's callback URL got the attacker's
  session cookie (the OAuth state was not bound to the browser that asked for it);
- sign-in flood: 86,000 GET /api/auth/login in 10 s left 86,000 oauth_states rows.
"""
import http.client
import json
import os
import sqlite3
import sys
import time
import unittest
import urllib.parse

sys.path.insert(0, os.path.dirname(__file__))
import harness  # noqa: E402
from emulator import Emulator  # noqa: E402
from harness import SLOW, ServerWithEmulator, run_playrouter, sign_in  # noqa: E402

EVIL = "http://evil.example"
APP = "https://app.example.com"
BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


def start_pair(extra_env=None):
    """An emulator and a server wired to it, for a test of its own."""
    emu = Emulator(args=["--tracks", "20"]).start()
    srv = harness.emulator_server(emu, env=dict({"PLAYROUTER_CORS_ORIGINS": APP},
                                                **(extra_env or {})))
    try:
        srv.start()
    except BaseException:
        harness.stop_server_and_emulator(srv, emu)
        raise
    return emu, srv


def stop_pair(emu, srv):
    code, stderr = harness.stop_server_and_emulator(srv, emu)
    assert code == 0, "server exited with %s:\n%s" % (code, stderr[-4000:])


def fetch(srv, method, path, headers=None, raw=None, source="127.0.0.1"):
    """Like Server.request, but keeps every header (Set-Cookie repeats):
    returns (status, [(lower-case name, value)], body)."""
    conn = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=30 * SLOW,
                                      source_address=(source, 0))
    conn.request(method, path, body=raw, headers=headers or {})
    resp = conn.getresponse()
    payload = resp.read()
    hdrs = [(k.lower(), v) for k, v in resp.getheaders()]
    conn.close()
    ctype = dict(hdrs).get("content-type", "")
    body = json.loads(payload) if ctype.startswith("application/json") and payload else payload
    return resp.status, hdrs, body


def cookies(hdrs):
    """{name: (value, [lower-case attributes])} of the Set-Cookie headers."""
    out = {}
    for name, value in hdrs:
        if name != "set-cookie":
            continue
        first, *attrs = [p.strip() for p in value.split(";")]
        k, _, v = first.partition("=")
        out[k] = (v, [a.lower() for a in attrs])
    return out


class CsrfTest(ServerWithEmulator, unittest.TestCase):
    """Point 4: a state-changing request authenticated by the session cookie needs an
    Origin that is the server's own (the origin of SPOTIFY_REDIRECT_URI) or one of
    PLAYROUTER_CORS_ORIGINS."""
    EMULATOR_ARGS = ("--tracks", "20")
    SERVER_ENV = {"PLAYROUTER_CORS_ORIGINS": APP}

    @classmethod
    def prepare(cls):
        cls.token = sign_in(cls.srv, cls.emu, "demo")["token"]
        cls.own = "http://127.0.0.1:%d" % cls.srv.port

    def bearer(self, method, path, body=None):
        return self.srv.request(method, path, body=body, token=self.token)

    def with_cookie(self, method, path, body=None, origin=None, ctype="text/plain"):
        # What a form on another site can send: the browser adds the cookie.
        headers = {"Cookie": "playrouter_session=" + self.token, "Content-Type": ctype}
        if origin is not None:
            headers["Origin"] = origin
        raw = json.dumps(body).encode() if body is not None else None
        return self.srv.request(method, path, raw=raw, headers=headers)

    def new_playlist(self):
        return self.emu.create_playlist(owner="demo", name="P %f" % time.time(), size=3, plain=True)

    def snapshot(self):
        """Everything the refused requests could have changed."""
        _, _, bases = self.bearer("GET", "/api/base-playlists")
        events = {}
        for b in bases["items"]:
            _, _, ev = self.bearer("GET", "/api/base-playlists/%s/sync-events" % b["id"])
            events[b["id"]] = ev["items"]
        return bases["items"], events

    def test_cross_site_cookie_writes_are_refused_and_change_nothing(self):
        status, _, base = self.bearer("POST", "/api/base-playlists",
                                      {"spotify_playlist_id": self.new_playlist()})
        self.assertEqual(status, 201, base)
        pid = self.new_playlist()
        before = self.snapshot()
        bad_origins = [EVIL, None, "null", self.own + ".evil.example", "https://127.0.0.1:%d" %
                       self.srv.port, "http://127.0.0.1:%d" % (self.srv.port + 1),
                       "http://127.0.0.1", APP + ".evil.example"]
        for origin in bad_origins:
            attempts = [
                ("POST", "/api/base-playlists", {"spotify_playlist_id": pid}),
                ("POST", "/api/base-playlists/%s/sync" % base["id"], None),
                ("PATCH", "/api/base-playlists/%s" % base["id"], {"name": "pwned"}),
                ("POST", "/api/base-playlists/%s/child-playlists" % base["id"],
                 {"name": "x", "filter": {"all": []}}),
                ("DELETE", "/api/base-playlists/%s" % base["id"], None),
                ("POST", "/api/auth/logout", None),
            ]
            for method, path, body in attempts:
                with self.subTest(origin=origin, method=method, path=path):
                    status, _, err = self.with_cookie(method, path, body, origin=origin)
                    self.assertEqual(status, 403, err)
                    self.assertEqual(err["error"]["code"], "forbidden")
        self.assertEqual(self.snapshot(), before)
        # The session survived the refused logout.
        self.assertEqual(self.bearer("GET", "/api/me")[0], 200)

    def test_same_origin_and_listed_origin_cookie_writes_work(self):
        for origin in (self.own, APP):
            status, _, base = self.with_cookie("POST", "/api/base-playlists",
                                               {"spotify_playlist_id": self.new_playlist()},
                                               origin=origin, ctype="application/json")
            self.assertEqual(status, 201, base)
            status, _, body = self.with_cookie("PATCH", "/api/base-playlists/%s" % base["id"],
                                               {"name": "renamed"}, origin=origin,
                                               ctype="application/json")
            self.assertEqual((status, body.get("name")), (200, "renamed"), body)

    def test_bearer_requests_are_not_affected(self):
        status, _, base = self.srv.request(
            "POST", "/api/base-playlists", body={"spotify_playlist_id": self.new_playlist()},
            token=self.token, headers={"Origin": EVIL})
        self.assertEqual(status, 201, base)

    def test_cookie_reads_need_no_origin(self):
        status, headers, body = self.with_cookie("GET", "/api/base-playlists", origin=EVIL)
        self.assertEqual(status, 200, body)
        self.assertNotIn("access-control-allow-origin", headers)

    def test_logout_with_the_cookie_from_the_app(self):
        token = sign_in(self.srv, self.emu, "alice")["token"]
        status, _, _ = self.srv.request("POST", "/api/auth/logout", headers={
            "Cookie": "playrouter_session=" + token, "Origin": self.own})
        self.assertEqual(status, 204)
        self.assertEqual(self.srv.request("GET", "/api/me", token=token)[0], 401)


class LoginCookieTest(ServerWithEmulator, unittest.TestCase):
    """Point 5: the session cookie is set only in the browser that started the sign-in."""
    EMULATOR_ARGS = ("--tracks", "20")

    def login(self):
        """GET /api/auth/login; returns (authorize URL, playrouter_login cookie value,
        its attributes)."""
        status, hdrs, _ = fetch(self.srv, "GET", "/api/auth/login")
        self.assertEqual(status, 302)
        c = cookies(hdrs)
        self.assertIn("playrouter_login", c)
        return dict(hdrs)["location"], c["playrouter_login"][0], c["playrouter_login"][1]

    def authorize(self, location, user):
        status, headers, body = self.emu.request("GET", location + "&user=" + user)
        self.assertEqual(status, 302, body)
        loc = urllib.parse.urlsplit(headers["location"])
        return loc.path + "?" + loc.query

    def callback(self, path, login_cookie=None, accept=None):
        headers = {}
        if login_cookie is not None:
            headers["Cookie"] = "playrouter_login=" + login_cookie
        if accept:
            headers["Accept"] = accept
        return fetch(self.srv, "GET", path, headers=headers)

    def assert_session_cookie(self, hdrs, expected_token=None):
        c = cookies(hdrs)
        self.assertIn("playrouter_session", c, hdrs)
        value, attrs = c["playrouter_session"]
        if expected_token:
            self.assertEqual(value, expected_token)
        self.assertIn("httponly", attrs)
        # The one-time login cookie is spent.
        self.assertIn("playrouter_login", c)
        self.assertEqual(c["playrouter_login"][0], "")
        self.assertIn("max-age=0", c["playrouter_login"][1])
        return value

    def test_login_sets_a_short_lived_httponly_cookie(self):
        _, value, attrs = self.login()
        self.assertGreaterEqual(len(value), 32)
        self.assertIn("httponly", attrs)
        self.assertIn("samesite=lax", attrs)
        self.assertIn("path=/api/auth/callback", attrs)
        max_age = [int(a.split("=")[1]) for a in attrs if a.startswith("max-age=")]
        self.assertEqual(max_age, [600])
        self.assertNotIn("secure", attrs)  # http redirect URI

    def test_callback_in_the_same_browser_sets_the_session_cookie(self):
        location, login_cookie, _ = self.login()
        status, hdrs, body = self.callback(self.authorize(location, "demo"), login_cookie)
        self.assertEqual(status, 200, body)
        self.assertEqual(set(body), {"token", "expires_at", "user"})
        self.assert_session_cookie(hdrs, body["token"])

    def test_attackers_callback_url_does_not_sign_the_victim_in(self):
        # The attacker signs in as alice but does not open the callback: they send
        # its URL to the victim, who has no login cookie, or one of their own.
        for victims_cookie in (None, "own", "garbage"):
            with self.subTest(victims_cookie=victims_cookie):
                attacker_location, _, _ = self.login()
                url = self.authorize(attacker_location, "alice")
                cookie = {"own": lambda: self.login()[1], "garbage": lambda: "x" * 43,
                          None: lambda: None}[victims_cookie]()
                status, hdrs, body = self.callback(url, cookie)
                # The answer is the same JSON, without any session cookie.
                self.assertEqual(status, 200, body)
                self.assertEqual(set(body), {"token", "expires_at", "user"})
                self.assertEqual(body["user"]["spotify_user_id"], "alice")
                self.assertNotIn("playrouter_session", cookies(hdrs))
        # Same from a browser (Accept: text/html): back to the app, not signed in.
        attacker_location, _, _ = self.login()
        status, hdrs, _ = self.callback(self.authorize(attacker_location, "alice"), None,
                                        BROWSER_ACCEPT)
        self.assertEqual((status, dict(hdrs).get("location")), (303, "/"))
        self.assertNotIn("playrouter_session", cookies(hdrs))

    def test_browser_callback_is_303_to_the_app_with_the_cookie(self):
        location, login_cookie, _ = self.login()
        status, hdrs, _ = self.callback(self.authorize(location, "demo"), login_cookie,
                                        BROWSER_ACCEPT)
        self.assertEqual(status, 303)
        self.assertEqual(dict(hdrs)["location"], "/")
        token = self.assert_session_cookie(hdrs)
        status, _, me = self.srv.request("GET", "/api/me",
                                         headers={"Cookie": "playrouter_session=" + token})
        self.assertEqual((status, me.get("spotify_user_id")), (200, "demo"), me)

    def test_a_cookie_of_another_sign_in_does_not_match(self):
        # Two sign-ins in one browser: the cookie is the second's; the first's
        # callback (now stale) gets no session cookie.
        first, _, _ = self.login()
        _, second_cookie, _ = self.login()
        status, hdrs, body = self.callback(self.authorize(first, "demo"), second_cookie)
        self.assertEqual(status, 200, body)
        self.assertNotIn("playrouter_session", cookies(hdrs))


class SignInFloodTest(unittest.TestCase):
    """Point 7: GET /api/auth/login is limited per client address, and the table of
    pending sign-ins is bounded."""

    def count_states(self, srv):
        conn = sqlite3.connect(os.path.join(srv.data_dir, "playrouter.db"), timeout=10)
        try:
            return conn.execute("SELECT count(*) FROM oauth_states").fetchone()[0]
        finally:
            conn.close()

    def test_more_than_30_logins_a_minute_from_one_address_are_429(self):
        # 30 is the default (the harness turns the limit off for the other suites,
        # which sign in dozens of times a minute from 127.0.0.1).
        code, out, _ = run_playrouter(["--help"])
        self.assertEqual(code, 0)
        self.assertRegex(out, r"PLAYROUTER_LOGIN_RATE_LIMIT .*\[default: 30\]")
        emu, srv = start_pair({"PLAYROUTER_LOGIN_RATE_LIMIT": "30"})
        try:
            statuses = []
            for _ in range(40):
                status, hdrs, body = fetch(srv, "GET", "/api/auth/login")
                statuses.append(status)
                if status == 429:
                    last = (dict(hdrs), body)
            self.assertEqual(statuses, [302] * 30 + [429] * 10)
            headers, body = last
            self.assertEqual(body["error"]["code"], "rate_limited")
            self.assertTrue(1 <= int(headers["retry-after"]) <= 60, headers)
            self.assertEqual(self.count_states(srv), 30)
            # Another address has its own allowance; other routes are not limited.
            self.assertEqual(fetch(srv, "GET", "/api/auth/login", source="127.0.0.2")[0], 302)
            self.assertEqual(fetch(srv, "GET", "/healthz")[0], 200)
        finally:
            stop_pair(emu, srv)

    def test_pending_sign_ins_are_capped_newest_kept(self):
        emu, srv = start_pair({"PLAYROUTER_LOGIN_RATE_LIMIT": "0",
                               "PLAYROUTER_MAX_PENDING_SIGNINS": "20"})
        try:
            conn = sqlite3.connect(os.path.join(srv.data_dir, "playrouter.db"), timeout=10)
            conn.execute("INSERT INTO oauth_states VALUES ('expired-one', 'v', ?)",
                         (int(time.time()) - 5,))
            conn.commit()
            conn.close()
            locations = []
            for _ in range(60):
                status, hdrs, _ = fetch(srv, "GET", "/api/auth/login")
                self.assertEqual(status, 302)
                locations.append(dict(hdrs)["location"])
            self.assertEqual(self.count_states(srv), 20)
            # The newest sign-in still completes; the oldest was dropped.
            newest = self.authorize_path(emu, locations[-1])
            status, _, body = srv.request("GET", newest)
            self.assertEqual(status, 200, body)
            oldest = self.authorize_path(emu, locations[0])
            status, _, body = srv.request("GET", oldest)
            self.assertEqual((status, body["error"]["code"]), (400, "invalid_state"))
        finally:
            stop_pair(emu, srv)

    @staticmethod
    def authorize_path(emu, location):
        status, headers, body = emu.request("GET", location + "&user=demo")
        assert status == 302, body
        loc = urllib.parse.urlsplit(headers["location"])
        return loc.path + "?" + loc.query


if __name__ == "__main__":
    unittest.main(verbosity=2)
