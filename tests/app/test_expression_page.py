"""AppTest of the Cognition vs expression page with the tiny random gpt2 and a built-in dataset."""

from __future__ import annotations


def _pick(pick_tiny, at, words=None):
    at = pick_tiny(at, model="tiny:gpt2", limit=24, limit_key="x_limit")
    at.multiselect(key="x_shots").set_value([0, 1])
    if words:
        at.text_input(key="x_word0_No").set_value(words[0])
        at.text_input(key="x_word1_Yes").set_value(words[1])
    return at


def test_expression_page_runs_and_shows_figures(charts, open_page, pick_tiny, set_env, trace_names, tmp_path,
                                                monkeypatch):
    set_env(tmp_path / "cache")
    at = open_page("app_pages/expression.py")
    assert not at.exception
    assert any("No expression analyses cached yet" in i.value for i in at.info)
    at = _pick(pick_tiny, at)
    at.button(key="x_run").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    labels = [m.label for m in at.metric]
    assert labels == ["Best probe accuracy", "Answer accuracy", "Gap", "pass@1", "Answer AUC", "Best few-shot"]
    gap, shots, passn, scatter = charts(at)
    assert any(t.get("fill") == "tonexty" for t in gap["data"])  # the gap is shaded
    assert "probe (what the layer knows)" in trace_names(gap)
    assert [t["x"] for t in shots["data"]][0] == [0, 1]
    assert {"k = 0", "k = 1"} <= set(trace_names(passn))
    assert "Pearson r needs" in scatter["layout"]["title"]["text"]
    table = at.dataframe[-1].value
    assert list(table.columns) == ["layer", "probe_accuracy", "lens_accuracy", "gap"]


def test_expression_page_bad_answer_words_show_an_error(open_page, pick_tiny, set_env, tmp_path, monkeypatch):
    set_env(tmp_path / "cache")
    at = _pick(pick_tiny, open_page("app_pages/expression.py"), words=("Negative", "Positive"))
    at.button(key="x_run").click().run()
    assert not at.exception
    assert any("single token" in e.value for e in at.error), [e.value for e in at.error]
