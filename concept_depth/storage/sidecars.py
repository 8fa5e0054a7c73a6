"""A second, self-describing copy of every index entry: one small checksummed JSON file each.

The index (:mod:`.index`, one SQLite database) is fast but a single file: damaged or deleted,
it would take every stored result with it. So each entry is also written as a *sidecar*
file, before its index row, and the index can be rebuilt from them (:mod:`.entry_index`):

- activations ``act/<key>/meta``  -> ``arrays/<key>/entry.json`` (beside the layer files)
- results ``res/<kind>/<key>``     -> ``results/<kind>/<key>.json`` (results have no arrays)

A sidecar file reads on its own::

    {"format": "concept-depth/cache-entry@1",
     "index_key": "res/run/3f2a...", "kind": "run", "key": "3f2a...",
     "written": "2026-11-22T10:00:00+00:00",
     "sha256": "<sha256 of the value's canonical JSON>",
     "value": {...the metadata or result, exactly as the index holds it...}}

Canonical JSON: ``json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)``
of the value as JSON gives it back (numpy numbers and tuples already turned into plain JSON).
A sidecar whose location, ``index_key``, format or checksum disagree is damaged and never used.
Nothing here is a path given by anyone: locations come from keys checked by ``check_key``.
"""

from __future__ import annotations

import json
import os
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterator

from ..core.files import sha256_bytes, write_atomic
from .index import plain_json
from .keys import KEY, KIND

FORMAT = "concept-depth/cache-entry@1"
#: The sidecar of finished activations, inside ``arrays/<key>/``.
ACTIVATION_FILE = "entry.json"
#: Folder of result sidecars under the cache root.
RESULTS_DIR = "results"
#: A sidecar larger than this is not read (ours are kilobytes to a few megabytes).
MAX_BYTES = 256 * 2**20



#: How every sidecar file begins (``write`` puts ``format`` first): what tells ours from a user's file.
_HEAD = ('{"format":"' + FORMAT + '"').encode()


class SidecarError(ValueError):
    """A sidecar file is missing, unreadable, or does not match its checksum or location."""


def location(root: Path, index_key: str) -> Path | None:
    """Where the sidecar of ``index_key`` lives under the cache ``root``; None for keys that have none."""
    parts = index_key.split("/")
    if len(parts) == 3 and parts[0] == "act" and parts[2] == "meta" and KEY.fullmatch(parts[1]):
        return root / "arrays" / parts[1] / ACTIVATION_FILE
    if len(parts) == 3 and parts[0] == "res" and KIND.fullmatch(parts[1]) and KEY.fullmatch(parts[2]):
        return root / RESULTS_DIR / parts[1] / f"{parts[2]}.json"
    return None


def _describe(index_key: str) -> tuple[str, str]:
    parts = index_key.split("/")
    return ("activations", parts[1]) if parts[0] == "act" else (parts[1], parts[2])


def normalise(value: Any) -> Any:
    """``value`` as JSON gives it back (what the index stores and the checksum covers)."""
    return json.loads(json.dumps(value, default=plain_json))


def digest(value: Any) -> str:
    """sha256 of the canonical JSON of a normalised ``value``."""
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return sha256_bytes(text.encode("utf-8"))


def write(root: Path, index_key: str, value: Any) -> Any:
    """Write the sidecar of ``index_key`` (atomically); returns the normalised value to put in the index."""
    path = location(root, index_key)
    if path is None:
        raise ValueError(f"{index_key!r} has no sidecar file")
    value = normalise(value)
    kind, key = _describe(index_key)
    doc = {"format": FORMAT, "index_key": index_key, "kind": kind, "key": key,
           "written": datetime.now(timezone.utc).isoformat(timespec="seconds"), "sha256": digest(value),
           "value": value}
    write_atomic(path, json.dumps(doc, ensure_ascii=False, separators=(",", ":")))
    return value


def read(root: Path, index_key: str) -> Any:
    """The value kept in the sidecar of ``index_key``; SidecarError (why) when absent or damaged."""
    path = location(root, index_key)
    if path is None:
        raise SidecarError("no sidecar file for this entry")
    try:
        if path.stat().st_size > MAX_BYTES:
            raise SidecarError(f"{path.name} is larger than {MAX_BYTES // 2**20} MB")
        doc = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SidecarError("no sidecar file") from None
    except (OSError, ValueError, RecursionError) as exc:
        raise SidecarError(f"sidecar file is unreadable ({str(exc)[:80]})") from None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise SidecarError("sidecar file is not a concept-depth cache entry")
    if doc.get("index_key") != index_key:
        raise SidecarError("sidecar file names another entry")
    if "value" not in doc or digest(doc["value"]) != doc.get("sha256"):
        raise SidecarError("sidecar file failed its checksum")
    return doc["value"]


def is_ours(path: Path) -> bool:
    """True when ``path`` was written by :func:`write` (whole or damaged later), judged by how it begins."""
    try:
        with open(path, "rb") as fh:
            return fh.read(len(_HEAD)) == _HEAD
    except OSError:
        return False


def exists(root: Path, index_key: str) -> bool:
    path = location(root, index_key)
    return path is not None and path.is_file()


def remove(root: Path, index_key: str) -> None:
    """Delete the sidecar of ``index_key`` (and its kind folder once empty)."""
    path = location(root, index_key)
    if path is None:
        return
    try:
        path.unlink()
    except FileNotFoundError:
        return
    if path.parent.parent.name == RESULTS_DIR:
        try:
            path.parent.rmdir()
        except OSError:  # not empty, or removed meanwhile
            pass


def scan(root: Path) -> Iterator[tuple[str, Path]]:
    """(index key, sidecar path) of every sidecar file: laid out as one and beginning as :func:`write`
    writes them (its checksum not yet checked). Other files, even where a sidecar would be, are not ours."""
    arrays = root / "arrays"
    if arrays.is_dir():
        for folder in sorted(arrays.iterdir()):
            if KEY.fullmatch(folder.name) and is_ours(folder / ACTIVATION_FILE):
                yield f"act/{folder.name}/meta", folder / ACTIVATION_FILE
    results = root / RESULTS_DIR
    if results.is_dir():
        for kind in sorted(results.iterdir()):
            if not (KIND.fullmatch(kind.name) and kind.is_dir()):
                continue
            for path in sorted(kind.glob("*.json")):
                key = path.name[: -len(".json")]
                if KEY.fullmatch(key) and is_ours(path):
                    yield f"res/{kind.name}/{key}", path


def result_files(root: Path) -> list[Path]:
    """Every result sidecar file (for clearing); other files under ``results/`` are not ours."""
    return [path for index_key, path in scan(root) if index_key.startswith("res/")]


def stray_result_files(root: Path) -> list[Path]:
    """Files under ``results/`` that are not laid out as sidecars (left alone, reported by verify)."""
    results = root / RESULTS_DIR
    if not results.is_dir():
        return []
    ours = set(result_files(root))
    out = []
    for dirpath, _dirs, files in os.walk(results):
        for name in files:
            path = Path(dirpath) / name
            if path not in ours and not name.startswith("."):
                out.append(path)
    return sorted(out)
