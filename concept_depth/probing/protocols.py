"""Scoring one layer under a protocol: ``paper`` (one 60/40 split) or ``cv`` (k-fold).

``evaluate_layer`` is the unit of work that is run once per layer (possibly in a
worker process), so it returns plain arrays and counts, including the warnings it
caught: worker warnings would otherwise be lost or flood the terminal.
"""

from __future__ import annotations

import time
import warnings
from dataclasses import dataclass, field

import numpy as np
from sklearn.model_selection import StratifiedKFold, train_test_split
from threadpoolctl import threadpool_limits

from ..core.errors import BadInputError
from ..core.specs import ProbeSpec
from .estimators import LayerProbe
from .metrics import binary_scores, majority_rate, mean_std


@dataclass(frozen=True)
class LayerEval:
    """Scores and predictions of one layer.

    Attributes
    ----------
    layer : layer number.
    scores : accuracy, f1, auc, their ``*_std`` (None under ``paper``), control_accuracy,
        control_accuracy_std (None when no control was run).
    chance : majority-class rate of the evaluation samples.
    n_eval : number of evaluation samples (test split, or all N out-of-fold under ``cv``).
    proba : [N] probability of class 1 (NaN where not evaluated), or None if not kept.
    pred : [N] predicted label (-1 where not evaluated), or None.
    is_eval : [N] bool, True for evaluation samples, or None.
    warnings : warning category name -> number caught while fitting.
    messages : warning category name -> first message text.
    seconds : wall time of this layer.
    """

    layer: int
    scores: dict
    chance: float
    n_eval: int
    proba: np.ndarray | None = None
    pred: np.ndarray | None = None
    is_eval: np.ndarray | None = None
    warnings: dict = field(default_factory=dict)
    messages: dict = field(default_factory=dict)
    seconds: float = 0.0


def control_labels(y: np.ndarray, seed: int) -> np.ndarray:
    """[N] labels shuffled with ``numpy.random.default_rng(seed)``: the control task."""
    return np.random.default_rng(seed).permutation(np.asarray(y))


def check_labels(y: np.ndarray, spec: ProbeSpec) -> None:
    """Raise BadInputError when ``y`` [N] cannot be probed under ``spec``."""
    y = np.asarray(y)
    classes, counts = np.unique(y, return_counts=True)
    if len(classes) != 2:
        raise BadInputError(f"probing needs two classes, found {len(classes)} (labels {classes.tolist()})")
    if spec.protocol == "cv" and counts.min() < spec.folds:
        raise BadInputError(f"{spec.folds}-fold cross-validation needs at least {spec.folds} samples per class, "
                            f"found {int(counts.min())}; lower --folds or raise --limit")
    if spec.protocol == "paper" and len(y) < 5:
        raise BadInputError(f"the 60/40 split needs at least 5 samples, found {len(y)}")


def _fit_score(X_tr, y_tr, X_te, y_te, spec: ProbeSpec, scale: bool):
    probe = LayerProbe(kind=spec.probe, scale=scale, random_state=spec.seed).fit(X_tr, y_tr)
    pred = probe.predict(X_te)
    proba = probe.predict_proba(X_te)[:, 1]
    return binary_scores(y_te, pred, proba), pred, proba


def _paper(X, y, spec: ProbeSpec, keep: bool):
    n = len(y)
    idx = np.arange(n)
    # Same call as the reference; idx rides along without changing the permutation.
    X_tr, X_te, y_tr, y_te, i_tr, i_te = train_test_split(X, y, idx, test_size=spec.test_size,
                                                       random_state=spec.seed)
    if len(np.unique(y_tr)) < 2:
        raise BadInputError("the training split holds one class only; use more samples")
    scores, pred, proba = _fit_score(X_tr, y_tr, X_te, y_te, spec, scale=False)
    out = {**scores, "accuracy_std": None, "f1_std": None, "auc_std": None,
           "control_accuracy": None, "control_accuracy_std": None}
    if spec.control:
        yc = control_labels(y, spec.seed)
        yc_tr, yc_te = yc[i_tr], yc[i_te]  # same split, shuffled labels
        if len(np.unique(yc_tr)) == 2:
            c_scores, _, _ = _fit_score(X_tr, yc_tr, X_te, yc_te, spec, scale=False)
            out["control_accuracy"] = c_scores["accuracy"]
    arrays = None
    if keep:
        full_proba = np.full(n, np.nan)
        full_pred = np.full(n, -1, dtype=np.int64)
        full_proba[i_te], full_pred[i_te] = proba, pred
        is_eval = np.zeros(n, dtype=bool)
        is_eval[i_te] = True
        arrays = (full_proba, full_pred, is_eval)
    return out, majority_rate(y_te), len(y_te), arrays


def _cv(X, y, spec: ProbeSpec, keep: bool):
    n = len(y)
    skf = StratifiedKFold(n_splits=spec.folds, shuffle=True, random_state=spec.seed)
    per = {"accuracy": [], "f1": [], "auc": []}
    oof_proba = np.full(n, np.nan)
    oof_pred = np.full(n, -1, dtype=np.int64)
    for tr, te in skf.split(X, y):
        scores, pred, proba = _fit_score(X[tr], y[tr], X[te], y[te], spec, scale=True)
        for k in per:
            per[k].append(scores[k])
        oof_proba[te], oof_pred[te] = proba, pred
    out = {}
    for k, values in per.items():
        out[k], out[f"{k}_std"] = mean_std(values)
    out["control_accuracy"] = out["control_accuracy_std"] = None
    if spec.control:
        yc = control_labels(y, spec.seed)
        accs = [_fit_score(X[tr], yc[tr], X[te], yc[te], spec, scale=True)[0]["accuracy"]
                for tr, te in skf.split(X, yc)]
        out["control_accuracy"], out["control_accuracy_std"] = mean_std(accs)
    arrays = (oof_proba, oof_pred, np.ones(n, dtype=bool)) if keep else None
    return out, majority_rate(y), n, arrays


def evaluate_layer(X: np.ndarray, y: np.ndarray, spec: ProbeSpec, layer: int = 0,
                   keep_predictions: bool = False) -> LayerEval:
    """Score the probe of ``spec`` on one layer.

    Parameters
    ----------
    X : [N, D] layer vectors (float32 as stored; not copied or rescaled under ``paper``).
    y : [N] labels 0/1.
    spec : protocol, probe, folds, seed, test size, control on/off.
    layer : layer number, carried into the result.
    keep_predictions : also return per-sample probabilities and predictions.
    """
    y = np.asarray(y)
    check_labels(y, spec)
    t0 = time.perf_counter()
    # One BLAS/OpenMP thread per fit: parallelism comes from probing layers side by side, and
    # multi-threaded lbfgs on small problems spins (measured 15x slower on a busy 2-core box).
    with warnings.catch_warnings(record=True) as caught, threadpool_limits(limits=1):
        # "always": count every occurrence (the default filter would show each once per place).
        warnings.simplefilter("always")
        run = _paper if spec.protocol == "paper" else _cv
        scores, chance, n_eval, arrays = run(X, y, spec, keep_predictions)
    counts: dict[str, int] = {}
    messages: dict[str, str] = {}
    for w in caught:
        name = w.category.__name__
        counts[name] = counts.get(name, 0) + 1
        messages.setdefault(name, str(w.message).strip().splitlines()[0])
    proba, pred, is_eval = arrays if arrays else (None, None, None)
    return LayerEval(layer=int(layer), scores=scores, chance=chance, n_eval=int(n_eval), proba=proba,
                     pred=pred, is_eval=is_eval, warnings=counts, messages=messages,
                     seconds=time.perf_counter() - t0)
