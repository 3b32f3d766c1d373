"""GET /api/openapi.json serves docs/openapi.json, and the checker that every e2e answer
goes through (openapi_check, called by harness.Server.request) catches what it should."""
import json
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import openapi_check  # noqa: E402
from harness import SOURCE_DIR, Server  # noqa: E402

BASE = {"id": "b1", "source": "playlist", "spotify_playlist_id": "sp1", "name": "n", "routing": "all",
        "auto_sync_minutes": 0, "version": 1, "last_synced_at": None,
        "created": "2026-01-01T00:00:00Z", "updated": "2026-01-01T00:00:00Z"}
JSON = {"content-type": "application/json; charset=utf-8"}


class OpenAPITest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.srv = Server().start()

    @classmethod
    def tearDownClass(cls):
        assert cls.srv.stop() == 0

    def test_served_document_is_docs_openapi_json(self):
        status, headers, body = self.srv.request("GET", "/api/openapi.json")
        self.assertEqual(status, 200)
        self.assertEqual(headers["content-type"], "application/json; charset=utf-8")
        with open(os.path.join(SOURCE_DIR, "docs", "openapi.json")) as f:
            self.assertEqual(body, json.load(f))
        self.assertEqual(body["openapi"], "3.1.0")

    def test_checker_accepts_a_conforming_answer(self):
        openapi_check.check("GET", "/api/base-playlists/b1", 200, JSON, BASE)
        openapi_check.check("GET", "/api/base-playlists", 200, JSON, {"items": [BASE], "next_cursor": None})
        openapi_check.check("POST", "/api/base-playlists/b1/preview", 200, JSON,
                            {"children": [], "tracks": {"t1": {"name": None, "artist_names": [],
                                                               "duration_ms": None}}})

    def test_checker_refuses_what_the_document_does_not_say(self):
        bad = [
            ("GET", "/api/base-playlists/b1", 200, {k: v for k, v in BASE.items() if k != "id"}, "'id' is missing"),
            ("GET", "/api/base-playlists/b1", 200, dict(BASE, version="1"), "is not of type integer"),
            ("GET", "/api/base-playlists/b1", 200, dict(BASE, routing="some"), "is not one of"),
            ("GET", "/api/base-playlists/b1", 418, BASE, "status 418 is not documented"),
            ("GET", "/api/nothing-here", 200, {}, "no such operation"),
            ("GET", "/api/base-playlists/b1", 404, {"error": {"code": "nope", "message": "x"}}, "is not one of"),
            # a map's entries are checked against additionalProperties
            ("POST", "/api/base-playlists/b1/preview", 200,
             {"children": [], "tracks": {"t1": {"name": "n", "artist_names": ["a"]}}},
             "'duration_ms' is missing"),
            ("POST", "/api/base-playlists/b1/preview", 200,
             {"children": [], "tracks": {"t1": {"name": 7, "artist_names": [], "duration_ms": 1}}},
             "is not of type"),
        ]
        for method, path, status, body, why in bad:
            with self.assertRaises(openapi_check.OpenAPIMismatch) as cm:
                openapi_check.check(method, path, status, JSON, body)
            self.assertIn(why, str(cm.exception))

    def test_real_error_answers_conform(self):
        # through harness.request, which checks each answer
        self.assertEqual(self.srv.request("GET", "/api/base-playlists")[0], 401)
        self.assertEqual(self.srv.request("DELETE", "/api/me")[0], 405)
        self.assertEqual(self.srv.request("GET", "/api/no-such-route")[0], 404)


if __name__ == "__main__":
    unittest.main(verbosity=2)
