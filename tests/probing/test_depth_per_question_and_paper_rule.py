"""Depth metrics with a per-question chance (Poisson-binomial test) and the paper's own rule."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from scipy.stats import binom, binomtest

from concept_depth.core.errors import BadInputError
from concept_depth.core.specs import DepthSpec
from concept_depth.stats.depth import binomial_p_value, definition, depth_metrics, poisson_binomial_greater

LAYERS = list(range(1, 11))


def test_poisson_binomial_tail_is_exact():
    probs = np.array([1 / 2, 1 / 3, 1 / 3, 1 / 4, 1 / 5, 1 / 4, 1 / 2])
    for k in range(len(probs) + 1):
        brute = sum(np.prod([p if bit else 1 - p for p, bit in zip(probs, bits)])
                    for bits in itertools.product([0, 1], repeat=len(probs)) if sum(bits) >= k)
        assert poisson_binomial_greater(k, probs) == pytest.approx(brute, rel=1e-12, abs=1e-15)


def test_one_chance_per_unit_equal_to_all_is_the_binomial_test():
    assert binomial_p_value(0.4, 200, 0.25, np.full(200, 0.25)) == binomtest(80, 200, 0.25,
                                                                             alternative="greater").pvalue
    assert binomial_p_value(0.4, 200, 0.25) == binomial_p_value(0.4, 200, 0.25, np.full(200, 0.25))
    with pytest.raises(BadInputError, match="one chance per evaluation unit"):
        binomial_p_value(0.4, 200, 0.25, np.full(199, 0.25))


def test_mixed_option_counts_are_tested_against_their_own_chances():
    # 100 two-option and 100 five-option questions, 80 right: chance mean 0.35, but the test must use
    # the mixture, whose variance is smaller than a binomial's at p = 0.35.
    unit = np.r_[np.full(100, 0.5), np.full(100, 0.2)]
    mixed = binomial_p_value(0.4, 200, unit.mean(), unit)
    plain = binomial_p_value(0.4, 200, unit.mean())
    assert mixed < plain < 0.2
    # the reference: the exact Poisson-binomial tail by convolution
    pmf = np.convolve(binom.pmf(np.arange(101), 100, 0.5), binom.pmf(np.arange(101), 100, 0.2))
    assert mixed == pytest.approx(pmf[80:].sum(), rel=1e-10)


def test_multiple_choice_chance_drives_jump_and_acquired():
    acc = [0.25, 0.26, 0.30, 0.40, 0.52, 0.58, 0.60, 0.60, 0.59, 0.57]
    unit = np.full(300, 0.25)
    m = depth_metrics(LAYERS, acc, chance=0.25, n_eval=300, n_layers=10, unit_chance=unit)
    # gain at peak 0.35; 0.8 of it = 0.28 -> acc >= 0.53 first at layer 6
    assert m.acquired and m.chance == 0.25 and m.peak_layer == 7 and m.jumping_point == 6
    assert "1/k" in m.definition["chance"] and "Poisson-binomial" in m.definition["acquired"]
    # 0.26 on 40 questions of 4 options is chance
    weak = depth_metrics(LAYERS, [0.25] * 9 + [0.3], chance=0.25, n_eval=40, n_layers=10, unit_chance=unit[:40])
    assert not weak.acquired and weak.jumping_point is None


def test_paper_rule_is_a_fraction_of_the_peak_without_chance_offset():
    acc = [0.50, 0.51, 0.55, 0.59, 0.60, 0.61, 0.62, 0.615, 0.60, 0.58]
    chance = depth_metrics(LAYERS, acc, chance=0.5, n_eval=2000, n_layers=10)
    paper = depth_metrics(LAYERS, acc, chance=0.5, n_eval=2000, n_layers=10, spec=DepthSpec(rule="paper"))
    assert chance.jumping_point == 5  # 0.5 + 0.8 * 0.12 = 0.596
    assert paper.jumping_point == 1  # 0.8 * 0.62 = 0.496: the paper's rule on a weak concept
    assert (paper.converging_point, paper.peak_layer) == (chance.converging_point, chance.peak_layer) == (6, 7)
    assert paper.definition["rule"] == "paper" and "no chance offset" in paper.definition["jumping_point"]
    # a strong concept far above chance: the two rules agree
    strong = [0.50, 0.52, 0.60, 0.75, 0.86, 0.90, 0.93, 0.945, 0.95, 0.94]
    a = depth_metrics(LAYERS, strong, chance=0.5, n_eval=400, n_layers=10)
    b = depth_metrics(LAYERS, strong, chance=0.5, n_eval=400, n_layers=10, spec=DepthSpec(rule="paper"))
    assert a.jumping_point == b.jumping_point == 5  # acc >= 0.86 (chance rule) and acc >= 0.76 (paper rule)


def test_paper_rule_reports_layers_of_a_curve_that_is_not_acquired():
    acc = [0.50, 0.53, 0.55, 0.52, 0.54, 0.51, 0.50, 0.52, 0.53, 0.50]
    m = depth_metrics(LAYERS, acc, chance=0.5, n_eval=40, n_layers=10, spec=DepthSpec(rule="paper"))
    assert not m.acquired and m.p_value > 0.05
    assert (m.jumping_point, m.converging_point, m.peak_layer) == (1, 3, 3)


def test_default_definition_is_unchanged():
    d = definition(DepthSpec())
    assert d == {
        "chance": "majority-class rate of the evaluation samples (test split; all samples out-of-fold under cv)",
        "peak": "layer with the highest probe accuracy (earliest on ties)",
        "jumping_point": "first layer with (acc - chance) >= 0.8 * (peak_acc - chance)",
        "converging_point": "first layer with acc >= peak_acc - 0.01",
        "acquired": ("peak accuracy significantly above chance (one-sided exact binomial test on the evaluation "
                     "samples, p < 0.05) and above the control (shuffled-label) accuracy at the peak layer; "
                     "otherwise layer fields are null"),
        "relative_depth": "layer / n_layers", "jump_fraction": 0.8, "converge_eps": 0.01, "alpha": 0.05,
    }
