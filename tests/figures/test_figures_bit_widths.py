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


def _table(mean_sd=(0.02, 0.05, 0.3), max_sd=(0.4, 0.6, 0.9)):
    return {"reference": "aref", "layers": [
        {"layer": l, "cosine_mean": 0.999, "cosine_min": 0.99, "max_sd": hi, "mean_sd": lo}
        for l, (lo, hi) in enumerate(zip(mean_sd, max_sd))]}


def test_fidelity_deviation_panel_has_several_ticks_and_every_quantity_its_own_style():
    # issue 22 item 21: the SD panel (0.02-0.9, inside one power of ten) had one tick, 0.1; its two legend
    # entries "mean cosine" and "mean deviation" were the same solid line
    fig = fidelity_figure([("8-bit", _table())])
    ticks = list(fig.layout.yaxis2.tickvals)
    assert len([t for t in ticks if 0.02 <= t <= 0.9]) >= 3
    styles = {(t.line.dash, t.marker.symbol) for t in fig.data}
    assert len(styles) == 4  # mean / smallest cosine, largest / mean deviation
    # one bit width: the legend names the quantities, the title the bit width (not "8-bit: ..." four times)
    assert [t.name for t in fig.data] == ["mean cosine", "smallest cosine", "largest deviation", "mean deviation"]
    assert "8-bit" in fig.layout.title.text


def test_depth_shifts_of_two_settings_sit_in_separate_rows():
    # issue 22 item 21: both settings on one row, one's intervals hid the other's
    shift = [DepthShift("jumping_point", 5, 7, 2, 1.0, 4.0, 0.98), DepthShift("peak_layer", 9, 8, -1, -3.0, 0.0, 1.0)]
    fig = depth_shift_figure([("8-bit", _paired([0, 1], shifts=shift)), ("4-bit", _paired([0, 1], shifts=shift))])
    a, b = _role(fig, "shift")
    assert all(ya != yb for ya, yb in zip(a.y, b.y))
    assert all(abs(ya - yb) < 1 for ya, yb in zip(a.y, b.y))  # still in the metric's row
    assert list(fig.layout.yaxis.ticktext) == ["jumping point", "converging point", "peak layer"]


def test_a_heatmap_cell_names_the_setting_of_the_run_it_shows(make_run):
    # issue 22 item 21: "where several share a model and dataset, the newest wins" - but which one a cell showed
    # was nowhere; here the newest is the n=200 run
    from dataclasses import replace

    from concept_depth.figures import depth_heatmap

    new = replace(make_run(key="new", jump=4), n_samples=200, spec=dict(make_run().spec, limit=200))
    old = make_run(key="old", jump=3)
    other = make_run(key="o", dataset="STSA", category="emotional")
    fig = depth_heatmap([new, old, other])
    heat = fig.data[0]
    cities = heat.x.index(next(x for x in heat.x if x.startswith("cities")))
    stsa = heat.x.index(next(x for x in heat.x if x.startswith("STSA")))
    assert "n=200" in heat.text[0][cities] and "n=100" in heat.text[0][stsa]
    assert "newest" in fig.layout.title.text
    # runs that differ in nothing but model and dataset: cells carry their value only
    plain = depth_heatmap([old, other]).data[0]
    assert all("<br>" not in t for row in plain.text for t in row)
