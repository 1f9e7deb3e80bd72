#!/usr/bin/env bash
# Builds llama.cpp (vendored in the PyPI sdist of llama-cpp-python) into .cache/llama.cpp/build.
# Used only as an independent reference and as the external baseline; nothing of it is committed.
# Idempotent: a finished build is reused. Prints the bin directory on the last line.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
version="${LLAMA_CPP_PYTHON_VERSION:-0.3.36}"
cache="$root/.cache/llama.cpp"
src="$cache/llama_cpp_python-$version/vendor/llama.cpp"
# AMX is off on purpose: the kernel of these VMs does not grant AMX tile state (SIGILL in
# ggml_backend_amx_mul_mat), so the build targets AVX-512 VNNI like ascendra's own kernels.
build="$cache/build-avx512"
mkdir -p "$cache"
if [ ! -x "$build/bin/llama-server" ] || [ ! -x "$build/bin/llama-bench" ] || [ ! -x "$build/bin/llama-cli" ]; then
  if [ ! -d "$src" ]; then
    pip download --no-deps --no-binary :all: "llama-cpp-python==$version" -d "$cache" >&2
    tar xzf "$cache/llama_cpp_python-$version.tar.gz" -C "$cache"
  fi
  cmake -S "$src" -B "$build" -DCMAKE_BUILD_TYPE=Release -DLLAMA_CURL=OFF -DGGML_NATIVE=OFF -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON \
    -DGGML_BMI2=ON -DGGML_AVX512=ON -DGGML_AVX512_VNNI=ON -DGGML_AVX512_VBMI=ON -DGGML_AVX512_BF16=ON \
    -DGGML_AMX_TILE=OFF -DGGML_AMX_INT8=OFF -DGGML_AMX_BF16=OFF \
    -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=ON -DLLAMA_BUILD_SERVER=ON >&2
  cmake --build "$build" -j"$(nproc)" --target llama-server llama-bench llama-cli llama-tokenize llama-simple >&2
fi
echo "$build/bin"
