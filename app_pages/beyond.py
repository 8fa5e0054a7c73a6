"""Beyond the paper: does a concept transfer between datasets, where does its direction turn, does the model use it?"""

from typing import Callable

import streamlit as st

import concept_depth as cd
import ui

F = cd.figures
PROBE_NAMES = cd.choices.PROBE_NAMES

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
quant = c2.selectbox("Bit width", cd.choices.QUANTS, key="b_quant", format_func=cd.choices.QUANT_NAMES.get)

names, available = [], []
with ui.show_errors("datasets"):
    infos = ui.catalog()
    names = [d.name for d in infos]
    available = [d.name for d in infos if d.available]


def analysis_tab(kind: str, spec_type: type, *, key: str, what: str, intro: str, empty: str,
                 options: Callable[[], dict], show: Callable) -> None:
    """One analysis: its settings (``options()``: option values beside model, bit width and limit), its
    run block, then a stored result of it picked from the cache and drawn by ``show(result)``."""
    st.markdown(intro)
    settings = options()
    if st.button(f"Run {what}", type="primary", key=f"{key}_run"):
        spec = None
        with ui.show_errors("settings"):
            values = dict(model=ui.forms.checked_model(model), quant=int(quant), limit=limit)
            values.update(settings)
            spec = spec_type.from_options(**values)
        if spec is not None:
            result = ui.run_analysis(spec, key=key, what=what)
            if result is not None:
                st.session_state[f"{key}_key"] = result.key
    res = ui.pick_result(kind, f"{key}_show", st.session_state.get(f"{key}_key"),
                         describe=lambda r: f"{r.label} · {r.spec.get('probe')} · {r.key[:8]}")
    if res is None:
        st.info(empty)
        return
    with ui.show_errors("figures"):
        show(res)
        for note in res.notes:
            st.caption(f"Note: {note}")
        ui.json_download(res, kind, f"{key}_json")


def transfer_options() -> dict:
    default = [n for n in ("cities", "counterfact", "common") if n in available] or available[:2]
    t1, t2, t3 = st.columns([3, 1, 1])
    chosen = t1.multiselect("Datasets", names, default=default, key="b_t_datasets")
    probe = t2.selectbox("Probe", list(PROBE_NAMES), key="b_t_probe", format_func=PROBE_NAMES.get)
    hook = t3.selectbox("Hook", cd.choices.HOOKS, key="b_t_hook")
    return dict(dataset=chosen, probe=probe, hook=hook)


def show_transfer(res) -> None:
    best = res.summary.get("best_transfer_layer")
    layer = st.select_slider("Layer", options=list(res.layers), value=best if best in res.layers else res.layers[-1],
                             key=f"b_t_layer_{res.key}")
    metric = st.radio("Score", ["accuracy", "auc"], horizontal=True, key="b_t_metric",
                      format_func=lambda m: {"accuracy": "accuracy", "auc": "ROC-AUC"}[m])
    ui.figure_with_downloads(F.transfer_heatmap(res, layer=layer, metric=metric), f"transfer-{res.key[:8]}-layer{layer}",
                             note=F.what_this_shows("transfer"), key="b_t_heat")
    ui.figure_with_downloads(F.transfer_curves(res, metric=metric), f"transfer-curves-{res.key[:8]}",
                             note=F.what_this_shows("transfer_curves"), key="b_t_curves")


def directions_options() -> dict:
    d1, d2, d3, d4 = st.columns(4)
    dataset = d1.selectbox("Dataset", names, index=names.index(available[0]) if available else 0, key="b_d_dataset")
    quants = d2.multiselect("Bit widths", cd.choices.QUANTS, default=[int(quant)], key="b_d_quants",
                            help="the first bit width and noise are the reference")
    noises = d3.multiselect("Noise", cd.choices.NOISE_KINDS, default=["none"], key="b_d_noises")
    probe = d4.selectbox("Direction from", list(cd.choices.LINEAR_PROBES), key="b_d_probe", format_func=PROBE_NAMES.get)
    if not quants or not noises:
        st.caption("Pick at least one bit width and one noise setting.")
    return dict(dataset=dataset, quant=quants or [int(quant)], noise=noises or ["none"], probe=probe)


def show_directions(res) -> None:
    setting = st.selectbox("Setting", list(res.settings), key=f"b_d_setting_{res.key}")
    ui.figure_with_downloads(F.layer_cosine_heatmap(res, setting=setting), f"directions-{res.key[:8]}",
                             note=F.what_this_shows("layer_cosine"), key="b_d_heat", height=560)
    if len(res.settings) > 1:
        ui.figure_with_downloads(F.setting_cosine_curves(res), f"directions-settings-{res.key[:8]}",
                                 note=F.what_this_shows("setting_cosine"), key="b_d_settings", height=620)
    else:
        st.caption("Add a second bit width or noise setting to compare directions between settings.")


def steer_options() -> dict:
    s1, s2, s3, s4, s5 = st.columns(5)
    dataset = s1.selectbox("Dataset", names, index=names.index(available[0]) if available else 0, key="b_s_dataset")
    alpha = s2.text_input("α values", "-4,-2,2,4", key="b_s_alpha", help="comma-separated, both signs")
    layers = s3.text_input("Layers", "", key="b_s_layers", placeholder="all",
                           help="comma-separated residual layers (empty = all; 0 = embeddings)")
    probe = s4.selectbox("Direction from", list(cd.choices.LINEAR_PROBES), key="b_s_probe", format_func=PROBE_NAMES.get)
    norm = s5.selectbox("Unit of α", ["centered", "raw"], key="b_s_norm",
                        help="centered: median distance of the layer's last-token vectors from their mean; raw: their "
                             "median norm (in Gemma dominated by a few huge, nearly constant dimensions)")
    return dict(dataset=dataset, alpha=alpha, layers=layers or None, probe=probe, norm=norm)


def show_steering(res) -> None:
    words = res.answer.get("words") or ["class 0", "class 1"]
    labels = res.spec.get("label_names") or ["class 0", "class 1"]
    metric = st.radio("Effect", ["delta_class1", "delta_class0", "delta_all", "flipped"], horizontal=True,
                      key="b_s_metric", format_func=lambda m: {"delta_class1": f"Δ p({words[1]}), {labels[1]} samples",
                                                               "delta_class0": f"Δ p({words[1]}), {labels[0]} samples",
                                                               "delta_all": f"Δ p({words[1]}), all",
                                                               "flipped": "answers changed"}[m])
    ui.steering_summary(res)
    ui.figure_with_downloads(F.steering_figure(res, metric=metric), f"steering-{res.key[:8]}",
                             note=F.what_this_shows("steering"), key="b_s_fig", height=640)


tab_transfer, tab_directions, tab_steer = st.tabs(["Transfer", "Direction stability", "Steering"])
with tab_transfer:
    analysis_tab("transfer", cd.TransferSpec, key="b_t", what="transfer", options=transfer_options, show=show_transfer,
                 intro="Train a probe at each layer on dataset A (60 % split), test it on dataset B's held-out 40 %, "
                       "for every ordered pair. Does 'truth' learned on cities read counterfact?",
                 empty="No transfer results cached yet: pick two or more datasets and press Run transfer.")
with tab_directions:
    analysis_tab("directions", cd.DirectionsSpec, key="b_d", what="direction stability", options=directions_options,
                 show=show_directions,
                 intro="The concept direction at each layer (from a linear probe on the training split): how similar "
                       "it is between layers, and whether a lower bit width or noisy input turns it.",
                 empty="No direction analyses cached yet: pick a dataset and press Run direction stability.")
with tab_steer:
    analysis_tab("steer", cd.SteerSpec, key="b_s", what="steering", options=steer_options, show=show_steering,
                 intro="Push the last token's residual stream along the probe direction (α × the layer's typical "
                       "norm) and watch the model's answer move, against a random push of the same size. It runs "
                       "1 + 2 × layers × α forward passes over the held-out prompts: start with a few layers.",
                 empty="No steering results cached yet: pick a dataset and press Run steering.")
