"""The mass-mean probe: the difference of the two class means as the direction (geometry-of-truth).

Marks & Tegmark ("The Geometry of Truth", 2023) read a concept along ``mu_1 - mu_0``, the
difference between the mean vectors of the two classes, instead of a direction found by
optimisation. It needs no iterations (so no convergence warnings on unscaled features), is
deterministic, and the direction it finds is the one their causal interventions use.

Their probe thresholds at zero after centring all activations; here the threshold is fitted
on the training samples only: the cut along the direction with the highest training accuracy
(ties: the one closest to the midpoint of the two projected class means).
"""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils.multiclass import check_classification_targets, type_of_target
from sklearn.utils.validation import check_is_fitted, validate_data

#: Accepted feature dtypes: float32 stays float32 (as stored), anything else becomes float64.
FLOAT_DTYPES = (np.float64, np.float32)


def best_threshold(scores: np.ndarray, positive: np.ndarray, midpoint: float) -> float:
    """The cut ``t`` on ``scores`` [n] maximising the accuracy of ``scores > t`` against ``positive`` [n] bool.

    Candidates are the midpoints between consecutive distinct sorted scores and one cut
    below / above all of them; ties go to the candidate closest to ``midpoint``.
    """
    order = np.argsort(scores, kind="stable")
    s, pos = scores[order], positive[order]
    distinct = np.flatnonzero(np.diff(s) > 0)  # a cut may fall after index i only where s[i] < s[i+1]
    cuts = np.concatenate([[s[0] - 1.0], (s[distinct] + s[distinct + 1]) / 2, [s[-1] + 1.0]])
    below = np.concatenate([[0], distinct + 1, [len(s)]])  # samples at or under each cut
    neg_cum = np.concatenate([[0], np.cumsum(~pos)])
    pos_cum = np.concatenate([[0], np.cumsum(pos)])
    correct = neg_cum[below] + (pos_cum[-1] - pos_cum[below])
    best = np.flatnonzero(correct == correct.max())
    return float(cuts[best[np.argmin(np.abs(cuts[best] - midpoint))]])


def binary_only_tags(tags):
    """scikit-learn tags of a two-class probe (``multi_class`` False): the estimator checks then test it
    on two-class data and expect a clear error on more classes."""
    tags.classifier_tags.multi_class = False
    return tags


def two_classes(y: np.ndarray, name: str) -> np.ndarray:
    """``classes_`` [2] of ``y``; ValueError (scikit-learn's contract) unless it holds exactly two classes."""
    check_classification_targets(y)
    classes = np.unique(y)
    if len(classes) == 1:
        raise ValueError(f"the {name} probe needs two classes, got one class")
    if type_of_target(y, input_name="y") != "binary":
        raise ValueError(f"Only binary classification is supported (the {name} probe); "
                         f"the target holds {len(classes)} classes")
    return classes


class MassMeanProbe(ClassifierMixin, BaseEstimator):
    """Binary classifier along the difference of class means.

    Score of a vector x: ``(x . direction_ - threshold_) / scale_``; class ``classes_[1]``
    when it is positive, probability ``sigmoid(score)`` (monotone in the score, so ROC-AUC is
    that of the projection; the scale only makes the probabilities readable).

    Attributes
    ----------
    classes_ : [2] the labels seen in ``fit``.
    means_ : [2, D] the class means (float64).
    direction_ : [D] ``means_[1] - means_[0]``.
    threshold_ : the cut along ``direction_`` with the best training accuracy.
    scale_ : standard deviation of the training projections (1 when they are all equal).
    coef_ : [1, D] ``direction_ / scale_``; ``intercept_`` [1] ``-threshold_ / scale_`` (the
        linear-model form, so code reading ``coef_`` treats both linear probes alike).
    n_features_in_ : D.
    """

    def __sklearn_tags__(self):
        return binary_only_tags(super().__sklearn_tags__())

    def fit(self, X: np.ndarray, y: np.ndarray) -> "MassMeanProbe":
        """Fit on X [n, D] and y [n] (two classes); returns self."""
        X, y = validate_data(self, X, y, dtype=FLOAT_DTYPES)
        classes = two_classes(y, "mass-mean")
        self.classes_ = classes
        positive = y == classes[1]
        X64 = np.asarray(X, dtype=np.float64)
        self.means_ = np.stack([X64[~positive].mean(axis=0), X64[positive].mean(axis=0)])
        self.direction_ = self.means_[1] - self.means_[0]
        scores = X64 @ self.direction_
        midpoint = float(self.means_.mean(axis=0) @ self.direction_)
        self.threshold_ = best_threshold(scores, positive, midpoint)
        spread = float(np.std(scores))
        self.scale_ = spread if spread > 0 else 1.0
        self.coef_ = (self.direction_ / self.scale_)[None, :]
        self.intercept_ = np.array([-self.threshold_ / self.scale_])
        return self

    def decision_function(self, X: np.ndarray) -> np.ndarray:
        """[n] signed, scaled distance past the threshold (positive = class ``classes_[1]``)."""
        check_is_fitted(self, "direction_")
        X = validate_data(self, X, dtype=FLOAT_DTYPES, reset=False)
        return (np.asarray(X, dtype=np.float64) @ self.direction_ - self.threshold_) / self.scale_

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        """[n, 2] class probabilities, ``sigmoid`` of the decision function."""
        p1 = 1.0 / (1.0 + np.exp(-np.clip(self.decision_function(X), -500, 500)))
        return np.stack([1.0 - p1, p1], axis=1)

    def predict(self, X: np.ndarray) -> np.ndarray:
        """[n] predicted labels."""
        positive = self.decision_function(X) > 0  # checks the fit before classes_ is read
        return self.classes_[positive.astype(int)]
