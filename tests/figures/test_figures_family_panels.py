"""The families figure (one panel per dataset, one curve per model) and chat-template labels."""

from __future__ import annotations

from dataclasses import replace

import pytest

from concept_depth.figures import depth_heatmap, family_panels, what_this_shows
from concept_depth.results.labels import run_labels, series_labels, spec_label

DATASETS = (("coinflip", "inferential"), ("STSA", "emotional"), ("cities", "factual"))


def _grid(make_run):
    """Gemma (18 layers) and SmolLM2 (30 layers) on three datasets; SmolLM2 never acquires coinflip."""
    runs = []
    for ds, cat in DATASETS:
        runs.append(make_run(model="Gemma 3 270M", dataset=ds, category=cat, n_layers=18, jump=9, converge=12,
                             key=f"gemma-{ds}"))
        acquired = ds != "coinflip"
        runs.append(make_run(model="SmolLM2 135M", dataset=ds, category=cat, n_layers=30, shift=0.05,
                             jump=14 if acquired else None, converge=14 if acquired else None, key=f"smol-{ds}"))
    return runs


def _role(fig, role):
    return [t for t in fig.data if (t.meta or {}).get("role") == role]


def test_one_panel_per_dataset_one_curve_per_model_on_relative_depth(make_run):
    fig = family_panels(_grid(make_run))
    titles = [a.text.split(" <span")[0] for a in fig.layout.annotations]
    assert titles == ["cities", "STSA", "coinflip"]  # ordered factual, emotional, inferential
    curves = _role(fig, "metric")
    assert len(curves) == 6
    by_model = {}
    for tr in curves:
        by_model.setdefault(tr.name, set()).add(tr.line.color)
        assert min(tr.x) == 0 and max(tr.x) == pytest.approx(1.0)  # layer / layers: both models span 0..1
    assert set(by_model) == {"Gemma 3 270M", "SmolLM2 135M"}
    assert all(len(colours) == 1 for colours in by_model.values())  # one colour per model in every panel
    assert sorted(t.name for t in curves if t.showlegend) == ["Gemma 3 270M", "SmolLM2 135M"]  # named once
    assert len(next(t for t in curves if t.name == "SmolLM2 135M").x) == 31
    # three panels side by side, each its own x-axis
    assert len({t.xaxis for t in curves}) == 3
    assert "relative depth" in fig.layout.xaxis.title.text
    assert fig.layout.meta["series"] == ["Gemma 3 270M", "SmolLM2 135M"]


def test_depth_markers_without_text_and_a_key_in_the_legend(make_run):
    fig = family_panels(_grid(make_run))
    marks = [t for t in fig.data if (t.meta or {}).get("role") in ("jumping_point", "converging_point", "both")]
    # Gemma: J and C in all three panels; SmolLM2: J = C (one star) in two, nothing where not acquired
    assert len(marks) == 3 * 2 + 2
    assert all(t.mode == "markers" and not t.showlegend for t in marks)  # no labels that could collide
    stars = [t for t in marks if t.meta["role"] == "both"]
    assert len(stars) == 2 and all(t.marker.symbol == "star" for t in stars)
    assert {t.meta["dataset"] for t in stars} == {"cities", "STSA"}
    smol_jump = next(t for t in stars if t.meta["dataset"] == "cities")
    assert smol_jump.x[0] == pytest.approx(14 / 30)
    key = _role(fig, "key")
    assert [t.name for t in key] == ["jumping point", "converging point", "jumping = converging point"]
    assert [t.marker.symbol for t in key] == ["triangle-up", "diamond", "star"]


def test_chance_lines_per_panel_with_one_legend_entry(make_run):
    runs = _grid(make_run)
    runs[0] = replace(runs[0], depth=replace(runs[0].depth, chance=0.52))  # coinflip, both models' split
    runs[1] = replace(runs[1], depth=replace(runs[1].depth, chance=0.52))
    fig = family_panels(runs)
    chance = _role(fig, "chance")
    assert sorted((t.meta["dataset"], t.y[0]) for t in chance) == [("STSA", 0.5), ("cities", 0.5), ("coinflip", 0.52)]
    assert [t.showlegend for t in chance].count(True) == 1 and chance[0].name.startswith("chance")


def test_legend_and_titles_stay_clear_of_the_panels(make_run):
    runs = [make_run(model="m", dataset=f"d{i}", category="custom", key=f"k{i}") for i in range(7)]
    fig = family_panels(runs)
    assert len(fig.layout.annotations) == 7
    assert fig.layout.xaxis8.visible is False  # the empty slot of a 4 + 3 layout is hidden
    assert fig.layout.legend.yref == "container" and fig.layout.legend.yanchor == "bottom"
    assert fig.layout.title.yanchor == "bottom" and fig.layout.title.pad.t >= 30  # above the panel titles
    assert fig.layout.margin.b >= 84 + 22  # bottom axis titles and the legend rows


def test_curves_name_what_differs_within_a_dataset_never_the_dataset(make_run):
    raw = make_run(model="SmolLM2", dataset="cities", key="raw")
    chat = replace(make_run(model="SmolLM2", dataset="cities", key="chat"),
                   spec=dict(raw.spec, chat_template=True))
    other = make_run(model="SmolLM2", dataset="STSA", category="emotional", key="stsa")
    labels = series_labels([raw, chat, other])
    assert labels.labels == ("raw prompt", "chat template", "raw prompt")
    assert labels.varying == ("chat_template",)
    fig = family_panels([raw, chat, other], metric="f1", x="layer")
    assert {t.name for t in _role(fig, "metric")} == {"raw prompt", "chat template"}
    assert not [t for t in fig.data if (t.meta or {}).get("role") in ("jumping_point", "key")]  # markers: accuracy only
    assert "SmolLM2" in fig.layout.title.text and "F1" in fig.layout.title.text
    with pytest.raises(ValueError):
        family_panels([raw], metric="loss")


def test_the_chat_template_tells_runs_apart_in_labels_heatmaps_and_notes(make_run):
    raw = make_run(model="SmolLM2", key="raw")
    chat = replace(make_run(model="SmolLM2", key="chat"), spec=dict(raw.spec, chat_template=True))
    assert run_labels([raw, chat]).labels == ("raw prompt", "chat template")
    assert run_labels([chat]).common.endswith("chat template")  # named when it is not the default
    assert "chat template" not in run_labels([raw]).common
    assert spec_label(chat.spec).endswith("32-bit, chat template") and "chat" not in spec_label(raw.spec)
    heat = depth_heatmap([raw, chat])
    assert heat.data[0].meta["models"] == ["SmolLM2", "SmolLM2 · chat template"]
    assert "chat template" in what_this_shows("curves", chat) and "chat template" not in what_this_shows("curves", raw)
    assert "relative depth" in what_this_shows("families")


def test_a_heatmap_where_nothing_was_acquired_still_names_its_cells(make_run):
    runs = [make_run(model=m, dataset="coinflip", category="inferential", jump=None, converge=None, key=m)
            for m in ("Gemma", "SmolLM2")]
    fig = depth_heatmap(runs)
    marks, = [t for t in fig.data if (t.meta or {}).get("role") == "not-acquired"]
    assert list(marks.text) == ["–", "–"] and list(marks.y) == ["Gemma", "SmolLM2"]
    assert list(fig.layout.yaxis.categoryarray) == ["Gemma", "SmolLM2"] and fig.layout.yaxis.range[0] == 1.5
    # with one value drawn, the heatmap writes its own "–" cells: no second layer of text
    runs[0] = make_run(model="Gemma", dataset="coinflip", category="inferential", key="g")
    assert [t.type for t in depth_heatmap(runs).data] == ["heatmap"]


def test_the_key_names_only_markers_drawn_and_a_star_at_the_top_is_drawn_whole(make_run):
    # issue 22 item 22: the ★ at accuracy 1.0 was clipped by the frame; the key listed markers no panel had
    top = make_run(model="Gemma", key="top", jump=8, converge=8)
    layers = tuple(replace(s, accuracy=1.0) if s.layer == 8 else s for s in top.layers)
    top = replace(top, layers=layers, depth=replace(top.depth, peak_accuracy=1.0, peak_layer=8))
    fig = family_panels([top, make_run(model="SmolLM2", key="none", jump=None, converge=None)])
    star, = [t for t in fig.data if (t.meta or {}).get("role") == "both"]
    assert star.y[0] == 1.0 and star.cliponaxis is False
    assert [t.name for t in _role(fig, "key")] == ["jumping = converging point"]
    unacquired = family_panels([make_run(model="SmolLM2", key="none", jump=None, converge=None)])
    assert not _role(unacquired, "key")
