"""A real checkpoint series (the tiny Llama of conftest.py, trained on the coin-flip XOR and saved at
steps 0, 100, 200, 300): cognition and expression change across the checkpoints, the correlation
is scipy's, the figure draws what the table says, hub revisions are stages too."""

from __future__ import annotations

import shutil

import numpy as np
import pytest
from scipy.stats import pearsonr, spearmanr

import concept_depth as cd
from concept_depth.core.specs import ModelSpec
from concept_depth.models.fingerprint import model_fingerprint

STAGES = ["step0", "step100", "step200", "step300"]


def _column(series, name):
    return [row[name] for row in series.table()]


def test_cognition_and_expression_change_across_the_checkpoints(series_run):
    series = series_run.series
    assert series.stage_names == STAGES and not series.failures
    rows = series.table()
    best, answer = _column(series, "best_probe_accuracy"), _column(series, "answer_accuracy")
    jumps = _column(series, "jumping_point")
    # random initialisation: no layer reads the XOR, and the answers are a coin flip
    assert best[0] < 0.6 and not rows[0]["acquired"] and jumps[0] is None
    assert answer[0] < 0.6
    # trained: some layer reads it (almost) perfectly and the model answers it
    assert best[-1] >= 0.95 and rows[-1]["acquired"] and answer[-1] >= 0.9
    assert answer[-1] - answer[0] >= 0.3 and best[-1] - best[0] >= 0.3
    # the readable layer moves: read late (if at all) early in training, from layer 1 once trained
    acquired = [j for j in jumps if j is not None]
    assert len(acquired) >= 2 and acquired[0] > acquired[-1] == 1
    # each stage is its own model: other weights, other cache keys
    assert len({r["run_key"] for r in rows}) == len({r["expression_key"] for r in rows}) == 4
    for row in rows:
        assert row["gap"] == pytest.approx(row["best_probe_accuracy"] - row["answer_accuracy"], abs=1e-4)
        assert row["layers"] == 3 and row["samples"] == 200 and row["n_eval"] == 184  # 16 held out as examples


def test_the_correlation_over_stages_is_pearson_and_spearman_of_the_table(series_run):
    series = series_run.series
    best, answer = _column(series, "best_probe_accuracy"), _column(series, "answer_accuracy")
    c = series.correlation()
    assert c.defined and c.n_stages == 4 and c.dataset == "coins.csv"
    assert c.pearson == pytest.approx(pearsonr(best, answer).statistic)
    assert c.spearman == pytest.approx(spearmanr(best, answer).statistic)
    assert c.pearson > 0.8  # cognition and expression rise together on this series
    assert c.text == f"Pearson r = {c.pearson:.2f}, Spearman ρ = {c.spearman:.2f} over 4 stages"
    # the jumping point leaves out the stage where the concept is not acquired
    j = series.correlation(cognition="jumping_point")
    pairs = [(x, y) for x, y in zip(_column(series, "jumping_point"), answer) if x is not None]
    assert j.n_stages == len(pairs)
    if j.defined:
        assert j.spearman == pytest.approx(spearmanr(*zip(*pairs)).statistic)
    data = series.to_dict()
    assert data["schema"] == "concept-depth/series@1" and [s["name"] for s in data["stages"]] == STAGES
    assert data["correlations"][0]["pearson"] == pytest.approx(c.pearson)
    assert "NaN" not in series.to_json()


def test_the_series_figure_draws_the_table_with_the_correlation_in_the_title(series_run):
    series = series_run.series
    fig = series.figure()  # registered in concept_depth.figures: the same as figures.series_figure
    assert fig.to_dict() == cd.figures.series_figure(series).to_dict()

    def traces(role):
        return [t for t in fig.data if (t.meta or {}).get("role") == role]

    (cognition,), (expression,), (jump,), (chance,) = (traces(r) for r in ("cognition", "expression",
                                                                           "jumping_point", "chance"))
    assert list(cognition.x) == list(expression.x) == list(jump.x) == STAGES
    assert list(cognition.y) == _column(series, "best_probe_accuracy")
    assert list(expression.y) == _column(series, "answer_accuracy")
    assert list(jump.y) == _column(series, "jumping_point") and jump.yaxis == "y2"  # the lower panel
    assert chance.y[0] == series.table()[0]["chance"]  # the majority class of the held-out split
    assert fig.layout.xaxis.type == "category" and list(fig.layout.xaxis.categoryarray) == STAGES
    assert series.correlation().text in fig.layout.title.text
    assert fig.layout.meta["correlations"][0]["n_stages"] == 4
    assert "step100" in cognition.hovertext[1] and "best probe accuracy" in cognition.hovertext[1]


def test_a_cached_series_comes_back_at_once_and_its_answers_reused_the_probe_runs(series_run, trained_series,
                                                                                    data_options):
    again = cd.series(series=trained_series.series, **data_options, cache_dir=series_run.cache, device="cpu",
                      jobs=1, progress=False)
    assert all(o.result.cached for o in again.probes) and all(o.result.cached for o in again.expressions)
    assert again.table() == series_run.series.table()
    for probe, expr in zip(series_run.series.probes, series_run.series.expressions):
        # the expression analysis' own probe curve is the series' probe run (same settings): no second probe
        assert expr.result.spec["probe_run_key"] == probe.result.key


def test_checkpoint_folders_have_their_own_fingerprints(trained_series, tmp_path):
    folders = trained_series.folders
    prints = {name: model_fingerprint(ModelSpec(source=str(path)), tmp_path / "memo") for name, path in folders.items()}
    assert len(set(prints.values())) == 4 and all(p.startswith("dir:") for p in prints.values())
    copy = tmp_path / "copy"
    shutil.copytree(folders["step0"], copy)  # the same weights elsewhere are the same model
    assert model_fingerprint(ModelSpec(source=str(copy)), tmp_path / "memo") == prints["step0"]
    # a checkpoint folder written again in place (training that keeps one "last" folder) is a new model
    shutil.copyfile(folders["step300"] / "model.safetensors", copy / "model.safetensors")
    assert model_fingerprint(ModelSpec(source=str(copy)), tmp_path / "memo") not in (prints["step0"], None)


@pytest.fixture
def fake_hub(trained_series, tmp_path, monkeypatch):
    """An offline hub cache holding ``org/tiny-coins`` at revisions r1 (= step0) and r2 (= step300)."""
    import huggingface_hub.constants as hub_constants

    repo = tmp_path / "hub" / "models--org--tiny-coins"
    for i, (rev, step) in enumerate((("r1", "step0"), ("r2", "step300")), start=1):
        commit = f"{i:040d}"
        (repo / "refs").mkdir(parents=True, exist_ok=True)
        (repo / "refs" / rev).write_text(commit)
        shutil.copytree(trained_series.folders[step], repo / "snapshots" / commit)
    monkeypatch.setattr(hub_constants, "HF_HUB_CACHE", str(tmp_path / "hub"))
    monkeypatch.setattr(hub_constants, "HF_HUB_OFFLINE", True)
    return "org/tiny-coins"


def test_hub_revisions_are_stages_and_reach_the_load(fake_hub, trained_series, data_options, tmp_path):
    folders = trained_series.folders
    common = dict(**data_options, limit=40, cache_dir=tmp_path / "cache", device="cpu", jobs=1, progress=False)
    hub = cd.series(model=fake_hub, revision="init=r1,trained=r2", **common)
    assert hub.stage_names == ["init", "trained"] and not hub.failures
    assert [s.model.revision for s in hub.stages] == ["r1", "r2"]
    assert [r.spec["model_label"] for r in hub.runs] == ["org/tiny-coins@r1", "org/tiny-coins@r2"]
    assert [r.spec["model_revision"] for r in hub.runs] == ["r1", "r2"]
    # each revision resolved to its own commit (the hub cache's refs), so each has its own cache keys
    assert [hub.expression(s).spec["model_fingerprint"] for s in hub.stage_names] == [
        f"hub:org/tiny-coins@{i:040d}" for i in (1, 2)]
    # the same weights as the folders step0 and step300: the same numbers under other keys
    local = cd.series(series=f"init={folders['step0']},trained={folders['step300']}", **common)
    for a, b in zip(hub.table(), local.table()):
        assert a["run_key"] != b["run_key"]
        for name in ("best_probe_accuracy", "best_probe_layer", "jumping_point", "answer_accuracy"):
            assert a[name] == b[name], name
    # two stages: no correlation, said in words (never NaN)
    c = hub.correlation()
    assert not c.defined and c.pearson is None and c.spearman is None and c.n_stages == 2
    assert c.text == "correlation undefined (2 stages with both values; needs 3)"
    assert c.text in hub.figure().layout.title.text


def test_a_failing_stage_does_not_stop_the_others(trained_series, data_options, tmp_path):
    empty = tmp_path / "empty-checkpoint"
    empty.mkdir()
    series = cd.series(series=f"broken={empty},trained={trained_series.folders['step300']}", **data_options,
                       limit=40, cache_dir=tmp_path / "cache", device="cpu", jobs=1, progress=False)
    broken, trained = series.table()
    assert broken["best_probe_accuracy"] is None and "holds no model files" in broken["error"]
    assert trained["error"] is None and trained["answer_accuracy"] >= 0.9
    assert [what for what, _e, _c in series.failures] == ["broken 32 coins.csv none probe", "broken coins.csv expression"]
    assert all(code == 2 for _w, _e, code in series.failures)
    fig = series.figure()
    (cognition,) = [t for t in fig.data if t.meta["role"] == "cognition"]
    assert list(cognition.y) == [None, trained["best_probe_accuracy"]] and "holds no model files" in cognition.hovertext[0]
    assert not series.correlation().defined
    assert np.isfinite(trained["best_probe_accuracy"])
