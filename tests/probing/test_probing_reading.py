"""The reading vector (RepE LAT): pairs inside groups, first component of their differences, sign on training."""

from __future__ import annotations

import numpy as np
import pytest

from concept_depth.core.errors import BadInputError
from concept_depth.core.specs import PROBE_NAMES, PROBES, ProbeSpec
from concept_depth.probing import LayerProbe, ReadingVectorProbe
from concept_depth.probing.reading import difference_pairs, first_component


def _questions(q=60, d=10, shift=1.5, seed=0):
    """q questions with 2..5 options; options share a question vector; the correct one is shifted on axis 3."""
    rng = np.random.default_rng(seed)
    ks = rng.integers(2, 6, q)
    groups = np.repeat(np.arange(q), ks)
    base = rng.normal(size=(q, d)) * 5.0  # large per-question offsets: only within-question differences read well
    X = base[groups] + rng.normal(size=(len(groups), d))
    y = np.zeros(len(groups), dtype=np.int64)
    starts = np.concatenate([[0], np.cumsum(ks)[:-1]])
    y[starts + rng.integers(0, ks)] = 1
    X[:, 3] += shift * y
    return X.astype(np.float32), y, groups


def test_reading_is_a_probe_family():
    assert "reading" in PROBES and "RepE" in PROBE_NAMES["reading"]
    ProbeSpec(probe="reading")


def test_pairs_are_correct_minus_each_wrong_option_inside_each_group():
    positive = np.array([0, 1, 0, 1, 0, 0, 0], dtype=bool)
    groups = np.array([5, 5, 5, 2, 2, 2, 9])  # group 9 holds no correct row: no pair
    pos, neg = difference_pairs(positive, groups)
    assert sorted(zip(pos.tolist(), neg.tolist())) == [(1, 0), (1, 2), (3, 4), (3, 5)]
    p2, n2 = difference_pairs(positive, None, random_state=1)
    assert len(p2) == 2 and positive[p2].all() and not positive[n2].any()
    assert np.array_equal(p2, difference_pairs(positive, None, random_state=1)[0])  # seeded


def test_direction_finds_the_shift_and_its_sign_favours_the_correct_option():
    X, y, groups = _questions()
    probe = ReadingVectorProbe().fit(X, y, groups=groups)
    assert np.argmax(np.abs(probe.direction_)) == 3 and probe.direction_[3] > 0
    assert np.isclose(np.linalg.norm(probe.direction_), 1.0)
    assert probe.n_pairs_ == int(np.bincount(groups).sum() - len(np.unique(groups)))
    # mirrored features give the mirrored direction: the sign is set so that correct options read higher
    flipped = ReadingVectorProbe().fit(-X, y, groups=groups)
    assert flipped.direction_[3] < 0 and np.allclose(flipped.direction_, -probe.direction_, atol=1e-6)
    # decision values rank like the projection; probabilities are a sigmoid of them
    s, d = probe.project(X), probe.decision_function(X)
    assert np.array_equal(np.argsort(s, kind="stable"), np.argsort(d, kind="stable"))
    assert np.allclose(probe.predict_proba(X)[:, 1], 1 / (1 + np.exp(-d)))


def test_no_pair_is_a_one_line_error_and_layer_probe_forwards_groups():
    X, y, groups = _questions(q=20)
    with pytest.raises(BadInputError, match="both a correct and a wrong"):
        ReadingVectorProbe().fit(X, y, groups=np.arange(len(y)))  # every row its own group
    a = LayerProbe("reading").fit(X, y, groups=groups).direction()
    b = ReadingVectorProbe().fit(X, y, groups=groups).direction_
    assert np.allclose(a, b)
    scaled = LayerProbe("reading", scale=True).fit(X, y, groups=groups)
    assert np.argmax(np.abs(scaled.direction())) == 3


@pytest.mark.parametrize("shape", [(300, 120), (90, 640)], ids=["more rows", "fewer rows than features"])
def test_large_matrices_take_arpack_and_agree_with_the_full_svd(shape):
    rng = np.random.default_rng(3)
    D = rng.normal(size=shape)
    D[:, 7] += 4.0
    v = first_component(D)
    full = np.linalg.svd(D, full_matrices=False)[2][0]
    assert v.shape == (shape[1],)
    assert abs(abs(v @ full) - 1.0) < 1e-8
