"""AppTest of the Cognition vs expression page on a multiple-choice set (ARC-Easy, offline) with tiny:gpt2."""

from __future__ import annotations


def test_expression_page_reads_multiple_choice_by_letter_and_option_text(charts, open_page, set_env, trace_names,
                                                                         tmp_path):
    set_env(tmp_path / "cache")
    at = open_page("app_pages/expression.py")
    at.selectbox(key="model_choice").select("tiny:gpt2 (random test model)").run()
    at.radio(key="dataset_source").set_value("Paper dataset").run()
    at.selectbox(key="dataset_Paper dataset").set_value("arc-easy").run()
    assert not at.exception
    assert not [t for t in at.text_input if t.key.startswith("x_word")]  # no answer words for questions
    at.number_input(key="x_limit").set_value(20)
    at.multiselect(key="x_shots").set_value([0, 1])
    at.checkbox(key="x_probe").uncheck()
    at.button(key="x_run").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    labels = [m.label for m in at.metric]
    assert labels == ["Best probe accuracy", "Letter accuracy", "Option-text accuracy", "Gap", "pass@1",
                      "Best few-shot"]
    assert any("evaluated questions" in c.value and "mean 1/k" in c.value for c in at.caption)
    gap, shots, passn, _scatter = charts(at)
    chance = [t for t in gap["data"] if (t.get("meta") or {}).get("role") == "chance"]
    assert chance and chance[0]["name"].endswith("(mean 1/k)") and 0.2 <= chance[0]["y"][0] <= 0.34
    assert "option-text accuracy" in trace_names(shots)
    assert any(n.startswith("uniform guesser") for n in trace_names(passn))
    assert not any(n.startswith("coin flipper") for n in trace_names(passn))
