"""The server side of the web app (API.md "Web app", web/README.md):
static files with their caching and security headers, the playlist picker's
GET /api/spotify/playlists, the browser sign-in's 303 and GET /api/rule-fields.

Run from a build folder:
    PLAYROUTER_BUILD_DIR=$PWD python3 -B ../tests/e2e/test_web_server.py
"""
import http.client
import os
import re
import sys
import unittest
import urllib.parse

sys.path.insert(0, os.path.dirname(__file__))
from harness import SLOW, Server, free_port, sign_in  # noqa: E402
from emulator import Emulator  # noqa: E402

CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; "
       "img-src 'self' data: https://i.scdn.co; connect-src 'self'; frame-ancestors 'none'; "
       "base-uri 'none'; form-action 'self'")
EXTRA_PLAYLISTS = 56  # with the demo user's five, two pages of 50
BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


def start(mode):
    emu = Emulator(mode=mode, args=sum(
        (["--playlist", "demo:Picker %02d:3:plain" % i] for i in range(EXTRA_PLAYLISTS)), [])).start()
    port = free_port()
    srv = Server(env={
        "PLAYROUTER_PORT": str(port),
        "SPOTIFY_REDIRECT_URI": "http://127.0.0.1:%d/api/auth/callback" % port,
        "SPOTIFY_CLIENT_ID": emu.client_id,
        "SPOTIFY_CLIENT_SECRET": emu.client_secret,
        "SPOTIFY_API_BASE": emu.api_base,
        "SPOTIFY_ACCOUNTS_BASE": emu.accounts_base,
        "SPOTIFY_API_MODE": mode,
    })
    srv.start()
    return emu, srv


class StaticFiles(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.srv = Server().start()

    @classmethod
    def tearDownClass(cls):
        code = cls.srv.stop()
        cls.srv.cleanup()
        assert code == 0, "server exited with %s" % code

    def index(self):
        status, headers, body = self.srv.request("GET", "/")
        self.assertEqual(status, 200)
        return headers, body

    def test_index_headers(self):
        headers, body = self.index()
        self.assertEqual(headers["content-type"], "text/html; charset=utf-8")
        self.assertEqual(headers["cache-control"], "no-cache")
        self.assertEqual(headers["content-security-policy"], CSP)
        self.assertEqual(headers["x-content-type-options"], "nosniff")
        self.assertEqual(headers["referrer-policy"], "same-origin")
        self.assertRegex(headers["etag"], r'^"[0-9a-f]{20}"$')
        # No inline script or style: every <script> has a src, no style attribute.
        self.assertNotRegex(body, r"<script(?![^>]*\bsrc=)[^>]*>")
        self.assertNotIn("<style", body)
        self.assertNotIn("style=", body)
        self.assertNotIn("{{", body)

    def test_index_304(self):
        headers, _ = self.index()
        status, h2, body = self.srv.request("GET", "/", headers={"If-None-Match": headers["etag"]})
        self.assertEqual((status, body), (304, ""))
        self.assertEqual(h2["etag"], headers["etag"])
        status, _, _ = self.srv.request("GET", "/", headers={"If-None-Match": '"nope"'})
        self.assertEqual(status, 200)

    def test_assets_immutable(self):
        _, body = self.index()
        urls = re.findall(r'(?:src|href)="(/assets/[0-9a-f]{12}/[^"]+)"', body)
        self.assertIn("main.js", " ".join(urls))
        self.assertIn("app.css", " ".join(urls))
        types = {".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8",
                 ".svg": "image/svg+xml"}
        for url in set(urls):
            status, headers, content = self.srv.request("GET", url)
            self.assertEqual(status, 200, url)
            self.assertEqual(headers["cache-control"], "public, max-age=31536000, immutable")
            self.assertEqual(headers["content-type"], types[os.path.splitext(url)[1]], url)
            self.assertEqual(headers["x-content-type-options"], "nosniff")
            self.assertTrue(content)
            status, _, _ = self.srv.request("GET", url, headers={"If-None-Match": headers["etag"]})
            self.assertEqual(status, 304, url)
        # Another build's URL, an unknown file, and a path outside /assets are 404.
        wrong = re.sub(r"/assets/[0-9a-f]{12}/", "/assets/000000000000/", urls[0])
        for path in (wrong, urls[0].rsplit("/", 1)[0] + "/nope.js", "/index.html", "/main.js"):
            status, headers, body = self.srv.request("GET", path)
            self.assertEqual(status, 404, path)
            self.assertEqual(body["error"]["code"], "not_found")
            self.assertEqual(headers["cache-control"], "no-store")

    def test_api_stays_api(self):
        status, headers, body = self.srv.request("GET", "/api/nothing-here")
        self.assertEqual(status, 404)
        self.assertEqual(body["error"]["code"], "not_found")
        self.assertEqual(headers["cache-control"], "no-store")
        self.assertNotIn("content-security-policy", headers)
        status, _, body = self.srv.request("GET", "/api/spotify/playlists")
        self.assertEqual((status, body["error"]["code"]), (401, "unauthorized"))
        status, _, _ = self.srv.request("POST", "/")
        self.assertEqual(status, 405)


class _WithSpotify:
    MODE = None

    @classmethod
    def setUpClass(cls):
        cls.emu, cls.srv = start(cls.MODE)
        cls.token = sign_in(cls.srv, cls.emu)["token"]

    @classmethod
    def tearDownClass(cls):
        code = cls.srv.stop()
        cls.srv.cleanup()
        cls.emu.stop()
        assert code == 0, "server exited with %s" % code

    def get(self, path):
        return self.srv.request("GET", path, token=self.token)

    def test_playlists_pages_and_used_by(self):
        spotify = self.emu.mint_token("demo")["access_token"]
        expected = self.emu.api("GET", "/me/playlists?limit=50", token=spotify)[2]["items"]
        total = self.emu.api("GET", "/me/playlists?limit=1", token=spotify)[2]["total"]
        self.assertEqual(total, EXTRA_PLAYLISTS + 5)
        everything = "fdvaiSC7EBuaE29215mRQE"
        status, _, base = self.srv.request("POST", "/api/base-playlists", token=self.token,
                                           body={"spotify_playlist_id": everything})
        self.assertEqual(status, 201, base)
        chill = "4IkDvAt59hNYPXHgVww6e1"
        status, _, child = self.srv.request(
            "POST", "/api/base-playlists/%s/child-playlists" % base["id"], token=self.token,
            body={"name": "c", "filter": {"all": []}, "spotify_playlist_id": chill})
        self.assertEqual(status, 201, child)

        status, _, page1 = self.get("/api/spotify/playlists")
        self.assertEqual(status, 200, page1)
        self.assertEqual(len(page1["items"]), 50)
        self.assertEqual([p["spotify_playlist_id"] for p in page1["items"]],
                         [p["id"] for p in expected])
        first = page1["items"][0]
        self.assertEqual(sorted(first), ["collaborative", "name", "owner_id", "owner_name",
                                         "public", "spotify_playlist_id", "tracks_total", "used_by"])
        self.assertTrue(page1["next_cursor"])
        status, _, page2 = self.get("/api/spotify/playlists?cursor=" +
                                    urllib.parse.quote(page1["next_cursor"]))
        self.assertEqual(status, 200)
        self.assertEqual(len(page2["items"]), total - 50)
        self.assertIsNone(page2["next_cursor"])
        items = {p["spotify_playlist_id"]: p for p in page1["items"] + page2["items"]}
        self.assertEqual(len(items), total)
        self.assertEqual(items[everything]["used_by"], {"kind": "base", "id": base["id"]})
        self.assertEqual(items[chill]["used_by"], {"kind": "child", "id": child["id"]})
        self.assertEqual(items[everything]["tracks_total"], 500)
        self.assertEqual(items[everything]["name"], "Everything I like")
        self.assertEqual((items[everything]["owner_id"], items[everything]["owner_name"]),
                         ("demo", "Demo User"))
        road = items["YaVVK5ZqPh3VVlBUMHpGsy"]
        self.assertEqual((road["collaborative"], road["owner_id"], road["used_by"]),
                         (True, "bob", None))
        self.assertEqual(items["NqrfmNrOg1ndYzxbrFI0s5"]["public"], True)
        self.assertEqual(sum(1 for p in items.values() if p["used_by"]), 2)

        status, _, body = self.get("/api/spotify/playlists?cursor=abc")
        self.assertEqual(status, 400)
        self.assertEqual(body["error"]["code"], "validation_failed")
        self.assertEqual(body["error"]["details"][0]["path"], "cursor")

    def test_rule_fields(self):
        status, _, body = self.get("/api/rule-fields")
        self.assertEqual(status, 200, body)
        self.assertEqual(body["api_mode"], self.MODE)
        fields = {f["field"]: f for f in body["items"]}
        self.assertEqual(fields["artist_name"], {"field": "artist_name", "type": "string",
                                                 "several": True, "available": True,
                                                 "reason": None})
        self.assertEqual(fields["release_date"]["type"], "date")
        self.assertEqual(fields["explicit"]["type"], "bool")
        self.assertEqual(fields["duration_ms"]["type"], "number")
        rich = ("genre", "label", "popularity", "artist_popularity", "album_popularity")
        for name in rich:
            self.assertEqual(fields[name]["available"], self.MODE == "extended", name)
            if self.MODE == "development":
                self.assertIn("not available", fields[name]["reason"])
        # This server runs with MusicBrainz off (the harness's default): original_year,
        # which MusicBrainz alone provides, is refused in either mode, saying how to turn
        # it on; the user's own tags are there in both.
        self.assertFalse(fields["original_year"]["available"])
        self.assertIn("PLAYROUTER_MUSICBRAINZ_BASE", fields["original_year"]["reason"])
        self.assertEqual(fields["tag"], {"field": "tag", "type": "string", "several": True,
                                         "available": True, "reason": None})
        self.assertEqual(sum(1 for f in fields.values() if not f["available"]),
                         (len(rich) if self.MODE == "development" else 0) + 1)

    def test_browser_callback_303(self):
        """A browser's callback (Accept: text/html) is sent back to the app with the
        session cookie; the JSON answer is unchanged for other clients (sign_in above)."""
        status, headers, _ = self.srv.request("GET", "/api/auth/login")
        self.assertEqual(status, 302)
        # The browser keeps the login cookie and sends it back (docs/SECURITY.md, point 5).
        login_cookie = headers["set-cookie"].split(";")[0]
        u = urllib.parse.urlsplit(headers["location"])
        status, headers, _ = self.emu.request("GET", "%s?%s&user=demo" % (u.path, u.query))
        cb = urllib.parse.urlsplit(headers["location"])
        conn = http.client.HTTPConnection("127.0.0.1", self.srv.port, timeout=30 * SLOW)
        conn.request("GET", cb.path + "?" + cb.query,
                     headers={"Accept": BROWSER_ACCEPT, "Cookie": login_cookie})
        resp = conn.getresponse()
        resp.read()
        conn.close()
        self.assertEqual(resp.status, 303)
        self.assertEqual(resp.getheader("location"), "/")
        cookies = [v.split(";")[0] for k, v in resp.getheaders() if k.lower() == "set-cookie"]
        cookie = [c for c in cookies if c.startswith("playrouter_session=")][0]
        status, _, me = self.srv.request("GET", "/api/me", headers={"Cookie": cookie})
        self.assertEqual((status, me["display_name"]), (200, "Demo User"))


class DevelopmentMode(_WithSpotify, unittest.TestCase):
    MODE = "development"


class ExtendedMode(_WithSpotify, unittest.TestCase):
    MODE = "extended"


if __name__ == "__main__":
    unittest.main(verbosity=2)
