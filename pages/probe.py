"""Probe: pick model, dataset, bit width, noise and options; run; see the layer curves."""

import streamlit as st

import ui
from concept_depth.results import RunResult

ui.ensure_navigation()

st.title("Probe")
st.caption("Pick a model and a dataset, then train one linear probe per layer.")

model = dataset = spec = None
chat_template = False
with ui.show_errors("model"):
    model = ui.forms.model_picker()
    chat_template = ui.forms.chat_template_toggle(model)
with ui.show_errors("dataset"):
    dataset = ui.forms.dataset_picker()
settings = dict(ui.forms.settings(), chat_template=chat_template)
if model is not None and dataset is not None:
    with ui.show_errors("settings"):
        spec = ui.forms.build_run_spec(model, dataset, settings)

if st.button("Run probe", type="primary", disabled=spec is None, key="run"):
    result = ui.execute_run(spec, key="probe")
    if result is not None:
        st.session_state["probe_result"] = result.to_json()
ui.show_cancelled_notice()

if st.session_state.get("probe_result"):
    with ui.show_errors("result"):
        ui.show_run(RunResult.from_json(st.session_state["probe_result"]), key="probe")
        st.page_link("pages/layers.py", label="Look at this run layer by layer", icon=":material/layers:")
