#!/usr/bin/env bash
# Side-by-side capacity of llama.cpp's llama-server and `ascendra serve` on the same GGUF, the same
# thread count and the same `ascendra bench` sweep. Prints both capacities (the rate where SLO
# attainment crosses 90%) and their ratio.
#
# Usage: scripts/compare-llama-server.sh [--only llama|ascendra] [--out DIR]
# Environment (defaults in brackets):
#   MODEL [models/SmolLM2-135M-Instruct.Q4_1.gguf]   THREADS [2]
#   TRACE [../shared/traces/sharegpt_8k.csv]          SWEEP [0.5:2:0.5]   NUM_REQUESTS [40]
#   LENGTH_SCALE [0.1]  MAX_PROMPT [512]  MAX_OUTPUT [64]  TTFT_SLO_MS [2000]  TBT_SLO_MS [200]
#   PARALLEL [4] (llama-server slots)  CTX [8192] (llama-server total context)
#   ASCENDRA [build/ascendra, else the newest build*/ascendra]   PORT_LLAMA [18081]  PORT_ASC [18082]
#   SERVE_ARGS [] extra arguments for `ascendra serve`
#   LLAMA_BIN [] a directory holding a llama-server binary to use instead of building one
#   LLAMA_ARGS [--no-repack] extra arguments for llama-server. --no-repack keeps ggml off its AMX
#     repacked kernels: with GGML_NATIVE on an AMX-capable CPU whose kernel/VM does not grant AMX
#     tile state (this sandbox), llama-server dies with SIGILL in tinygemm_kernel_amx at warm-up.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
only=""
out="$root/.cache/compare-llama-server"
while [ $# -gt 0 ]; do
  case "$1" in
    --only) only="$2"; shift 2 ;;
    --out) out="$2"; shift 2 ;;
    *) echo "unknown argument $1" >&2; exit 2 ;;
  esac
done
MODEL="${MODEL:-models/SmolLM2-135M-Instruct.Q4_1.gguf}"
THREADS="${THREADS:-2}"
TRACE="${TRACE:-$root/../shared/traces/sharegpt_8k.csv}"
SWEEP="${SWEEP:-0.5:2:0.5}"
NUM_REQUESTS="${NUM_REQUESTS:-40}"
LENGTH_SCALE="${LENGTH_SCALE:-0.1}"
MAX_PROMPT="${MAX_PROMPT:-512}"
MAX_OUTPUT="${MAX_OUTPUT:-64}"
TTFT_SLO_MS="${TTFT_SLO_MS:-2000}"
TBT_SLO_MS="${TBT_SLO_MS:-200}"
PARALLEL="${PARALLEL:-4}"
CTX="${CTX:-8192}"
PORT_LLAMA="${PORT_LLAMA:-18081}"
PORT_ASC="${PORT_ASC:-18082}"
mkdir -p "$out"

source "$root/scripts/lib-servers.sh"
ascendra="$(find_ascendra)"
check_inputs "$MODEL" "$TRACE"


run_sweep() {  # name, url
  local name="$1" url="$2"
  echo "== $name: $ascendra bench --url $url --sweep $SWEEP" >&2
  "$ascendra" bench --url "$url" --trace "$TRACE" --endpoint completions --sweep "$SWEEP" \
    --num-requests "$NUM_REQUESTS" --seed 1 --length-scale "$LENGTH_SCALE" \
    --max-prompt-tokens "$MAX_PROMPT" --max-output-tokens "$MAX_OUTPUT" \
    --ttft-slo-ms "$TTFT_SLO_MS" --tbt-slo-ms "$TBT_SLO_MS" --no-progress \
    --json "$out/$name.json" --per-request "$out/$name.csv" > "$out/$name.txt"
  tail -n 12 "$out/$name.txt" >&2
}

if [ "$only" != "ascendra" ]; then
  # A llama.cpp build may already be running (started by another script, into build or build-*):
  # wait for it to end rather than start a second one; build-llama-cpp.sh then reuses its result.
  llama_build="$root/.cache/llama.cpp/build"
  for ((i = 0; i < 720; i++)); do
    pgrep -f "cmake --build $llama_build" >/dev/null 2>&1 || break
    [ "$i" -eq 0 ] && echo "waiting for the running llama.cpp build..." >&2
    sleep 5
  done
  if [ -n "${LLAMA_BIN:-}" ]; then bin="$LLAMA_BIN"
  else bin="$("$root/scripts/build-llama-cpp.sh" | tail -n 1)"; fi
  # shellcheck disable=SC2086
  "$bin/llama-server" -m "$MODEL" --host 127.0.0.1 --port "$PORT_LLAMA" --threads "$THREADS" \
    --parallel "$PARALLEL" -c "$CTX" ${LLAMA_ARGS---no-repack} > "$out/llama-server.log" 2>&1 &
  server_pid=$!
  wait_ready "http://127.0.0.1:$PORT_LLAMA" "$server_pid" 120
  run_sweep llama-server "http://127.0.0.1:$PORT_LLAMA"
  cleanup; server_pid=""
fi
if [ "$only" != "llama" ]; then
  # shellcheck disable=SC2086
  "$ascendra" serve -m "$MODEL" --host 127.0.0.1 --port "$PORT_ASC" --threads "$THREADS" \
    --ttft-slo-ms "$TTFT_SLO_MS" --tbt-slo-ms "$TBT_SLO_MS" ${SERVE_ARGS:-} > "$out/ascendra-serve.log" 2>&1 &
  server_pid=$!
  wait_ready "http://127.0.0.1:$PORT_ASC" "$server_pid" 120
  run_sweep ascendra "http://127.0.0.1:$PORT_ASC"
  cleanup; server_pid=""
fi

python3 - "$out" <<'PY'
import json, os, sys
out = sys.argv[1]
caps = {}
for name in ("llama-server", "ascendra"):
    path = os.path.join(out, name + ".json")
    if os.path.exists(path):
        with open(path) as f:
            caps[name] = json.load(f).get("capacity_qps_90")
fmt = lambda c: "n/a (no 90% crossing in the sweep)" if c is None else f"{c:.3f} req/s"
for name, cap in caps.items():
    print(f"{name:>12} capacity@90%: {fmt(cap)}")
if caps.get("llama-server") and caps.get("ascendra"):
    print(f"ratio ascendra / llama-server: {caps['ascendra'] / caps['llama-server']:.2f}")
print(f"reports: {out}")
PY
