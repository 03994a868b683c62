"""A minimal safetensors writer (Debian's python3-torch ships without the `safetensors` module).

The format: an 8-byte little-endian unsigned header length N, then N bytes of UTF-8 JSON mapping
each tensor name to {"dtype", "shape", "data_offsets": [begin, end]} (offsets relative to the
start of the data area, which follows the header), an optional "__metadata__" of string -> string,
then the raw little-endian tensor bytes. The header is padded with spaces to a multiple of 8 so
that the data area starts aligned.
"""

import json
import struct

import torch

DTYPE_NAMES = {
    torch.float64: "F64",
    torch.float32: "F32",
    torch.int64: "I64",
    torch.int32: "I32",
}


def save(path: str, tensors: dict[str, torch.Tensor], metadata: dict[str, str]) -> int:
    """Writes `tensors` (sorted by name, densely packed) to `path`; returns the file size."""
    header: dict[str, object] = {"__metadata__": metadata}
    blobs: list[bytes] = []
    offset = 0
    for name in sorted(tensors):
        tensor = tensors[name].detach().contiguous().cpu()
        if tensor.dtype not in DTYPE_NAMES:
            raise ValueError(f"{path}: tensor '{name}' has unsupported dtype {tensor.dtype}")
        # numpy's tobytes() is native order; every machine torch 1.13 runs on here is little-endian.
        blob = tensor.numpy().tobytes()
        header[name] = {
            "dtype": DTYPE_NAMES[tensor.dtype],
            "shape": list(tensor.shape),
            "data_offsets": [offset, offset + len(blob)],
        }
        blobs.append(blob)
        offset += len(blob)

    header_bytes = json.dumps(header, separators=(",", ":"), sort_keys=True).encode("utf-8")
    header_bytes += b" " * (-len(header_bytes) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(header_bytes)))
        f.write(header_bytes)
        for blob in blobs:
            f.write(blob)
    return 8 + len(header_bytes) + offset
