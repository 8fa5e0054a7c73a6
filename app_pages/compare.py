"""Compare: overlay cached runs, heatmaps of depth metrics, difference curves against float32 clean."""

import streamlit as st

import concept_depth as cd
import ui

F = cd.figures

st.title("Compare")
st.caption("Line up runs across models, datasets, bit widths and noise.")

# ---- model families: a models x datasets grid, run where missing, drawn as in the paper -------------
st.subheader("Model families")
st.caption("The paper's comparison: pick models and datasets. Runs missing from the cache are computed "
           "(cached ones are reused), then each dataset gets a panel with every model's accuracy against relative "
           "depth, and the model × dataset heatmap shows where each concept is acquired.")
grid_items = []
with ui.show_errors("grid"):
    grid = ui.forms.grid_picker(key="fam")
    if grid["models"] and grid["datasets"]:
        grid_items = ui.plan_grid(grid["models"], grid["datasets"], quant=grid["quant"], limit=grid["limit"])
if grid_items:
    missing = [it for it, r in zip(grid_items, ui.stored_grid_runs(grid_items)) if r is None]
    label = (f"Run the {len(missing)} missing run{'s' if len(missing) != 1 else ''} and draw" if missing
             else f"All {len(grid_items)} runs are cached")
    if missing:  # before it starts: how long, from this machine's rates, and what is cached already
        st.caption(ui.grid_time_note(grid_items))
    if st.button(label, type="primary", disabled=not missing, key="fam_run",
                 help="runs one probe per missing model × dataset pair (each model is loaded once), with progress; "
                      "Cancel keeps what finished"):
        comparison, took = ui.execute_grid(grid_items, key="families")
        if comparison is not None:  # redraw with the new runs (the button's label too), keeping what happened
            st.session_state["fam_done"] = dict(took=took, failures=[
                f"{o.item.names[0]} · {o.item.names[2]}: {o.error}" for o in comparison.failures])
            st.rerun()
    ui.show_cancelled_notice()
    done = st.session_state.pop("fam_done", None)
    if done:
        if done["took"]:
            st.caption(done["took"])
        for failure in done["failures"]:
            st.warning(f"failed: {ui.escape_markdown(failure)}")
    found = [r for r in ui.stored_grid_runs(grid_items) if r is not None]
    if found:
        if len(found) < len(grid_items):
            st.caption(f"{len(found)} of {len(grid_items)} runs of this grid are cached; drawn below. Run the "
                       "missing ones to complete it.")
        tab_panels, tab_grid_heat = st.tabs(["Panels by dataset", "Heatmap"])
        with tab_panels, ui.show_errors("families figure"):
            fig = F.family_panels(found)
            ui.figure_with_downloads(fig, "families", note=F.what_this_shows("families"), key="fam-panels",
                                     size_in=(10.0, round(fig.layout.height / 96, 2)))
        with tab_grid_heat, ui.show_errors("heatmap"):
            fam_value = st.selectbox("Value", ["jumping_point", "converging_point", "peak_accuracy"],
                                     format_func=lambda v: v.replace("_", " "), key="fam_heat_value")
            ui.figure_with_downloads(F.depth_heatmap(found, value=fam_value, relative=True), f"families-{fam_value}",
                                     note=F.what_this_shows("heatmap"), key="fam-heat")
    else:
        st.info("None of these runs is cached yet: press Run to compute them.")

ui.checkpoint_series()  # one model at several training stages: cognition beside expression (ui/series.py)

st.subheader("Cached runs")
runs = ui.runs_or_notice("No cached runs yet. Run probes on the Probe page or a grid above (or import results on "
                         "the Runs page).")

filtered = ui.filter_runs(runs, key="cmp")
if not filtered:
    st.warning("No run matches these filters.")
    st.stop()
by_key = {r.key: r for r in filtered}
selected = ui.pick_runs(filtered, key="cmp_runs")  # a grid's new runs join the selection at once
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
            fig = F.layer_curves(selected, metrics=(metric,), x=xk, show_control=False)
            ui.figure_with_downloads(fig, "compare-curves", note=F.what_this_shows("curves"), key="cmp-curves",
                                     height=520)
with tab_heat:
    value = st.selectbox("Value", ["jumping_point", "converging_point", "peak_accuracy"],
                         format_func=lambda v: v.replace("_", " "), key="cmp_heat_value")
    relative = st.toggle("Layers as relative depth", value=True, key="cmp_heat_rel")
    st.caption("Uses the filtered runs; where several share a model and dataset, the newest wins "
               "(filter by bit width and noise to choose).")
    with ui.show_errors("heatmap"):
        fig = F.depth_heatmap(filtered, value=value, relative=relative)
        ui.figure_with_downloads(fig, f"heatmap-{value}", note=F.what_this_shows("heatmap"), key="cmp-heat")
with tab_diff:
    pairs = ui.pair_with_baselines(selected, runs)
    missing = ui.missing_difference_message(selected, runs)
    if missing:
        st.info(ui.escape_markdown(missing))
    else:
        # paired tests, depth shifts and fidelity of each pair (issue 15); cached by the runs' content
        comparisons = ui.pair_comparisons(pairs)
        with ui.show_errors("difference curves"):
            fig = F.difference_curves(pairs, metric=metric, x=xk, paired=[c.paired for c in comparisons])
            ui.figure_with_downloads(fig, "difference-curves", note=F.what_this_shows("difference"), key="cmp-diff")
            st.caption(ui.band_caption(comparisons, (fig.layout.meta or {}).get("interval_method"), metric))
        ui.show_comparison_details(comparisons, metric=metric)
with tab_parts:
    anchor_key = st.selectbox("Run", list(by_key), format_func=lambda k: ui.run_option(by_key[k]), key="cmp_parts_run",
                              help="its residual / attention / MLP runs (same settings, other hook) are overlaid")
    parts = ui.component_runs(by_key[anchor_key]) if anchor_key else []
    if len(parts) < 2:
        st.info("No run of the same model, dataset and settings with another hook is cached. Probe it with hook "
                "attn_out and mlp_out (Probe page, or `--hook attn_out` on the command line) to compare components.")
    else:
        with ui.show_errors("component curves"):
            fig = F.component_curves(parts, metric=metric, x=xk)
            ui.figure_with_downloads(fig, "component-curves", note=F.what_this_shows("components"), key="cmp-parts")
