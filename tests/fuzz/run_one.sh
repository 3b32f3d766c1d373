#!/usr/bin/env bash
# Runs one libFuzzer target: run_one.sh BINARY SECONDS SEED_CORPUS WORK_DIR
# Every seed (the regression inputs included) runs first; then it fuzzes for SECONDS,
# adding new inputs to WORK_DIR/corpus (never to the repository) and writing a crash
# to WORK_DIR/artifacts/. Exit status: libFuzzer's (non-zero on a crash, a leak, a
# timeout of one input, or an out-of-memory). The last line states runs and speed.
set -euo pipefail
bin=$1 seconds=$2 seeds=$3 work=$4
mkdir -p "$work/corpus" "$work/artifacts"
log="$work/last.log"
status=0
# -rss_limit_mb: a target that needs more than 2 GB is a bug; -timeout: one input
# taking 10 s is one too (a regex bomb would).
"$bin" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
       -artifact_prefix="$work/artifacts/" "$work/corpus" "$seeds" >"$log" 2>&1 || status=$?
if [ "$status" -ne 0 ]; then
  tail -n 60 "$log"
  echo "$(basename "$bin"): FAILED (exit $status); reproduce with: $bin $work/artifacts/<file>"
  exit "$status"
fi
runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
speed=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n 1)
corpus=$(find "$work/corpus" -type f | wc -l)
echo "$(basename "$bin"): ${seconds}s, ${runs:-?} runs, ${speed:-?}/s, $(find "$seeds" -type f | wc -l) seeds, $corpus new inputs kept, no crash"
