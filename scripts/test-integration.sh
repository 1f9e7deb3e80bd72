#!/usr/bin/env bash
# Python integration tests: the official OpenAI SDK against the real `ascendra serve` binary on the
# default model (tests/integration/). Creates a virtual environment under .cache/venv with pytest
# and openai; skips (exit 0, with a message) when pip cannot install them (no network).
#   bash scripts/test-integration.sh            # uses build/ascendra
#   ASCENDRA_BIN=build-x/ascendra bash scripts/test-integration.sh
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
export ASCENDRA_BIN="${ASCENDRA_BIN:-$root/build/ascendra}"
export ASCENDRA_MODEL="${ASCENDRA_MODEL:-$root/models/SmolLM2-135M-Instruct.Q4_1.gguf}"
venv="$root/.cache/venv"
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv" || { echo "test-integration: SKIP: cannot create a venv (python3-venv missing)"; exit 0; }
fi
if ! "$venv/bin/python" -c "import openai, pytest" 2>/dev/null; then
  if ! "$venv/bin/python" -m pip install --quiet openai pytest; then
    echo "test-integration: SKIP: pip could not install openai/pytest (offline?)"
    exit 0
  fi
fi
[ -x "$ASCENDRA_BIN" ] || { echo "test-integration: $ASCENDRA_BIN not built" >&2; exit 1; }
[ -f "$ASCENDRA_MODEL" ] || { echo "test-integration: SKIP: model $ASCENDRA_MODEL missing"; exit 0; }
exec "$venv/bin/python" -m pytest -q tests/integration "$@"
