#!/usr/bin/env bash
# `make run`: starts playrouter. With no SPOTIFY_CLIENT_ID it starts the bundled
# Spotify emulator (demo catalogue) beside the server and points the server at it, and
# (unless PLAYROUTER_MUSICBRAINZ_BASE is set) the MusicBrainz emulator over the same
# catalogue, so that genre rules work in development mode too.
# Exits with the server's status: a port in use is an error, not a silent exit 0.
set -euo pipefail
BUILD=${1:-build}
EMU_PID=""
MB_PID=""
SRV_PID=""
TMP=$(mktemp -d)
cleanup() {
  for pid in $SRV_PID $EMU_PID $MB_PID; do
    kill -TERM "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# wait_listening FILE PID NAME: the "listening on URL" line a process prints, or exit 1.
wait_listening() {
  for _ in $(seq 1 300); do
    if grep -q '^listening on ' "$1"; then sed -n 's/^listening on //p' "$1" | head -n1; return 0; fi
    kill -0 "$2" 2>/dev/null || return 1
    sleep 0.1
  done
  return 1
}

DEMO=""
RESET_NOTE=""
if [ -z "${SPOTIFY_CLIENT_ID:-}" ]; then
  DEMO=1
  mkdir -p -m 700 data
  # The emulator starts from its demo catalogue every time: playlists the last run
  # created on it are gone. A database that still points at them would fail with
  # "playlist not found", so the demo database starts afresh too, and we say so.
  DB=${PLAYROUTER_DB:-./data/playrouter.db}
  if [ -e "$DB" ]; then
    for f in "$DB" "$DB-wal" "$DB-shm"; do
      if [ -e "$f" ]; then mv -f "$f" "$f.previous"; fi
    done
    RESET_NOTE="  Demo mode starts afresh each time (the emulator keeps nothing between runs):
  the last run's database was moved to $DB.previous.
"
  fi
  "$BUILD/spotify-emulator" --port 0 --mode "${SPOTIFY_API_MODE:-development}" \
      --redirect-uri "http://127.0.0.1:*/api/auth/callback" \
      >"$TMP/emu.out" 2>data/spotify-emulator.log &
  EMU_PID=$!
  EMU=$(wait_listening "$TMP/emu.out" "$EMU_PID" emulator) ||
    { echo "run: the Spotify emulator did not start (see data/spotify-emulator.log)" >&2; exit 1; }
  export SPOTIFY_API_BASE="$EMU/v1" SPOTIFY_ACCOUNTS_BASE="$EMU"
  export SPOTIFY_CLIENT_ID=emulator-client-id SPOTIFY_CLIENT_SECRET=emulator-client-secret
  if [ -z "${PLAYROUTER_MUSICBRAINZ_BASE:-}" ]; then
    # The same (default) generator flags as the Spotify emulator: the same catalogue.
    "$BUILD/musicbrainz-emulator" --port 0 >"$TMP/mb.out" 2>data/musicbrainz-emulator.log &
    MB_PID=$!
    MB=$(wait_listening "$TMP/mb.out" "$MB_PID" musicbrainz) ||
      { echo "run: the MusicBrainz emulator did not start (see data/musicbrainz-emulator.log)" >&2; exit 1; }
    export PLAYROUTER_MUSICBRAINZ_BASE="$MB/ws/2"
    export PLAYROUTER_CONTACT="${PLAYROUTER_CONTACT:-make-run-demo@playrouter.invalid}"
  fi
fi

"$BUILD/playrouter" >"$TMP/srv.out" &
SRV_PID=$!
if ! API=$(wait_listening "$TMP/srv.out" "$SRV_PID" playrouter); then
  status=0; wait "$SRV_PID" || status=$?; SRV_PID=""
  echo "run: playrouter did not start (exit status $status; its message is above)" >&2
  exit $(( status ? status : 1 ))
fi

if [ -n "$DEMO" ]; then
  cat <<MSG

  playrouter is listening on $API (demo mode: no SPOTIFY_CLIENT_ID, so it talks to
  the bundled Spotify emulator at $EMU; user "demo", base playlist "Everything I
  like", id fdvaiSC7EBuaE29215mRQE, 500 entries; emulator log in data/spotify-emulator.log).
  Genres come from MusicBrainz: ${PLAYROUTER_MUSICBRAINZ_BASE:-off} (at most one request a
  second, so the first sync with a genre rule takes about 15 s; later ones ask nothing).

  Sign in (the emulator approves at once) and keep the session token:
    TOKEN=\$(curl -sL $API/api/auth/login | python3 -c 'import sys,json; print(json.load(sys.stdin)["token"])')
  Add the base playlist and a child for the 90s:
    BASE=\$(curl -s -H "Authorization: Bearer \$TOKEN" -d '{"spotify_playlist_id":"fdvaiSC7EBuaE29215mRQE"}' $API/api/base-playlists | python3 -c 'import sys,json; print(json.load(sys.stdin)["id"])')
    curl -s -H "Authorization: Bearer \$TOKEN" -d '{"name":"90s","filter":{"field":"release_year","op":"between","value":[1990,1999]}}' $API/api/base-playlists/\$BASE/child-playlists
  And indie rock from the 90s (genres from MusicBrainz, in development mode too):
    curl -s -H "Authorization: Bearer \$TOKEN" -d '{"name":"Indie rock from the 90s","filter":{"all":[{"field":"genre","op":"in","value":["indie rock","alternative rock","garage rock","post-punk","shoegaze","dream pop"]},{"field":"release_year","op":"between","value":[1990,1999]}]}}' $API/api/base-playlists/\$BASE/child-playlists
  Sync, then look at the event:
    curl -s -X POST -H "Authorization: Bearer \$TOKEN" $API/api/base-playlists/\$BASE/sync
  Or run all of that at once (safe to repeat): bash scripts/demo.sh $API

  Ctrl-C stops the server and the emulator.
${RESET_NOTE:-}
MSG
else
  echo "playrouter is listening on $API"
fi

status=0
wait "$SRV_PID" || status=$?
SRV_PID=""
exit "$status"
