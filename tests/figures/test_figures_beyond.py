"""Figures of the analyses beyond the paper, checked on fig.data / fig.layout from hand-made results."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from concept_depth.analyses import DirectionsResult, SteeringResult, TransferResult
from concept_depth.figures import (
    component_curves,
    layer_cosine_heatmap,
    setting_cosine_curves,
    steering_figure,
    transfer_curves,
    transfer_heatmap,
    what_this_shows,
)
from concept_depth.workflows.baselines import component_runs


def _transfer() -> TransferResult:
    acc = [[[0.9, 0.6], [0.4, 0.8]], [[0.95, 0.7], [0.55, 0.85]], [[0.9, 0.65], [0.5, 0.9]]]
    auc = [[[0.95, 0.7], [0.3, None]], [[0.97, 0.8], [0.6, 0.9]], [[0.9, 0.7], [0.5, 0.95]]]
    return TransferResult(key="t", spec={"model": "m", "model_label": "M", "dataset": "a + b", "quant": 32,
                                         "probe": "lr", "probe_name": "logistic regression", "hook": "residual"},
                          datasets=("a", "b"), layers=(0, 1, 2), accuracy=acc, auc=auc, chance=[0.5, 0.5],
                          n_train=[6, 6], n_test=[4, 4],
                          summary={"best": {}, "mean_transfer": [0.5, 0.625, 0.575], "best_transfer_layer": 1})


def test_transfer_heatmap_rows_are_training_and_columns_test_datasets():
    fig = transfer_heatmap(_transfer())  # default: the best transfer layer
    hm = fig.data[0]
    assert hm.meta["layer"] == 1 and list(hm.x) == ["a", "b"] and list(hm.y) == ["a", "b"]
    assert np.asarray(hm.z)[0, 1] == pytest.approx(0.7) and hm.text[1][0] == "0.55"
    assert hm.zmid == 0.5 and "layer 1" in fig.layout.title.text
    assert fig.layout.yaxis.title.text.startswith("trained on") and fig.layout.xaxis.title.text.startswith("tested on")
    auc = transfer_heatmap(_transfer(), layer=0, metric="auc")
    assert auc.data[0].text[1][1] == "–"  # undefined AUC shown as a dash, not 0


def test_transfer_curves_draw_every_ordered_pair():
    fig = transfer_curves(_transfer())
    assert [t.name for t in fig.data] == ["a → a", "a → b", "b → a", "b → b", "0.5 (chance, balanced)"]
    assert not fig.layout.annotations or all("0.5" not in a.text for a in fig.layout.annotations)  # legend, not label
    assert fig.data[0].line.width > fig.data[1].line.width  # A -> A drawn thick
    assert list(fig.data[2].y) == [0.4, 0.55, 0.5]


def _directions() -> DirectionsResult:
    cos = [[1.0, 0.8, 0.2], [0.8, 1.0, 0.5], [0.2, 0.5, 1.0]]
    return DirectionsResult(key="d", spec={"model": "m", "dataset": "cities"}, settings=("32-bit · clean", "8-bit · clean"),
                            layers=(0, 1, 2), layer_cosine=[cos, cos],
                            setting_cosine=[[[1, 1, 1], [0.99, 0.9, 0.7]], [[0.99, 0.9, 0.7], [1, 1, 1]]],
                            own_accuracy=[[0.5, 0.8, 0.9], [0.5, 0.75, 0.85]],
                            cross_accuracy=[[[0.5, 0.8, 0.9], [0.5, 0.7, 0.6]], [[0.5, 0.8, 0.88], [0.5, 0.75, 0.85]]],
                            chance_cosine=0.03)


def test_layer_cosine_heatmap_is_symmetric_and_centred_on_zero():
    fig = layer_cosine_heatmap(_directions(), setting="8-bit · clean")
    hm = fig.data[0]
    assert hm.zmin == -1 and hm.zmax == 1 and hm.zmid == 0
    assert np.allclose(np.asarray(hm.z), np.asarray(hm.z).T) and hm.meta["setting"] == "8-bit · clean"
    assert fig.layout.yaxis.scaleanchor == "x"  # square cells


def test_setting_curves_show_cosine_to_the_reference_and_cross_applied_accuracy():
    fig = setting_cosine_curves(_directions())
    roles = [(t.meta["role"], t.meta["setting"]) for t in fig.data]
    assert ("cosine", "8-bit · clean") in roles and ("cosine", "32-bit · clean") not in roles
    cross = next(t for t in fig.data if t.meta["role"] == "cross-accuracy")
    assert list(cross.y) == [0.5, 0.7, 0.6] and cross.line.dash == "dash"
    _title_clear_of_the_panel_titles(fig)


def _title_clear_of_the_panel_titles(fig) -> None:
    """The two-line title sits above the plot with room for the top panel's title (about 24 px)."""
    assert fig.layout.title.yanchor == "bottom" and fig.layout.title.pad.t >= 28
    assert fig.layout.margin.t >= fig.layout.title.pad.b + 24


def _steering() -> SteeringResult:
    eff = {m: [[0.1, -0.2], [0.3, -0.1]] for m in ("delta_all", "delta_class1", "delta_class0")}
    eff.update({f"{m}_sem": [[0.01, 0.02], [0.03, 0.01]] for m in ("delta_all", "delta_class1", "delta_class0")})
    eff.update(accuracy=[[0.6, 0.5], [0.7, 0.5]], flipped=[[0.1, 0.2], [0.3, 0.1]])
    rnd = {k: [[v / 10 for v in row] for row in rows] for k, rows in eff.items()}
    return SteeringResult(key="s", spec={"model": "m", "dataset": "cities", "probe": "mass-mean",
                                         "label_names": ["false", "true"]},
                          layers=(3, 6), alphas=(-2.0, 2.0), answer={"words": ["No", "Yes"]},
                          probe_accuracy=[0.7, 0.9], norms=[10.0, 20.0], effects={"probe": eff, "random": rnd},
                          excess={}, random_cosine=[0.01, 0.02], summary={})


def test_steering_figure_has_probe_and_random_per_alpha_and_the_probe_curve_below():
    fig = steering_figure(_steering())
    roles = [(t.meta["role"], t.meta.get("alpha")) for t in fig.data]
    assert roles == [("probe", -2.0), ("random", -2.0), ("probe", 2.0), ("random", 2.0), ("probe-accuracy", None)]
    probe_pos = fig.data[2]
    assert list(probe_pos.y) == [-0.2, -0.1] and list(probe_pos.error_y.array) == [0.02, 0.01]
    assert fig.data[1].line.dash == "dash" and fig.data[0].line.color != fig.data[2].line.color
    assert fig.data[-1].yaxis == "y2" and list(fig.data[-1].y) == [0.7, 0.9]
    assert "p(Yes) on true samples" in fig.layout.annotations[0].text
    assert len(steering_figure(_steering(), show_random=False).data) == 3
    _title_clear_of_the_panel_titles(fig)


def test_component_curves_name_each_hook_and_keep_only_matching_runs(make_run):
    base = make_run(key="r")
    attn = replace(make_run(key="a", shift=0.05), spec=dict(base.spec, hook="attn_out"))
    mlp = replace(make_run(key="m", shift=0.1), spec=dict(base.spec, hook="mlp_out"))
    other = replace(make_run(key="o"), spec=dict(base.spec, hook="mlp_out", dataset="common"))
    runs = component_runs([mlp, other, attn, base], attn)
    assert [r.key for r in runs] == ["r", "a", "m"]
    fig = component_curves(runs)
    assert [t.name for t in fig.data] == ["residual stream", "attention output", "MLP output"]
    assert [t.meta["hook"] for t in fig.data] == ["residual", "attn_out", "mlp_out"]
    assert "where the concept is written" in fig.layout.title.text
    assert fig.data[1].y[3] == pytest.approx(base.layers[3].accuracy - 0.05)


@pytest.mark.parametrize("kind", ["components", "transfer", "transfer_curves", "layer_cosine", "setting_cosine",
                                  "steering"])
def test_every_new_figure_has_a_note(kind):
    assert len(what_this_shows(kind)) > 100
