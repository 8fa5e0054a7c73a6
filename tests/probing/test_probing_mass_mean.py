"""The mass-mean probe: estimator contract, direction, threshold fitted on the training split only."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.model_selection import train_test_split

from concept_depth.core.errors import BadInputError
from concept_depth.core.specs import PROBE_NAMES, PROBES, ProbeSpec
from concept_depth.probing import LayerProbe, MassMeanProbe, evaluate_layer, paper_split
from concept_depth.probing.mass_mean import best_threshold


def _data(n=300, d=12, shift=1.5, offset=4.0, seed=0):
    rng = np.random.default_rng(seed)
    y = np.arange(n) % 2
    X = rng.normal(size=(n, d)) + offset  # far from the origin: a threshold at 0 would fail
    X[:, 2] += shift * y
    return X.astype(np.float32), y


def test_mass_mean_is_a_probe_family_with_a_name():
    assert "mass-mean" in PROBES and "mean" in PROBE_NAMES["mass-mean"]
    ProbeSpec(probe="mass-mean")
    with pytest.raises(BadInputError):
        ProbeSpec(probe="mass_mean")


def test_direction_is_the_difference_of_class_means_and_fit_returns_self():
    X, y = _data()
    probe = MassMeanProbe()
    assert probe.get_params() == {} and clone(probe).get_params() == {}
    assert probe.fit(X, y) is probe
    X64 = X.astype(np.float64)
    want = X64[y == 1].mean(0) - X64[y == 0].mean(0)
    np.testing.assert_allclose(probe.direction_, want, rtol=1e-5, atol=1e-6)
    assert np.argmax(np.abs(probe.direction_)) == 2
    np.testing.assert_allclose(probe.coef_[0] * probe.scale_, probe.direction_)
    proba = probe.predict_proba(X)
    assert proba.shape == (len(y), 2) and np.allclose(proba.sum(1), 1)
    assert np.array_equal(probe.predict(X), (proba[:, 1] > 0.5).astype(int))
    assert probe.score(X, y) > 0.7  # the offset far from 0 is absorbed by the fitted threshold


def test_threshold_is_the_best_training_cut_and_ignores_test_samples():
    scores = np.array([0.0, 1.0, 2.0, 3.0, 10.0, 11.0])
    positive = np.array([False, False, True, False, True, True])
    t = best_threshold(scores, positive, midpoint=5.0)
    assert 3.0 < t < 10.0  # 5 of 6 right; the cut between 1 and 2 is as good but further from the midpoint
    X, y = _data(seed=1)
    train, test = paper_split(len(y))
    a = MassMeanProbe().fit(X[train], y[train])
    X2 = X.copy()
    X2[test] += 50.0  # moving held-out samples cannot move a threshold fitted on the training split
    b = MassMeanProbe().fit(X2[train], y[train])
    assert a.threshold_ == b.threshold_


def test_labels_other_than_zero_one_and_a_single_class():
    X, y = _data()
    names = np.where(y == 1, "true", "false")
    probe = MassMeanProbe().fit(X, names)
    assert set(probe.predict(X)) <= {"false", "true"}
    with pytest.raises(ValueError):
        MassMeanProbe().fit(X, np.zeros(len(y)))


@pytest.mark.parametrize("protocol", ["paper", "cv"])
def test_layer_evaluation_with_the_mass_mean_probe(protocol):
    X, y = _data()
    ev = evaluate_layer(X, y, ProbeSpec(protocol=protocol, probe="mass-mean"), layer=3, keep_predictions=True)
    assert ev.scores["accuracy"] > 0.7 and ev.scores["auc"] > 0.75
    assert ev.scores["control_accuracy"] < 0.65
    assert not ev.warnings  # no iterations, no convergence warnings


def test_paper_split_is_the_paper_protocols_split():
    X, y = _data(n=101)
    idx = np.arange(len(y))
    _, _, _, _, tr, te = train_test_split(X, y, idx, test_size=0.4, random_state=42)
    train, test = paper_split(len(y))
    assert np.array_equal(train, tr) and np.array_equal(test, te)


def test_layer_probe_direction_for_linear_probes_only():
    X, y = _data()
    mm = LayerProbe("mass-mean").fit(X, y).direction()
    X64 = X.astype(np.float64)
    np.testing.assert_allclose(mm, X64[y == 1].mean(0) - X64[y == 0].mean(0), rtol=1e-9)
    lr = LayerProbe("lr").fit(X, y).direction()
    assert lr.shape == (X.shape[1],) and np.argmax(np.abs(lr)) == 2
    scaled = LayerProbe("mass-mean", scale=True).fit(X, y).direction()
    assert np.argmax(np.abs(scaled)) == 2
    with pytest.raises(BadInputError, match="no direction"):
        LayerProbe("rf").fit(X, y).direction()
