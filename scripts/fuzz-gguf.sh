#!/usr/bin/env bash
# Builds the libFuzzer targets for the model file readers with clang (ASan + UBSan) and runs the
# GGUF one (or the one named by FUZZ_TARGET) for N seconds.
#
#   scripts/fuzz-gguf.sh [SECONDS=60]          FUZZ_TARGET=safetensors_fuzz scripts/fuzz-gguf.sh 30
#
# Seeds: small valid files written with the PyPI gguf package when it is importable. Crashes are
# written to build-fuzz/crashes/ and the script exits non-zero.
set -euo pipefail
secs="${1:-60}"
target="${FUZZ_TARGET:-gguf_fuzz}"
cd "$(dirname "$0")/.."
root="$(pwd)"
build="$root/build-fuzz"

if ! command -v clang++ >/dev/null; then
  echo "fuzz: installing clang" >&2
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq clang >&2
fi

cmake -S "$root" -B "$build" -DASCENDRA_FUZZ=ON -DASCENDRA_CUDA=OFF -DASCENDRA_TESTS=ON \
  -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build" --target "$target" -j2

corpus="$build/corpus/$target"
mkdir -p "$corpus" "$build/crashes"
if [ "$target" = gguf_fuzz ] && [ -z "$(ls -A "$corpus")" ]; then
  python3 - "$corpus" <<'PY' || echo "fuzz: no seeds (python gguf package missing); starting empty" >&2
import sys, numpy as np, gguf
out = sys.argv[1]
for i, arch in enumerate(["llama", "qwen2"]):
    w = gguf.GGUFWriter(f"{out}/seed{i}.gguf", arch)
    w.add_block_count(1); w.add_embedding_length(32); w.add_feed_forward_length(64)
    w.add_head_count(2); w.add_head_count_kv(1); w.add_context_length(128)
    w.add_layer_norm_rms_eps(1e-5); w.add_rope_freq_base(10000.0)
    w.add_token_list(["<s>", "a", "b"]); w.add_token_scores([0.0, -1.0, -2.0])
    w.add_array("test.nested", [[1, 2], [3]]); w.add_bool("test.flag", True)
    rng = np.random.default_rng(i)
    w.add_tensor("token_embd.weight", rng.standard_normal((3, 32)).astype(np.float32))
    w.add_tensor("output_norm.weight", rng.standard_normal(32).astype(np.float32))
    w.add_tensor("blk.0.attn_q.weight", rng.standard_normal((32, 32)).astype(np.float16))
    w.write_header_to_file(); w.write_kv_data_to_file(); w.write_tensors_to_file(); w.close()
PY
fi

echo "fuzz: running $target for ${secs}s (corpus $corpus)" >&2
"$build/tests/fuzz/$target" -max_total_time="$secs" -max_len=4096 -timeout=10 -rss_limit_mb=2048 \
  -artifact_prefix="$build/crashes/" -print_final_stats=1 "$corpus"
