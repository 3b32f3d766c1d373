"""Helpers shared by the sync-engine e2e tests (test_sync_queue.py, test_auto_sync.py):
a server pointed at an emulator, bases with one child each, waiting on conditions, the
server's metrics and a look into its database (Python's sqlite3, read-mostly)."""
import os
import sqlite3
import time

from harness import Server, SLOW


def start_server(emu, data_dir, port, **extra):
    env = {
        "PLAYROUTER_PORT": str(port),
        "SPOTIFY_REDIRECT_URI": "http://127.0.0.1:%d/api/auth/callback" % port,
        "SPOTIFY_CLIENT_ID": emu.client_id,
        "SPOTIFY_CLIENT_SECRET": emu.client_secret,
        "SPOTIFY_API_BASE": emu.api_base,
        "SPOTIFY_ACCOUNTS_BASE": emu.accounts_base,
        "SPOTIFY_API_MODE": "development",
        "PLAYROUTER_SPOTIFY_MAX_ATTEMPTS": "1",
    }
    env.update({k: str(v) for k, v in extra.items()})
    return Server(data_dir=data_dir, env=env).start()


def api(srv, token, method, path, body=None, timeout=60):
    return srv.request(method, path, body=body, token=token, timeout=timeout)


def make_bases(srv, token, emu, n, prefix, size=20, auto_sync_minutes=0, owner="demo"):
    """n bases of `owner`, each over a new plain playlist of `size` tracks, each with one
    child that takes every track (the server creates its Spotify playlist). Returns
    [{"id", "spid", "child", "child_spid"}]."""
    out = []
    for i in range(n):
        spid = emu.create_playlist(owner=owner, name="%s %d" % (prefix, i), size=size, plain=True)
        status, _, base = api(srv, token, "POST", "/api/base-playlists",
                              {"spotify_playlist_id": spid,
                               "auto_sync_minutes": auto_sync_minutes})
        assert status == 201, (status, base)
        status, _, child = api(srv, token, "POST",
                               "/api/base-playlists/%s/child-playlists" % base["id"],
                               {"name": "%s %d all" % (prefix, i), "filter": {"all": []}})
        assert status == 201, (status, child)
        out.append({"id": base["id"], "spid": spid, "child": child["id"],
                    "child_spid": child["spotify_playlist_id"]})
    return out


def wait_for(cond, timeout=30, what="condition", interval=0.05):
    """Polls cond() until it returns a true value (returned), or fails after timeout
    seconds (scaled under ASan)."""
    deadline = time.time() + timeout * SLOW
    while time.time() < deadline:
        v = cond()
        if v:
            return v
        time.sleep(interval)
    raise AssertionError("timed out waiting for " + what)


def event(srv, token, event_id):
    status, _, ev = api(srv, token, "GET", "/api/sync-events/" + event_id)
    assert status == 200, (status, ev)
    return ev


def wait_event_end(srv, token, event_id, timeout=60):
    return wait_for(lambda: (lambda ev: ev if ev["status"] != "in_progress" else None)(
        event(srv, token, event_id)), timeout, "sync event %s to end" % event_id)


def metric(srv, name):
    """The value of an unlabelled metric of /metrics (0 when absent)."""
    status, _, text = srv.request("GET", "/metrics")
    assert status == 200, status
    for line in text.splitlines():
        if line.startswith(name + " "):
            return float(line.split()[1])
    return 0.0


class Db:
    """The server's database, for looking at (and, to stand in for time passing, moving
    back) the rows the API does not show."""

    def __init__(self, data_dir):
        self.path = os.path.join(data_dir, "playrouter.db")

    def _conn(self):
        c = sqlite3.connect(self.path, timeout=10)
        c.execute("PRAGMA busy_timeout = 10000")
        return c

    def one(self, sql, *args):
        with self._conn() as c:
            row = c.execute(sql, args).fetchone()
        return row[0] if row and len(row) == 1 else row

    def run(self, sql, *args):
        c = self._conn()
        try:
            with c:
                c.execute(sql, args)
        finally:
            c.close()
