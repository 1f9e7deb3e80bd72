#!/usr/bin/env bash
# Builds llama.cpp (vendored in the PyPI sdist of llama-cpp-python) into .cache/llama.cpp/build.
# Used only as an independent reference and as the external baseline; nothing of it is committed.
# Idempotent: a finished build is reused. Prints the bin directory on the last line.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
version="${LLAMA_CPP_PYTHON_VERSION:-0.3.36}"
cache="$root/.cache/llama.cpp"
src="$cache/llama_cpp_python-$version/vendor/llama.cpp"
build="$cache/build"
mkdir -p "$cache"
if [ ! -x "$build/bin/llama-server" ] || [ ! -x "$build/bin/llama-bench" ] || [ ! -x "$build/bin/llama-cli" ]; then
  if [ ! -d "$src" ]; then
    pip download --no-deps --no-binary :all: "llama-cpp-python==$version" -d "$cache" >&2
    tar xzf "$cache/llama_cpp_python-$version.tar.gz" -C "$cache"
  fi
  cmake -S "$src" -B "$build" -DCMAKE_BUILD_TYPE=Release -DLLAMA_CURL=OFF -DGGML_NATIVE=ON \
    -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=ON -DLLAMA_BUILD_SERVER=ON >&2
  cmake --build "$build" -j"$(nproc)" --target llama-server llama-bench llama-cli llama-tokenize llama-simple >&2
fi
echo "$build/bin"
