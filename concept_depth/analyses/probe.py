"""The paper's analysis: extract every layer, probe each one, measure concept depth (kind ``run``).

Declared once as :data:`PROBE` (see :mod:`.protocol`). The result is cached under the *run key*: a
hash of the activations key, the probe settings, the depth settings and ``SCHEMA_VERSION`` (and the
dataset's name). A cached rerun loads neither the model nor any layer vector. The command line's
``run``, ``cd.run`` and the Probe page all go through it.

Also here: the stored runs (listing, loading, importing, deleting) and a run's per-sample
predictions and outcomes, refitted from its cached layer vectors.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, replace
from typing import Any, Callable

import numpy as np

from ..core.choices import GROUPED_PROBES, HOOK_DESCRIPTIONS, MIN_PER_CLASS, PROBE_NAMES, SCHEMA_VERSION
from ..core.errors import BadInputError, UnavailableError
from ..core.specs import DepthSpec, ProbeSpec, RunSpec, stable_hash
from ..datasets import SampleSet
from ..extraction import Activations
from ..probing import probe_layers, warning_notes
from ..probing.protocols import LayerEval, evaluate_layer
from ..results.imports import IMPORT_KIND, store_import
from ..results.run import RUN_KIND, DepthMetrics, LayerScore, RunResult
from ..stats.depth import below_chance, depth_metrics, relative_depths
from ..stats.fidelity import fidelity_against_float32, fidelity_rows
from ..stats.outcomes import EvalOutcomes, layer_warnings, outcomes_from_evals, run_outcomes
from ..storage.store import CorruptEntryError, Store
from .protocol import Analysis, Session, run_analysis


def run_key(activation_key: str, probe: ProbeSpec, depth: DepthSpec, dataset_name: str | None = None) -> str:
    """Cache key of a run: activations + probe settings + depth settings + schema version, and the
    dataset's name (two uploaded files with the same content are still two runs, each with its name)."""
    key = {"activations": activation_key, "probe": probe.to_dict(), "depth": depth.to_dict(), "schema": SCHEMA_VERSION}
    if dataset_name is not None:
        key["dataset_name"] = dataset_name
    return stable_hash(key)


def _key(spec: RunSpec, session: Session) -> str:
    samples = session.samples(spec.extraction.dataset)
    check_enough(spec, samples)
    return run_key(session.activation_key(spec.extraction, samples), spec.probe, spec.depth, samples.name)


def check_enough(spec: RunSpec, samples: SampleSet) -> None:
    """One BadInputError line, before any model loads, when the samples cannot be probed as asked: too few
    questions of a multiple-choice set, or the reading-vector probe on samples without groups."""
    questions = samples.questions
    need = max(MIN_PER_CLASS, spec.probe.folds if spec.probe.protocol == "cv" else 0)
    if questions is not None and len(questions.texts) < need:
        raise BadInputError(f"{samples.name} has {len(questions.texts)} questions here; a probe run needs at least "
                            f"{need} (raise --limit)")
    if spec.probe.probe in GROUPED_PROBES and samples.groups is None:
        raise BadInputError(f"the {PROBE_NAMES[spec.probe.probe]} probe reads differences within groups: use a "
                            "multiple-choice dataset or --group-col")


def flat_spec(spec: RunSpec, samples: SampleSet, acts: Activations) -> dict[str, Any]:
    """The flat ``spec`` block of the result JSON (its fields are those of ``concept-depth/result@1``)."""
    ex, ds, model = spec.extraction, spec.extraction.dataset, spec.extraction.model
    act_spec = getattr(acts, "spec", None) or {}
    return {
        "model": model.source,
        "model_label": getattr(acts, "model_label", None) or model.source,
        # The weights' identity: the asked revision, else the fingerprint extraction resolved.
        "model_revision": model.revision or act_spec.get("model_fingerprint") or act_spec.get("model_revision"),
        "dataset": getattr(samples, "name", None) or ds.name, "category": getattr(samples, "category", None),
        "quant": model.quant, "noise": ds.noise.kind, "noise_strength": ds.noise.strength,
        "noise_seed": ds.noise.seed, "hook": ex.hook, "pooling": ex.pooling, "limit": ds.limit,
        "max_tokens": ex.max_tokens, "protocol": spec.probe.protocol, "probe": spec.probe.probe,
        "folds": spec.probe.folds if spec.probe.protocol == "cv" else None, "seed": spec.probe.seed,
        "prompt": getattr(samples, "template", None) or ds.prompt, "variant": ds.variant,
        "chat_template": bool(ex.chat_template), **({"group_col": ds.group_col} if ds.group_col else {}),
    }


def _layer_reader(store: Store, acts: Activations) -> Callable[[int], np.ndarray]:
    def read(layer: int) -> np.ndarray:
        try:
            return store.read_layer(acts.key, layer)
        except KeyError:  # activations not in this store (e.g. a custom extractor): use the object
            return np.asarray(acts.layer(layer), dtype=np.float32)
    return read


def _compute(spec: RunSpec, session: Session, key: str) -> RunResult:
    samples = session.samples(spec.extraction.dataset)
    return score_activations(spec, session, samples, session.extract(spec.extraction, samples), key)


def score_activations(spec: RunSpec, session: Session, samples: SampleSet, acts: Activations, key: str) -> RunResult:
    """The run of ``spec`` from layer vectors at hand: a probe per layer, depth metrics, the result."""
    labels = np.asarray(acts.labels)
    t0 = time.perf_counter()
    try:
        # predictions kept: the result stores which evaluation samples each layer got right (paired tests)
        evals = probe_layers(_layer_reader(session.store, acts), list(acts.layers), labels, spec.probe,
                             n_jobs=session.n_jobs, progress=session.progress, keep_predictions=True,
                             groups=samples.groups, multiple_choice=samples.questions is not None)
    except CorruptEntryError as exc:
        raise UnavailableError(f"{exc}; delete it on the Runs page (or `cache delete`) and run again") from exc
    probe_s = time.perf_counter() - t0
    scores = tuple(LayerScore(layer=ev.layer, **ev.scores) for ev in evals)
    metrics = depth_metrics([s.layer for s in scores], [s.accuracy for s in scores], chance=evals[0].chance,
                            n_eval=evals[0].n_eval, n_layers=acts.n_layers,  # the same evaluation samples everywhere
                            control=[s.control_accuracy for s in scores] if spec.probe.control else None,
                            spec=spec.depth, unit_chance=evals[0].eval_chances)
    timing = dict(getattr(acts, "timing", {}) or {})
    timing = {"load_s": float(timing.get("load_s", 0.0) or 0.0), "extract_s": float(timing.get("extract_s", 0.0) or 0.0),
              "probe_s": round(probe_s, 3), "prompts_per_s": timing.get("prompts_per_s"),
              "activations_cached": bool(getattr(acts, "cached", False)), "cached": False}
    return RunResult(spec=flat_spec(spec, samples, acts), n_samples=int(len(labels)), n_layers=int(acts.n_layers),
                     hidden_size=int(acts.hidden_size), layers=scores, depth=metrics, timing=timing, key=key,
                     extra=_extra(spec, session, samples, acts, evals, metrics))


def _extra(spec: RunSpec, session: Session, samples: SampleSet, acts: Activations, evals: list[LayerEval],
           metrics: DepthMetrics) -> dict[str, Any]:
    """Everything of the result JSON besides the scores: keys, settings, notes, per-sample outcomes
    and per-layer warnings (paired comparisons), fidelity to float32."""
    labels = np.asarray(acts.labels)
    totals, notes = warning_notes(evals, spec.probe)
    counts = np.bincount(labels.astype(np.int64), minlength=2)
    extra: dict[str, Any] = {
        "activation_key": acts.key, "probe_spec": spec.probe.to_dict(), "depth_spec": spec.depth.to_dict(),
        "relative_depth": relative_depths(metrics), "n_eval": evals[0].n_eval,
        "class_counts": [int(counts[0]), int(counts[1])], **grouping(samples),
        "layer_kind": HOOK_DESCRIPTIONS.get(spec.extraction.hook, spec.extraction.hook),
        "notes": list(getattr(samples, "notes", ()) or ()) + notes, "warnings": totals,
        "created_ts": time.time(), "run_spec": spec.to_dict(),
    }
    outcomes = outcomes_from_evals(evals, labels)
    if outcomes is not None:
        extra["outcomes"] = outcomes.to_dict()
    extra["layer_warnings"] = layer_warnings(evals)
    fidelity = fidelity_against_float32(session.store, spec.extraction, samples, acts.key)
    if fidelity is not None:
        extra["fidelity"] = fidelity
    return extra


def grouping(samples: SampleSet) -> dict[str, Any]:
    """What a result keeps of the samples' groups: their sizes (run-length, so a refit and the Layers page
    can rebuild ``groups``), and for multiple choice the unit (questions), their option counts and chance."""
    if samples.groups is None:
        return {}
    sizes = np.bincount(np.asarray(samples.groups, dtype=np.int64)).tolist()
    out: dict[str, Any] = {"groups": {"sizes": sizes}}
    if samples.questions is not None:
        k = np.asarray(samples.questions.n_options)
        out["multiple_choice"] = {"n_questions": int(len(k)), "options": {str(v): int(n) for v, n in
                                                                        zip(*np.unique(k, return_counts=True))},
                                  "chance": float(np.mean(1.0 / k)), "unit": "question"}
    return out


def groups_of(run: RunResult) -> np.ndarray | None:
    """[N] group id of each sample of a run (from its stored group sizes), or None."""
    sizes = ((run.extra.get("groups") or {}).get("sizes")) if isinstance(run.extra.get("groups"), dict) else None
    if not sizes:
        return None
    return np.repeat(np.arange(len(sizes), dtype=np.int64), np.asarray(sizes, dtype=np.int64))


# ---- the text the command prints ---------------------------------------------------------------
def _fmt(x, digits: int = 3) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "-"
    return f"{x:.{digits}f}"


def _layer_rows(result: RunResult) -> list[str]:
    """The per-layer table; a low-bit run with a fidelity table gets its cos32 / maxSD / meanSD columns."""
    cv = any(s.accuracy_std is not None for s in result.layers)
    fid = fidelity_rows(result.extra.get("fidelity"))
    head = f"{'layer':>5} {'acc':>6}" + (f" {'±std':>6}" if cv else "") + \
        f" {'f1':>6} {'auc':>6} {'control':>7} {'select':>7}" + (f" {'cos32':>8} {'maxSD':>6} {'meanSD':>6}" if fid else "")
    lines = [head]
    d = result.depth
    for s in result.layers:
        tag = "".join(m for layer, m in [(d.jumping_point, "J"), (d.converging_point, "C"), (d.peak_layer, "P")]
                      if layer == s.layer)
        cols = [f"{s.layer:>5}", f"{_fmt(s.accuracy):>6}"] + ([f"{_fmt(s.accuracy_std):>6}"] if cv else [])
        cols += [f"{_fmt(s.f1):>6}", f"{_fmt(s.auc):>6}", f"{_fmt(s.control_accuracy):>7}", f"{_fmt(s.selectivity):>7}"]
        if fid:
            row = fid.get(s.layer) or {}
            cols += [f"{_fmt(row.get('cosine_mean'), 5):>8}", f"{_fmt(row.get('max_sd'), 2):>6}",
                     f"{_fmt(row.get('mean_sd'), 3):>6}"]
        lines.append(" ".join(cols + [tag]).rstrip())
    return lines


def report(result: RunResult) -> str:
    """Per-layer table and depth metrics as plain text (``J``, ``C``, ``P`` mark the depth layers)."""
    d = result.depth
    rel = result.extra.get("relative_depth") or {}

    def point(name: str) -> str:
        layer = getattr(d, name)
        if layer is None:
            return "not acquired"
        r = rel.get(name)
        return f"layer {layer}" + (f" ({r:.2f} of depth)" if r is not None else "")

    p = "-" if d.p_value is None else ("< 1e-300" if d.p_value == 0 else f"{d.p_value:.2g}")
    t = result.timing
    mc = result.extra.get("multiple_choice") if isinstance(result.extra.get("multiple_choice"), dict) else None
    counts = (f"{mc['n_questions']} questions ({result.n_samples} option prompts; "
              f"{', '.join(f'{n} with {k} options' for k, n in mc['options'].items())}), "
              f"{result.extra.get('n_eval', '?')} questions evaluated" if mc else
              f"{result.n_samples} samples ({result.extra.get('n_eval', '?')} evaluated)")
    lines = _layer_rows(result) + [
        "",
        f"{result.label}: {counts}, {result.n_layers} layers, hidden {result.hidden_size}, "
        f"protocol {result.spec.get('protocol')}, probe {result.spec.get('probe')}",
        *(["accuracy per question: the probe's top-scored option is the answer; auc per option; f1 undefined"]
          if mc else []),
        f"chance ({'1/k per question' if mc else 'majority rate'})  {d.chance:.3f}    "
        f"peak accuracy {d.peak_accuracy:.3f}   p = {p}"
        + ("" if d.acquired else "   -> concept NOT acquired"),
        f"jumping point (J)       {point('jumping_point')}",
        f"converging point (C)    {point('converging_point')}",
        f"peak layer (P)          {point('peak_layer')}",
        *_below_chance_lines(result),
        f"timing: load {t.get('load_s', 0):.1f}s, extract {t.get('extract_s', 0):.1f}s, "
        f"probe {t.get('probe_s', 0):.1f}s" + (" (cached result)" if t.get("cached") else ""),
    ]
    if result.extra.get("fidelity"):
        lines.append("fidelity to float32 (same prompts): cos32 = mean cosine; maxSD / meanSD = largest / mean "
                     "|low - float32| in SDs of each dimension over the float32 samples")
    return "\n".join(lines + [f"note: {note}" for note in result.notes])


def _below_chance_lines(result: RunResult) -> list[str]:
    """``BELOW CHANCE: ...`` when the probe is reliably wrong (issue 22 item 18), else nothing."""
    d, ds = result.depth, ((result.extra.get("run_spec") or {}).get("extraction") or {}).get("dataset") or {}
    low = below_chance(result.layer_numbers, result.metric("accuracy"), chance=d.chance,
                       n_eval=int(result.extra.get("n_eval") or 0), alpha=float(d.definition.get("alpha", 0.05)))
    return [f"BELOW CHANCE: {low.message(grouped=bool(ds.get('group_col') or ds.get('choices_col')))}"] if low else []


PROBE: Analysis[RunSpec, RunResult] = Analysis(
    kind=RUN_KIND, command="run", spec=RunSpec, result=RunResult, key=_key, compute=_compute, report=report,
    options=RunSpec.OPTIONS, help="probe every layer and report concept depth",
    description="Extract (or reuse cached) layer vectors, train one probe per layer, and report jumping, "
                "converging and peak layers.",
    figure="the layer curves", also_listed=(IMPORT_KIND,), origin="probe")


def run_probe(spec: RunSpec, *, origin: str | None = None, samples: SampleSet | None = None,
              **run_options: Any) -> RunResult:
    """Extract (or reuse) the layer vectors of ``spec``, probe each layer, compute depth metrics.

    ``run_options``: the fields of :class:`~concept_depth.analyses.protocol.Session` (``store``,
    ``model_loader``, ``batch_size``, ``device``, ``progress``, ``n_jobs``, ``data_dir``). ``origin``:
    who asks (``probe``, ``expression``, ``sweep``), kept with the result; ``samples``: a ready SampleSet for
    the spec's dataset. A cached run is returned before anything else is touched (``timing["cached"]`` True).
    """
    session = Session(**run_options)
    if samples is not None:
        session.use_samples(spec.extraction.dataset, samples)
    return run_analysis(PROBE, spec, session=session, origin=origin)


# ---- stored runs -------------------------------------------------------------------------------
def list_runs(store: Store) -> list[RunResult]:
    """Every stored run, computed and imported, newest first (malformed entries are skipped)."""
    return PROBE.list(store)


def load_run(store: Store, key: str) -> RunResult:
    """The stored run ``key``; BadInputError if there is none."""
    run = PROBE.load(store, key)
    if run is None:
        raise BadInputError(f"no stored run with key {key!r}")
    return run


def save_run(store: Store, result: RunResult) -> RunResult:
    """Store a run imported from elsewhere (kind ``import``, never a cache hit); returns it with its key.

    BadInputError on a clash with a computed run or another import (see ``concept_depth.results.imports``).
    """
    return store_import(store, result)[0]


def delete_run(store: Store, key: str) -> None:
    """Remove a stored run (its activations stay cached)."""
    store.delete_result(RUN_KIND, key)
    store.delete_result(IMPORT_KIND, key)


# ---- per-sample predictions and outcomes ---------------------------------------------------------
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


def _refit(store: Store, run: RunResult, layer: int) -> tuple[LayerEval, np.ndarray]:
    """The run's probe refitted on one layer from its cached vectors (deterministic), and the labels."""
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
                        keep_predictions=True, groups=groups_of(run),
                        multiple_choice=isinstance(run.extra.get("multiple_choice"), dict))
    return ev, labels


def layer_predictions(store: Store, run: RunResult, layer: int) -> LayerPredictions:
    """Refit the run's probe on one layer (deterministic) and return per-sample predictions (multiple choice:
    ``pred`` is 1 for the option the probe picked, ``correct`` marks the options of questions it got right)."""
    ev, labels = _refit(store, run, layer)
    if ev.multiple_choice:
        right = np.zeros(len(labels), dtype=bool)
        groups = groups_of(run)
        for q, ok in zip(ev.unit_ids, ev.unit_correct):
            right[groups == q] = bool(ok)
        correct = ev.is_eval & right
    else:
        correct = ev.is_eval & (ev.pred == labels)
    return LayerPredictions(layer=int(layer), proba=ev.proba, pred=ev.pred, is_eval=ev.is_eval,
                            correct=correct, labels=labels)


def refit_outcomes(store: Store, run: RunResult, progress: Callable[[int, int], Any] | None = None) -> EvalOutcomes:
    """Recompute a run's outcomes by refitting its probe on each layer from the cached layer vectors
    (deterministic: same split, same folds, same fit). UnavailableError when the vectors are gone."""
    evals, labels = [], None
    layers = list(run.layer_numbers)
    for i, layer in enumerate(layers):
        ev, labels = _refit(store, run, layer)
        evals.append(ev)
        if progress is not None:
            progress(i + 1, len(layers))
    return outcomes_from_evals(evals, labels)


def outcomes_or_refit(store: Store | None, run: RunResult, progress=None) -> EvalOutcomes | None:
    """Stored outcomes, else refitted ones when the run's vectors are cached, else None."""
    got = run_outcomes(run)
    if got is not None or store is None:
        return got
    try:
        return refit_outcomes(store, run, progress)
    except (UnavailableError, BadInputError):
        return None


def attach_outcomes(store: Store, run: RunResult, progress: Callable[[int, int], Any] | None = None) -> RunResult:
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


__all__ = ["PROBE", "RUN_KIND", "run_key", "run_probe", "report", "flat_spec", "list_runs", "load_run", "save_run",
           "delete_run", "LayerPredictions", "layer_predictions", "refit_outcomes", "outcomes_or_refit",
           "attach_outcomes"]
