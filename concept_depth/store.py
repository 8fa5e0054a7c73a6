"""On-disk cache of activations and results (diskcache + file locks).

Layout of keys in one :class:`diskcache.Cache`:

- ``act/<key>/meta``      dict: spec, layers, n_samples, hidden_size, labels, prompts,
                          per-layer sha256, created, complete flag.
- ``act/<key>/layer/<l>`` bytes of a float32 array [N, D] for layer number ``l``,
                          so one layer is read without loading the others.
- ``act/<key>/chunk/<i>`` partial extraction: dict(indices [n], features [n, L, D]);
                          kept while an extraction runs so a killed one resumes.
- ``res/<kind>/<key>``    JSON-able dict of a result (``kind`` e.g. ``run``, ``expression``).

Cache directory: argument, else ``$CONCEPT_DEPTH_CACHE``, else ``cache/`` in the
current directory. Two processes computing the same key serialise on
``locks/<key>.lock`` (an OS file lock: released if the holder dies).
"""

from __future__ import annotations

import hashlib
import os
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterator, TypeVar

import diskcache
import numpy as np
from filelock import FileLock


def default_cache_dir() -> Path:
    return Path(os.environ.get("CONCEPT_DEPTH_CACHE") or "cache").resolve()


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@dataclass(frozen=True)
class CacheEntry:
    kind: str  # "activations" or a result kind
    key: str
    size_bytes: int
    created: float
    summary: dict[str, Any]


T = TypeVar("T")


class CorruptEntryError(RuntimeError):
    """A cached array failed its checksum; the caller recomputes."""


class Store:
    """Activation and result cache rooted at one directory."""

    def __init__(self, directory: str | os.PathLike | None = None) -> None:
        self.directory = Path(directory).resolve() if directory else default_cache_dir()
        self.directory.mkdir(parents=True, exist_ok=True)
        self.cache = diskcache.Cache(str(self.directory / "diskcache"), size_limit=2**40, eviction_policy="none")

    # ---- locking -----------------------------------------------------
    @contextmanager
    def lock(self, key: str, timeout: float = -1) -> Iterator[None]:
        """Hold the compute lock of ``key`` (blocks until a concurrent holder finishes)."""
        lock_dir = self.directory / "locks"
        lock_dir.mkdir(exist_ok=True)
        with FileLock(str(lock_dir / f"{key}.lock"), timeout=timeout):
            yield

    # ---- the one memoised operation ------------------------------------
    def memoize(self, kind: str, key: str, compute: Callable[[], T], *,
                read: Callable[[], T | None] | None = None,
                write: Callable[[T], None] | None = None) -> tuple[T, bool]:
        """``(value, hit)``: the stored value of ``(kind, key)``, else ``compute()`` stored once.

        cached? -> lock -> cached again? (another process may have finished it while we
        waited) -> compute -> store. Every cached computation in the engine goes through
        here: activations, probe runs, expression results.

        ``read`` returns the stored value or None (default: the result dict of ``kind``);
        ``write`` stores a computed value (default: ``put_result(kind, key, value)``; pass a
        no-op when ``compute`` stores as it goes, as extraction does).
        """
        read = read or (lambda: self.get_result(kind, key))
        write = write or (lambda value: self.put_result(kind, key, value))
        value = read()
        if value is not None:
            return value, True
        with self.lock(f"{kind}-{key}"):
            value = read()
            if value is not None:
                return value, True
            value = compute()
            write(value)
        return value, False

    # ---- activations -------------------------------------------------
    def activation_meta(self, key: str) -> dict[str, Any] | None:
        meta = self.cache.get(f"act/{key}/meta")
        return meta if meta and meta.get("complete") else None

    def has_activations(self, key: str) -> bool:
        return self.activation_meta(key) is not None

    def write_layers(self, key: str, features: np.ndarray, layers: list[int], meta: dict[str, Any]) -> None:
        """Store a finished extraction. features: [N, L, D] float32 aligned with ``layers``."""
        features = np.ascontiguousarray(features, dtype=np.float32)
        sums = {}
        for j, layer in enumerate(layers):
            data = np.ascontiguousarray(features[:, j, :]).tobytes()
            sums[str(layer)] = _sha(data)
            self.cache.set(f"act/{key}/layer/{layer}", data)
        full = dict(meta, layers=list(layers), n_samples=int(features.shape[0]), hidden_size=int(features.shape[2]),
                    sha256=sums, created=time.time(), complete=True,
                    size_bytes=int(features.nbytes))
        self.cache.set(f"act/{key}/meta", full)
        self.clear_chunks(key)

    def read_layer(self, key: str, layer: int) -> np.ndarray:
        """[N, D] float32 vectors of one layer; raises CorruptEntryError on a bad checksum."""
        meta = self.activation_meta(key)
        if meta is None:
            raise KeyError(key)
        data = self.cache.get(f"act/{key}/layer/{layer}")
        if data is None or _sha(data) != meta["sha256"].get(str(layer)):
            raise CorruptEntryError(f"cached activations {key} layer {layer} are missing or corrupted")
        return np.frombuffer(data, dtype=np.float32).reshape(meta["n_samples"], meta["hidden_size"]).copy()

    def read_all(self, key: str) -> np.ndarray:
        """[N, L, D] float32 for all stored layers (in ``meta['layers']`` order)."""
        meta = self.activation_meta(key)
        if meta is None:
            raise KeyError(key)
        return np.stack([self.read_layer(key, l) for l in meta["layers"]], axis=1)

    def verify(self, key: str) -> bool:
        try:
            meta = self.activation_meta(key)
            if meta is None:
                return False
            for layer in meta["layers"]:
                self.read_layer(key, layer)
            return True
        except CorruptEntryError:
            return False

    # partial extraction chunks (resumability) --------------------------
    def write_chunk(self, key: str, indices: np.ndarray, features: np.ndarray) -> None:
        n = len([k for k in self._keys(f"act/{key}/chunk/")])
        self.cache.set(f"act/{key}/chunk/{n:06d}", {"indices": np.asarray(indices, dtype=np.int64),
                                                    "features": np.asarray(features, dtype=np.float32)})

    def read_chunks(self, key: str) -> tuple[np.ndarray, np.ndarray | None]:
        """All saved partial rows: (indices [n], features [n, L, D] or None)."""
        idx, feats = [], []
        for k in sorted(self._keys(f"act/{key}/chunk/")):
            chunk = self.cache.get(k)
            if chunk is None:
                continue
            idx.append(chunk["indices"])
            feats.append(chunk["features"])
        if not idx:
            return np.zeros(0, dtype=np.int64), None
        return np.concatenate(idx), np.concatenate(feats)

    def finish_layers(self, key: str, layers: list[int], meta: dict[str, Any]) -> None:
        """Turn the chunks written for ``key`` into one finished entry per layer, then drop them."""
        idx, feats = self.read_chunks(key)
        if feats is None:
            raise KeyError(f"no chunks for {key}")
        order = np.argsort(idx, kind="stable")
        if not np.array_equal(idx[order], np.arange(len(idx))):
            raise RuntimeError(f"chunks of {key} do not cover rows 0..{len(idx) - 1} exactly once")
        self.write_layers(key, feats[order], layers, meta)

    def check_free_space(self, nbytes: int, what: str) -> None:
        """Refuse (one line) when the cache's disk cannot hold ``nbytes`` more."""
        import shutil

        from .errors import UnavailableError

        free = shutil.disk_usage(self.directory).free
        if nbytes > free:
            raise UnavailableError(f"{what} needs about {nbytes / 2**30:.1f} GiB in the cache ({self.directory}) "
                                   f"but only {free / 2**30:.1f} GiB is free; use a sample limit or another --cache-dir")

    def clear_chunks(self, key: str) -> None:
        for k in list(self._keys(f"act/{key}/chunk/")):
            self.cache.delete(k)

    # ---- results -----------------------------------------------------
    def get_result(self, kind: str, key: str) -> dict[str, Any] | None:
        return self.cache.get(f"res/{kind}/{key}")

    def put_result(self, kind: str, key: str, value: dict[str, Any]) -> None:
        self.cache.set(f"res/{kind}/{key}", value)

    def list_results(self, kind: str) -> list[dict[str, Any]]:
        out = []
        for k in self._keys(f"res/{kind}/"):
            value = self.cache.get(k)
            if value is not None:
                out.append(value)
        return out

    def delete_result(self, kind: str, key: str) -> None:
        self.cache.delete(f"res/{kind}/{key}")

    # ---- listing and deleting ----------------------------------------
    def _keys(self, prefix: str) -> Iterator[str]:
        for k in self.cache.iterkeys():
            if isinstance(k, str) and k.startswith(prefix):
                yield k

    def entries(self) -> list[CacheEntry]:
        """Every complete activation set and every result, with sizes."""
        out: list[CacheEntry] = []
        for k in self._keys("act/"):
            if k.endswith("/meta"):
                meta = self.cache.get(k)
                if meta and meta.get("complete"):
                    key = k.split("/")[1]
                    out.append(CacheEntry("activations", key, int(meta.get("size_bytes", 0)),
                                          float(meta.get("created", 0)), {"spec": meta.get("spec", {})}))
        for k in self._keys("res/"):
            _, kind, key = k.split("/", 2)
            value = self.cache.get(k) or {}
            size = len(repr(value))
            created = value.get("created_ts", 0.0) if isinstance(value, dict) else 0.0
            out.append(CacheEntry(kind, key, size, float(created or 0.0),
                                  {"spec": value.get("spec", {}) if isinstance(value, dict) else {}}))
        return sorted(out, key=lambda e: e.created, reverse=True)

    def delete_activations(self, key: str) -> None:
        for k in list(self._keys(f"act/{key}/")):
            self.cache.delete(k)

    def delete(self, kind: str, key: str) -> None:
        if kind == "activations":
            self.delete_activations(key)
        else:
            self.delete_result(kind, key)

    def total_bytes(self) -> int:
        return int(self.cache.volume())
