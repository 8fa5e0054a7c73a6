"""Widget groups of the Probe page: model, dataset (paper / built-in / upload) and settings.

Each function reads widgets and returns plain values or a spec; no engine work beyond
cheap catalog look-ups and reading an uploaded file's columns.
"""

from __future__ import annotations

import streamlit as st

from concept_depth.errors import BadInputError
from concept_depth.specs import (HOOKS, NOISE_KINDS, POOLINGS, PROBE_NAMES, PROBES, PROTOCOLS, QUANTS, DatasetSpec,
                                 ExtractionSpec, ModelSpec, NoiseSpec, ProbeSpec, RunSpec)

from .engine import catalog, engine, get_store, test_models_enabled

OTHER = "Other: hub id or local path…"
HOOK_HELP = {"residual": "residual stream: layer 0 = embeddings, layer l = output of block l",
             "post_attention_layernorm": "the paper's hook: output of post_attention_layernorm in each block",
             "attn_out": "attention output of block l as added to the residual stream",
             "mlp_out": "MLP output of block l as added to the residual stream"}


def _query(name: str, default=None):
    return st.query_params.get(name, default)


def model_picker() -> str:
    """Model source: the offline and paper models (with layer counts), tiny test models when
    ``CONCEPT_DEPTH_TEST_MODELS=1``, or any hub id / local path. ``?model=`` preselects."""
    known = engine("models", "KNOWN_MODELS")
    options = {}
    for m in known:
        tags = ["offline"] if m.offline else (["gated, needs a token"] if m.gated else ["download"])
        options[f"{m.label} · {m.n_layers} layers · {m.params} · {', '.join(tags)}"] = m.source
    if test_models_enabled():
        for arch in engine("models", "TINY_ARCHES"):
            options[f"tiny:{arch} (random test model)"] = f"tiny:{arch}"
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


def _save_upload(data: bytes, filename: str) -> str:
    """Content-addressed copy of an upload in the cache, so the dataset spec (and key) is stable."""
    store_upload = engine("datasets", "store_upload")
    return str(store_upload(data, filename, cache_dir=get_store().directory))


def dataset_picker() -> dict:
    """Dataset: the nine paper datasets (marked available or not), built-in ones, or an upload.

    Returns dict(name, path, text_col, label_col, variant). Raises BadInputError for a bad upload.
    """
    infos = catalog()
    paper = [d for d in infos if not d.builtin]
    builtin = [d for d in infos if d.builtin]
    wanted = _query("dataset")
    sources = ["Built-in (no download)", "Paper dataset", "Upload a file"]
    default_src = 1 if wanted and any(d.name.lower() == str(wanted).lower() for d in paper) else 0
    src = st.radio("Dataset source", sources, index=default_src, horizontal=True, key="dataset_source")
    if src == "Upload a file":
        up = st.file_uploader("CSV, TSV or JSONL with a text column and a binary label column",
                              type=["csv", "tsv", "jsonl", "json"], key="upload")
        if up is None:
            raise BadInputError("upload a file, or pick a paper or built-in dataset")
        data = up.getvalue()
        inspect_table = engine("datasets", "inspect_table")
        columns, preview = inspect_table(data, up.name)
        c1, c2 = st.columns(2)
        guess_text = next((c for c in columns if c.lower() in ("text", "statement", "sentence", "question")), columns[0])
        guess_label = next((c for c in columns if c.lower() in ("label", "labels", "y", "target")), columns[-1])
        text_col = c1.selectbox("Text column", columns, index=columns.index(guess_text), key="text_col")
        label_col = c2.selectbox("Label column", columns, index=columns.index(guess_label), key="label_col")
        st.caption("Preview (first rows)")
        st.dataframe(preview, hide_index=True, width="stretch")
        return dict(name="custom", path=_save_upload(data, up.name), text_col=text_col, label_col=label_col,
                    variant=None)
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
    variant = None
    if info.variants:
        variant = st.selectbox("Variant", info.variants, key="variant",
                               help="StrategyQA: 'question' drops the gold rationale the reference code leaks")
    return dict(name=name, path=None, text_col=None, label_col=None, variant=variant)


def settings() -> dict:
    """Bit width, noise, and the advanced options (hook, pooling, limit, protocol, probe)."""
    c1, c2, c3, c4 = st.columns(4)
    q_default = int(_query("quant", 32)) if str(_query("quant", 32)).isdigit() else 32
    quant = c1.selectbox("Bit width", QUANTS, index=QUANTS.index(q_default) if q_default in QUANTS else 0,
                         format_func=lambda q: {32: "32 (float32)", 16: "16 (bfloat16)", 8: "8 (int8)",
                                                4: "4 (NF4)"}[q], key="quant")
    noise = c2.selectbox("Noise", NOISE_KINDS, key="noise",
                         help="paper: prefix 'aaa' or 'bbb' to each sample; typos: random character edits")
    strength = c3.slider("Noise strength", 0.0, 1.0, 0.1, 0.05, key="noise_strength",
                         disabled=noise != "typos", help="edit rate (typos only)")
    seed = c4.number_input("Noise seed", 0, 10_000, 0, key="noise_seed", disabled=noise == "none")
    q_limit = _query("limit")
    with st.expander("Advanced: hook, pooling, sample limit, protocol, probe"):
        a1, a2, a3 = st.columns(3)
        hook = a1.selectbox("Hook", HOOKS, key="hook", help="; ".join(f"{k}: {v}" for k, v in HOOK_HELP.items()))
        pooling = a2.selectbox("Pooling", POOLINGS, key="pooling", help="last token (paper) or mean over tokens")
        limit = a3.number_input("Sample limit (0 = all)", 0, 100_000,
                                int(q_limit) if q_limit and str(q_limit).isdigit() else 200, 50, key="limit",
                                help="at most limit/2 samples per class, in file order")
        b1, b2, b3 = st.columns(3)
        protocol = b1.selectbox("Protocol", PROTOCOLS, key="protocol",
                                help="paper: one 60/40 split, seed 42; cv: stratified k-fold with ±sd bands")
        probe = b2.selectbox("Probe", PROBES, key="probe", format_func=lambda p: PROBE_NAMES.get(p, p))
        folds = b3.number_input("Folds (cv)", 2, 20, 5, key="folds", disabled=protocol != "cv")
    return dict(quant=int(quant), noise=noise, strength=float(strength if noise == "typos" else 0.0),
                seed=int(seed), hook=hook, pooling=pooling, limit=int(limit) or None, protocol=protocol,
                probe=probe, folds=int(folds))


def build_run_spec(model: str, dataset: dict, s: dict) -> RunSpec:
    """The RunSpec of the chosen widgets (BadInputError for an empty model)."""
    if not model:
        raise BadInputError("type a hub id or local path for the model")
    ds = DatasetSpec(name=dataset["name"], path=dataset["path"], text_col=dataset["text_col"],
                     label_col=dataset["label_col"], variant=dataset["variant"], limit=s["limit"],
                     noise=NoiseSpec(kind=s["noise"], strength=s["strength"], seed=s["seed"]))
    ex = ExtractionSpec(model=ModelSpec(source=model, quant=s["quant"]), dataset=ds, hook=s["hook"],
                        pooling=s["pooling"])
    return RunSpec(extraction=ex, probe=ProbeSpec(protocol=s["protocol"], probe=s["probe"], folds=s["folds"]))
