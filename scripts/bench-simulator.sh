#!/usr/bin/env bash
# Simulator speed benchmark (issue 4): 100,000 ShareGPT requests over 3 round-robin instances of
# sarathi on the built-in A100 Llama-3.1-8B profile at 20 requests/s, pinned to one core.
# Prints the report and the wall and CPU seconds. Usage: scripts/bench-simulator.sh [BUILD_DIR]
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
bin="${1:-$root/build}/ascendra"
trace="$root/../shared/traces/sharegpt_8k.csv"
[[ -x "$bin" ]] || { echo "no $bin: build the ascendra target first"; exit 1; }
[[ -f "$trace" ]] || { echo "trace absent: $trace"; exit 1; }
TIMEFORMAT='wall %R s, user %U s, sys %S s'
time taskset -c 0 "$bin" simulate --profile a100-llama-3.1-8b --trace "$trace" --policy sarathi \
  --instances 3 --qps 20 --num-requests 100000 --seed 0 --ttft-slo-ms 1000 --tbt-slo-ms 150
