"""Cognition vs expression: what a probe reads from each layer against what the model answers."""

import pandas as pd
import streamlit as st

import concept_depth as cd
import ui
from ui import expression as ux

F = cd.figures

SHOT_OPTIONS = [0, 1, 2, 4, 8, 16]
NOTES = {
    "gap": "Solid: accuracy of a linear probe on each layer's last-token residual vector (what the layer "
           "*knows*). Dashed: the logit lens, each layer's vector put through the model's final norm and "
           "output projection and read as the answer word with the higher summed probability (what the layer "
           "would *say*). At the last layer the lens is the model's own answer. The shaded band is the gap.",
    "shots": "Greedy answer accuracy (solid) and pass@1, the expected accuracy of one sampled answer (dotted), "
             "with k solved examples before each question. Examples come from a held-out pool that is never "
             "evaluated. The dashed line is the best probe accuracy.",
    "passn": "pass@n = mean over questions of 1 − (1 − p_correct)ⁿ: the chance that at least one of n answers "
             "sampled from the model's two-way answer distribution is right. Exact, no sampling noise. With two "
             "possible answers pass@n says little: a coin flipper reaches 1 − 0.5ⁿ (grey dash-dot), so pass@16 of "
             "a coin flipper is 1 − 0.5¹⁶ ≈ 1. Dotted: maj@n (odd n), the accuracy of the majority of n sampled "
             "answers, P(Binomial(n, p_correct) > n/2) averaged over questions; a coin flipper stays at 0.5.",
    "scatter": "One point per cached analysis (model × dataset): best probe accuracy against zero-shot answer "
               "accuracy. Points under the diagonal are concepts the model knows better than it says.",
}


st.title("Cognition vs expression")
st.caption("What a linear probe reads from the layers (cognition) against what the model actually answers "
           "(expression): per layer with the logit lens, with few-shot examples, and over repeated sampling.")

model = dataset = spec = None
chat_template = False
with ui.show_errors("model"):
    model = ui.forms.model_picker()
    chat_template = ui.forms.chat_template_toggle(model, key="x_chat")
with ui.show_errors("dataset"):
    dataset = ui.forms.dataset_picker()

default_words = ("No", "Yes")
multiple_choice = False  # a multiple-choice set: answered by letter and by option text, no answer words
if dataset is not None and dataset["dataset"]:
    with ui.show_errors("dataset"):
        info = next((d for d in ui.catalog() if d.name == dataset["dataset"]), None)
        default_words = tuple(info.answer_words) if info is not None else default_words
        multiple_choice = info is not None and info.kind == "multiple-choice"
multiple_choice = multiple_choice or bool(dataset and dataset.get("choices_col"))  # an uploaded question file

c1, c2, c3, c4 = st.columns(4)
quant = c1.selectbox("Bit width", cd.choices.QUANTS, key="x_quant", format_func=cd.choices.QUANT_NAMES.get)
noise = c2.selectbox("Noise", cd.choices.NOISE_KINDS, key="x_noise")
limit = ui.forms.sample_limit(key="x_limit", container=c3)
shots = c4.multiselect("Examples (k)", SHOT_OPTIONS, default=[0, 1, 2, 4, 8], key="x_shots",
                       help="solved examples before each question; 0 always runs")
d1, d2, d3, d4 = st.columns(4)
text_lens = False
if multiple_choice:
    d1.caption("Multiple choice: each question is answered by letter (its options listed as A., B., ...) and by "
               "option text (each option's log-likelihood per character), as evaluation harnesses do; chance is 1/k.")
    text_lens = d2.checkbox("Option-text lens at every layer", value=False, key="x_text_lens",
                            help="read the option texts through the logit lens at every layer too (zero-shot); costs "
                                 "a full-vocabulary projection per option token and layer. The letter reading is "
                                 "always read at every layer.")
    word0, word1 = default_words
else:
    word0 = d1.text_input("Answer word, class 0", default_words[0], key=f"x_word0_{default_words[0]}")
    word1 = d2.text_input("Answer word, class 1", default_words[1], key=f"x_word1_{default_words[1]}")
seed = d3.number_input("Seed (example pool)", 0, 10_000, 0, key="x_seed")
probe = d4.checkbox("Probe curve too", value=True, key="x_probe",
                    help="run (or reuse) the residual-stream probe of the same model and dataset; it is listed on the "
                         "Runs page with origin 'expression analysis', not as a probe run of its own")
cue = st.text_input("Answer cue (ends every prompt)", "\\nAnswer:", key="x_cue",
                    help="'\\n' is a newline; leave empty to keep the dataset prompt exactly")

if model is not None and dataset is not None:
    with ui.show_errors("settings"):
        spec = cd.ExpressionSpec.from_options(
            model=ui.forms.checked_model(model), quant=int(quant), noise=noise, limit=limit, **dataset,
            shots=tuple(shots), seed=int(seed), answer_words=None if multiple_choice else (word0, word1),
            answer_cue=cue, no_probe=not probe, chat_template=chat_template, text_lens=text_lens)

if st.button("Run", type="primary", disabled=spec is None, key="x_run"):
    result = ui.run_analysis(spec, key="expression", what="expression")
    if result is not None:
        st.session_state["expression_key"] = result.key
ui.show_cancelled_notice()

# ---- results -----------------------------------------------------------------------------------
results = ui.stored_results("expression")
if not results:
    st.info("No expression analyses cached yet: pick a model and a dataset and press Run.")
    st.stop()

keys = [r.key for r in results]
wanted = st.session_state.get("expression_key")
choice = st.selectbox("Show analysis", keys, index=keys.index(wanted) if wanted in keys else 0, key="x_show",
                      format_func=lambda k: next(r for r in results if r.key == k).label
                      + f" · k={','.join(map(str, next(r for r in results if r.key == k).spec['shots']))}")
res = next(r for r in results if r.key == choice)

m = st.columns(6)
for col, (label, value, help_text) in zip(m, ux.metrics(res)):
    col.metric(label, value, help=help_text)
st.caption(ux.caption(res))
for note in res.notes:
    st.caption(f"Note: {note}")

notes = {**NOTES, **ux.CHOICE_NOTES} if res.is_multiple_choice else NOTES
with ui.show_errors("figures"):
    ui.figure_with_downloads(F.gap_figure(res), f"expression-gap-{res.spec['dataset']}", note=notes["gap"],
                             key="x_gap")
    a, b = st.columns(2)
    with a:
        ui.figure_with_downloads(F.shots_figure(res), f"expression-shots-{res.spec['dataset']}", note=notes["shots"],
                                 key="x_shots_fig")
    with b:
        ui.figure_with_downloads(F.pass_at_n_figure(res), f"expression-pass-at-n-{res.spec['dataset']}",
                                 note=notes["passn"], key="x_passn")
    table = pd.DataFrame(res.layers)[ux.layer_columns(res)]
    st.dataframe(table, hide_index=True, width="stretch")
    st.download_button("Result JSON", res.to_json(), file_name=f"expression-{res.key}.json",
                       mime="application/json", key="x_json")
    st.subheader("Across cached analyses")
    ui.figure_with_downloads(F.probe_vs_answer_scatter(results), "expression-probe-vs-answer", note=NOTES["scatter"],
                             key="x_scatter")
