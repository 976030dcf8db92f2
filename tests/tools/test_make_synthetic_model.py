"""make_synthetic_model.py: folders that load back, exact tensor names and shapes per
architecture, determinism, dtypes, sharding, and the real Qwen3 preset shapes (without writing
gigabytes)."""

import contextlib
import io
import json
import os
import struct
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
import safetensors_io as st  # noqa: E402

MAKER = os.path.join(TOOLS, "make_synthetic_model.py")


def run_maker(outdir, *args, check=True):
    """The maker's command line, in a child process."""
    return subprocess.run([sys.executable, MAKER, outdir, *args], check=check,
                          capture_output=True, text=True)


def make(outdir, *args):
    """The maker in this process (faster: the tokenizer regex is built once)."""
    with contextlib.redirect_stdout(io.StringIO()):
        msm.main([outdir, *args])


def read_bytes(path):
    with open(path, "rb") as f:
        return f.read()


def header_of(path):
    with open(path, "rb") as f:
        (n,) = struct.unpack("<Q", f.read(8))
        return json.loads(f.read(n))


def expected_tensors(arch, layers, hidden, inter, heads, kv_heads, head_dim, vocab, tie,
                     attention_bias=False):
    """Names and shapes written out by hand from transformers' modeling_{llama,qwen2,qwen3}.py."""
    q, kv = heads * head_dim, kv_heads * head_dim
    t = {"model.embed_tokens.weight": [vocab, hidden], "model.norm.weight": [hidden]}
    if not tie:
        t["lm_head.weight"] = [vocab, hidden]
    for i in range(layers):
        p = f"model.layers.{i}."
        t.update({
            p + "input_layernorm.weight": [hidden],
            p + "post_attention_layernorm.weight": [hidden],
            p + "self_attn.q_proj.weight": [q, hidden],
            p + "self_attn.k_proj.weight": [kv, hidden],
            p + "self_attn.v_proj.weight": [kv, hidden],
            p + "self_attn.o_proj.weight": [hidden, q],
            p + "mlp.gate_proj.weight": [inter, hidden],
            p + "mlp.up_proj.weight": [inter, hidden],
            p + "mlp.down_proj.weight": [hidden, inter],
        })
        if arch == "qwen2" or attention_bias:
            t.update({p + "self_attn.q_proj.bias": [q], p + "self_attn.k_proj.bias": [kv],
                      p + "self_attn.v_proj.bias": [kv]})
        if arch != "qwen2" and attention_bias:
            t[p + "self_attn.o_proj.bias"] = [hidden]
        if arch == "qwen3":
            t.update({p + "self_attn.q_norm.weight": [head_dim],
                      p + "self_attn.k_norm.weight": [head_dim]})
    return t


class TinyModels(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        cls.dirs = {}
        for preset in ("llama-tiny", "qwen2-tiny", "qwen3-tiny"):
            d = os.path.join(cls.tmp.name, preset)
            run_maker(d, "--preset", preset, "--seed", "11")
            cls.dirs[preset] = d

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def test_files(self):
        for preset, d in self.dirs.items():
            self.assertEqual(sorted(os.listdir(d)), [
                "config.json", "generation_config.json", "model.safetensors",
                "synthetic_model.json", "tokenizer.json", "tokenizer_config.json"], preset)

    def test_tensor_names_and_shapes(self):
        shapes = {
            "llama-tiny": ("llama", dict(head_dim=16, tie=False)),
            "qwen2-tiny": ("qwen2", dict(head_dim=16, tie=True)),
            "qwen3-tiny": ("qwen3", dict(head_dim=32, tie=False)),
        }
        for preset, (arch, extra) in shapes.items():
            header = header_of(os.path.join(self.dirs[preset], "model.safetensors"))
            header.pop("__metadata__")
            got = {name: info["shape"] for name, info in header.items()}
            want = expected_tensors(arch, layers=2, hidden=64, inter=160, heads=4, kv_heads=2,
                                    vocab=512, **extra)
            self.assertEqual(got, want, preset)
            self.assertTrue(all(info["dtype"] == "F32" for info in header.values()))

    def test_config(self):
        for preset, (arch, model_type) in {"llama-tiny": ("LlamaForCausalLM", "llama"),
                                           "qwen2-tiny": ("Qwen2ForCausalLM", "qwen2"),
                                           "qwen3-tiny": ("Qwen3ForCausalLM", "qwen3")}.items():
            with open(os.path.join(self.dirs[preset], "config.json")) as f:
                c = json.load(f)
            self.assertEqual(c["architectures"], [arch])
            self.assertEqual(c["model_type"], model_type)
            self.assertEqual(c["torch_dtype"], "float32")
            self.assertEqual((c["hidden_size"], c["intermediate_size"], c["num_hidden_layers"],
                              c["num_attention_heads"], c["num_key_value_heads"], c["vocab_size"]),
                             (64, 160, 2, 4, 2, 512))
            self.assertEqual(c["hidden_act"], "silu")
            self.assertIsNone(c["rope_scaling"])
            self.assertIn("head_dim", c)
            self.assertEqual(c["tie_word_embeddings"], preset == "qwen2-tiny")
            with open(os.path.join(self.dirs[preset], "tokenizer.json"), encoding="utf-8") as f:
                ids = {t["content"]: t["id"] for t in json.load(f)["added_tokens"]}
            self.assertEqual(c["bos_token_id"], ids["<|endoftext|>"])
            self.assertEqual(c["eos_token_id"], ids["<|im_end|>"])
            with open(os.path.join(self.dirs[preset], "generation_config.json")) as f:
                g = json.load(f)
            self.assertEqual(g["eos_token_id"], [ids["<|im_end|>"], ids["<|endoftext|>"]])
            with open(os.path.join(self.dirs[preset], "tokenizer_config.json")) as f:
                tc = json.load(f)
            self.assertEqual(tc["eos_token"], "<|im_end|>")
            self.assertIn("<|im_start|>", tc["chat_template"])
            if model_type == "qwen2":
                self.assertNotIn("attention_bias", c, "qwen2 biases come with the architecture")
            else:
                self.assertFalse(c["attention_bias"])
        with open(os.path.join(self.dirs["llama-tiny"], "config.json")) as f:
            c = json.load(f)
        self.assertEqual((c["rope_theta"], c["rms_norm_eps"]), (10000.0, 1e-5))
        with open(os.path.join(self.dirs["qwen3-tiny"], "config.json")) as f:
            c = json.load(f)
        self.assertEqual((c["rope_theta"], c["rms_norm_eps"]), (1000000.0, 1e-6))
        self.assertFalse(c["use_sliding_window"])

    def test_weight_statistics(self):
        tensors, _ = st.load_model_tensors(self.dirs["qwen2-tiny"])
        norms = np.concatenate([v for k, v in tensors.items() if "norm" in k])
        self.assertAlmostEqual(float(norms.mean()), 1.0, delta=0.03)
        self.assertTrue(0.05 < float(norms.std()) < 0.2)
        q = tensors["model.layers.0.self_attn.q_proj.weight"]
        self.assertAlmostEqual(float(q.std()), 1 / np.sqrt(64), delta=0.02)
        bias = tensors["model.layers.1.self_attn.k_proj.bias"]
        self.assertTrue(0.2 < float(bias.std()) < 1.0)
        emb = tensors["model.embed_tokens.weight"]  # tied: also the output matrix
        self.assertTrue(np.all(emb[480:] == 0), "ids past the tokenizer (480..511) are zero rows")
        self.assertAlmostEqual(float(emb[:480].std()), 4 / np.sqrt(64), delta=0.05)
        self.assertTrue(np.all(np.abs(emb[:480]).sum(axis=1) > 0))
        untied, _ = st.load_model_tensors(self.dirs["qwen3-tiny"])
        self.assertTrue(np.all(untied["lm_head.weight"][480:] == 0))
        self.assertTrue(np.all(np.abs(untied["lm_head.weight"][:480]).sum(axis=1) > 0))
        self.assertTrue(np.all(np.abs(untied["model.embed_tokens.weight"]).sum(axis=1) > 0),
                        "untied: every input row is live")

    def test_loads_into_reference_with_lively_logits(self):
        for preset, d in self.dirs.items():
            model = rf.Model(d)
            logits = model.forward([1, 2, 3, 100, 200, 300])
            self.assertTrue(np.all(np.isfinite(logits)))
            live = logits[:, :480] if preset != "llama-tiny" else logits
            self.assertTrue(np.all((live.std(axis=-1) > 2) & (live.std(axis=-1) < 8)), preset)
            self.assertFalse(np.allclose(logits[2], logits[3]))
            if preset != "llama-tiny":
                self.assertTrue(np.all(logits[:, 480:] == 0))
                self.assertTrue(np.all(logits[:, :480].max(axis=-1) > 1))


class Determinism(unittest.TestCase):
    def test_same_seed_same_bytes_other_seed_other_weights(self):
        with tempfile.TemporaryDirectory() as tmp:
            a, b, c = (os.path.join(tmp, x) for x in "abc")
            make(a, "--preset", "qwen3-tiny", "--seed", "5")
            make(b, "--preset", "qwen3-tiny", "--seed", "5")
            make(c, "--preset", "qwen3-tiny", "--seed", "6")
            for fn in ("model.safetensors", "config.json", "tokenizer.json"):
                self.assertEqual(read_bytes(os.path.join(a, fn)), read_bytes(os.path.join(b, fn)),
                                 fn)
            self.assertNotEqual(read_bytes(os.path.join(a, "model.safetensors")),
                                read_bytes(os.path.join(c, "model.safetensors")))
            ta, _ = st.load_model_tensors(a)
            tc, _ = st.load_model_tensors(c)
            for name in ta:
                self.assertFalse(np.array_equal(ta[name], tc[name]), name)
            self.assertEqual(read_bytes(os.path.join(a, "tokenizer.json")),
                             read_bytes(os.path.join(c, "tokenizer.json")),
                             "the tokenizer does not depend on the seed")

    def test_values_do_not_depend_on_chunk_size(self):
        saved = msm.CHUNK_ELEMS
        try:
            with tempfile.TemporaryDirectory() as tmp:
                out = []
                for chunk in (saved, 1000):
                    msm.CHUNK_ELEMS = chunk
                    d = os.path.join(tmp, str(chunk))
                    with contextlib.redirect_stdout(io.StringIO()):
                        msm.main([d, "--preset", "llama-tiny", "--seed", "2"])
                    out.append(read_bytes(os.path.join(d, "model.safetensors")))
                self.assertEqual(out[0], out[1])
        finally:
            msm.CHUNK_ELEMS = saved


class DtypesAndShards(unittest.TestCase):
    def test_bf16_and_f16_are_the_f32_model_rounded(self):
        with tempfile.TemporaryDirectory() as tmp:
            dirs = {}
            for dtype in ("float32", "bfloat16", "float16"):
                dirs[dtype] = os.path.join(tmp, dtype)
                make(dirs[dtype], "--preset", "qwen2-tiny", "--seed", "4", "--dtype", dtype)
            f32, d32 = st.load_model_tensors(dirs["float32"])
            bf16, dbf = st.load_model_tensors(dirs["bfloat16"])
            f16, d16 = st.load_model_tensors(dirs["float16"])
            self.assertEqual(set(d32.values()), {"F32"})
            self.assertEqual(set(dbf.values()), {"BF16"})
            self.assertEqual(set(d16.values()), {"F16"})
            for name, v in f32.items():
                want = st.bfloat16_bits_to_float32(st.float32_to_bfloat16_bits(v))
                self.assertTrue(np.array_equal(bf16[name], want), name)
                self.assertTrue(np.array_equal(f16[name], v.astype(np.float16).astype(np.float32)))
                self.assertFalse(np.array_equal(bf16[name], v), f"{name} was rounded")
            with open(os.path.join(dirs["bfloat16"], "config.json")) as f:
                self.assertEqual(json.load(f)["torch_dtype"], "bfloat16")
            size32 = os.path.getsize(os.path.join(dirs["float32"], "model.safetensors"))
            size16 = os.path.getsize(os.path.join(dirs["bfloat16"], "model.safetensors"))
            self.assertLess(size16, 0.55 * size32)

    def test_sharded(self):
        with tempfile.TemporaryDirectory() as tmp:
            one, sharded = os.path.join(tmp, "one"), os.path.join(tmp, "sharded")
            make(one, "--preset", "qwen3-tiny", "--seed", "8", "--dtype", "bfloat16")
            make(sharded, "--preset", "qwen3-tiny", "--seed", "8", "--dtype", "bfloat16",
                      "--shard-size", "100000")
            with open(os.path.join(sharded, "model.safetensors.index.json")) as f:
                index = json.load(f)
            files = sorted(set(index["weight_map"].values()))
            self.assertGreater(len(files), 2)
            n = len(files)
            self.assertEqual(files, [f"model-{i:05d}-of-{n:05d}.safetensors"
                                     for i in range(1, n + 1)])
            self.assertFalse(os.path.exists(os.path.join(sharded, "model.safetensors")))
            total = 0
            seen = {}
            for fn in files:
                header = header_of(os.path.join(sharded, fn))
                header.pop("__metadata__")
                nbytes = sum(i["data_offsets"][1] - i["data_offsets"][0] for i in header.values())
                big = max(i["data_offsets"][1] - i["data_offsets"][0] for i in header.values())
                self.assertTrue(nbytes <= 100000 or len(header) == 1 and big > 100000, fn)
                total += nbytes
                for name in header:
                    seen[name] = fn
            self.assertEqual(seen, index["weight_map"])
            self.assertEqual(index["metadata"]["total_size"], total)
            a, _ = st.load_model_tensors(one)
            b, _ = st.load_model_tensors(sharded)
            self.assertEqual(sorted(a), sorted(b))
            for name in a:
                self.assertTrue(np.array_equal(a[name], b[name]), name)
            # Writing the single-file model into the sharded folder removes the stale shards.
            make(sharded, "--preset", "qwen3-tiny", "--seed", "8", "--dtype", "bfloat16")
            self.assertEqual(sorted(f for f in os.listdir(sharded) if "safetensors" in f),
                             ["model.safetensors"])


def preset_settings(*argv):
    return msm.resolve_shape(msm.build_parser().parse_args(["unused", *argv]))


class RealShapes(unittest.TestCase):
    def test_qwen3_0_6b(self):
        s = preset_settings("--preset", "qwen3-0.6b")
        specs = {name: list(shape) for name, shape, _ in msm.tensor_specs(s)}
        want = expected_tensors("qwen3", layers=28, hidden=1024, inter=3072, heads=16,
                                kv_heads=8, head_dim=128, vocab=151936, tie=True)
        self.assertEqual(specs, want)
        self.assertEqual(specs["model.layers.27.self_attn.q_proj.weight"], [2048, 1024])
        self.assertEqual(specs["model.layers.27.self_attn.o_proj.weight"], [1024, 2048])
        params = sum(int(np.prod(v)) for v in specs.values())
        self.assertEqual(params, 596049920)  # Qwen3-0.6B: 0.6B total, 0.44B without embeddings
        self.assertEqual(params - 151936 * 1024, 440467456)
        self.assertEqual((s["rope_theta"], s["rms_eps"], s["max_pos"], s["tie"]),
                         (1000000.0, 1e-6, 40960, True))

    def test_qwen3_8b(self):
        s = preset_settings("--preset", "qwen3-8b")
        specs = {name: list(shape) for name, shape, _ in msm.tensor_specs(s)}
        want = expected_tensors("qwen3", layers=36, hidden=4096, inter=12288, heads=32,
                                kv_heads=8, head_dim=128, vocab=151936, tie=False)
        self.assertEqual(specs, want)
        params = sum(int(np.prod(v)) for v in specs.values())
        self.assertEqual(params, 8190735360)  # Qwen3-8B: 8.2B total, 6.95B without embeddings
        self.assertEqual(params - 2 * 151936 * 4096, 6946075648)

    def test_dry_run_writes_nothing(self):
        with tempfile.TemporaryDirectory() as tmp:
            out = os.path.join(tmp, "q8")
            r = run_maker(out, "--preset", "qwen3-8b", "--dtype", "bfloat16", "--shard-size",
                          "4GB", "--dry-run")
            self.assertFalse(os.path.exists(out))
            last = r.stdout.strip().splitlines()[-1]
            self.assertIn("parameters 8,190,735,360", last)
            self.assertIn("bytes 16,381,470,720", last)
            self.assertIn("files 5", last)
            self.assertIn("model-00005-of-00005.safetensors", r.stdout)

    def test_qwen3_0_6b_width_with_one_layer_runs(self):
        # The real widths (hidden 1024, 16 x 128 query heads, 8 KV heads, intermediate 3072) with
        # one layer and a small vocabulary: 34 MB of bf16 instead of 1.2 GB.
        with tempfile.TemporaryDirectory() as tmp:
            make(tmp, "--preset", "qwen3-0.6b", "--layers", "1", "--vocab", "1024",
                      "--dtype", "bfloat16", "--seed", "1")
            with open(os.path.join(tmp, "config.json")) as f:
                c = json.load(f)
            self.assertEqual((c["hidden_size"], c["head_dim"], c["num_attention_heads"],
                              c["num_key_value_heads"], c["intermediate_size"],
                              c["num_hidden_layers"], c["vocab_size"]),
                             (1024, 128, 16, 8, 3072, 1, 1024))
            model = rf.Model(tmp, compute="float32")
            logits = model.forward([5, 6, 7, 8])
            self.assertEqual(logits.shape, (4, 1024))
            self.assertTrue(np.all(np.isfinite(logits)))


class Errors(unittest.TestCase):
    def test_rejected_shapes(self):
        bad = [
            ["--arch", "llama", "--heads", "4", "--kv-heads", "3"],
            ["--arch", "qwen2", "--head-dim", "32"],
            ["--arch", "qwen2", "--attention-bias"],
            ["--arch", "qwen3", "--mlp-bias"],
            ["--arch", "llama", "--vocab", "200"],
            ["--arch", "llama", "--rope-scaling", '{"rope_type": "yarn", "factor": 4}'],
            ["--arch", "llama", "--rope-scaling", '{"rope_type": "llama3", "factor": 8}'],
            ["--preset", "qwen3-8b", "--arch", "llama"],
            ["--preset", "tiny"],
        ]
        with tempfile.TemporaryDirectory() as tmp:
            for args in bad:
                r = run_maker(os.path.join(tmp, "x"), *args, "--dry-run", check=False)
                self.assertNotEqual(r.returncode, 0, args)
                self.assertTrue(r.stderr.strip(), args)

    def test_rope_scaling_is_written(self):
        scaling = {"rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0,
                   "high_freq_factor": 4.0, "original_max_position_embeddings": 64}
        with tempfile.TemporaryDirectory() as tmp:
            make(tmp, "--preset", "llama-tiny", "--rope-scaling", json.dumps(scaling),
                      "--attention-bias", "--mlp-bias", "--tie")
            with open(os.path.join(tmp, "config.json")) as f:
                c = json.load(f)
            self.assertEqual(c["rope_scaling"], scaling)
            self.assertTrue(c["attention_bias"] and c["mlp_bias"] and c["tie_word_embeddings"])
            header = header_of(os.path.join(tmp, "model.safetensors"))
            self.assertIn("model.layers.1.self_attn.o_proj.bias", header)
            self.assertIn("model.layers.1.mlp.down_proj.bias", header)
            self.assertNotIn("lm_head.weight", header)
            rf.Model(tmp).forward([1, 2, 3])


if __name__ == "__main__":
    unittest.main()
