"""Runs: sweeps with their progress; every cached run with spec, size and date; delete; export a bundle;
import result JSON files."""

from datetime import datetime

import streamlit as st

import concept_depth as cd
import ui

st.title("Runs")
store = ui.get_store()
st.caption(f"Cache: `{store.directory}`")

with st.expander("Import result JSON files (e.g. from a sweep on a GPU server)"):
    files = st.file_uploader("Result files written by `python -m concept_depth run --out`", type=["json"],
                             accept_multiple_files=True, key="import_files")
    if files and st.button("Import", key="import"):
        with ui.show_errors("import"):  # validated, stored apart from computed runs, clashes refused
            for outcome in ui.import_results(store, [(f.name, f.getvalue()) for f in files]).outcomes:
                (st.success if outcome.ok else st.error)(ui.escape_markdown(outcome.message))
        ui.bump_data_version()

ui.sweeps_panel(store)  # sweeps with their progress (a sweep running beside the app lands its runs here)
runs = ui.runs_or_notice("No cached runs yet. Run a probe, or import result files above.")

sizes = {}
with ui.show_errors("cache sizes"):
    for e in store.entries():
        sizes[(e.kind, e.key)] = e.size_bytes
ui.runs_dataframe(ui.runs_page_frame(runs))
st.caption(f"{len(runs)} runs · cache size {store.total_bytes() / 1e6:.1f} MB · origin: probe = a probe run, "
           "expression = the probe step of an expression analysis, sweep, or import = a result file")
with st.expander("Every spec field of every run, with key and size (the runs.csv of a bundle)"):
    full = ui.runs_full_table(runs)
    full.insert(1, "activations (MB)", [round(sizes.get(("activations", r.extra.get("activation_key")), 0) / 1e6, 2)
                                        for r in runs])
    st.dataframe(full, hide_index=True, width="stretch")

by_key = {r.key: r for r in runs}
st.subheader("Details")
keys = list(by_key)
wanted = st.query_params.get("run")
key = st.selectbox("Run", keys, index=keys.index(wanted) if wanted in keys else 0,
                   format_func=lambda k: ui.run_option(by_key[k]), key="runs_pick")
run = by_key[key]
with st.expander("Full spec and depth definition"):
    st.json({"key": run.key, "created": run.created, "spec": run.spec, "depth": run.to_dict()["depth"],
             "timing": run.timing})
ui.figure_with_downloads(cd.figures.layer_curves(run), f"curves-{run.key[:8]}",
                         note=cd.figures.what_this_shows("curves", run),
                         key="runs-detail", height=380)
c1, c2 = st.columns(2)
imported = run.origin == "import"
confirm = c1.checkbox("Also delete its layer vectors", key="del_acts", disabled=imported,
                      help="an imported run's layer vectors were made elsewhere: vectors stored here under the "
                           "same key belong to runs computed here and stay" if imported else
                           "activations are shared by runs with different probe settings")
if c2.button("Delete this run", key="delete"):
    with ui.show_errors("delete"):
        ui.delete_stored_run(run, with_vectors=confirm)
        st.rerun()

st.subheader("Export a bundle")
picked = st.multiselect("Runs", list(by_key), default=list(by_key), format_func=lambda k: ui.run_option(by_key[k]),
                        key="bundle_runs")
with_figs = st.checkbox("Include curve figures (SVG, takes a few seconds each)", value=False, key="bundle_figs")
st.download_button(
    "Download bundle (.zip)", key="bundle",
    data=lambda: ui.bundle_bytes([by_key[k] for k in picked], figures=with_figs),
    file_name=f"concept-depth-{datetime.now():%Y%m%d-%H%M}.zip", mime="application/zip", on_click="ignore",
    disabled=not picked, help="results/*.json, tidy.csv (run x layer x metric), runs.csv, figures/, manifest.json",
)
