#!/usr/bin/env bash
# Simulator vs real CPU engine (issue 4): the ctest test SimVsEngine.* of app_tests, repeated. The
# same scaled Azure-conversation workload (20 requests, lengths x0.05) at about 50% load runs 3 times
# on an Instance with the real CpuBackend on the wall clock, interleaved with profile passes, and in
# the simulator with the PerfModel fitted from those passes; prints the reports and the differences
# in median TTFT and mean TPOT (limit: 15%). Repeats RUNS times (default 3).
#   bash scripts/bench-sim-vs-engine.sh [BUILD_DIR]
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
bin="${1:-$root/build}/tests/app_tests"
[[ -x "$bin" ]] || { echo "no $bin: build the app_tests target first"; exit 1; }
for i in $(seq 1 "${RUNS:-3}"); do
  "$bin" --gtest_filter='SimVsEngine.*' || true
done
