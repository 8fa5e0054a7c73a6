"""What a Ray task runs: every run of one (model, bit width) group, one message per finished run.

Plain Python (no Ray import): the driver wraps :func:`run_group` with ``ray.remote``, which
makes it a streaming generator task, so each run's message reaches the driver as soon as the
run is done. The model is loaded once per task (on the first run that needs it).

The worker computes into its own store: the driver's cache folder when it can see it (a local
runtime, or ``--cache-dir`` on shared storage; then results are written there directly, by the
same ``Store.memoize`` path as a serial run), else ``$CONCEPT_DEPTH_CACHE`` or
``~/.cache/concept-depth`` on the worker's node. Either way the result JSON (and with
``with_vectors`` the layer vectors, unless the driver's store is the worker's) travels back in
the message and the driver writes it into the user's store.

A worker killed mid-task is retried by Ray from the start of the group; runs it finished
before dying are cache hits in its store (or computed again when the node died with it), and
Ray drops the messages the driver already has.
"""

from __future__ import annotations

import os
import socket
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator

import numpy as np
import psutil

from ...analyses.probe import RUN_KIND, run_probe
from ...core.errors import Cancelled, ConceptDepthError
from ...models.loader import OneModelLoader
from ...storage.store import Store
from ...storage.sweep_records import SWEEP_KIND
from ..sweeps import SweepItem

#: Cache folder of a worker that cannot see the driver's: ``$CONCEPT_DEPTH_CACHE``, else this one.
WORKER_CACHE = "~/.cache/concept-depth"


@dataclass(frozen=True)
class GroupTask:
    """Everything a task needs (pickled by Ray): the group's runs and how to run them."""

    sweep_id: str
    items: tuple[tuple[int, SweepItem], ...]
    cache_dir: str | None = None  # None: the worker's own ($CONCEPT_DEPTH_CACHE or WORKER_CACHE)
    device: str | None = None
    batch_size: int = 16
    n_jobs: int | None = None
    with_vectors: bool = False
    model_loader: Callable | None = None  # ModelSpec -> LoadedModel; default: load once per task
    threads: int | None = None  # torch's CPU threads; None: as a serial run on this node (same numbers)


@dataclass(frozen=True)
class LayerVectors:
    """The layer vectors of one run, as stored: ``arrays`` [N, D] float32 per entry of ``layers``."""

    key: str
    layers: tuple[int, ...]
    arrays: tuple[np.ndarray, ...]
    sha256: dict[str, str]
    meta: dict[str, Any]


@dataclass(frozen=True)
class RunMessage:
    """One finished run: ``result`` (the stored result JSON) or ``exit_code`` + ``error`` (one line)."""

    index: int
    result: dict[str, Any] | None = None
    exit_code: int = 0
    error: str | None = None
    computed: bool = False
    vectors: LayerVectors | None = None
    worker: str = field(default_factory=lambda: f"{socket.gethostname()}:{os.getpid()}")


def worker_cache_dir(cache_dir: str | None) -> Path:
    """The worker's store folder: ``cache_dir``, else ``$CONCEPT_DEPTH_CACHE``, else :data:`WORKER_CACHE`."""
    return Path(cache_dir or os.environ.get("CONCEPT_DEPTH_CACHE") or WORKER_CACHE).expanduser().resolve()


#: Meta fields the store computes itself when the vectors are written again.
_DERIVED_META = ("layers", "n_samples", "hidden_size", "sha256", "created", "complete", "size_bytes")


def read_vectors(store, activation_key: str) -> LayerVectors | None:
    """The stored layer vectors ``activation_key`` (None when they are not in ``store``)."""
    meta = store.activation_meta(activation_key)
    if meta is None:
        return None
    layers = tuple(int(l) for l in meta["layers"])
    arrays = tuple(np.asarray(store.read_layer(activation_key, l)) for l in layers)
    return LayerVectors(activation_key, layers, arrays, dict(meta["sha256"]),
                        {k: v for k, v in meta.items() if k not in _DERIVED_META})


def serial_threads() -> int:
    """The CPU threads torch uses by default here, as in a serial run: the physical cores.

    Ray sets ``OMP_NUM_THREADS`` to a task's CPUs, which torch would follow; another thread count
    sums in another order, so the layer vectors would match a serial run's only to float rounding,
    and a probe at its iteration limit can turn that into another accuracy.
    """

    return int(psutil.cpu_count(logical=False) or os.cpu_count() or 1)


def use_threads(n: int | None) -> None:
    """``n`` CPU threads for torch in this worker (None: :func:`serial_threads`); a reused worker
    may have run another task before."""
    n = int(n or serial_threads())
    if "torch" in sys.modules:
        sys.modules["torch"].set_num_threads(n)
    else:
        os.environ["OMP_NUM_THREADS"] = str(n)  # read by torch when it is imported


def _error_line(exc: BaseException) -> str:
    if isinstance(exc, ConceptDepthError):
        return str(exc)
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0] if text else ''}".rstrip(": ")


def run_group(task: GroupTask) -> Iterator[RunMessage]:
    """Run every item of ``task`` (cached runs come back at once); failures are messages, not raised."""

    use_threads(task.threads)
    store = Store(worker_cache_dir(task.cache_dir))
    # The driver's sweep record is visible here: this is the driver's store, the results are already there.
    shared = store.get_result(SWEEP_KIND, task.sweep_id) is not None
    loader = task.model_loader or OneModelLoader(task.device, store.directory)
    try:
        yield from _run_items(task, store, loader, shared)
    finally:
        del loader  # Ray reuses the worker process: the group's model goes with the group
        torch = sys.modules.get("torch")
        if torch is not None and torch.cuda.is_initialized():
            torch.cuda.empty_cache()


def _run_items(task: GroupTask, store, loader, shared: bool) -> Iterator[RunMessage]:

    for index, item in task.items:
        try:
            result = run_probe(item.spec, store=store, model_loader=loader, batch_size=task.batch_size,
                               device=task.device, n_jobs=task.n_jobs, origin="sweep")
            stored = store.get_result(RUN_KIND, result.key) or result.to_dict()
            vectors = None
            if task.with_vectors and not shared and result.extra.get("activation_key"):
                vectors = read_vectors(store, result.extra["activation_key"])
        except (Cancelled, KeyboardInterrupt):
            raise
        except Exception as exc:  # noqa: BLE001 - one run's failure is reported; the group goes on
            yield RunMessage(index, exit_code=getattr(exc, "exit_code", 1), error=_error_line(exc))
            continue
        yield RunMessage(index, stored, computed=not result.timing.get("cached"), vectors=vectors)
