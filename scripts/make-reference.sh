#!/usr/bin/env bash
# make-reference.sh: records llama.cpp's outputs for the default model as golden test data.
#
# llama.cpp is our independent reference. This script
#   1. finds the llama.cpp binaries through scripts/build-llama-cpp.sh (last line = bin dir; the build
#      is reused when present -- if a build is still running, wait for it instead of starting another),
#   2. starts llama-server on models/SmolLM2-135M-Instruct.Q4_1.gguf on a loopback port with one
#      slot, --threads 2, a fixed seed and temperature 0,
#   3. runs scripts/make-reference.py against it, which for ~28 varied prompts (code, unicode, CJK,
#      emoji, numbers, whitespace runs, mixed case, URLs, a chat-formatted prompt, a multi-paragraph
#      text) records the prompt, its token ids as the server tokenizes it (/tokenize with add_special
#      and parse_special, like /completion; SmolLM2 has tokenizer.ggml.add_bos_token = false, so no
#      BOS), and the greedy continuation of 64 tokens (/completion, prompt given as those ids,
#      top_k 1, temperature 0, cache_prompt false, return_tokens); plus ChatML renderings from
#      /apply-template and the greedy chat answer to "What is the capital of France?",
#   4. writes tests/golden/smollm2_reference.json (committed; tokenizer tests use prompt_ids, the
#      forward-pass tests use greedy_ids) and stops the server,
#   5. restarts the server once per pre-tokenizer family (gpt-2, llama3, qwen2, default, smollm)
#      with --override-kv tokenizer.ggml.pre=str:FAMILY and records the ids of every prompt and of
#      40 seeded random strings under that family in tests/golden/pretokenizer_reference.json
#      (same vocabulary, other split rules).
# --no-repack: this machine reports AMX, but AMX tile instructions fault here (ldtilecfg -> SIGSEGV
# in ggml's AMX matmul), so weight repacking into the AMX buffer type is turned off.
# Usage: scripts/make-reference.sh [--pre-only] [OUT_JSON]   (env: MODEL, PORT)
#   --pre-only: only step 5 (the greedy runs of step 3 take minutes on a loaded 2-core machine).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
model="${MODEL:-$root/models/SmolLM2-135M-Instruct.Q4_1.gguf}"
pre_only=0
if [ "${1:-}" = "--pre-only" ]; then pre_only=1; shift; fi
out="${1:-$root/tests/golden/smollm2_reference.json}"
port="${PORT:-18089}"

if pgrep -f "cmake --build $root/.cache/llama.cpp/build" >/dev/null; then
  echo "a llama.cpp build is in progress (see /tmp/llama-build.log); waiting for it" >&2
  while pgrep -f "cmake --build $root/.cache/llama.cpp/build" >/dev/null; do sleep 10; done
fi
bin="$("$root/scripts/build-llama-cpp.sh" | tail -n 1)"
export LD_LIBRARY_PATH="$bin${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
version="$("$bin/llama-server" --version 2>&1 | grep -m1 '^version' || echo unknown)"
version="$version (llama-cpp-python sdist ${LLAMA_CPP_PYTHON_VERSION:-0.3.36})"

server_pid=""
trap 'if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; fi' EXIT

# start_server [extra llama-server args...]: starts it and waits until /health answers.
start_server() {
  local log
  log="$(mktemp /tmp/make-reference-server.XXXXXX.log)"
  "$bin/llama-server" -m "$model" --host 127.0.0.1 --port "$port" -np 1 --threads 2 --seed 42 \
    --temp 0 -c 4096 --no-webui --no-repack "$@" >"$log" 2>&1 &
  server_pid=$!
  for _ in $(seq 1 120); do
    if curl -sf "http://127.0.0.1:$port/health" >/dev/null 2>&1; then return 0; fi
    if ! kill -0 "$server_pid" 2>/dev/null; then echo "llama-server exited; log: $log" >&2; exit 1; fi
    sleep 1
  done
  echo "llama-server not ready; log: $log" >&2
  exit 1
}
stop_server() {
  kill "$server_pid" 2>/dev/null || true
  wait "$server_pid" 2>/dev/null || true
  server_pid=""
}

if [ "$pre_only" -eq 0 ]; then
  start_server
  python3 "$root/scripts/make-reference.py" full "http://127.0.0.1:$port" "$out" "$version"
  stop_server
  echo "wrote $out" >&2
fi

pre_out="$(dirname "$out")/pretokenizer_reference.json"
rm -f "$pre_out"
for family in gpt-2 llama3 qwen2 default smollm; do
  start_server --override-kv "tokenizer.ggml.pre=str:$family"
  python3 "$root/scripts/make-reference.py" pre "http://127.0.0.1:$port" "$pre_out" "$version" "$family"
  stop_server
done
echo "wrote $pre_out" >&2
