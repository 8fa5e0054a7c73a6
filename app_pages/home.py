"""Home: what the tool measures, a one-click quick start, the most recent cached runs."""

import os

import streamlit as st

import concept_depth as cd
import ui

st.title("Concept Depth Explorer")
st.markdown(
    "A language model builds its representation of a sentence layer by layer. For each layer, this tool "
    "trains a simple linear probe to read a concept (is the statement true? is the review positive?) off "
    "that layer's vectors, and reports how accurately it can. The layer where accuracy jumps is the "
    "concept's **depth**: the paper finds factual concepts readable earlier than emotional and "
    "inferential ones, and you can check how bit width and noisy inputs move that depth."
)

# The quick-start model can be swapped for a tiny random one in tests.
QUICK_MODEL = os.environ.get("CONCEPT_DEPTH_QUICKSTART_MODEL", "embedded")
QUICK_DATASET = "builtin-coinflip"

st.subheader("Quick start")
QUICK_LIMIT = 200
QUICK_NAME = "Gemma 3 270M" if QUICK_MODEL == "embedded" else QUICK_MODEL
st.write(f"Probe the embedded Gemma 3 270M on the built-in coin-flip task ({QUICK_DATASET}, {QUICK_LIMIT} samples, "
         "no download). " + ui.run_time_note(QUICK_MODEL, 32, QUICK_LIMIT, QUICK_NAME) + " The first use "
         "converts the embedded model once; a progress bar shows each step and its share of the time, and a run "
         "already made comes straight from the cache.")
if st.button("Run the quick start", type="primary", key="quickstart"):
    spec = cd.RunSpec.from_options(model=QUICK_MODEL, dataset=QUICK_DATASET, limit=QUICK_LIMIT)
    result = ui.execute_run(spec, key="quick")
    if result is not None:
        st.session_state["probe_result"] = result.to_json()
        st.success(f"Done: {result.label}. It is the latest probe run below; the Layers page shows its PCA views.")
ui.show_cancelled_notice()

st.subheader("Recent runs")
runs = ui.runs_or_notice("No cached runs yet: use the quick start above or the Probe page.", stop=False)
if runs:
    ui.runs_static_table(ui.runs_frame(runs[:10]))
    latest = ui.latest_probe_run(runs)
    if latest is None:
        st.info("Every cached run so far is the probe step of an expression analysis (or an import); "
                "run a probe (quick start or the Probe page) to see it here.")
    else:
        st.markdown(f"**Latest probe run:** {ui.escape_markdown(ui.run_name(latest))}")
        ui.headline(latest)
        ui.figure_with_downloads(cd.figures.layer_curves(latest), f"curves-{latest.key[:8]}",
                                 note=cd.figures.what_this_shows("curves", latest), key="home-latest")
    st.page_link("app_pages/layers.py", label="Explore a run layer by layer", icon=":material/layers:")
    st.page_link("app_pages/compare.py", label="Compare runs", icon=":material/compare:")
