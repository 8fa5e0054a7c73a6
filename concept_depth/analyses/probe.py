"""From a :class:`RunSpec` to a cached :class:`RunResult`: extract, probe every layer, measure depth.

``run_probe`` is the one call the CLI, the app and notebooks use. Its result is
cached in the store (result kind ``run``) under the *run key*: a hash of the
activations key, the probe settings, the depth settings and ``SCHEMA_VERSION``. A
cached rerun loads neither the model nor any layer vectors.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from typing import Any, Callable

import numpy as np

from ..core.errors import BadInputError, UnavailableError
from ..core.progress import ProgressCallback
from ..core.specs import HOOK_DESCRIPTIONS, SCHEMA_VERSION, DepthSpec, ProbeSpec, RunSpec, stable_hash
from ..datasets import load_samples
from ..extraction import extract_activations
from ..extraction.keys import activation_key_for
from ..probing import probe_layers, warning_notes
from ..probing.protocols import evaluate_layer
from ..results.imports import IMPORT_KIND, store_import
from ..results.run import LayerScore, RunResult
from ..stats.depth import depth_metrics, relative_depths
from ..stats.fidelity import fidelity_against_float32
from ..stats.outcomes import layer_warnings, outcomes_from_evals, outcomes_from_predictions, run_outcomes
from ..storage.store import CorruptEntryError, Store

RUN_KIND = "run"

def run_key(activation_key: str, probe: ProbeSpec, depth: DepthSpec, dataset_name: str | None = None) -> str:
    """Cache key of a run: activations + probe settings + depth settings + schema version, and the
    dataset's name (two uploaded files with the same content are still two runs, each with its name)."""
    key = {"activations": activation_key, "probe": probe.to_dict(), "depth": depth.to_dict(), "schema": SCHEMA_VERSION}
    if dataset_name is not None:
        key["dataset_name"] = dataset_name
    return stable_hash(key)


def _now() -> tuple[str, float]:
    ts = time.time()
    return datetime.fromtimestamp(ts, timezone.utc).isoformat(timespec="seconds"), ts


def _flat_spec(spec: RunSpec, samples, acts) -> dict[str, Any]:
    """The flat ``spec`` block of the result JSON (keys listed in the contracts)."""
    ex, ds, model = spec.extraction, spec.extraction.dataset, spec.extraction.model
    act_spec = getattr(acts, "spec", None) or {}
    return {
        "model": model.source,
        "model_label": getattr(acts, "model_label", None) or model.source,
        # The weights' identity: the asked revision, else the fingerprint extraction resolved.
        "model_revision": model.revision or act_spec.get("model_fingerprint") or act_spec.get("model_revision"),
        "dataset": getattr(samples, "name", None) or ds.name,
        "category": getattr(samples, "category", None),
        "quant": model.quant,
        "noise": ds.noise.kind,
        "noise_strength": ds.noise.strength,
        "noise_seed": ds.noise.seed,
        "hook": ex.hook,
        "pooling": ex.pooling,
        "limit": ds.limit,
        "max_tokens": ex.max_tokens,
        "protocol": spec.probe.protocol,
        "probe": spec.probe.probe,
        "folds": spec.probe.folds if spec.probe.protocol == "cv" else None,
        "seed": spec.probe.seed,
        "prompt": getattr(samples, "template", None) or ds.prompt,
        "variant": ds.variant,
        "chat_template": bool(ex.chat_template),
    }


def _stored_run(store: Store, key: str) -> RunResult | None:
    """The computed run ``key`` (None if absent); a stored entry that no longer reads as a run is
    damaged: CorruptEntryError, so ``memoize`` computes it again."""
    data = store.get_result(RUN_KIND, key)
    if data is None:
        return None
    try:
        return RunResult.from_dict(data)
    except BadInputError as exc:
        raise CorruptEntryError(str(exc)) from None


def _layer_reader(store: Store, acts) -> Callable[[int], np.ndarray]:
    def read(layer: int) -> np.ndarray:
        try:
            return store.read_layer(acts.key, layer)
        except KeyError:  # activations not in this store (e.g. a custom extractor): use the object
            return np.asarray(acts.layer(layer), dtype=np.float32)
    return read


def run_probe(spec: RunSpec, *, store: Store | None = None, model_loader=None, batch_size: int = 16,
              device: str | None = None, progress: ProgressCallback | None = None, n_jobs: int | None = None,
              samples=None, data_dir=None, origin: str = "probe") -> RunResult:
    """Extract (or reuse) the layer vectors of ``spec``, probe each layer, compute depth metrics.

    A cached run result is returned before anything else is touched: no model, no layer
    vector is read or checksummed.

    Parameters
    ----------
    spec : extraction + probe + depth settings.
    store : cache (default: ``Store()`` at ``$CONCEPT_DEPTH_CACHE`` or ``./cache``).
    model_loader : ModelSpec -> LoadedModel, passed to extraction (tests pass tiny models).
    batch_size, device : extraction run options (do not change the numbers).
    progress : callback for stages ``load``, ``extract``, ``probe``; returning False cancels.
    n_jobs : worker processes for layer probing (None: min(2, CPUs)).
    samples : a ready SampleSet (otherwise loaded from ``spec.extraction.dataset``).
    data_dir : dataset directory passed to ``load_samples`` (default ``$CONCEPT_DEPTH_DATA_DIR``).
    origin : what asked for it (``probe``, ``expression``, ``sweep``), kept in ``extra["origin"]``
        so pages can tell a user's runs from the ones an analysis made on the way.

    Returns
    -------
    RunResult with ``key`` = run key, ``extra["activation_key"]``, ``timing["cached"]`` True
    when nothing was computed.
    """

    store = store or Store()
    if samples is None:
        samples = load_samples(spec.extraction.dataset, data_dir=data_dir, cache_dir=store.directory)
    key = run_key(activation_key_for(spec.extraction, samples, store.directory), spec.probe, spec.depth,
                  samples.name)

    def compute() -> RunResult:

        acts = extract_activations(spec.extraction, store=store, samples=samples, model_loader=model_loader,
                                   batch_size=batch_size, device=device, progress=progress)
        return _compute(spec, store, samples, acts, key, progress, n_jobs, origin)

    result, hit = store.memoize(RUN_KIND, key, compute, read=lambda: _stored_run(store, key),
                                write=lambda r: store.put_result(RUN_KIND, key, r.to_dict()))
    if hit and origin == "probe" and result.extra.get("origin", "probe") != "probe":
        # the user asked for it now: it is theirs, no longer a by-product of an analysis
        result = replace(result, extra=dict(result.extra, origin="probe"))
        store.put_result(RUN_KIND, key, result.to_dict())
    if hit:
        result = replace(result, timing=dict(result.timing, cached=True))
    return result


def _compute(spec: RunSpec, store: Store, samples, acts, key: str, progress, n_jobs, origin: str) -> RunResult:
    # scikit-learn and scipy load here, not at import: a cached rerun needs neither

    labels = np.asarray(acts.labels)
    layers = list(acts.layers)
    t0 = time.perf_counter()
    try:
        # predictions kept: the result stores which evaluation samples each layer got right (paired tests)
        evals = probe_layers(_layer_reader(store, acts), layers, labels, spec.probe, n_jobs=n_jobs,
                             progress=progress, keep_predictions=True)
    except CorruptEntryError as exc:
        raise UnavailableError(f"{exc}; delete it on the Cache page (or `cache` command) and run again") from exc
    probe_s = time.perf_counter() - t0
    scores = tuple(LayerScore(layer=ev.layer, **ev.scores) for ev in evals)
    chance, n_eval = evals[0].chance, evals[0].n_eval  # same evaluation samples on every layer
    metrics = depth_metrics([s.layer for s in scores], [s.accuracy for s in scores], chance=chance,
                            n_eval=n_eval, n_layers=acts.n_layers,
                            control=[s.control_accuracy for s in scores] if spec.probe.control else None,
                            spec=spec.depth)
    totals, notes = warning_notes(evals, spec.probe)
    notes = list(getattr(samples, "notes", ()) or ()) + notes
    timing = dict(getattr(acts, "timing", {}) or {})
    timing = {"load_s": float(timing.get("load_s", 0.0) or 0.0),
              "extract_s": float(timing.get("extract_s", 0.0) or 0.0),
              "probe_s": round(probe_s, 3),
              "prompts_per_s": timing.get("prompts_per_s"),
              "activations_cached": bool(getattr(acts, "cached", False)),
              "cached": False}
    created, ts = _now()
    counts = np.bincount(labels.astype(np.int64), minlength=2)
    extra = {
        "activation_key": acts.key,
        "probe_spec": spec.probe.to_dict(),
        "depth_spec": spec.depth.to_dict(),
        "relative_depth": relative_depths(metrics),
        "n_eval": n_eval,
        "class_counts": [int(counts[0]), int(counts[1])],
        "layer_kind": HOOK_DESCRIPTIONS.get(spec.extraction.hook, spec.extraction.hook),
        "notes": notes,
        "warnings": totals,
        "created_ts": ts,
        "origin": origin,
        "run_spec": spec.to_dict(),
    }
    # issue 15: per-sample outcomes and per-layer warnings (paired comparisons), fidelity to float32
    outcomes = outcomes_from_evals(evals, labels)
    if outcomes is not None:
        extra["outcomes"] = outcomes.to_dict()
    extra["layer_warnings"] = layer_warnings(evals)
    fidelity = fidelity_against_float32(store, spec.extraction, samples, acts.key)
    if fidelity is not None:
        extra["fidelity"] = fidelity
    return RunResult(spec=_flat_spec(spec, samples, acts), n_samples=int(len(labels)), n_layers=int(acts.n_layers),
                     hidden_size=int(acts.hidden_size), layers=scores, depth=metrics, timing=timing, key=key,
                     created=created, extra=extra)


# ---- stored runs -------------------------------------------------------
def list_runs(store: Store) -> list[RunResult]:
    """Every stored run, newest first (malformed entries are skipped)."""

    out = []
    for data in store.list_results(RUN_KIND) + store.list_results(IMPORT_KIND):  # computed, then imported
        try:
            out.append(RunResult.from_dict(data))
        except BadInputError:
            continue
    return sorted(out, key=lambda r: float(r.extra.get("created_ts") or 0.0), reverse=True)


def load_run(store: Store, key: str) -> RunResult:
    """The stored run ``key``; BadInputError if there is none."""

    data = store.get_result(RUN_KIND, key) or store.get_result(IMPORT_KIND, key)
    if not data:
        raise BadInputError(f"no stored run with key {key!r}")
    return RunResult.from_dict(data)


def save_run(store: Store, result: RunResult) -> RunResult:
    """Store a run imported from elsewhere (kind ``import``, never a cache hit); returns it with its key.

    BadInputError on a clash with a computed run or another import (see ``concept_depth.imports``).
    """

    return store_import(store, result)[0]


def delete_run(store: Store, key: str) -> None:
    """Remove a stored run (its activations stay cached)."""

    store.delete_result(RUN_KIND, key)
    store.delete_result(IMPORT_KIND, key)


# ---- per-sample predictions ---------------------------------------------
@dataclass(frozen=True)
class LayerPredictions:
    """Per-sample probe output on one layer of a run.

    proba : [N] probability of class 1 (NaN for training samples under ``paper``).
    pred : [N] predicted label (-1 for training samples under ``paper``).
    is_eval : [N] True where the sample was held out (paper) / out-of-fold (cv: all).
    correct : [N] pred == label on evaluation samples, False elsewhere.
    labels : [N] true labels.
    """

    layer: int
    proba: np.ndarray
    pred: np.ndarray
    is_eval: np.ndarray
    correct: np.ndarray
    labels: np.ndarray


def layer_predictions(store: Store, run: RunResult, layer: int) -> LayerPredictions:
    """Refit the run's probe on one layer (deterministic) and return per-sample predictions."""
    act_key = run.extra.get("activation_key")
    meta = store.activation_meta(act_key) if act_key else None
    if meta is None:
        raise UnavailableError("the layer vectors of this run are not in the cache; run it again to recompute them")
    if layer not in [int(l) for l in meta["layers"]]:
        raise BadInputError(f"layer {layer} is not in this run (layers {meta['layers'][0]}..{meta['layers'][-1]})")
    probe = ProbeSpec.from_dict(run.extra.get("probe_spec") or {"protocol": run.spec.get("protocol", "paper"),
                                                                  "probe": run.spec.get("probe", "lr")})
    labels = np.asarray(meta["labels"], dtype=np.int64)

    ev = evaluate_layer(store.read_layer(act_key, layer), labels, replace(probe, control=False), layer,
                        keep_predictions=True)
    correct = ev.is_eval & (ev.pred == labels)
    return LayerPredictions(layer=int(layer), proba=ev.proba, pred=ev.pred, is_eval=ev.is_eval,
                            correct=correct, labels=labels)


# ---- per-sample outcomes of runs made before they were stored ----------------------------
def refit_outcomes(store: Any, run: Any, progress: Callable[[int, int], Any] | None = None) -> EvalOutcomes:
    """Recompute a run's outcomes by refitting its probe on each layer from the cached layer vectors
    (deterministic: same split, same folds, same fit). UnavailableError when the vectors are gone."""

    per_layer, labels = [], None
    layers = list(run.layer_numbers)
    for i, layer in enumerate(layers):
        p = layer_predictions(store, run, layer)
        per_layer.append((layer, p.pred, p.is_eval))
        labels = p.labels
        if progress is not None:
            progress(i + 1, len(layers))
    return outcomes_from_predictions(labels, per_layer)


def outcomes_or_refit(store: Any, run: Any, progress=None) -> EvalOutcomes | None:
    """Stored outcomes, else refitted ones when the run's vectors are cached, else None."""
    got = run_outcomes(run)
    if got is not None or store is None:
        return got
    try:
        return refit_outcomes(store, run, progress)
    except (UnavailableError, BadInputError):
        return None


def attach_outcomes(store: Any, run: Any, progress: Callable[[int, int], Any] | None = None) -> Any:
    """``run`` with its outcomes: as stored, else refitted from the cached vectors and written back into
    the stored run (computed runs only; an import stays as it was imported). UnavailableError when the
    vectors are not cached."""

    if run_outcomes(run) is not None:
        return run
    out = refit_outcomes(store, run, progress)
    updated = replace(run, extra=dict(run.extra, outcomes=out.to_dict()))

    if store.get_result(RUN_KIND, run.key) is not None:
        store.put_result(RUN_KIND, run.key, updated.to_dict())
    return updated
