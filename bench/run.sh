#!/usr/bin/env bash
# `make bench`: every benchmark of issue 8 in one run, one table per part.
#
#   bash bench/run.sh BUILD_DIR
#
# Builds nothing (make bench builds first). Starts its own emulators, redis-server,
# servers and bench_hello on free loopback ports and stops every one of them, whatever
# happens. The whole report also goes to BUILD_DIR/bench-results.md.
# Environment: BENCH_PARTS (default "rules sync engine http emulator"), BENCH_MODES (default
# "extended,development"), BENCH_HTTP_DURATION (seconds per wrk run, default 10).
set -uo pipefail

BUILD=$(cd "${1:?usage: bench/run.sh BUILD_DIR}" && pwd)
HERE=$(cd "$(dirname "$0")" && pwd)
PARTS=${BENCH_PARTS:-rules sync engine http emulator}
MODES=${BENCH_MODES:-extended,development}
OUT="$BUILD/bench-results.md"

missing=()
for bin in playrouter spotify-emulator musicbrainz-emulator bench_hello bench_rules; do
  [ -x "$BUILD/$bin" ] || missing+=("$BUILD/$bin")
done
for tool in python3 wrk redis-server; do
  command -v "$tool" >/dev/null || missing+=("$tool")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "bench: missing ${missing[*]} (run scripts/install-deps.sh and make build)" >&2
  exit 1
fi

CHILD=""
cleanup() {
  if [ -n "$CHILD" ] && kill -0 "$CHILD" 2>/dev/null; then
    kill -TERM "$CHILD" 2>/dev/null
    wait "$CHILD" 2>/dev/null
  fi
  CHILD=""
}
trap cleanup EXIT
trap 'echo "bench: interrupted" >&2; exit 130' INT
trap 'exit 143' TERM

# Runs one part in the background (so a signal reaches our trap at once) and waits.
run_part() {
  "$@" &
  CHILD=$!
  wait "$CHILD"
  local rc=$?
  CHILD=""
  return $rc
}

: >"$OUT"
say() { printf '%s\n' "$*" | tee -a "$OUT"; }

START=$(date +%s)
say "# playrouter benchmarks"
say ""
say "- date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
say "- machine: $(nproc) cores, $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1), $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), Linux $(uname -r)"
say "- build: $BUILD ($(sed -n 's/^CMAKE_BUILD_TYPE:STRING=//p' "$BUILD/CMakeCache.txt" 2>/dev/null)), commit $(git -C "$HERE/.." rev-parse --short HEAD 2>/dev/null || echo '?')$(git -C "$HERE/.." diff --quiet 2>/dev/null || echo ' + uncommitted changes')"
say "- load average at start: $(cut -d' ' -f1-3 /proc/loadavg) (other work on the machine slows wall times and the HTTP figures)"
say "- tools: $(wrk --version 2>&1 | head -1 | cut -d' ' -f1-2), $(redis-server --version | cut -d' ' -f1-3), $(python3 --version)"

status=0
for part in $PARTS; do
  case "$part" in
  rules)
    say ""
    say "## Rules: build/bench_rules (one core)"
    say ""
    tmp=$(mktemp)
    run_part "$BUILD/bench_rules" >"$tmp" 2>&1 || status=1
    { echo '```'; cat "$tmp"; echo '```'; } | tee -a "$OUT"
    rate=$(sed -n 's/.*= *\([0-9.]*\) million evaluations\/s.*/\1/p' "$tmp" | head -1)
    rm -f "$tmp"
    if [ -n "$rate" ]; then
      verdict=$(awk -v r="$rate" 'BEGIN { print (r >= 5) ? "PASS" : "**MISS**" }')
      say ""
      say "bar: >= 5 million track-rule evaluations/s: $verdict ($rate million/s)"
    else
      say "bar: >= 5 million track-rule evaluations/s: **MISS** (no figure printed)"
      status=1
    fi
    ;;
  sync)
    say ""
    say "## Sync: scenario S1 against the emulator (both API modes)"
    say ""
    tmp=$(mktemp)
    run_part python3 -B "$HERE/sync_bench.py" --build "$BUILD" --modes "$MODES" \
      --json "$BUILD/bench-sync.json" >"$tmp" || status=1
    tee -a "$OUT" <"$tmp"
    rm -f "$tmp"
    ;;
  engine)
    say ""
    say "## Sync engine: auto-sync pass and the queue (bench/engine_bench.py)"
    say ""
    tmp=$(mktemp)
    run_part python3 -B "$HERE/engine_bench.py" --build "$BUILD" >"$tmp" || status=1
    tee -a "$OUT" <"$tmp"
    rm -f "$tmp"
    ;;
  http)
    say ""
    say "## HTTP: server vs bare libmicrohttpd"
    say ""
    tmp=$(mktemp)
    run_part bash "$HERE/http_bench.sh" "$BUILD" >"$tmp" || status=1
    tee -a "$OUT" <"$tmp"
    rm -f "$tmp"
    ;;
  emulator)
    # The emulator must never be the bottleneck of the figures above.
    say ""
    say "## Emulator: tools/spotify-emulator/bench.sh (5 s)"
    say ""
    tmp=$(mktemp)
    if [ -f "$HERE/../tools/spotify-emulator/bench.sh" ]; then
      run_part bash "$HERE/../tools/spotify-emulator/bench.sh" "$BUILD" 5 >"$tmp" 2>&1 || status=1
      { echo '```'; grep -E '^(spotify-emulator bench|Requests/sec)' "$tmp"; echo '```'; } | tee -a "$OUT"
      rps=$(sed -n 's/^requests\/s: *\([0-9.]*\).*/\1/p' "$tmp" | head -1)
      if [ -n "$rps" ]; then
        say ""
        say "bar: emulator >= 10,000 playlist-item pages/s: $(awk -v r="$rps" 'BEGIN { print (r >= 10000) ? "PASS" : "**MISS**" }') ($rps/s)"
      else
        cat "$tmp" >&2
        say "bar: emulator >= 10,000 playlist-item pages/s: **MISS** (no figure)"
      fi
    else
      say "(tools/spotify-emulator/bench.sh is missing)"
    fi
    rm -f "$tmp"
    ;;
  *)
    echo "bench: unknown part '$part' (rules, sync, engine, http, emulator)" >&2
    status=2
    ;;
  esac
done

say ""
say "_total bench time: $(( $(date +%s) - START )) s; a bar marked MISS was missed, not tuned away._"
echo "bench: report written to $OUT" >&2
# Missed bars are results, not failures; a part that could not run is a failure.
exit $status
