"""Compare: overlay cached runs, heatmaps of depth metrics, difference curves against float32 clean."""

import streamlit as st

import ui
from concept_depth.figures import (component_curves, component_runs, depth_heatmap, difference_curves, layer_curves,
                                   pair_with_baselines, what_this_shows)
from concept_depth.figures.difference import missing_difference_message

ui.ensure_navigation()

st.title("Compare")
st.caption("Line up runs across models, datasets, bit widths and noise.")

runs = ui.runs_or_notice("No cached runs yet. Run probes on the Probe page (or import results on the Runs page).")

filtered = ui.filter_runs(runs, key="cmp")
if not filtered:
    st.warning("No run matches these filters.")
    st.stop()
by_key = {r.key: r for r in filtered}
picked = st.multiselect("Runs to overlay", list(by_key), default=list(by_key)[:6],
                        format_func=lambda k: ui.run_option(by_key[k]), key="cmp_runs")
selected = [by_key[k] for k in picked]
c1, c2 = st.columns(2)
x = c1.radio("x-axis", ["relative depth", "layer"], horizontal=True, key="cmp_x",
             help="relative depth = layer / layers, so models of different depth line up")
metric = c2.radio("Metric", ["accuracy", "f1", "auc"], horizontal=True, key="cmp_metric")
xk = "relative" if x == "relative depth" else "layer"

tab_curves, tab_heat, tab_diff, tab_parts = st.tabs(["Curves", "Heatmaps", "Difference vs float32 clean",
                                                     "Components"])
with tab_curves:
    if not selected:
        st.warning("Pick at least one run.")
    else:
        with ui.show_errors("curves"):
            fig = layer_curves(selected, metrics=(metric,), x=xk, show_control=False)
            ui.figure_with_downloads(fig, "compare-curves", note=what_this_shows("curves"), key="cmp-curves",
                                     height=520)
with tab_heat:
    value = st.selectbox("Value", ["jumping_point", "converging_point", "peak_accuracy"],
                         format_func=lambda v: v.replace("_", " "), key="cmp_heat_value")
    relative = st.toggle("Layers as relative depth", value=True, key="cmp_heat_rel")
    st.caption("Uses the filtered runs; where several share a model and dataset, the newest wins "
               "(filter by bit width and noise to choose).")
    with ui.show_errors("heatmap"):
        fig = depth_heatmap(filtered, value=value, relative=relative)
        ui.figure_with_downloads(fig, f"heatmap-{value}", note=what_this_shows("heatmap"), key="cmp-heat")
with tab_diff:
    pairs = pair_with_baselines(selected, runs)
    missing = missing_difference_message(selected, runs)
    if missing:
        st.info(missing)
    else:
        with ui.show_errors("difference curves"):
            fig = difference_curves(pairs, metric=metric, x=xk)
            ui.figure_with_downloads(fig, "difference-curves", note=what_this_shows("difference"), key="cmp-diff")
            method = (fig.layout.meta or {}).get("interval_method")
            st.caption(f"Band: {method}. The two runs of a pair score the same held-out samples (same dataset, "
                       "limit and split), so a paired interval would be narrower: this band is conservative."
                       if method else
                       f"No band: an interval is computed for accuracy only, not for {metric}.")
with tab_parts:
    anchor_key = st.selectbox("Run", list(by_key), format_func=lambda k: ui.run_option(by_key[k]), key="cmp_parts_run",
                              help="its residual / attention / MLP runs (same settings, other hook) are overlaid")
    parts = component_runs(runs, by_key[anchor_key]) if anchor_key else []
    if len(parts) < 2:
        st.info("No run of the same model, dataset and settings with another hook is cached. Probe it with hook "
                "attn_out and mlp_out (Probe page, or `--hook attn_out` on the command line) to compare components.")
    else:
        with ui.show_errors("component curves"):
            fig = component_curves(parts, metric=metric, x=xk)
            ui.figure_with_downloads(fig, "component-curves", note=what_this_shows("components"), key="cmp-parts")
