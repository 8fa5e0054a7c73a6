"""``cache verify [--repair]``: check every entry of a store, report each problem in one line.

Checked: every index value decodes; activation metadata has its fields and every layer
file is whole and matches its sha256 (read in blocks); stored runs and imports are valid
results; every entry's sidecar file is intact and agrees with its row, and every sidecar has
a row; partial extractions' chunks match their checksums; no folder the store made lacks its
entry; no folder of the old pickle format, damaged index moved aside, or leftover of a killed
model conversion is left.

Without ``repair`` nothing is written or deleted. ``repair`` restores a damaged or missing
index row from an intact sidecar, rewrites a damaged sidecar from an intact row, writes the
sidecars of entries made before sidecars existed, and deletes what is damaged beyond that (it
is computed again when next needed). Nothing intact is touched, and nothing the store did not
make (no mark, see :mod:`concept_depth.storage.owned`) is deleted: it is named in a note. It sits with the results
because it checks that stored results read as results.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from ..core.errors import BadInputError
from ..storage import layer_files as F
from ..storage import sidecars as S
from ..storage.entry_index import value_problem as _value_problem
from ..storage.index import STAMP
from ..storage.keys import KEY, KIND
from ..storage.store import Store
from .run import RunResult, validate_result_document


@dataclass(frozen=True)
class Finding:
    """One problem (or, with ``note``, something worth knowing that is not a problem).

    ``what``: activations, partial, a result kind, leftover, entry or sidecar; ``fixed``: what
    ``--repair`` did (``deleted``, ``restored from its sidecar``...), None when nothing was done.
    """

    what: str
    key: str
    problem: str
    fixed: str | None = None
    note: bool = False

    @property
    def repaired(self) -> bool:
        return self.fixed is not None

    def line(self) -> str:
        head = "note: " if self.note else ""
        return f"{head}{self.what} {self.key}: {self.problem}" + (f" -> {self.fixed}" if self.fixed else "")


def _activation_problem(store: Store, key: str, meta) -> str | None:
    problem = _value_problem(f"act/{key}/meta", meta)
    if problem:
        return "metadata is not a JSON object" if problem == "not a JSON object" else \
            "metadata lacks layers, n_samples, hidden_size or sha256, or is not marked complete"
    shape = (meta["n_samples"], meta["hidden_size"])
    for layer in meta["layers"]:
        path = store.layer_path(key, layer)
        if not path.exists():
            return f"layer {layer} file is missing"
        if F.npy_shape(path) != tuple(shape):
            return f"layer {layer} file is truncated or has the wrong shape"
        if F.file_sha(path) != meta["sha256"].get(str(layer)):
            return f"layer {layer} failed its checksum"
    return None


def _result_problem(kind: str, value) -> str | None:
    if not isinstance(value, dict):
        return "not a JSON object"
    if kind in ("run", "import"):
        try:
            if kind == "import":
                validate_result_document(value)
            RunResult.from_dict(value)
        except BadInputError as exc:
            return str(exc)
    return None


class _Report:
    def __init__(self, repair: bool) -> None:
        self.repair = repair
        self.found: list[Finding] = []

    def problem(self, what: str, key: str, problem: str, fix: Callable[[], object], fixed: str = "deleted") -> None:
        if self.repair:
            fix()
        self.found.append(Finding(what, key, problem, fixed if self.repair else None))

    def note(self, what: str, key: str, text: str, fix: Callable[[], object] | None = None,
             fixed: str | None = None) -> None:
        if self.repair and fix is not None:
            fix()
        self.found.append(Finding(what, key, text, fixed if self.repair and fix is not None else None, note=True))


def verify_cache(store: Store, repair: bool = False) -> list[Finding]:
    """Every problem (and note) found in ``store``; with ``repair`` each is fixed as the module says."""
    report = _Report(repair)
    root = store.directory
    indexed: set[str] = set()
    for k in store.index.keys():
        parts = k.split("/")
        if k == STAMP:
            continue
        value, damage = store.index.read(k)
        if len(parts) == 3 and parts[0] == "act" and parts[2] == "meta" and KEY.fullmatch(parts[1]):
            kind, key, what = "activations", parts[1], "activations"
        elif len(parts) == 3 and parts[0] == "res" and KIND.fullmatch(parts[1]) and KEY.fullmatch(parts[2]):
            kind, key, what = parts[1], parts[2], parts[1]
        else:
            report.problem("entry", k[:60], "unknown entry in the index", lambda k=k: store.index.delete(k))
            continue
        indexed.add(k)
        _check_entry(store, report, k, kind, key, what, value, damage)
    for k, path in S.scan(root):
        if k in indexed:
            continue
        kind, key = ("activations", k.split("/")[1]) if k.startswith("act/") else tuple(k.split("/")[1:])
        try:
            value = S.read(root, k)
            problem = _value_problem(k, value)
        except S.SidecarError as exc:
            problem = str(exc)
        if problem:
            report.problem("sidecar", f"{kind} {key}", f"{problem}, and the index has no row for it",
                           lambda k=k: S.remove(root, k))
        else:
            report.problem(kind, key, "in a sidecar file but not in the index",
                           lambda k=k, v=value: store.index.set(k, v), "restored from its sidecar")
    _check_folders(store, report)
    for path in store.leftovers():  # not damage: left over, never read; --repair (and clear) removes them
        what = "old pickle-format cache, ignored" if path.name == "diskcache" else "damaged index moved aside, ignored"
        report.note("leftover", path.name, f"{what} ({F.folder_bytes(path) / 2**20:.1f} MB)",
                    lambda p=path: F.remove_tree(p), "deleted")
    for path in store.conversion_leftovers():
        size = F.folder_bytes(path) if path.is_dir() else path.stat().st_size
        report.note("leftover", f"models/{path.name}", f"left by an interrupted model conversion "
                    f"({size / 2**20:.1f} MB)",
                    lambda p=path: F.remove_tree(p) if p.is_dir() else p.unlink(missing_ok=True), "deleted")
    return report.found


def _check_entry(store: Store, report: _Report, k: str, kind: str, key: str, what: str, value, damage) -> None:
    root = store.directory
    try:
        side, side_problem = S.read(root, k), None
    except S.SidecarError as exc:
        side, side_problem = None, str(exc)
    side_ok = side is not None and _value_problem(k, side) is None
    if kind == "activations":
        problem = damage or _activation_problem(store, key, value)
    else:
        problem = damage or _result_problem(kind, value)
    if problem:
        healable = side_ok and (damage is not None or _value_problem(k, value) is not None) and \
            (kind != "activations" or _activation_problem(store, key, side) is None)
        if healable:  # the row is what is broken, and its second copy is whole
            report.problem(what, key, f"{problem} (its sidecar copy is intact)",
                           lambda: store.index.set(k, side), "restored from its sidecar")
        elif kind == "activations":
            report.problem(what, key, problem, lambda: store.delete_activations(key))
        else:
            report.problem(what, key, problem, lambda: store.delete_result(kind, key))
        return
    if side_problem == "no sidecar file":
        report.note(what, key, "no sidecar copy (made by an older version); `cache verify --repair` writes it",
                    lambda: S.write(root, k, value), "sidecar written")
    elif side is None or not side_ok or S.digest(side) != S.digest(S.normalise(value)):
        why = side_problem or ("it differs from the index" if side_ok else "its value is damaged")
        report.problem("sidecar", f"{what} {key}", why, lambda: S.write(root, k, value), "rewritten from the index")


def _check_folders(store: Store, report: _Report) -> None:
    finished = {k.split("/")[1] for k in store.index.keys("act/") if k.endswith("/meta")}
    for folder in store.array_folders():
        chunks = folder / "chunks"
        for idx, vec in F.chunk_files(chunks):
            problem = F.chunk_problem(idx, vec)
            if problem:
                report.problem("partial", folder.name, f"chunk {idx.name[:-8]}: {problem}",
                               lambda i=idx, v=vec: F.remove_chunk(i, v))
        if folder.name not in finished and not chunks.is_dir() and not (folder / S.ACTIVATION_FILE).is_file():
            report.problem("activations", folder.name, "layer files without an entry (orphaned)",
                           lambda f=folder: F.remove_tree(f))
    for path in store.not_owned():
        where = path.relative_to(store.directory)
        report.note("entry", str(where)[:80], "not made by this cache (no mark of its own); left alone")
