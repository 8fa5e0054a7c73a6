"""Concept-depth metrics on hand-made curves."""

from __future__ import annotations

import pytest

from concept_depth.core.errors import BadInputError
from concept_depth.core.specs import DepthSpec
from concept_depth.stats.depth import binomial_p_value, definition, depth_metrics, relative_depths

LAYERS = list(range(1, 11))


def test_jump_converge_peak_on_a_rising_curve():
    acc = [0.50, 0.52, 0.60, 0.75, 0.86, 0.90, 0.93, 0.945, 0.95, 0.94]
    m = depth_metrics(LAYERS, acc, chance=0.5, n_eval=400, n_layers=10)
    assert m.acquired and m.peak_layer == 9 and m.peak_accuracy == 0.95
    # gain at peak 0.45, 0.8 of it = 0.36 -> acc >= 0.86 first at layer 5
    assert m.jumping_point == 5
    # within 0.01 of 0.95 -> acc >= 0.94 first at layer 8
    assert m.converging_point == 8
    assert relative_depths(m) == {"jumping_point": 0.5, "converging_point": 0.8, "peak_layer": 0.9}
    assert m.definition["jump_fraction"] == 0.8 and "0.8 * (peak_acc - chance)" in m.definition["jumping_point"]


def test_fraction_of_gain_over_chance_not_of_peak():
    # Weak concept: peak 0.62 over chance 0.5. Plain 0.8*peak = 0.496 would make layer 1 "jump";
    # the gain rule needs acc >= 0.5 + 0.8*0.12 = 0.596.
    acc = [0.50, 0.51, 0.55, 0.59, 0.60, 0.61, 0.62, 0.615, 0.60, 0.58]
    m = depth_metrics(LAYERS, acc, chance=0.5, n_eval=2000, n_layers=10)
    assert m.acquired and m.jumping_point == 5 and m.converging_point == 6 and m.peak_layer == 7
    assert min(l for l, a in zip(LAYERS, acc) if a >= 0.8 * 0.62) == 1  # what the naive rule would say


def test_imbalanced_chance_uses_majority_rate():
    acc = [0.70, 0.70, 0.72, 0.80, 0.90, 0.90, 0.90, 0.90, 0.90, 0.90]
    m = depth_metrics(LAYERS, acc, chance=0.7, n_eval=500, n_layers=10)
    # 0.7 + 0.8 * 0.2 = 0.86 -> layer 5; layers >= 0.89 -> layer 5
    assert (m.jumping_point, m.converging_point, m.peak_layer, m.chance) == (5, 5, 5, 0.7)


def test_not_acquired_when_peak_not_significant():
    acc = [0.50, 0.53, 0.55, 0.52, 0.54, 0.51, 0.50, 0.52, 0.53, 0.50]
    m = depth_metrics(LAYERS, acc, chance=0.5, n_eval=40, n_layers=10)  # 22/40 is not significant
    assert not m.acquired and m.p_value > 0.05
    assert (m.jumping_point, m.converging_point, m.peak_layer) == (None, None, None)
    assert m.peak_accuracy == 0.55 and relative_depths(m)["peak_layer"] is None
    # The same curve on many samples is significant.
    assert depth_metrics(LAYERS, acc, chance=0.5, n_eval=5000, n_layers=10).acquired


def test_not_acquired_when_control_as_high_as_probe():
    acc = [0.6, 0.7, 0.8, 0.8, 0.8]
    ok = depth_metrics(range(5), acc, chance=0.5, n_eval=300, n_layers=4, control=[0.5] * 5)
    bad = depth_metrics(range(5), acc, chance=0.5, n_eval=300, n_layers=4, control=[0.5, 0.5, 0.82, 0.5, 0.5])
    assert ok.acquired and ok.peak_layer == 2 and ok.jumping_point == 2
    assert not bad.acquired and bad.peak_layer is None


def test_parameters_change_the_answer_and_are_validated():
    acc = [0.5, 0.6, 0.7, 0.8, 0.9, 1.0]
    lenient = depth_metrics(range(6), acc, chance=0.5, n_eval=300, n_layers=5, spec=DepthSpec(0.5, 0.15))
    strict = depth_metrics(range(6), acc, chance=0.5, n_eval=300, n_layers=5, spec=DepthSpec(0.9, 0.0))
    assert (lenient.jumping_point, lenient.converging_point) == (3, 4)
    assert (strict.jumping_point, strict.converging_point) == (5, 5)
    with pytest.raises(BadInputError):
        depth_metrics(range(6), acc, chance=0.5, n_eval=300, n_layers=5, spec=DepthSpec(jump_fraction=1.5))
    with pytest.raises(BadInputError):
        depth_metrics([1, 2], [0.5], chance=0.5, n_eval=10, n_layers=2)


def test_binomial_p_value_and_definition_text():
    assert binomial_p_value(0.5, 100, 0.5) > 0.4
    assert binomial_p_value(0.7, 100, 0.5) < 1e-4
    d = definition(DepthSpec(jump_fraction=0.7, converge_eps=0.02, alpha=0.01))
    assert d["jump_fraction"] == 0.7 and "0.02" in d["converging_point"] and "0.01" in d["acquired"]
