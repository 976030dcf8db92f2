"""safetensors reading and (streaming) writing with NumPy, and float32 -> bfloat16 rounding.

Format (https://github.com/huggingface/safetensors): an 8-byte little-endian header length N, N
bytes of JSON header, then the data. The header maps each tensor name to
{"dtype", "shape", "data_offsets": [begin, end]} (offsets relative to the end of the header) and
may hold "__metadata__" (string -> string). This writer pads the header with spaces so that the
data starts at a multiple of 8, puts "__metadata__": {"format": "pt"} first, and lays out the
tensors in sorted-name order, back to back.

The writer never holds a whole tensor: the caller gives each tensor as an iterable of chunks, and
the offsets are computed from the shapes before any data is written.
"""

import json
import os
import struct

import numpy as np

DTYPE_SIZES = {"F32": 4, "F16": 2, "BF16": 2}
TORCH_DTYPE = {"F32": "float32", "F16": "float16", "BF16": "bfloat16"}
ST_DTYPE = {v: k for k, v in TORCH_DTYPE.items()}


def float32_to_bfloat16_bits(x):
    """Round float32 values to bfloat16, to nearest with ties to even, on the uint32 view.

    Returns the uint16 bit patterns. NaNs stay NaNs (quiet, sign kept); values past the largest
    bfloat16 round to infinity, as IEEE rounding does.
    """
    x = np.ascontiguousarray(x, dtype=np.float32)
    u = x.view(np.uint32)
    # Adding 0x7FFF plus the lowest kept bit rounds to nearest, ties to even. Cannot overflow
    # uint32 except for NaNs with the sign set, which are replaced below.
    rounded = (u + (np.uint32(0x7FFF) + ((u >> np.uint32(16)) & np.uint32(1)))) >> np.uint32(16)
    out = rounded.astype(np.uint16)
    nan = np.isnan(x)
    if nan.any():
        out[nan] = ((u[nan] >> np.uint32(16)) | np.uint32(0x0040)).astype(np.uint16)
    return out


def bfloat16_bits_to_float32(bits):
    return (np.asarray(bits, dtype=np.uint16).astype(np.uint32) << np.uint32(16)).view(np.float32)


def encode_chunk(x, dtype):
    """float32 array -> bytes of the safetensors dtype (little-endian)."""
    x = np.asarray(x, dtype=np.float32)
    if dtype == "F32":
        return x.astype("<f4").tobytes()
    if dtype == "F16":
        return x.astype("<f2").tobytes()
    if dtype == "BF16":
        return float32_to_bfloat16_bits(x).astype("<u2").tobytes()
    raise ValueError(f"unsupported dtype {dtype}")


def tensor_nbytes(dtype, shape):
    n = DTYPE_SIZES[dtype]
    for d in shape:
        n *= int(d)
    return n


def make_header(tensors, metadata=None):
    """tensors: list of (name, dtype, shape). Returns (header bytes incl. the 8-byte length,
    [(name, dtype, shape, begin, end)] in file order)."""
    meta = {"format": "pt"} if metadata is None else dict(metadata)
    header = {"__metadata__": meta}
    layout = []
    offset = 0
    for name, dtype, shape in sorted(tensors, key=lambda t: t[0]):
        nbytes = tensor_nbytes(dtype, shape)
        header[name] = {"dtype": dtype, "shape": [int(d) for d in shape],
                        "data_offsets": [offset, offset + nbytes]}
        layout.append((name, dtype, tuple(int(d) for d in shape), offset, offset + nbytes))
        offset += nbytes
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * ((-len(text)) % 8)
    return struct.pack("<Q", len(text)) + text, layout


def write_safetensors(path, tensors, chunks_of, metadata=None):
    """Write one safetensors file.

    tensors: list of (name, dtype, shape); chunks_of(name, dtype, shape) yields float32 arrays
    whose sizes add up to the tensor's element count (row-major order). Data is written chunk by
    chunk, so memory stays at one chunk. Returns the number of bytes written.
    """
    head, layout = make_header(tensors, metadata)
    tmp = path + ".tmp"
    try:
        with open(tmp, "wb") as f:
            f.write(head)
            for name, dtype, shape, begin, end in layout:
                written = 0
                for chunk in chunks_of(name, dtype, shape):
                    data = encode_chunk(chunk, dtype)
                    f.write(data)
                    written += len(data)
                if written != end - begin:
                    raise RuntimeError(f"{name}: wrote {written} bytes, expected {end - begin}")
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise
    os.replace(tmp, path)
    return len(head) + (layout[-1][4] if layout else 0)


def read_header(path):
    """(header dict without __metadata__, metadata dict, data start offset). Validates the
    header length, JSON, dtypes, shapes against byte counts, and offsets inside the file."""
    size = os.path.getsize(path)
    with open(path, "rb") as f:
        raw = f.read(8)
        if len(raw) != 8:
            raise ValueError(f"{path}: shorter than the 8-byte header length")
        (n,) = struct.unpack("<Q", raw)
        if n > size - 8:
            raise ValueError(f"{path}: header length {n} runs past the end of the file")
        header = json.loads(f.read(n).decode("utf-8"))
    meta = header.pop("__metadata__", {})
    start = 8 + n
    spans = []
    for name, info in header.items():
        dtype = info["dtype"]
        if dtype not in DTYPE_SIZES:
            raise ValueError(f"{path}: {name}: unsupported dtype {dtype}")
        begin, end = info["data_offsets"]
        if tensor_nbytes(dtype, info["shape"]) != end - begin:
            raise ValueError(f"{path}: {name}: shape {info['shape']} does not match "
                             f"{end - begin} bytes of {dtype}")
        if begin < 0 or end > size - start:
            raise ValueError(f"{path}: {name}: data runs past the end of the file")
        spans.append((begin, end, name))
    spans.sort()
    for (b0, e0, n0), (b1, e1, n1) in zip(spans, spans[1:]):
        if b1 < e0:
            raise ValueError(f"{path}: {n0} and {n1} overlap")
    return header, meta, start


def load_tensor(path, header, start, name):
    """One tensor as a float32 array (F32, F16 and BF16 are decoded)."""
    info = header[name]
    begin, end = info["data_offsets"]
    raw = np.memmap(path, dtype=np.uint8, mode="r", offset=start + begin, shape=(end - begin,)) \
        if end > begin else np.zeros(0, np.uint8)
    dtype = info["dtype"]
    if dtype == "F32":
        arr = np.frombuffer(raw, dtype="<f4").astype(np.float32)
    elif dtype == "F16":
        arr = np.frombuffer(raw, dtype="<f2").astype(np.float32)
    else:
        arr = bfloat16_bits_to_float32(np.frombuffer(raw, dtype="<u2"))
    return arr.reshape(info["shape"])


def model_files(model_dir):
    """{tensor name: safetensors file path} for a model folder, one file or sharded."""
    index = os.path.join(model_dir, "model.safetensors.index.json")
    if os.path.exists(index):
        with open(index) as f:
            weight_map = json.load(f)["weight_map"]
        return {name: os.path.join(model_dir, fn) for name, fn in weight_map.items()}
    single = os.path.join(model_dir, "model.safetensors")
    header, _, _ = read_header(single)
    return {name: single for name in header}


def load_model_tensors(model_dir):
    """All tensors of a model folder as float32 arrays, and {name: dtype} as stored."""
    files = model_files(model_dir)
    headers = {}
    tensors = {}
    dtypes = {}
    for name, path in sorted(files.items()):
        if path not in headers:
            headers[path] = read_header(path)
        header, _, start = headers[path]
        if name not in header:
            raise ValueError(f"{path}: the index names {name}, which the file does not hold")
        tensors[name] = load_tensor(path, header, start, name)
        dtypes[name] = header[name]["dtype"]
    for path, (header, _, _) in headers.items():
        for name in header:
            if files.get(name) != path:
                raise ValueError(f"{path}: {name} is not in the index")
    return tensors, dtypes
