"""A MusicBrainz emulator process for end-to-end tests (Python standard library only).

    import os, sys
    sys.path.insert(0, os.path.dirname(__file__))
    from emulator import Emulator
    from musicbrainz_emulator import MusicBrainzEmulator

    spotify = Emulator(args=["--tracks", "500"]).start()
    mb = MusicBrainzEmulator.matching(spotify).start()   # same generator flags: same world
    # playrouter: PLAYROUTER_MUSICBRAINZ_BASE=mb.ws_base
    status, headers, body = mb.search_recordings(["GBAAA9100001", "USABC2300042"])
    truth = mb.truth_isrc("GBAAA9100001")              # recordings, artists, genres, original_year
    mb.storm(2)                                         # the next two /ws/2 requests: 503
    assert mb.max_in_window() <= 1                      # nobody went faster than 1 per second
    assert mb.stop() == 0                               # SIGTERM; non-zero on an ASan leak report

Environment as for emulator.py (PLAYROUTER_BUILD_DIR, PLAYROUTER_SANITIZE). The admin API
is described in tools/musicbrainz-emulator/README.md; the helpers below wrap it.
"""
import os
import sys
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from emulator import EmulatorProcess  # noqa: E402

DEFAULT_USER_AGENT = "playrouter-tests/1.0 ( https://example.invalid/playrouter )"
# The Spotify emulator's flags that decide its catalogue (and so the MusicBrainz world).
GENERATOR_FLAGS = ("--seed", "--tracks", "--artists", "--albums", "--episodes", "--catalog")


class MusicBrainzEmulator(EmulatorProcess):
    """One musicbrainz-emulator process on a free loopback port.

    args: command-line flags, e.g. ["--seed", "7", "--tracks", "500", "--rate", "0"].
    rate: requests per second before 503 (None keeps the binary's default of 1; 0 = off).
    """

    binary_name = "musicbrainz-emulator"

    def __init__(self, build_dir=None, args=None, env=None, rate=None,
                 user_agent=DEFAULT_USER_AGENT):
        args = list(args or [])
        if rate is not None:
            args += ["--rate", str(rate)]
        super().__init__(build_dir, args, env)
        self.user_agent = user_agent

    @classmethod
    def matching(cls, spotify, **kw):
        """An emulator over the same catalogue as a Spotify Emulator (its generator
        flags or --catalog file are copied; everything else is left out)."""
        args, i = [], 0
        while i < len(spotify.args):
            if spotify.args[i] in GENERATOR_FLAGS and i + 1 < len(spotify.args):
                args += spotify.args[i:i + 2]
                i += 2
            else:
                i += 1
        args += kw.pop("args", [])
        return cls(build_dir=spotify.build_dir, args=args, **kw)

    @property
    def ws_base(self):
        """The web service base, e.g. http://127.0.0.1:PORT/ws/2 (PLAYROUTER_MUSICBRAINZ_BASE)."""
        return self.base_url + "/ws/2"

    # ---- the web service ----

    def ws(self, path, params=None, user_agent=None, headers=None):
        """GET /ws/2 + path with params (fmt=json added unless given), sent with the
        User-Agent (user_agent=False sends none). Returns (status, headers, body)."""
        params = dict(params or {})
        params.setdefault("fmt", "json")
        hdrs = dict(headers or {})
        ua = self.user_agent if user_agent is None else user_agent
        if ua is not False:
            hdrs["User-Agent"] = ua
        query = urllib.parse.urlencode(params, quote_via=urllib.parse.quote)
        return self.request("GET", "/ws/2" + path + ("?" + query if query else ""), headers=hdrs)

    def search_recordings(self, isrcs, limit=100, offset=0, **kw):
        """GET /ws/2/recording?query=isrc:A OR isrc:B …"""
        query = " OR ".join("isrc:" + code for code in isrcs)
        return self.ws("/recording", {"query": query, "limit": limit, "offset": offset}, **kw)

    def search_artists(self, mbids, limit=100, offset=0, **kw):
        """GET /ws/2/artist?query=arid:X OR arid:Y …"""
        query = " OR ".join("arid:" + mbid for mbid in mbids)
        return self.ws("/artist", {"query": query, "limit": limit, "offset": offset}, **kw)

    # ---- knobs ----

    def config(self, **kw):
        """Reads (no arguments) or changes rate, window_ms, latency_ms, search_isrcs,
        require_user_agent."""
        if not kw:
            return self.admin("GET", "/config")
        return self.admin("PUT", "/config", kw)

    def set_rate(self, rate, window_ms=1000):
        """At most rate /ws/2 requests per rolling window_ms (0 = no limit)."""
        return self.admin("PUT", "/rate", {"rate": rate, "window_ms": window_ms})

    def rate_off(self):
        return self.admin("DELETE", "/rate")

    def latency(self, ms):
        """Delays every /ws/2 answer by ms (concurrent requests overlap)."""
        return self.admin("PUT", "/latency", {"ms": ms})

    def down(self, mode="503", ms=None):
        """mode "503": every /ws/2 request answers 503 until up(); mode "refuse": the
        listening socket is closed for ms milliseconds (connections refused, this API too)."""
        body = {"mode": mode}
        if ms is not None:
            body["ms"] = ms
        return self.admin("PUT", "/down", body)

    def up(self):
        return self.admin("DELETE", "/down")

    def storm(self, count, kind="rate", retry_after=None):
        """The next count /ws/2 requests (-1 = all) answer 503: kind "rate" (the rate-limit
        body, Retry-After 1) or "busy" (the load-shedding body, Retry-After 0)."""
        body = {"count": count, "kind": kind}
        if retry_after is not None:
            body["retry_after"] = retry_after
        return self.admin("POST", "/storm", body)

    def clear_storm(self):
        return self.admin("DELETE", "/storm")

    # ---- what was asked ----

    def max_in_window(self, window_ms=1000, statuses=None, since_ms=0):
        """The most /ws/2 requests (with a status in statuses, default all) that arrived
        within any window_ms: the number a client under a rate limit must keep <= rate."""
        times = sorted(r["t_ms"] for r in self.request_log(since_ms)
                       if statuses is None or r["status"] in statuses)
        best, lo = 0, 0
        for hi, t in enumerate(times):
            while t - times[lo] >= window_ms:
                lo += 1
            best = max(best, hi - lo + 1)
        return best

    # ---- ground truth ----

    def truth_isrcs(self):
        """{"known", "unknown", "multiple", "musicbrainz_only"}: lists of ISRCs."""
        return self.admin("GET", "/truth/isrcs")

    def truth_isrc(self, isrc):
        """{"isrc", "spotify_track", "known", "recordings": [{"id", "title",
        "first_release_date", "artists", "isrcs"}], "artists": [{"id", "spotify_id", "name",
        "genres"}], "genres", "original_year"}."""
        return self.admin("GET", "/truth/isrc/" + isrc)

    def truth_track(self, spotify_track_id):
        """truth_isrc() of a Spotify track's ISRC."""
        return self.admin("GET", "/truth/tracks/" + spotify_track_id)

    def truth_artist(self, artist_id):
        """An artist by MBID or Spotify id: {"id", "spotify_id", "name", "sort_name", "type",
        "country", "tags": [{"name", "count"}] (every tag), "genres"}."""
        return self.admin("GET", "/truth/artists/" + artist_id)

    def genres(self):
        """The genre list (GET /ws/2/genre/all?fmt=txt without going through the limits)."""
        return self.admin("GET", "/truth/genres")["genres"]
