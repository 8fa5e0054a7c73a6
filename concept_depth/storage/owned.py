"""What in a cache folder is the store's own: only that is listed, deleted, cleared or repaired.

A cache folder may also hold things a user put there (a README, a model folder of their own).
The store touches only what carries its mark:

- ``arrays/<key>/``: a folder named like a key holding :data:`OWNER_FILE` (written before any
  other file of it), ``entry.json`` (a finished entry's sidecar) or chunk files named as the
  store names them, or whose key has an index row (entries made before these marks existed).
- ``results/<kind>/<key>.json``: laid out and formatted as a sidecar (:mod:`.sidecars`).
- ``models/<name>/``: a converted model, marked by :data:`~concept_depth.core.files.CONVERTED_MARKER`
  inside (GGUF conversions), or a tiny test model as the loader saves it (``tiny-<arch>-v<N>/``
  with its ``config.json``).
- leftovers: ``diskcache/`` (the old pickle format), ``index.damaged-*`` (damaged indexes moved
  aside) and what interrupted model conversions leave under ``models/``: ``.<name>.tmp-<pid>``
  folders whose process is gone, and ``gguf-source/`` (older versions' assembly folder) when no
  conversion holds the embedded model's lock. A process id is only meaningful on this machine:
  a conversion running on another host that shares the cache folder looks finished.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import psutil
from filelock import FileLock, Timeout

from ..core.files import CONVERTED_MARKER, write_atomic
from .keys import KEY
from .sidecars import ACTIVATION_FILE, is_ours

#: Written into ``arrays/<key>/`` before anything else: this folder is the store's.
OWNER_FILE = "owner.json"
OWNER_FORMAT = "concept-depth/arrays@1"
#: Folders of the old (pickle) format, ignored; ``cache clear`` and ``cache verify --repair`` remove them.
LEGACY_DIRS = ("diskcache",)

_CHUNK_FILE = re.compile(r"[0-9]{20}-[0-9]+-[0-9]{6}\.(vec\.npy|idx\.npy|sum\.json)")
_TINY_MODEL = re.compile(r"tiny-[a-z0-9_]+-v[0-9]+")
_CONVERSION_TMP = re.compile(r"\.(.+)\.tmp-([0-9]+)")
_MEMO_TMP = re.compile(r"hashes\.tmp([0-9]+)")  # models/hashing.py's memo, written under this name first
_LEGACY_SOURCE = "gguf-source"
_LEGACY_SOURCE_LOCK = ".embedded.lock"


def mark_arrays(folder: Path, key: str) -> None:
    """Make ``folder`` (``arrays/<key>/``) and mark it as the store's, once."""
    marker = folder / OWNER_FILE
    if not marker.exists():
        write_atomic(marker, json.dumps({"format": OWNER_FORMAT, "key": key}))


def _marked(folder: Path) -> bool:
    try:
        mark = json.loads((folder / OWNER_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(mark, dict) and mark.get("format") == OWNER_FORMAT


def has_chunk_files(folder: Path) -> bool:
    chunks = folder / "chunks"
    return chunks.is_dir() and any(_CHUNK_FILE.fullmatch(p.name) for p in chunks.iterdir())


def arrays_owned(folder: Path, indexed: set[str]) -> bool:
    """True when the store made ``folder`` (``indexed``: keys with an activations row in the index)."""
    if not (KEY.fullmatch(folder.name) and folder.is_dir()):
        return False
    return (folder.name in indexed or _marked(folder) or is_ours(folder / ACTIVATION_FILE)
            or has_chunk_files(folder))


def converted_models(root: Path) -> dict[str, Path]:
    """Converted model folders under ``models/``, by name (only those the cache made)."""
    models = root / "models"
    if not models.is_dir():
        return {}
    out = {}
    for path in sorted(models.iterdir()):
        if not path.is_dir() or path.name.startswith("."):
            continue
        if (path / CONVERTED_MARKER).is_file() or (_TINY_MODEL.fullmatch(path.name)
                                                   and (path / "config.json").is_file()):
            out[path.name] = path
    return out


def _process_alive(pid: int) -> bool:
    try:
        return psutil.pid_exists(pid)
    except (OSError, ValueError):
        return True  # cannot tell: keep it


def conversion_leftovers(root: Path) -> list[Path]:
    """Temporary folders and files of model conversions that were killed (their process is gone)."""
    models = root / "models"
    if not models.is_dir():
        return []
    out = []
    for path in sorted(models.iterdir()):
        tmp = _CONVERSION_TMP.fullmatch(path.name) if path.is_dir() else _MEMO_TMP.fullmatch(path.name)
        if tmp and not _process_alive(int(tmp.groups()[-1])):
            out.append(path)
    legacy = models / _LEGACY_SOURCE
    if legacy.is_dir() and not (legacy / CONVERTED_MARKER).exists():
        try:
            with FileLock(str(models / _LEGACY_SOURCE_LOCK), timeout=0):
                out.append(legacy)
        except (Timeout, OSError):  # a conversion is using it now, or the folder cannot be locked
            pass
    return out


def legacy_leftovers(root: Path) -> list[Path]:
    """Folders the store ignores: the old pickle-format cache and damaged indexes moved aside."""
    out = [root / name for name in LEGACY_DIRS if (root / name).is_dir()]
    return out + sorted(p for p in root.glob("index.damaged-*") if p.is_dir())
