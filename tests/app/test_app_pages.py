"""AppTest of every page with the tiny random llama and a built-in dataset or a small CSV."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="module")
def cached(make_runs, tmp_path_factory):
    cache = tmp_path_factory.mktemp("app-cache")
    return cache, make_runs(cache)


@pytest.fixture
def env_cached(set_env, cached, monkeypatch):
    cache, runs = cached
    set_env(cache)
    return runs


@pytest.fixture
def env_empty(set_env, tmp_path, monkeypatch):
    set_env(tmp_path / "empty-cache")
    return tmp_path / "empty-cache"


# ---- Home ---------------------------------------------------------------------------
def test_home_with_no_runs_says_so_and_quick_start_runs(charts, open_page, trace_names, env_empty):
    at = open_page()
    assert not at.exception
    assert any("No cached runs yet" in i.value for i in at.info)
    assert "linear probe" in at.markdown[0].value
    at.button(key="quickstart").click().run()
    assert not at.exception and not at.error
    assert any("Done" in m.value for m in at.success)
    labels = [m.label for m in at.metric]
    assert labels[:4] == ["Jumping point", "Converging point", "Peak accuracy", "Chance"]
    fig, = charts(at)
    assert "Accuracy" in trace_names(fig)
    # the run is now cached and listed
    assert len(at.table) == 1 and "builtin-coinflip" in at.table[0].value.iloc[0]["run"]


def test_home_lists_recent_runs(charts, open_page, trace_names, env_cached):
    at = open_page()
    assert not at.exception
    table = at.table[0].value  # st.table: long names wrap, nothing is cut off
    assert len(table) == 2 and set(table["samples"]) == {env_cached[0].n_samples}
    # the latest run's curves and headline numbers
    fig, = charts(at)
    assert "Accuracy" in trace_names(fig)
    assert {m.label for m in at.metric} >= {"Jumping point", "Peak accuracy"}


# ---- Probe --------------------------------------------------------------------------
def test_probe_runs_tiny_model_and_shows_curves_metrics_and_table(charts, open_page, pick_tiny, trace_names,
                                                                  env_empty):
    at = pick_tiny(open_page("app_pages/probe.py"))
    at.button(key="run").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    from concept_depth.analyses.probe import list_runs
    from concept_depth.storage.store import Store

    run, = list_runs(Store(env_empty))
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Peak accuracy"] == f"{run.depth.peak_accuracy:.3f}"
    assert metrics["Chance"] == f"{run.depth.chance:.3f}"
    fig, = charts(at)
    assert {"Accuracy", "F1", "ROC-AUC"} <= set(trace_names(fig))
    assert fig["layout"]["xaxis"]["title"]["text"].startswith("layer")
    table = at.dataframe[-1].value
    assert list(table["layer"]) == run.layer_numbers
    assert any("What this shows" == e.label for e in at.expander)
    # the same spec again comes from the cache at once
    at.button(key="run").click().run()
    assert any("from cache" in c.value for c in at.caption)
    # k-fold protocol: the accuracy curve gets a ±1 sd band
    at.selectbox(key="protocol").set_value("cv")
    at.button(key="run").click().run()
    assert not at.error
    fig, = charts(at)
    assert any((t.get("meta") or {}).get("role") == "band" for t in fig["data"])


def test_probe_unavailable_model_shows_error_and_page_stays_usable(open_page, env_empty):
    at = open_page("app_pages/probe.py")
    at.selectbox(key="model_choice").select("Other: hub id or local path…").run()
    at.text_input(key="model_text").input("/nonexistent/model").run()
    at.number_input(key="limit").set_value(40)
    at.button(key="run").click().run()
    assert not at.exception
    assert any("does not exist" in e.value for e in at.error)
    assert at.button(key="run")  # still there


def test_probe_bad_upload_shows_error_and_good_upload_shows_columns(open_page, env_empty):
    at = open_page("app_pages/probe.py")
    at.radio(key="dataset_source").set_value("Upload a file").run()
    assert any("upload a file" in e.value for e in at.error)
    at.file_uploader(key="upload").set_value(("broken.csv", b"", "text/csv")).run()
    assert not at.exception and any("empty" in e.value for e in at.error)
    rows = "".join(f"sample text number {i},{'yes' if i % 2 else 'no'}\n" for i in range(24))
    at.file_uploader(key="upload").set_value(("mine.csv", ("sentence,answer\n" + rows).encode(), "text/csv")).run()
    assert not at.error
    assert at.selectbox(key="text_col").value == "sentence" and at.selectbox(key="label_col").value == "answer"
    assert list(at.dataframe[0].value.columns) == ["sentence", "answer"]


# ---- Layers -------------------------------------------------------------------------
def test_layers_shows_pca_with_variance_and_examples(charts, open_page, trace_names, env_cached):
    at = open_page("app_pages/layers.py")
    assert not at.exception and not at.error, [e.value for e in at.error]
    fig, = charts(at)
    assert "% of variance" in fig["layout"]["xaxis"]["title"]["text"]
    names = trace_names(fig)
    assert len(names) == 3 and names[2] == "probe wrong (held-out)"
    assert any("Most confidently right" in m.value for m in at.markdown)
    at.select_slider(key="layer").set_value(env_cached[0].layer_numbers[-1]).run()
    assert f"layer {env_cached[0].layer_numbers[-1]}" in charts(at)[0]["layout"]["title"]["text"]
    at.radio(key="layers_mode").set_value("play through all layers").run()
    fig, = charts(at)
    assert len(fig["frames"]) == len(env_cached[0].layer_numbers)
    at.radio(key="layers_mode").set_value("grid of chosen layers").run()
    at.toggle(key="shared_basis").set_value(True).run()
    fig, = charts(at)
    assert "one PCA basis shared by all layers" in fig["layout"]["title"]["text"]
    assert len(fig["layout"]["annotations"]) >= 2  # one subtitle per chosen layer
    assert not at.exception


def test_layers_without_runs_or_activations_explains(make_run, open_page, env_empty, monkeypatch):
    at = open_page("app_pages/layers.py")
    assert any("No cached runs" in i.value for i in at.info)
    # an imported result has no layer vectors: readable error, no traceback
    from concept_depth.analyses.probe import save_run
    from concept_depth.storage.store import Store

    save_run(Store(env_empty), make_run(key="imported-run"))
    at = open_page("app_pages/layers.py")
    assert not at.exception
    assert any("no activations" in e.value for e in at.error)


# ---- Compare ------------------------------------------------------------------------
def test_compare_overlays_heatmap_and_difference(charts, open_page, env_cached):
    at = open_page("app_pages/compare.py")
    assert not at.exception and not at.error, [e.value for e in at.error]
    figs = charts(at)
    assert len(figs) == 4  # curves, heatmap, difference, depth shift (tabs render all)
    curves, heat, diff, shift = figs
    assert len([t for t in curves["data"] if (t.get("meta") or {}).get("role") == "metric"]) == 2
    assert heat["data"][0]["type"] == "heatmap"
    assert "paper noise" in diff["data"][0]["name"]
    at.radio(key="cmp_x").set_value("layer").run()
    assert charts(at)[0]["layout"]["xaxis"]["title"]["text"].startswith("layer")
    # the difference has a band (95% interval) around it, named in the legend; both runs stored their
    # per-sample outcomes on the same held-out samples, so it is paired
    assert any((t.get("meta") or {}).get("role") == "interval" for t in diff["data"])
    assert any("paired, sample by sample" in c.value for c in at.caption)
    assert any((t.get("meta") or {}).get("role") == "shift" for t in shift["data"])
    # a filter that leaves only the clean run: it is a baseline itself, and the message says that
    # (not that a float32 noise-free run is missing)
    at.multiselect(key="cmp-noise").select("none").run()
    info = " ".join(i.value for i in at.info)
    assert "baselines themselves" in info and "no float32" not in info.lower()


def test_compare_without_runs_says_so(open_page, env_empty):
    at = open_page("app_pages/compare.py")
    assert not at.exception and any("No cached runs" in i.value for i in at.info)


# ---- Runs ---------------------------------------------------------------------------
def test_runs_lists_imports_and_deletes(make_run, charts, open_page, trace_names, env_empty):
    at = open_page("app_pages/runs.py")
    assert any("No cached runs" in i.value for i in at.info)

    good = make_run(key="from-gpu-server").to_json().encode()
    at.file_uploader(key="import_files").set_value([("good.json", good, "application/json"),
                                                   ("bad.json", b"{not json", "application/json")]).run()
    at.button(key="import").click().run()
    assert not at.exception
    assert any("imported good.json" in s.value for s in at.success)
    assert any("bad.json" in e.value and "JSON" in e.value for e in at.error)
    at = open_page("app_pages/runs.py")
    table = at.dataframe[0].value  # the compact table: fits the page, creation time to the minute
    assert table["created"][0] == "2026-11-22 10:00"
    # the dataset has a column of its own (issue 22 item 20), the run column names the model
    assert table["origin"][0] == "import" and table["dataset"][0] == "cities" and "tiny:llama" in table["run"][0]
    full = at.dataframe[1].value  # every spec field, in an expander
    assert list(full["key"]) == ["import-from-gpu-server"] and full["dataset"][0] == "cities"  # kind import
    fig, = charts(at)  # the chosen run's curves, jumping point marked
    assert "jumping point (layer 3)" in trace_names(fig)
    at.button(key="delete").click().run()
    at = open_page("app_pages/runs.py")
    assert any("No cached runs" in i.value for i in at.info)
