#!/usr/bin/env python3
"""Write a complete Hugging Face model folder with seeded random weights.

Architectures: LlamaForCausalLM, Qwen2ForCausalLM (q/k/v biases), Qwen3ForCausalLM (per-head
q_norm / k_norm). The folder holds config.json, generation_config.json, model.safetensors (or
shards and model.safetensors.index.json), tokenizer.json (byte-level BPE, Qwen2 layout),
tokenizer_config.json and synthetic_model.json (how it was made).

Examples:
    make_synthetic_model.py /tmp/q3 --preset qwen3-tiny --dtype float32 --seed 1
    make_synthetic_model.py /tmp/q2 --arch qwen2 --preset tiny --dtype bfloat16 --seed 7
    make_synthetic_model.py /tmp/q06 --preset qwen3-0.6b --dtype bfloat16 --seed 0
    make_synthetic_model.py /tmp/q8 --preset qwen3-8b --dtype bfloat16 --shard-size 4GB
    make_synthetic_model.py /tmp/x --preset qwen3-8b --dtype bfloat16 --dry-run

Weights are drawn tensor by tensor from a generator seeded by (seed, tensor name), in chunks of
CHUNK_ELEMS values, and streamed to the file: memory stays at a few chunks whatever the model size,
and a tensor's values do not depend on the dtype (a bf16 model is the f32 model rounded), on the
sharding, or on which other tensors the model has. See docs/synthetic-models.md.
"""

import argparse
import hashlib
import json
import math
import os
import sys

# Tiny matrices: BLAS threads only cost time (and a lot of it on a busy machine). Set before NumPy
# loads; an explicit environment setting wins.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np  # noqa: E402

sys.dont_write_bytecode = True  # no __pycache__ next to the tools
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bpe  # noqa: E402
import safetensors_io as st  # noqa: E402

ARCHES = {
    "llama": ("LlamaForCausalLM", "llama"),
    "qwen2": ("Qwen2ForCausalLM", "qwen2"),
    "qwen3": ("Qwen3ForCausalLM", "qwen3"),
}

# Shapes. Values that a preset leaves out come from ARCH_DEFAULTS.
# head_dim is hidden / heads unless a preset or --head-dim says otherwise.
_TINY = dict(hidden=64, intermediate=160, layers=2, heads=4, kv_heads=2, vocab=512, max_pos=512)
PRESETS = {
    # Small models for tests: 2 layers, GQA (2 query heads per KV head), head_dim 16.
    "tiny": dict(_TINY),
    "llama-tiny": dict(_TINY, arch="llama", tie=False),
    "qwen2-tiny": dict(_TINY, arch="qwen2", tie=True, tokenizer_vocab=480),
    # Like Qwen3-0.6B, heads * head_dim (128) differs from hidden (64).
    # Untied: a tied random model tends to repeat its input token when generating greedily.
    "qwen3-tiny": dict(_TINY, arch="qwen3", head_dim=32, tie=False, tokenizer_vocab=480),
    # The real shapes (Qwen/Qwen3-0.6B and Qwen/Qwen3-8B config.json).
    "qwen3-0.6b": dict(arch="qwen3", hidden=1024, intermediate=3072, layers=28, heads=16,
                       kv_heads=8, head_dim=128, vocab=151936, max_pos=40960, rope_theta=1000000.0,
                       rms_eps=1e-6, tie=True),
    "qwen3-8b": dict(arch="qwen3", hidden=4096, intermediate=12288, layers=36, heads=32,
                     kv_heads=8, head_dim=128, vocab=151936, max_pos=40960, rope_theta=1000000.0,
                     rms_eps=1e-6, tie=False),
}
ARCH_DEFAULTS = {
    "llama": dict(rope_theta=10000.0, rms_eps=1e-5, tie=False),
    "qwen2": dict(rope_theta=1000000.0, rms_eps=1e-6, tie=True),
    "qwen3": dict(rope_theta=1000000.0, rms_eps=1e-6, tie=True),
}

CHUNK_ELEMS = 1 << 22  # values drawn per generator call (16 MiB of float32)
NORM_NOISE = 0.1       # norm weights are 1 + NORM_NOISE * N(0, 1)
BIAS_STD = 0.5         # biases are BIAS_STD * N(0, 1)
DTYPES = {"float32": "F32", "bfloat16": "BF16", "float16": "F16"}


def parse_size(text):
    """'1000000', '512MB', '4GB', '2GiB' -> bytes (KB/MB/GB are powers of 1000, KiB.. of 1024)."""
    t = text.strip().upper().replace(" ", "")
    units = [("KIB", 1 << 10), ("MIB", 1 << 20), ("GIB", 1 << 30), ("KB", 10**3), ("MB", 10**6),
             ("GB", 10**9), ("B", 1)]
    for suffix, mult in units:
        if t.endswith(suffix):
            return int(float(t[:-len(suffix)]) * mult)
    return int(t)


def resolve_shape(args):
    """Merge preset, architecture defaults and explicit flags into one dict of settings."""
    preset = dict(PRESETS[args.preset]) if args.preset else {}
    arch = args.arch or preset.get("arch")
    if arch is None:
        raise SystemExit("--arch is required (or a preset that implies one)")
    if preset.get("arch") and args.arch and preset["arch"] != args.arch:
        raise SystemExit(f"--preset {args.preset} is a {preset['arch']} model, not --arch {arch}")
    s = dict(ARCH_DEFAULTS[arch])
    s.update(_TINY if not args.preset else {})
    s.update(preset)
    s["arch"] = arch
    for key in ("hidden", "intermediate", "layers", "heads", "kv_heads", "head_dim", "vocab",
                "tokenizer_vocab", "max_pos", "rope_theta", "rms_eps", "tie"):
        v = getattr(args, key)
        if v is not None:
            s[key] = v
    if s.get("head_dim") is None:
        s["head_dim"] = s["hidden"] // s["heads"]
    s.setdefault("tokenizer_vocab", s["vocab"])
    s["tokenizer_vocab"] = min(s["tokenizer_vocab"], s["vocab"])
    s["attention_bias"] = bool(args.attention_bias)
    s["mlp_bias"] = bool(args.mlp_bias)
    s["rope_scaling"] = json.loads(args.rope_scaling) if args.rope_scaling else None
    validate_shape(s)
    return s


def validate_shape(s):
    def need(cond, msg):
        if not cond:
            raise SystemExit(f"invalid shape: {msg}")
    for key in ("hidden", "intermediate", "layers", "heads", "kv_heads", "head_dim", "vocab",
                "max_pos"):
        need(s[key] > 0, f"{key} must be positive")
    need(s["heads"] % s["kv_heads"] == 0, "heads must be a multiple of kv_heads")
    need(s["head_dim"] % 2 == 0, "head_dim must be even (rotary embedding)")
    need(s["tokenizer_vocab"] >= 256 + len(bpe.SPECIAL_TOKENS),
         f"the tokenizer needs at least {256 + len(bpe.SPECIAL_TOKENS)} ids (256 bytes and the "
         "special tokens): raise --vocab / --tokenizer-vocab")
    if s["arch"] == "qwen2":
        need(s["head_dim"] * s["heads"] == s["hidden"],
             "Qwen2 has no head_dim setting: head_dim must be hidden / heads")
        need(not s["attention_bias"], "Qwen2 always has q/k/v biases and never an o_proj bias; "
             "--attention-bias is for llama and qwen3")
    if s["arch"] != "llama":
        need(not s["mlp_bias"], "--mlp-bias exists only for llama")
    rs = s["rope_scaling"]
    if rs is not None:
        kind = rs.get("rope_type", rs.get("type"))
        need(kind in ("llama3", "linear"), f"rope_scaling type {kind!r}: only llama3 and linear")
        need("factor" in rs, "rope_scaling needs a factor")
        if kind == "llama3":
            for key in ("low_freq_factor", "high_freq_factor", "original_max_position_embeddings"):
                need(key in rs, f"llama3 rope_scaling needs {key}")


def tensor_specs(s):
    """[(name, shape, init)] in model order, exactly the tensors transformers' modelling file
    defines for this shape. init is ('embed',), ('linear', fan_in), ('norm',) or ('bias',)."""
    h, hd = s["hidden"], s["head_dim"]
    q_dim, kv_dim = s["heads"] * hd, s["kv_heads"] * hd
    arch = s["arch"]
    qkv_bias = arch == "qwen2" or s["attention_bias"]
    o_bias = arch != "qwen2" and s["attention_bias"]
    specs = [("model.embed_tokens.weight", (s["vocab"], h), ("embed",))]
    for i in range(s["layers"]):
        p = f"model.layers.{i}."
        specs.append((p + "input_layernorm.weight", (h,), ("norm",)))
        for proj, out_dim in (("q_proj", q_dim), ("k_proj", kv_dim), ("v_proj", kv_dim)):
            specs.append((p + f"self_attn.{proj}.weight", (out_dim, h), ("linear", h)))
            if qkv_bias:
                specs.append((p + f"self_attn.{proj}.bias", (out_dim,), ("bias",)))
        specs.append((p + "self_attn.o_proj.weight", (h, q_dim), ("linear", q_dim)))
        if o_bias:
            specs.append((p + "self_attn.o_proj.bias", (h,), ("bias",)))
        if arch == "qwen3":
            specs.append((p + "self_attn.q_norm.weight", (hd,), ("norm",)))
            specs.append((p + "self_attn.k_norm.weight", (hd,), ("norm",)))
        specs.append((p + "post_attention_layernorm.weight", (h,), ("norm",)))
        for proj, shape, fan_in in (("gate_proj", (s["intermediate"], h), h),
                                    ("up_proj", (s["intermediate"], h), h),
                                    ("down_proj", (h, s["intermediate"]), s["intermediate"])):
            specs.append((p + f"mlp.{proj}.weight", shape, ("linear", fan_in)))
            if s["mlp_bias"]:
                specs.append((p + f"mlp.{proj}.bias", (shape[0],), ("bias",)))
    specs.append(("model.norm.weight", (h,), ("norm",)))
    if not s["tie"]:
        specs.append(("lm_head.weight", (s["vocab"], h), ("embed",)))
    return specs


def tensor_seed(seed, name):
    digest = hashlib.sha256(f"{seed}/{name}".encode("utf-8")).digest()
    return int.from_bytes(digest[:16], "little")


def tensor_chunks(seed, name, shape, init, logit_std, live_rows=None):
    """The tensor's float32 values, CHUNK_ELEMS at a time.

    - embed (embed_tokens, lm_head): N(0, logit_std / sqrt(hidden)), so that logits (a unit-RMS
      hidden state times these rows) have a standard deviation of about logit_std. Rows from
      live_rows on are zero (the caller passes it for the output matrix: lm_head, or the tied
      embedding), for the ids the tokenizer lacks, like the padding rows of real Qwen
      checkpoints: their logit is exactly 0, far below the top logits, so greedy generation
      never picks an id the tokenizer cannot decode;
    - linear: N(0, 1 / sqrt(fan_in)), which keeps activations and attention scores of order 1
      (attention is far from uniform, so RoPE and masking errors show in the logits);
    - norm: 1 + NORM_NOISE * N(0, 1); bias: BIAS_STD * N(0, 1).
    The generator is drawn for every value (zeroed rows too), so a value depends only on the
    seed, the tensor name and its index.
    """
    rng = np.random.Generator(np.random.PCG64(tensor_seed(seed, name)))
    kind = init[0]
    if kind == "embed":
        std, mean = logit_std / math.sqrt(shape[1]), 0.0
    elif kind == "linear":
        std, mean = 1.0 / math.sqrt(init[1]), 0.0
    elif kind == "norm":
        std, mean = NORM_NOISE, 1.0
    else:
        std, mean = BIAS_STD, 0.0
    total = int(np.prod(shape))
    dead_from = total
    if kind == "embed" and live_rows is not None:
        dead_from = min(total, live_rows * shape[1])
    for start in range(0, total, CHUNK_ELEMS):
        x = rng.standard_normal(min(CHUNK_ELEMS, total - start), dtype=np.float32)
        x *= np.float32(std)
        if mean:
            x += np.float32(mean)
        if start + len(x) > dead_from:
            x[max(0, dead_from - start):] = 0.0
        yield x


def plan_files(specs, dtype, shard_size):
    """[(file name, [(name, shape, init)])]: one file, or shards filled in model order."""
    if not shard_size:
        return [("model.safetensors", list(specs))]
    shards, cur, cur_bytes = [], [], 0
    for spec in specs:
        nbytes = st.tensor_nbytes(dtype, spec[1])
        if cur and cur_bytes + nbytes > shard_size:
            shards.append(cur)
            cur, cur_bytes = [], 0
        cur.append(spec)
        cur_bytes += nbytes
    if cur:
        shards.append(cur)
    n = len(shards)
    return [(f"model-{i + 1:05d}-of-{n:05d}.safetensors", sh) for i, sh in enumerate(shards)]


def special_ids(tokenizer_json):
    return {t["content"]: t["id"] for t in tokenizer_json["added_tokens"]}


def make_config(s, torch_dtype, ids):
    arch_name, model_type = ARCHES[s["arch"]]
    cfg = {
        "architectures": [arch_name],
        "model_type": model_type,
        "vocab_size": s["vocab"],
        "hidden_size": s["hidden"],
        "intermediate_size": s["intermediate"],
        "num_hidden_layers": s["layers"],
        "num_attention_heads": s["heads"],
        "num_key_value_heads": s["kv_heads"],
        "head_dim": s["head_dim"],
        "hidden_act": "silu",
        "max_position_embeddings": s["max_pos"],
        "initializer_range": 0.02,
        "rms_norm_eps": s["rms_eps"],
        "rope_theta": s["rope_theta"],
        "rope_scaling": s["rope_scaling"],
        "attention_dropout": 0.0,
        "tie_word_embeddings": s["tie"],
        "bos_token_id": ids["<|endoftext|>"],
        "eos_token_id": ids["<|im_end|>"],
        "use_cache": True,
        "torch_dtype": torch_dtype,
    }
    if s["arch"] == "llama":
        cfg.update(attention_bias=s["attention_bias"], mlp_bias=s["mlp_bias"], pretraining_tp=1)
    elif s["arch"] == "qwen2":
        # Like the real Qwen2 configs: no attention_bias key (q/k/v always have biases).
        cfg.update(use_sliding_window=False, sliding_window=s["max_pos"],
                   max_window_layers=s["layers"])
    else:
        cfg.update(attention_bias=s["attention_bias"], use_sliding_window=False,
                   sliding_window=None, max_window_layers=s["layers"])
    return cfg


CHAT_TEMPLATE = (
    "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + message['content']"
    " + '<|im_end|>' + '\\n'}}{% endfor %}{% if add_generation_prompt %}"
    "{{ '<|im_start|>assistant\\n' }}{% endif %}"
)


def make_tokenizer_config(tokenizer_json, max_pos):
    decoder = {}
    for t in tokenizer_json["added_tokens"]:
        decoder[str(t["id"])] = {k: t[k] for k in ("content", "lstrip", "normalized", "rstrip",
                                                  "single_word", "special")}
    return {
        "add_bos_token": False,
        "add_prefix_space": False,
        "added_tokens_decoder": decoder,
        "additional_special_tokens": ["<|im_start|>", "<|im_end|>"],
        "bos_token": None,
        "chat_template": CHAT_TEMPLATE,
        "clean_up_tokenization_spaces": False,
        "eos_token": "<|im_end|>",
        "errors": "replace",
        "model_max_length": max_pos,
        "pad_token": "<|endoftext|>",
        "split_special_tokens": False,
        "tokenizer_class": "Qwen2Tokenizer",
        "unk_token": None,
    }


def make_tokenizer(s, nfc=True, corpus_path=None):
    if corpus_path is None:
        corpus_path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus_en.txt")
    with open(corpus_path, encoding="utf-8") as f:
        text = f.read()
    num_merges = s["tokenizer_vocab"] - 256 - len(bpe.SPECIAL_TOKENS)
    merges = bpe.train_bpe(text, num_merges)
    return bpe.build_tokenizer_json(merges, nfc=nfc)


def write_json(path, obj):
    with open(path, "w", encoding="utf-8") as f:
        json.dump(obj, f, indent=2, ensure_ascii=False)
        f.write("\n")


def print_table(s, specs, dtype, files, out=sys.stdout):
    total_params = sum(int(np.prod(shape)) for _, shape, _ in specs)
    total_bytes = sum(st.tensor_nbytes(dtype, shape) for _, shape, _ in specs)
    where = {name: fn for fn, group in files for name, _, _ in group}
    for name, shape, _ in specs:
        out.write(f"{name:<56} {dtype:<5} {str(list(shape)):<16} "
                  f"{st.tensor_nbytes(dtype, shape):>14,}  {where[name]}\n")
    out.write(f"tensors {len(specs)}  parameters {total_params:,}  bytes {total_bytes:,}  "
              f"files {len(files)}\n")


def build_parser():
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="presets: " + ", ".join(PRESETS))
    ap.add_argument("outdir")
    ap.add_argument("--arch", choices=sorted(ARCHES))
    ap.add_argument("--preset", choices=list(PRESETS))
    for flag, typ, hlp in (("--hidden", int, "hidden_size"),
                           ("--intermediate", int, "intermediate_size"),
                           ("--layers", int, "num_hidden_layers"),
                           ("--heads", int, "num_attention_heads"),
                           ("--kv-heads", int, "num_key_value_heads"),
                           ("--head-dim", int, "head_dim (default hidden / heads)"),
                           ("--vocab", int, "vocab_size: rows of embed_tokens / lm_head"),
                           ("--tokenizer-vocab", int, "ids the tokenizer may use (<= vocab); "
                            "fewer if the corpus runs out of merges"),
                           ("--max-pos", int, "max_position_embeddings"),
                           ("--rope-theta", float, "rope_theta"),
                           ("--rms-eps", float, "rms_norm_eps")):
        ap.add_argument(flag, type=typ, help=hlp)
    ap.add_argument("--rope-scaling", metavar="JSON",
                    help='e.g. \'{"rope_type":"linear","factor":2.0}\' or llama3 parameters')
    ap.add_argument("--tie", dest="tie", action="store_true", default=None,
                    help="tie_word_embeddings (no lm_head.weight)")
    ap.add_argument("--no-tie", dest="tie", action="store_false")
    ap.add_argument("--attention-bias", action="store_true",
                    help="attention_bias=true (llama, qwen3): q/k/v/o biases")
    ap.add_argument("--mlp-bias", action="store_true", help="mlp_bias=true (llama)")
    ap.add_argument("--dtype", choices=list(DTYPES), default="float32")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--logit-std", type=float, default=4.0,
                    help="scale of embed_tokens / lm_head: logits have about this std (default 4)")
    ap.add_argument("--shard-size", type=parse_size, metavar="BYTES",
                    help="write shards of at most this many bytes of tensor data (one tensor "
                         "larger than that gets a shard alone) and model.safetensors.index.json; "
                         "accepts 500MB, 4GB, 2GiB")
    ap.add_argument("--no-nfc", action="store_true",
                    help="tokenizer.json without the NFC normalizer (real Qwen2 has it)")
    ap.add_argument("--corpus", help="text to train the BPE merges on (default: corpus_en.txt)")
    ap.add_argument("--dry-run", action="store_true",
                    help="print the tensor table and totals; write nothing")
    return ap


def main(argv=None):
    args = build_parser().parse_args(argv)
    s = resolve_shape(args)
    dtype = DTYPES[args.dtype]
    specs = tensor_specs(s)
    files = plan_files(specs, dtype, args.shard_size)
    if args.dry_run:
        print_table(s, specs, dtype, files)
        return 0

    os.makedirs(args.outdir, exist_ok=True)
    for fn in os.listdir(args.outdir):  # stale weights of an earlier run would confuse loaders
        if fn.endswith(".safetensors") or fn == "model.safetensors.index.json":
            os.remove(os.path.join(args.outdir, fn))

    tok = make_tokenizer(s, nfc=not args.no_nfc, corpus_path=args.corpus)
    ids = special_ids(tok)
    write_json(os.path.join(args.outdir, "tokenizer.json"), tok)
    write_json(os.path.join(args.outdir, "tokenizer_config.json"),
               make_tokenizer_config(tok, s["max_pos"]))
    write_json(os.path.join(args.outdir, "config.json"), make_config(s, args.dtype, ids))
    write_json(os.path.join(args.outdir, "generation_config.json"), {
        "bos_token_id": ids["<|endoftext|>"],
        "eos_token_id": [ids["<|im_end|>"], ids["<|endoftext|>"]],
        "pad_token_id": ids["<|endoftext|>"],
        "do_sample": False,
    })

    inits = {name: init for name, _, init in specs}
    bpe_size = len(tok["model"]["vocab"]) + len(tok["added_tokens"])

    def chunks_of(name, _dtype, shape):
        # The output rows of ids the tokenizer lacks are zero (lm_head, or the tied embedding).
        is_output = name == "lm_head.weight" or (s["tie"] and name == "model.embed_tokens.weight")
        return tensor_chunks(args.seed, name, shape, inits[name], args.logit_std,
                             live_rows=bpe_size if is_output else None)

    weight_map = {}
    for fn, group in files:
        st.write_safetensors(os.path.join(args.outdir, fn),
                             [(name, dtype, shape) for name, shape, _ in group], chunks_of)
        for name, _, _ in group:
            weight_map[name] = fn
    if args.shard_size:
        total = sum(st.tensor_nbytes(dtype, shape) for _, shape, _ in specs)
        write_json(os.path.join(args.outdir, "model.safetensors.index.json"),
                   {"metadata": {"total_size": total},
                    "weight_map": dict(sorted(weight_map.items()))})

    write_json(os.path.join(args.outdir, "synthetic_model.json"), {
        "made_by": "tools/model/make_synthetic_model.py",
        "argv": list(argv) if argv is not None else sys.argv[1:],
        "seed": args.seed,
        "dtype": args.dtype,
        "settings": s,
        "init": {"embed_std": f"{args.logit_std} / sqrt(hidden)",
                 "output_rows_zero_from": bpe_size, "linear_std": "1 / sqrt(fan_in)",
                 "norm": f"1 + {NORM_NOISE} * N(0,1)", "bias_std": BIAS_STD,
                 "rng": "numpy PCG64 seeded by sha256(f'{seed}/{tensor name}')[:16] (little "
                        f"endian), standard_normal float32 in chunks of {CHUNK_ELEMS}"},
        "tokenizer": {"bpe_vocab": len(tok["model"]["vocab"]),
                      "merges": len(tok["model"]["merges"]),
                      "size_with_added_tokens": bpe_size, "special_token_ids": ids,
                      "nfc": not args.no_nfc},
    })
    print(f"wrote {args.outdir}: {s['arch']} {len(specs)} tensors in {len(files)} file(s), "
          f"tokenizer {bpe_size} ids (vocab_size {s['vocab']})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
