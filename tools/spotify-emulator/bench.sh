#!/usr/bin/env bash
# Measures GET /v1/playlists/{id}/items throughput of the emulator with wrk.
#
#   tools/spotify-emulator/bench.sh BUILD_DIR [SECONDS] [CONNECTIONS] [LIMIT]
#
# Starts BUILD_DIR/spotify-emulator on a free port (development mode, a 1000-entry
# playlist), takes a token from the admin API, runs wrk against pages of LIMIT
# (default 50) entries at rotating offsets, prints the figure and stops the
# emulator with SIGTERM. Exit status: non-zero when anything failed, or when any
# non-2xx answer was seen.
set -euo pipefail

BUILD=${1:?usage: bench.sh BUILD_DIR [SECONDS] [CONNECTIONS] [LIMIT]}
SECS=${2:-10}
CONNS=${3:-64}
LIMIT=${4:-50}
BIN="$BUILD/spotify-emulator"
command -v wrk >/dev/null || { echo "bench.sh: wrk is not installed" >&2; exit 1; }
[ -x "$BIN" ] || { echo "bench.sh: no $BIN (build it first)" >&2; exit 1; }

WORK=$(mktemp -d)
EMU_PID=
cleanup() {
    if [ -n "$EMU_PID" ] && kill -0 "$EMU_PID" 2>/dev/null; then
        kill -TERM "$EMU_PID"
        wait "$EMU_PID" || true
    fi
    rm -rf "$WORK"
}
trap cleanup EXIT

mkfifo "$WORK/out"
"$BIN" --port 0 --no-demo --playlist demo:bench:1000 --threads "${EMU_THREADS:-2}" \
    >"$WORK/out" 2>"$WORK/err" &
EMU_PID=$!
exec 3<"$WORK/out"
read -r -t 30 LINE <&3 || { echo "bench.sh: emulator did not start:" >&2; cat "$WORK/err" >&2; exit 1; }
BASE=${LINE#listening on }

read -r TOKEN PID < <(python3 - "$BASE" <<'EOF'
import json, sys, urllib.request
base = sys.argv[1]
def call(method, path, body=None):
    req = urllib.request.Request(base + "/__admin" + path, method=method,
                                 data=json.dumps(body).encode() if body is not None else None)
    return json.load(urllib.request.urlopen(req))
tok = call("POST", "/tokens", {"user": "demo"})["access_token"]
pid = next(p["id"] for p in call("GET", "/playlists?owner=demo")["playlists"] if p["name"] == "bench")
print(tok, pid)
EOF
)

cat >"$WORK/pages.lua" <<EOF
-- every request asks for another page of the playlist
local n = 0
request = function()
    n = n + 1
    local offset = ((n * 7) % 20) * $LIMIT
    return wrk.format("GET", "/v1/playlists/$PID/items?offset=" .. offset .. "&limit=$LIMIT")
end
EOF

echo "spotify-emulator bench: GET /v1/playlists/{id}/items?limit=$LIMIT, ${SECS}s, $CONNS connections"
wrk -t2 -c"$CONNS" -d"${SECS}s" -H "Authorization: Bearer $TOKEN" -s "$WORK/pages.lua" \
    "$BASE" | tee "$WORK/wrk.txt"
RPS=$(awk '/^Requests\/sec:/ {print $2}' "$WORK/wrk.txt")
if grep -q "Non-2xx" "$WORK/wrk.txt"; then
    echo "bench.sh: some answers were not 2xx" >&2
    exit 1
fi
echo "requests/s: $RPS"
