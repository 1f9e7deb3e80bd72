#!/usr/bin/env bash
# bench-engine.sh: ascendra's CPU engine against llama.cpp on the same GGUF and thread count, run one
# after the other (never concurrently): prompt processing tok/s (512-token prompt), decode tok/s of
# one sequence, aggregate decode tok/s of 16 concurrent sequences, the ratios ascendra/llama.cpp,
# and the peak RSS of `ascendra generate`.
#   llama.cpp side: llama-bench (pp512, tg) and llama-server -np 16 with 16 concurrent /completion
#   requests (aggregate decode); ascendra side: engine/cpu/tools/bench_engine and ascendra generate.
# Usage: [BUILD_DIR=DIR] [LLAMA_BIN=DIR] scripts/bench-engine.sh [--threads N] [--model FILE] [--decode-tokens N]
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
model="$root/models/SmolLM2-135M-Instruct.Q4_1.gguf"
threads="$(nproc)"
ntg=32
conc=16
port="${PORT:-18093}"
while [ $# -gt 0 ]; do
  case "$1" in
    --threads) threads="$2"; shift 2 ;;
    --model) model="$2"; shift 2 ;;
    --decode-tokens) ntg="$2"; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
build="${BUILD_DIR:-$root/build-bench}"  # BUILD_DIR: reuse an existing Release build
echo "== building ascendra (Release) in $build" >&2
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release -DASCENDRA_CUDA=OFF -DASCENDRA_TESTS=OFF >/dev/null
cmake --build "$build" --target bench_engine -j2 >&2
have_ascendra=1
cmake --build "$build" --target ascendra -j2 >&2 || have_ascendra=0
# LLAMA_BIN: an existing llama.cpp bin dir; otherwise scripts/build-llama-cpp.sh (waiting for a build
# already in progress instead of starting a second one).
if [ -n "${LLAMA_BIN:-}" ]; then
  bin="$LLAMA_BIN"
else
  while pgrep -f "cmake --build $root/.cache/llama.cpp/" >/dev/null; do
    echo "a llama.cpp build is in progress; waiting for it" >&2
    sleep 10
  done
  bin="$("$root/scripts/build-llama-cpp.sh" | tail -n 1)"
fi
export LD_LIBRARY_PATH="$bin${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"

echo "== llama.cpp: llama-bench -t $threads -p 512 -n $ntg" >&2
# --repack 0: AMX repacking faults on this machine (see scripts/make-reference.sh).
lb_json="$("$bin/llama-bench" -m "$model" -t "$threads" -p 512 -n "$ntg" -r 2 --repack 0 -o json 2>/dev/null)"
read -r lc_pp lc_tg < <(python3 -c '
import json, sys
rows = json.loads(sys.stdin.read())
pp = [r["avg_ts"] for r in rows if r["n_prompt"] > 0 and r["n_gen"] == 0]
tg = [r["avg_ts"] for r in rows if r["n_gen"] > 0 and r["n_prompt"] == 0]
print(pp[0], tg[0])' <<<"$lb_json")

echo "== llama.cpp: llama-server -np $conc, $conc concurrent requests of $ntg tokens" >&2
log="$(mktemp)"
"$bin/llama-server" -m "$model" --host 127.0.0.1 --port "$port" -np "$conc" -c $((conc * 256)) \
  --threads "$threads" --temp 0 --no-webui --no-repack >"$log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true; rm -f "$log"' EXIT
for _ in $(seq 1 120); do
  curl -sf "http://127.0.0.1:$port/health" >/dev/null 2>&1 && break
  sleep 1
done
lc_agg="$(python3 - "$port" "$conc" "$ntg" <<'PY'
import json, sys, threading, time, urllib.request
port, conc, ntg = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
done = []
def one(i):
    body = {"prompt": f"Request {i}: write a long story about the number {i * 7919}.", "n_predict": ntg,
            "temperature": 0, "ignore_eos": True, "cache_prompt": False}
    req = urllib.request.Request(f"http://127.0.0.1:{port}/completion", json.dumps(body).encode(),
                                 {"Content-Type": "application/json"})
    done.append(json.loads(urllib.request.urlopen(req, timeout=600).read())["timings"]["predicted_n"])
t0 = time.time()
ts = [threading.Thread(target=one, args=(i,)) for i in range(conc)]
[t.start() for t in ts]
[t.join() for t in ts]
print(sum(done) / (time.time() - t0))
PY
)"
kill "$server" 2>/dev/null || true
wait "$server" 2>/dev/null || true

echo "== ascendra: bench_engine -t $threads" >&2
ours="$("$build/engine/cpu/tools/bench_engine" -m "$model" -t "$threads" -p 512 -n "$ntg" -c "$conc")"
as_pp="$(awk '/^pp512_tok_s/ {print $2}' <<<"$ours")"
as_tg="$(awk '/^tg1_tok_s/ {print $2}' <<<"$ours")"
as_agg="$(awk "/^tg${conc}_aggregate_tok_s/ {print \$2}" <<<"$ours")"

rss="n/a (ascendra did not link)"
if [ "$have_ascendra" = 1 ]; then
  rss="$( { /usr/bin/time -v "$build/ascendra" generate -m "$model" -p "The quick brown fox" -n 32 \
            --threads "$threads" >/dev/null 2>/dev/null; } 2>&1 | awk -F: '/Maximum resident/ {gsub(/ /, "", $2); print $2 " KiB"}' )"
  [ -n "$rss" ] || rss="n/a"
fi

ratio() { python3 -c "print(f'{float($1) / float($2):.2f}')"; }
echo
echo "model: $(basename "$model"), threads: $threads, machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
printf '%-34s %12s %12s %8s\n' "figure" "ascendra" "llama.cpp" "ratio"
printf '%-34s %12.1f %12.1f %8s\n' "prompt processing tok/s (pp512)" "$as_pp" "$lc_pp" "$(ratio "$as_pp" "$lc_pp")"
printf '%-34s %12.1f %12.1f %8s\n' "decode tok/s, 1 sequence" "$as_tg" "$lc_tg" "$(ratio "$as_tg" "$lc_tg")"
printf '%-34s %12.1f %12.1f %8s\n' "decode tok/s, $conc sequences (sum)" "$as_agg" "$lc_agg" "$(ratio "$as_agg" "$lc_agg")"
echo "peak RSS of ascendra generate -n 32: $rss"
