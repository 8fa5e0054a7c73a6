"""The cache root and content hashes: one definition each, used by the store, datasets and models."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import BinaryIO

CACHE_ENV = "CONCEPT_DEPTH_CACHE"


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
