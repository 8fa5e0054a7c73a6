"""The ui package's behaviour inside a running script: cached models, cancel flag, errors."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest


def _model_script():
    import streamlit as st

    import ui
    from concept_depth.core.specs import ModelSpec

    a = ui.model_loader(ModelSpec(source="tiny:llama"))
    b = ui.model_loader(ModelSpec(source="tiny:llama"))
    st.write(f"same object: {a is b}")
    c = ui.model_loader(ModelSpec(source="tiny:gpt2"))
    d = ui.model_loader(ModelSpec(source="tiny:llama"))
    st.write(f"kept beside another model: {d is a}; arch {c.arch}")


def test_small_models_stay_loaded_side_by_side_and_are_reused():
    # Two sessions using two small models no longer evict and reload each other's model.
    at = AppTest.from_function(_model_script, default_timeout=90).run()
    assert not at.exception
    texts = [m.value for m in at.markdown]
    assert "same object: True" in texts
    assert any(t.startswith("kept beside another model: True") for t in texts)


def _progress_script():
    import streamlit as st

    import ui
    from concept_depth.core.progress import ProgressEvent

    bar = ui.StreamlitProgress()
    first = bar(ProgressEvent("extract", 10, 40, rate=5.0, eta_s=6.0))
    ui.request_cancel()
    second = bar(ProgressEvent("extract", 20, 40, rate=5.0, eta_s=4.0))
    st.write(f"continue: {first}, after cancel: {second}")
    with ui.show_errors("run failed"):
        from concept_depth.core.errors import UnavailableError

        raise UnavailableError("8-bit needs bitsandbytes with a GPU here")
    with ui.show_errors():
        raise RuntimeError("boom")
    st.write("page still running")


def test_progress_adapter_shows_eta_and_honours_cancel_and_errors_are_readable():
    at = AppTest.from_function(_progress_script, default_timeout=30).run()
    assert not at.exception
    assert "continue: True, after cancel: False" in [m.value for m in at.markdown]
    assert "page still running" in [m.value for m in at.markdown]
    assert at.error[0].value == "run failed: 8-bit needs bitsandbytes with a GPU here"
    assert "unexpected RuntimeError: boom" in at.error[1].value
    texts = [p.proto.text for p in at.get("progress")]
    assert texts and "20/40 prompts" in texts[0] and "ETA 4 s" in texts[0]


def _first_run_script():
    import streamlit as st

    import ui
    from concept_depth.core.progress import ProgressEvent

    times = iter([0.0, 0.0, 1.0, 30.0, 60.0, 62.0, 62.5, 80.0])
    bar = ui.StreamlitProgress(clock=lambda: next(times))
    bar(ProgressEvent("load", 0, 1, unit="model"))
    bar(ProgressEvent("convert", 0, 4, unit="steps", detail="converting the tokenizer"))
    bar(ProgressEvent("convert", 2, 4, unit="steps", detail="dequantising the weights"))
    st.session_state["mid"] = bar.shares_line(running="convert")
    bar(ProgressEvent("convert", 4, 4, unit="steps", detail="saving the safetensors copy"))
    bar(ProgressEvent("load", 1, 1, unit="model"))
    bar(ProgressEvent("extract", 0, 200, unit="prompts"))
    bar(ProgressEvent("extract", 200, 200, rate=11.1, unit="prompts"))
    st.write(st.session_state["mid"])
    st.write(bar.summary())


def test_first_run_shows_every_stage_with_its_text_and_share_of_the_time():
    at = AppTest.from_function(_first_run_script, default_timeout=30).run()
    assert not at.exception
    mid, summary = [m.value for m in at.markdown][-2:]
    assert mid.startswith("30 s so far") and "converting the embedded model (first use only) 30 s (100%)" in mid
    assert summary == ("Took 1 min 20 s: loading the model 2 s (2%) · converting the embedded model (first use only) "
                       "1 min 00 s (75%) · extracting layer vectors 18 s (22%)")
    texts = [p.proto.text for p in at.get("progress")]
    # one bar per stage, with the engine's stage text
    assert any(t.startswith("converting the embedded model (first use only): saving the safetensors copy · 4/4 steps")
               for t in texts)
    assert any(t == "loading the model · done" for t in texts)
