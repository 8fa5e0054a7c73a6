"""``cache verify [--repair]``: check every entry of a store, report each problem in one line.

Checked: every index value decodes; activation metadata has its fields and every layer
file is whole and matches its sha256 (read in blocks); stored runs and imports are valid
results; partial extractions' chunks are whole; no array folder lacks its entry; no folder
of the old pickle format or damaged index moved aside is left. ``repair`` deletes what is
damaged (it is computed again when next needed); nothing intact is touched.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..core.errors import BadInputError
from ..results.run import RunResult, validate_result_document
from . import layer_files as F
from .store import _KEY, _KIND, Store


@dataclass(frozen=True)
class Finding:
    """One problem: ``what`` (activations, partial, a result kind, leftover, entry), its key, and whether it was fixed."""

    what: str
    key: str
    problem: str
    repaired: bool = False

    def line(self) -> str:
        return f"{self.what} {self.key}: {self.problem}" + (" -> deleted" if self.repaired else "")


def _raw(store: Store, k: str):
    return store.index.run(lambda c: c.get(k))


def _activation_problem(store: Store, key: str, meta) -> str | None:
    if not isinstance(meta, dict):
        return "metadata is not a JSON object"
    try:
        layers, shape, sums = meta["layers"], (meta["n_samples"], meta["hidden_size"]), meta["sha256"]
        if not (all(isinstance(l, int) for l in layers) and isinstance(sums, dict)):
            return "metadata fields have the wrong types"
    except (KeyError, TypeError):
        return "metadata lacks layers, n_samples, hidden_size or sha256"
    if not meta.get("complete"):
        return "metadata is not marked complete"
    for layer in layers:
        path = store.layer_path(key, layer)
        if not path.exists():
            return f"layer {layer} file is missing"
        if F.npy_shape(path) != tuple(shape):
            return f"layer {layer} file is truncated or has the wrong shape"
        if F.file_sha(path) != sums.get(str(layer)):
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


def verify_cache(store: Store, repair: bool = False) -> list[Finding]:
    """Every problem found in ``store`` (deleted when ``repair``)."""
    found: list[Finding] = []

    def report(what: str, key: str, problem: str, fix) -> None:
        if repair:
            fix()
        found.append(Finding(what, key, problem, repaired=repair))

    finished = set()
    for k in store.index.keys():
        parts = k.split("/")
        damage = store.index.check(k)
        if len(parts) == 3 and parts[0] == "act" and parts[2] == "meta" and _KEY.fullmatch(parts[1]):
            key = parts[1]
            finished.add(key)  # its folder is not an orphan, whatever its state
            problem = damage or _activation_problem(store, key, _raw(store, k))
            if problem:
                report("activations", key, problem, lambda key=key: store.delete_activations(key))
        elif len(parts) == 3 and parts[0] == "res" and _KIND.fullmatch(parts[1]) and _KEY.fullmatch(parts[2]):
            kind, key = parts[1], parts[2]
            problem = damage or _result_problem(kind, _raw(store, k))
            if problem:
                report(kind, key, problem, lambda kind=kind, key=key: store.delete_result(kind, key))
        else:
            report("entry", k[:60], "unknown entry in the index", lambda k=k: store.index.delete(k))
    if store.arrays_dir.is_dir():
        for folder in sorted(store.arrays_dir.iterdir()):
            chunks = folder / "chunks"
            if not _KEY.fullmatch(folder.name):
                report("entry", folder.name[:60], "unexpected folder", lambda f=folder: F.remove_tree(f))
                continue
            for idx, vec in F.chunk_files(chunks):
                problem = F.chunk_problem(idx, vec)
                if problem:
                    report("partial", folder.name, f"chunk {idx.name[:-8]}: {problem}",
                           lambda i=idx, v=vec: F.remove_chunk(i, v))
            if folder.name not in finished and not chunks.is_dir():
                report("activations", folder.name, "layer files without an entry (orphaned)",
                       lambda f=folder: F.remove_tree(f))
    for path in store.leftovers():
        what = ("old pickle-format cache, ignored" if path.name in ("diskcache",)
                else "damaged index moved aside, ignored")
        report("leftover", Path(path).name, f"{what} ({F.folder_bytes(path) / 2**20:.1f} MB)",
               lambda p=path: F.remove_tree(p))
    return found
