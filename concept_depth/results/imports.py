"""Importing result files made elsewhere (``cache import FILE...`` and the Runs page).

An imported result is untrusted: each file is read strictly and validated against the
``concept-depth/result@1`` schema (:func:`concept_depth.results.parse_result_bytes`), then
stored as result kind ``import``, apart from computed runs (kind ``run``). So an import is
never returned as a cache hit of a computation, and it never replaces a stored run:

- its key is ``import-<original key>`` when the file's key is a plain name, else
  ``import-<hash of its content>``;
- a file whose key is that of a run computed in this cache is refused (a clash, shown);
- an import key already taken by different numbers is refused (a clash, shown); the same
  numbers again are reported as already imported.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Iterable, Union

from ..core.errors import BadInputError
from ..core.specs import stable_hash
from ..storage.store import Store, is_key
from .run import RunResult
from .schema import check_result_size, parse_result_bytes

IMPORT_KIND = "import"
RUN_KIND = "run"
PREFIX = "import-"

Source = Union[str, Path, tuple]


@dataclass(frozen=True)
class ImportOutcome:
    """What happened to one file: ``status`` is imported, unchanged, clash or invalid."""

    name: str
    status: str
    message: str
    key: str | None = None
    label: str | None = None

    @property
    def ok(self) -> bool:
        return self.status in ("imported", "unchanged")


@dataclass(frozen=True)
class ImportReport:
    outcomes: tuple[ImportOutcome, ...]

    @property
    def imported(self) -> list[ImportOutcome]:
        return [o for o in self.outcomes if o.status == "imported"]

    @property
    def failed(self) -> list[ImportOutcome]:
        return [o for o in self.outcomes if not o.ok]

    def lines(self) -> list[str]:
        return [o.message for o in self.outcomes]


def _comparable(doc: dict) -> str:
    """The numbers and spec of a result, without what importing adds or changes."""
    skip = {"key", "imported", "created_ts", "timing", "origin"}
    return json.dumps({k: v for k, v in doc.items() if k not in skip}, sort_keys=True, default=str)


def import_key(doc: dict) -> str:
    """``import-<key>`` for a plain-name key (``import-...`` kept as is), else ``import-<content hash>``."""
    key = doc.get("key")
    if is_key(key) and len(key) <= 120:
        return key if key.startswith(PREFIX) else PREFIX + key
    return PREFIX + stable_hash(_comparable(doc), 16)


def store_import(store: Store, result: RunResult, source: str = "") -> tuple[RunResult, str]:
    """Store a validated result as an import; returns (stored result, status imported|unchanged).

    Raises BadInputError (one line) on a clash with a computed run or a different import.
    """
    doc = result.to_dict()
    key = import_key(doc)
    label = result.label
    original = doc.get("key")
    if is_key(original) and store.get_result(RUN_KIND, original) is not None:
        raise BadInputError(f"clash: a run with key {original} was computed in this cache; the file was not "
                            f"imported (the computed run stays)")
    existing = store.get_result(IMPORT_KIND, key)
    if existing is not None:
        if _comparable(existing) == _comparable(doc):
            return RunResult.from_dict(existing), "unchanged"
        raise BadInputError(f"clash: an imported run with key {key} already exists with other numbers; not "
                            f"overwritten (delete it first: cache delete {key})")
    if isinstance(result.extra.get("run_spec"), dict):  # field by field, as the command line checks its options
        try:
            result.request_from(result.extra["run_spec"], strict=True)
        except BadInputError as exc:
            raise BadInputError(f"run_spec: {exc}") from None
    extra = dict(result.extra)
    file_ts = extra.get("created_ts")
    # the file's own timestamps are kept for reading, never for ordering: it is stored as of now
    extra["created_ts"] = time.time()
    extra["imported"] = {"file": str(source)[:300], "at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
                         "source_key": str(original)[:300] if original else None,
                         "origin": str(extra.get("origin") or "probe")[:20],
                         "created_ts": file_ts if isinstance(file_ts, (int, float)) else None,
                         "created": str(result.created)[:64]}
    extra["origin"] = "import"
    # ``created`` stays the file's own (shown as when it was made); ``created_ts`` is now (what orders runs)
    stored = replace(result, key=key, extra=extra)
    store.put_result(IMPORT_KIND, key, stored.to_dict())
    return stored, "imported"


def import_bytes(store: Store, data: bytes, name: str) -> ImportOutcome:
    """Validate and store one file's content; never raises for a bad file (the outcome says why)."""
    try:
        result = RunResult.from_dict(parse_result_bytes(data, name))
        stored, status = store_import(store, result, name)
    except BadInputError as exc:
        text = str(exc)
        status = "clash" if text.startswith("clash:") else "invalid"
        return ImportOutcome(name, status, text if text.startswith(name) else f"{name}: {text}")
    verb = "imported" if status == "imported" else "already imported"
    return ImportOutcome(name, status, f"{verb} {name}: {stored.label} (key {stored.key})", stored.key, stored.label)


def _read(source: Source) -> tuple[str, bytes]:
    if isinstance(source, tuple):
        name, data = source
        return str(name), bytes(data)
    path = Path(source)
    if not path.is_file():
        raise BadInputError(f"{path}: no such file")
    check_result_size(path.stat().st_size, path.name)
    return path.name, path.read_bytes()


def import_results(store: Store, files: Iterable[Source]) -> ImportReport:
    """Import each file (a path, or ``(name, bytes)`` as uploaded); one outcome per file, in order."""
    outcomes = []
    for source in files:
        try:
            name, data = _read(source)
        except BadInputError as exc:
            outcomes.append(ImportOutcome(str(source)[:200], "invalid", str(exc)))
            continue
        except OSError as exc:
            outcomes.append(ImportOutcome(str(source)[:200], "invalid", f"{source}: cannot read ({exc.strerror})"))
            continue
        outcomes.append(import_bytes(store, data, name))
    return ImportReport(tuple(outcomes))
