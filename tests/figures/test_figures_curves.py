import pytest

from concept_depth.figures import difference_curves, layer_curves, what_this_shows
from concept_depth.workflows.baselines import find_baseline, pair_with_baselines


def _role(fig, role):
    return [t for t in fig.data if isinstance(t.meta, dict) and t.meta.get("role") == role]


def test_single_run_marks_jumping_and_converging_points_on_accuracy_curve(make_run):
    run = make_run(jump=3, converge=5)
    fig = layer_curves(run)
    metric_traces = _role(fig, "metric")
    assert [t.meta["metric"] for t in metric_traces] == ["accuracy", "f1", "auc"]
    jp, = _role(fig, "jumping_point")
    cp, = _role(fig, "converging_point")
    assert list(jp.x) == [3.0] and jp.y[0] == pytest.approx(run.layers[3].accuracy)
    assert list(cp.x) == [5.0] and cp.y[0] == pytest.approx(run.layers[5].accuracy)
    assert "layer 3" in jp.name and "layer 5" in cp.name
    assert fig.layout.xaxis.title.text.startswith("layer")
    assert fig.layout.plot_bgcolor == "white"


def test_jumping_and_converging_on_one_layer_make_one_marker_with_one_label(make_run):
    run = make_run(jump=4, converge=4)
    fig = layer_curves(run)
    both, = _role(fig, "both")
    assert not _role(fig, "jumping_point") and not _role(fig, "converging_point")
    assert list(both.text) == ["J = C = 4"] and both.meta["roles"] == ["jumping_point", "converging_point"]
    assert both.marker.symbol == "star" and list(both.x) == [4.0]
    assert both.name == "jumping = converging point (layer 4)"


def test_separate_markers_are_labelled_above_the_plot_j_to_the_left_c_to_the_right(make_run):
    # issue 22 item 2: "J = 9" printed below its marker sat on the curves and the marker; labels now sit above the
    # plot's frame (where no score can be), the left one ending at its layer, the right one starting there, so
    # neighbours never collide either
    fig = layer_curves(make_run(jump=4, converge=5))
    jp, = _role(fig, "jumping_point")
    cp, = _role(fig, "converging_point")
    assert list(jp.text) == ["J = 4"] and list(cp.text) == ["C = 5"]
    assert jp.mode == "markers" and cp.mode == "markers"  # no text on the data
    j_label, c_label = _role(fig, "depth-label")
    assert list(j_label.text) == ["J = 4"] and list(c_label.text) == ["C = 5"]
    top = fig.layout.yaxis.range[1]
    assert j_label.y[0] >= top and c_label.y[0] >= top and j_label.mode == "text"
    assert j_label.textposition == "top left" and c_label.textposition == "top right"
    assert list(j_label.x) == [4.0] and list(c_label.x) == [5.0]
    guides = _role(fig, "depth-guide")  # a faint line from each marker up to its label
    assert [list(g.y) for g in guides] == [[jp.y[0], top], [cp.y[0], top]]
    assert jp.marker.symbol != cp.marker.symbol
    # the title keeps clear of the labels above the frame
    assert fig.layout.title.pad.b >= 30


def test_chance_is_a_legend_entry_not_a_label_on_the_curves(make_run):
    fig = layer_curves(make_run())
    chance, = _role(fig, "chance")
    assert chance.name == "chance 0.50" and chance.showlegend and list(chance.y) == [0.5, 0.5]
    assert not fig.layout.annotations and not fig.layout.shapes


def test_not_acquired_run_has_no_point_markers(make_run):
    fig = layer_curves(make_run(jump=None, converge=None))
    assert not _role(fig, "jumping_point") and not _role(fig, "converging_point") and not _role(fig, "both")


def test_cv_run_gets_std_bands_and_paper_run_does_not(make_run):
    cv = layer_curves(make_run(cv=True), metrics=("accuracy",))
    bands = _role(cv, "band")
    assert len(bands) == 1 and bands[0].fill == "tonexty"
    upper, = _role(cv, "band-upper")
    assert upper.y[4] == pytest.approx(make_run(cv=True).layers[4].accuracy + 0.02)
    assert not _role(layer_curves(make_run(cv=False)), "band")


def test_control_curve_is_dashed_and_optional(make_run):
    fig = layer_curves(make_run(), metrics=("accuracy",))
    ctrl, = _role(fig, "control")
    assert ctrl.line.dash == "dash"
    assert not _role(layer_curves(make_run(), show_control=False), "control")
    assert not _role(layer_curves(make_run(control=False)), "control")


def test_relative_depth_lines_up_models_of_different_depth(make_run):
    a, b = make_run(n_layers=8, key="a"), make_run(n_layers=16, key="b", model="other")
    fig = layer_curves([a, b], metrics=("accuracy",), x="relative")
    metric_traces = _role(fig, "metric")
    assert len(metric_traces) == 2
    assert max(metric_traces[0].x) == pytest.approx(1.0) and max(metric_traces[1].x) == pytest.approx(1.0)
    jp = _role(fig, "jumping_point")
    assert sorted(t.x[0] for t in jp) == pytest.approx([3 / 16, 3 / 8])
    assert "relative depth" in fig.layout.xaxis.title.text
    # overlaid runs get different colours
    assert metric_traces[0].line.color != metric_traces[1].line.color


def test_bad_metric_or_axis_is_rejected(make_run):
    with pytest.raises(ValueError):
        layer_curves(make_run(), metrics=("precision",))
    with pytest.raises(ValueError):
        layer_curves(make_run(), x="depth")


def test_difference_curves_against_float32_clean_baseline(make_run):
    base = make_run(key="base")
    q8 = make_run(quant=8, key="q8", shift=0.05)
    other = make_run(quant=8, dataset="STSA", key="other")  # no baseline for STSA
    noisy = make_run(noise="paper", key="noisy", shift=0.1)
    assert find_baseline(q8, [q8, other, base]) is base
    assert find_baseline(other, [q8, other, base]) is None
    pairs = pair_with_baselines([q8, other, noisy, base], [q8, other, noisy, base])
    assert [(r.key, b.key) for r, b in pairs] == [("q8", "base"), ("noisy", "base")]
    fig = difference_curves(pairs)
    diffs = _role(fig, "difference")
    assert len(diffs) == 2
    assert all(y == pytest.approx(-0.05) for y in diffs[0].y)
    assert all(y == pytest.approx(-0.1) for y in diffs[1].y)
    assert "8-bit" in diffs[0].name and "paper noise" in diffs[1].name


def test_notes_mention_hook_protocol_and_chance(make_run):
    note = what_this_shows("curves", make_run(cv=True))
    assert "jumping point" in note and "residual stream" in note and "k-fold" in note and "Chance is 0.50" in note
    with pytest.raises(ValueError):
        what_this_shows("nope")
