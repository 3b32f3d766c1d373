"""Extended mode with MusicBrainz on (API.md "Metadata sources"): `genre` is the union,
lower-cased, of the Spotify genres of the track's artists and the MusicBrainz genres of the
artists credited on its recordings; explain says where each value came from.

Expected contents from rules_reference.py fed with both emulators' ground truth; the
genre picked is one that some tracks have from Spotify only and others from MusicBrainz
only, so that neither source alone gives the expected playlist.
"""
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from mb_world import WorldTest, leaf  # noqa: E402


class MusicBrainzExtendedTest(WorldTest):
    MODE = "extended"
    SPOTIFY_ARGS = ["--playlist", "demo:Union base:300", "--seed", "29"]
    SERVER = {"PLAYROUTER_MUSICBRAINZ_RATE": "20"}

    def sources_of(self, tid):
        """{genre: set of sources} from the emulators' truth, lower-cased."""
        out = {}
        for g in self.w.spotify_track(tid)["genres"] or []:
            out.setdefault(g.lower(), set()).add("spotify")
        for g in self.w.truth(tid).get("genres") or []:
            out.setdefault(g.lower(), set()).add("musicbrainz")
        return out

    def test_genre_is_the_union(self):
        w = self.w
        spid = w.emu.playlist_id("demo", "Union base")
        ids = sorted(set(w.track_ids(spid)))
        w.load_tracks(ids)
        # a genre some tracks have from Spotify only and others from MusicBrainz only
        only = {}
        for tid in ids:
            for g, src in self.sources_of(tid).items():
                if len(src) == 1:
                    only.setdefault(g, set()).update(src)
        pick = sorted(g for g, src in only.items() if src == {"spotify", "musicbrainz"})
        self.assertTrue(pick, "no genre comes from each source alone; pick another seed")
        g = pick[0]
        base = w.create_base(self.srv, self.token, spid)
        specs = [{"name": "Union genre", "filter": leaf("genre", "eq", g)},
                 {"name": "Union any", "filter": leaf("genre", "in", pick[:4])},
                 {"name": "Union early", "filter": {"all": [leaf("genre", "exists"),
                                                           leaf("original_year", "lt", 1990)]}}]
        children = [w.create_child(self.srv, self.token, base["id"], s) for s in specs]
        plan = w.plan(spid, children)
        ev = w.sync(self.srv, self.token, base["id"])
        self.assertEqual(ev["status"], "completed", ev["error_message"])
        self.assertGreater(ev["metadata_requests"]["musicbrainz"], 0)
        self.assertGreater(ev["total_api_requests"], 0)
        w.check_contents(plan, children)
        target = plan.targets[children[0]["id"]]
        via = {tid: self.sources_of(tid)[g] for tid in target}
        self.assertIn({"spotify"}, via.values(), "some match through Spotify alone")
        self.assertIn({"musicbrainz"}, via.values(), "some match through MusicBrainz alone")

        # explain: each value with its source(s), and the deciding value's source
        for tid in (next(t for t, s in via.items() if s == {"spotify"}),
                    next(t for t, s in via.items() if s == {"musicbrainz"})):
            status, _, body = w.api(self.srv, self.token, "POST",
                                    "/api/base-playlists/%s/preview?explain=%s" % (base["id"], tid))
            self.assertEqual(status, 200, body)
            e = body["children"][0]["explain"]
            self.assertTrue(e["matched"])
            self.assertEqual(e["field"], "genre")
            want = self.sources_of(tid)
            self.assertEqual(sorted(e["value"]), sorted(want))
            names = {frozenset(["spotify"]): "spotify", frozenset(["musicbrainz"]): "musicbrainz",
                     frozenset(["spotify", "musicbrainz"]): "spotify+musicbrainz"}
            self.assertEqual(e["value_sources"], [names[frozenset(want[v])] for v in e["value"]])
            every = set().union(*want.values())
            self.assertEqual(e["source"], names[frozenset(every)])


if __name__ == "__main__":
    unittest.main(verbosity=2)
