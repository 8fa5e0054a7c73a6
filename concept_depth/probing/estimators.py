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
from sklearn.utils.validation import check_is_fitted, check_X_y

from ..core.errors import BadInputError
from ..core.specs import PROBE_NAMES
from .mass_mean import MassMeanProbe


def make_classifier(kind: str, random_state: int = 42):
    """A fresh, unfitted classifier of the reference.

    ``lr``: ``LogisticRegression()`` with scikit-learn defaults (L2, C=1, lbfgs,
    max_iter=100); the reference writes ``penalty="l2"``, which is the default and is
    deprecated as an argument since scikit-learn 1.8, so it is not passed.
    ``rf``: ``RandomForestClassifier(random_state=42)`` as in the reference
    (Luckfort/CD ``main.py``), other settings default.
    ``mass-mean``: :class:`~concept_depth.probing.mass_mean.MassMeanProbe`, the difference of
    the class means with a threshold fitted on the training samples (geometry-of-truth).
    """
    if kind == "lr":
        return LogisticRegression()
    if kind == "rf":
        return RandomForestClassifier(random_state=random_state)
    if kind == "mass-mean":
        return MassMeanProbe()

    raise BadInputError(f"unknown probe {kind!r}; choose one of {', '.join(PROBE_NAMES)}")


class LayerProbe(ClassifierMixin, BaseEstimator):
    """Binary probe on one layer's vectors.

    Parameters
    ----------
    kind : ``"lr"`` (logistic regression), ``"rf"`` (random forest) or ``"mass-mean"``.
    scale : standardise features (fitted on the training data only) before the classifier.
    random_state : seed of the random forest (logistic regression with lbfgs is deterministic).

    Attributes
    ----------
    estimator_ : the fitted classifier or ``Pipeline(StandardScaler, classifier)``.
    classes_ : [2] the class labels seen in ``fit``.
    """

    def __init__(self, kind: str = "lr", scale: bool = False, random_state: int = 42) -> None:
        self.kind = kind
        self.scale = scale
        self.random_state = random_state

    def fit(self, X: np.ndarray, y: np.ndarray) -> "LayerProbe":
        """Fit on X [n, D] and y [n]; returns self."""
        # dtype=None keeps float32 features as float32, like a direct scikit-learn call.
        X, y = check_X_y(X, y, dtype=None)
        clf = make_classifier(self.kind, self.random_state)
        self.estimator_ = Pipeline([("scale", StandardScaler()), ("clf", clf)]) if self.scale else clf
        self.estimator_.fit(X, y)
        self.classes_ = self.estimator_.classes_
        return self

    def predict(self, X: np.ndarray) -> np.ndarray:
        """[n] predicted labels."""
        check_is_fitted(self, "estimator_")
        return self.estimator_.predict(X)

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        """[n, 2] class probabilities."""
        check_is_fitted(self, "estimator_")
        return self.estimator_.predict_proba(X)

    def direction(self) -> np.ndarray:
        """[D] float64 weight vector of a linear probe in the input feature space (class 1 on the
        positive side): ``coef_`` of logistic regression, ``mu_1 - mu_0`` of the mass-mean probe,
        mapped back through the scaler when features were standardised.

        Raises BadInputError for a random forest, which has no direction.
        """
        check_is_fitted(self, "estimator_")
        scaled = isinstance(self.estimator_, Pipeline)
        clf = self.estimator_[-1] if scaled else self.estimator_
        if isinstance(clf, MassMeanProbe):
            w = clf.direction_
        elif getattr(clf, "coef_", None) is not None:
            w = np.asarray(clf.coef_, dtype=np.float64)[0]
        else:

            raise BadInputError(f"a {PROBE_NAMES.get(self.kind, self.kind)} probe has no direction; "
                                "use --probe lr or mass-mean")
        if scaled:
            w = w / self.estimator_[0].scale_
        return np.asarray(w, dtype=np.float64)
