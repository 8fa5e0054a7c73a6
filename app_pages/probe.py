"""Probe: pick model, dataset, bit width, noise and options; run; see the layer curves."""

from dataclasses import replace

import streamlit as st

import concept_depth as cd
import ui

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

components = st.multiselect("Also probe these hooks (component curves)", cd.choices.HOOKS, key="probe_components",
                            help="the same model and dataset read at other places of each block: the residual "
                                 "stream, what each block's attention adds (attn_out) and what its MLP adds "
                                 "(mlp_out); overlaid below the result")
if st.button("Run probe", type="primary", disabled=spec is None, key="run"):
    result = ui.execute_run(spec, key="probe")
    if result is not None:
        st.session_state["probe_result"] = result.to_json()
        for hook in components:
            if hook != spec.extraction.hook:
                ui.execute_run(replace(spec, extraction=replace(spec.extraction, hook=hook)), key=f"probe-{hook}")
ui.show_cancelled_notice()

if st.session_state.get("probe_result"):
    with ui.show_errors("result"):
        shown = cd.RunResult.from_json(st.session_state["probe_result"])
        ui.show_run(shown, key="probe")
        parts = ui.component_runs(shown)
        if len(parts) > 1:
            ui.figure_with_downloads(cd.figures.component_curves(parts),
                                     f"components-{shown.spec.get('dataset')}-{shown.key[:8]}",
                                     note=cd.figures.what_this_shows("components"), key="probe-components")
        st.page_link("app_pages/layers.py", label="Look at this run layer by layer", icon=":material/layers:")
