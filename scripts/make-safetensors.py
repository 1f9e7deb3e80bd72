#!/usr/bin/env python3
"""Writes a Hugging Face-style model folder from a llama-family GGUF file.

Output (default models/SmolLM2-135M-Instruct-hf): config.json, model.safetensors (F32 by default,
or F16), tokenizer.json built from the GGUF vocabulary and merges, tokenizer_config.json with the
chat template, generation_config.json.

Weights are dequantized with gguf.quants (Q4_1, Q8_0, ...). llama.cpp's converter permuted the
rows of Q and K of llama/mistral models so that its pairwise ("normal") rope matches HF's
rotate-half rope; a real HF checkpoint is un-permuted, so this script undoes the permutation.
Loading the GGUF (rope layout normal) and this folder (rope layout NeoX) must give the same logits.

Needs the PyPI packages gguf, numpy and safetensors; when they are missing the script creates a
venv in .cache/py-venv, installs them there and re-runs itself.

Usage: scripts/make-safetensors.py [--gguf FILE] [--out DIR] [--dtype f32|f16] [--verify]
"""
import argparse
import json
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
VENV = os.path.join(ROOT, ".cache", "py-venv")
DEFAULT_GGUF = os.path.join(ROOT, "models", "SmolLM2-135M-Instruct.Q4_1.gguf")
DEFAULT_OUT = os.path.join(ROOT, "models", "SmolLM2-135M-Instruct-hf")


def ensure_packages():
    try:
        import gguf, numpy, safetensors  # noqa: F401
        return
    except ImportError:
        pass
    if os.environ.get("ASC_MAKE_ST_REEXEC"):
        sys.exit("make-safetensors: packages still missing inside the venv")
    py = os.path.join(VENV, "bin", "python")
    if not os.path.exists(py):
        subprocess.check_call([sys.executable, "-m", "venv", VENV])
    subprocess.check_call([py, "-m", "pip", "install", "-q", "gguf", "numpy", "safetensors"])
    os.environ["ASC_MAKE_ST_REEXEC"] = "1"
    os.execv(py, [py] + sys.argv)


# GGUF per-layer short name -> HF name (prefixed with model.layers.N.).
LAYER_NAMES = {
    "attn_norm.weight": "input_layernorm.weight",
    "attn_q.weight": "self_attn.q_proj.weight",
    "attn_k.weight": "self_attn.k_proj.weight",
    "attn_v.weight": "self_attn.v_proj.weight",
    "attn_output.weight": "self_attn.o_proj.weight",
    "attn_q.bias": "self_attn.q_proj.bias",
    "attn_k.bias": "self_attn.k_proj.bias",
    "attn_v.bias": "self_attn.v_proj.bias",
    "ffn_norm.weight": "post_attention_layernorm.weight",
    "ffn_gate.weight": "mlp.gate_proj.weight",
    "ffn_up.weight": "mlp.up_proj.weight",
    "ffn_down.weight": "mlp.down_proj.weight",
}
GLOBAL_NAMES = {
    "token_embd.weight": "model.embed_tokens.weight",
    "output_norm.weight": "model.norm.weight",
    "output.weight": "lm_head.weight",
}


def field(reader, key, default=None):
    f = reader.fields.get(key)
    if f is None:
        return default
    v = f.contents()
    return v


def hf_name(gguf_name):
    if gguf_name in GLOBAL_NAMES:
        return GLOBAL_NAMES[gguf_name]
    if gguf_name.startswith("blk."):
        _, layer, rest = gguf_name.split(".", 2)
        if rest in LAYER_NAMES:
            return f"model.layers.{layer}.{LAYER_NAMES[rest]}"
    return None


def unpermute(w, n_head):
    """Inverse of llama.cpp's Q/K row permutation: GGUF row (h, 2i+j) holds HF row (h, j*d/2+i)."""
    rows = w.shape[0]
    head_dim = rows // n_head
    return (w.reshape(n_head, head_dim // 2, 2, *w.shape[1:])
             .swapaxes(1, 2)
             .reshape(w.shape))


def read_tensors(reader, arch, n_head, n_head_kv, np_dtype):
    import numpy as np
    from gguf.quants import dequantize
    out = {}
    for t in reader.tensors:
        name = hf_name(t.name)
        if name is None:
            print(f"make-safetensors: skipping tensor {t.name}", file=sys.stderr)
            continue
        shape = tuple(int(d) for d in reversed(t.shape))  # numpy / HF order: [out, in]
        w = np.asarray(dequantize(t.data, t.tensor_type), dtype=np.float32).reshape(shape)
        if arch in ("llama", "mistral"):
            if t.name.endswith("attn_q.weight"):
                w = unpermute(w, n_head)
            elif t.name.endswith("attn_k.weight"):
                w = unpermute(w, n_head_kv)
        out[name] = np.ascontiguousarray(w.astype(np_dtype))
    return out


def make_config(reader, arch, tied):
    p = arch + "."
    n_head = int(field(reader, p + "attention.head_count"))
    hidden = int(field(reader, p + "embedding_length"))
    tokens = field(reader, "tokenizer.ggml.tokens")
    cfg = {
        "architectures": ["Qwen2ForCausalLM" if arch == "qwen2" else
                          "MistralForCausalLM" if arch == "mistral" else "LlamaForCausalLM"],
        "model_type": arch,
        "hidden_size": hidden,
        "intermediate_size": int(field(reader, p + "feed_forward_length")),
        "num_attention_heads": n_head,
        "num_hidden_layers": int(field(reader, p + "block_count")),
        "num_key_value_heads": int(field(reader, p + "attention.head_count_kv", n_head)),
        "head_dim": int(field(reader, p + "attention.key_length", hidden // n_head)),
        "max_position_embeddings": int(field(reader, p + "context_length", 2048)),
        "rms_norm_eps": float(field(reader, p + "attention.layer_norm_rms_epsilon", 1e-5)),
        "rope_theta": float(field(reader, p + "rope.freq_base", 10000.0)),
        "rope_scaling": None,
        "vocab_size": int(field(reader, p + "vocab_size", len(tokens))),
        "tie_word_embeddings": tied,
        "hidden_act": "silu",
        "attention_bias": arch == "qwen2",
        "bos_token_id": field(reader, "tokenizer.ggml.bos_token_id"),
        "eos_token_id": field(reader, "tokenizer.ggml.eos_token_id"),
        "torch_dtype": "float32",
    }
    scaling = field(reader, p + "rope.scaling.type")
    if scaling == "linear":
        cfg["rope_scaling"] = {"type": "linear",
                               "factor": float(field(reader, p + "rope.scaling.factor", 1.0))}
    return cfg


def make_tokenizer(reader):
    model = field(reader, "tokenizer.ggml.model")
    if model != "gpt2":
        sys.exit(f"make-safetensors: tokenizer model '{model}' is not supported (gpt2 BPE only)")
    tokens = field(reader, "tokenizer.ggml.tokens")
    types = field(reader, "tokenizer.ggml.token_type") or [1] * len(tokens)
    merges = field(reader, "tokenizer.ggml.merges") or []
    pre = field(reader, "tokenizer.ggml.pre", "default")
    byte_level = {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True,
                  "use_regex": True}
    pretok = [byte_level]
    if pre == "smollm":  # SmolLM splits every digit before the byte-level regex
        pretok = [{"type": "Digits", "individual_digits": True}, byte_level]
    elif pre != "default":
        print(f"make-safetensors: pre-tokenizer '{pre}' approximated by ByteLevel", file=sys.stderr)
    added = [{"id": i, "content": tok, "single_word": False, "lstrip": False, "rstrip": False,
              "normalized": False, "special": True}
             for i, (tok, ty) in enumerate(zip(tokens, types)) if int(ty) in (3, 4)]
    return {
        "version": "1.0", "truncation": None, "padding": None, "added_tokens": added,
        "normalizer": None,
        "pre_tokenizer": {"type": "Sequence", "pretokenizers": pretok},
        "post_processor": {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": False,
                           "use_regex": True},
        "decoder": {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": True,
                    "use_regex": True},
        "model": {"type": "BPE", "dropout": None, "unk_token": None,
                  "continuing_subword_prefix": None, "end_of_word_suffix": None,
                  "fuse_unk": False, "byte_fallback": False,
                  "vocab": {tok: i for i, tok in enumerate(tokens)}, "merges": list(merges)},
    }


def make_tokenizer_config(reader):
    tokens = field(reader, "tokenizer.ggml.tokens")

    def tok(key):
        i = field(reader, key)
        return tokens[int(i)] if i is not None and 0 <= int(i) < len(tokens) else None

    return {
        "tokenizer_class": "GPT2Tokenizer",
        "bos_token": tok("tokenizer.ggml.bos_token_id"),
        "eos_token": tok("tokenizer.ggml.eos_token_id"),
        "unk_token": tok("tokenizer.ggml.unknown_token_id"),
        "pad_token": tok("tokenizer.ggml.padding_token_id"),
        "add_bos_token": bool(field(reader, "tokenizer.ggml.add_bos_token", False)),
        "add_eos_token": bool(field(reader, "tokenizer.ggml.add_eos_token", False)),
        "clean_up_tokenization_spaces": False,
        "model_max_length": int(field(reader, field(reader, "general.architecture") +
                                      ".context_length", 2048)),
        "chat_template": field(reader, "tokenizer.chat_template"),
    }


def rope(x, pos, theta, neox):
    """Rotates x [n_head, head_dim] at position pos: pairs (2i, 2i+1) or, for NeoX, (i, i+d/2)."""
    import numpy as np
    d = x.shape[-1]
    ang = pos * theta ** (-np.arange(0, d, 2, dtype=np.float64) / d)
    c, s = np.cos(ang), np.sin(ang)
    a, b = (x[:, : d // 2], x[:, d // 2:]) if neox else (x[:, 0::2], x[:, 1::2])
    ra, rb = a * c - b * s, a * s + b * c
    return np.concatenate([ra, rb], axis=1) if neox else np.stack([ra, rb], axis=2).reshape(x.shape)


def verify(reader, tensors, arch, n_head, n_head_kv):
    """Layer-0 attention scores: GGUF weights + normal rope == HF weights + NeoX rope."""
    import numpy as np
    from gguf.quants import dequantize
    if arch == "qwen2":
        return
    theta = float(field(reader, arch + ".rope.freq_base", 10000.0))
    g = {t.name: t for t in reader.tensors}

    def gguf_w(name):
        t = g[name]
        return np.asarray(dequantize(t.data, t.tensor_type), np.float64).reshape(
            tuple(int(d) for d in reversed(t.shape)))
    wq_g, wk_g = gguf_w("blk.0.attn_q.weight"), gguf_w("blk.0.attn_k.weight")
    wq_h = tensors["model.layers.0.self_attn.q_proj.weight"].astype(np.float64)
    wk_h = tensors["model.layers.0.self_attn.k_proj.weight"].astype(np.float64)
    rng = np.random.default_rng(0)
    xs = rng.standard_normal((4, wq_g.shape[1]))
    group = n_head // n_head_kv
    worst = 0.0
    for neox, wq, wk in ((False, wq_g, wk_g), (True, wq_h, wk_h)):
        q = np.stack([rope((wq @ x).reshape(n_head, -1), p + 3, theta, neox) for p, x in enumerate(xs)])
        k = np.stack([rope((wk @ x).reshape(n_head_kv, -1), p + 3, theta, neox) for p, x in enumerate(xs)])
        scores = np.einsum("qhd,khd->hqk", q, np.repeat(k, group, axis=1))
        if not neox:
            ref = scores
        else:
            worst = float(np.max(np.abs(scores - ref)) / np.max(np.abs(ref)))
    print(f"make-safetensors: layer-0 attention scores GGUF(normal rope) vs HF(NeoX rope): "
          f"max relative difference {worst:.2e}")
    if worst > 1e-4:
        sys.exit("make-safetensors: verification FAILED (Q/K permutation or rope layout mismatch)")


def write_json(path, obj):
    with open(path, "w", encoding="utf-8") as f:
        json.dump(obj, f, ensure_ascii=False, indent=2)
        f.write("\n")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--gguf", default=DEFAULT_GGUF)
    ap.add_argument("--out", default=DEFAULT_OUT)
    ap.add_argument("--dtype", choices=["f32", "f16"], default="f32")
    ap.add_argument("--verify", action="store_true",
                    help="check layer-0 attention scores agree between the two rope layouts")
    args = ap.parse_args()
    ensure_packages()
    import numpy as np
    from gguf import GGUFReader
    from safetensors.numpy import save_file

    reader = GGUFReader(args.gguf)
    arch = field(reader, "general.architecture")
    if arch not in ("llama", "mistral", "qwen2"):
        sys.exit(f"make-safetensors: architecture '{arch}' is not supported")
    n_head = int(field(reader, arch + ".attention.head_count"))
    n_head_kv = int(field(reader, arch + ".attention.head_count_kv", n_head))
    np_dtype = np.float32 if args.dtype == "f32" else np.float16
    tensors = read_tensors(reader, arch, n_head, n_head_kv, np_dtype)
    if args.verify:
        verify(reader, tensors, arch, n_head, n_head_kv)
    tied = "lm_head.weight" not in tensors
    os.makedirs(args.out, exist_ok=True)
    cfg = make_config(reader, arch, tied)
    cfg["torch_dtype"] = "float32" if args.dtype == "f32" else "float16"
    write_json(os.path.join(args.out, "config.json"), cfg)
    write_json(os.path.join(args.out, "tokenizer.json"), make_tokenizer(reader))
    write_json(os.path.join(args.out, "tokenizer_config.json"), make_tokenizer_config(reader))
    write_json(os.path.join(args.out, "generation_config.json"),
               {"bos_token_id": cfg["bos_token_id"], "eos_token_id": cfg["eos_token_id"]})
    save_file(tensors, os.path.join(args.out, "model.safetensors"), metadata={"format": "pt"})
    n = sum(t.size for t in tensors.values())
    print(f"make-safetensors: wrote {len(tensors)} tensors ({n / 1e6:.1f}M params, {args.dtype}) "
          f"to {args.out}")


if __name__ == "__main__":
    main()
