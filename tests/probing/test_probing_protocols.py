"""Probes: the paper protocol equals scikit-learn, k-fold and control behave as they must."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from sklearn.ensemble import RandomForestClassifier
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, f1_score, roc_auc_score
from sklearn.model_selection import train_test_split

from concept_depth.core.errors import BadInputError
from concept_depth.core.specs import ProbeSpec
from concept_depth.probing import LayerProbe, binary_scores, evaluate_layer, majority_rate, probe_layers, warning_notes


def _data(n=120, d=16, shift=0.6, seed=0):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    X = rng.normal(size=(n, d)).astype(np.float32)
    X[:, 0] += shift * y  # weakly separable along one direction
    return X, y


def _direct_sklearn(X, y, make):
    X_tr, X_te, y_tr, y_te = train_test_split(X, y, test_size=0.4, random_state=42)
    clf = make()
    clf.fit(X_tr, y_tr)
    pred = clf.predict(X_te)
    proba = clf.predict_proba(X_te)[:, 1]
    return accuracy_score(y_te, pred), f1_score(y_te, pred, average="binary"), roc_auc_score(y_te, proba)


def test_paper_protocol_is_bit_exact_scikit_learn():
    X, y = _data()
    ev = evaluate_layer(X, y, ProbeSpec(), layer=3)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # penalty="l2" is deprecated as an argument in sklearn >= 1.8
        acc, f1, auc = _direct_sklearn(X, y, lambda: LogisticRegression(penalty="l2"))
    assert (ev.scores["accuracy"], ev.scores["f1"], ev.scores["auc"]) == (acc, f1, auc)
    assert ev.scores["accuracy_std"] is None and ev.layer == 3
    assert 0.5 < acc < 1.0  # a real, non-trivial curve point


def test_paper_protocol_random_forest_matches_reference_settings():
    X, y = _data(n=80, d=8, shift=1.5)
    ev = evaluate_layer(X, y, ProbeSpec(probe="rf"))
    expected = _direct_sklearn(X, y, lambda: RandomForestClassifier(random_state=42))
    assert (ev.scores["accuracy"], ev.scores["f1"], ev.scores["auc"]) == expected


def test_paper_chance_and_predictions_are_on_the_test_split():
    X, y = _data(n=50)
    ev = evaluate_layer(X, y, ProbeSpec(), keep_predictions=True)
    _, _, _, y_te = train_test_split(X, y, test_size=0.4, random_state=42)
    assert ev.n_eval == len(y_te) == int(ev.is_eval.sum())
    assert ev.chance == majority_rate(y_te)
    assert np.isnan(ev.proba[~ev.is_eval]).all() and (ev.pred[~ev.is_eval] == -1).all()
    assert ev.scores["accuracy"] == pytest.approx((ev.pred[ev.is_eval] == y[ev.is_eval]).mean())


def test_cv_separable_gives_one_and_random_labels_about_half():
    rng = np.random.default_rng(1)
    y = np.repeat([0, 1], 100)
    X = rng.normal(size=(200, 10)).astype(np.float32)
    X[:, 0] += 6.0 * (2 * y - 1)  # far apart: perfectly separable
    sep = evaluate_layer(X, y, ProbeSpec(protocol="cv", folds=5))
    assert sep.scores["accuracy"] == 1.0 and sep.scores["accuracy_std"] == 0.0 and sep.scores["auc"] == 1.0
    noise = evaluate_layer(X, rng.permutation(y), ProbeSpec(protocol="cv", folds=5), keep_predictions=True)
    assert abs(noise.scores["accuracy"] - 0.5) < 0.12
    assert noise.scores["accuracy_std"] > 0
    assert noise.is_eval.all() and (noise.pred >= 0).all() and noise.n_eval == 200


def test_control_is_near_chance_and_selectivity_high_on_separable_data():
    rng = np.random.default_rng(2)
    y = np.repeat([0, 1], 150)
    X = rng.normal(size=(300, 8)).astype(np.float32)
    X[:, 0] += 4.0 * y
    for spec in (ProbeSpec(), ProbeSpec(protocol="cv")):
        ev = evaluate_layer(X, y, spec)
        assert abs(ev.scores["control_accuracy"] - 0.5) < 0.12, spec
        assert ev.scores["accuracy"] - ev.scores["control_accuracy"] > 0.3
    assert evaluate_layer(X, y, ProbeSpec(control=False)).scores["control_accuracy"] is None


def test_convergence_warning_reproduced_counted_and_noted_once():
    rng = np.random.default_rng(3)
    X = (rng.normal(size=(200, 60)) * 300).astype(np.float32)  # unscaled: lbfgs hits max_iter
    y = rng.integers(0, 2, 200)
    spec = ProbeSpec()
    with warnings.catch_warnings(record=True) as leaked:
        warnings.simplefilter("always")
        evals = probe_layers(lambda l: X + l, [0, 1, 2], y, spec, n_jobs=1)
    assert not [w for w in leaked if issubclass(w.category, ConvergenceWarning)]  # no flood
    totals, notes = warning_notes(evals, spec)
    assert totals["ConvergenceWarning"] >= 3
    conv = [n for n in notes if "ConvergenceWarning" in n]
    assert len(conv) == 1 and "3 of 3 layers" in conv[0]
    # ... and the scores are still those of the plain scikit-learn fit that warns.
    with warnings.catch_warnings(record=True) as direct:
        warnings.simplefilter("always")
        acc, _, _ = _direct_sklearn(X, y, LogisticRegression)
    assert any(issubclass(w.category, ConvergenceWarning) for w in direct)
    assert evals[0].scores["accuracy"] == acc


def test_probe_layers_parallel_equals_serial():
    X, y = _data(n=400, d=600)  # 240k values: above the parallel threshold
    spec = ProbeSpec(control=False)
    serial = probe_layers(lambda l: X * (l + 1), [1, 2, 3], y, spec, n_jobs=1)
    par = probe_layers(lambda l: X * (l + 1), [1, 2, 3], y, spec, n_jobs=2)
    assert [e.scores for e in serial] == [e.scores for e in par]
    assert [e.layer for e in par] == [1, 2, 3]


def test_bad_labels_and_estimator_contract():
    X, y = _data(n=30)
    with pytest.raises(BadInputError):
        evaluate_layer(X, np.zeros(30, dtype=int), ProbeSpec())
    with pytest.raises(BadInputError, match="fold"):
        evaluate_layer(X[:6], np.array([0, 0, 0, 0, 1, 1]), ProbeSpec(protocol="cv", folds=5))
    probe = LayerProbe(kind="lr", scale=True)
    assert probe.get_params() == {"kind": "lr", "scale": True, "random_state": 42}
    assert not hasattr(probe, "estimator_")
    assert probe.fit(X, y) is probe and list(probe.classes_) == [0, 1]
    assert probe.predict_proba(X).shape == (30, 2)


def test_binary_scores_match_sklearn_and_single_class_auc_is_nan():
    y = np.array([0, 1, 1, 0, 1])
    pred = np.array([0, 1, 0, 0, 1])
    proba = np.array([0.1, 0.9, 0.4, 0.3, 0.8])
    s = binary_scores(y, pred, proba)
    assert s == {"accuracy": accuracy_score(y, pred), "f1": f1_score(y, pred), "auc": roc_auc_score(y, proba)}
    assert np.isnan(binary_scores(np.ones(3), np.ones(3), np.ones(3))["auc"])
