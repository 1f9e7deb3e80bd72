#!/usr/bin/env bash
# The README's "run" command: installs what is missing, fetches the default model, builds, and
# serves it on http://127.0.0.1:8080 (extra arguments go to `ascendra serve`, e.g. --port 9000).
#   bash scripts/serve.sh [--port N] [--policy vllm|sarathi|ascendra] ...
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
jobs="${ASC_JOBS:-$(nproc)}"
bash scripts/setup.sh
bash scripts/fetch-models.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build --target ascendra -j"$jobs"
model="${ASC_MODEL:-models/SmolLM2-135M-Instruct.Q4_1.gguf}"
exec ./build/ascendra serve -m "$model" "$@"
