#!/usr/bin/env bash
# make fuzz: runs every fuzz target of BUILD_DIR (default build-fuzz) for FUZZ_SECONDS
# (default 600) at low priority, FUZZ_JOBS (default 2) at a time, each from its seed
# corpus plus what earlier runs kept (BUILD_DIR/fuzz-work/<target>/corpus), then prints
# one line per target: seconds, executions, executions per second, crash or not.
set -uo pipefail
build=${1:-build-fuzz}
seconds=${FUZZ_SECONDS:-600}
jobs=${FUZZ_JOBS:-2}
src=$(cd "$(dirname "$0")" && pwd)
targets=$(cd "$build" && ls fuzz_* 2>/dev/null | grep -v '\.' || true)
[ -n "$targets" ] || { echo "no fuzz targets in $build (make fuzz builds them)"; exit 2; }
results=$(mktemp -d)
for t in $targets; do
  while [ "$(jobs -rp | wc -l)" -ge "$jobs" ]; do sleep 1; done
  ( nice -n 10 bash "$src/run_one.sh" "$build/$t" "$seconds" "$src/corpus/$t" "$build/fuzz-work/$t" \
      >"$results/$t.out" 2>&1; echo $? >"$results/$t.rc" ) &
done
wait
failed=0
for t in $targets; do
  tail -n 1 "$results/$t.out"
  [ "$(cat "$results/$t.rc")" = 0 ] || { failed=1; tail -n 40 "$results/$t.out"; }
done
rm -rf "$results"
exit $failed
