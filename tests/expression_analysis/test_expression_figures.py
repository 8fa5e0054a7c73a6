"""Expression figures: pure functions of hand-made ExpressionResults, checked through fig.data/layout."""

from __future__ import annotations

import pytest

from concept_depth.analyses.expression import ExpressionResult
from concept_depth.figures.expression import (
    gap_figure,
    pass_at_n_figure,
    pearson,
    probe_vs_answer_scatter,
    shots_figure,
)


def make_result(dataset="cities", model="m", probe=(0.5, 0.7, 0.9, 0.85), lens=(0.5, 0.5, 0.6, 0.65),
                shots=(0, 1, 2), ts=1.0, with_probe=True) -> ExpressionResult:
    layers = tuple({"layer": i, "probe_accuracy": p if with_probe else None, "lens_accuracy": a,
                    "lens_pass1": a, "gap": (p - a) if with_probe else None}
                   for i, (p, a) in enumerate(zip(probe, lens)))
    entries = tuple({"k": k, "accuracy": lens[-1] + 0.05 * j, "pass1": lens[-1] - 0.02 + 0.05 * j,
                     "pass_at_n": [min(1.0, 0.6 + 0.05 * n) for n in range(1, 5)], "answer_mass": 0.3,
                     "examples": list(range(k)), "lens_accuracy": list(lens), "lens_pass1": list(lens),
                     "p_class1": [0.5] * 4} for j, k in enumerate(shots))
    best = max(probe) if with_probe else None
    summary = {"best_probe_accuracy": best, "best_probe_layer": 2 if with_probe else None,
               "final_answer_accuracy": lens[-1], "final_pass1": lens[-1] - 0.02,
               "gap": (best - lens[-1]) if with_probe else None, "best_lens_accuracy": max(lens),
               "best_lens_layer": 3, "best_shots": shots[-1], "best_shots_accuracy": entries[-1]["accuracy"],
               "answer_mass": 0.3, "n_eval": 4}
    return ExpressionResult(key=f"{model}-{dataset}-{ts}", spec={"model": model, "model_label": model, "quant": 32,
                                                                 "dataset": dataset, "noise": "none",
                                                                 "shots": list(shots)},
                            created_ts=ts, layers=layers, shots=entries,
                            pass_at_n=tuple({"n": n, "pass": v} for n, v in enumerate(entries[0]["pass_at_n"], 1)),
                            summary=summary, labels=(0, 1, 1, 1))


def test_gap_figure_shades_between_probe_and_lens():
    fig = gap_figure(make_result())
    probe, lens = fig.data[0], fig.data[1]
    assert list(probe.y) == [0.5, 0.7, 0.9, 0.85] and list(lens.y) == [0.5, 0.5, 0.6, 0.65]
    assert lens.fill == "tonexty" and probe.fill is None  # shading from the lens up to the probe curve
    assert list(lens.customdata) == pytest.approx([0.0, 0.2, 0.3, 0.2])
    assert "gap +0.250" in fig.layout.title.text
    assert fig.layout.xaxis.title.text.startswith("layer")
    assert fig.layout.xaxis.dtick == 1 and fig.layout.xaxis.tick0 == 0  # whole layers, never 0.5
    # chance line at the majority rate of the evaluated labels (3 of 4), named in the legend, not on the curves
    chance, = [t for t in fig.data if (t.meta or {}).get("role") == "chance"]
    assert list(chance.y) == [0.75, 0.75] and chance.name == "chance 0.75" and not fig.layout.annotations


def test_gap_figure_without_probe_has_lens_only():
    fig = gap_figure(make_result(with_probe=False))
    assert [t.name for t in fig.data] == ["logit lens (what the layer would answer)", "chance 0.75"]
    assert fig.data[0].fill is None


def test_shots_and_pass_at_n_figures():
    r = make_result(shots=(0, 2, 8))
    fig = shots_figure(r)
    acc = fig.data[0]
    assert list(acc.x) == [0, 2, 8] and acc.y[2] == pytest.approx(0.75)
    assert any(t.name == "best probe accuracy" and list(t.y) == [0.9, 0.9] for t in fig.data)
    assert list(fig.layout.xaxis.tickvals) == [0, 2, 8]
    two = shots_figure([r, make_result(dataset="STSA")])
    assert len({t.line.color for t in two.data}) == 2
    fig = pass_at_n_figure(r)
    assert [t.name for t in fig.data][:3] == ["k = 0", "k = 2", "k = 8"]
    assert list(fig.data[0].x) == [1, 2, 3, 4] and fig.layout.xaxis.type == "log"
    # the best probe accuracy is a legend entry, not a label written over the curves
    best, = [t for t in fig.data if (t.meta or {}).get("role") == "best-probe"]
    assert best.name == "best probe accuracy 0.90" and list(best.y) == [0.9, 0.9] and not fig.layout.annotations
    coin = {t.name: t for t in fig.data if t.name.startswith("coin flipper")}  # built without maj@n
    assert list(coin) == ["coin flipper: pass@n = 1 − 0.5ⁿ", "coin flipper: maj@n = 0.5"]
    assert list(coin["coin flipper: pass@n = 1 − 0.5ⁿ"].y) == pytest.approx([0.5, 0.75, 0.875, 0.9375])
    assert set(coin["coin flipper: maj@n = 0.5"].y) == {0.5}
    assert [t.name for t in pass_at_n_figure(r, ks=[2]).data if (t.meta or {}).get("role") is None
            and not t.name.startswith("coin flipper")] == ["k = 2"]


def test_pass_at_n_figure_draws_maj_at_n_also_for_results_saved_before_it():
    data = make_result(shots=(0, 2)).to_dict()
    assert data["maj_at_n"] == [] and all("maj_at_n" not in s for s in data["shots"])
    loaded = ExpressionResult.from_dict(data)  # an old result: maj@n from p_class1 (0.5) and the labels
    assert [m["n"] for m in loaded.maj_at_n] == [1, 3] and loaded.maj_at_n[0]["maj"] == pytest.approx(0.5)
    fig = pass_at_n_figure(loaded)
    maj = [t for t in fig.data if t.name.startswith("k = ") and t.name.endswith("maj@n (majority vote)")]
    assert [t.name for t in maj] == ["k = 0: maj@n (majority vote)", "k = 2: maj@n (majority vote)"]
    assert not any(t.showlegend for t in maj)  # one legend key says what dotted means
    assert [t.name for t in fig.data if t.name.startswith("dotted")] == ["dotted, same colour: maj@n (majority vote)"]
    assert list(maj[0].x) == [1, 3] and list(maj[0].y) == pytest.approx([0.5, 0.5])
    assert maj[0].line.color == fig.data[0].line.color and maj[0].legendgroup == fig.data[0].legendgroup


def test_scatter_pearson_and_small_counts():
    results = [make_result(dataset=d, probe=(0.5, p, p, p), lens=(0.5, 0.5, a, a), ts=i)
               for i, (d, p, a) in enumerate([("cities", 0.9, 0.7), ("STSA", 0.8, 0.6), ("coinflip", 0.6, 0.5)])]
    fig = probe_vs_answer_scatter(results)
    r, p = pearson([0.9, 0.8, 0.6], [0.7, 0.6, 0.5])
    assert fig.layout.meta["pearson_r"] == pytest.approx(r) and r > 0.9
    assert f"r = {r:.2f}" in fig.layout.title.text and fig.layout.meta["n_points"] == 3
    # two points: no r, said in the title; older duplicates of a model x dataset count once
    dup = make_result(dataset="cities", probe=(0.5, 0.6, 0.6, 0.6), ts=-1)
    fig = probe_vs_answer_scatter(results[:2] + [dup])
    assert fig.layout.meta["n_points"] == 2 and "needs ≥3" in fig.layout.title.text
    flat = [make_result(dataset=d, probe=(0.5, p, p, p), ts=i) for i, (d, p) in enumerate([("a", 0.9), ("b", 0.8), ("c", 0.7)])]
    assert "constant" in probe_vs_answer_scatter(flat).layout.title.text  # all answers 0.65
    assert pearson([0.5, 0.5, 0.5], [0.1, 0.2, 0.3]) == (None, None)  # constant side
    assert probe_vs_answer_scatter([make_result(with_probe=False)]).layout.meta["n_points"] == 0


def test_result_json_round_trip(tmp_path):
    r = make_result()
    path = tmp_path / "r.json"
    path.write_text(r.to_json())
    back = ExpressionResult.load(path)
    assert back.summary == r.summary and back.layers == r.layers and back.shot(2)["k"] == 2
