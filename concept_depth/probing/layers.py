"""Probe every layer, in parallel where it pays, with progress and one warning note.

Layers are independent, so they go to joblib workers; vectors are read one layer at
a time (``get_layer``) and handed to a worker lazily, so memory holds only the
layers in flight, never the whole [N, L, D] tensor.
"""

from __future__ import annotations

import os
from typing import Callable, Iterable

import numpy as np
from joblib import Parallel, delayed

from ..core.progress import ProgressCallback, ProgressTracker
from ..core.specs import ProbeSpec
from .protocols import LayerEval, evaluate_layer

#: Below this many feature values per layer a worker process costs more than it saves.
PARALLEL_MIN_VALUES = 200_000


def default_n_jobs() -> int:
    """Workers for layer probing: ``$CONCEPT_DEPTH_JOBS`` if set, else min(2, CPU count)."""
    env = os.environ.get("CONCEPT_DEPTH_JOBS")
    if env:
        try:
            return max(1, int(env))
        except ValueError:
            pass
    return max(1, min(2, os.cpu_count() or 1))


def probe_layers(get_layer: Callable[[int], np.ndarray], layers: Iterable[int], y: np.ndarray,
                 spec: ProbeSpec, *, n_jobs: int | None = None, progress: ProgressCallback | None = None,
                 keep_predictions: bool = False, groups: np.ndarray | None = None,
                 multiple_choice: bool = False) -> list[LayerEval]:
    """Evaluate the probe on each layer, in layer order.

    Parameters
    ----------
    get_layer : layer number -> [N, D] vectors of that layer.
    layers : layer numbers to probe.
    y : [N] labels 0/1 (multiple choice: 1 = the correct option).
    spec : probe settings.
    n_jobs : worker processes (None: :func:`default_n_jobs`; 1: in this process).
    progress : callback receiving ``ProgressEvent(stage="probe", unit="layers")``; False cancels.
    keep_predictions : keep per-sample probabilities and predictions in each LayerEval.
    groups : [N] int group ids (question ids of multiple-choice options, or pair ids of binary
        samples); every protocol then keeps each group on one side. None: today's per-sample split.
    multiple_choice : the samples are options of the questions in ``groups``; accuracy, chance,
        control and the evaluation units are per question (see :func:`evaluate_layer`).
    """
    layers = list(layers)
    tracker = ProgressTracker(progress, "probe", len(layers), unit="layers")
    tracker.update(0)
    n_jobs = default_n_jobs() if n_jobs is None else max(1, int(n_jobs))
    out: list[LayerEval] = []
    if not layers:
        return out
    first = get_layer(layers[0])
    if n_jobs == 1 or len(layers) < 3 or first.size < PARALLEL_MIN_VALUES:
        for i, layer in enumerate(layers):
            X = first if i == 0 else get_layer(layer)
            out.append(evaluate_layer(X, y, spec, layer, keep_predictions, groups=groups,
                                      multiple_choice=multiple_choice))
            tracker.update(i + 1)
        return out


    def tasks():
        for i, layer in enumerate(layers):
            X = first if i == 0 else get_layer(layer)
            yield delayed(evaluate_layer)(X, y, spec, layer, keep_predictions, groups=groups,
                                          multiple_choice=multiple_choice)

    # Generator output keeps order and lets progress advance as layers finish.
    parallel = Parallel(n_jobs=n_jobs, return_as="generator", pre_dispatch="n_jobs")
    for i, result in enumerate(parallel(tasks())):
        out.append(result)
        tracker.update(i + 1)
    return out


def warning_notes(evals: list[LayerEval], spec: ProbeSpec) -> tuple[dict[str, int], list[str]]:
    """Sum the warnings caught on all layers; one human note per warning kind.

    Returns (category name -> total count, notes). The paper protocol keeps
    scikit-learn's defaults on unscaled features, so lbfgs often stops at
    max_iter=100: that is reproduced, and reported here once instead of per fit.
    """
    totals: dict[str, int] = {}
    layers_with: dict[str, int] = {}
    first_msg: dict[str, str] = {}
    for ev in evals:
        for name, count in ev.warnings.items():
            totals[name] = totals.get(name, 0) + count
            layers_with[name] = layers_with.get(name, 0) + 1
            first_msg.setdefault(name, ev.messages.get(name, ""))
    notes = []
    for name in sorted(totals):
        where = f"{layers_with[name]} of {len(evals)} layers, {totals[name]} fits"
        if name == "ConvergenceWarning":
            hint = (" (lbfgs stopped at max_iter=100 on unscaled features, exactly as in the reference; "
                    "scores are still those of the reference protocol; --protocol cv standardises features)"
                    if spec.protocol == "paper" else
                    " (lbfgs stopped at max_iter=100 on standardised features: usually a nearly separable layer)")
            notes.append(f"scikit-learn ConvergenceWarning on {where}{hint}.")
        else:
            notes.append(f"{name} on {where}: {first_msg[name]}")
    return totals, notes
