"""The driver's side of results: which runs its store already has, and writing arriving runs into it.

A run arriving from a worker lands under the same locks as a local computation
(``run-<key>``, ``activations-<key>``, the names ``Store.memoize`` uses): layer vectors first
(layer files, then their meta), the result JSON last, so nothing half-written is ever read as
a result. The result is the worker's stored JSON as it is, so its numbers are those of a serial
run with the same key.
"""

from __future__ import annotations

from dataclasses import replace

from ...analyses.probe import RUN_KIND, run_key
from ...core.errors import BadInputError, ConceptDepthError, UnavailableError
from ...datasets import load_samples
from ...extraction.keys import activation_key_for
from ...results.run import RunResult
from ..sweeps import SweepItem
from .worker import RunMessage

ACTIVATIONS_KIND = "activations"


def planned_key(item: SweepItem, store) -> str | None:
    """The run key ``item`` will have (as ``run_probe`` computes it), or None when the driver cannot tell
    (its dataset or model identity is not available here; the worker then decides)."""

    spec = item.spec
    try:
        samples = load_samples(spec.extraction.dataset, cache_dir=store.directory)
        return run_key(activation_key_for(spec.extraction, samples, store.directory), spec.probe, spec.depth,
                       samples.name)
    except ConceptDepthError:
        return None


def cached_run(store, key: str | None) -> RunResult | None:
    """The computed run ``key`` in ``store`` (``timing["cached"]`` True), or None."""

    data = store.get_result(RUN_KIND, key) if key else None
    if data is None:
        return None
    try:
        result = RunResult.from_dict(data)
    except BadInputError:
        return None  # damaged: computed again
    return replace(result, timing=dict(result.timing, cached=True))


def land(store, message: RunMessage, expected_key: str | None) -> RunResult:
    """Write the run of ``message`` into ``store`` (vectors first, result last); returns it.

    Raises UnavailableError when the worker's run key is not the one the driver expects
    (the worker's dataset files or code differ from the driver's: its numbers are not this run's).
    """

    result = RunResult.from_dict(message.result)
    if expected_key is not None and result.key != expected_key:
        raise UnavailableError(f"the worker computed run {result.key[:12]}, the driver expects {expected_key[:12]}: "
                                   "its dataset files or code differ from this machine's; not stored")
    vectors = message.vectors
    if vectors is not None and store.activation_meta(vectors.key) is None:
        with store.lock(f"{ACTIVATIONS_KIND}-{vectors.key}"):
            if store.activation_meta(vectors.key) is None:
                store.put_layers(vectors.key, list(vectors.layers), vectors.arrays, vectors.meta,
                                 sha256=vectors.sha256)
    with store.lock(f"{RUN_KIND}-{result.key}"):
        if store.get_result(RUN_KIND, result.key) is None:  # present: the same run (same key), keep it
            store.put_result(RUN_KIND, result.key, message.result)
    return replace(result, timing=dict(result.timing, cached=not message.computed))
