"""The store's entries: index rows, each with a sidecar copy, written twice, read healed, rebuilt.

- write: the sidecar file first (:mod:`.sidecars`), then the index row, so an interrupted
  write leaves a copy the index can regain, never a row without a copy;
- read: a row that is damaged (or, for activations, whose metadata lost its fields) is
  restored from an intact sidecar (one warning line); a row that is absent while its sidecar
  is there (the index write did not land) is added back; with no intact copy the entry is
  dropped (one warning line) and computed again by whoever needs it. ``repair=False`` (what
  ``cache verify`` uses) reads the same way but writes and drops nothing;
- remove: the sidecar first, then the row (an interrupted delete leaves an entry, never a
  copy that would come back on the next rebuild);
- rebuild: when a database without the store's stamp is opened (missing, 0 bytes, or started
  anew after damage), every intact sidecar whose row is absent is added, under a file lock
  so two processes rebuild once, and the database is stamped; one warning line says what
  happened to the old index and how many entries came back.
"""

from __future__ import annotations

import logging
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any, Callable

from ..core.errors import UnavailableError
from . import sidecars as S
from .index import JsonIndex
from .keys import index_key

log = logging.getLogger("concept_depth.store")


def value_problem(key: str, value: Any) -> str | None:
    """What makes the stored value of index row ``key`` unusable (None when it is fine): results are JSON
    objects; activation metadata has its layers, shape and checksums and is marked complete."""
    if not isinstance(value, dict):
        return "not a JSON object"
    if not key.startswith("act/"):
        return None
    try:
        ok = (all(isinstance(l, int) for l in value["layers"]) and isinstance(value["n_samples"], int)
              and isinstance(value["hidden_size"], int) and isinstance(value["sha256"], dict)
              and bool(value.get("complete")))
    except (KeyError, TypeError):
        ok = False
    return None if ok else "damaged metadata"


class EntryIndex:
    """Rows of ``<root>/index`` and their sidecar copies under ``root``.

    ``lock(name)`` is the store's file lock (a context manager), used so one process rebuilds.
    ``index`` is the underlying :class:`~.index.JsonIndex` (raw rows, for ``cache verify``).
    """

    def __init__(self, root: Path, lock: Callable[[str], AbstractContextManager]) -> None:
        self.root = root
        self._lock = lock
        self.index = JsonIndex(root / "index", on_open=self._opened)

    def sidecar_path(self, kind: str, key: str) -> Path:
        return S.location(self.root, index_key(kind, key))

    # ---- rebuilding -------------------------------------------------------------------
    def _opened(self, index: JsonIndex, why: str | None) -> None:
        """A database without the stamp was opened: add what the sidecar files hold, then stamp it.

        ``why``: what happened to the old index (``missing``, ``empty (0 bytes)``, ``damaged (...);
        moved it to ...``), or None (an index made before stamps). Said in one warning line.
        """
        try:
            with self._lock("index-rebuild"):  # two processes opening a new index rebuild it once
                if index._stamped():
                    return
                restored, skipped = self._restore(index)
                index.stamp()
        except (UnavailableError, OSError) as exc:  # e.g. a read-only cache: reads still work
            log.warning("the cache index %s could not be rebuilt from its sidecar files (%s)", index.db_path,
                        str(exc)[:200])
            return
        found = (f"rebuilt {restored} entries from their sidecar files" if restored else
                 "no sidecar files to rebuild it from (cached results will be computed again)")
        if skipped:
            found += f"; {skipped} damaged sidecar files were left out"
        if why and (why != "missing" or restored or skipped):
            log.warning("the cache index %s was %s; %s", index.db_path, why, found)
        elif restored or skipped:
            log.info("the cache index %s: %s", index.db_path, found)

    def _restore(self, index: JsonIndex) -> tuple[int, int]:
        """Put every intact sidecar whose row is absent or damaged back; (restored, damaged sidecars)."""
        restored = skipped = 0
        for key, _path in S.scan(self.root):
            value, problem = index.read(key)
            if value is not None and problem is None:
                continue
            try:
                value = S.read(self.root, key)
            except S.SidecarError:
                skipped += 1
                continue
            if value_problem(key, value):
                skipped += 1
                continue
            if problem:
                index.set(key, value)
            elif not index.add(key, value):
                continue  # written meanwhile by another process
            restored += 1
        return restored, skipped

    # ---- one entry ----------------------------------------------------------------------
    def _sidecar_value(self, key: str) -> Any | None:
        try:
            value = S.read(self.root, key)
        except S.SidecarError:
            return None
        return None if value_problem(key, value) else value

    def read(self, kind: str, key: str, *, repair: bool, drop: Callable[[], None]) -> Any | None:
        """The value of one entry, healed from its sidecar where the row is damaged or absent (see the
        module docstring); ``drop`` deletes the entry when nothing intact is left (only with ``repair``)."""
        row = index_key(kind, key)
        value, problem = self.index.read(row)
        if problem is None and value is not None:
            if kind == "activations" and isinstance(value, dict) and not value.get("complete"):
                return None  # not finished: reads as absent (nothing to heal)
            problem = value_problem(row, value)
            if problem is None:
                return value
        side = self._sidecar_value(row)
        if problem is None:  # no row: its sidecar was written, the index write did not land
            if side is not None and repair:
                self.index.add(row, side)
            return side
        what = "cached activations" if kind == "activations" else f"cached {kind}"
        if side is not None:
            if repair:
                self.index.set(row, side)
                log.warning("%s %s was damaged in the index (%s); restored it from its sidecar file", what, key,
                            problem)
            return side
        if repair:
            if kind == "activations":
                log.warning("%s %s have damaged metadata; dropped them, they will be computed again", what, key)
            else:
                log.warning("%s %s is damaged (%s); dropped it", what, key, problem)
            drop()
        return None

    def write(self, kind: str, key: str, value: dict[str, Any]) -> dict[str, Any]:
        """Store one entry: the sidecar first, then the row; returns the value as stored (plain JSON)."""
        row = index_key(kind, key)
        value = S.write(self.root, row, value)
        self.index.set(row, value)
        return value

    def remove(self, kind: str, key: str) -> None:
        row = index_key(kind, key)
        S.remove(self.root, row)
        self.index.delete(row)
