"""The data folder is private to the server's user whatever the umask
(docs/SECURITY.md, issue #12 point 10): the folder 0700, every file in it 0600.

Reproduced before the fix: with umask 022 the database and its -wal and -shm files
were created 0644 (readable by every local user).
"""
import os
import shutil
import stat
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from harness import Server  # noqa: E402


def modes(folder):
    """{name: permission bits} of the folder itself ('.') and every file in it."""
    out = {".": stat.S_IMODE(os.stat(folder).st_mode)}
    for name in os.listdir(folder):
        out[name] = stat.S_IMODE(os.lstat(os.path.join(folder, name)).st_mode)
    return out


class DataFolderModesTest(unittest.TestCase):
    def setUp(self):
        self.root = tempfile.mkdtemp(prefix="playrouter-modes-")
        self.old_umask = os.umask(0o022)  # inherited by the server

    def tearDown(self):
        os.umask(self.old_umask)
        shutil.rmtree(self.root, ignore_errors=True)

    def run_server(self, folder):
        srv = Server(env={"PLAYROUTER_DB": os.path.join(folder, "playrouter.db")},
                     data_dir=folder if os.path.isdir(folder) else None)
        srv.start()
        try:
            # A write, so that the WAL is in use.
            self.assertEqual(srv.request("GET", "/readyz")[0], 200)
            running = modes(folder)
        finally:
            code = srv.stop()
            srv.cleanup()
        self.assertEqual(code, 0)
        return running, modes(folder)

    def assert_private(self, found):
        self.assertIn("playrouter.db", found)
        for name, mode in found.items():
            if name == "server.stderr":
                continue  # the test harness's own log file
            with self.subTest(name=name):
                self.assertEqual(mode, 0o700 if name == "." else 0o600, oct(mode))

    def test_fresh_data_folder_is_private(self):
        folder = os.path.join(self.root, "new", "data")
        running, after = self.run_server(folder)
        # While running, the WAL and its index exist: they are private too.
        self.assertIn("playrouter.db-wal", running)
        self.assertIn("playrouter.db-shm", running)
        self.assertIn("jwt_secret", running)
        self.assert_private(running)
        self.assert_private(after)
        self.assertEqual(stat.S_IMODE(os.stat(os.path.join(self.root, "new")).st_mode), 0o700)

    def test_existing_open_folder_and_files_are_tightened(self):
        folder = os.path.join(self.root, "old")
        self.run_server(folder)
        # As an older version (or a careless operator) left them.
        os.chmod(folder, 0o755)
        for name in os.listdir(folder):
            os.chmod(os.path.join(folder, name), 0o644)
        with open(os.path.join(folder, "playrouter.db-wal"), "ab"):
            pass
        os.chmod(os.path.join(folder, "playrouter.db-wal"), 0o666)
        running, after = self.run_server(folder)
        self.assert_private(running)
        self.assert_private(after)


if __name__ == "__main__":
    unittest.main(verbosity=2)
