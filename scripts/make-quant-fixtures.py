#!/usr/bin/env python3
"""Writes the dequantization fixtures of tests/cpu/quant_test.cpp into tests/golden/quant/.

For every GGUF type the CPU kernels support, <TYPE>.bin holds the raw quantized bytes of 3 rows of
512 elements and <TYPE>.f32 the values the `gguf` package's numpy dequantization gives for them
(little-endian float32). Types gguf can quantize (Q4_0, Q4_1, Q8_0, F16, BF16) start from random
normal data; for K-quants (gguf has no quantizer) the blocks are random bytes with finite f16 scales.
If the default model is present, model_<TYPE>.bin/.f32 hold 2 rows of its real Q4_1 and Q8_0
tensors, checked the same way.

Usage: pip install gguf numpy; python3 scripts/make-quant-fixtures.py [--model PATH]
"""
import argparse
import pathlib

import numpy as np
from gguf import GGUFReader
from gguf.constants import GGML_QUANT_SIZES, GGMLQuantizationType as T
from gguf.quants import dequantize, quantize

ROWS, COLS = 3, 512
ROOT = pathlib.Path(__file__).resolve().parent.parent
OUT = ROOT / "tests" / "golden" / "quant"


def random_k_blocks(rng, qtype, nblocks):
    block_elems, block_bytes = GGML_QUANT_SIZES[qtype]
    raw = rng.integers(0, 256, size=(nblocks, block_bytes), dtype=np.uint8)
    scales = rng.uniform(0.001, 0.05, size=(nblocks, 2)).astype(np.float16).view(np.uint8)
    if qtype == T.Q6_K:  # d is the last 2 bytes
        raw[:, -2:] = scales[:, 0:2]
    else:  # d, dmin first
        raw[:, 0:4] = scales
    return raw


def write(name, raw, values):
    (OUT / f"{name}.bin").write_bytes(np.ascontiguousarray(raw).tobytes())
    (OUT / f"{name}.f32").write_bytes(np.ascontiguousarray(values, dtype="<f4").tobytes())


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", default=str(ROOT / "models" / "SmolLM2-135M-Instruct.Q4_1.gguf"))
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(1234)
    data = rng.standard_normal((ROWS, COLS)).astype(np.float32)
    for qtype in (T.Q4_0, T.Q4_1, T.Q8_0):
        raw = quantize(data, qtype)
        write(qtype.name, raw, dequantize(raw, qtype))
    write("F16", data.astype(np.float16).view(np.uint8), data.astype(np.float16).astype(np.float32))
    bf16 = quantize(data, T.BF16)
    write("BF16", bf16, dequantize(bf16, T.BF16))
    for qtype in (T.Q4_K, T.Q5_K, T.Q6_K):
        raw = random_k_blocks(rng, qtype, ROWS * COLS // 256).reshape(ROWS, -1)
        write(qtype.name, raw, dequantize(raw, qtype))
    model = pathlib.Path(args.model)
    if model.exists():
        reader = GGUFReader(str(model))
        wanted = {"blk.0.ffn_down.weight": "model_Q4_1", "token_embd.weight": "model_Q8_0"}
        for tensor in reader.tensors:
            if tensor.name in wanted:
                raw = np.asarray(tensor.data)[:2]
                write(wanted[tensor.name], raw, dequantize(raw, tensor.tensor_type))
                print(tensor.name, tensor.tensor_type.name, raw.shape)
    print("wrote", sorted(p.name for p in OUT.iterdir()))


if __name__ == "__main__":
    main()
