"""The cache root, content hashes and atomic file writes: one definition each, used across the package."""

from __future__ import annotations

import errno
import hashlib
import itertools
import os
from pathlib import Path
from typing import BinaryIO

from .errors import UnavailableError

CACHE_ENV = "CONCEPT_DEPTH_CACHE"
#: Written into every converted model folder under ``<cache>/models/`` (what makes it the cache's own).
CONVERTED_MARKER = "concept_depth_converted.json"
#: OS errors that mean "this disk cannot take the file" (full, over quota, read-only, not allowed).
DISK_ERRNOS = (errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES, errno.EPERM)

_COUNTER = itertools.count()


def default_cache_dir(cache_dir: str | os.PathLike | None = None) -> Path:
    """The cache root (absolute): argument, else ``$CONCEPT_DEPTH_CACHE``, else ``./cache``."""
    return Path(cache_dir or os.environ.get(CACHE_ENV) or "cache").resolve()


BLOCK = 1 << 22  # 4 MiB: files are hashed in blocks, gigabytes never sit in memory


def sha256_bytes(data: bytes | memoryview) -> str:
    return hashlib.sha256(data).hexdigest()


def sha256_stream(fh: BinaryIO) -> str:
    """sha256 of what is left to read in an open binary file, in blocks."""
    digest = hashlib.sha256()
    for block in iter(lambda: fh.read(BLOCK), b""):
        digest.update(block)
    return digest.hexdigest()


def sha256_file(path: str | os.PathLike) -> str:
    """sha256 of a whole file, read in blocks."""
    with open(path, "rb") as fh:
        return sha256_stream(fh)


def temp_name(path: str | os.PathLike) -> Path:
    """A hidden sibling of ``path`` no other writer uses (``.<name>.tmp-<pid>-<n>``)."""
    path = Path(path)
    return path.with_name(f".{path.name}.tmp-{os.getpid()}-{next(_COUNTER)}")


def write_atomic(path: str | os.PathLike, data: bytes | str, *, encoding: str = "utf-8") -> Path:
    """Write ``data`` to ``path`` so that a reader sees the old file or the whole new one, never a part.

    The bytes go to a temporary file in the same folder, are flushed to disk (fsync), and the
    temporary file is renamed over ``path``; on any error it is removed and ``path`` is left as
    it was. A full, read-only or forbidden disk is one UnavailableError line. ``path`` that
    exists and is not a regular file (``/dev/stdout``, a FIFO) is written in place.
    Returns ``path``.
    """
    path = Path(path)
    payload = data.encode(encoding) if isinstance(data, str) else bytes(data)
    try:
        if path.exists() and not path.is_file():
            with open(path, "wb") as fh:
                fh.write(payload)
            return path
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = temp_name(path)
        try:
            with open(tmp, "xb") as fh:  # created with the usual permissions (umask), unlike mkstemp
                fh.write(payload)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, path)
        except BaseException:
            try:
                tmp.unlink()
            except OSError:
                pass
            raise
        _sync_folder(path.parent)
    except OSError as exc:
        if exc.errno in DISK_ERRNOS:
            raise UnavailableError(f"could not write {path}: {exc.strerror or exc} (a file already there is unchanged)"
                                   ) from None
        raise
    return path


def _sync_folder(folder: Path) -> None:
    """Make a rename in ``folder`` durable (best effort: not every system can open a folder)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
