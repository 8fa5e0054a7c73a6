"""The cache root and content hashes: one definition each, used by the store, datasets and models."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

CACHE_ENV = "CONCEPT_DEPTH_CACHE"


def default_cache_dir(cache_dir: str | os.PathLike | None = None) -> Path:
    """The cache root (absolute): argument, else ``$CONCEPT_DEPTH_CACHE``, else ``./cache``."""
    return Path(cache_dir or os.environ.get(CACHE_ENV) or "cache").resolve()


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def sha256_file(path: str | os.PathLike) -> str:
    """sha256 of a file, read in 4 MiB blocks (gigabytes never sit in memory)."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 22), b""):
            digest.update(block)
    return digest.hexdigest()
