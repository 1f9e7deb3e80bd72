#!/usr/bin/env bash
# Builds ascendra with CUDA (Release, sm_80 + sm_90) and runs every GPU test and the CUDA benchmark
# in one call, on a machine with a GPU (the device tool runs it in the repository root).
# Results (test log, JUnit XML, benchmark figures) go under $OUT when set, else build-gpu/results.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
out="${OUT:-$root/build-gpu/results}"
mkdir -p "$out"
bash scripts/setup.sh
bash scripts/fetch-models.sh
nvcc_bin="$(command -v nvcc || echo /usr/local/cuda/bin/nvcc)"
nvidia-smi > "$out/nvidia-smi.txt" 2>&1 || true
jobs="$(nproc)"
cmake -S . -B build-gpu -DCMAKE_BUILD_TYPE=Release -DASCENDRA_CUDA=ON \
  -DCMAKE_CUDA_COMPILER="$nvcc_bin" -DCMAKE_CUDA_ARCHITECTURES="80;90" > "$out/cmake.log" 2>&1
cmake --build build-gpu --target cuda_tests bench_cuda cpu_tests -j "$jobs" > "$out/build.log" 2>&1 \
  || { tail -50 "$out/build.log"; exit 1; }
status=0
# ASCENDRA_CUDA_SYNC=1 makes an asynchronous kernel fault surface at the kernel that caused it.
ASCENDRA_CUDA_SYNC=1 ./build-gpu/tests/cuda_tests --gtest_output="xml:$out/cuda_tests.xml" \
  2>&1 | tee "$out/cuda_tests.log" || status=1
./build-gpu/cuda/bench_cuda models/SmolLM2-135M-Instruct.Q4_1.gguf 2>&1 | tee "$out/bench_cuda.txt" || status=1
echo "gpu-check: results in $out (exit $status)"
exit "$status"
