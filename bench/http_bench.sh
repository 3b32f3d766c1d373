#!/usr/bin/env bash
# HTTP bench: wrk against the server's GET /api/base-playlists/{id}/sync-status (with a
# valid JWT) and against bench_hello (a bare libmicrohttpd hello-world with the same
# threading model), in the same run; prints requests/s, p50, p99 and the ratio
# server/hello with the >= 0.5 bar. BENCH_HTTP_ROUNDS (default 2) rounds alternate the
# two targets; the best round of each is compared (the machine may be shared).
#
# Usage: bash bench/http_bench.sh BUILD_DIR [DURATION_S]
# It starts (and stops) the emulator, the server and bench_hello itself: the server
# side is set up by `sync_bench.py --serve-http` (sign-in, one base playlist).
set -euo pipefail

BUILD=$(cd "${1:?usage: http_bench.sh BUILD_DIR [DURATION_S]}" && pwd)
DURATION=${2:-${BENCH_HTTP_DURATION:-10}}
ROUNDS=${BENCH_HTTP_ROUNDS:-2}
HERE=$(cd "$(dirname "$0")" && pwd)
WRK_ARGS=(-t2 -c64 "-d${DURATION}s" --latency -s "$HERE/wrk_auth.lua")

for bin in playrouter spotify-emulator bench_hello; do
  [ -x "$BUILD/$bin" ] || { echo "http_bench: $BUILD/$bin is missing (make build first)" >&2; exit 1; }
done
command -v wrk >/dev/null || { echo "http_bench: wrk is not installed (scripts/install-deps.sh)" >&2; exit 1; }

TMP=$(mktemp -d -t playrouter-http-bench.XXXXXX)
PIDS=()
cleanup() {
  local p
  for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# The server side: emulator + server + a signed-in user with one base playlist.
python3 -B "$HERE/sync_bench.py" --build "$BUILD" --serve-http "$TMP/server.json" \
  >"$TMP/serve.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 1 600); do
  [ -s "$TMP/server.json" ] && break
  kill -0 "${PIDS[0]}" 2>/dev/null || { echo "http_bench: server setup failed:" >&2; cat "$TMP/serve.log" >&2; exit 1; }
  sleep 0.1
done
[ -s "$TMP/server.json" ] || { echo "http_bench: server setup timed out" >&2; cat "$TMP/serve.log" >&2; exit 1; }
read -r SERVER_URL TOKEN THREADS < <(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d["url"], d["token"], d["threads"])' "$TMP/server.json")

# The baseline, with the same number of threads as the server.
"$BUILD/bench_hello" --threads "$THREADS" >"$TMP/hello.out" 2>&1 &
PIDS+=($!)
for _ in $(seq 1 100); do grep -q '^listening on ' "$TMP/hello.out" && break; sleep 0.05; done
HELLO_URL=$(sed -n 's/^listening on //p' "$TMP/hello.out" | head -1)
[ -n "$HELLO_URL" ] || { echo "http_bench: bench_hello did not start" >&2; cat "$TMP/hello.out" >&2; exit 1; }

LOAD0=$(cut -d' ' -f1-3 /proc/loadavg)
# Check the server answers 200 with the token before measuring.
code=$(python3 - "$SERVER_URL" "$TOKEN" <<'EOF2'
import sys, urllib.request, urllib.error
req = urllib.request.Request(sys.argv[1], headers={"Authorization": "Bearer " + sys.argv[2]})
try:
    print(urllib.request.urlopen(req, timeout=10).status)
except urllib.error.HTTPError as e:
    print(e.code)
except Exception as e:
    print("no answer (%s)" % e)
EOF2
)
[ "$code" = 200 ] || { echo "http_bench: $SERVER_URL answered $code, not 200" >&2; exit 1; }

run_wrk() { # name url token
  local out="$TMP/wrk-$1.txt"
  WRK_TOKEN="$3" wrk "${WRK_ARGS[@]}" "$2" >"$out" 2>&1 || { cat "$out" >&2; return 1; }
  sed -n 's/^WRK_RESULT //p' "$out"
}

# Warm-up (2 s each, not reported), then ROUNDS measured rounds, server and hello back
# to back in each; the best round of each (highest requests/s) makes the ratio.
WRK_TOKEN="$TOKEN" wrk -t2 -c64 -d2s -s "$HERE/wrk_auth.lua" "$SERVER_URL" >/dev/null 2>&1 || true
WRK_TOKEN="" wrk -t2 -c64 -d2s -s "$HERE/wrk_auth.lua" "$HELLO_URL" >/dev/null 2>&1 || true
SRV=()
HEL=()
for r in $(seq 1 "$ROUNDS"); do
  SRV+=("$(run_wrk "server-$r" "$SERVER_URL" "$TOKEN")")
  HEL+=("$(run_wrk "hello-$r" "$HELLO_URL" "")")
  if [ -z "${SRV[-1]}" ] || [ -z "${HEL[-1]}" ]; then
    echo "http_bench: wrk printed no result" >&2
    exit 1
  fi
done

python3 - "$THREADS" "$DURATION" "$LOAD0" "$(cut -d' ' -f1-3 /proc/loadavg)" "${SRV[@]}" "${HEL[@]}" <<'EOF2'
import sys
def parse(s):
    return {k: float(v) for k, v in (kv.split("=", 1) for kv in s.split())}
threads, dur, load0, load1 = sys.argv[1:5]
runs = sys.argv[5:]
n = len(runs) // 2
srv_runs, hel_runs = [parse(x) for x in runs[:n]], [parse(x) for x in runs[n:]]
srv = max(srv_runs, key=lambda r: r["rps"])
hel = max(hel_runs, key=lambda r: r["rps"])
ratio = srv["rps"] / hel["rps"] if hel["rps"] else 0.0
print("wrk -t2 -c64 -d%ss --latency, %s server threads (bench_hello the same), %d rounds "
      "(server then hello in each), best round of each; load average %s before, %s after"
      % (dur, threads, n, load0, load1))
print("")
print("| target | requests/s | p50 | p99 | errors | non-2xx | all rounds (req/s) |")
print("|---|---:|---:|---:|---:|---:|---|")
for name, r, all_ in (("GET /api/base-playlists/{id}/sync-status (JWT)", srv, srv_runs),
                      ("bench_hello (bare libmicrohttpd)", hel, hel_runs)):
    print("| %s | %.0f | %.2f ms | %.2f ms | %d | %d | %s |" % (
        name, r["rps"], r["p50_us"] / 1000, r["p99_us"] / 1000, r["errors"], r["non2xx"],
        ", ".join("%.0f" % x["rps"] for x in all_)))
ok = ratio >= 0.5 and all(x["non2xx"] == 0 for x in srv_runs)
print("| **server / hello** | **%.2f** | %.2f | %.2f | | | |" % (
    ratio, srv["p50_us"] / hel["p50_us"] if hel["p50_us"] else 0,
    srv["p99_us"] / hel["p99_us"] if hel["p99_us"] else 0))
print("")
print("bar: requests/s ratio >= 0.5 (and every answer 2xx): %s (%.2f)" % (
    "PASS" if ok else "**MISS**", ratio))
EOF2
