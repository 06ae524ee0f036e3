#!/usr/bin/env bash
# Benchmark smoke run: a few seconds of every scenario against a debug build, with the ceiling,
# 200 complaints in one matter, a 30-day clock jump over 100 neglected orders (timers),
# a tiny seeded data dir (`bench seed`) for the report, read and timers scenarios, and a small
# replay of the heating season's first day, and a small outage burst (300 calls from one
# community under a published notice).
# No thresholds: it fails only when the bench itself fails (server does not start, a scenario
# cannot run, the JSON is not written). The figures worth recording come from a release build;
# see BENCHMARKS.md.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
bin="${REXIAN_BIN:-${CARGO_TARGET_DIR:-$root/target}/debug/rexian}"
if [ ! -x "$bin" ]; then
  cargo build -j"${CARGO_BUILD_JOBS:-2}" -p rexian
fi
out=$(mktemp -d /tmp/rexian-bench-smoke.XXXXXX)
trap 'rm -rf "$out"' EXIT
# The smoke run is on SQLite even when the caller's environment names a PostgreSQL.
env -u DATABASE_URL "$bin" bench \
  --scenarios intake,life,read,matter --matter-complaints 200 \
  --concurrency 4 --duration 1 --ceiling-seconds 0.3 --read-orders 40 \
  --json "$out/bench.json"
test -s "$out/bench.json"
# A tiny seeded data dir, then the monthly KPI, reads and idle sweeps on it.
env -u DATABASE_URL "$bin" bench seed --orders 2000 --batch 500 --data-dir "$out/seeded"
env -u DATABASE_URL "$bin" bench --data-dir "$out/seeded" \
  --scenarios report,read,timers --neglected 100 \
  --concurrency 4 --duration 1 --ceiling-seconds 0 \
  --json "$out/seeded.json"
test -s "$out/seeded.json"
# The heating-season peak day, scaled down: 300 calls (127 in the 07:00-09:00 peak) at 3000x, so
# that the simulated day and the next morning's callbacks (about 35 simulated hours) take ~40 s.
env -u DATABASE_URL "$bin" bench --scenarios replay \
  --replay-calls 300 --replay-speed 3000 --concurrency 8 --ceiling-seconds 0 \
  --json "$out/replay.json"
test -s "$out/replay.json"
env -u DATABASE_URL "$bin" bench --scenarios outage \
  --outage-calls 300 --replay-speed 2000 --concurrency 8 --ceiling-seconds 0 \
  --json "$out/outage.json"
test -s "$out/outage.json"
env -u DATABASE_URL "$bin" bench --scenarios peak \
  --concurrency 16 --duration 1 --ceiling-seconds 0 \
  --json "$out/peak.json"
test -s "$out/peak.json"
echo "bench smoke: ok"
