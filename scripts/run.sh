#!/usr/bin/env bash
# `make run`: starts playrouter. With no SPOTIFY_CLIENT_ID it starts the bundled
# Spotify emulator (demo catalogue) beside the server and points the server at it.
set -euo pipefail
BUILD=${1:-build}
PORT=${PLAYROUTER_PORT:-8080}
EMU_PID=""
cleanup() {
  if [ -n "$EMU_PID" ]; then kill "$EMU_PID" 2>/dev/null || true; wait "$EMU_PID" 2>/dev/null || true; fi
}
trap cleanup EXIT

if [ -z "${SPOTIFY_CLIENT_ID:-}" ]; then
  mkdir -p data
  EMU_OUT=$(mktemp)
  "$BUILD/spotify-emulator" --port 0 --mode "${SPOTIFY_API_MODE:-development}" \
      --redirect-uri "http://127.0.0.1:$PORT/api/auth/callback" \
      >"$EMU_OUT" 2>data/spotify-emulator.log &
  EMU_PID=$!
  for _ in $(seq 1 100); do
    grep -q '^listening on ' "$EMU_OUT" && break
    kill -0 "$EMU_PID" 2>/dev/null || { echo "run: the emulator did not start (see data/spotify-emulator.log)" >&2; exit 1; }
    sleep 0.1
  done
  EMU=$(sed -n 's/^listening on //p' "$EMU_OUT" | head -n1)
  rm -f "$EMU_OUT"
  [ -n "$EMU" ] || { echo "run: the emulator did not start" >&2; exit 1; }
  export SPOTIFY_API_BASE="$EMU/v1" SPOTIFY_ACCOUNTS_BASE="$EMU"
  export SPOTIFY_CLIENT_ID=emulator-client-id SPOTIFY_CLIENT_SECRET=emulator-client-secret
  export SPOTIFY_REDIRECT_URI="http://127.0.0.1:$PORT/api/auth/callback"
  API="http://127.0.0.1:$PORT"
  cat <<MSG

  Demo mode: no SPOTIFY_CLIENT_ID, so playrouter talks to the bundled Spotify
  emulator at $EMU (user "demo", base playlist "Everything I like",
  id fdvaiSC7EBuaE29215mRQE, 500 entries; logs in data/spotify-emulator.log).

  Sign in (the emulator approves at once) and keep the session token:
    TOKEN=\$(curl -sL $API/api/auth/login | python3 -c 'import sys,json; print(json.load(sys.stdin)["token"])')
  Add the base playlist and a child for the 90s:
    BASE=\$(curl -s -H "Authorization: Bearer \$TOKEN" -d '{"spotify_playlist_id":"fdvaiSC7EBuaE29215mRQE"}' $API/api/base-playlists | python3 -c 'import sys,json; print(json.load(sys.stdin)["id"])')
    curl -s -H "Authorization: Bearer \$TOKEN" -d '{"name":"90s","filter":{"field":"release_year","op":"between","value":[1990,1999]}}' $API/api/base-playlists/\$BASE/child-playlists
  Sync, then look at the event:
    curl -s -X POST -H "Authorization: Bearer \$TOKEN" $API/api/base-playlists/\$BASE/sync
  Or run all of that at once: bash scripts/demo.sh $API

MSG
fi

export PLAYROUTER_PORT="$PORT"
"$BUILD/playrouter" &
SRV_PID=$!
trap 'kill -TERM $SRV_PID 2>/dev/null || true' INT TERM
wait "$SRV_PID" || true
wait "$SRV_PID" 2>/dev/null || true
