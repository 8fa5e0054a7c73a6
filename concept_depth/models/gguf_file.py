"""Reading a GGUF file's header fast: metadata values, the tensor table, raw tensor bytes.

The ``gguf`` package's ``GGUFReader`` turns every element of every metadata array into its
own numpy view; for Gemma's 262,144-token vocabulary that takes about ten seconds, and
transformers' GGUF loader builds one such reader three times (config, tokenizer, weights).
This reader walks the header once with ``struct`` over a memory map (under a second),
keeps only what a config needs (scalars, numeric arrays, the *length* of string arrays) and
hands out each tensor's bytes as a read-only view, untouched until dequantised.

Values follow transformers' GGUF parser: integers as ``int``, floats as ``float`` (a float32
widened, not re-rounded), strings decoded, arrays as lists, and a one-element array as its
element (transformers collapses those too, so configs come out the same).
"""

from __future__ import annotations

import os
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

_MAGIC = b"GGUF"
_VERSIONS = (2, 3)
# metadata value types of fixed width (GGUF spec): u8 i8 u16 i16 u32 i32 f32 bool u64 i64 f64
_SCALAR = {0: "<B", 1: "<b", 2: "<H", 3: "<h", 4: "<I", 5: "<i", 6: "<f", 7: "<?", 10: "<Q", 11: "<q", 12: "<d"}
_STRING, _ARRAY = 8, 9


@dataclass(frozen=True)
class StringArray:
    """A metadata array of strings that was skipped, not read (only its length is known)."""

    length: int

    def __len__(self) -> int:
        return self.length


@dataclass(frozen=True)
class TensorEntry:
    """One tensor of the file: GGUF name, shape in numpy order, ggml type, absolute byte offset."""

    name: str
    shape: tuple[int, ...]
    ggml_type: int
    offset: int


@dataclass(frozen=True)
class GGUFHeader:
    """What a GGUF file says about itself, without reading any tensor data.

    metadata : key -> value (string arrays as :class:`StringArray`).
    tensors : the tensor table, in file order.
    """

    path: Path
    metadata: dict[str, Any]
    tensors: tuple[TensorEntry, ...]

    @property
    def architecture(self) -> str:
        return str(self.metadata.get("general.architecture", ""))

    def n_params(self) -> int:
        """Number of weights stored in the file (elements of every tensor)."""
        return sum(int(np.prod(t.shape)) for t in self.tensors)

    def raw(self, entry: TensorEntry) -> np.ndarray:
        """The tensor's bytes as ``gguf.quants.dequantize`` takes them: uint8, last axis in bytes.

        A read-only view of the memory-mapped file (nothing is read until it is used).
        """
        from gguf.constants import GGML_QUANT_SIZES, GGMLQuantizationType  # optional heavy dependency: GGUF files
        from gguf.quants import quant_shape_to_byte_shape

        qtype = GGMLQuantizationType(entry.ggml_type)
        block, type_size = GGML_QUANT_SIZES[qtype]
        n_bytes = int(np.prod(entry.shape)) * type_size // block
        blob = np.memmap(self.path, mode="r", dtype=np.uint8)
        return blob[entry.offset:entry.offset + n_bytes].reshape(quant_shape_to_byte_shape(entry.shape, qtype))


def read_header(path: str | os.PathLike) -> GGUFHeader:
    """Parse ``path``'s metadata and tensor table (GGUF v2/v3). ValueError if it is not a GGUF file."""
    try:
        return _read_header(Path(path))
    except (struct.error, UnicodeDecodeError, IndexError) as exc:
        raise ValueError(f"{Path(path).name} is not a readable GGUF file ({exc})") from None


def _read_header(path: Path) -> GGUFHeader:
    blob = np.memmap(path, mode="r", dtype=np.uint8)
    buf = memoryview(blob)  # struct reads straight from the mapping
    if bytes(blob[:4]) != _MAGIC:
        raise ValueError(f"{path.name} is not a GGUF file (no GGUF magic bytes)")
    version, n_tensors, n_meta = struct.unpack_from("<IQQ", buf, 4)
    if version not in _VERSIONS:
        raise ValueError(f"{path.name} is GGUF version {version}; versions 2 and 3 are supported")
    pos = 24
    metadata: dict[str, Any] = {}
    for _ in range(n_meta):
        key, pos = _string(buf, pos)
        (vtype,) = struct.unpack_from("<I", buf, pos)
        value, pos = _value(buf, pos + 4, vtype)
        if isinstance(value, list) and len(value) == 1:
            value = value[0]
        metadata[key] = value
    entries = []
    for _ in range(n_tensors):
        name, pos = _string(buf, pos)
        (n_dims,) = struct.unpack_from("<I", buf, pos)
        dims = struct.unpack_from(f"<{n_dims}Q", buf, pos + 4)
        pos += 4 + 8 * n_dims
        ggml_type, offset = struct.unpack_from("<IQ", buf, pos)
        pos += 12
        entries.append((name, tuple(int(d) for d in reversed(dims)), int(ggml_type), int(offset)))
    alignment = int(metadata.get("general.alignment", 32))
    data_start = (pos + alignment - 1) // alignment * alignment
    tensors = tuple(TensorEntry(n, s, t, data_start + o) for n, s, t, o in entries)
    return GGUFHeader(path=path, metadata=metadata, tensors=tensors)


def _string(buf: memoryview, pos: int) -> tuple[str, int]:
    (length,) = struct.unpack_from("<Q", buf, pos)
    pos += 8
    return bytes(buf[pos:pos + length]).decode("utf-8"), pos + length


def _value(buf: memoryview, pos: int, vtype: int) -> tuple[Any, int]:
    if vtype in _SCALAR:
        fmt = _SCALAR[vtype]
        (value,) = struct.unpack_from(fmt, buf, pos)
        return value, pos + struct.calcsize(fmt)
    if vtype == _STRING:
        return _string(buf, pos)
    if vtype == _ARRAY:
        etype, count = struct.unpack_from("<IQ", buf, pos)
        pos += 12
        if etype in _SCALAR:
            fmt = _SCALAR[etype]
            values = list(struct.unpack_from(f"<{count}{fmt[1]}", buf, pos))
            return values, pos + count * struct.calcsize(fmt)
        if etype == _STRING:  # vocabularies and merge tables: walk them, keep the length
            for _ in range(count):
                (length,) = struct.unpack_from("<Q", buf, pos)
                pos += 8 + length
            return StringArray(count), pos
        raise ValueError(f"GGUF metadata holds an array of type {etype}, which this reader cannot read")
    raise ValueError(f"GGUF metadata holds a value of type {vtype}, which this reader cannot read")
