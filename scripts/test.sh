#!/usr/bin/env bash
# The one command that sets up, builds and runs every test on a fresh machine (what CI runs):
#   bash scripts/test.sh
# Installs Debian packages and the default model if missing, builds Release into build/, checks the
# decision core's purity and the file-size budget, runs the GoogleTest suites with ctest and the
# Python integration tests (OpenAI SDK) against the real binary.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
jobs="${ASC_JOBS:-$(nproc)}"

bash scripts/setup.sh
bash scripts/fetch-models.sh
# The safetensors folder made from the GGUF (tests compare both formats' logits).
[ -f models/SmolLM2-135M-Instruct-hf/model.safetensors ] || python3 scripts/make-safetensors.py

cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j"$jobs"

bash scripts/check-core-purity.sh
bash scripts/check-size-budget.sh

ctest --test-dir build --output-on-failure -j"$jobs" --timeout 900
if [ -x scripts/test-integration.sh ]; then bash scripts/test-integration.sh; fi
