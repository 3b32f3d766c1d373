"""Spotify emulator: accounts service (authorize, PKCE, client secrets, refresh
rotation, expiry) and the Web API's 401s."""
import base64
import os
import sys
import time
import unittest
import urllib.parse

sys.path.insert(0, os.path.dirname(__file__))
from emulator import Emulator, pkce_pair, SLOW  # noqa: E402

REDIRECT = "http://127.0.0.1:9/callback"


class AccountsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.emu = Emulator(args=["--tracks", "200", "--no-demo"],
                           client_id="cid-123", client_secret="s3cret",
                           redirect_uris=[REDIRECT, "http://127.0.0.1:*/api/auth/callback"]).start()

    @classmethod
    def tearDownClass(cls):
        code = cls.emu.stop()
        assert code == 0, "emulator exited with %s:\n%s" % (code, cls.emu.stderr())

    def authorize(self, challenge=None, user=None, **over):
        q = {"client_id": "cid-123", "response_type": "code", "redirect_uri": REDIRECT,
             "state": "st4te", "scope": "playlist-read-private"}
        if challenge:
            q.update(code_challenge=challenge, code_challenge_method="S256")
        if user:
            q["user"] = user
        q.update(over)
        q = {k: v for k, v in q.items() if v is not None}
        status, headers, body = self.emu.request("GET", "/authorize?" + urllib.parse.urlencode(q))
        params = {}
        if status == 302:
            loc = urllib.parse.urlsplit(headers["location"])
            self.assertEqual(loc.scheme + "://" + loc.netloc + loc.path, q["redirect_uri"])
            params = dict(urllib.parse.parse_qsl(loc.query))
        return status, params, body

    def token(self, form, basic=None):
        headers = {}
        if basic:
            headers["Authorization"] = "Basic " + base64.b64encode(basic.encode()).decode()
        status, _, body = self.emu.request("POST", "/api/token", form=form, headers=headers)
        return status, body

    def code_form(self, code, verifier=None, **over):
        f = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT,
             "client_id": "cid-123"}
        if verifier:
            f["code_verifier"] = verifier
        f.update(over)
        return {k: v for k, v in f.items() if v is not None}

    def test_pkce_flow_and_single_use_code(self):
        verifier, challenge = pkce_pair()
        status, params, _ = self.authorize(challenge, user="alice")
        self.assertEqual(status, 302)
        self.assertEqual(params["state"], "st4te")
        status, tok = self.token(self.code_form(params["code"], verifier))
        self.assertEqual(status, 200, tok)
        self.assertEqual(tok["token_type"], "Bearer")
        self.assertEqual(tok["expires_in"], 3600)
        self.assertEqual(tok["scope"], "playlist-read-private")
        self.assertTrue(tok["refresh_token"])
        status, _, me = self.emu.api("GET", "/me", token=tok["access_token"])
        self.assertEqual((status, me["id"]), (200, "alice"))
        status, err = self.token(self.code_form(params["code"], verifier))
        self.assertEqual((status, err["error"]), (400, "invalid_grant"))

    def test_wrong_verifier_refused(self):
        verifier, challenge = pkce_pair()
        _, params, _ = self.authorize(challenge)
        other, _ = pkce_pair()
        status, err = self.token(self.code_form(params["code"], other))
        self.assertEqual(status, 400)
        self.assertEqual(err["error"], "invalid_grant")
        self.assertIn("error_description", err)
        status, err = self.token(self.code_form(params["code"], None))
        self.assertEqual(status, 400)
        status, tok = self.token(self.code_form(params["code"], verifier))
        self.assertEqual(status, 200)

    def test_redirect_uri_must_match(self):
        verifier, challenge = pkce_pair()
        _, params, _ = self.authorize(challenge)
        status, err = self.token(self.code_form(params["code"], verifier,
                                                redirect_uri="http://127.0.0.1:9/other"))
        self.assertEqual((status, err["error"]), (400, "invalid_grant"))

    def test_confidential_client(self):
        _, params, _ = self.authorize()
        form = self.code_form(params["code"], client_id=None)
        status, err = self.token(form, basic="cid-123:wrong")
        self.assertEqual((status, err["error"]), (400, "invalid_client"))
        status, err = self.token(self.code_form(params["code"]))  # no secret, no PKCE
        self.assertEqual((status, err["error"]), (400, "invalid_client"))
        status, tok = self.token(form, basic="cid-123:s3cret")
        self.assertEqual(status, 200, tok)
        status, tok2 = self.token({"grant_type": "refresh_token",
                                   "refresh_token": tok["refresh_token"],
                                   "client_id": "cid-123", "client_secret": "s3cret"})
        self.assertEqual(status, 200, tok2)

    def test_refresh_rotates(self):
        tok = self.emu.sign_in("demo")
        status, new = self.emu.refresh(tok["refresh_token"])
        self.assertEqual(status, 200)
        self.assertNotEqual(new["refresh_token"], tok["refresh_token"])
        self.assertNotEqual(new["access_token"], tok["access_token"])
        status, err = self.emu.refresh(tok["refresh_token"])
        self.assertEqual((status, err["error"]), (400, "invalid_grant"))
        status, newer = self.emu.refresh(new["refresh_token"])
        self.assertEqual(status, 200)
        # the old access token stays valid until it expires
        status, _, _ = self.emu.api("GET", "/me", token=tok["access_token"])
        self.assertEqual(status, 200)

    def test_expire_refresh_tokens_of_a_user(self):
        self.emu.create_user("dave")
        tok = self.emu.sign_in("dave")
        other = self.emu.sign_in("demo")
        self.assertEqual(self.emu.expire_refresh_tokens("dave")["expired"], 1)
        status, err = self.emu.refresh(tok["refresh_token"])
        self.assertEqual((status, err["error"]), (400, "invalid_grant"))
        status, _ = self.emu.refresh(other["refresh_token"])
        self.assertEqual(status, 200)

    def test_authorize_errors(self):
        status, _, body = self.authorize(client_id="nope")
        self.assertEqual(status, 400)
        status, _, body = self.authorize(redirect_uri="http://127.0.0.1:9/unregistered")
        self.assertEqual(status, 400)
        status, params, _ = self.authorize(response_type="token")
        self.assertEqual((status, params.get("error"), params.get("state")),
                         (302, "unsupported_response_type", "st4te"))
        status, params, _ = self.authorize(code_challenge="x" * 43, code_challenge_method="plain")
        self.assertEqual((status, params.get("error")), (302, "invalid_request"))
        status, params, _ = self.authorize(scope="playlist-read-private not-a-scope")
        self.assertEqual((status, params.get("error")), (302, "invalid_scope"))
        status, params, _ = self.authorize(user="nobody")
        self.assertEqual((status, params.get("error")), (302, "access_denied"))
        status, params, _ = self.authorize(
            redirect_uri="http://127.0.0.1:4567/api/auth/callback")
        self.assertEqual(status, 302)
        self.assertIn("code", params)

    def test_token_endpoint_errors(self):
        status, err = self.token({"client_id": "cid-123"})
        self.assertEqual((status, err["error"]), (400, "unsupported_grant_type"))
        status, err = self.token({"grant_type": "password", "client_id": "cid-123"})
        self.assertEqual((status, err["error"]), (400, "unsupported_grant_type"))
        status, err = self.token({"grant_type": "refresh_token", "refresh_token": "zzz",
                                  "client_id": "cid-123"})
        self.assertEqual((status, err["error"]), (400, "invalid_grant"))
        status, err = self.token({"grant_type": "refresh_token", "refresh_token": "zzz",
                                  "client_id": "other"})
        self.assertEqual((status, err["error"]), (400, "invalid_client"))

    def test_web_api_401s(self):
        cases = [(None, "No token provided"), ("garbage", "Invalid access token")]
        for tok, msg in cases:
            status, _, body = self.emu.api("GET", "/me", token=tok)
            self.assertEqual(status, 401)
            self.assertEqual(body, {"error": {"status": 401, "message": msg}})
        status, _, body = self.emu.api("GET", "/me", headers={"Authorization": "Basic abc"})
        self.assertEqual(status, 400)

    def test_expire_access_tokens_now(self):
        tok = self.emu.sign_in("demo")
        self.emu.expire_access_tokens()
        status, _, body = self.emu.api("GET", "/me", token=tok["access_token"])
        self.assertEqual(status, 401)
        self.assertEqual(body["error"]["message"], "The access token expired")
        status, new = self.emu.refresh(tok["refresh_token"])
        self.assertEqual(status, 200)
        status, _, _ = self.emu.api("GET", "/me", token=new["access_token"])
        self.assertEqual(status, 200)


class ShortLifetimeTest(unittest.TestCase):
    def test_tokens_expire_after_lifetime(self):
        emu = Emulator(args=["--tracks", "50", "--no-demo", "--token-lifetime", "1"]).start()
        try:
            tok = emu.sign_in("demo")
            self.assertEqual(tok["expires_in"], 1)
            status, _, _ = emu.api("GET", "/me", token=tok["access_token"])
            self.assertEqual(status, 200)
            time.sleep(1.2)
            status, _, body = emu.api("GET", "/me", token=tok["access_token"])
            self.assertEqual(status, 401)
            self.assertEqual(body["error"]["message"], "The access token expired")
        finally:
            code = emu.stop()
        self.assertEqual(code, 0, emu.stderr())


if __name__ == "__main__":
    unittest.main()
