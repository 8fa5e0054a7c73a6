"""Grouped splits: no group on both sides, for every protocol; without groups every number is as before."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.model_selection import train_test_split

from concept_depth.core.errors import BadInputError
from concept_depth.core.specs import ProbeSpec
from concept_depth.probing import evaluate_layer, majority_rate, paper_split, probe_layers
from concept_depth.probing.split import group_folds


def _pairs(n_pairs=150, d=400, seed=0):
    """counterfact-like: a true and a false version of each fact, nearly the same vector, no label signal."""
    rng = np.random.default_rng(seed)
    facts = rng.normal(size=(n_pairs, d)) * 3.0
    groups = np.repeat(np.arange(n_pairs), 2)
    y = np.tile([1, 0], n_pairs)
    X = facts[groups] + 0.05 * rng.normal(size=(2 * n_pairs, d))
    return X.astype(np.float32), y, groups


def test_no_groups_is_the_same_call_and_the_same_numbers():
    rng = np.random.default_rng(4)
    y = rng.integers(0, 2, 120)
    X = rng.normal(size=(120, 8)).astype(np.float32)
    X[:, 0] += y
    for spec in (ProbeSpec(), ProbeSpec(protocol="cv"), ProbeSpec(probe="mass-mean")):
        a = evaluate_layer(X, y, spec, 2, True)
        b = evaluate_layer(X, y, spec, 2, True, groups=None, multiple_choice=False)
        assert a.scores == b.scores and (a.chance, a.n_eval) == (b.chance, b.n_eval)
        assert np.array_equal(a.pred, b.pred) and not b.multiple_choice and b.unit_correct is None
        assert b.eval_chances is None


def test_paper_split_by_group_draws_the_group_ids():
    groups = np.repeat([7, 3, 9, 1, 4, 8, 2, 6], [2, 3, 2, 4, 2, 2, 3, 2])
    train, test = paper_split(len(groups), seed=5, groups=groups)
    _, test_ids = train_test_split(np.unique(groups), test_size=0.4, random_state=5)
    assert set(groups[test]) == set(test_ids) and not set(groups[train]) & set(groups[test])
    assert np.array_equal(np.sort(np.concatenate([train, test])), np.arange(len(groups)))
    assert np.all(np.diff(test) > 0)  # sample order kept
    with pytest.raises(BadInputError, match="one id per sample"):
        paper_split(5, groups=np.arange(4))


def test_cv_folds_by_group_put_each_group_in_one_test_fold():
    _, y, groups = _pairs(n_pairs=40, d=3)
    folds = group_folds(y, groups, 5, seed=1)
    seen = np.concatenate([te for _, te in folds])
    assert np.array_equal(np.sort(seen), np.arange(len(y)))
    for tr, te in folds:
        assert not set(groups[tr]) & set(groups[te])
    assert [te.tolist() for _, te in folds] == [te.tolist() for _, te in group_folds(y, groups, 5, seed=1)]
    with pytest.raises(BadInputError, match="groups"):
        group_folds(y[:8], groups[:8], 5, seed=1)


@pytest.mark.parametrize("protocol", ["paper", "cv"])
def test_grouping_removes_the_pairing_leak(protocol):
    # Split apart, a fact's true version in training makes the probe call its false twin "true":
    # below chance. Kept together, the probe has nothing to read: about chance.
    X, y, groups = _pairs()
    spec = ProbeSpec(protocol=protocol, control=False)
    leaky = evaluate_layer(X, y, spec)
    grouped = evaluate_layer(X, y, spec, groups=groups, keep_predictions=True)
    assert leaky.scores["accuracy"] < 0.35
    assert abs(grouped.scores["accuracy"] - 0.5) < 0.12
    if protocol == "paper":
        test = grouped.is_eval
        assert not set(groups[test]) & set(groups[~test])
        assert grouped.chance == majority_rate(y[test]) and grouped.n_eval == int(test.sum())
    else:
        assert grouped.is_eval.all() and grouped.n_eval == len(y)


def test_grouped_binary_keeps_control_and_probe_layers_passes_groups():
    X, y, groups = _pairs(n_pairs=60, d=6)
    X[:, 0] += 12.0 * y  # now readable
    spec = ProbeSpec()
    ev = evaluate_layer(X, y, spec, groups=groups)
    assert ev.scores["accuracy"] > 0.9 and abs(ev.scores["control_accuracy"] - 0.5) < 0.2
    evals = probe_layers(lambda l: X * (l + 1), [0, 1], y, spec, n_jobs=1, groups=groups)
    assert evals[0].scores == ev.scores


def test_bad_groups_are_one_line_errors():
    X, y, groups = _pairs(n_pairs=20, d=4)
    with pytest.raises(BadInputError, match="one id per sample"):
        evaluate_layer(X, y, ProbeSpec(), groups=groups[:-1])
    with pytest.raises(BadInputError, match="whole numbers"):
        evaluate_layer(X, y, ProbeSpec(), groups=groups + 0.5)
    with pytest.raises(BadInputError, match="at least 5 groups"):
        evaluate_layer(X[:8], y[:8], ProbeSpec(), groups=groups[:8])
