"""A Spotify emulator process for end-to-end tests (Python standard library only).

    import os, sys
    sys.path.insert(0, os.path.dirname(__file__))
    from emulator import Emulator

    emu = Emulator(mode="development", args=["--playlist", "demo:base:300"]).start()
    token = emu.sign_in_token("demo")             # the real PKCE flow, returns an access token
    status, headers, body = emu.api("GET", "/me", token=token)
    pid = emu.playlist_id("demo", "base")         # deterministic ids, looked up by name
    emu.set_playlist(pid, ["spotify:track:..."])  # admin: not counted, no limits
    emu.fail("GET", path_prefix="/v1/playlists/", status=503, count=2)
    emu.rate_limit(max=10, window_ms=1000)
    print(emu.counters())                          # {"GET /v1/playlists/{id}/items": {"200": 3}}
    assert emu.stop() == 0                         # SIGTERM; non-zero on an ASan leak report

Environment: PLAYROUTER_BUILD_DIR (the folder holding spotify-emulator; CTest sets it)
and PLAYROUTER_SANITIZE=ON (timeouts grow). The emulator's admin API is described
in tools/spotify-emulator/README.md; every helper below is a thin wrapper over it.
"""
import base64
import hashlib
import http.client
import json
import os
import secrets
import signal
import subprocess
import tempfile
import time
import urllib.parse

BUILD_DIR = os.environ.get("PLAYROUTER_BUILD_DIR") or os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "..", "..", "build")
SANITIZED = os.environ.get("PLAYROUTER_SANITIZE", "OFF").upper() in ("ON", "1", "TRUE")
SLOW = 3 if SANITIZED else 1

DEFAULT_CLIENT_ID = "emulator-client-id"
DEFAULT_CLIENT_SECRET = "emulator-client-secret"
# The first is what sign_in() uses; the pattern lets a playrouter under test use
# any port for its callback.
DEFAULT_REDIRECT_URIS = ["http://127.0.0.1:9/callback", "http://127.0.0.1:*/api/auth/callback"]
ALL_SCOPES = ("playlist-read-private playlist-read-collaborative "
              "playlist-modify-private playlist-modify-public user-read-private user-read-email "
              "user-library-read user-library-modify")


class AdminError(Exception):
    """An /__admin call answered with a status >= 400."""

    def __init__(self, status, body):
        super().__init__("admin call failed: %s %s" % (status, body))
        self.status = status
        self.body = body


def pkce_pair():
    """(code_verifier, code_challenge) as RFC 7636 S256 wants them."""
    verifier = secrets.token_urlsafe(48)[:64]
    digest = hashlib.sha256(verifier.encode()).digest()
    challenge = base64.urlsafe_b64encode(digest).decode().rstrip("=")
    return verifier, challenge


class EmulatorProcess:
    """One emulator binary (binary_name in the build folder) on a free loopback port:
    the process, raw HTTP and the /__admin calls both emulators share. Started by
    start(), stopped by stop() (or use it as a context manager)."""

    binary_name = None  # set by subclasses

    def __init__(self, build_dir=None, args=None, env=None):
        self.build_dir = build_dir or BUILD_DIR
        self.args = list(args or [])
        self.env = dict(os.environ)
        self.env.setdefault("ASAN_OPTIONS", "detect_leaks=1")
        self.env.update(env or {})
        self.proc = None
        self.port = None
        self.base_url = None
        self._stderr_file = None
        self._stderr_text = ""

    # ---- process ----

    @property
    def binary(self):
        return os.path.join(self.build_dir, self.binary_name)

    def command(self):
        """The command line start() runs."""
        return [self.binary, "--port", "0"] + self.args

    def start(self, timeout=20):
        """Starts the process and waits for its 'listening on' line. Returns self."""
        self._stderr_file = tempfile.TemporaryFile()
        self.proc = subprocess.Popen(self.command(), env=self.env, stdout=subprocess.PIPE,
                                     stderr=self._stderr_file)
        deadline = time.time() + timeout * SLOW
        while True:
            line = self.proc.stdout.readline()
            if not line:
                code = self.proc.wait()
                raise RuntimeError("%s exited with %s before listening:\n%s"
                                   % (self.binary_name, code, self.stderr()))
            line = line.decode(errors="replace").strip()
            if line.startswith("listening on "):
                self.base_url = line[len("listening on "):]
                self.port = int(self.base_url.rsplit(":", 1)[1])
                return self
            if time.time() > deadline:
                self.proc.kill()
                raise RuntimeError("%s did not start listening" % self.binary_name)

    def stop(self, sig=signal.SIGTERM, timeout=30):
        """Stops the process (SIGTERM by default) and returns its exit code."""
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
        self.proc = None
        self._stderr_text = self.stderr()
        self._stderr_file.close()
        self._stderr_file = None
        return code

    def stderr(self):
        """Everything the process wrote to stderr so far (its log, ASan reports)."""
        if not self._stderr_file:
            return self._stderr_text
        self._stderr_file.seek(0)
        return self._stderr_file.read().decode(errors="replace")

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    # ---- HTTP ----

    def request(self, method, path, body=None, token=None, headers=None, raw=None,
                form=None, timeout=30):
        """Any request to the emulator; path may be a full URL of it.

        body is sent as JSON, form as application/x-www-form-urlencoded, raw as is.
        Returns (status, headers with lower-case names, parsed JSON or text).
        """
        if path.startswith("http://"):
            parts = urllib.parse.urlsplit(path)
            path = parts.path + ("?" + parts.query if parts.query else "")
        hdrs = dict(headers or {})
        data = raw
        if body is not None:
            data = json.dumps(body).encode()
            hdrs.setdefault("Content-Type", "application/json")
        if form is not None:
            data = urllib.parse.urlencode(form).encode()
            hdrs.setdefault("Content-Type", "application/x-www-form-urlencoded")
        if token:
            hdrs["Authorization"] = "Bearer " + token
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout * SLOW)
        try:
            conn.request(method, path, body=data, headers=hdrs)
            resp = conn.getresponse()
            payload = resp.read()
        finally:
            conn.close()
        out_headers = {k.lower(): v for k, v in resp.getheaders()}
        if out_headers.get("content-type", "").startswith("application/json") and payload:
            return resp.status, out_headers, json.loads(payload)
        return resp.status, out_headers, payload.decode(errors="replace")

    def admin(self, method, path, body=None):
        """An /__admin call (path without the prefix); returns the parsed JSON body.
        Raises AdminError on a status >= 400."""
        status, _, data = self.request(method, "/__admin" + path, body=body)
        if status >= 400:
            raise AdminError(status, data)
        return data

    # ---- what was asked ----

    def reset(self):
        """Knobs back to their start-up defaults; counters and request log emptied."""
        return self.admin("POST", "/reset")

    def counters(self):
        """{"METHOD /template": {"STATUS": count, ...}}, e.g. "GET /v1/playlists/{id}/items"."""
        return self.admin("GET", "/counters")

    def count(self, route, status=None):
        """How many requests route ("GET /v1/me") got, with that status or in total."""
        by_status = self.counters().get(route, {})
        if status is None:
            return sum(by_status.values())
        return by_status.get(str(status), 0)

    def reset_counters(self):
        return self.admin("DELETE", "/counters")

    def request_log(self, since_ms=0):
        """[{t_ms, end_ms, method, route, status, path, query}], oldest first (t_ms =
        arrival, wall clock ms)."""
        return self.admin("GET", "/requests?since_ms=%d" % since_ms)["requests"]

    def reset_request_log(self):
        return self.admin("DELETE", "/requests")


class Emulator(EmulatorProcess):
    """One spotify-emulator process on a free loopback port.

    mode: "development" or "extended". args: extra command-line flags (e.g.
    ["--playlist", "demo:base:2000", "--seed", "7"]). client_id, client_secret and
    redirect_uris are passed as flags. The process is started by start() and must
    be stopped with stop() (or use it as a context manager).
    """

    binary_name = "spotify-emulator"

    def __init__(self, build_dir=None, mode="development", args=None, env=None,
                 client_id=DEFAULT_CLIENT_ID, client_secret=DEFAULT_CLIENT_SECRET,
                 redirect_uris=None):
        super().__init__(build_dir, args, env)
        self.mode = mode
        self.client_id = client_id
        self.client_secret = client_secret
        self.redirect_uris = list(redirect_uris or DEFAULT_REDIRECT_URIS)

    @property
    def api_base(self):
        """The Web API base, e.g. http://127.0.0.1:PORT/v1 (SPOTIFY_API_BASE)."""
        return self.base_url + "/v1"

    @property
    def accounts_base(self):
        """The accounts service base (SPOTIFY_ACCOUNTS_BASE): /authorize and /api/token."""
        return self.base_url

    def command(self):
        cmd = [self.binary, "--port", "0", "--mode", self.mode,
               "--client-id", self.client_id, "--client-secret", self.client_secret]
        for uri in self.redirect_uris:
            cmd += ["--redirect-uri", uri]
        return cmd + self.args

    def api(self, method, path, token=None, body=None, **kw):
        """A Web API call: path is relative to /v1 ("/me", "/playlists/ID/items?limit=50")."""
        return self.request(method, "/v1" + path, body=body, token=token, **kw)

    # ---- tokens ----

    def sign_in(self, user="demo", scope=ALL_SCOPES):
        """Signs user in through /authorize and /api/token with PKCE, as a browser and
        a public client would. Returns Spotify's token answer (access_token, refresh_token,
        expires_in, scope, token_type)."""
        verifier, challenge = pkce_pair()
        redirect = self.redirect_uris[0]
        state = secrets.token_hex(8)
        query = urllib.parse.urlencode({
            "client_id": self.client_id, "response_type": "code", "redirect_uri": redirect,
            "state": state, "scope": scope, "code_challenge_method": "S256",
            "code_challenge": challenge, "user": user})
        status, headers, body = self.request("GET", "/authorize?" + query)
        if status != 302:
            raise RuntimeError("authorize answered %s: %s" % (status, body))
        params = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(headers["location"]).query))
        if params.get("state") != state or "code" not in params:
            raise RuntimeError("authorize redirected to %s" % headers["location"])
        status, _, tok = self.request("POST", "/api/token", form={
            "grant_type": "authorization_code", "code": params["code"],
            "redirect_uri": redirect, "client_id": self.client_id,
            "code_verifier": verifier})
        if status != 200:
            raise RuntimeError("token exchange answered %s: %s" % (status, tok))
        return tok

    def sign_in_token(self, user="demo", scope=ALL_SCOPES):
        """The access token of sign_in(user)."""
        return self.sign_in(user, scope)["access_token"]

    def refresh(self, refresh_token):
        """POST /api/token grant_type=refresh_token as a PKCE client; (status, body)."""
        status, _, body = self.request("POST", "/api/token", form={
            "grant_type": "refresh_token", "refresh_token": refresh_token,
            "client_id": self.client_id})
        return status, body

    def mint_token(self, user="demo", scope=None):
        """Admin shortcut without the OAuth dance: {access_token, refresh_token, ...}.
        Without scope the token gets the playlist scopes and user-library-read/-modify."""
        body = {"user": user}
        if scope is not None:
            body["scope"] = scope
        return self.admin("POST", "/tokens", body)

    def expire_access_tokens(self):
        """Every access token issued so far answers 401 "The access token expired"."""
        return self.admin("POST", "/tokens/expire")

    def expire_refresh_tokens(self, user):
        """The user's refresh tokens answer invalid_grant from now on."""
        return self.admin("POST", "/users/%s/expire-refresh-tokens" % user)

    def add_redirect_uri(self, uri):
        """Registers one more redirect URI ('*' matches anything, e.g. a port)."""
        return self.admin("POST", "/redirect-uris", {"uri": uri})

    # ---- knobs ----

    def config(self, **kw):
        """Reads (no arguments) or changes the run-time config: mode="extended",
        foreign_playlists_forbidden=False, token_lifetime=60, latency_ms=20."""
        if not kw:
            return self.admin("GET", "/config")
        return self.admin("PUT", "/config", kw)

    def set_mode(self, mode):
        return self.config(mode=mode)

    def latency(self, ms):
        """Delays every Web API and accounts answer by ms (concurrent requests overlap)."""
        return self.admin("PUT", "/latency", {"ms": ms})

    def hold(self, path_prefix):
        """Requests whose path starts with path_prefix ("/v1/artists") wait, unanswered,
        until release(): a client stopped at a known point instead of a timed window."""
        return self.admin("PUT", "/hold", {"path_prefix": path_prefix})

    def held(self):
        """How many requests the hold keeps waiting now."""
        return self.admin("GET", "/hold")["held"]

    def release(self):
        """Ends the hold; the held requests go on. Returns how many there were."""
        return self.admin("DELETE", "/hold")["released"]

    def rate_limit(self, max, window_ms=30000, retry_after=0):
        """At most max requests to /v1 per rolling window_ms; then 429 with Retry-After
        (seconds until the window has room, or retry_after when > 0)."""
        return self.admin("PUT", "/rate-limit",
                          {"max": max, "window_ms": window_ms, "retry_after": retry_after})

    def clear_rate_limit(self):
        return self.admin("DELETE", "/rate-limit")

    def quota(self, enabled=True, retry_after=0):
        """Quota mode: every /v1 request answers 429 with reason QUOTA_EXCEEDED."""
        return self.admin("PUT", "/quota", {"enabled": enabled, "retry_after": retry_after})

    def fail(self, method="*", path_prefix=None, path_pattern=None, status=500, count=1,
             drop=False, retry_after=0, message=None):
        """The next count requests (-1 = all) matching method and a path prefix or an
        fnmatch pattern ("/v1/playlists/*/items") answer status (Spotify's error JSON)
        or, with drop=True, have their connection closed without an answer. Returns the
        rule id."""
        body = {"method": method, "status": status, "count": count, "drop": drop,
                "retry_after": retry_after}
        if path_prefix:
            body["path_prefix"] = path_prefix
        if path_pattern:
            body["path_pattern"] = path_pattern
        if message:
            body["message"] = message
        return self.admin("POST", "/faults", body)["id"]

    def faults(self):
        return self.admin("GET", "/faults")["faults"]

    def clear_faults(self):
        return self.admin("DELETE", "/faults")

    def reset(self):
        """No latency, hold, limit, quota or faults; counters and request log emptied."""
        return self.admin("POST", "/reset")

    # ---- catalogue and playlists ----

    def playlists(self, owner=None):
        """[{id, name, owner, total, snapshot_id}] of every playlist (or one owner's)."""
        q = "?owner=" + urllib.parse.quote(owner) if owner else ""
        return self.admin("GET", "/playlists" + q)["playlists"]

    def playlist_id(self, owner, name):
        """The id of owner's playlist called name (KeyError when there is none)."""
        for p in self.playlists(owner):
            if p["name"] == name:
                return p["id"]
        raise KeyError("%s has no playlist %r" % (owner, name))

    def playlist(self, playlist_id, full=False):
        """{id, name, owner, public, collaborative, collaborators, snapshot_id, total,
        uris, items: [{uri, added_at, added_by, is_local, type[, track|episode]}]};
        full=True adds each track's full metadata (genres, popularity, label...)."""
        return self.admin("GET", "/playlists/%s%s" % (playlist_id, "?full=1" if full else ""))

    def playlist_uris(self, playlist_id):
        return self.playlist(playlist_id)["uris"]

    def set_playlist(self, playlist_id, uris, **details):
        """Replaces the contents (a list of URIs, or {uri, added_at, added_by} objects);
        details may set name, public, collaborative, collaborators, description."""
        body = dict(details)
        body["uris"] = list(uris)
        return self.admin("PUT", "/playlists/" + playlist_id, body)

    def create_playlist(self, owner="demo", name="Playlist", size=0, uris=None, public=False,
                        collaborative=False, collaborators=None, plain=False, playlist_id=None):
        """Creates a playlist; size generates that many entries (with local files,
        episodes and duplicates unless plain=True), uris appends given ones. Returns its id."""
        body = {"owner": owner, "name": name, "size": size, "public": public,
                "collaborative": collaborative, "plain": plain}
        if uris is not None:
            body["uris"] = list(uris)
        if collaborators is not None:
            body["collaborators"] = list(collaborators)
        if playlist_id:
            body["id"] = playlist_id
        return self.admin("POST", "/playlists", body)["id"]

    def add_items(self, playlist_id, uris, position=None):
        body = {"uris": list(uris)}
        if position is not None:
            body["position"] = position
        return self.admin("POST", "/playlists/%s/items" % playlist_id, body)

    def remove_items(self, playlist_id, uris=None, positions=None):
        """Removes every occurrence of uris and the entries at positions."""
        return self.admin("DELETE", "/playlists/%s/items" % playlist_id,
                          {"uris": list(uris or []), "positions": list(positions or [])})

    def create_user(self, user_id, display_name=None):
        return self.admin("POST", "/users", {"id": user_id, "display_name": display_name or user_id})

    def track(self, track_id):
        """Full metadata of a track whatever the mode: artists with genres, popularity
        and followers, album with label and popularity, and the union of genres."""
        return self.admin("GET", "/tracks/" + track_id)

    def tracks(self, ids=None):
        """Full metadata of the given tracks (null for unknown ids), or of all."""
        q = "?ids=" + ",".join(ids) if ids else ""
        return self.admin("GET", "/tracks" + q)["tracks"]

    def artist(self, artist_id):
        return self.admin("GET", "/artists/" + artist_id)

    def album(self, album_id):
        return self.admin("GET", "/albums/" + album_id)

    def catalog(self):
        """The whole catalogue in the --catalog file format."""
        return self.admin("GET", "/catalog")

    # ---- saved tracks (Liked Songs) ----

    def liked(self, user="demo"):
        """The user's saved tracks, newest first: [{id, uri, added_at}]."""
        return self.admin("GET", "/users/%s/liked" % user)["items"]

    def set_liked(self, user, items=None, size=None):
        """Replaces the user's saved tracks. items: track ids or URIs, (id, added_at)
        pairs or {id|uri, added_at} dicts, newest first (items without added_at get
        now minus one second per index); the emulator keeps them ordered by added_at.
        size=N instead generates a deterministic list like --liked USER:N. Returns the
        new list."""
        if (items is None) == (size is None):
            raise ValueError("give items or size")
        if size is not None:
            body = {"size": size}
        else:
            body = {"items": [{"id": i[0], "added_at": i[1]} if isinstance(i, tuple) else i
                              for i in items]}
        return self.admin("PUT", "/users/%s/liked" % user, body)["items"]

    def save_liked(self, user, track_id, added_at=None):
        """Saves one track (an id or URI) now or at added_at; a saved track moves.
        Returns the new list."""
        body = {"id": track_id}
        if added_at is not None:
            body["added_at"] = added_at
        return self.admin("POST", "/users/%s/liked" % user, body)["items"]

    def remove_liked(self, user, track_id):
        """Removes one saved track (AdminError 404 when it is not saved). Returns the list."""
        return self.admin("DELETE", "/users/%s/liked/%s" % (user, track_id))["items"]

    def clear_liked(self, user):
        return self.admin("DELETE", "/users/%s/liked" % user)["items"]
