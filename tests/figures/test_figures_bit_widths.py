"""Figures of bit widths: paired difference curves, fidelity per layer, depth shifts with intervals."""

from __future__ import annotations

from concept_depth.figures import depth_shift_figure, difference_curves, fidelity_figure
from concept_depth.figures.difference import NORMAL_METHOD
from concept_depth.stats.paired import DepthShift, LayerDifference, PairedComparison


def _role(fig, role):
    return [t for t in fig.data if isinstance(t.meta, dict) and t.meta.get("role") == role]


def _paired(layers, beyond=(), shifts=()):
    rows = tuple(LayerDifference(layer=l, difference=-0.05, low=-0.08, high=-0.02 if l in beyond else 0.01,
                                 b_only=3, a_only=11 if l in beyond else 5, p_value=0.001 if l in beyond else 0.4,
                                 p_adjusted=0.01 if l in beyond else 1.0, beyond_noise=l in beyond) for l in layers)
    return PairedComparison(layers=rows, shifts=tuple(shifts), n_eval=40, level=0.95, alpha=0.05, n_boot=500,
                            test="McNemar mid-p")


def test_paired_difference_marks_layers_beyond_noise_and_names_the_band(make_run):
    base, q8 = make_run(key="base"), make_run(quant=8, key="q8", shift=0.05)
    pc = _paired(q8.layer_numbers, beyond={2, 3})
    fig = difference_curves([(q8, base)], paired=[pc])
    diff, = _role(fig, "difference")
    band, = _role(fig, "interval")
    assert band.name == pc.method and fig.layout.meta["interval_method"] == pc.method
    assert list(band.y) == [-0.08] * len(q8.layers)
    symbols = dict(zip(q8.layer_numbers, diff.marker.symbol))
    assert symbols[2] == symbols[3] == "circle" and symbols[0] == symbols[5] == "circle-open"
    assert diff.meta["beyond_noise"] == [2, 3]
    assert "McNemar p = 0.001" in diff.customdata[2][2] and "beyond noise" in diff.customdata[2][2]
    keys = [t.name for t in _role(fig, "noise-key")]
    assert keys == ["beyond noise (McNemar mid-p, Holm-adjusted p < 0.05)", "within noise"]
    # not accuracy: no paired markers (the tests are on accuracy)
    fig = difference_curves([(q8, base)], metric="f1", paired=[pc])
    assert not _role(fig, "noise-key") and not _role(fig, "interval")


def test_mixed_pairs_keep_each_band_method(make_run):
    base = make_run(key="base")
    q8, q4 = make_run(quant=8, key="q8"), make_run(quant=4, key="q4")
    pc = _paired(q8.layer_numbers)
    fig = difference_curves([(q8, base), (q4, base)], paired=[pc, None])
    names = sorted(t.name for t in _role(fig, "interval") if t.showlegend)
    assert names == sorted([pc.method, NORMAL_METHOD])
    assert pc.method in fig.layout.meta["interval_method"] and NORMAL_METHOD in fig.layout.meta["interval_method"]


def test_fidelity_figure_has_cosine_and_deviation_panels():
    table = {"reference": "aref", "layers": [
        {"layer": l, "cosine_mean": 0.999 - 0.001 * l, "cosine_min": 0.99 - 0.001 * l, "max_sd": 1.0 + l,
         "mean_sd": 0.05 * (l + 1)} for l in (2, 0, 1)]}
    fig = fidelity_figure([("8-bit", table), ("4-bit", table)])
    mean_cos = [t for t in _role(fig, "cosine_mean")]
    assert len(mean_cos) == 2 and list(mean_cos[0].x) == [0, 1, 2]  # sorted by layer
    max_sd, = [t for t in _role(fig, "max_sd") if t.meta["label"] == "8-bit"]
    assert list(max_sd.y) == [1.0, 2.0, 3.0] and max_sd.line.dash == "dash" and max_sd.yaxis == "y2"
    assert fig.layout.yaxis2.type == "log"
    assert {t.name for t in fig.data} >= {"8-bit: mean cosine", "4-bit: largest deviation"}


def test_depth_shift_figure_draws_intervals_and_skips_undefined():
    shifts = [DepthShift("jumping_point", 5, 7, 2, 1.0, 4.0, 0.98),
              DepthShift("converging_point", 6, None, None, None, None, 0.4),
              DepthShift("peak_layer", 9, 8, -1, -3.0, 0.0, 1.0)]
    fig = depth_shift_figure([("8-bit", _paired([0, 1], shifts=shifts))])
    tr, = _role(fig, "shift")
    assert list(tr.x) == [2, -1] and list(tr.y) == ["jumping point", "peak layer"]
    assert list(tr.error_x.array) == [2.0, 1.0] and list(tr.error_x.arrayminus) == [1.0, 2.0]
    assert "7 − 5 = +2 layers" in tr.text[0]
