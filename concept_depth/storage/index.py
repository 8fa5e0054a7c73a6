"""The store's index: a :class:`diskcache.Cache` of JSON values that survives damage.

Values are JSON (zlib-compressed, diskcache's ``JSONDisk``), never pickles, so a cache
file from elsewhere cannot run code when read. The index heals itself:

- its folder removed while in use (``rm -rf cache/``): the next operation finds the
  database gone, opens a new one, and the value being written lands;
- a damaged database (truncated ``cache.db``, "file is not a database", "malformed"):
  moved aside to ``index.damaged-<time>``, and a new one is opened;
- a damaged value (truncated value file, bad compression or JSON): :meth:`JsonIndex.read`
  says so without touching it; :meth:`JsonIndex.get` drops it with one warning line.

Whenever a database is opened that lacks the :data:`STAMP` row (it is new: missing, 0 bytes,
or started after damage; or made by a version before the stamp), ``on_open(index, why)`` is
called, so the store can rebuild the index from its sidecar files (:mod:`.sidecars`) and then
set the stamp. ``why`` says what happened (None when the old database was simply unstamped).
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
from typing import Any, Callable, Optional, TypeVar

import diskcache
from diskcache.core import UNKNOWN

from ..core.errors import UnavailableError

log = logging.getLogger("concept_depth.store")
T = TypeVar("T")


#: The row that says this database is the store's, complete (rebuilt from sidecar files if it was new).
STAMP = "_store/index"


def plain_json(value: Any) -> Any:
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
            value = zlib.compress(json.dumps(value, default=plain_json).encode("utf-8"), self.compress_level)
        return diskcache.Disk.store(self, value, read, key=key)


#: What decoding a damaged value can raise.
DECODE_ERRORS = (zlib.error, ValueError, UnicodeDecodeError, TypeError, EOFError)


OnOpen = Callable[["JsonIndex", Optional[str]], None]


class JsonIndex:
    """String keys -> JSON values in ``directory`` (a diskcache folder), self-healing.

    ``on_open(index, why)``: called when a database without the :data:`STAMP` row is opened
    (see the module docstring); it is expected to set the stamp.
    """

    def __init__(self, directory: Path, on_open: OnOpen | None = None) -> None:
        self.directory = Path(directory)
        self.db_path = self.directory / "cache.db"
        self._guard = threading.RLock()
        self._cache: diskcache.Cache | None = None
        self._on_open = on_open
        self._opening = False
        self._open()

    # ---- opening and recovery -------------------------------------------------------
    def _new(self) -> diskcache.Cache:
        return diskcache.Cache(str(self.directory), disk=JsonDisk, size_limit=2**40, eviction_policy="none")

    def _state(self) -> str | None:
        """Why the database about to be opened is new: ``missing``, ``empty (0 bytes)``, or None."""
        try:
            size = self.db_path.stat().st_size
        except FileNotFoundError:
            return "missing"
        except OSError:
            return None
        return "empty (0 bytes)" if size == 0 else None

    def _open(self, why: str | None = None) -> None:
        with self._guard:
            self._close_quietly()
            why = why or self._state()
            for attempt in (0, 1):
                try:
                    self._cache = self._new()
                    stamped = self._stamped()  # reads a row: a malformed database shows up here
                    break
                except sqlite3.OperationalError as exc:  # locked, no permission, I/O: not damage
                    raise UnavailableError(f"cannot open the cache index in {self.directory}: {exc}") from None
                except sqlite3.DatabaseError as exc:  # "file is not a database", "malformed"
                    self._close_quietly()
                    if attempt:
                        raise UnavailableError(f"the cache index {self.db_path} cannot be used: {exc}") from None
                    why = self._move_aside(exc)
                except OSError as exc:
                    raise UnavailableError(f"cannot create the cache folder {self.directory}: "
                                           f"{exc.strerror or exc}") from None
            if why and self._on_open is None and why.startswith("damaged"):
                log.warning("the cache index %s was %s", self.db_path, why)
            if not stamped and self._on_open is not None and not self._opening:
                self._opening = True  # the store's rebuild uses this index: no second rebuild inside it
                try:
                    self._on_open(self, why)
                finally:
                    self._opening = False

    def _close_quietly(self) -> None:
        if self._cache is not None:
            try:
                self._cache.close()
            except Exception:  # noqa: BLE001 - the old connection may point at a removed file
                pass
            self._cache = None

    def _stamped(self) -> bool:
        try:
            return self._cache.get(STAMP) is not None
        except DECODE_ERRORS:  # a damaged stamp: rebuilding adds only what is missing
            return False

    def stamp(self) -> None:
        """Mark this database as complete (its entries rebuilt from sidecar files where it was new)."""
        self.set(STAMP, {"format": "concept-depth/index@1", "stamped": time.time()})

    def _move_aside(self, exc: Exception) -> str:
        aside = self.directory.with_name(f"{self.directory.name}.damaged-{time.strftime('%Y%m%d-%H%M%S')}"
                                         f"-{os.getpid()}")
        try:
            os.replace(self.directory, aside)
        except OSError as err:
            raise UnavailableError(f"the cache index {self.db_path} is damaged ({exc}) and could not be moved "
                                   f"aside ({err.strerror}); remove it by hand") from None
        return f"damaged ({exc}); moved it to {aside.name} and started a new one"

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
                    self._open(self._move_aside(exc))
        raise AssertionError("unreachable")

    # ---- values ---------------------------------------------------------------------
    def read(self, key: str) -> tuple[Any, str | None]:
        """``(value, None)`` (value None when absent), or ``(None, what is wrong)`` for a damaged
        value, which is left as it is."""
        try:
            return self.run(lambda c: c.get(key)), None
        except DECODE_ERRORS as exc:
            return None, f"damaged value ({str(exc)[:120]})"

    def get(self, key: str) -> Any:
        """The value of ``key``, or None (absent, or damaged: then dropped with one warning line)."""
        value, problem = self.read(key)
        if problem:
            log.warning("cache entry %s is damaged (%s); dropped it, it will be computed again", key, problem)
            self.delete(key)
        return value

    def check(self, key: str) -> str | None:
        """None when ``key`` decodes, else what is wrong with it (nothing is dropped)."""
        return self.read(key)[1]

    def set(self, key: str, value: Any) -> None:
        self.run(lambda c: c.set(key, value))

    def add(self, key: str, value: Any) -> bool:
        """Set ``key`` only when it is absent (another process may have written it); True if added."""
        return bool(self.run(lambda c: c.add(key, value)))

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
