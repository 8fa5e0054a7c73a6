"""AppTests of what a newcomer meets: run origins on Home and Runs, where datasets come from,
the sample limit in view, long jobs that leave nothing behind, statement text in the Layers tables."""

from __future__ import annotations

import time
from dataclasses import replace
from pathlib import Path


def _save(store_dir, run, origin, ts):
    """Store ``run`` as if computed here (kind run) with ``origin`` (None: a run from before origins)."""
    from concept_depth.analyses.probe import RUN_KIND
    from concept_depth.storage.store import Store

    extra = dict(run.extra, created_ts=ts)
    if origin is not None:
        extra["origin"] = origin
    run = replace(run, extra=extra)
    Store(store_dir).put_result(RUN_KIND, run.key, run.to_dict())
    return run


# ---- origins ------------------------------------------------------------------------------
def test_home_latest_run_is_the_latest_probe_run_and_tables_show_origins(charts, make_run, open_page, set_env,
                                                                         tmp_path):
    cache = tmp_path / "cache"
    set_env(cache)
    now = time.time()
    _save(cache, make_run(key="old-probe", dataset="cities"), None, now - 100)  # stored before origins: a probe run
    _save(cache, make_run(key="from-expression", dataset="STSA", category="emotional"), "expression", now)
    at = open_page()
    assert not at.exception and not at.error
    table = at.table[0].value
    assert list(table["origin"]) == ["expression", "probe"]
    assert all(len(c) == 16 for c in table["created"])  # "2026-11-22 10:00", never cut to the hour
    latest = [m.value for m in at.markdown if m.value.startswith("**Latest probe run:**")]
    assert latest and "cities" in latest[0] and "STSA" not in latest[0]
    fig, = charts(at)
    assert "cities" in fig["layout"]["title"]["text"]
    # only an expression analysis's probe step cached: Home says so instead of calling it the latest run
    cache2 = tmp_path / "cache2"
    set_env(cache2)
    _save(cache2, make_run(key="only-expression"), "expression", now)
    at = open_page()
    assert not at.exception and not charts(at)
    assert any("probe step of an expression analysis" in i.value for i in at.info)


def test_runs_page_shows_origin_and_opens_a_run_by_deep_link(charts, make_run, open_page, set_env, tmp_path):
    cache = tmp_path / "cache"
    set_env(cache)
    now = time.time()
    _save(cache, make_run(key="probe-a", jump=4, converge=4), "probe", now - 10)
    _save(cache, make_run(key="sweep-b", dataset="STSA"), "sweep", now)
    at = open_page("app_pages/runs.py")
    assert list(at.dataframe[0].value["origin"]) == ["sweep", "probe"]
    assert at.selectbox(key="runs_pick").value == "sweep-b"
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(Path(__file__).resolve().parents[2] / "app.py"), default_timeout=60)
    at.query_params["run"] = "probe-a"
    at.switch_page("app_pages/runs.py").run()
    assert not at.exception
    assert at.selectbox(key="runs_pick").value == "probe-a"
    fig = charts(at)[0]
    both = [t for t in fig["data"] if (t.get("meta") or {}).get("role") == "both"]
    assert len(both) == 1 and both[0]["text"] == ["J = C = 4"]  # one marker, one label


# ---- datasets -------------------------------------------------------------------------------
def test_probe_page_says_where_paper_datasets_are_and_download_offline_says_what_to_do(
        open_page, set_env, tmp_path, monkeypatch):
    set_env(tmp_path / "cache")
    monkeypatch.setenv("CONCEPT_DEPTH_DATA_DIR", str(tmp_path / "no-data-here"))
    import concept_depth.datasets.sources as sources

    def offline(url, timeout=0):
        raise OSError("network is unreachable")

    monkeypatch.setattr(sources, "fetch", offline)  # never touch the network
    at = open_page("app_pages/probe.py")
    at.radio(key="dataset_source").set_value("Paper dataset").run()
    note = " ".join(c.value for c in at.caption)
    assert "CONCEPT_DEPTH_DATA_DIR" in note and str(tmp_path / "no-data-here") in note
    assert str((tmp_path / "cache" / "datasets").resolve()) in note and "downloaded on first use" in note
    at.button(key="download_datasets").click().run()
    assert not at.exception
    err = " ".join(e.value for e in at.error)
    assert "No network here" in err and "CONCEPT_DEPTH_DATA_DIR" in err and "cities.csv" in err
    assert "not tried" in err or "First error" in err
    assert not [b for b in at.button if (b.key or "").startswith("cancel-")]  # the job left nothing behind


# ---- sample limit ----------------------------------------------------------------------------
def test_sample_limit_is_a_main_control_not_under_advanced(open_page, set_env, tmp_path):
    set_env(tmp_path / "cache")
    at = open_page("app_pages/probe.py")
    advanced, = [e for e in at.expander if e.label.startswith("Advanced")]
    assert "limit" not in advanced.label
    assert "limit" not in [n.key for n in advanced.number_input]
    assert at.number_input(key="limit").value == 200
    assert "run time" in at.number_input(key="limit").help


# ---- long jobs ----------------------------------------------------------------------------------
def test_expression_job_leaves_no_cancel_button_or_bars_and_its_probe_is_not_a_probe_run(
        charts, open_page, pick_tiny, set_env, tmp_path):
    set_env(tmp_path / "cache")
    at = pick_tiny(open_page("app_pages/expression.py"), model="tiny:gpt2", limit=24, limit_key="x_limit")
    at.multiselect(key="x_shots").set_value([0])
    at.button(key="x_run").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert not [b for b in at.button if (b.key or "").startswith("cancel-")]
    assert not at.get("progress")
    took = [c.value for c in at.caption if c.value.startswith("Took")]
    assert took and "scoring answers" in took[0] and "%" in took[0]
    assert len(charts(at)) == 4


def test_probe_job_progress_line_names_each_stage_with_its_share(open_page, pick_tiny, set_env, tmp_path):
    set_env(tmp_path / "cache")
    at = pick_tiny(open_page("app_pages/probe.py"))
    at.button(key="run").click().run()
    assert not at.exception and not at.error
    took = [c.value for c in at.caption if c.value.startswith("Took")]
    assert took and "extracting layer vectors" in took[0] and "training probes" in took[0]
    assert not at.get("progress") and not [b for b in at.button if (b.key or "").startswith("cancel-")]


# ---- layers: statement text ----------------------------------------------------------------------
def test_layers_tables_show_the_sample_text_label_prediction_and_confidence(make_runs, open_page, set_env,
                                                                            tmp_path):
    cache = tmp_path / "cache"
    set_env(cache)
    run, _ = make_runs(cache)
    at = open_page("app_pages/layers.py")
    assert not at.exception and not at.error, [e.value for e in at.error]
    tables = [t.value for t in at.table]
    assert tables, "the example tables are st.table (wrapping text, no horizontal scrolling)"
    for table in tables:
        assert list(table.columns) == ["text", "label", "predicted", "confidence"]
        # the coin-flip prompt ends in a shared instruction; the table shows the sample's own text
        # (the newest run has paper noise: the "aaa"/"bbb" prefix is part of the text the model saw)
        assert all(t[:3] in ("aaa", "bbb") and t[3:].startswith("A coin is heads up.")
                   and "According to the flipping" not in t for t in table["text"])
    full = [c.value for c in at.code]
    assert any("{text}" in c and "According to the flipping process" in c for c in full)
