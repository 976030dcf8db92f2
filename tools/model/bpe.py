#!/usr/bin/env python3
"""Byte-level BPE in pure Python (standard library only): the Qwen2 format of tokenizer.json.

What is here, and what it is for:

- `bytes_to_unicode()`: GPT-2's table that maps each of the 256 byte values to a printable
  Unicode character, so that any byte string is a string of "byte symbols".
- `pretokenize(text)`: the Qwen2 Split pre-tokenizer (`QWEN2_SPLIT_REGEX`, behaviour Isolated),
  emulated with Python's `re`: `\\p{L}`, `\\p{N}` and `\\s` (Unicode White_Space, as Oniguruma
  reads it) become explicit character classes built from `unicodedata`.
- `train_bpe(text, num_merges)`: a small deterministic BPE trainer (most frequent pair first, ties
  broken by the pair's strings), used by make_synthetic_model.py to make a tokenizer.json.
- `ByteLevelBPE`: loads a tokenizer.json of that shape and encodes / decodes, the way Hugging Face
  `tokenizers` does for it: added tokens are split out first (matched on the raw text), the rest is
  NFC-normalized (if the file has the NFC normalizer), split, mapped to byte symbols, and merged by
  merge rank. It is the test oracle for the synthetic tokenizers, not a fast tokenizer.

CLI (for tests in other languages):
    bpe.py MODEL_DIR_OR_TOKENIZER_JSON --encode TEXT      prints the ids as JSON
    bpe.py MODEL_DIR_OR_TOKENIZER_JSON --decode 1,2,3     prints the text
"""

import argparse
import heapq
import json
import os
import re
import sys
import unicodedata

# The pre-tokenizer regex of Qwen2 / Qwen2.5 / Qwen3 tokenizer.json files (Split, Isolated).
QWEN2_SPLIT_REGEX = (
    r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*"
    r"|\s*[\r\n]+|\s+(?!\S)|\s+"
)

SPECIAL_TOKENS = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]

# Unicode White_Space, which is what \s means in Oniguruma (the regex engine of HF tokenizers).
_WHITE_SPACE = [(0x09, 0x0D), (0x20, 0x20), (0x85, 0x85), (0xA0, 0xA0), (0x1680, 0x1680),
                (0x2000, 0x200A), (0x2028, 0x2029), (0x202F, 0x202F), (0x205F, 0x205F),
                (0x3000, 0x3000)]


def bytes_to_unicode():
    """GPT-2's byte -> printable character table (the ByteLevel pre-tokenizer's alphabet)."""
    bs = (list(range(ord("!"), ord("~") + 1)) + list(range(ord("\u00a1"), ord("\u00ac") + 1))
          + list(range(ord("\u00ae"), ord("\u00ff") + 1)))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return {b: chr(c) for b, c in zip(bs, cs)}


BYTE_ENCODER = bytes_to_unicode()
BYTE_DECODER = {c: b for b, c in BYTE_ENCODER.items()}


def _class_body(ranges):
    out = []
    for lo, hi in ranges:
        out.append(re.escape(chr(lo)) if lo == hi else f"{re.escape(chr(lo))}-{re.escape(chr(hi))}")
    return "".join(out)


def _category_ranges(prefix):
    ranges = []
    start = None
    for cp in range(0x110000):
        inside = unicodedata.category(chr(cp)).startswith(prefix)
        if inside and start is None:
            start = cp
        elif not inside and start is not None:
            ranges.append((start, cp - 1))
            start = None
    if start is not None:
        ranges.append((start, 0x10FFFF))
    return ranges


_SPLIT_RE = None


def split_regex():
    """QWEN2_SPLIT_REGEX compiled for Python's re (built once, about half a second)."""
    global _SPLIT_RE
    if _SPLIT_RE is None:
        letters = _class_body(_category_ranges("L"))
        numbers = _class_body(_category_ranges("N"))
        space = _class_body(_WHITE_SPACE)
        pattern = (
            r"(?i:'s|'t|'re|'ve|'m|'ll|'d)"
            rf"|[^\r\n{letters}{numbers}]?[{letters}]+"
            rf"|[{numbers}]"
            rf"| ?[^{space}{letters}{numbers}]+[\r\n]*"
            rf"|[{space}]*[\r\n]+"
            rf"|[{space}]+(?![^{space}])"
            rf"|[{space}]+"
        )
        _SPLIT_RE = re.compile(pattern)
    return _SPLIT_RE


def pretokenize(text):
    """Split text the way Split(QWEN2_SPLIT_REGEX, behavior=Isolated) does: every match is a
    piece, and so is every stretch of text between matches (the regex leaves none in practice)."""
    pieces = []
    pos = 0
    for m in split_regex().finditer(text):
        if m.start() > pos:
            pieces.append(text[pos:m.start()])
        if m.end() > m.start():
            pieces.append(m.group(0))
        pos = m.end()
    if pos < len(text):
        pieces.append(text[pos:])
    return pieces


def to_byte_symbols(piece):
    return "".join(BYTE_ENCODER[b] for b in piece.encode("utf-8"))


def train_bpe(text, num_merges, min_frequency=2):
    """Learn up to num_merges merges on text (pre-tokenized as Qwen2 does, then byte-level).

    Deterministic: the most frequent adjacent pair wins, ties go to the smallest (left, right)
    pair of strings. Stops early when no pair occurs min_frequency times. Returns the merges as a
    list of (left, right) byte-symbol strings. As in HF's BpeTrainer, two merges may produce the
    same string; the vocabulary then has one entry for it.
    """
    counts = {}
    for piece in pretokenize(unicodedata.normalize("NFC", text)):
        sym = to_byte_symbols(piece)
        counts[sym] = counts.get(sym, 0) + 1
    words = [list(w) for w in counts]
    freqs = list(counts.values())

    pair_count = {}
    pair_where = {}
    for i, w in enumerate(words):
        for a, b in zip(w, w[1:]):
            pair_count[(a, b)] = pair_count.get((a, b), 0) + freqs[i]
            pair_where.setdefault((a, b), set()).add(i)
    heap = [(-c, p) for p, c in pair_count.items()]
    heapq.heapify(heap)

    merges = []
    while len(merges) < num_merges and heap:
        neg, pair = heapq.heappop(heap)
        if pair_count.get(pair, 0) != -neg:
            continue  # stale entry; the current count was pushed again when it changed
        if -neg < min_frequency:
            break
        merges.append(pair)
        a, b = pair
        merged = a + b
        changed = set()
        for i in sorted(pair_where.pop(pair, ())):
            w = words[i]
            f = freqs[i]
            for x, y in zip(w, w[1:]):
                pair_count[(x, y)] -= f
                changed.add((x, y))
            out = []
            j = 0
            while j < len(w):
                if j + 1 < len(w) and w[j] == a and w[j + 1] == b:
                    out.append(merged)
                    j += 2
                else:
                    out.append(w[j])
                    j += 1
            words[i] = out
            for x, y in zip(out, out[1:]):
                pair_count[(x, y)] = pair_count.get((x, y), 0) + f
                pair_where.setdefault((x, y), set()).add(i)
                changed.add((x, y))
        pair_count.pop(pair, None)
        changed.discard(pair)
        for p in changed:
            c = pair_count.get(p, 0)
            if c > 0:
                heapq.heappush(heap, (-c, p))
            else:
                pair_count.pop(p, None)
                pair_where.pop(p, None)
    return merges


def build_tokenizer_json(merges, specials=SPECIAL_TOKENS, nfc=True):
    """tokenizer.json in the Qwen2 layout: ids 0..255 are the byte symbols in byte order, then one
    id per new merged string, then the added (special) tokens right after the BPE vocabulary."""
    vocab = {}
    for b in range(256):
        vocab[BYTE_ENCODER[b]] = b
    for a, b in merges:
        if a + b not in vocab:
            vocab[a + b] = len(vocab)
    added = []
    for k, s in enumerate(specials):
        added.append({"id": len(vocab) + k, "content": s, "single_word": False, "lstrip": False,
                      "rstrip": False, "normalized": False, "special": True})
    byte_level = {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": False,
                  "use_regex": False}
    return {
        "version": "1.0",
        "truncation": None,
        "padding": None,
        "added_tokens": added,
        "normalizer": {"type": "NFC"} if nfc else None,
        "pre_tokenizer": {
            "type": "Sequence",
            "pretokenizers": [
                {"type": "Split", "pattern": {"Regex": QWEN2_SPLIT_REGEX},
                 "behavior": "Isolated", "invert": False},
                dict(byte_level),
            ],
        },
        "post_processor": dict(byte_level),
        "decoder": dict(byte_level),
        "model": {
            "type": "BPE",
            "dropout": None,
            "unk_token": None,
            "continuing_subword_prefix": "",
            "end_of_word_suffix": "",
            "fuse_unk": False,
            "byte_fallback": False,
            "ignore_merges": False,
            "vocab": vocab,
            "merges": [f"{a} {b}" for a, b in merges],
        },
    }


class ByteLevelBPE:
    """Encoder / decoder for a byte-level BPE tokenizer.json (Qwen2 layout)."""

    def __init__(self, tokenizer_json):
        if isinstance(tokenizer_json, str):
            path = tokenizer_json
            if os.path.isdir(path):
                path = os.path.join(path, "tokenizer.json")
            with open(path, encoding="utf-8") as f:
                tokenizer_json = json.load(f)
        tj = tokenizer_json
        model = tj["model"]
        if model.get("type") != "BPE":
            raise ValueError(f"not a BPE tokenizer: {model.get('type')}")
        self.vocab = dict(model["vocab"])
        self.id_to_token = {i: t for t, i in self.vocab.items()}
        self.ranks = {}
        for rank, m in enumerate(model["merges"]):
            a, b = m.split(" ") if isinstance(m, str) else m
            self.ranks[(a, b)] = rank
        self.added = {t["content"]: t["id"] for t in tj.get("added_tokens", [])}
        for content, i in self.added.items():
            self.id_to_token[i] = content
        self.added_ids = set(self.added.values())
        # Longest first, so that one added token that is a prefix of another loses.
        self._added_re = (re.compile("|".join(re.escape(s) for s in
                                              sorted(self.added, key=len, reverse=True)))
                          if self.added else None)
        norm = tj.get("normalizer")
        if norm is None:
            self.nfc = False
        elif norm.get("type") == "NFC":
            self.nfc = True
        else:
            raise ValueError(f"unsupported normalizer {norm}")
        self._cache = {}

    def __len__(self):
        return len(self.id_to_token)

    def bpe(self, symbols):
        """Merge a byte-symbol string into tokens: lowest-rank adjacent pair first, all its
        occurrences left to right, until no adjacent pair has a rank."""
        if symbols in self._cache:
            return self._cache[symbols]
        word = list(symbols)
        while len(word) > 1:
            best = min(((self.ranks.get(p, None), p) for p in zip(word, word[1:])
                        if p in self.ranks), default=None)
            if best is None:
                break
            a, b = best[1]
            out = []
            i = 0
            while i < len(word):
                if i + 1 < len(word) and word[i] == a and word[i + 1] == b:
                    out.append(a + b)
                    i += 2
                else:
                    out.append(word[i])
                    i += 1
            word = out
        self._cache[symbols] = word
        return word

    def encode_ordinary(self, text):
        """Ids of text that contains no added tokens (they are not looked for)."""
        if self.nfc:
            text = unicodedata.normalize("NFC", text)
        ids = []
        for piece in pretokenize(text):
            for tok in self.bpe(to_byte_symbols(piece)):
                ids.append(self.vocab[tok])
        return ids

    def encode(self, text):
        """Ids of text; added tokens in it (e.g. <|im_start|>) become their single ids."""
        if self._added_re is None:
            return self.encode_ordinary(text)
        ids = []
        pos = 0
        for m in self._added_re.finditer(text):
            if m.start() > pos:
                ids.extend(self.encode_ordinary(text[pos:m.start()]))
            ids.append(self.added[m.group(0)])
            pos = m.end()
        if pos < len(text):
            ids.extend(self.encode_ordinary(text[pos:]))
        return ids

    def decode_bytes(self, ids):
        out = bytearray()
        for i in ids:
            tok = self.id_to_token[i]
            if i in self.added_ids:
                out += tok.encode("utf-8")
            else:
                out += bytes(BYTE_DECODER[c] for c in tok)
        return bytes(out)

    def decode(self, ids):
        return self.decode_bytes(ids).decode("utf-8", errors="replace")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("tokenizer", help="model folder or tokenizer.json")
    g = ap.add_mutually_exclusive_group(required=True)
    g.add_argument("--encode", metavar="TEXT")
    g.add_argument("--decode", metavar="IDS", help="comma-separated ids")
    args = ap.parse_args(argv)
    tok = ByteLevelBPE(args.tokenizer)
    if args.encode is not None:
        print(json.dumps(tok.encode(args.encode)))
    else:
        sys.stdout.write(tok.decode([int(x) for x in args.decode.split(",") if x.strip()]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
