"""Difference curves carry an interval band; the Compare page's message says what is missing."""

import math
from dataclasses import replace

import pytest

from concept_depth.figures import difference_curves
from concept_depth.figures.difference import NORMAL_METHOD, difference_interval, eval_count
from concept_depth.workflows.baselines import missing_difference_message


def _role(fig, role):
    return [t for t in fig.data if isinstance(t.meta, dict) and t.meta.get("role") == role]


def test_default_interval_is_the_normal_approximation_from_accuracy_and_eval_count(make_run):
    base = replace(make_run(key="base"), extra={"n_eval": 80})
    q8 = replace(make_run(quant=8, key="q8", shift=0.05), extra={"n_eval": 80})
    bounds = difference_interval(q8, base)
    p1, p2 = q8.layers[4].accuracy, base.layers[4].accuracy
    half = 1.959964 * math.sqrt(p1 * (1 - p1) / 80 + p2 * (1 - p2) / 80)
    lo, hi = bounds[4]
    assert lo == pytest.approx(p1 - p2 - half, abs=1e-6) and hi == pytest.approx(p1 - p2 + half, abs=1e-6)
    assert difference_interval(q8, base, metric="auc") is None  # not a proportion: no band
    # without extra["n_eval"] the protocol says how many samples were scored
    assert eval_count(make_run()) == 40 and eval_count(make_run(cv=True)) == 100


def test_difference_figure_draws_the_band_and_names_its_method(make_run):
    base, q8 = make_run(key="base"), make_run(quant=8, key="q8", shift=0.05)
    fig = difference_curves([(q8, base)])
    band, = _role(fig, "interval")
    upper, = _role(fig, "interval-upper")
    diff, = _role(fig, "difference")
    assert band.fill == "tonexty" and band.name == NORMAL_METHOD and band.showlegend
    assert all(lo < d < hi for lo, d, hi in zip(band.y, diff.y, upper.y))
    assert fig.layout.meta["interval_method"] == NORMAL_METHOD
    # a paired interval supplied by the caller replaces the default, under its own name
    paired = {layer: (-0.06, -0.04) for layer in q8.layer_numbers}
    fig = difference_curves([(q8, base)], intervals=[paired], interval_method="95% paired bootstrap")
    band, = _role(fig, "interval")
    assert band.name == "95% paired bootstrap" and list(band.y) == [-0.06] * len(q8.layers)
    # F1 has no default band, and the figure says so
    fig = difference_curves([(q8, base)], metric="f1")
    assert not _role(fig, "interval") and fig.layout.meta["interval_method"] is None
    with pytest.raises(ValueError):
        difference_curves([(q8, base)], intervals=[])


def test_difference_legends_tell_runs_apart(make_run):
    base = make_run(key="base")
    q8, q4 = make_run(quant=8, key="q8"), make_run(quant=4, key="q4")
    names = [t.name for t in _role(difference_curves([(q8, base), (q4, base)]), "difference")]
    assert names == ["8-bit − 32-bit clean", "4-bit − 32-bit clean"]


def test_missing_difference_message_says_what_is_missing(make_run):
    clean_a, clean_b = make_run(key="a"), make_run(key="b", dataset="STSA")
    noisy = make_run(key="n", noise="paper", dataset="hateeval")
    assert "baselines themselves" in missing_difference_message([clean_a, clean_b], [clean_a, clean_b])
    msg = missing_difference_message([noisy, clean_a], [noisy, clean_a])
    assert "hateeval" in msg and "Run one" in msg and "baselines themselves" not in msg
    assert missing_difference_message([], [clean_a]) == "Pick at least one run above."
    assert missing_difference_message([make_run(key="q8", quant=8)], [clean_a]) is None
