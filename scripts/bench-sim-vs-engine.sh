#!/usr/bin/env bash
# Simulator vs real CPU engine (issue 4): the same scaled Azure-conversation workload (20 requests,
# lengths x0.05) at about 50% load runs on an Instance with the real CpuBackend on the wall clock and
# in the simulator with a PerfModel profiled in the same run; prints both reports and the differences
# in median TTFT and mean TPOT (target: within 15%). Repeats RUNS times (default 3).
#   bash scripts/bench-sim-vs-engine.sh [BUILD_DIR]
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
bin="${1:-$root/build}/tests/sim_vs_engine_bench"
[[ -x "$bin" ]] || { echo "no $bin: build the sim_vs_engine_bench target first"; exit 1; }
for i in $(seq 1 "${RUNS:-3}"); do
  "$bin" || true
done
