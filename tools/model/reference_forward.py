#!/usr/bin/env python3
"""Reference forward pass of LlamaForCausalLM / Qwen2ForCausalLM / Qwen3ForCausalLM in NumPy.

An independent, deliberately plain re-statement of the Hugging Face transformers modelling code
(modeling_llama.py, modeling_qwen2.py, modeling_qwen3.py, modeling_rope_utils.py), for checking
model backends against on small models:

  h = embed_tokens[ids]
  per layer:
    x = RMSNorm(h) * input_layernorm            RMSNorm(x) = x / sqrt(mean(x^2) + eps)
    q, k, v = x Wq^T (+bq), x Wk^T (+bk), x Wv^T (+bv)     biases: Qwen2 always (q, k, v);
                                                           Llama / Qwen3 if attention_bias
    Qwen3: q, k = RMSNorm(q_head) * q_norm, RMSNorm(k_head) * k_norm, per head, BEFORE RoPE
    q, k = q cos + rotate_half(q) sin, ...      rotate_half(x) = [-x2, x1] (halves, not pairs)
                                                cos/sin of position * inv_freq, duplicated
    attention per query head, its KV head = head // (heads / kv_heads)  (repeat_kv)
    scores = q k^T / sqrt(head_dim), causal mask, softmax, times v
    h = h + concat(heads) Wo^T (+bo)
    x = RMSNorm(h) * post_attention_layernorm
    h = h + (silu(x Wg^T) * (x Wu^T)) Wd^T
  logits = (RMSNorm(h) * norm) lm_head^T        lm_head = embed_tokens if tie_word_embeddings

inv_freq = 1 / theta^(2i / head_dim), i = 0 .. head_dim/2 - 1, rounded to float32 as transformers
computes it, then changed by rope_scaling: "linear" divides by factor; "llama3" follows
_compute_llama3_parameters (low / high frequency bands with smooth interpolation between). The
angle position * inv_freq is a float32 product, as in transformers; everything else is computed in
float64 by default (or float32 with --compute float32) from the stored weights (F32, F16, BF16).

Sliding-window attention (Qwen2 / Qwen3 with use_sliding_window true) is not implemented and is
refused.

CLI:
    reference_forward.py MODEL_DIR --ids 1,2,3 [--ids 4,5] --out logits.json
                         [--all-positions] [--greedy N] [--compute float64|float32]
Output JSON: {"model_dir", "architecture", "compute", "sequences": [{"input_ids",
"last_logits", "last_argmax", "last_top2_margin", ["all_logits"], ["greedy_ids",
"greedy_min_top2_margin"]}]}. Greedy generation never stops early (no EOS check).
"""

import argparse
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
import safetensors_io as st  # noqa: E402

SUPPORTED = ("LlamaForCausalLM", "Qwen2ForCausalLM", "Qwen3ForCausalLM")


def rope_inv_freq(config, head_dim):
    """inv_freq as transformers computes it (float32), with rope_scaling applied."""
    theta = float(config.get("rope_theta", 10000.0))
    exponents = np.arange(0, head_dim, 2, dtype=np.int64).astype(np.float32) / np.float32(head_dim)
    inv_freq = (1.0 / (np.float64(theta) ** exponents.astype(np.float64))).astype(np.float32)
    scaling = config.get("rope_scaling")
    if not scaling:
        return inv_freq.astype(np.float64)
    kind = scaling.get("rope_type", scaling.get("type"))
    if kind == "default":
        return inv_freq.astype(np.float64)
    factor = float(scaling["factor"])
    if kind == "linear":
        return (inv_freq / np.float32(factor)).astype(np.float64)
    if kind == "llama3":
        low_freq_factor = float(scaling["low_freq_factor"])
        high_freq_factor = float(scaling["high_freq_factor"])
        old_context_len = float(scaling["original_max_position_embeddings"])
        low_freq_wavelen = old_context_len / low_freq_factor
        high_freq_wavelen = old_context_len / high_freq_factor
        inv = inv_freq.astype(np.float64)
        wavelen = 2 * math.pi / inv
        inv_llama = np.where(wavelen > low_freq_wavelen, inv / factor, inv)
        smooth = ((old_context_len / wavelen - low_freq_factor)
                  / (high_freq_factor - low_freq_factor))
        smoothed = (1 - smooth) * inv_llama / factor + smooth * inv_llama
        is_medium = ~(wavelen < high_freq_wavelen) & ~(wavelen > low_freq_wavelen)
        inv_llama = np.where(is_medium, smoothed, inv_llama)
        return inv_llama.astype(np.float32).astype(np.float64)
    raise ValueError(f"unsupported rope_scaling type {kind!r} (supported: linear, llama3)")


def rotate_half(x):
    half = x.shape[-1] // 2
    return np.concatenate([-x[..., half:], x[..., :half]], axis=-1)


class Model:
    def __init__(self, model_dir, compute="float64"):
        self.model_dir = model_dir
        with open(os.path.join(model_dir, "config.json")) as f:
            self.config = c = json.load(f)
        self.arch = (c.get("architectures") or [None])[0]
        if self.arch not in SUPPORTED:
            raise ValueError(f"unsupported architecture {self.arch!r}")
        if c.get("use_sliding_window"):
            raise ValueError("sliding-window attention is not implemented")
        if c.get("hidden_act", "silu") != "silu":
            raise ValueError(f"unsupported hidden_act {c.get('hidden_act')!r}")
        self.dtype = np.float64 if compute == "float64" else np.float32
        self.compute = compute
        self.hidden = c["hidden_size"]
        self.layers = c["num_hidden_layers"]
        self.heads = c["num_attention_heads"]
        self.kv_heads = c.get("num_key_value_heads") or self.heads
        self.head_dim = c.get("head_dim") or self.hidden // self.heads
        self.eps = float(c.get("rms_norm_eps", 1e-6))
        self.vocab = c["vocab_size"]
        self.tie = bool(c.get("tie_word_embeddings", False))
        self.inv_freq = rope_inv_freq(c, self.head_dim)

        tensors, self.stored_dtypes = st.load_model_tensors(model_dir)
        self.w = {k: v.astype(self.dtype, copy=False) for k, v in tensors.items()}
        self._transposed = {}
        self._check_tensors()

    def _expected_shapes(self):
        c, h, hd = self.config, self.hidden, self.head_dim
        q_dim, kv_dim, inter = self.heads * hd, self.kv_heads * hd, c["intermediate_size"]
        qwen2 = self.arch == "Qwen2ForCausalLM"
        attn_bias = bool(c.get("attention_bias", False)) and not qwen2
        shapes = {"model.embed_tokens.weight": (self.vocab, h), "model.norm.weight": (h,)}
        if not self.tie:
            shapes["lm_head.weight"] = (self.vocab, h)
        for i in range(self.layers):
            p = f"model.layers.{i}."
            shapes[p + "input_layernorm.weight"] = (h,)
            shapes[p + "post_attention_layernorm.weight"] = (h,)
            for proj, dim in (("q_proj", q_dim), ("k_proj", kv_dim), ("v_proj", kv_dim)):
                shapes[p + f"self_attn.{proj}.weight"] = (dim, h)
                if qwen2 or attn_bias:
                    shapes[p + f"self_attn.{proj}.bias"] = (dim,)
            shapes[p + "self_attn.o_proj.weight"] = (h, q_dim)
            if attn_bias:
                shapes[p + "self_attn.o_proj.bias"] = (h,)
            if self.arch == "Qwen3ForCausalLM":
                shapes[p + "self_attn.q_norm.weight"] = (hd,)
                shapes[p + "self_attn.k_norm.weight"] = (hd,)
            for proj, shape in (("gate_proj", (inter, h)), ("up_proj", (inter, h)),
                                ("down_proj", (h, inter))):
                shapes[p + f"mlp.{proj}.weight"] = shape
                if c.get("mlp_bias") and self.arch == "LlamaForCausalLM":
                    shapes[p + f"mlp.{proj}.bias"] = (shape[0],)
        return shapes

    def _check_tensors(self):
        expected = self._expected_shapes()
        missing = sorted(set(expected) - set(self.w))
        # A tied checkpoint may still carry lm_head.weight; transformers ignores it then.
        ignored = {"lm_head.weight"} if self.tie else set()
        unexpected = sorted(set(self.w) - set(expected) - ignored)
        if missing or unexpected:
            raise ValueError(f"tensors missing: {missing[:5]} unexpected: {unexpected[:5]}")
        for name, shape in expected.items():
            if tuple(self.w[name].shape) != tuple(shape):
                raise ValueError(f"{name}: shape {self.w[name].shape}, expected {shape}")

    # --- building blocks, each as in transformers -------------------------------------------

    def rms_norm(self, x, weight):
        variance = np.mean(x * x, axis=-1, keepdims=True)
        return weight * (x / np.sqrt(variance + self.eps))

    def linear(self, x, name):
        # x @ W^T, with W^T kept as a contiguous copy (NumPy's BLAS is slow on transposed views).
        wt = self._transposed.get(name)
        if wt is None:
            wt = self._transposed[name] = np.ascontiguousarray(self.w[name + ".weight"].T)
        y = x @ wt
        bias = self.w.get(name + ".bias")
        return y if bias is None else y + bias

    def rope(self, x, positions):
        """x: [T, n_heads, head_dim]; positions: [T]."""
        angles = (positions.astype(np.float32)[:, None] * self.inv_freq.astype(np.float32)[None, :])
        emb = np.concatenate([angles, angles], axis=-1).astype(np.float64)
        cos = np.cos(emb).astype(self.dtype)[:, None, :]
        sin = np.sin(emb).astype(self.dtype)[:, None, :]
        return x * cos + rotate_half(x) * sin

    @staticmethod
    def silu(x):
        return x / (1.0 + np.exp(-x))

    # --- the model --------------------------------------------------------------------------

    def new_cache(self):
        """Per layer, the keys and values (after RoPE) of all positions so far: [kv_heads, T, d]."""
        empty = np.zeros((self.kv_heads, 0, self.head_dim), dtype=self.dtype)
        return {"len": 0, "k": [empty] * self.layers, "v": [empty] * self.layers}

    def attention(self, x, layer, positions, cache):
        p = f"model.layers.{layer}.self_attn."
        T = x.shape[0]
        q = self.linear(x, p + "q_proj").reshape(T, self.heads, self.head_dim)
        k = self.linear(x, p + "k_proj").reshape(T, self.kv_heads, self.head_dim)
        v = self.linear(x, p + "v_proj").reshape(T, self.kv_heads, self.head_dim)
        if self.arch == "Qwen3ForCausalLM":
            q = self.rms_norm(q, self.w[p + "q_norm.weight"])
            k = self.rms_norm(k, self.w[p + "k_norm.weight"])
        q = self.rope(q, positions)
        k = self.rope(k, positions)

        keys = np.concatenate([cache["k"][layer], k.transpose(1, 0, 2)], axis=1)
        values = np.concatenate([cache["v"][layer], v.transpose(1, 0, 2)], axis=1)
        cache["k"][layer], cache["v"][layer] = keys, values
        key_positions = np.arange(keys.shape[1])

        group = self.heads // self.kv_heads
        out = np.empty((T, self.heads, self.head_dim), dtype=self.dtype)
        scale = 1.0 / math.sqrt(self.head_dim)
        mask = key_positions[None, :] > positions[:, None]  # [T, S]: key after the query
        for h in range(self.heads):
            kv = h // group  # repeat_kv: query head h reads KV head h // group
            scores = (q[:, h, :] @ keys[kv].T) * scale
            scores = np.where(mask, -np.inf, scores)
            scores = scores - scores.max(axis=-1, keepdims=True)
            probs = np.exp(scores)
            probs /= probs.sum(axis=-1, keepdims=True)
            out[:, h, :] = probs @ values[kv]
        return self.linear(out.reshape(T, self.heads * self.head_dim), p + "o_proj")

    def mlp(self, x, layer):
        p = f"model.layers.{layer}.mlp."
        hidden = self.silu(self.linear(x, p + "gate_proj")) * self.linear(x, p + "up_proj")
        return self.linear(hidden, p + "down_proj")

    def forward(self, ids, cache=None):
        """Logits [len(ids), vocab] for ids that follow the cache's positions (a new cache if
        None). The cache is updated in place."""
        if cache is None:
            cache = self.new_cache()
        ids = np.asarray(ids, dtype=np.int64)
        if ids.min(initial=0) < 0 or ids.max(initial=0) >= self.vocab:
            raise ValueError(f"token id out of range [0, {self.vocab})")
        positions = np.arange(cache["len"], cache["len"] + len(ids))
        h = self.w["model.embed_tokens.weight"][ids]
        for layer in range(self.layers):
            p = f"model.layers.{layer}."
            h = h + self.attention(self.rms_norm(h, self.w[p + "input_layernorm.weight"]),
                                   layer, positions, cache)
            h = h + self.mlp(self.rms_norm(h, self.w[p + "post_attention_layernorm.weight"]), layer)
        cache["len"] += len(ids)
        h = self.rms_norm(h, self.w["model.norm.weight"])
        head = self.w["model.embed_tokens.weight"] if self.tie else self.w["lm_head.weight"]
        return h @ head.T

    def greedy(self, ids, n):
        """(n greedily generated ids, logits of the prompt, smallest top-1 / top-2 gap seen)."""
        cache = self.new_cache()
        logits = self.forward(ids, cache)
        prompt_logits = logits
        out = []
        min_margin = math.inf
        last = logits[-1]
        for _ in range(n):
            min_margin = min(min_margin, top2_margin(last))
            nxt = int(np.argmax(last))
            out.append(nxt)
            last = self.forward([nxt], cache)[-1]
        return out, prompt_logits, min_margin


def top2_margin(logits):
    top = np.partition(np.asarray(logits, dtype=np.float64), -2)[-2:]
    return float(top[1] - top[0])


def parse_ids(text):
    ids = [int(x) for x in text.replace(" ", "").split(",") if x]
    if not ids:
        raise argparse.ArgumentTypeError("empty id list")
    return ids


def run(model, sequences, all_positions=False, greedy=0):
    result = {"model_dir": os.path.abspath(model.model_dir), "architecture": model.arch,
              "compute": model.compute, "sequences": []}
    for ids in sequences:
        if greedy:
            gen, logits, margin = model.greedy(ids, greedy)
        else:
            logits = model.forward(ids)
        entry = {"input_ids": list(ids),
                 "last_logits": [float(x) for x in logits[-1]],
                 "last_argmax": int(np.argmax(logits[-1])),
                 "last_top2_margin": top2_margin(logits[-1])}
        if all_positions:
            entry["all_logits"] = [[float(x) for x in row] for row in logits]
        if greedy:
            entry["greedy_ids"] = gen
            entry["greedy_min_top2_margin"] = margin
        result["sequences"].append(entry)
    return result


def main(argv=None):
    ap = argparse.ArgumentParser(description="NumPy reference forward pass of Llama / Qwen2 / "
                                             "Qwen3 Hugging Face models.")
    ap.add_argument("model_dir")
    ap.add_argument("--ids", type=parse_ids, action="append", required=True,
                    help="comma-separated token ids of one sequence; repeat for more sequences")
    ap.add_argument("--out", required=True, help="JSON file to write ('-' for stdout)")
    ap.add_argument("--all-positions", action="store_true",
                    help="also write the logits of every position")
    ap.add_argument("--greedy", type=int, default=0, metavar="N",
                    help="also generate N tokens greedily (argmax, no EOS stop)")
    ap.add_argument("--compute", choices=("float64", "float32"), default="float64")
    args = ap.parse_args(argv)
    model = Model(args.model_dir, compute=args.compute)
    result = run(model, args.ids, args.all_positions, args.greedy)
    text = json.dumps(result)
    if args.out == "-":
        sys.stdout.write(text + "\n")
    else:
        with open(args.out, "w") as f:
            f.write(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
