"""One fit of a layer probe on a training part and its outputs on an evaluation part (every protocol's unit)."""

from __future__ import annotations

import numpy as np

from ..core.specs import ProbeSpec
from .estimators import LayerProbe
from .metrics import binary_scores


def control_labels(y: np.ndarray, seed: int) -> np.ndarray:
    """[N] labels shuffled with ``numpy.random.default_rng(seed)``: the control task (binary samples,
    grouped or not; multiple choice shuffles per question, :func:`~.choice.question_control_labels`)."""
    return np.random.default_rng(seed).permutation(np.asarray(y))


def fit_probe(X_tr: np.ndarray, y_tr: np.ndarray, spec: ProbeSpec, scale: bool,
              groups_tr: np.ndarray | None = None) -> LayerProbe:
    """A :class:`LayerProbe` of ``spec.probe`` fitted on X_tr [n, D], y_tr [n] (groups_tr [n] reach
    the reading vector, which pairs rows inside groups)."""
    return LayerProbe(kind=spec.probe, scale=scale, random_state=spec.seed).fit(X_tr, y_tr, groups=groups_tr)


def fit_score(X_tr, y_tr, X_te, y_te, spec: ProbeSpec, scale: bool, groups_tr: np.ndarray | None = None):
    """Binary scores (accuracy, F1, ROC-AUC), predictions [m] and P(class 1) [m] on the evaluation part."""
    probe = fit_probe(X_tr, y_tr, spec, scale, groups_tr)
    pred = probe.predict(X_te)
    proba = probe.predict_proba(X_te)[:, 1]
    return binary_scores(y_te, pred, proba), pred, proba


def ranking_scores(probe: LayerProbe, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(score [m], P(class 1) [m]): the value options are ranked by (the decision value where the family
    has one, so probabilities that saturate at 1.0 on unscaled features cannot tie; the random forest's
    P(class 1) otherwise) and the probability itself."""
    proba = probe.predict_proba(X)[:, 1]
    score = probe.decision_function(X) if hasattr(probe, "decision_function") else proba
    return np.asarray(score, dtype=np.float64), proba
