"""On-disk cache of activations and results: a JSON index (diskcache) + ``.npy`` layer files + file locks.

Layout under the cache directory:

- ``index/``               :class:`~concept_depth.cache_index.JsonIndex` (diskcache, JSON values):
  - ``act/<key>/meta``     dict: spec, layers, n_samples, hidden_size, labels, prompts,
                           per-layer sha256, created, complete flag, size_bytes.
  - ``res/<kind>/<key>``   JSON dict of a result (``kind`` e.g. ``run``, ``expression``,
                           ``import`` for result files imported from elsewhere).
- ``arrays/<key>/``        ``owner.json`` (the store's mark), ``layer-<l>.npy`` float32 [N, D]
                           per layer, ``entry.json`` (the meta's sidecar), and ``chunks/`` of an
                           extraction in progress (see :mod:`.layer_files`).
- ``results/<kind>/<key>.json``  the sidecar of each result (see :mod:`.sidecars`).
- ``locks/<name>.lock``    OS file locks (released if the holder dies).
- ``models/``              converted models (written by ``concept_depth.models``).

Every index entry is written twice, its sidecar file first: a damaged, emptied or deleted
index is rebuilt from the sidecars when it is next opened (one warning line), and a damaged
value is restored from its sidecar when read. Only what carries the store's mark is listed,
deleted, cleared or repaired (:mod:`.owned`).

Keys are names, never paths: :func:`check_key` refuses anything but letters, digits and
``. _ - : @ + =`` (no ``/``, no leading dot), so nothing addressed by a key can lie outside
the cache. Nothing is pickled. A damaged entry without an intact sidecar is reported in one
warning line and reads as absent (so it is computed again); a removed cache folder is
recreated by the next write.

Cache directory: argument, else ``$CONCEPT_DEPTH_CACHE``, else ``cache/`` in the current
directory.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, TypeVar

import numpy as np
from filelock import FileLock

from ..core.errors import BadInputError, UnavailableError
from ..core.files import DISK_ERRNOS, default_cache_dir
from . import layer_files as F
from . import owned
from . import sidecars as S
from .entry_index import EntryIndex
from .keys import KEY, KIND, check_key, check_kind, index_key, is_key
from .layer_files import CorruptEntryError, IncompleteEntryError
from .owned import LEGACY_DIRS

log = logging.getLogger("concept_depth.store")

__all__ = ["Store", "CacheEntry", "CorruptEntryError", "IncompleteEntryError", "check_key", "is_key", "default_cache_dir",
           "format_bytes"]

__all__ += ["LEGACY_DIRS"]


def format_bytes(n: float) -> str:
    """``1536`` -> ``1.5 KB`` (binary units, as the README's sizes)."""
    for unit in ("B", "KB", "MB", "GB"):
        if abs(n) < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} GB"


@dataclass(frozen=True)
class CacheEntry:
    kind: str  # "activations", "partial" (an extraction in progress) or a result kind
    key: str
    size_bytes: int
    created: float
    summary: dict[str, Any]


T = TypeVar("T")


@contextmanager
def _disk_errors(what: str, where: Path) -> Iterator[None]:
    """Full disk, read-only disk, no permission -> one UnavailableError line."""
    try:
        yield
    except OSError as exc:
        if exc.errno in DISK_ERRNOS:
            raise UnavailableError(f"could not write {what} into the cache at {where}: {exc.strerror}") from None
        raise


class Store:
    """Activation and result cache rooted at one directory (see the module docstring)."""

    def __init__(self, directory: str | os.PathLike | None = None) -> None:
        self.directory = Path(directory).resolve() if directory else default_cache_dir()
        if self.directory.exists() and not self.directory.is_dir():
            raise BadInputError(f"cache directory {self.directory} is a file, not a folder")
        self._entries = EntryIndex(self.directory, self.lock)  # rows + sidecar copies (rebuilds a new index)
        self.index = self._entries.index

    @property
    def arrays_dir(self) -> Path:
        return self.directory / "arrays"

    def _folder(self, key: str) -> Path:
        return self.arrays_dir / check_key(key)

    def _chunks(self, key: str) -> Path:
        return self._folder(key) / "chunks"

    def layer_path(self, key: str, layer: int) -> Path:
        """The ``.npy`` file of one layer of activations ``key`` (for tools and tests)."""
        return self._folder(key) / f"layer-{int(layer)}.npy"

    def _own(self, key: str) -> None:
        """Mark ``arrays/<key>/`` as the store's before anything is written into it."""
        owned.mark_arrays(self._folder(key), key)

    def sidecar_path(self, kind: str, key: str) -> Path:
        """The sidecar file of an entry (``kind`` ``activations`` or a result kind), for tools and tests."""
        return self._entries.sidecar_path(kind, key)

    # ---- locking -----------------------------------------------------
    @contextmanager
    def lock(self, key: str, timeout: float = -1) -> Iterator[None]:
        """Hold the compute lock of ``key`` (blocks until a concurrent holder finishes)."""
        lock_dir = self.directory / "locks"
        with _disk_errors("a lock file", self.directory):
            lock_dir.mkdir(parents=True, exist_ok=True)
        with FileLock(str(lock_dir / f"{check_key(key, 'lock name')}.lock"), timeout=timeout):
            yield

    # ---- the one memoised operation ------------------------------------
    def memoize(self, kind: str, key: str, compute: Callable[[], T], *,
                read: Callable[[], T | None] | None = None,
                write: Callable[[T], None] | None = None) -> tuple[T, bool]:
        """``(value, hit)``: the stored value of ``(kind, key)``, else ``compute()`` stored once.

        cached? -> lock -> cached again? (another process may have finished it while we
        waited) -> compute -> store. Every cached computation in the engine goes through
        here: activations, probe runs, expression results.

        ``read`` returns the stored value or None (default: the result dict of ``kind``); a
        ``read`` that raises CorruptEntryError counts as a miss (the value is computed again).
        ``write`` stores a computed value (default: ``put_result(kind, key, value)``; pass a
        no-op when ``compute`` stores as it goes, as extraction does).
        """
        reader = read or (lambda: self.get_result(kind, key))
        write = write or (lambda value: self.put_result(kind, key, value))

        def cached() -> T | None:
            try:
                return reader()
            except CorruptEntryError as exc:
                log.warning("cached %s %s is damaged (%s); computing it again", kind, key, exc)
                return None

        value = cached()
        if value is not None:
            return value, True
        with self.lock(f"{kind}-{key}"):
            value = cached()
            if value is not None:
                return value, True
            value = compute()
            write(value)
        return value, False

    # ---- activations -------------------------------------------------
    def activation_meta(self, key: str, *, repair: bool = True) -> dict[str, Any] | None:
        """Metadata of the finished activations ``key``; None if absent, unfinished or damaged.

        Damaged metadata is restored from its sidecar file, else dropped with the layer files
        (one warning line); with ``repair`` False nothing is written or dropped.
        """
        return self._entries.read("activations", key, repair=repair, drop=lambda: self.delete_activations(key))

    def has_activations(self, key: str) -> bool:
        return self.activation_meta(key) is not None

    def _finish_meta(self, key: str, layers: list[int], n: int, d: int, sums: dict[str, str],
                     meta: dict[str, Any]) -> dict[str, Any]:
        full = dict(meta, layers=[int(l) for l in layers], n_samples=int(n), hidden_size=int(d), sha256=sums,
                    created=time.time(), complete=True, size_bytes=int(n) * len(layers) * int(d) * 4)
        with _disk_errors(f"activations {key}", self.directory):
            full = self._entries.write("activations", key, full)
        self.clear_chunks(key)
        return full

    def write_layers(self, key: str, features: np.ndarray, layers: list[int], meta: dict[str, Any]) -> None:
        """Store a finished extraction. features: [N, L, D] float32 aligned with ``layers``."""
        features = np.asarray(features, dtype=np.float32)
        self.put_layers(key, list(layers), (features[:, j, :] for j in range(len(layers))), meta)

    def put_layers(self, key: str, layers: list[int], arrays: Iterable[np.ndarray], meta: dict[str, Any], *,
                   sha256: dict[str, str] | None = None) -> dict[str, Any]:
        """Store finished activations given one layer at a time (e.g. sent back by a Ray worker).

        ``arrays`` yields one [N, D] float32 array per entry of ``layers``; with ``sha256``
        (``{str(layer): hex}``, as a meta's) every array must match its checksum, else nothing is
        kept (CorruptEntryError). Layer files first, the meta last: an interrupted write is never
        read as an entry. Returns the meta.
        """
        sums: dict[str, str] = {}
        n = d = 0
        with _disk_errors(f"activations {key}", self.directory):
            self._own(key)
            for layer, array in zip(layers, arrays):
                array = np.asarray(array, dtype=np.float32)
                sums[str(layer)] = F.save_npy(self.layer_path(key, layer), array)
                if sha256 is not None and sha256.get(str(layer)) != sums[str(layer)]:
                    F.remove_tree(self._folder(key))
                    raise CorruptEntryError(f"layer {layer} of activations {key} does not match its checksum")
                n, d = array.shape
        if len(sums) != len(layers):
            F.remove_tree(self._folder(key))
            raise CorruptEntryError(f"activations {key}: {len(sums)} of {len(layers)} layers arrived")
        return self._finish_meta(key, list(layers), n, d, sums, meta)

    def finish_layers(self, key: str, layers: list[int], meta: dict[str, Any]) -> dict[str, Any]:
        """Assemble the chunks of ``key`` into one entry per layer, with bounded memory; returns the meta.

        The rows 0..N-1 (N = ``len(meta["labels"])``, else ``meta["n_samples"]``, else one past the
        highest row written) must all be in chunks written with :meth:`write_chunk`, whose
        ``features`` are [n, len(layers), D]. Writes ``layer-<l>.npy`` per layer (memory-mapped,
        one chunk read at a time), then the meta (``write_layers``'s fields plus ``meta``), then
        drops the chunks.

        Raises IncompleteEntryError (``.missing``: the row numbers to compute again) when a row
        is in no chunk, e.g. because the cache folder was removed while extracting.
        """
        n = len(meta["labels"]) if meta.get("labels") is not None else meta.get("n_samples")
        with _disk_errors(f"activations {key}", self.directory):
            self._own(key)
            n, d, sums = F.assemble_layers(self._folder(key), self._chunks(key), key, list(layers), n)
        return self._finish_meta(key, list(layers), n, d, sums, meta)

    def check_free_space(self, nbytes: int, what: str) -> None:
        """Raise UnavailableError (one line: needed vs free) when ``nbytes`` do not fit on the cache's disk."""
        place = self.directory
        while not place.exists() and place != place.parent:
            place = place.parent
        free = shutil.disk_usage(place).free
        if int(nbytes) > free:
            raise UnavailableError(f"{what} needs {format_bytes(nbytes)} on the cache's disk ({self.directory}) "
                                   f"but only {format_bytes(free)} is free; free some space, use a cache folder "
                                   "on a larger disk (--cache-dir) or fewer samples (--limit)")

    def read_layer(self, key: str, layer: int) -> np.ndarray:
        """[N, D] float32 vectors of one layer; raises CorruptEntryError on a missing or bad file."""
        meta = self.activation_meta(key)
        if meta is None:
            raise KeyError(key)
        try:
            return F.load_layer(self.layer_path(key, layer), (meta["n_samples"], meta["hidden_size"]),
                                meta["sha256"].get(str(layer)))
        except CorruptEntryError as exc:
            raise CorruptEntryError(f"cached activations {key} layer {layer} are missing or corrupted ({exc})") from None

    def read_all(self, key: str) -> np.ndarray:
        """[N, L, D] float32 for all stored layers (in ``meta['layers']`` order)."""
        meta = self.activation_meta(key)
        if meta is None:
            raise KeyError(key)
        return np.stack([self.read_layer(key, l) for l in meta["layers"]], axis=1)

    def verify(self, key: str) -> bool:
        """True when every layer file of ``key`` is whole and matches its checksum (read in blocks)."""
        meta = self.activation_meta(key)
        if meta is None:
            return False
        shape = (meta["n_samples"], meta["hidden_size"])
        for layer in meta["layers"]:
            path = self.layer_path(key, layer)
            if F.npy_shape(path) != shape or F.file_sha(path) != meta["sha256"].get(str(layer)):
                return False
        return True

    # partial extraction chunks (resumability) --------------------------
    def write_chunk(self, key: str, indices: np.ndarray, features: np.ndarray) -> None:
        """Save finished rows ``indices`` [n] with their vectors ``features`` [n, K, D]."""
        with _disk_errors(f"partial activations {key}", self.directory):
            self._own(key)
            F.write_chunk(self._chunks(key), indices, features)

    def iter_chunks(self, key: str) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """Saved partial rows one chunk at a time: (indices [n], features [n, K, D] memory-mapped)."""
        return F.iter_chunks(self._chunks(key))

    def chunk_indices(self, key: str) -> np.ndarray:
        """Sorted row numbers already saved by :meth:`write_chunk` and matching their checksums: for
        resuming (reads each chunk once; a damaged one is dropped with one warning line)."""
        return F.chunk_indices(self._chunks(key))

    def read_chunks(self, key: str) -> tuple[np.ndarray, np.ndarray | None]:
        """All saved partial rows: (indices [n], features [n, L, D] or None). Holds them all in memory;
        prefer :meth:`chunk_indices` and :meth:`iter_chunks` for large extractions."""
        idx, feats = [], []
        for i, f in self.iter_chunks(key):
            if feats and f.shape[1:] != feats[0].shape[1:]:
                continue
            idx.append(i)
            feats.append(np.asarray(f))
        if not idx:
            return np.zeros(0, dtype=np.int64), None
        return np.concatenate(idx), np.concatenate(feats)

    def clear_chunks(self, key: str) -> None:
        F.remove_tree(self._chunks(key))

    # ---- results -----------------------------------------------------
    def get_result(self, kind: str, key: str, *, repair: bool = True) -> dict[str, Any] | None:
        """The stored result ``(kind, key)``, or None. A damaged value is restored from its sidecar
        file, else dropped (one warning line); with ``repair`` False nothing is written or dropped."""
        return self._entries.read(kind, key, repair=repair, drop=lambda: self.delete_result(kind, key))

    def put_result(self, kind: str, key: str, value: dict[str, Any]) -> None:
        with _disk_errors(f"{kind} result {key}", self.directory):
            self._entries.write(kind, key, value)

    def list_results(self, kind: str) -> list[dict[str, Any]]:
        out = []
        for k in self.index.keys(f"res/{check_kind(kind)}/"):
            name = k.split("/", 2)[2]
            value = self.get_result(kind, name) if KEY.fullmatch(name) else None
            if value is not None:
                out.append(value)
        return out

    def delete_result(self, kind: str, key: str) -> None:
        """Delete a result: its sidecar first (an interrupted delete leaves an entry, never a ghost copy)."""
        self._entries.remove(kind, key)

    # ---- listing and deleting ----------------------------------------
    def entries(self, *, repair: bool = True) -> list[CacheEntry]:
        """Every complete activation set, extraction in progress and result, with sizes; newest first.

        ``repair`` False (``cache verify``): damaged entries are left out but not touched.
        """
        out: list[CacheEntry] = []
        finished = set()
        for k in self.index.keys("act/"):
            key = k[len("act/"):-len("/meta")] if k.endswith("/meta") else None
            meta = self.activation_meta(key, repair=repair) if key and KEY.fullmatch(key) else None
            if meta:
                finished.add(key)
                out.append(CacheEntry("activations", key, int(meta.get("size_bytes", 0)),
                                      float(meta.get("created", 0) or 0), {"spec": meta.get("spec", {})}))
        for folder in self.array_folders():
            chunks = folder / "chunks"
            if folder.name not in finished and chunks.is_dir():
                out.append(CacheEntry("partial", folder.name, F.folder_bytes(chunks),
                                      chunks.stat().st_mtime, {"spec": {}}))
        for k in self.index.keys("res/"):
            _, kind, key = k.split("/", 2)
            if not (KIND.fullmatch(kind) and KEY.fullmatch(key)):
                continue
            value = self.get_result(kind, key, repair=repair)
            if value is None:
                continue
            created = value.get("created_ts") or 0.0
            out.append(CacheEntry(kind, key, len(json.dumps(value, default=str)),
                                  float(created) if isinstance(created, (int, float)) else 0.0,
                                  {"spec": value.get("spec") if isinstance(value.get("spec"), dict) else {}}))
        return sorted(out, key=lambda e: e.created, reverse=True)

    def array_folders(self) -> list[Path]:
        """The folders under ``arrays/`` the store made (see :mod:`.owned`); anything else there is not touched."""
        if not self.arrays_dir.is_dir():
            return []
        indexed = {k[len("act/"):-len("/meta")] for k in self.index.keys("act/") if k.endswith("/meta")}
        return [p for p in sorted(self.arrays_dir.iterdir()) if owned.arrays_owned(p, indexed)]

    def not_owned(self) -> list[Path]:
        """What lies under ``arrays/`` and ``results/`` without the store's mark (listed, never touched)."""
        mine = set(self.array_folders())
        out = [p for p in sorted(self.arrays_dir.iterdir()) if p not in mine] if self.arrays_dir.is_dir() else []
        return out + S.stray_result_files(self.directory)

    def delete_activations(self, key: str) -> None:
        """Delete activations ``key``: sidecar, index row, then the folder (only the store's own)."""
        folder = self._folder(key)
        indexed = {key} if self.index.read(index_key("activations", key)) != (None, None) else set()
        mine = folder.is_dir() and owned.arrays_owned(folder, indexed)
        self._entries.remove("activations", key)
        if mine:
            F.remove_tree(folder)

    def delete(self, kind: str, key: str) -> None:
        if kind == "activations":
            self.delete_activations(key)
        elif kind == "partial":
            self.clear_chunks(key)
        else:
            self.delete_result(kind, key)

    def total_bytes(self) -> int:
        """Bytes of activations and results (converted models not included)."""
        return (self.index.volume() + sum(F.folder_bytes(p) for p in self.array_folders())
                + sum(p.stat().st_size for p in S.result_files(self.directory)))

    def clear(self) -> list[Path]:
        """Delete every activation, partial extraction and result, old-format cache folders and
        leftovers of interrupted conversions; returns what was left alone (not the store's)."""
        # copies first: an interrupted clear leaves index rows (found damaged, computed again), never
        # sidecar files without rows, which a rebuild would bring back
        for folder in self.array_folders():
            F.remove_tree(folder)
        for row, _path in S.scan(self.directory):
            if row.startswith("res/"):
                S.remove(self.directory, row)
        self.index.clear()
        self.index.stamp()
        for path in self.leftovers() + self.conversion_leftovers():
            if path.is_dir():
                F.remove_tree(path)
            else:
                path.unlink(missing_ok=True)
        for folder in (self.arrays_dir, self.directory / S.RESULTS_DIR):
            try:
                folder.rmdir()  # only when empty: what is not ours stays, and so does its folder
            except OSError:
                pass
        return self.not_owned()

    def leftovers(self) -> list[Path]:
        """Folders the store ignores: the old pickle-format cache and damaged indexes moved aside."""
        return owned.legacy_leftovers(self.directory)

    def conversion_leftovers(self) -> list[Path]:
        """What killed model conversions left under ``models/`` (listed by ``cache list``, removed by ``clear``)."""
        return owned.conversion_leftovers(self.directory)

    # ---- converted models ------------------------------------------------
    def converted_models(self) -> dict[str, Path]:
        """Converted model folders under ``models/``, by name: only those carrying the cache's mark."""
        return owned.converted_models(self.directory)

    def delete_converted_model(self, name: str) -> int:
        """Delete the converted model ``name`` (exactly as listed); returns the bytes freed."""
        models = self.converted_models()
        if check_key(name, "model name") not in models:
            raise BadInputError(f"no converted model named {name!r} (see `cache list`)")
        size = F.folder_bytes(models[name])
        shutil.rmtree(models[name])
        return size
