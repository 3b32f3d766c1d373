"""No Docker engine runs here, so check the Dockerfile statically: every library
build/playrouter links to must come from a package the runtime stage installs."""
import os
import re
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from harness import BUILD_DIR, SOURCE_DIR  # noqa: E402

# Packages every debian:bookworm-slim image already has.
BASE_IMAGE = {"libc6", "libgcc-s1", "zlib1g"}


def stages(text):
    """Splits the Dockerfile into stages: [(from_line, [instructions...])]."""
    text = re.sub(r"\\\n", " ", text)
    out = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if line.upper().startswith("FROM "):
            out.append((line, []))
        elif out:
            out[-1][1].append(line)
    return out


def installed_packages(instructions):
    pkgs = set()
    for ins in instructions:
        for m in re.finditer(r"apt-get install ([^&;]*)", ins):
            pkgs.update(w for w in m.group(1).split() if not w.startswith("-"))
    return pkgs


def package_of(path):
    candidates = [path, os.path.realpath(path)]
    for p in list(candidates):
        if p.startswith("/usr/lib/"):
            candidates.append(p[len("/usr"):])
        elif p.startswith("/lib/"):
            candidates.append("/usr" + p)
    for c in candidates:
        r = subprocess.run(["dpkg", "-S", c], capture_output=True, text=True)
        if r.returncode == 0:
            return r.stdout.split(":")[0].strip()
    return None


class DockerfileTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        with open(os.path.join(SOURCE_DIR, "Dockerfile")) as f:
            cls.stages = stages(f.read())
        cls.binary = os.path.join(BUILD_DIR, "playrouter")

    def test_multi_stage_bookworm_to_slim(self):
        self.assertGreaterEqual(len(self.stages), 2)
        self.assertIn("debian:bookworm ", self.stages[0][0] + " ")
        self.assertIn("debian:bookworm-slim", self.stages[-1][0])

    def test_runtime_stage_is_hardened(self):
        ins = self.stages[-1][1]
        users = [i.split()[1] for i in ins if i.upper().startswith("USER ")]
        self.assertTrue(users and users[-1] not in ("root", "0"))
        self.assertTrue(any(i.upper().startswith("VOLUME") and "/data" in i for i in ins))
        self.assertTrue(any(i.upper().startswith("HEALTHCHECK") and "/healthz" in i for i in ins))

    def test_every_linked_library_is_installed_by_runtime_stage(self):
        runtime = installed_packages(self.stages[-1][1])
        ldd = subprocess.run(["ldd", self.binary], capture_output=True, text=True, check=True).stdout
        self.assertNotIn("not found", ldd)
        paths = {}
        for line in ldd.splitlines():
            m = re.match(r"\s*(\S+) => (\S+)", line)
            if m:
                paths[m.group(1)] = m.group(2)
        needed = re.findall(r"\(NEEDED\).*\[(.+)\]",
                            subprocess.run(["readelf", "-d", self.binary], capture_output=True,
                                           text=True, check=True).stdout)
        self.assertIn("libmicrohttpd.so.12", needed)
        missing = []
        for lib in needed:
            if lib.startswith(("libasan", "libubsan")):
                continue  # sanitizer builds only
            pkg = package_of(paths[lib])
            self.assertIsNotNone(pkg, "no Debian package provides " + lib)
            if pkg not in runtime and pkg not in BASE_IMAGE:
                missing.append("%s (from %s)" % (lib, pkg))
        self.assertEqual(missing, [], "runtime stage lacks packages for: " + ", ".join(missing))


if __name__ == "__main__":
    unittest.main(verbosity=2)
