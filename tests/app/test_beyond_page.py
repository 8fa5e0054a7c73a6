"""AppTest of the Beyond-the-paper page (transfer, direction stability, steering) with tiny random models."""

from __future__ import annotations


def _setup(at, limit=24):
    at.selectbox(key="model_choice").select("tiny:gpt2 (random test model)").run()
    at.number_input(key="b_limit").set_value(limit).run()
    return at


def _roles(fig):
    return [(t.get("meta") or {}).get("role") for t in fig["data"]]


def test_page_runs_all_three_analyses_and_shows_their_figures(charts, open_page, set_env, tmp_path):
    set_env(tmp_path / "cache")
    at = open_page("app_pages/beyond.py")
    assert not at.exception
    infos = " ".join(i.value for i in at.info)
    assert "No transfer results" in infos and "No direction analyses" in infos and "No steering results" in infos
    at = _setup(at)

    at.multiselect(key="b_t_datasets").set_value(["builtin-capitals", "builtin-coinflip"]).run()
    at.button(key="b_t_run").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    figs = charts(at)
    heat = next(f for f in figs if _roles(f) == ["transfer"])
    assert heat["data"][0]["x"] == ["builtin-capitals", "builtin-coinflip"]
    assert any(r == "pair" for f in figs for r in _roles(f))
    assert len(at.select_slider) == 1 and at.select_slider[0].label == "Layer"
    at.select_slider[0].set_value(1).run()
    assert not at.exception
    assert next(f for f in charts(at) if _roles(f) == ["transfer"])["data"][0]["meta"]["layer"] == 1

    at.selectbox(key="b_d_dataset").set_value("builtin-capitals")
    at.multiselect(key="b_d_noises").set_value(["none", "paper"]).run()
    at.button(key="b_d_run").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    figs = charts(at)
    assert any(_roles(f) == ["layer-cosine"] for f in figs)
    assert any("cross-accuracy" in _roles(f) for f in figs)

    at.selectbox(key="b_s_dataset").set_value("builtin-capitals")
    at.text_input(key="b_s_alpha").set_value("-2,2")
    at.text_input(key="b_s_layers").set_value("1,2").run()
    at.button(key="b_s_run").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    steer = next(f for f in charts(at) if "probe-accuracy" in _roles(f))
    assert _roles(steer).count("probe") == 2 and _roles(steer).count("random") == 2
    assert [m.label for m in at.metric][:2] == ["Baseline p(Yes) on true", "Largest move (probe)"]
    assert any(b.label == "Result JSON" for b in at.get("download_button"))


def test_bad_settings_are_one_message_not_a_traceback(open_page, set_env, tmp_path):
    set_env(tmp_path / "cache")
    at = _setup(open_page("app_pages/beyond.py"))
    at.text_input(key="b_s_alpha").set_value("strong").run()
    at.button(key="b_s_run").click().run()
    assert not at.exception
    assert any("--alpha must be" in e.value for e in at.error)
    at.multiselect(key="b_t_datasets").set_value([]).run()
    at.button(key="b_t_run").click().run()
    assert any("at least one value" in e.value for e in at.error)
