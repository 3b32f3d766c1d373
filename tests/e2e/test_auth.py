"""Sign in with Spotify, sessions and per-user isolation, end to end against the
Spotify emulator (API.md, Auth; docs/auth.md).

The server's port is picked first (harness.free_port) so that SPOTIFY_REDIRECT_URI
can name it; the emulator accepts http://127.0.0.1:*/api/auth/callback.
"""
import base64
import hashlib
import hmac
import json
import os
import re
import secrets
import sqlite3
import sys
import threading
import time
import unittest
import urllib.parse

sys.path.insert(0, os.path.dirname(__file__))
from emulator import Emulator  # noqa: E402
from harness import Server, free_port  # noqa: E402

JWT_SECRET = "e2e-auth-secret-" + "x" * 32
CLIENT_ID = "cid-auth-e2e"
CLIENT_SECRET = "auth-e2e-secret"
SCOPES = {"playlist-read-private", "playlist-read-collaborative", "playlist-modify-private",
          "playlist-modify-public", "user-read-private", "user-library-read"}
# Emulator tokens look like Spotify's: "BQ…" (access) and "AQ…" (refresh), exactly 64
# characters. (States are 43 and PKCE verifiers 86 characters, so they never match.)
TOKEN_RE = re.compile(rb"(?<![A-Za-z0-9_-])[AB]Q[A-Za-z0-9_-]{62}(?![A-Za-z0-9_-])")


def b64u(data):
    if isinstance(data, str):
        data = data.encode()
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def make_jwt(header, claims, key=JWT_SECRET.encode(), digest=hashlib.sha256, sig=None):
    """A JWT built by hand; sig overrides the signature text."""
    signing_input = b64u(json.dumps(header)) + "." + b64u(json.dumps(claims))
    if sig is None:
        sig = b64u(hmac.new(key, signing_input.encode(), digest).digest())
    return signing_input + "." + sig


def claims_for(user_id, **over):
    """Valid claims for user_id; over changes some (a value of None removes the claim)."""
    now = int(time.time())
    c = {"iss": "playrouter", "sub": user_id, "iat": now, "exp": now + 600,
         "jti": secrets.token_hex(16)}
    c.update(over)
    return {k: v for k, v in c.items() if v is not None}


def start_pair(extra_env=None, emu_args=None):
    """An emulator and a playrouter wired to it; returns (emu, srv)."""
    emu = Emulator(args=emu_args or ["--tracks", "50"], client_id=CLIENT_ID,
                   client_secret=CLIENT_SECRET).start()
    port = free_port()
    env = {
        "PLAYROUTER_PORT": str(port),
        "PLAYROUTER_JWT_SECRET": JWT_SECRET,
        "SPOTIFY_CLIENT_ID": CLIENT_ID,
        "SPOTIFY_REDIRECT_URI": "http://127.0.0.1:%d/api/auth/callback" % port,
        "SPOTIFY_API_BASE": emu.api_base,
        "SPOTIFY_ACCOUNTS_BASE": emu.accounts_base,
        "PLAYROUTER_CORS_ORIGINS": "https://app.example.com, http://127.0.0.1:5173",
    }
    env.update(extra_env or {})
    try:
        srv = Server(env=env).start()
    except Exception:
        emu.stop()
        raise
    return emu, srv


def stop_pair(emu, srv):
    code = srv.stop()
    stderr = srv.stderr()
    srv.cleanup()
    ecode = emu.stop()
    assert code == 0, "server exited with %s:\n%s" % (code, stderr)
    assert ecode == 0, "emulator exited with %s:\n%s" % (ecode, emu.stderr())
    return stderr


class Flow:
    """The browser's part of the sign-in."""

    def __init__(self, test, emu, srv):
        self.t, self.emu, self.srv = test, emu, srv

    def login(self):
        status, headers, _ = self.srv.request("GET", "/api/auth/login")
        self.t.assertEqual(status, 302)
        return headers["location"]

    def authorize(self, location, user):
        """Follows the login redirect to the emulator (as `user`); returns the
        callback path + query the emulator redirects to."""
        status, headers, body = self.emu.request("GET", location + "&user=" + user)
        self.t.assertEqual(status, 302, body)
        loc = urllib.parse.urlsplit(headers["location"])
        self.t.assertEqual(loc.path, "/api/auth/callback")
        self.t.assertEqual(int(loc.port), self.srv.port)
        return loc.path + "?" + loc.query

    def sign_in(self, user="demo"):
        """The whole flow; returns (body, set-cookie header)."""
        callback = self.authorize(self.login(), user)
        status, headers, body = self.srv.request("GET", callback)
        self.t.assertEqual(status, 200, body)
        return body, headers.get("set-cookie", "")


class AuthTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.emu, cls.srv = start_pair()

    @classmethod
    def tearDownClass(cls):
        stderr = stop_pair(cls.emu, cls.srv)
        # Logs never carry tokens or codes.
        assert not TOKEN_RE.search(stderr.encode()), stderr

    def setUp(self):
        self.flow = Flow(self, self.emu, self.srv)

    def db(self):
        conn = sqlite3.connect(os.path.join(self.srv.data_dir, "playrouter.db"), timeout=10)
        return conn

    def user_row(self, user_id):
        with self.db() as conn:
            return conn.execute(
                "SELECT refresh_token_enc, access_token_enc, token_version, needs_reauth "
                "FROM users WHERE id = ?", (user_id,)).fetchone()

    def me(self, token=None, cookie=None, query=""):
        headers = {"Cookie": "playrouter_session=" + cookie} if cookie else None
        return self.srv.request("GET", "/api/me" + query, token=token, headers=headers)

    def assert_401(self, token=None, cookie=None, why=None):
        status, headers, body = self.me(token=token, cookie=cookie)
        self.assertEqual(status, 401, body)
        self.assertEqual(body["error"]["code"], "unauthorized")
        self.assertIn("bearer", headers.get("www-authenticate", "").lower())
        if why:
            self.assertIn(why, body["error"]["message"])

    # ---- login ----

    def test_login_redirects_to_authorize_with_pkce(self):
        location = self.flow.login()
        url = urllib.parse.urlsplit(location)
        self.assertEqual(url.scheme + "://" + url.netloc, self.emu.accounts_base)
        self.assertEqual(url.path, "/authorize")
        q = dict(urllib.parse.parse_qsl(url.query))
        self.assertEqual(q["response_type"], "code")
        self.assertEqual(q["client_id"], CLIENT_ID)
        self.assertEqual(q["redirect_uri"], "http://127.0.0.1:%d/api/auth/callback" % self.srv.port)
        self.assertEqual(set(q["scope"].split()), SCOPES)
        self.assertEqual(q["code_challenge_method"], "S256")
        self.assertRegex(q["code_challenge"], r"^[A-Za-z0-9_-]{43}$")
        self.assertGreaterEqual(len(q["state"]), 32)
        # The verifier kept server-side matches the challenge, from the unreserved set.
        with self.db() as conn:
            verifier, expires = conn.execute(
                "SELECT code_verifier, expires_epoch FROM oauth_states WHERE state = ?",
                (q["state"],)).fetchone()
        self.assertRegex(verifier, r"^[A-Za-z0-9._~-]{43,128}$")
        self.assertEqual(b64u(hashlib.sha256(verifier.encode()).digest()), q["code_challenge"])
        self.assertAlmostEqual(expires, time.time() + 600, delta=30)
        # Each login has its own state and verifier.
        q2 = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(self.flow.login()).query))
        self.assertNotEqual(q["state"], q2["state"])
        self.assertNotEqual(q["code_challenge"], q2["code_challenge"])

    # ---- the whole flow ----

    def test_full_flow_then_me_with_bearer_and_cookie(self):
        body, cookie = self.flow.sign_in("demo")
        self.assertEqual(set(body), {"token", "expires_at", "user"})
        user = body["user"]
        self.assertEqual(set(user), {"id", "spotify_user_id", "display_name"})
        self.assertEqual(user["spotify_user_id"], "demo")
        self.assertEqual(user["display_name"], "Demo User")
        self.assertRegex(body["expires_at"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
        exp = time.mktime(time.strptime(body["expires_at"], "%Y-%m-%dT%H:%M:%SZ")) - time.timezone
        self.assertAlmostEqual(exp, time.time() + 7 * 86400, delta=120)
        # The cookie: the same token, HttpOnly, SameSite=Lax, Path=/, not Secure over http.
        self.assertTrue(cookie.startswith("playrouter_session=" + body["token"] + ";"), cookie)
        attrs = [a.strip().lower() for a in cookie.split(";")[1:]]
        self.assertIn("httponly", attrs)
        self.assertIn("samesite=lax", attrs)
        self.assertIn("path=/", attrs)
        self.assertNotIn("secure", attrs)
        # The token's claims.
        header, claims = [json.loads(base64.urlsafe_b64decode(p + "=" * (-len(p) % 4)))
                          for p in body["token"].split(".")[:2]]
        self.assertEqual(header["alg"], "HS256")
        self.assertEqual(claims["iss"], "playrouter")
        self.assertEqual(claims["sub"], user["id"])
        self.assertTrue(claims["jti"])
        self.assertEqual(claims["exp"] - claims["iat"], 7 * 86400)

        for kw in ({"token": body["token"]}, {"cookie": body["token"]}):
            status, _, me = self.me(**kw)
            self.assertEqual(status, 200, me)
            self.assertEqual(me["id"], user["id"])
            self.assertEqual(me["spotify_user_id"], "demo")
            self.assertEqual(me["display_name"], "Demo User")
            self.assertFalse(me["spotify_reauth_required"])

    def test_signing_in_again_keeps_the_user(self):
        a, _ = self.flow.sign_in("carol")
        b, _ = self.flow.sign_in("carol")
        self.assertEqual(a["user"]["id"], b["user"]["id"])
        self.assertNotEqual(a["token"], b["token"])
        for body in (a, b):
            self.assertEqual(self.me(token=body["token"])[0], 200)

    def test_two_users_each_see_only_themselves(self):
        d, _ = self.flow.sign_in("demo")
        a, _ = self.flow.sign_in("alice")
        self.assertNotEqual(d["user"]["id"], a["user"]["id"])
        _, _, me_d = self.me(token=d["token"])
        _, _, me_a = self.me(token=a["token"])
        self.assertEqual((me_d["id"], me_d["spotify_user_id"]), (d["user"]["id"], "demo"))
        self.assertEqual((me_a["id"], me_a["spotify_user_id"]), (a["user"]["id"], "alice"))
        # A token naming the other user is only valid if we signed it.
        forged = make_jwt({"alg": "HS256", "typ": "JWT"}, claims_for(d["user"]["id"]),
                          key=b"not-our-secret-but-long-enough-123456")
        self.assert_401(token=forged)

    # ---- state ----

    def test_reused_state_is_invalid_state(self):
        callback = self.flow.authorize(self.flow.login(), "demo")
        status, _, body = self.srv.request("GET", callback)
        self.assertEqual(status, 200, body)
        status, _, body = self.srv.request("GET", callback)
        self.assertEqual(status, 400)
        self.assertEqual(body["error"]["code"], "invalid_state")

    def test_unknown_or_missing_state_is_invalid_state(self):
        for q in ("?code=abc&state=" + secrets.token_urlsafe(32), "?code=abc", "?code=abc&state="):
            status, _, body = self.srv.request("GET", "/api/auth/callback" + q)
            self.assertEqual(status, 400, q)
            self.assertEqual(body["error"]["code"], "invalid_state")

    def test_expired_state_is_invalid_state(self):
        callback = self.flow.authorize(self.flow.login(), "demo")
        state = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(callback).query))["state"]
        with self.db() as conn:
            conn.execute("UPDATE oauth_states SET expires_epoch = ? WHERE state = ?",
                         (int(time.time()) - 1, state))
        status, _, body = self.srv.request("GET", callback)
        self.assertEqual(status, 400)
        self.assertEqual(body["error"]["code"], "invalid_state")
        self.assertIn("expired", body["error"]["message"])

    def test_access_denied_is_400_with_a_clear_message(self):
        # The emulator answers access_denied for a user it does not know.
        callback = self.flow.authorize(self.flow.login(), "nobody-at-all")
        self.assertIn("error=access_denied", callback)
        status, _, body = self.srv.request("GET", callback)
        self.assertEqual(status, 400, body)
        self.assertEqual(body["error"]["code"], "validation_failed")
        self.assertIn("access_denied", body["error"]["message"])
        # The state is spent.
        status, _, body = self.srv.request("GET", callback)
        self.assertEqual(body["error"]["code"], "invalid_state")

    def test_refused_code_is_400(self):
        callback = self.flow.authorize(self.flow.login(), "demo")
        q = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(callback).query))
        status, _, body = self.srv.request(
            "GET", "/api/auth/callback?" + urllib.parse.urlencode(
                {"state": q["state"], "code": "not-a-code"}))
        self.assertEqual(status, 400, body)
        self.assertEqual(body["error"]["code"], "validation_failed")

    # ---- bad session tokens ----

    def test_bad_tokens_are_401(self):
        good, _ = self.flow.sign_in("demo")
        uid = good["user"]["id"]
        hs256 = {"alg": "HS256", "typ": "JWT"}
        # The hand-built valid token passes: the cases below fail for what they change.
        self.assertEqual(self.me(token=make_jwt(hs256, claims_for(uid)))[0], 200)

        h, p, s = good["token"].split(".")
        other_payload = b64u(json.dumps(claims_for("someone-else")))
        cases = {
            "tampered payload": h + "." + other_payload + "." + s,
            "tampered signature": h + "." + p + "." + ("A" if s[0] != "A" else "B") + s[1:],
            "signature removed": h + "." + p + ".",
            "expired": make_jwt(hs256, claims_for(uid, iat=int(time.time()) - 7200,
                                                  exp=int(time.time()) - 3600)),
            "expired beyond skew": make_jwt(hs256, claims_for(uid, iat=int(time.time()) - 700,
                                                              exp=int(time.time()) - 90)),
            "alg none": make_jwt({"alg": "none", "typ": "JWT"}, claims_for(uid), sig=""),
            "alg none signed": make_jwt({"alg": "none"}, claims_for(uid)),
            "wrong key": make_jwt(hs256, claims_for(uid), key=b"w" * 48),
            "HS512": make_jwt({"alg": "HS512", "typ": "JWT"}, claims_for(uid),
                              digest=hashlib.sha512),
            "HS384": make_jwt({"alg": "HS384", "typ": "JWT"}, claims_for(uid),
                              digest=hashlib.sha384),
            "RS256": make_jwt({"alg": "RS256", "typ": "JWT"}, claims_for(uid)),
            "wrong issuer": make_jwt(hs256, claims_for(uid, iss="elsewhere")),
            "no jti": make_jwt(hs256, claims_for(uid, jti=None)),
            "no exp": make_jwt(hs256, claims_for(uid, exp=None)),
            "no sub": make_jwt(hs256, claims_for(None)),
            "unknown user": make_jwt(hs256, claims_for("no-such-user")),
            "garbage": "not.a.jwt",
        }
        for name, tok in cases.items():
            with self.subTest(name):
                self.assert_401(token=tok)
                self.assert_401(cookie=tok)
        # A token within the 60 s skew is still accepted.
        self.assertEqual(self.me(token=make_jwt(hs256, claims_for(
            uid, iat=int(time.time()) - 630, exp=int(time.time()) - 30)))[0], 200)
        # No token, or not Bearer.
        self.assert_401()
        status, _, body = self.srv.request("GET", "/api/me",
                                           headers={"Authorization": "Basic Zm9vOmJhcg=="})
        self.assertEqual((status, body["error"]["code"]), (401, "unauthorized"))

    # ---- logout ----

    def test_logout_revokes_the_token_and_clears_the_cookie(self):
        body, _ = self.flow.sign_in("alice")
        other, _ = self.flow.sign_in("alice")
        token = body["token"]
        status, headers, payload = self.srv.request("POST", "/api/auth/logout", token=token)
        self.assertEqual(status, 204, payload)
        cookie = headers.get("set-cookie", "")
        self.assertTrue(cookie.startswith("playrouter_session=;"), cookie)
        self.assertIn("max-age=0", cookie.lower())
        self.assert_401(token=token, why="revoked")
        self.assert_401(cookie=token, why="revoked")
        status, _, _ = self.srv.request("POST", "/api/auth/logout", token=token)
        self.assertEqual(status, 401)
        # Only that session ended.
        self.assertEqual(self.me(token=other["token"])[0], 200)
        # Logout with the cookie works too.
        status, _, _ = self.srv.request(
            "POST", "/api/auth/logout", headers={"Cookie": "playrouter_session=" + other["token"]})
        self.assertEqual(status, 204)
        self.assert_401(token=other["token"])
        # The revocation is kept until the token would have expired.
        jti = json.loads(base64.urlsafe_b64decode(token.split(".")[1] + "=="))["jti"]
        with self.db() as conn:
            (expires,) = conn.execute("SELECT expires_epoch FROM revoked_tokens WHERE jti = ?",
                                      (jti,)).fetchone()
        self.assertGreaterEqual(expires, time.time() + 7 * 86400 - 120)

    def test_logout_needs_a_session(self):
        status, _, body = self.srv.request("POST", "/api/auth/logout")
        self.assertEqual((status, body["error"]["code"]), (401, "unauthorized"))

    # ---- Spotify tokens: refresh, rotation, invalid_grant ----

    def test_access_token_refresh_rotates_and_stores_the_refresh_token(self):
        body, _ = self.flow.sign_in("bob")
        uid, token = body["user"]["id"], body["token"]
        before = self.user_row(uid)
        self.emu.reset_counters()
        # No refresh while the access token is fresh.
        status, _, me = self.me(token=token, query="?refresh=true")
        self.assertEqual(status, 200, me)
        self.assertEqual(self.emu.count("POST /api/token"), 0)
        self.assertEqual(self.emu.count("GET /v1/me", 200), 1)

        for round_ in range(2):
            # Twice: the second refresh only works if the rotated (single-use) refresh
            # token of the first was stored.
            self.emu.expire_access_tokens()
            self.emu.reset_counters()
            status, _, me = self.me(token=token, query="?refresh=true")
            self.assertEqual(status, 200, (round_, me))
            self.assertEqual(me["spotify_user_id"], "bob")
            self.assertEqual(self.emu.count("POST /api/token", 200), 1)
            after = self.user_row(uid)
            self.assertNotEqual(after[0], before[0])  # new refresh token stored
            self.assertNotEqual(after[1], before[1])  # new access token stored
            self.assertEqual(after[2], before[2] + 1)  # token_version
            before = after
        # The cached new token is used without refreshing again.
        self.emu.reset_counters()
        self.assertEqual(self.me(token=token, query="?refresh=true")[0], 200)
        self.assertEqual(self.emu.count("POST /api/token"), 0)

    def test_concurrent_calls_refresh_once(self):
        body, _ = self.flow.sign_in("alice")
        token = body["token"]
        self.emu.expire_access_tokens()
        self.emu.reset_counters()
        results = []

        def call():
            results.append(self.me(token=token, query="?refresh=true")[0])
        threads = [threading.Thread(target=call) for _ in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        self.assertEqual(results, [200] * 6)
        self.assertEqual(self.emu.count("POST /api/token"), 1)
        self.assertEqual(self.emu.count("GET /v1/me", 200), 6)

    def test_invalid_grant_means_spotify_reauth_required(self):
        body, _ = self.flow.sign_in("carol")
        uid, token = body["user"]["id"], body["token"]
        mine = self.emu.create_playlist(owner="carol", name="Carol's base", size=5)
        mine = mine["id"] if isinstance(mine, dict) else mine
        status, _, base = self.srv.request("POST", "/api/base-playlists",
                                           body={"spotify_playlist_id": mine}, token=token)
        self.assertEqual(status, 201, base)
        self.emu.expire_refresh_tokens("carol")
        self.emu.expire_access_tokens()
        status, _, err = self.me(token=token, query="?refresh=true")
        self.assertEqual(status, 401, err)
        self.assertEqual(err["error"]["code"], "spotify_reauth_required")
        self.assertEqual(self.user_row(uid)[3], 1)
        # The session itself is fine; calls that need Spotify fail at once.
        status, _, me = self.me(token=token)
        self.assertEqual(status, 200)
        self.assertTrue(me["spotify_reauth_required"])
        self.emu.reset_counters()
        status, _, err = self.me(token=token, query="?refresh=true")
        self.assertEqual((status, err["error"]["code"]), (401, "spotify_reauth_required"))
        # A sync, which needs Spotify, is refused the same way and starts nothing.
        status, _, err = self.srv.request("POST", "/api/base-playlists/%s/sync" % base["id"],
                                          token=token)
        self.assertEqual((status, err["error"]["code"]), (401, "spotify_reauth_required"))
        status, _, events = self.srv.request(
            "GET", "/api/base-playlists/%s/sync-events" % base["id"], token=token)
        self.assertEqual((status, events["items"]), (200, []))
        self.assertEqual(self.emu.count("POST /api/token"), 0)
        # Signing in again clears it.
        again, _ = self.flow.sign_in("carol")
        self.assertEqual(again["user"]["id"], uid)
        status, _, me = self.me(token=token, query="?refresh=true")
        self.assertEqual(status, 200, me)
        self.assertFalse(me["spotify_reauth_required"])

    def test_me_refresh_parameter_is_checked(self):
        body, _ = self.flow.sign_in("demo")
        status, _, err = self.me(token=body["token"], query="?refresh=maybe")
        self.assertEqual((status, err["error"]["code"]), (400, "validation_failed"))

    # ---- at rest ----

    def test_database_holds_no_token_in_clear(self):
        self.flow.sign_in("demo")
        self.flow.sign_in("alice")
        self.emu.expire_access_tokens()
        body, _ = self.flow.sign_in("bob")
        self.assertEqual(self.me(token=body["token"], query="?refresh=true")[0], 200)
        # The emulator's tokens for a known sign-in, to look for them literally too.
        minted = self.emu.sign_in("demo")
        blobs = b""
        for suffix in ("", "-wal", "-shm", "-journal"):
            path = os.path.join(self.srv.data_dir, "playrouter.db" + suffix)
            if os.path.exists(path):
                with open(path, "rb") as f:
                    blobs += f.read()
        self.assertGreater(len(blobs), 0)
        self.assertIsNone(TOKEN_RE.search(blobs))
        self.assertNotIn(minted["access_token"].encode(), blobs)
        with self.db() as conn:
            rows = conn.execute("SELECT access_token_enc, refresh_token_enc FROM users").fetchall()
        self.assertTrue(rows)
        for acc, ref in rows:
            # nonce (12) + ciphertext (64) + tag (16)
            self.assertEqual(len(acc), 12 + 64 + 16)
            self.assertEqual(len(ref), 12 + 64 + 16)

    # ---- CORS ----

    def test_cors_listed_and_unlisted_origins(self):
        pre = {"Origin": "https://app.example.com", "Access-Control-Request-Method": "POST",
               "Access-Control-Request-Headers": "authorization, content-type"}
        status, headers, _ = self.srv.request("OPTIONS", "/api/auth/logout", headers=pre)
        self.assertEqual(status, 204)
        self.assertEqual(headers["access-control-allow-origin"], "https://app.example.com")
        self.assertEqual(headers["access-control-allow-credentials"], "true")
        self.assertIn("POST", headers["access-control-allow-methods"])
        for h in ("Authorization", "Content-Type", "If-Match", "Idempotency-Key", "X-Request-Id"):
            self.assertIn(h, headers["access-control-allow-headers"])
        self.assertIn("max-age", " ".join(headers).lower())
        self.assertIn("Origin", headers["vary"])
        status, headers, _ = self.srv.request(
            "OPTIONS", "/api/auth/logout", headers=dict(pre, Origin="https://evil.example"))
        self.assertFalse([h for h in headers if h.startswith("access-control-")], headers)
        # Simple requests.
        _, headers, _ = self.srv.request("GET", "/api/me",
                                         headers={"Origin": "http://127.0.0.1:5173"})
        self.assertEqual(headers["access-control-allow-origin"], "http://127.0.0.1:5173")
        self.assertIn("ETag", headers["access-control-expose-headers"])
        self.assertIn("X-Request-Id", headers["access-control-expose-headers"])
        _, headers, _ = self.srv.request("GET", "/api/me", headers={"Origin": "https://evil.example"})
        self.assertNotIn("access-control-allow-origin", headers)


class ConfigTest(unittest.TestCase):
    """Settings checked at login: redirect URI rules, client id, client secret."""

    def run_with(self, env):
        emu, srv = start_pair(extra_env=env)
        return Flow(self, emu, srv), emu, srv

    def test_localhost_redirect_uri_refused_with_a_clear_message(self):
        for uri in ("http://localhost:8080/api/auth/callback",
                    "http://192.168.1.10:8080/api/auth/callback", "ftp://127.0.0.1/cb"):
            flow, emu, srv = self.run_with({"SPOTIFY_REDIRECT_URI": uri})
            try:
                status, _, body = srv.request("GET", "/api/auth/login")
                self.assertEqual(status, 503, uri)
                self.assertEqual(body["error"]["code"], "unavailable")
                self.assertIn("SPOTIFY_REDIRECT_URI", body["error"]["message"])
                # The rest of the server works.
                self.assertEqual(srv.request("GET", "/healthz")[0], 200)
            finally:
                stop_pair(emu, srv)

    def test_missing_client_id_is_503(self):
        flow, emu, srv = self.run_with({"SPOTIFY_CLIENT_ID": ""})
        try:
            for path in ("/api/auth/login", "/api/auth/callback?code=x&state=y"):
                status, _, body = srv.request("GET", path)
                self.assertEqual((status, body["error"]["code"]), (503, "unavailable"), path)
                self.assertIn("SPOTIFY_CLIENT_ID", body["error"]["message"])
        finally:
            stop_pair(emu, srv)

    def test_https_redirect_uri_makes_the_cookie_secure(self):
        flow, emu, srv = self.run_with(
            {"SPOTIFY_REDIRECT_URI": "https://playrouter.example/api/auth/callback"})
        try:
            emu.add_redirect_uri("https://playrouter.example/api/auth/callback")
            status, headers, body = emu.request("GET", flow.login() + "&user=demo")
            self.assertEqual(status, 302, body)
            loc = urllib.parse.urlsplit(headers["location"])
            status, headers, body = srv.request("GET", loc.path + "?" + loc.query)
            self.assertEqual(status, 200, body)
            self.assertIn("secure", [a.strip().lower() for a in headers["set-cookie"].split(";")])
        finally:
            stop_pair(emu, srv)

    def test_confidential_client_uses_basic_auth(self):
        flow, emu, srv = self.run_with({"SPOTIFY_CLIENT_SECRET": CLIENT_SECRET})
        try:
            body, _ = flow.sign_in("alice")
            self.assertEqual(body["user"]["spotify_user_id"], "alice")
            emu.expire_access_tokens()
            status, _, me = srv.request("GET", "/api/me?refresh=true", token=body["token"])
            self.assertEqual(status, 200, me)
        finally:
            stop_pair(emu, srv)

    def test_wrong_client_secret_is_502(self):
        flow, emu, srv = self.run_with({"SPOTIFY_CLIENT_SECRET": "not-the-secret"})
        try:
            callback = flow.authorize(flow.login(), "demo")
            status, _, body = srv.request("GET", callback)
            self.assertEqual(status, 502, body)
            self.assertEqual(body["error"]["code"], "spotify_error")
        finally:
            stop_pair(emu, srv)


if __name__ == "__main__":
    unittest.main(verbosity=2)
