"""Pure metric functions of arrays (no fitting, no state).

The three scores the reference reports per layer: accuracy, binary F1 and ROC-AUC
computed from ``predict_proba`` of class 1, exactly as scikit-learn computes them.
"""

from __future__ import annotations

import numpy as np
from sklearn.metrics import accuracy_score, f1_score, roc_auc_score


def binary_scores(y_true: np.ndarray, y_pred: np.ndarray, proba: np.ndarray) -> dict[str, float]:
    """Accuracy, binary F1 and ROC-AUC of one evaluation.

    Parameters
    ----------
    y_true : [n] int labels 0/1.
    y_pred : [n] predicted labels.
    proba : [n] predicted probability of class 1.

    Returns
    -------
    dict with ``accuracy``, ``f1``, ``auc`` (AUC is NaN when ``y_true`` holds one class only).
    """
    y_true = np.asarray(y_true)
    acc = float(accuracy_score(y_true, y_pred))
    f1 = float(f1_score(y_true, y_pred, average="binary", zero_division=0.0))
    # roc_auc_score raises on a single-class evaluation set; NaN says "undefined" honestly.
    auc = float(roc_auc_score(y_true, proba)) if len(np.unique(y_true)) == 2 else float("nan")
    return {"accuracy": acc, "f1": f1, "auc": auc}


def majority_rate(y: np.ndarray) -> float:
    """Share of the most frequent class in ``y`` [n]: the accuracy of always guessing it."""
    y = np.asarray(y)
    if y.size == 0:
        return float("nan")
    _, counts = np.unique(y, return_counts=True)
    return float(counts.max() / y.size)


def mean_std(values: list[float]) -> tuple[float, float | None]:
    """Mean and sample standard deviation (ddof=1) of per-fold scores; std None for one value."""
    arr = np.asarray(values, dtype=float)
    if arr.size == 0:
        return float("nan"), None
    std = float(np.std(arr, ddof=1)) if arr.size > 1 else None
    return float(np.mean(arr)), std
