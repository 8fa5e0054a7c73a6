"""Layer vectors on disk: one ``.npy`` file per layer, partial extractions as chunk files.

Layout under ``<cache>/arrays/<key>/``:

- ``layer-<l>.npy``          float32 [N, D] of layer number ``l``; its sha256 (over the array
                             bytes, C order) is kept in the entry's metadata.
- ``chunks/<stamp>.vec.npy`` float32 [n, K, D] rows of an extraction in progress;
  ``chunks/<stamp>.sum.json`` their checksums (``{"format": "concept-depth/chunk@1", "shape",
                             "vec_sha256", "idx_sha256"}``, sha256 of the array bytes);
  ``chunks/<stamp>.idx.npy`` int64 [n] their row numbers. The index file is written last,
                             so a chunk without one is unfinished and ignored.

A chunk is used only when its checksums match: at the resume point (:func:`chunk_indices`
reads every chunk once) and again as each chunk is read for assembly, so a chunk damaged
on disk is dropped (one warning line) and its rows are computed again instead of ending in
a verified entry. Chunks without a checksum file (written before checksums existed) cannot
be verified and are dropped the same way.

Every file is written under a temporary name and renamed into place, so a reader sees a
whole file or none. Nothing here unpickles anything (``allow_pickle=False`` throughout).
Assembling layers from chunks (:func:`assemble_layers`) keeps one chunk in memory at a
time and writes through memory-mapped files, so its memory does not grow with N.
"""

from __future__ import annotations

import itertools
import json
import logging
import os
import shutil
import time
from pathlib import Path
from typing import Iterator

import numpy as np

from ..core.errors import UnavailableError
from ..core.files import sha256_bytes, sha256_stream, temp_name

log = logging.getLogger("concept_depth.store")

CHUNK_FORMAT = "concept-depth/chunk@1"

_COUNTER = itertools.count()
#: Memory-mapped output is flushed and unmapped after this many bytes are written (bounds resident memory).
FLUSH_BYTES = 128 * 2**20


class CorruptEntryError(RuntimeError):
    """A cached array is missing, truncated or failed its checksum; the caller recomputes."""


_tmp_name = temp_name  # one naming rule for every temporary file (core.files)


def _remove(path: Path) -> None:
    try:
        path.unlink()
    except FileNotFoundError:
        pass


def save_npy(path: Path, array: np.ndarray) -> str:
    """Write ``array`` to ``path`` atomically; returns the sha256 of its bytes (C order)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    array = np.ascontiguousarray(array)
    tmp = _tmp_name(path)
    try:
        with open(tmp, "wb") as fh:
            np.lib.format.write_array(fh, array, allow_pickle=False)
        os.replace(tmp, path)
    finally:
        _remove(tmp)
    return sha256_bytes(memoryview(array).cast("B"))


def _header(fh) -> tuple[tuple[int, ...], np.dtype, bool]:
    version = np.lib.format.read_magic(fh)
    if version == (1, 0):
        shape, fortran, dtype = np.lib.format.read_array_header_1_0(fh)
    else:
        shape, fortran, dtype = np.lib.format.read_array_header_2_0(fh)
    return shape, dtype, fortran


def npy_shape(path: Path) -> tuple[int, ...] | None:
    """Shape of a complete float/int ``.npy`` file (size checked against its header); None if damaged."""
    try:
        with open(path, "rb") as fh:
            shape, dtype, fortran = _header(fh)
            offset = fh.tell()
        size = os.path.getsize(path)
    except (OSError, ValueError, EOFError):
        return None
    if fortran or dtype.hasobject or size != offset + int(np.prod(shape)) * dtype.itemsize:
        return None
    return tuple(int(s) for s in shape)


def file_sha(path: Path) -> str | None:
    """sha256 of the array bytes of a ``.npy`` file, read in blocks (None if unreadable)."""
    try:
        with open(path, "rb") as fh:
            _header(fh)
            return sha256_stream(fh)
    except (OSError, ValueError, EOFError):
        return None


def load_layer(path: Path, shape: tuple[int, int], sha: str | None) -> np.ndarray:
    """float32 [N, D] from ``path``; CorruptEntryError when missing, truncated or not matching ``sha``."""
    try:
        array = np.load(path, allow_pickle=False)
    except FileNotFoundError:
        raise CorruptEntryError(f"{path.name} is missing") from None
    except (OSError, ValueError, EOFError) as exc:
        raise CorruptEntryError(f"{path.name} is damaged ({exc})") from None
    if array.dtype != np.float32 or tuple(array.shape) != tuple(shape):
        raise CorruptEntryError(f"{path.name} has shape {array.shape}, expected {tuple(shape)}")
    array = np.ascontiguousarray(array)
    if sha is None or sha256_bytes(memoryview(array).cast("B")) != sha:
        raise CorruptEntryError(f"{path.name} failed its checksum")
    return array


# ---- chunks of an extraction in progress --------------------------------------------------
def _array_sha(array: np.ndarray) -> str:
    return sha256_bytes(memoryview(np.ascontiguousarray(array)).cast("B"))


def write_chunk(folder: Path, indices: np.ndarray, features: np.ndarray) -> None:
    """Save rows ``indices`` [n] with their vectors ``features`` [n, K, D] as one checksummed chunk."""
    indices = np.asarray(indices, dtype=np.int64).reshape(-1)
    features = np.asarray(features, dtype=np.float32)
    if features.ndim != 3 or features.shape[0] != len(indices):
        raise ValueError(f"chunk features must be [n, K, D] with n = {len(indices)}, got {features.shape}")
    stamp = f"{time.time_ns():020d}-{os.getpid()}-{next(_COUNTER):06d}"
    vec_sha = save_npy(folder / f"{stamp}.vec.npy", features)
    sums = {"format": CHUNK_FORMAT, "shape": list(features.shape), "vec_sha256": vec_sha,
            "idx_sha256": _array_sha(indices)}
    _save_text(folder / f"{stamp}.sum.json", json.dumps(sums))
    save_npy(folder / f"{stamp}.idx.npy", indices)  # last: marks the chunk complete


def _save_text(path: Path, text: str) -> None:
    tmp = _tmp_name(path)
    try:
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path)
    finally:
        _remove(tmp)


def _sum_path(idx: Path) -> Path:
    return idx.with_name(idx.name[: -len(".idx.npy")] + ".sum.json")


def chunk_files(folder: Path) -> list[tuple[Path, Path]]:
    """(index file, vectors file) of every finished chunk, oldest first."""
    if not folder.is_dir():
        return []
    out = []
    for idx in sorted(folder.glob("*.idx.npy")):
        out.append((idx, idx.with_name(idx.name[: -len(".idx.npy")] + ".vec.npy")))
    return out


def _drop_chunks(dropped: list[tuple[Path, Path, str]]) -> None:
    """Remove damaged chunks; one warning line for all of them."""
    if not dropped:
        return
    whys = sorted({why for _, _, why in dropped})
    what = "a partial extraction chunk" if len(dropped) == 1 else f"{len(dropped)} partial extraction chunks"
    log.warning("%s of %s %s (%s); dropped, %s rows will be computed again", what, dropped[0][0].parent.parent.name,
                "is damaged" if len(dropped) == 1 else "are damaged", "; ".join(whys),
                "its" if len(dropped) == 1 else "their")
    for idx, vec, _ in dropped:
        remove_chunk(idx, vec)


def remove_chunk(idx: Path, vec: Path) -> None:
    """Delete the files of one chunk (its index file first: a half-removed chunk reads as unfinished)."""
    _remove(idx)
    _remove(vec)
    _remove(_sum_path(idx))


def _read_sums(idx_path: Path) -> dict | None:
    try:
        sums = json.loads(_sum_path(idx_path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(sums, dict) or sums.get("format") != CHUNK_FORMAT:
        return None
    return sums


def chunk_problem(idx_path: Path, vec_path: Path, *, full: bool = True) -> str | None:
    """What is wrong with one finished chunk (None when intact); ``full`` also hashes the vectors."""
    shape = npy_shape(vec_path)
    if shape is None or len(shape) != 3 or npy_shape(idx_path) != (shape[0],):
        return "truncated or inconsistent"
    sums = _read_sums(idx_path)
    if sums is None:
        return "no checksum (written by an older version)"
    if list(shape) != sums.get("shape"):
        return "shape does not match its checksum file"
    if file_sha(idx_path) != sums.get("idx_sha256") or (full and file_sha(vec_path) != sums.get("vec_sha256")):
        return "failed its checksum"
    return None


def _valid_chunks(chunks: Path, *, full: bool = False) -> list[tuple[np.ndarray, Path, tuple[int, ...], str]]:
    """(row numbers, vectors file, vectors shape, vectors sha256) of every intact chunk.

    Damaged ones are dropped, with one warning line for all. ``full`` hashes every vectors file
    (reads them all); otherwise the header, the size, the row numbers and their checksum are checked.
    """
    out, dropped = [], []
    for idx_path, vec_path in chunk_files(chunks):
        if not idx_path.exists():
            continue  # finished and removed by another process meanwhile
        problem = chunk_problem(idx_path, vec_path, full=full)
        if problem is None:
            try:
                idx = np.load(idx_path, allow_pickle=False)
            except FileNotFoundError:
                continue
            except (OSError, ValueError, EOFError) as exc:
                problem = str(exc)
            else:
                if idx.dtype.kind not in "iu":
                    problem = "row numbers are not integers"
        if problem is not None:
            if idx_path.exists():  # gone meanwhile: assembled by another process, not damaged
                dropped.append((idx_path, vec_path, problem))
            continue
        out.append((idx.astype(np.int64), vec_path, npy_shape(vec_path), _read_sums(idx_path)["vec_sha256"]))
    _drop_chunks(dropped)
    return out


def iter_chunks(folder: Path, *, mmap: bool = True) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Each finished, intact chunk as (indices [n], features [n, K, D]), one at a time.

    Every chunk is checked against its checksums first; with ``mmap`` the features are then
    memory-mapped (read on access). A damaged chunk is dropped with one warning line; its
    rows count as not done.
    """
    for idx, vec_path, _, _ in _valid_chunks(folder, full=True):
        try:
            vec = np.load(vec_path, mmap_mode="r" if mmap else None, allow_pickle=False)
        except FileNotFoundError:
            continue  # finished and removed by another process meanwhile
        except (OSError, ValueError, EOFError) as exc:
            _drop_chunks([(vec_path.with_name(vec_path.name.replace(".vec.npy", ".idx.npy")), vec_path, str(exc))])
            continue
        yield idx, vec


def chunk_indices(folder: Path) -> np.ndarray:
    """Sorted row numbers held by finished chunks that match their checksums (the resume point).

    Reads every chunk once (in blocks, bounded memory), so a chunk damaged on disk is dropped
    here and its rows are computed again by the resumed extraction.
    """
    parts = [idx for idx, _, _, _ in _valid_chunks(folder, full=True)]
    return np.unique(np.concatenate(parts)) if parts else np.zeros(0, dtype=np.int64)


def folder_bytes(folder: Path) -> int:
    total = 0
    for root, _dirs, files in os.walk(folder):
        for name in files:
            try:
                total += os.path.getsize(os.path.join(root, name))
            except OSError:
                pass
    return total


def remove_tree(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)


class IncompleteEntryError(UnavailableError):
    """Rows are missing from the chunks of an extraction (e.g. its folder was removed meanwhile).

    ``missing`` : int64 [m] the row numbers to compute again before finishing.
    """

    def __init__(self, key: str, missing: np.ndarray, n: int) -> None:
        self.key = key
        self.missing = np.asarray(missing, dtype=np.int64)
        super().__init__(f"{len(self.missing)} of {n} rows of extraction {key} are missing from the cache "
                         "(its folder was removed or damaged while it ran); run again to compute them")


def _open_outputs(paths: dict[int, Path]) -> dict[int, np.memmap]:
    return {layer: np.lib.format.open_memmap(path, mode="r+") for layer, path in paths.items()}


def assemble_layers(folder: Path, chunks: Path, key: str, layers: list[int], n: int | None
                    ) -> tuple[int, int, dict[str, str]]:
    """Write ``layer-<l>.npy`` [N, D] for every layer from the chunks in ``chunks``.

    Reads one chunk into memory at a time and scatters its rows into one memory-mapped
    output file per layer; every :data:`FLUSH_BYTES` the outputs are flushed and unmapped, so
    resident memory stays about one chunk plus ``FLUSH_BYTES`` whatever N is (the written
    pages live on in the kernel's reclaimable page cache). Each chunk's bytes are checked
    against its checksum before any of its rows is written; a chunk that fails is dropped (one
    warning line). Each finished file is then hashed in blocks.

    Returns (N, D, {str(layer): sha256}). Raises IncompleteEntryError when a row in 0..N-1 is
    in no intact chunk (nothing is stored then), ValueError when chunks disagree on K or D.
    """
    pieces = _valid_chunks(chunks)
    n, k, d = _checked_rows(pieces, key, layers, n)
    folder.mkdir(parents=True, exist_ok=True)
    targets = {layer: folder / f"layer-{layer}.npy" for layer in layers}
    tmps = {layer: _tmp_name(path) for layer, path in targets.items()}
    try:
        for tmp in tmps.values():  # header and size now; the data pages are written below
            np.lib.format.open_memmap(tmp, mode="w+", dtype=np.float32, shape=(n, d)).flush()
        good, bad = _scatter(pieces, layers, tmps)
        if bad:
            _drop_chunks(bad)
            have = np.zeros(n, dtype=bool)
            for idx in good:
                have[idx] = True
            if not have.all():
                raise IncompleteEntryError(key, np.flatnonzero(~have), n)
        sums = {}
        for layer in layers:
            sha = file_sha(tmps[layer])
            if sha is None:
                raise OSError(f"could not read back {tmps[layer].name}")
            sums[str(layer)] = sha
        for layer in layers:
            os.replace(tmps[layer], targets[layer])
    finally:
        for tmp in tmps.values():
            _remove(tmp)
    return n, int(d), sums


def _checked_rows(pieces: list, key: str, layers: list[int], n: int | None) -> tuple[int, int, int]:
    """(N, K, D) of the chunks, every row 0..N-1 in one of them (else IncompleteEntryError), their shapes
    agreeing (else ValueError)."""
    if not pieces:
        raise IncompleteEntryError(key, np.arange(n or 0), n or 0)
    k, d = pieces[0][2][1:]
    if k != len(layers):
        raise ValueError(f"chunks of {key} hold {k} layers, {len(layers)} were named")
    if n is None:
        n = max((int(idx.max()) + 1 for idx, _, _, _ in pieces if len(idx)), default=0)
    n = int(n)
    have = np.zeros(n, dtype=bool)
    for idx, _, shape, _ in pieces:
        if shape[1:] != (k, d):
            raise ValueError(f"chunks of {key} disagree on their shape: {shape[1:]} vs {(k, d)}")
        if len(idx) and (idx.min() < 0 or idx.max() >= n):
            raise ValueError(f"a chunk of {key} holds row {int(idx.max())}, beyond the {n} samples")
        have[idx] = True
    if not have.all():
        raise IncompleteEntryError(key, np.flatnonzero(~have), n)
    return n, k, d


def _scatter(pieces: list, layers: list[int], tmps: dict[int, Path]) -> tuple[list, list]:
    """Write each intact chunk's rows into the memory-mapped layer files (one chunk in memory, outputs
    flushed and unmapped every :data:`FLUSH_BYTES`); (row numbers written, chunks that failed their checksum)."""
    outs = _open_outputs(tmps)
    written = 0
    bad: list[tuple[Path, Path, str]] = []
    good = []
    for idx, vec_path, _, vec_sha in pieces:
        vec = np.load(vec_path, allow_pickle=False)  # one chunk: [rows, K, D]
        if _array_sha(vec) != vec_sha:  # damaged since it was written: none of its rows is used
            bad.append((vec_path.with_name(vec_path.name.replace(".vec.npy", ".idx.npy")), vec_path,
                        "failed its checksum"))
            continue
        good.append(idx)
        for j, layer in enumerate(layers):
            outs[layer][idx] = vec[:, j, :]
        written += vec.nbytes
        if written >= FLUSH_BYTES:  # bound resident memory: flush and unmap, then map again
            for out in outs.values():
                out.flush()
            del outs
            outs = _open_outputs(tmps)
            written = 0
    for out in outs.values():
        out.flush()
    del outs
    return good, bad
