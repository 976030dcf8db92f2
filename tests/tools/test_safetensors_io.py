"""safetensors_io: bf16 rounding, header layout of the writer, and the reader's validation."""

import json
import os
import struct
import sys
import tempfile
import unittest

# Before NumPy loads: BLAS threads make tiny matrix products very slow on a busy machine.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np  # noqa: E402

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(REPO, "tools", "model"))
import safetensors_io as st  # noqa: E402


def bits(values):
    return np.array(values, dtype=np.uint32).view(np.float32)


class Bfloat16Rounding(unittest.TestCase):
    def test_known_values(self):
        cases = [
            (0x3F800000, 0x3F80),  # 1.0 exactly
            (0x3F808000, 0x3F80),  # 1 + 2^-8: a tie, the even neighbour is 0x3F80
            (0x3F818000, 0x3F82),  # a tie whose lower neighbour 0x3F81 is odd: up to even
            (0x3F808001, 0x3F81),  # just above the tie: up
            (0x3F807FFF, 0x3F80),  # just below the tie: down
            (0xBF808001, 0xBF81),  # negative values round by magnitude the same way
            (0x80000000, 0x8000),  # -0.0
            (0x7F800000, 0x7F80),  # +inf
            (0xFF800000, 0xFF80),  # -inf
            (0x7F7FFFFF, 0x7F80),  # the largest float32 is past the largest bf16: inf
            (0x7F7F7FFF, 0x7F7F),  # below that tie: the largest bf16
            (0x00008000, 0x0000),  # subnormal tie down to even (zero)
            (0x00018000, 0x0002),  # subnormal tie up to even
            (0x40490FDB, 0x4049),  # pi -> 3.140625
        ]
        got = st.float32_to_bfloat16_bits(bits([c[0] for c in cases]))
        for (src, want), g in zip(cases, got):
            self.assertEqual(int(g), want, f"0x{src:08X} -> 0x{int(g):04X}, want 0x{want:04X}")
        self.assertEqual(float(st.bfloat16_bits_to_float32(np.array([0x4049], np.uint16))[0]),
                         3.140625)

    def test_nan_stays_nan(self):
        for src in (0x7FC00000, 0x7F800001, 0xFFC00000, 0xFFFFFFFF, 0x7FFFFFFF):
            out = st.float32_to_bfloat16_bits(bits([src]))
            back = st.bfloat16_bits_to_float32(out)
            self.assertTrue(np.isnan(back[0]), f"0x{src:08X} -> 0x{int(out[0]):04X}")
            self.assertEqual(int(out[0]) >> 15, src >> 31, "sign kept")

    def test_matches_brute_force_nearest_even(self):
        rng = np.random.default_rng(1234)
        u = rng.integers(0, 0x7F7F0000, size=20000, dtype=np.uint32)  # finite, below overflow
        u[:2000] = (u[:2000] & np.uint32(0xFFFF0000)) | np.uint32(0x8000)  # exact ties
        u[2000:4000] &= np.uint32(0x00FFFFFF)  # subnormals and tiny values
        u[4000:10000] |= np.uint32(0x80000000)  # negatives
        x = u.view(np.float32)
        got = st.float32_to_bfloat16_bits(x)
        # Independent: the two bf16 neighbours of x (truncated, next in magnitude), compared in
        # float64, where all of these values and their differences are exact.
        lo = (u >> np.uint32(16)).astype(np.uint16)
        hi = lo + np.uint16(1)
        xv = x.astype(np.float64)
        lo_v = st.bfloat16_bits_to_float32(lo).astype(np.float64)
        hi_v = st.bfloat16_bits_to_float32(hi).astype(np.float64)
        d_lo, d_hi = np.abs(xv - lo_v), np.abs(hi_v - xv)
        want = np.where(d_lo < d_hi, lo, np.where(d_hi < d_lo, hi, np.where(lo % 2 == 0, lo, hi)))
        bad = np.nonzero(got != want)[0]
        self.assertEqual(len(bad), 0, f"first mismatch: 0x{int(u[bad[0]]) if len(bad) else 0:08X}")

    def test_representable_values_round_trip(self):
        rng = np.random.default_rng(7)
        b = rng.integers(0, 0x7F80, size=5000, dtype=np.uint16)
        self.assertTrue(np.array_equal(st.float32_to_bfloat16_bits(st.bfloat16_bits_to_float32(b)),
                                       b))


class WriterAndReader(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.dir = self.tmp.name

    def tearDown(self):
        self.tmp.cleanup()

    def write(self, tensors, values, chunk=3):
        path = os.path.join(self.dir, "m.safetensors")

        def chunks_of(name, dtype, shape):
            flat = values[name].reshape(-1)
            for i in range(0, len(flat), chunk):
                yield flat[i:i + chunk]
        st.write_safetensors(path, tensors, chunks_of)
        return path

    def test_header_layout(self):
        rng = np.random.default_rng(0)
        tensors = [("zeta.weight", "F32", (3, 5)), ("alpha", "BF16", (7,)),
                   ("mid.b", "F16", (2, 3))]
        values = {n: rng.standard_normal(int(np.prod(s))).astype(np.float32).reshape(s)
                  for n, _, s in tensors}
        path = self.write(tensors, values)
        with open(path, "rb") as f:
            data = f.read()
        (n,) = struct.unpack("<Q", data[:8])
        self.assertEqual((8 + n) % 8, 0, "data starts 8-byte aligned")
        raw = data[8:8 + n].decode("utf-8")
        self.assertTrue(set(raw[raw.rindex("}") + 1:]) <= {" "}, "padded with spaces only")
        header = json.loads(raw)
        keys = list(header)
        self.assertEqual(keys[0], "__metadata__")
        self.assertEqual(header["__metadata__"], {"format": "pt"})
        self.assertEqual(keys[1:], ["alpha", "mid.b", "zeta.weight"], "sorted by name")
        offset = 0
        for name in keys[1:]:
            info = header[name]
            begin, end = info["data_offsets"]
            self.assertEqual(begin, offset, f"{name} follows the previous tensor")
            self.assertEqual(end - begin,
                             st.DTYPE_SIZES[info["dtype"]] * int(np.prod(info["shape"])))
            offset = end
        self.assertEqual(len(data), 8 + n + offset)
        # The bytes are the little-endian encodings of the values.
        b, e = header["zeta.weight"]["data_offsets"]
        self.assertEqual(data[8 + n + b:8 + n + e], values["zeta.weight"].astype("<f4").tobytes())
        b, e = header["mid.b"]["data_offsets"]
        self.assertEqual(data[8 + n + b:8 + n + e], values["mid.b"].astype("<f2").tobytes())
        b, e = header["alpha"]["data_offsets"]
        self.assertEqual(data[8 + n + b:8 + n + e],
                         st.float32_to_bfloat16_bits(values["alpha"]).astype("<u2").tobytes())
        # And the reader gets them back.
        hdr, meta, start = st.read_header(path)
        self.assertEqual(meta, {"format": "pt"})
        self.assertTrue(np.array_equal(st.load_tensor(path, hdr, start, "zeta.weight"),
                                       values["zeta.weight"]))
        self.assertTrue(np.array_equal(st.load_tensor(path, hdr, start, "mid.b"),
                                       values["mid.b"].astype(np.float16).astype(np.float32)))
        alpha_bf16 = st.bfloat16_bits_to_float32(st.float32_to_bfloat16_bits(values["alpha"]))
        self.assertTrue(np.array_equal(st.load_tensor(path, hdr, start, "alpha"), alpha_bf16))

    def test_wrong_chunk_total_is_an_error(self):
        path = os.path.join(self.dir, "bad.safetensors")
        with self.assertRaises(RuntimeError):
            st.write_safetensors(path, [("a", "F32", (4,))],
                                 lambda *_: iter([np.zeros(3, np.float32)]))
        self.assertFalse(os.path.exists(path), "no half-written file under the final name")

    def test_reader_rejects_corrupt_files(self):
        path = self.write([("a", "F32", (4, 4))], {"a": np.ones((4, 4), np.float32)})
        with open(path, "rb") as f:
            good = f.read()
        cases = {
            "truncated data": good[:-4],
            "header length past the end": struct.pack("<Q", len(good)) + good[8:],
            "shorter than 8 bytes": good[:5],
        }
        for what, blob in cases.items():
            bad = os.path.join(self.dir, "bad.safetensors")
            with open(bad, "wb") as f:
                f.write(blob)
            with self.assertRaises(ValueError, msg=what):
                st.read_header(bad)


if __name__ == "__main__":
    unittest.main()
