#!/usr/bin/env bash
# Installs every build, test and benchmark dependency from Debian packages.
# Safe to run twice: it installs only what is missing.
set -euo pipefail

PKGS=(build-essential cmake pkg-config clang libclang-rt-14-dev
      libmicrohttpd-dev libsqlite3-dev libcurl4-openssl-dev libjansson-dev
      libhiredis-dev libjwt-dev libssl-dev libcmocka-dev libre2-dev
      redis-server python3 sqlite3 wrk procps
      chromium)  # the web app's browser tests (tests/browser: playwright-core drives it)

missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# Node.js and npm for the browser tests: Debian's, unless a Node.js is installed
# already (a NodeSource nodejs brings its own npm; Debian's npm would conflict with it).
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  command -v node >/dev/null || missing+=(nodejs)
  command -v npm >/dev/null || missing+=(npm)
fi
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: everything is installed"
  exit 0
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
echo "install-deps: installing ${missing[*]}"
if ! $SUDO apt-get install -y --no-install-recommends "${missing[@]}"; then
  $SUDO apt-get update
  $SUDO apt-get install -y --no-install-recommends "${missing[@]}"
fi
