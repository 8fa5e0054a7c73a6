"""Layers: PCA of one layer's vectors (slider or play-through), a grid of chosen layers, and the
examples the probe gets most confidently right and wrong."""

import numpy as np
import pandas as pd
import streamlit as st

import concept_depth as cd
import ui

F = cd.figures
#: What UMAP costs, measured on a 2-core machine (README: Layers page).
UMAP_COST = ("UMAP costs far more than PCA: the first embedding the app computes takes about 15 s (umap-learn "
             "loads and numba compiles its code), then each layer well under a second for 200 prompts (about 3.5 s "
             "for 1000) on a 2-core machine; each layer's embedding is kept. Seeded: the same picture every time.")

st.title("Layers")
st.caption("How a run's prompts are arranged in each layer, and what the probe makes of them.")

runs = ui.runs_or_notice("No cached runs yet. Run a probe on the Probe page first.")

latest = ui.latest_probe_run(runs)
wanted = st.query_params.get("run") or (latest.key if latest else None)
keys = [r.key for r in runs]
run = runs[st.selectbox("Run", range(len(runs)), format_func=lambda i: ui.run_option(runs[i]),
                        index=keys.index(wanted) if wanted in keys else 0, key="layers_run")]
act_key = run.extra.get("activation_key")
store_dir = str(ui.get_store().directory)
label_names = ui.label_names(run)

layers = run.layer_numbers
mode = st.radio("View", ["one layer", "play through all layers", "grid of chosen layers"], horizontal=True,
                key="layers_mode")
method = st.radio("Projection", ["PCA", "UMAP"], horizontal=True, key="layers_projection",
                  disabled=mode == "play through all layers",
                  help="PCA (default): the two directions of largest variance. UMAP: keeps each prompt's nearest "
                       "neighbours together (seeded, so the same picture each time); its axes have no units")
umap = method == "UMAP" and mode != "play through all layers"
if method == "UMAP":
    st.caption(UMAP_COST if umap else "The play-through shows PCA: a UMAP per layer would take seconds each.")
shared = st.toggle("One PCA basis for all layers", value=False, key="shared_basis", disabled=umap,
                   help="on: the same two directions in every layer (points move); off: each layer's own main directions")

data = None
with ui.show_errors("layer vectors unavailable"):
    if not act_key:
        raise cd.UnavailableError(
            "this run has no activations in the cache (an imported result?); rerun it on the Probe page to explore its layers")
    chosen = tuple(layers)
    data = ui.layer_vectors(store_dir, act_key, chosen)
if data is None:
    st.stop()
labels = data["labels"]
prompts = data["prompts"]
# What hover labels and tables show: each sample's own text, not the instruction every prompt shares.
template = run.spec.get("prompt")
texts = F.sample_texts(prompts, template)
# A multiple-choice run's prompts are its questions' options: a hover names the question and all its options.
questions = F.is_multiple_choice(run)
hovers = F.option_hovers(F.question_views(run, texts, labels), len(texts)) if questions else texts
parts = F.template_parts(template)
with st.expander("The full prompt (hover labels and tables show only each sample's text)"):
    if parts:
        st.markdown("Every prompt is the instruction below with the sample's text at **{text}**:")
        st.code(f"{parts[0]}{{text}}{parts[1]}", language=None, wrap_lines=True)
    st.markdown("First prompt as the model saw it:")
    st.code(prompts[0] if prompts else "", language=None, wrap_lines=True)


def projections(selected):
    if umap:  # one seeded embedding per layer, cached
        return {l: ui.umap_projection(store_dir, act_key, int(l)) for l in selected}
    vecs = {l: data["vectors"][l] for l in selected}
    return F.project_layers(vecs, labels, shared=shared)


def example_tables(layer, pred):
    st.subheader(f"Layer {layer}: most confident right and wrong held-out examples")
    ev = np.flatnonzero(pred["is_eval"])
    proba = pred["proba"]
    conf = np.maximum(proba, 1 - proba)
    # The text column wraps (st.table), so label, prediction and confidence stay in view.
    table = pd.DataFrame({"text": [texts[i] for i in ev], "label": [label_names[labels[i]] for i in ev],
                          "predicted": [label_names[int(pred["pred"][i])] for i in ev],
                          "confidence": [f"{c:.2f}" for c in conf[ev]],
                          "correct": pred["correct"][ev].astype(bool), "_conf": conf[ev]})

    def top(rows):
        return rows.sort_values("_conf", ascending=False).head(5).drop(columns=["correct", "_conf"])

    st.markdown("**Most confidently right**")
    st.table(top(table[table.correct]), hide_index=True)
    st.markdown("**Most confidently wrong**")
    wrong_tab = top(table[~table.correct])
    if wrong_tab.empty:
        st.success("The probe gets every held-out example right at this layer.")
    else:
        st.table(wrong_tab, hide_index=True)
    with st.expander("What these tables show"):
        st.markdown(F.what_this_shows("examples", run))


def question_tables(layer, views):
    """A multiple-choice run: held-out questions the probe gets right and wrong, each with all its options."""
    st.subheader(f"Layer {layer}: held-out questions the probe gets right and wrong")
    st.markdown("**Right, most confident first**")
    st.table(pd.DataFrame(F.question_table(views, right=True)), hide_index=True)
    st.markdown("**Wrong, most confident first**")
    wrong_tab = pd.DataFrame(F.question_table(views, right=False))
    if wrong_tab.empty:
        st.success("The probe answers every held-out question right at this layer.")
    else:
        st.table(wrong_tab, hide_index=True)
    st.caption("The probe scores each option and picks the highest-scored one; confidence is the pick's share of "
               "the question's summed P(right).")


if mode == "one layer":
    layer = st.select_slider("Layer", options=layers, value=run.depth.jumping_point if run.depth.jumping_point in layers
                             else layers[len(layers) // 2], key="layer")
    pred = None
    with ui.show_errors("probe predictions unavailable"):
        pred = ui.predictions(store_dir, run.to_json(), int(layer))
    # With a shared basis the projection must come from all layers; otherwise only this one.
    proj = (projections(layers) if shared and not umap else projections([layer]))[layer]
    wrong = (pred["is_eval"] & ~pred["correct"].astype(bool)) if pred is not None else None
    views = None  # a multiple-choice run's questions, with the probe's picks at this layer
    if questions and pred is not None:
        views = F.question_views(run, texts, labels, pred=pred["pred"], is_eval=pred["is_eval"], proba=pred["proba"])
    fig = F.pca_scatter(proj, labels, prompts=F.option_hovers(views, len(texts)) if views else hovers,
                        proba=None if pred is None else pred["proba"], wrong=wrong, label_names=label_names,
                        layer=layer, title=f"{run.label}: layer {layer}")
    if proj.degenerate:
        st.info(f"Layer {layer}: {F.ONE_POINT}. This is expected, not a fault: {F.ONE_POINT_WHY}. The probe can only "
                "guess here, so its accuracy at this layer is about chance.")
    ui.figure_with_downloads(fig, f"pca-layer{layer}-{run.key[:8]}", note=F.what_this_shows("pca", run),
                             key="pca-one", height=560)
    if views is not None:
        question_tables(layer, views)
    elif pred is not None:
        example_tables(layer, pred)
elif mode == "play through all layers":
    start = run.depth.jumping_point if run.depth.jumping_point in layers else layers[len(layers) // 2]
    fig = F.pca_animation(projections(layers), labels, prompts=hovers, label_names=label_names, start_layer=start,
                        title=run.label)
    ui.figure_with_downloads(fig, f"pca-animation-{run.key[:8]}", note=F.what_this_shows("pca", run)
                             + "\n\nPress ▶ play to step through the layers (hover shows prompts; probe "
                               "confidence is in the one-layer view).", key="pca-anim", height=620)
else:
    default = sorted({layers[int(round(i))] for i in np.linspace(0, len(layers) - 1, min(8, len(layers)))})
    selected = st.multiselect("Layers to show", layers, default=default, key="grid_layers")
    cols = st.slider("Panels per row", 1, 6, 4, key="grid_cols")
    if not selected:
        st.warning("Choose at least one layer.")
    else:
        projs = projections(layers) if shared and not umap else projections(selected)
        fig = F.pca_grid(projs, labels, layers=sorted(selected), label_names=label_names, cols=cols,
                       shared_basis=shared, title=f"{run.label}", prompts=hovers)
        ui.figure_with_downloads(fig, f"pca-grid-{run.key[:8]}", note=F.what_this_shows("grid", run), key="pca-grid")
