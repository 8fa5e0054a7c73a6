"""A probe far below chance beyond the binomial test is a finding (issue 22 item 18): the pure test, and the
CLI report's line."""

from __future__ import annotations

from dataclasses import replace

import pytest

from concept_depth.analyses.probe import report
from concept_depth.stats.depth import below_chance, below_chance_p_value


def test_counterfact_like_accuracy_is_below_chance_beyond_the_test():
    # counterfact in the issue: 0.225-0.35 on every layer, 40% of 2000 samples held out, chance 0.5
    acc = [0.35, 0.30, 0.225, 0.25, 0.33]
    low = below_chance(range(5), acc, chance=0.5, n_eval=800)
    assert low is not None and low.layers == (0, 1, 2, 3, 4)
    assert low.lowest_layer == 2 and low.lowest_accuracy == pytest.approx(0.225)
    assert low.p_value < 1e-50
    text = low.message()
    assert "below chance" in text and "--group-col" in text and "separates paired items" in text
    assert "--group-col" not in low.message(grouped=True)


def test_noise_around_chance_and_a_small_sample_are_not_below_chance():
    assert below_chance(range(4), [0.48, 0.52, 0.47, 0.5], chance=0.5, n_eval=200) is None
    assert below_chance(range(3), [0.3, 0.4, 0.5], chance=0.5, n_eval=10) is None  # 3 of 10: not beyond the test
    assert below_chance(range(2), [None, 0.1], chance=0.5, n_eval=0) is None


def test_the_lower_tail_is_bonferroni_adjusted_over_the_layers():
    one = below_chance_p_value(0.40, 200, 0.5)  # 80 of 200
    assert 0.001 < one < 0.01
    assert below_chance([0], [0.40], chance=0.5, n_eval=200) is not None
    # the same layer among 40 layers at chance: one of many tests, no longer beyond it
    assert below_chance(range(41), [0.40] + [0.5] * 40, chance=0.5, n_eval=200) is None


def test_the_run_report_flags_a_probe_below_chance(make_run):
    run = make_run(jump=None, converge=None)
    low = tuple(replace(s, accuracy=0.25) for s in run.layers)
    run = replace(run, layers=low, extra={"n_eval": 400})
    text = report(run)
    assert "BELOW CHANCE" in text and "--group-col" in text
    assert "BELOW CHANCE" not in report(make_run(key="fine"))
