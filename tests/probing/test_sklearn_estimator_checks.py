"""Issue 19 item 5: the probe estimators pass scikit-learn's own estimator checks.

The two-class families (mass-mean, reading vector) carry the binary-only tag, so the checks feed them
two-class data and expect a clear ValueError on more classes; logistic regression and the random
forest are scikit-learn's multi-class classifiers and are checked as such.
"""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.exceptions import NotFittedError
from sklearn.utils.estimator_checks import parametrize_with_checks

from concept_depth.probing import LayerProbe, MassMeanProbe, ReadingVectorProbe

ESTIMATORS = [
    LayerProbe(), LayerProbe(scale=True), LayerProbe(kind="rf"), LayerProbe(kind="mass-mean"),
    LayerProbe(kind="mass-mean", scale=True), LayerProbe(kind="reading"), LayerProbe(kind="reading", scale=True),
    MassMeanProbe(), ReadingVectorProbe(),
]


@parametrize_with_checks(ESTIMATORS)
def test_scikit_learn_estimator_checks(estimator, check):
    check(estimator)


@pytest.mark.parametrize("estimator", ESTIMATORS, ids=repr)
def test_contract_basics(estimator):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 5)).astype(np.float32)
    y = np.arange(40) % 2
    X[:, 1] += 2.0 * y
    with pytest.raises(NotFittedError):
        estimator.predict(X)
    fitted = estimator.fit(X, y)
    assert fitted is estimator and estimator.n_features_in_ == 5 and list(estimator.classes_) == [0, 1]
    binary_only = isinstance(estimator, (MassMeanProbe, ReadingVectorProbe)) or estimator.kind in ("mass-mean",
                                                                                                   "reading")
    assert estimator.__sklearn_tags__().classifier_tags.multi_class is (not binary_only)
    with pytest.raises(ValueError, match="features"):
        estimator.predict(X[:, :4])
