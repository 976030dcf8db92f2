"""reference_forward.py: reproduces an independent implementation (llama2.c run.c) on the real
stories260K model, agrees with a second, loop-by-loop statement of the HF modelling code on
synthetic Llama / Qwen2 / Qwen3 models, and is consistent between prefill, chunks and decode."""

import contextlib
import io
import json
import math
import os
import subprocess
import sys
import tempfile
import unittest

# Before NumPy loads: BLAS threads make tiny matrix products very slow on a busy machine.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np  # noqa: E402

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TOOLS = os.path.join(REPO, "tools", "model")
sys.path.insert(0, TOOLS)
import make_synthetic_model as msm  # noqa: E402
import reference_forward as rf  # noqa: E402

STORIES = os.path.join(REPO, "tests", "fixtures", "models", "stories260K")


def load_json(path):
    with open(path) as f:
        return json.load(f)


class Stories260K(unittest.TestCase):
    """run.c (llama2.c, C, fp32, interleaved-pair RoPE on the original checkpoint) is an
    implementation that shares no code with this one."""

    @classmethod
    def setUpClass(cls):
        cls.model = rf.Model(STORIES)
        cls.logits_ref = load_json(os.path.join(STORIES, "reference_logits.json"))["cases"]
        cls.greedy_ref = load_json(os.path.join(STORIES, "reference.json"))["cases"]

    def test_logits_after_prompt(self):
        self.assertGreaterEqual(len(self.logits_ref), 4)
        for compute in ("float64", "float32"):
            model = self.model if compute == "float64" else rf.Model(STORIES, compute="float32")
            for case in self.logits_ref:
                got = model.forward(case["prompt_ids"])[-1]
                want = np.array(case["logits_after_prompt"])
                self.assertEqual(got.shape, want.shape)
                err = float(np.max(np.abs(got - want)))
                self.assertLess(err, 1e-4, f"{compute} {case['prompt']!r}: max error {err}")

    def test_greedy_generation(self):
        self.assertGreaterEqual(len(self.greedy_ref), 4)
        for case in self.greedy_ref:
            got, _, _ = self.model.greedy(case["prompt_ids"], case["max_new_tokens"])
            self.assertEqual(got, case["generated_ids"], case["prompt"])

    def test_cli(self):
        cases = self.greedy_ref[:2]
        with tempfile.TemporaryDirectory() as tmp:
            out = os.path.join(tmp, "logits.json")
            cmd = [sys.executable, os.path.join(TOOLS, "reference_forward.py"), STORIES,
                   "--out", out, "--greedy", "8", "--all-positions"]
            for case in cases:
                cmd += ["--ids", ",".join(map(str, case["prompt_ids"]))]
            subprocess.run(cmd, check=True)
            result = load_json(out)
        self.assertEqual(result["architecture"], "LlamaForCausalLM")
        self.assertEqual(result["compute"], "float64")
        self.assertEqual(len(result["sequences"]), 2)
        for case, seq in zip(cases, result["sequences"]):
            self.assertEqual(seq["input_ids"], case["prompt_ids"])
            self.assertEqual(seq["greedy_ids"], case["generated_ids"][:8])
            self.assertEqual(len(seq["all_logits"]), len(case["prompt_ids"]))
            self.assertEqual(seq["all_logits"][-1], seq["last_logits"])
            self.assertEqual(seq["last_argmax"], case["generated_ids"][0])
            self.assertGreater(seq["greedy_min_top2_margin"], 0)
            want = [c for c in self.logits_ref if c["prompt_ids"] == case["prompt_ids"]][0]
            self.assertLess(np.max(np.abs(np.array(seq["last_logits"])
                                          - np.array(want["logits_after_prompt"]))), 1e-4)


def naive_forward(model_dir, ids):
    """A second statement of the HF Llama / Qwen2 / Qwen3 forward pass, written for clarity, not
    speed: one token at a time with a KV list, one head at a time, RoPE as an explicit rotation
    of the pairs (i, i + d/2), which is what rotate_half does. Returns logits [len(ids), vocab]."""
    import safetensors_io as st
    c = load_json(os.path.join(model_dir, "config.json"))
    w, _ = st.load_model_tensors(model_dir)
    w = {k: v.astype(np.float64) for k, v in w.items()}
    arch = c["architectures"][0]
    H, KV = c["num_attention_heads"], c["num_key_value_heads"]
    D = c.get("head_dim") or c["hidden_size"] // H
    eps = c["rms_norm_eps"]
    inv_freq = rf.rope_inv_freq(c, D)  # its own test below checks the scaling variants

    def norm(x, weight):
        return weight * x / math.sqrt(float(np.dot(x, x)) / len(x) + eps)

    def lin(x, name):
        y = w[name + ".weight"].dot(x)
        return y + w[name + ".bias"] if name + ".bias" in w else y

    def rotate(x, pos):
        y = x.copy()
        for i in range(D // 2):
            angle = float(np.float32(pos) * np.float32(inv_freq[i]))
            cs, sn = math.cos(angle), math.sin(angle)
            y[i] = x[i] * cs - x[i + D // 2] * sn
            y[i + D // 2] = x[i + D // 2] * cs + x[i] * sn
        return y

    keys = [[] for _ in range(c["num_hidden_layers"])]   # [layer][pos] -> [KV, D]
    values = [[] for _ in range(c["num_hidden_layers"])]
    head = w["model.embed_tokens.weight"] if c.get("tie_word_embeddings") else w["lm_head.weight"]
    out = []
    for pos, tok in enumerate(ids):
        h = w["model.embed_tokens.weight"][tok].copy()
        for layer in range(c["num_hidden_layers"]):
            p = f"model.layers.{layer}."
            x = norm(h, w[p + "input_layernorm.weight"])
            q = lin(x, p + "self_attn.q_proj").reshape(H, D)
            k = lin(x, p + "self_attn.k_proj").reshape(KV, D)
            v = lin(x, p + "self_attn.v_proj").reshape(KV, D)
            if arch == "Qwen3ForCausalLM":
                q = np.stack([norm(q[i], w[p + "self_attn.q_norm.weight"]) for i in range(H)])
                k = np.stack([norm(k[i], w[p + "self_attn.k_norm.weight"]) for i in range(KV)])
            q = np.stack([rotate(q[i], pos) for i in range(H)])
            k = np.stack([rotate(k[i], pos) for i in range(KV)])
            keys[layer].append(k)
            values[layer].append(v)
            attn = np.zeros(H * D)
            for i in range(H):
                g = i * KV // H  # the KV head shared by this query head's group
                scores = [float(np.dot(q[i], keys[layer][t][g])) / math.sqrt(D)
                          for t in range(pos + 1)]
                top = max(scores)
                e = [math.exp(s - top) for s in scores]
                total = sum(e)
                attn[i * D:(i + 1) * D] = sum(e[t] / total * values[layer][t][g]
                                              for t in range(pos + 1))
            h = h + lin(attn, p + "self_attn.o_proj")
            x = norm(h, w[p + "post_attention_layernorm.weight"])
            gate = lin(x, p + "mlp.gate_proj")
            h = h + lin(gate / (1 + np.exp(-gate)) * lin(x, p + "mlp.up_proj"), p + "mlp.down_proj")
        out.append(head.dot(norm(h, w["model.norm.weight"])))
    return np.array(out)


class SyntheticArchitectures(unittest.TestCase):
    VARIANTS = {
        "llama": ["--preset", "llama-tiny"],
        "llama-tied-biases-llama3-rope": [
            "--preset", "llama-tiny", "--tie", "--attention-bias", "--mlp-bias", "--rope-scaling",
            '{"rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0, '
            '"high_freq_factor": 4.0, "original_max_position_embeddings": 64}'],
        "qwen2": ["--preset", "qwen2-tiny"],
        "qwen2-bf16-linear-rope": ["--preset", "qwen2-tiny", "--dtype", "bfloat16",
                                   "--rope-scaling", '{"rope_type": "linear", "factor": 4.0}'],
        "qwen3": ["--preset", "qwen3-tiny"],
        "qwen3-tied-bias-mqa": ["--preset", "qwen3-tiny", "--tie", "--attention-bias",
                                "--kv-heads", "1", "--rope-theta", "10000"],
    }
    IDS = [5, 300, 17, 17, 42, 99, 250, 1, 77, 400, 3]

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        cls.dirs = {}
        for name, args in cls.VARIANTS.items():
            d = os.path.join(cls.tmp.name, name)
            with contextlib.redirect_stdout(io.StringIO()):
                msm.main([d, "--seed", "21", *args])
            cls.dirs[name] = d

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def test_matches_naive_statement(self):
        for name, d in self.dirs.items():
            model = rf.Model(d)
            got = model.forward(self.IDS)
            want = naive_forward(d, self.IDS)
            err = float(np.max(np.abs(got - want)))
            self.assertLess(err, 1e-9, f"{name}: max difference {err}")

    def test_prefill_chunks_and_decode_agree(self):
        for name, d in self.dirs.items():
            model = rf.Model(d)
            full = model.forward(self.IDS)
            cache = model.new_cache()
            parts = [model.forward(self.IDS[:4], cache), model.forward(self.IDS[4:5], cache),
                     model.forward(self.IDS[5:], cache)]
            self.assertEqual(cache["len"], len(self.IDS))
            err = float(np.max(np.abs(np.concatenate(parts) - full)))
            self.assertLess(err, 1e-10, name)

    def test_positions_matter(self):
        # Attention scores are of order 1, so position (RoPE) and context change the logits:
        # a backend that ignores positions or the causal mask cannot match.
        model = rf.Model(self.dirs["qwen3"])
        a = model.forward([7, 8, 9, 10])[-1]
        b = model.forward([8, 7, 9, 10])[-1]
        c = model.forward([7, 8, 9, 10, 11])[3]
        self.assertGreater(float(np.max(np.abs(a - b))), 0.05)
        self.assertLess(float(np.max(np.abs(a - c))), 1e-12, "later tokens do not leak back")

    def test_float32_compute_is_close(self):
        for name, d in self.dirs.items():
            a = rf.Model(d).forward(self.IDS)
            b = rf.Model(d, compute="float32").forward(self.IDS)
            self.assertLess(float(np.max(np.abs(a - b))), 1e-3, name)


class Rope(unittest.TestCase):
    def test_default_inv_freq(self):
        inv = rf.rope_inv_freq({"rope_theta": 10000.0}, 8)
        self.assertTrue(np.allclose(inv, [1.0, 0.1, 0.01, 0.001], rtol=1e-7))
        self.assertTrue(np.array_equal(inv, inv.astype(np.float32).astype(np.float64)),
                        "float32 values, as transformers computes them")

    def test_linear(self):
        base = rf.rope_inv_freq({"rope_theta": 1e6}, 64)
        lin = rf.rope_inv_freq({"rope_theta": 1e6,
                                "rope_scaling": {"type": "linear", "factor": 4.0}}, 64)
        self.assertTrue(np.allclose(lin, base / 4, rtol=1e-7))

    def test_llama3(self):
        # Llama 3.1's parameters, checked band by band against the formula (written out here).
        cfg = {"rope_theta": 500000.0, "rope_scaling": {
            "rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0,
            "original_max_position_embeddings": 8192}}
        base = rf.rope_inv_freq({"rope_theta": 500000.0}, 128)
        got = rf.rope_inv_freq(cfg, 128)
        bands = {"high": 0, "low": 0, "mid": 0}
        for b, g in zip(base, got):
            wavelen = 2 * math.pi / b
            if wavelen < 8192 / 4:
                want, band = b, "high"
            elif wavelen > 8192 / 1:
                want, band = b / 8, "low"
            else:
                s = (8192 / wavelen - 1) / (4 - 1)
                want, band = (1 - s) * b / 8 + s * b, "mid"
            bands[band] += 1
            self.assertAlmostEqual(g / want, 1.0, delta=1e-6)
        self.assertTrue(all(n > 0 for n in bands.values()), bands)

    def test_unsupported_scaling(self):
        with self.assertRaises(ValueError):
            rf.rope_inv_freq({"rope_scaling": {"rope_type": "yarn", "factor": 4.0}}, 64)


class Refusals(unittest.TestCase):
    def test_bad_folders(self):
        with tempfile.TemporaryDirectory() as tmp:
            with contextlib.redirect_stdout(io.StringIO()):
                msm.main([tmp, "--preset", "qwen3-tiny"])
            cfg_path = os.path.join(tmp, "config.json")
            good = load_json(cfg_path)
            for change in ({"architectures": ["MistralForCausalLM"]},
                           {"use_sliding_window": True},
                           {"num_hidden_layers": 3},
                           {"head_dim": 16},
                           {"tie_word_embeddings": True, "architectures": ["Qwen2ForCausalLM"]}):
                with open(cfg_path, "w") as f:
                    json.dump(dict(good, **change), f)
                with self.assertRaises(ValueError, msg=str(change)):
                    rf.Model(tmp)


if __name__ == "__main__":
    unittest.main()
