"""Beyond the paper: does a concept transfer between datasets, where does its direction turn, does the model use it?"""

import streamlit as st

import ui
from concept_depth.analyses import (
    list_directions_results,
    list_steering_results,
    list_transfer_results,
    run_directions,
    run_steer,
    run_transfer,
)
from concept_depth.analyses.builders import directions_spec, steer_spec, transfer_spec
from concept_depth.core.errors import BadInputError
from concept_depth.core.specs import HOOKS, NOISE_KINDS, PROBE_NAMES, QUANTS
from concept_depth.figures import (
    layer_cosine_heatmap,
    setting_cosine_curves,
    steering_figure,
    transfer_curves,
    transfer_heatmap,
    what_this_shows,
)

ui.ensure_navigation()

st.title("Beyond the paper")
st.caption("Three questions the accuracy curve leaves open: does the concept learned on one dataset read another "
           "(transfer)? Does its direction stay put across layers, bit widths and noise (direction stability)? "
           "Does the model use it when it answers (steering)? Everything is cached by its settings: the same "
           "settings show the stored result at once.")

model = None
with ui.show_errors("model"):
    model = ui.forms.model_picker()
c1, c2 = st.columns(2)
limit = ui.forms.sample_limit(key="b_limit", container=c1)
quant = c2.selectbox("Bit width", QUANTS, key="b_quant",
                     format_func=lambda q: {32: "32 (float32)", 16: "16 (bfloat16)", 8: "8 (int8)", 4: "4 (NF4)"}[q])

names, available = [], []
with ui.show_errors("datasets"):
    infos = ui.catalog()
    names = [d.name for d in infos]
    available = [d.name for d in infos if d.available]


def common_options() -> dict:
    if not model:
        raise BadInputError("pick a model (or type a hub id or local path)")
    return dict(model=model, quant=int(quant), limit=limit)


def run_analysis(fn, spec, *, key: str, what: str):
    """``fn(spec)`` (an engine analysis) through the app's one job runner, with the cached model."""
    return ui.run_job(lambda progress: fn(spec, store=ui.get_store(), model_loader=ui.loader_for(progress),
                                          progress=progress), key=key, what=what)


def pick_result(list_results, key: str, wanted: str | None):
    """A selectbox over the stored results of one analysis (newest first); None when there are none."""
    results = []
    with ui.show_errors("cached results"):
        results = list_results(ui.get_store())
    if not results:
        return None
    keys = [r.key for r in results]
    by_key = {r.key: r for r in results}
    choice = st.selectbox("Show result", keys, index=keys.index(wanted) if wanted in keys else 0, key=key,
                          format_func=lambda k: f"{by_key[k].label} · {by_key[k].spec.get('probe')} · {k[:8]}")
    return by_key[choice]


def json_download(result, name: str, key: str) -> None:
    st.download_button("Result JSON", result.to_json(), file_name=f"{name}-{result.key[:8]}.json",
                       mime="application/json", key=key)


tab_transfer, tab_directions, tab_steer = st.tabs(["Transfer", "Direction stability", "Steering"])

# ---- transfer ----------------------------------------------------------------------------------
with tab_transfer:
    st.markdown("Train a probe at each layer on dataset A (60 % split), test it on dataset B's held-out 40 %, "
                "for every ordered pair. Does 'truth' learned on cities read counterfact?")
    default = [n for n in ("cities", "counterfact", "common") if n in available] or available[:2]
    t1, t2, t3 = st.columns([3, 1, 1])
    chosen = t1.multiselect("Datasets", names, default=default, key="b_t_datasets")
    t_probe = t2.selectbox("Probe", list(PROBE_NAMES), key="b_t_probe", format_func=PROBE_NAMES.get)
    t_hook = t3.selectbox("Hook", HOOKS, key="b_t_hook")
    if st.button("Run transfer", type="primary", key="b_t_run"):
        spec = None
        with ui.show_errors("settings"):
            spec = transfer_spec(dataset=chosen, probe=t_probe, hook=t_hook, **common_options())
        if spec is not None:
            result = run_analysis(run_transfer, spec, key="b_t", what="transfer")
            if result is not None:
                st.session_state["b_t_key"] = result.key
    res = pick_result(list_transfer_results, "b_t_show", st.session_state.get("b_t_key"))
    if res is None:
        st.info("No transfer results cached yet: pick two or more datasets and press Run transfer.")
    else:
        with ui.show_errors("figures"):
            best = res.summary.get("best_transfer_layer")
            layer = st.select_slider("Layer", options=list(res.layers),
                                     value=best if best in res.layers else res.layers[-1], key=f"b_t_layer_{res.key}")
            metric = st.radio("Score", ["accuracy", "auc"], horizontal=True, key="b_t_metric",
                              format_func=lambda m: {"accuracy": "accuracy", "auc": "ROC-AUC"}[m])
            ui.figure_with_downloads(transfer_heatmap(res, layer=layer, metric=metric),
                                     f"transfer-{res.key[:8]}-layer{layer}", note=what_this_shows("transfer"),
                                     key="b_t_heat")
            ui.figure_with_downloads(transfer_curves(res, metric=metric), f"transfer-curves-{res.key[:8]}",
                                     note=what_this_shows("transfer_curves"), key="b_t_curves")
            for note in res.notes:
                st.caption(f"Note: {note}")
            json_download(res, "transfer", "b_t_json")

# ---- direction stability -----------------------------------------------------------------------
with tab_directions:
    st.markdown("The concept direction at each layer (from a linear probe on the training split): how similar "
                "it is between layers, and whether a lower bit width or noisy input turns it.")
    d1, d2, d3, d4 = st.columns(4)
    d_dataset = d1.selectbox("Dataset", names, index=names.index(available[0]) if available else 0, key="b_d_dataset")
    d_quants = d2.multiselect("Bit widths", QUANTS, default=[int(quant)], key="b_d_quants",
                              help="the first bit width and noise are the reference")
    d_noises = d3.multiselect("Noise", NOISE_KINDS, default=["none"], key="b_d_noises")
    d_probe = d4.selectbox("Direction from", ["mass-mean", "lr"], key="b_d_probe", format_func=PROBE_NAMES.get)
    if st.button("Run direction stability", type="primary", key="b_d_run"):
        spec = None
        with ui.show_errors("settings"):
            options = common_options()
            options.pop("quant")
            if not d_quants or not d_noises:
                raise BadInputError("pick at least one bit width and one noise setting")
            spec = directions_spec(dataset=d_dataset, quant=d_quants, noise=d_noises, probe=d_probe, **options)
        if spec is not None:
            result = run_analysis(run_directions, spec, key="b_d", what="direction analysis")
            if result is not None:
                st.session_state["b_d_key"] = result.key
    res = pick_result(list_directions_results, "b_d_show", st.session_state.get("b_d_key"))
    if res is None:
        st.info("No direction analyses cached yet: pick a dataset and press Run direction stability.")
    else:
        with ui.show_errors("figures"):
            setting = st.selectbox("Setting", list(res.settings), key=f"b_d_setting_{res.key}")
            ui.figure_with_downloads(layer_cosine_heatmap(res, setting=setting), f"directions-{res.key[:8]}",
                                     note=what_this_shows("layer_cosine"), key="b_d_heat", height=560)
            if len(res.settings) > 1:
                ui.figure_with_downloads(setting_cosine_curves(res), f"directions-settings-{res.key[:8]}",
                                         note=what_this_shows("setting_cosine"), key="b_d_settings", height=620)
            else:
                st.caption("Add a second bit width or noise setting to compare directions between settings.")
            for note in res.notes:
                st.caption(f"Note: {note}")
            json_download(res, "directions", "b_d_json")

# ---- steering -------------------------------------------------------------------------------------
with tab_steer:
    st.markdown("Push the last token's residual stream along the probe direction (α × the layer's typical "
                "norm) and watch the model's answer move, against a random push of the same size. It runs "
                "1 + 2 × layers × α forward passes over the held-out prompts: start with a few layers.")
    s1, s2, s3, s4, s5 = st.columns(5)
    s_dataset = s1.selectbox("Dataset", names, index=names.index(available[0]) if available else 0, key="b_s_dataset")
    s_alpha = s2.text_input("α values", "-4,-2,2,4", key="b_s_alpha", help="comma-separated, both signs")
    s_layers = s3.text_input("Layers", "", key="b_s_layers", placeholder="all",
                             help="comma-separated residual layers (empty = all; 0 = embeddings)")
    s_probe = s4.selectbox("Direction from", ["mass-mean", "lr"], key="b_s_probe", format_func=PROBE_NAMES.get)
    s_norm = s5.selectbox("Unit of α", ["centered", "raw"], key="b_s_norm",
                          help="centered: median distance of the layer's last-token vectors from their mean; raw: "
                               "their median norm (in Gemma dominated by a few huge, nearly constant dimensions)")
    if st.button("Run steering", type="primary", key="b_s_run"):
        spec = None
        with ui.show_errors("settings"):
            spec = steer_spec(dataset=s_dataset, alpha=s_alpha, layers=s_layers or None, probe=s_probe, norm=s_norm,
                              **common_options())
        if spec is not None:
            result = run_analysis(run_steer, spec, key="b_s", what="steering")
            if result is not None:
                st.session_state["b_s_key"] = result.key
    res = pick_result(list_steering_results, "b_s_show", st.session_state.get("b_s_key"))
    if res is None:
        st.info("No steering results cached yet: pick a dataset and press Run steering.")
    else:
        with ui.show_errors("figures"):
            words = res.answer.get("words") or ["class 0", "class 1"]
            labels = res.spec.get("label_names") or ["class 0", "class 1"]
            metric = st.radio("Effect", ["delta_class1", "delta_class0", "delta_all", "flipped"], horizontal=True,
                              key="b_s_metric",
                              format_func=lambda m: {"delta_class1": f"Δ p({words[1]}), {labels[1]} samples",
                                                     "delta_class0": f"Δ p({words[1]}), {labels[0]} samples",
                                                     "delta_all": f"Δ p({words[1]}), all",
                                                     "flipped": "answers changed"}[m])
            b = res.summary["best"]
            m = st.columns(4)
            m[0].metric(f"Baseline p({words[1]}) on {labels[1]}", f"{res.baseline['p1_class1']:.3f}",
                        help=f"{res.summary['n_test']} held-out samples")
            m[1].metric("Largest move (probe)", f"{b['probe_delta_class1']:+.3f}",
                        delta=f"layer {b['layer']}, α = {b['alpha']:+g}", delta_color="off", delta_arrow="off")
            m[2].metric("Random direction there", f"{b['random_delta_class1']:+.3f}")
            m[3].metric("Probe − random", f"{b['excess_class1']:+.3f}",
                        delta=None if b["z"] is None else f"z = {b['z']:.1f}", delta_color="off", delta_arrow="off",
                        help="paired over the samples; ± one standard error "
                             f"{b['excess_class1_sem']:.3f}")
            ui.figure_with_downloads(steering_figure(res, metric=metric), f"steering-{res.key[:8]}",
                                     note=what_this_shows("steering"), key="b_s_fig", height=640)
            for note in res.notes:
                st.caption(f"Note: {note}")
            json_download(res, "steering", "b_s_json")
