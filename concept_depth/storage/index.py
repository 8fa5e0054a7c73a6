"""The store's index: a :class:`diskcache.Cache` of JSON values that survives damage.

Values are JSON (zlib-compressed, diskcache's ``JSONDisk``), never pickles, so a cache
file from elsewhere cannot run code when read. The index heals itself:

- its folder removed while in use (``rm -rf cache/``): the next operation finds the
  database gone, opens a new one, and the value being written lands;
- a damaged database (truncated ``cache.db``, "file is not a database", "malformed"):
  moved aside to ``index.damaged-<time>`` with one warning line, and a new one is opened;
- a damaged value (truncated value file, bad compression or JSON): one warning line,
  the entry is dropped and reads as absent, so whoever needs it computes it again.
"""

from __future__ import annotations

import json
import logging
import os
import sqlite3
import threading
import time
import zlib
from pathlib import Path
from typing import Any, Callable, TypeVar

import diskcache
from diskcache.core import UNKNOWN

from ..core.errors import UnavailableError

log = logging.getLogger("concept_depth.store")
T = TypeVar("T")


def _plain(value: Any) -> Any:
    """json.dumps fallback: numpy scalars and arrays, tuples of sets -> plain JSON values."""
    if hasattr(value, "tolist"):
        return value.tolist()
    if isinstance(value, (set, frozenset)):
        return sorted(value)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


class JsonDisk(diskcache.JSONDisk):
    """diskcache's JSONDisk, also accepting numpy scalars and arrays in values."""

    def store(self, value, read, key=UNKNOWN):
        if not read:
            value = zlib.compress(json.dumps(value, default=_plain).encode("utf-8"), self.compress_level)
        return diskcache.Disk.store(self, value, read, key=key)


#: What decoding a damaged value can raise.
DECODE_ERRORS = (zlib.error, ValueError, UnicodeDecodeError, TypeError, EOFError)


class JsonIndex:
    """String keys -> JSON values in ``directory`` (a diskcache folder), self-healing."""

    def __init__(self, directory: Path) -> None:
        self.directory = Path(directory)
        self.db_path = self.directory / "cache.db"
        self._guard = threading.RLock()
        self._cache: diskcache.Cache | None = None
        self._open()

    # ---- opening and recovery -------------------------------------------------------
    def _new(self) -> diskcache.Cache:
        return diskcache.Cache(str(self.directory), disk=JsonDisk, size_limit=2**40, eviction_policy="none")

    def _open(self) -> None:
        with self._guard:
            if self._cache is not None:
                try:
                    self._cache.close()
                except Exception:  # noqa: BLE001 - the old connection may point at a removed file
                    pass
                self._cache = None
            try:
                self._cache = self._new()
            except sqlite3.OperationalError as exc:  # locked, no permission, I/O: not damage
                raise UnavailableError(f"cannot open the cache index in {self.directory}: {exc}") from None
            except sqlite3.DatabaseError as exc:  # "file is not a database", "malformed"
                self._move_aside(exc)
                self._cache = self._new()
            except OSError as exc:
                raise UnavailableError(f"cannot create the cache folder {self.directory}: "
                                       f"{exc.strerror or exc}") from None

    def _move_aside(self, exc: Exception) -> None:
        aside = self.directory.with_name(f"{self.directory.name}.damaged-{time.strftime('%Y%m%d-%H%M%S')}"
                                         f"-{os.getpid()}")
        try:
            os.replace(self.directory, aside)
        except OSError as err:
            raise UnavailableError(f"the cache index {self.db_path} is damaged ({exc}) and could not be moved "
                                   f"aside ({err.strerror}); remove it by hand") from None
        log.warning("the cache index %s was damaged (%s); moved it to %s and started a new one "
                    "(cached results will be computed again)", self.db_path, exc, aside.name)

    def _current(self) -> diskcache.Cache:
        with self._guard:
            if self._cache is None or not self.db_path.exists():  # folder removed while in use
                self._open()
            return self._cache

    def run(self, op: Callable[[diskcache.Cache], T]) -> T:
        """``op(cache)``, reopening once when the database vanished or is damaged."""
        for attempt in (0, 1):
            cache = self._current()
            try:
                return op(cache)
            except sqlite3.OperationalError as exc:
                gone = not self.db_path.exists() or "no such table" in str(exc)
                if attempt or not gone:
                    raise UnavailableError(f"the cache index {self.db_path} cannot be used: {exc}") from None
                self._open()
            except sqlite3.DatabaseError as exc:
                if attempt:
                    raise UnavailableError(f"the cache index {self.db_path} cannot be used: {exc}") from None
                with self._guard:
                    self._cache = None
                    try:
                        cache.close()
                    except Exception:  # noqa: BLE001
                        pass
                    self._move_aside(exc)
                    self._open()
        raise AssertionError("unreachable")

    # ---- values ---------------------------------------------------------------------
    def get(self, key: str) -> Any:
        """The value of ``key``, or None (absent, or damaged: then dropped with one warning line)."""
        try:
            return self.run(lambda c: c.get(key))
        except DECODE_ERRORS as exc:
            log.warning("cache entry %s is damaged (%s); dropped it, it will be computed again", key, str(exc)[:120])
            self.delete(key)
            return None

    def check(self, key: str) -> str | None:
        """None when ``key`` decodes, else what is wrong with it (nothing is dropped)."""
        try:
            self.run(lambda c: c.get(key))
            return None
        except DECODE_ERRORS as exc:
            return f"damaged value ({str(exc)[:120]})"

    def set(self, key: str, value: Any) -> None:
        self.run(lambda c: c.set(key, value))

    def delete(self, key: str) -> None:
        self.run(lambda c: c.delete(key))

    def keys(self, prefix: str = "") -> list[str]:
        def collect(c: diskcache.Cache) -> list[str]:
            return [k for k in c.iterkeys() if isinstance(k, str) and k.startswith(prefix)]
        return self.run(collect)

    def clear(self) -> None:
        self.run(lambda c: c.clear())

    def volume(self) -> int:
        return int(self.run(lambda c: c.volume()))

    def close(self) -> None:
        with self._guard:
            if self._cache is not None:
                self._cache.close()
