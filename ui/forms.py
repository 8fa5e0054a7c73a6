"""Widget groups of the Probe page: model, dataset (paper / built-in / upload) and settings.

Each function reads widgets and returns plain values or a spec; no engine work beyond
cheap catalog look-ups and reading an uploaded file's columns.
"""

from __future__ import annotations

import streamlit as st

from concept_depth.core.choices import (
    HOOK_DESCRIPTIONS,
    HOOKS,
    NOISE_KINDS,
    POOLINGS,
    PROBE_NAMES,
    PROBES,
    PROTOCOLS,
    QUANT_NAMES,
    QUANTS,
)
from concept_depth.core.errors import BadInputError
from concept_depth.core.specs import RunSpec
from concept_depth.datasets import inspect_table, store_upload
from concept_depth.models import KNOWN_MODELS, TINY_ARCHES, known_model

from .datasets import dataset_location_note
from .engine import catalog, get_store, test_models_enabled

OTHER = "Other: hub id or local path…"


def _query(name: str, default=None):
    return st.query_params.get(name, default)


def model_options() -> dict[str, str]:
    """{picker label: source} of the catalog's models (offline ones first), plus the tiny test
    models when ``CONCEPT_DEPTH_TEST_MODELS=1``."""
    options = {}
    for m in KNOWN_MODELS:
        tags = ["offline"] if m.offline else (["gated, needs a token"] if m.gated else ["download"])
        options[f"{m.label} · {m.n_layers} layers · {m.params} · {', '.join(tags)}"] = m.source
    if test_models_enabled():
        for arch in TINY_ARCHES:
            options[f"tiny:{arch} (random test model)"] = f"tiny:{arch}"
    return options


def chip_options() -> dict[str, str]:
    """{chip label: source} for the grid's model chips: each model's name alone (the picker's layer count,
    size and download tags are in the help, :data:`MODEL_DETAILS`), so a chip fits its row."""
    options = {m.label: m.source for m in KNOWN_MODELS}
    if test_models_enabled():
        for arch in TINY_ARCHES:
            options[f"tiny:{arch} (random test model)"] = f"tiny:{arch}"
    return options


#: The catalog's models with their layer counts and sizes, for help texts.
MODEL_DETAILS = "Models: " + "; ".join(
    f"{m.label}: {m.n_layers} layers, {m.params}, {'offline' if m.offline else 'gated' if m.gated else 'download'}"
    for m in KNOWN_MODELS) + "."


def model_picker() -> str:
    """Model source: the offline and paper models (with layer counts), tiny test models when
    ``CONCEPT_DEPTH_TEST_MODELS=1``, or any hub id / local path. ``?model=`` preselects."""
    options = model_options()
    labels = list(options) + [OTHER]
    wanted = _query("model")
    index = 0
    if wanted:
        match = [l for l, s in options.items() if s == wanted]
        index = labels.index(match[0]) if match else labels.index(OTHER)
    choice = st.selectbox("Model", labels, index=index, key="model_choice")
    if choice == OTHER:
        text = st.text_input("Hugging Face hub id, local model directory or .gguf file",
                             value=wanted if wanted and wanted not in options.values() else "",
                             key="model_text", placeholder="e.g. Qwen/Qwen1.5-0.5B")
        return text.strip()
    return options[choice]


CHAT_LABEL = "Wrap prompts in the model's chat template"


def chat_template_toggle(model: str | None, *, key: str = "chat_template", container=st) -> bool:
    """The chat-template switch: enabled for instruct models (the catalog says which) and for
    models the catalog does not know (a tokenizer without a template then stops the run with one
    clear line); shown off and disabled for a known base model."""

    known = known_model(model) if model else None
    if known is not None and not known.instruct:
        container.toggle(CHAT_LABEL, value=False, disabled=True, key=f"{key}_base",
                         help=f"{known.label} is a base model: it takes raw prompts (as the paper does)")
        return False
    what = (f"{known.label} is instruction-tuned" if known is not None else
            "for instruction-tuned models; a model whose tokenizer has no chat template stops with an error")
    return bool(container.toggle(
        CHAT_LABEL, value=False, key=key,
        help=f"Each prompt becomes one user turn of the model's chat template, ending where the assistant "
             f"answers ({what}). Off: raw prompts, as the paper and its reference code feed them. "
             f"Part of the cache key, and named in the result's label."))


UPLOAD_KINDS = ("a text with a binary label", "a multiple-choice question")


def _save_upload(data: bytes, filename: str) -> str:
    """Content-addressed copy of an upload in the cache, so the dataset spec (and key) is stable."""
    return str(store_upload(data, filename, cache_dir=get_store().directory))


def _upload_picker() -> dict:
    """An uploaded table: its text column and either a binary label column (optionally grouped rows) or a
    multiple-choice question's options and answer columns."""
    up = st.file_uploader("CSV, TSV or JSONL: a text column and a binary label column, or a question, its "
                          "options and its answer", type=["csv", "tsv", "jsonl", "json"], key="upload")
    if up is None:
        raise BadInputError("upload a file, or pick a paper or built-in dataset")
    data = up.getvalue()
    columns, preview = inspect_table(data, up.name)
    choice = st.radio("Each row is", UPLOAD_KINDS, horizontal=True, key="upload_kind",
                      help="multiple choice: each row a question with its options (a JSON list, or '|'-separated "
                           "in CSV/TSV) and its answer (0-based index, option text or letter); accuracy is per "
                           "question, chance 1/k") == UPLOAD_KINDS[1]
    c1, c2, c3 = st.columns(3)
    text_col = c1.selectbox("Question column" if choice else "Text column", columns,
                            index=columns.index(_guess(columns, ("text", "statement", "sentence", "question"), 0)),
                            key="text_col")
    out = dict(dataset=None, text_col=text_col, label_col=None, choices_col=None, answer_col=None, group_col=None,
               variant=None)
    if choice:
        out["choices_col"] = c2.selectbox("Options column", columns, key="choices_col",
                                          index=columns.index(_guess(columns, ("choices", "options"), -1)))
        out["answer_col"] = c3.selectbox("Answer column", columns, key="answer_col",
                                         index=columns.index(_guess(columns, ("answer", "answerkey", "label"), -1)))
    else:
        out["label_col"] = c2.selectbox("Label column", columns, key="label_col",
                                        index=columns.index(_guess(columns, ("label", "labels", "y", "target"), -1)))
        groups = c3.multiselect("Rows that belong together (optional)", columns, key="group_col",
                                help="rows sharing these columns' values are one group and never split between "
                                     "training and test (two versions of one fact, say)")
        out["group_col"] = ",".join(groups) or None
    st.caption("Preview (first rows)")
    st.dataframe(preview, hide_index=True, width="stretch")
    return dict(out, dataset_file=_save_upload(data, up.name))


def _guess(columns: list[str], names: tuple[str, ...], fallback: int) -> str:
    return next((c for c in columns if c.lower() in names), columns[fallback])


def dataset_picker() -> dict:
    """Dataset: the nine paper datasets (marked available or not), built-in ones, or an upload.

    Returns the dataset's option values (``dataset``, or ``dataset_file`` with ``text_col`` and
    ``label_col`` / ``group_col`` or ``choices_col`` / ``answer_col``, and ``variant``). Raises BadInputError for a bad upload.
    """
    infos = catalog()
    paper = [d for d in infos if not d.builtin]
    builtin = [d for d in infos if d.builtin]
    wanted = _query("dataset")
    sources = ["Built-in (no download)", "Paper dataset", "Upload a file"]
    default_src = 1 if wanted and any(d.name.lower() == str(wanted).lower() for d in paper) else 0
    src = st.radio("Dataset source", sources, index=default_src, horizontal=True, key="dataset_source")
    if src == "Upload a file":
        return _upload_picker()
    group = paper if src == "Paper dataset" else builtin

    def fmt(d) -> str:
        mark = "✓ available" if d.available else "✗ not here (downloads on first use)"
        return f"{d.name} · {d.category} · {mark}"

    names = [d.name for d in group]
    index = next((i for i, n in enumerate(names) if wanted and n.lower() == str(wanted).lower()), 0)
    name = st.selectbox("Dataset", names, index=index, format_func=lambda n: fmt(next(d for d in group if d.name == n)),
                        key=f"dataset_{src}")
    info = next(d for d in group if d.name == name)
    st.caption(info.description)
    if src == "Paper dataset":
        dataset_location_note(paper)
    variant = None
    if info.variants:
        variant = st.selectbox("Variant", info.variants, key="variant",
                               help="StrategyQA: 'question' drops the gold rationale the reference code leaks")
    return dict(dataset=name, dataset_file=None, text_col=None, label_col=None, choices_col=None, answer_col=None,
                group_col=None, variant=variant)


LIMIT_HELP = ("Decides run time and how exact the scores are: at most limit/2 samples per class, in file "
              "order; 0 = every sample. The probe is scored on 40% of them (paper protocol), so 200 samples "
              "give accuracies within about ±0.1.")


def sample_limit(key: str = "limit", default: int = 200, container=st) -> int | None:
    """The sample limit (0 = all) as a main control: it sets run time and accuracy. ``?limit=`` preselects."""
    q_limit = _query("limit")
    value = int(q_limit) if q_limit and str(q_limit).isdigit() else default
    limit = container.number_input("Sample limit (0 = all)", 0, 100_000, value, 50, key=key, help=LIMIT_HELP)
    return int(limit) or None


def settings() -> dict:
    """Bit width, sample limit, noise, and the advanced options (hook, pooling, protocol, probe)."""
    c1, c2, c3, c4, c5 = st.columns(5)
    q_default = int(_query("quant", 32)) if str(_query("quant", 32)).isdigit() else 32
    quant = c1.selectbox("Bit width", QUANTS, index=QUANTS.index(q_default) if q_default in QUANTS else 0,
                         format_func=QUANT_NAMES.get, key="quant")
    limit = sample_limit(container=c2)
    noise = c3.selectbox("Noise", NOISE_KINDS, key="noise",
                         help="paper: prefix 'aaa' or 'bbb' to each sample; typos: random character edits")
    strength = c4.slider("Noise strength", 0.0, 1.0, 0.1, 0.05, key="noise_strength",
                         disabled=noise != "typos", help="edit rate (typos only)")
    seed = c5.number_input("Noise seed", 0, 10_000, 0, key="noise_seed", disabled=noise == "none")
    with st.expander("Advanced: hook, pooling, protocol, probe"):
        a1, a2 = st.columns(2)
        hook = a1.selectbox("Hook", HOOKS, key="hook", help="; ".join(f"{k}: {v}" for k, v in HOOK_DESCRIPTIONS.items()))
        pooling = a2.selectbox("Pooling", POOLINGS, key="pooling", help="last token (paper) or mean over tokens")
        b1, b2, b3 = st.columns(3)
        protocol = b1.selectbox("Protocol", PROTOCOLS, key="protocol",
                                help="paper: one 60/40 split, seed 42; cv: stratified k-fold with ±sd bands")
        probe = b2.selectbox("Probe", PROBES, key="probe", format_func=lambda p: PROBE_NAMES.get(p, p))
        folds = b3.number_input("Folds (cv)", 2, 20, 5, key="folds", disabled=protocol != "cv")
    return dict(quant=int(quant), noise=noise, noise_strength=float(strength if noise == "typos" else 0.0),
                noise_seed=int(seed), hook=hook, pooling=pooling, limit=limit, protocol=protocol,
                probe=probe, folds=int(folds))


def checked_model(model: str | None) -> str:
    """The model typed or picked; one BadInputError line when it is empty."""
    if not model:
        raise BadInputError("type a hub id or local path for the model")
    return model


def build_run_spec(model: str, dataset: dict, settings: dict) -> RunSpec:
    """The RunSpec of the chosen widgets, whose values are the run's option values (BadInputError for an
    empty model)."""
    return RunSpec.from_options(model=checked_model(model), **dataset, **settings)


def grid_picker(key: str = "grid") -> dict:
    """Widgets of a models x datasets grid: models (catalog, or typed hub ids / paths), datasets,
    sample limit and bit width. ``?models=a,b&datasets=c,d&limit=N`` preselect (a shareable link).
    Returns dict(models=[sources], datasets=[names], limit, quant)."""
    options = chip_options()
    wanted = [m.strip() for m in str(_query("models", "")).split(",") if m.strip()]
    for source in wanted:  # a linked model the catalog does not list
        if source not in options.values():
            options[source] = source
    by_source = {v: k for k, v in options.items()}
    default_models = [by_source[s] for s in (wanted or ("embedded", "smollm2")) if s in by_source]
    infos = catalog()
    names = [d.name for d in infos]
    available = {d.name for d in infos if d.available}
    lower = {n.lower(): n for n in names}
    linked = [lower[d.strip().lower()] for d in str(_query("datasets", "")).split(",") if d.strip().lower() in lower]
    default_data = linked or [n for n in ("cities", "coinflip") if n in available] or \
        [n for n in ("builtin-capitals", "builtin-coinflip") if n in names]
    # one row each, chips wrapping: a model's name is never cut ("Gemma 3 270M (Q4_K_M GGUF, dequantise…")
    models = st.multiselect("Models", list(options), default=default_models, key=f"{key}_models",
                            accept_new_options=True, placeholder="pick or type a hub id / local path", wrap=True,
                            help="one curve per model; type a hub id or a local path to add a model not listed. "
                                 + MODEL_DETAILS)
    datasets = st.multiselect("Datasets", names, default=default_data, key=f"{key}_datasets", wrap=True,
                              format_func=lambda n: n if n in available else f"{n} (downloads on first use)",
                              help="one panel per dataset, ordered factual, emotional, inferential")
    d1, d2 = st.columns(2)
    limit = sample_limit(key=f"{key}_limit", container=d1)
    quant = d2.selectbox("Bit width", QUANTS, key=f"{key}_quant", format_func=QUANT_NAMES.get)
    return dict(models=[options.get(m, str(m).strip()) for m in models if str(m).strip()], datasets=list(datasets),
                limit=limit, quant=int(quant))
