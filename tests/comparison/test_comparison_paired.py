"""Paired statistics on hand-made outcomes: McNemar, Holm, bootstrap intervals, depth shifts."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pytest

from concept_depth.core.errors import BadInputError
from concept_depth.results.run import LayerScore, RunResult
from concept_depth.stats.depth import depth_metrics
from concept_depth.stats.outcomes import EvalOutcomes
from concept_depth.stats.paired import (
    depth_intervals,
    holm,
    mcnemar_p,
    paired_comparison,
    pairing_problem,
    same_evaluation_samples,
)


def _exact_two_sided(b: int, c: int) -> tuple[float, float]:
    """McNemar exact and mid-p from the binomial sum written out (no scipy, no statsmodels)."""
    n, k = b + c, min(b, c)
    if n == 0:
        return 1.0, 1.0
    tail = sum(math.comb(n, i) for i in range(k + 1)) / 2 ** n
    exact = min(1.0, 2 * tail)
    return exact, exact - math.comb(n, k) / 2 ** n


@pytest.mark.parametrize("b,c", [(0, 0), (0, 5), (3, 9), (9, 3), (10, 10), (1, 30), (45, 60), (200, 170)])
def test_mcnemar_matches_the_binomial_sum(b, c):
    exact, mid = _exact_two_sided(b, c)
    assert mcnemar_p(b, c, mid_p=False) == pytest.approx(exact, rel=1e-9, abs=1e-15)
    assert mcnemar_p(b, c) == pytest.approx(mid, rel=1e-9, abs=1e-15)
    assert mcnemar_p(b, c) <= mcnemar_p(b, c, mid_p=False)


def test_mcnemar_known_values():
    # 0 vs 6 discordant: exact 2/64, mid-p 1/64
    assert mcnemar_p(0, 6, mid_p=False) == pytest.approx(2 / 64)
    assert mcnemar_p(0, 6) == pytest.approx(1 / 64)
    with pytest.raises(ValueError):
        mcnemar_p(-1, 2)


def test_holm_adjusts_step_down_and_keeps_order():
    assert holm([0.01, 0.04, 0.03, 0.005]) == pytest.approx([0.03, 0.06, 0.06, 0.02])
    assert holm([0.5, 0.9]) == pytest.approx([1.0, 1.0])
    assert holm([]) == []


# ---- hand-made runs and outcomes -------------------------------------------------------------
def _outcomes(correct: dict[int, np.ndarray], labels: np.ndarray, n_samples: int | None = None) -> EvalOutcomes:
    n_eval = len(labels)
    n = n_samples or n_eval
    is_eval = np.zeros(n, dtype=bool)
    is_eval[:n_eval] = True
    return EvalOutcomes(n_samples=n, is_eval=is_eval, labels=np.asarray(labels), correct=correct)


def _run(out: EvalOutcomes, key: str, quant: int = 32, protocol: str = "paper") -> RunResult:
    layers = out.layers
    acc = [out.accuracy(l) for l in layers]
    share = float(np.mean(out.labels))
    chance = max(share, 1 - share)
    depth = depth_metrics(layers, acc, chance=chance, n_eval=out.n_eval, n_layers=len(layers) - 1)
    spec = {"model": "m", "dataset": "d", "quant": quant, "noise": "none", "limit": 100, "protocol": protocol,
            "seed": 42, "probe": "lr"}
    return RunResult(spec=spec, n_samples=out.n_samples, n_layers=len(layers) - 1, hidden_size=4,
                     layers=tuple(LayerScore(layer=l, accuracy=a, f1=a, auc=a) for l, a in zip(layers, acc)),
                     depth=depth, key=key, extra={"probe_spec": {"protocol": protocol, "seed": 42, "folds": 5,
                                                                  "test_size": 0.4}})


def _draw(rng, n: int, p: float) -> np.ndarray:
    return rng.random(n) < p


def test_identical_runs_differ_by_exactly_nothing():
    rng = np.random.default_rng(1)
    labels = rng.integers(0, 2, 300)
    out = _outcomes({l: _draw(rng, 300, 0.5 + 0.05 * l) for l in range(6)}, labels)
    pc = paired_comparison(_run(out, "a"), _run(out, "b"), out, out, n_boot=300)
    assert all(d.difference == 0 and d.low == 0 and d.high == 0 and d.p_value == 1 and not d.beyond_noise
               for d in pc.layers)
    assert all(s.shift in (0, None) for s in pc.shifts)


def test_paired_interval_covers_a_known_difference_and_the_test_finds_it():
    """B is A with 10% of A's wrong answers made right and 2% of its right ones made wrong: a true
    difference of about +0.1 * (1-acc) - 0.02 * acc. Over repeated data sets the 95% interval covers
    the true difference about 95% of the time, and a large difference is beyond noise."""
    covered, beyond, widths = 0, 0, []
    trials, n = 40, 400
    p_a, up, down = 0.7, 0.3, 0.05
    truth = up * (1 - p_a) - down * p_a  # +0.055
    for t in range(trials):
        rng = np.random.default_rng(100 + t)
        a = _draw(rng, n, p_a)
        b = a.copy()
        b[~a & _draw(rng, n, up)] = True
        b[a & _draw(rng, n, down)] = False
        labels = rng.integers(0, 2, n)
        oa, ob = _outcomes({0: a}, labels), _outcomes({0: b}, labels)
        d, = paired_comparison(_run(oa, "a"), _run(ob, "b"), oa, ob, n_boot=500, seed=t, shifts=False).layers
        assert d.low <= d.difference <= d.high
        assert d.difference == pytest.approx((b.sum() - a.sum()) / n)
        covered += d.low <= truth <= d.high
        beyond += d.beyond_noise
        widths.append(d.high - d.low)
    assert covered / trials >= 0.85
    # and not by being wide: per sample the difference is +1 (p 0.09), -1 (p 0.035) or 0, so the
    # 95% interval is about 2 * 1.96 * sqrt(var / n) wide
    var = (p_a * down + (1 - p_a) * up) - truth ** 2
    assert np.mean(widths) == pytest.approx(2 * 1.96 * math.sqrt(var / n), rel=0.15)
    assert beyond / trials >= 0.8  # ~22 more right than wrong in 400: McNemar sees it


def test_paired_interval_is_narrower_than_the_unpaired_one_for_correlated_runs():
    rng = np.random.default_rng(3)
    n = 500
    a = _draw(rng, n, 0.75)
    b = a.copy()
    flip = rng.choice(n, 15, replace=False)
    b[flip] = ~b[flip]
    labels = rng.integers(0, 2, n)
    oa, ob = _outcomes({0: a}, labels), _outcomes({0: b}, labels)
    d, = paired_comparison(_run(oa, "a"), _run(ob, "b"), oa, ob, n_boot=1000, shifts=False).layers
    pa, pb = a.mean(), b.mean()
    unpaired_half = 1.96 * math.sqrt(pa * (1 - pa) / n + pb * (1 - pb) / n)
    assert (d.high - d.low) < unpaired_half  # less than half the unpaired width


def test_depth_shift_of_a_curve_moved_two_layers_later():
    rng = np.random.default_rng(7)
    n, layers = 2000, list(range(12))
    labels = rng.integers(0, 2, n)
    curve = lambda l: 0.5 + 0.4 / (1 + math.exp(-(l - 4) * 2))  # noqa: E731
    # the same per-sample "skill" in both runs, B's curve two layers behind A's
    skill = rng.random(n)
    a = {l: skill < curve(l) for l in layers}
    b = {l: skill < curve(l - 2) for l in layers}
    oa, ob = _outcomes(a, labels), _outcomes(b, labels)
    ra, rb = _run(oa, "a"), _run(ob, "b")
    pc = paired_comparison(ra, rb, oa, ob, n_boot=400)
    shifts = {s.metric: s for s in pc.shifts}
    for name in ("jumping_point", "converging_point"):
        s = shifts[name]
        assert s.shift == getattr(rb.depth, name) - getattr(ra.depth, name) == 2
        assert s.low <= 2 <= s.high and s.low > 0, s
        assert s.defined_share == 1.0
    # early layers: B is worse, beyond noise; late layers: the same
    rows = {d.layer: d for d in pc.layers}
    assert rows[4].difference < 0 and rows[4].beyond_noise
    assert not rows[11].beyond_noise
    assert pc.intervals()[4] == (rows[4].low, rows[4].high)
    assert 4 in pc.beyond_noise_layers() and "paired bootstrap" in pc.method
    iv = depth_intervals(ra, oa, n_boot=400)
    assert iv["jumping_point"][0] <= ra.depth.jumping_point <= iv["jumping_point"][1]
    lo, hi = iv["peak_accuracy"]
    assert lo < ra.depth.peak_accuracy < hi


def test_pairing_needs_the_same_evaluation_samples_and_protocol():
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 2, 50)
    oa = _outcomes({0: _draw(rng, 50, 0.6)}, labels, n_samples=120)
    ra = _run(oa, "a")
    assert pairing_problem(ra, _run(oa, "b", quant=8), oa, oa) is None
    shifted = replace(oa, is_eval=np.roll(oa.is_eval, 1))
    assert "different samples" in same_evaluation_samples(oa, shifted)
    assert "different labels" in same_evaluation_samples(oa, replace(oa, labels=1 - oa.labels))
    assert "120 and 60" in same_evaluation_samples(oa, _outcomes({0: oa.correct[0]}, labels, n_samples=60))
    assert "no per-sample outcomes" in pairing_problem(ra, _run(oa, "b"), oa, None)
    cv = _run(oa, "c", protocol="cv")
    assert "protocol" in pairing_problem(ra, cv, oa, oa)
    with pytest.raises(BadInputError):
        paired_comparison(ra, ra, oa, shifted)
