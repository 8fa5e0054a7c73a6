"""The per-layer probe as a scikit-learn estimator.

:class:`LayerProbe` follows the estimator contract: the constructor only stores
parameters, ``fit`` validates and builds ``estimator_``, learned state ends in ``_``
and ``fit`` returns ``self``. It is a thin, explicit wrapper so that the paper
protocol is *exactly* scikit-learn's defaults and nothing else.
"""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import check_is_fitted, validate_data

from ..core.errors import BadInputError
from ..core.specs import PROBE_NAMES
from .mass_mean import MassMeanProbe, binary_only_tags
from .reading import ReadingVectorProbe

#: Probe families that are two-class only (the others are scikit-learn's multi-class classifiers).
BINARY_ONLY = ("mass-mean", "reading")


def make_classifier(kind: str, random_state: int = 42):
    """A fresh, unfitted classifier of the reference.

    ``lr``: ``LogisticRegression()`` with scikit-learn defaults (L2, C=1, lbfgs,
    max_iter=100); the reference writes ``penalty="l2"``, which is the default and is
    deprecated as an argument since scikit-learn 1.8, so it is not passed.
    ``rf``: ``RandomForestClassifier(random_state=42)`` as in the reference
    (Luckfort/CD ``main.py``), other settings default.
    ``mass-mean``: :class:`~concept_depth.probing.mass_mean.MassMeanProbe`, the difference of
    the class means with a threshold fitted on the training samples (geometry-of-truth).
    ``reading``: :class:`~concept_depth.probing.reading.ReadingVectorProbe`, RepE's LAT reading
    vector (first principal component of within-group differences), seeded by ``random_state``.
    """
    if kind == "lr":
        return LogisticRegression()
    if kind == "rf":
        return RandomForestClassifier(random_state=random_state)
    if kind == "mass-mean":
        return MassMeanProbe()
    if kind == "reading":
        return ReadingVectorProbe(random_state=random_state)

    raise BadInputError(f"unknown probe {kind!r}; choose one of {', '.join(PROBE_NAMES)}")


def _has_decision_function(probe: "LayerProbe") -> bool:
    # every family but the random forest has a signed score (ranking options needs no probability)
    return probe.kind != "rf"


class LayerProbe(ClassifierMixin, BaseEstimator):
    """Binary probe on one layer's vectors.

    Parameters
    ----------
    kind : ``"lr"`` (logistic regression), ``"rf"`` (random forest), ``"mass-mean"`` or ``"reading"``.
    scale : standardise features (fitted on the training data only) before the classifier.
    random_state : seed of the random forest and of the reading vector's random pairing (logistic
        regression with lbfgs is deterministic).

    Attributes
    ----------
    estimator_ : the fitted classifier or ``Pipeline(StandardScaler, classifier)``.
    classes_ : [2] the class labels seen in ``fit``.
    n_features_in_ : D, the number of features seen in ``fit``.
    """

    def __init__(self, kind: str = "lr", scale: bool = False, random_state: int = 42) -> None:
        self.kind = kind
        self.scale = scale
        self.random_state = random_state

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        return binary_only_tags(tags) if self.kind in BINARY_ONLY else tags

    def fit(self, X: np.ndarray, y: np.ndarray, groups: np.ndarray | None = None) -> "LayerProbe":
        """Fit on X [n, D] and y [n]; returns self.

        groups : [n] group ids (question ids), read by the ``reading`` family only (its pairs are
            taken inside groups); the other families fit on rows and ignore them.
        """
        # dtype=None keeps float32 features as float32, like a direct scikit-learn call.
        X, y = validate_data(self, X, y, dtype=None)
        clf = make_classifier(self.kind, self.random_state)
        self.estimator_ = Pipeline([("scale", StandardScaler()), ("clf", clf)]) if self.scale else clf
        params = {}
        if self.kind == "reading" and groups is not None:
            params = {"clf__groups": groups} if self.scale else {"groups": groups}
        self.estimator_.fit(X, y, **params)
        self.classes_ = self.estimator_.classes_
        return self

    def _checked(self, X: np.ndarray) -> np.ndarray:
        check_is_fitted(self, "estimator_")
        return validate_data(self, X, dtype=None, reset=False)

    def predict(self, X: np.ndarray) -> np.ndarray:
        """[n] predicted labels."""
        X = self._checked(X)  # before estimator_ is read: NotFittedError, not AttributeError
        return self.estimator_.predict(X)

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        """[n, 2] class probabilities."""
        X = self._checked(X)  # before estimator_ is read: NotFittedError, not AttributeError
        return self.estimator_.predict_proba(X)

    @available_if(_has_decision_function)
    def decision_function(self, X: np.ndarray) -> np.ndarray:
        """[n] signed score (positive = class ``classes_[1]``), monotone in ``predict_proba[:, 1]``: the
        value options of one question are ranked by. Not for the random forest."""
        X = self._checked(X)  # before estimator_ is read: NotFittedError, not AttributeError
        return self.estimator_.decision_function(X)

    def direction(self) -> np.ndarray:
        """[D] float64 weight vector of a linear probe in the input feature space (class 1 on the
        positive side): ``coef_`` of logistic regression, ``mu_1 - mu_0`` of the mass-mean probe, the
        unit reading vector of the reading probe, mapped back through the scaler when features were standardised.

        Raises BadInputError for a random forest, which has no direction.
        """
        check_is_fitted(self, "estimator_")
        scaled = isinstance(self.estimator_, Pipeline)
        clf = self.estimator_[-1] if scaled else self.estimator_
        if isinstance(clf, (MassMeanProbe, ReadingVectorProbe)):
            w = clf.direction_
        elif getattr(clf, "coef_", None) is not None:
            w = np.asarray(clf.coef_, dtype=np.float64)[0]
        else:

            raise BadInputError(f"a {PROBE_NAMES.get(self.kind, self.kind)} probe has no direction; "
                                "use --probe lr or mass-mean")
        if scaled:
            w = w / self.estimator_[0].scale_
        return np.asarray(w, dtype=np.float64)
