"""The synthetic byte-level BPE tokenizer.json (Qwen2 layout) and the pure-Python BPE in bpe.py."""

import json
import os
import subprocess
import sys
import tempfile
import unicodedata
import unittest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TOOLS = os.path.join(REPO, "tools", "model")
sys.path.insert(0, TOOLS)
import bpe  # noqa: E402

MAKER = os.path.join(TOOLS, "make_synthetic_model.py")

# Round-trip corpus: Unicode (Latin with accents, Greek, Cyrillic, CJK, Arabic, Devanagari),
# emoji (with ZWJ sequences, skin tones, flags), whitespace runs, tabs, CR LF, control characters,
# digits, contractions and the special tokens. All of it NFC.
ROUND_TRIP = [
    "Once upon a time, there was a little girl named Lily.",
    "It's 12:30 — we'll eat at 1 o'clock, won't we? I'M SURE THEY'LL COME.",
    "Café naïve façade résumé Ångström Œuvre straße",
    "Ελληνικά, русский язык, 中文分词测试，日本語のテキスト、한국어 문장",
    "العربية हिन्दी ไทย",
    "emoji: 😀🎉👍🏽 👨‍👩‍👧‍👦 🇫🇷 ❤️",
    "spaces:    four, then\ttab\t\ttwo tabs, then\n\n\nthree newlines",
    "windows\r\nline\r\nendings   \r\n   ",
    "   leading and trailing   ",
    "control \x00 nul \x07 bell \x1b[0m escape \u200b zero width",
    "<|im_start|>user\nHello!<|im_end|>\n<|im_start|>assistant\nHi 😀<|im_end|><|endoftext|>",
    "almost special: <|im_start| and |im_end|> and <|endoftext",
    "numbers 3.14159 1,000,000 ½ ² Ⅻ ٣",
    "",
    " ",
    "\n",
]


def make_model(outdir, *extra):
    subprocess.run([sys.executable, MAKER, outdir, "--preset", "qwen2-tiny", "--seed", "3",
                    *extra], check=True, stdout=subprocess.DEVNULL)


class Pretokenizer(unittest.TestCase):
    def test_qwen2_splits(self):
        cases = {
            "Hello world": ["Hello", " world"],
            "it's": ["it", "'s"],
            "I'M": ["I", "'M"],
            "they'really": ["they", "'re", "ally"],  # the contraction wins over 'really
            "THEY'REALLY": ["THEY", "'RE", "ALLY"],  # also in capitals: (?i:...)
            "abc123": ["abc", "1", "2", "3"],
            "a  b": ["a", " ", " b"],
            "x\n\ny": ["x", "\n\n", "y"],
            "end.  ": ["end", ".", "  "],
            "(hello)": ["(hello", ")"],
            " ...!": [" ...!"],
            "你好世界": ["你好世界"],
            "x\t\ty": ["x", "\t", "\ty"],
            "  \n  x": ["  \n", " ", " x"],
            "1.5": ["1", ".", "5"],
            "😀😀 ok": ["😀😀", " ok"],
            "a,\nb": ["a", ",\n", "b"],
        }
        for text, want in cases.items():
            self.assertEqual(bpe.pretokenize(text), want, repr(text))

    def test_pieces_cover_the_text(self):
        for text in ROUND_TRIP:
            self.assertEqual("".join(bpe.pretokenize(text)), text)

    def test_byte_alphabet(self):
        table = bpe.bytes_to_unicode()
        self.assertEqual(len(table), 256)
        self.assertEqual(len(set(table.values())), 256)
        self.assertEqual(table[ord(" ")], "Ġ")
        self.assertEqual(table[ord("\n")], "Ċ")
        self.assertEqual(table[ord("A")], "A")
        self.assertTrue(all(c.isprintable() and not c.isspace() for c in table.values()))


class MergeSemantics(unittest.TestCase):
    def tok(self, merges):
        return bpe.ByteLevelBPE(bpe.build_tokenizer_json(merges))

    def test_lowest_rank_first(self):
        t = self.tok([("b", "c"), ("a", "b"), ("a", "bc")])
        self.assertEqual(t.bpe("abc"), ["abc"])     # b+c (rank 0), then a+bc (rank 2)
        self.assertEqual(t.bpe("abd"), ["ab", "d"])
        t = self.tok([("a", "b"), ("b", "c")])
        self.assertEqual(t.bpe("abc"), ["ab", "c"])  # a+b wins; b is used up

    def test_repeated_pairs_left_to_right(self):
        t = self.tok([("a", "a")])
        self.assertEqual(t.bpe("aaa"), ["aa", "a"])
        self.assertEqual(t.bpe("aaaa"), ["aa", "aa"])

    def test_ids(self):
        t = self.tok([("Ġ", "t"), ("h", "e"), ("Ġt", "he")])
        self.assertEqual(t.encode(" the"), [256 + 2])
        self.assertEqual(t.encode(" th"), [256, ord("h")])
        self.assertEqual(t.encode("<|im_end|>"), [259 + 2])


class SyntheticTokenizerJson(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        cls.dir = os.path.join(cls.tmp.name, "m")
        make_model(cls.dir)
        with open(os.path.join(cls.dir, "tokenizer.json"), encoding="utf-8") as f:
            cls.tj = json.load(f)
        with open(os.path.join(cls.dir, "config.json")) as f:
            cls.config = json.load(f)
        cls.tok = bpe.ByteLevelBPE(cls.dir)

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def test_qwen2_layout(self):
        tj = self.tj
        self.assertEqual(tj["normalizer"], {"type": "NFC"})
        pre = tj["pre_tokenizer"]
        self.assertEqual(pre["type"], "Sequence")
        split, byte_level = pre["pretokenizers"]
        self.assertEqual(split["type"], "Split")
        self.assertEqual(split["pattern"], {"Regex": (
            "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+"
            "[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+")})
        self.assertEqual(split["behavior"], "Isolated")
        self.assertFalse(split["invert"])
        self.assertEqual(byte_level["type"], "ByteLevel")
        self.assertFalse(byte_level["add_prefix_space"])
        self.assertFalse(byte_level["use_regex"])
        self.assertEqual(tj["decoder"]["type"], "ByteLevel")
        model = tj["model"]
        self.assertEqual(model["type"], "BPE")
        self.assertFalse(model["byte_fallback"])
        self.assertIsNone(model["unk_token"])

    def test_vocabulary(self):
        vocab = self.tj["model"]["vocab"]
        self.assertEqual(sorted(vocab.values()), list(range(len(vocab))), "ids 0..n-1, no gaps")
        table = bpe.bytes_to_unicode()
        for b in range(256):
            self.assertEqual(vocab[table[b]], b, "ids 0..255 are the bytes in order")
        for m in self.tj["model"]["merges"]:
            a, b = m.split(" ")
            self.assertIn(a, vocab)
            self.assertIn(b, vocab)
            self.assertIn(a + b, vocab)
        added = self.tj["added_tokens"]
        self.assertEqual([t["content"] for t in added],
                         ["<|endoftext|>", "<|im_start|>", "<|im_end|>"])
        self.assertEqual([t["id"] for t in added], [len(vocab), len(vocab) + 1, len(vocab) + 2],
                         "added tokens right after the BPE vocabulary, as in Qwen")
        for t in added:
            self.assertTrue(t["special"])
            self.assertFalse(t["normalized"])
            self.assertNotIn(t["content"], vocab)
        # qwen2-tiny asks for 480 tokenizer ids in a model of vocab_size 512 (like real Qwen,
        # whose vocab_size 151936 exceeds its 151665 tokenizer ids).
        self.assertEqual(len(vocab) + len(added), 480)
        self.assertEqual(self.config["vocab_size"], 512)
        self.assertEqual(self.config["bos_token_id"], len(vocab))
        self.assertEqual(self.config["eos_token_id"], len(vocab) + 2)

    def test_round_trip(self):
        for text in ROUND_TRIP:
            ids = self.tok.encode(text)
            self.assertTrue(all(0 <= i < 480 for i in ids))
            self.assertEqual(self.tok.decode(ids), text, repr(text))

    def test_special_tokens_are_single_ids(self):
        ids = self.tok.encode("<|im_start|>user\nHi<|im_end|>")
        self.assertEqual(ids[0], self.tj["added_tokens"][1]["id"])
        self.assertEqual(ids[-1], self.tj["added_tokens"][2]["id"])
        plain = self.tok.encode_ordinary("<|im_start|>")
        self.assertGreater(len(plain), 1, "ordinary text never yields a special id")
        self.assertEqual(self.tok.decode(plain), "<|im_start|>")

    def test_merges_compress_the_training_text(self):
        with open(os.path.join(TOOLS, "corpus_en.txt"), encoding="utf-8") as f:
            text = f.read()
        ids = self.tok.encode(text)
        self.assertEqual(self.tok.decode(ids), text)
        self.assertLess(len(ids), 0.5 * len(text.encode("utf-8")))
        self.assertEqual(self.tok.encode(" the"), [self.tj["model"]["vocab"]["Ġthe"]])

    def test_nfc(self):
        composed, decomposed = "caf\u00e9", "cafe\u0301"
        self.assertEqual(unicodedata.normalize("NFC", decomposed), composed)
        self.assertEqual(self.tok.encode(decomposed), self.tok.encode(composed))

    def test_no_nfc_flag(self):
        with tempfile.TemporaryDirectory() as tmp:
            make_model(tmp, "--no-nfc")
            with open(os.path.join(tmp, "tokenizer.json"), encoding="utf-8") as f:
                tj = json.load(f)
            self.assertIsNone(tj["normalizer"])
            self.assertEqual(tj["model"], self.tj["model"], "same vocabulary and merges")
            tok = bpe.ByteLevelBPE(tj)
            decomposed = "cafe\u0301 Ame\u0301lie"
            self.assertEqual(tok.decode(tok.encode(decomposed)), decomposed)
            self.assertNotEqual(tok.encode(decomposed), tok.encode("caf\u00e9 Am\u00e9lie"))

    def test_cli(self):
        text = "Hello, <|im_start|>world 😀"
        out = subprocess.run([sys.executable, os.path.join(TOOLS, "bpe.py"), self.dir,
                              "--encode", text], check=True, capture_output=True, text=True)
        ids = json.loads(out.stdout)
        self.assertEqual(ids, self.tok.encode(text))
        out = subprocess.run([sys.executable, os.path.join(TOOLS, "bpe.py"), self.dir,
                              "--decode", ",".join(map(str, ids))],
                             check=True, capture_output=True, text=True, encoding="utf-8")
        self.assertEqual(out.stdout, text)


if __name__ == "__main__":
    unittest.main()
