"""The Compare page draws a checkpoint series (AppTest), with the test-made checkpoints."""

from __future__ import annotations

import json
from pathlib import Path

from streamlit.testing.v1 import AppTest

REPO = Path(__file__).resolve().parents[2]


def _open_compare(monkeypatch, cache: Path) -> AppTest:
    monkeypatch.setenv("CONCEPT_DEPTH_CACHE", str(cache))
    monkeypatch.setenv("CONCEPT_DEPTH_TEST_MODELS", "1")
    monkeypatch.chdir(REPO)
    at = AppTest.from_file(str(REPO / "app.py"), default_timeout=240)
    at.run()
    at.switch_page("app_pages/compare.py")
    at.run()
    assert not at.exception
    return at


def _series_charts(at: AppTest) -> list[dict]:
    figs = [json.loads(c.proto.spec) for c in at.get("plotly_chart")]
    return [f for f in figs if f["layout"]["title"]["text"].startswith("Checkpoint series")]


def test_compare_runs_a_checkpoint_series_with_progress_and_draws_it(trained_series, monkeypatch, tmp_path):
    at = _open_compare(monkeypatch, tmp_path / "cache")
    assert any("Type the checkpoints" in i.value for i in at.info)
    f = trained_series.folders
    at.text_area(key="series_stages").set_value(f"init={f['step0']}\nhalf={f['step200']}\ntrained={f['step300']}")
    at.multiselect(key="series_datasets").set_value(["builtin-coinflip"])
    at.number_input(key="series_limit").set_value(40).run()
    button = at.button(key="series_run")
    assert button.label == "Run the series (3 stages × 1 dataset) and draw"
    assert not _series_charts(at)
    button.click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    chart, = _series_charts(at)
    cognition = [t for t in chart["data"] if (t.get("meta") or {}).get("role") == "cognition"]
    assert len(cognition) == 1 and cognition[0]["x"] == ["init", "half", "trained"]
    captions = [c.value.replace("\\", "") for c in at.caption]  # shown as escaped markdown
    line = next(c for c in captions if c.startswith("builtin-coinflip: best probe accuracy vs answer accuracy:"))
    assert ("over 3 stages" in line or "undefined" in line) and "nan" not in line.lower()
    assert any(c.startswith("Took") for c in captions)  # the job's one line of stage times stays
    assert len(at.dataframe) >= 1
    # a changed input is another series: nothing stale is drawn for it
    at.text_area(key="series_stages").set_value(f"init={f['step0']}").run()
    assert not _series_charts(at)


def test_a_series_mistake_is_one_error_line(trained_series, monkeypatch, tmp_path):
    at = _open_compare(monkeypatch, tmp_path / "cache")
    at.text_area(key="series_stages").set_value(f"a={trained_series.folders['step0']}\na=x")
    at.multiselect(key="series_datasets").set_value(["builtin-coinflip"]).run()
    assert not at.exception
    assert [e.value for e in at.error if "given twice" in e.value]
    at.radio(key="series_mode").set_value("Hub revisions").run()
    assert at.text_input(key="series_model") and at.text_input(key="series_revisions")
