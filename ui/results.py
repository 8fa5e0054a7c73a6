"""Render one run (headline depth metrics, curves, per-layer table) and pick runs from the cache."""

from __future__ import annotations

from typing import Sequence

import pandas as pd
import streamlit as st

from concept_depth.export.bundle import layer_table
from concept_depth.figures import below_chance_message, layer_curves, what_this_shows
from concept_depth.results.labels import PARTS, model_text, run_labels
from concept_depth.results.run import RunResult

from .engine import cached_runs, catalog
from .errors import show_errors
from .figures import figure_with_downloads
from .text import escape_markdown

#: Where a stored run came from (``run.extra["origin"]``); runs stored before the field existed are probe runs.
ORIGINS = {"probe": "probe run", "expression": "expression analysis", "sweep": "sweep", "import": "imported file"}
ORIGIN_HELP = ("where the run came from: probe (a probe run), expression (the probe step of an expression "
               "analysis), sweep, or import (a result file)")


def run_origin(run: RunResult) -> str:
    """``probe``, ``expression``, ``sweep`` or ``import`` (missing: ``probe``)."""
    return str(run.extra.get("origin") or "probe")


def latest_probe_run(runs: Sequence[RunResult]) -> RunResult | None:
    """The newest run the user started as a probe run (not an expression analysis's probe step)."""
    return next((r for r in runs if run_origin(r) == "probe"), None)


def run_name(run: RunResult) -> str:
    """Model · dataset · bit width · n, plus every setting that is not the default (hook, pooling, protocol...)."""
    return run_labels([run]).common


def created_text(run: RunResult) -> str:
    return run.created[:16].replace("T", " ")


def run_option(run: RunResult) -> str:
    """One line naming a run in pickers."""
    origin = run_origin(run)
    via = f" · from {ORIGINS.get(origin, origin)}" if origin != "probe" else ""
    return f"{run_name(run)}{via} · {created_text(run)} · {run.key[:8]}"


#: Column widths (pixels) that fit the runs table in a 1280-pixel window without horizontal
#: scrolling; a long run name is cut with "…" (drag the column wider, or see Details).
RUNS_COLUMNS = {
    "run": st.column_config.TextColumn("run", width=265, help="model · dataset · bit width · samples, and any "
                                       "setting that is not the default"),
    "origin": st.column_config.TextColumn("origin", width=82, help=ORIGIN_HELP),
    "samples": st.column_config.NumberColumn("samples", width=62),
    "layers": st.column_config.NumberColumn("layers", width=52),
    "jumping point": st.column_config.NumberColumn("jumping", width=62, help="jumping point (layer)"),
    "converging point": st.column_config.NumberColumn("converging", width=80, help="converging point (layer)"),
    "peak accuracy": st.column_config.NumberColumn("peak acc.", width=68, format="%.3f"),
    "created": st.column_config.TextColumn("created", width=125),
}


def runs_frame(runs: Sequence[RunResult]) -> pd.DataFrame:
    """One compact row per run: name, origin, size, depth metrics, creation time (to the minute)."""
    return pd.DataFrame([{
        "run": run_name(r), "origin": run_origin(r), "samples": r.n_samples,
        "layers": r.n_layers, "jumping point": r.depth.jumping_point, "converging point": r.depth.converging_point,
        "peak accuracy": round(r.depth.peak_accuracy, 3), "created": created_text(r),
    } for r in runs], columns=list(RUNS_COLUMNS))


#: The Runs page's table: the run's model (and any setting that is not the default) sized to its text, so it is
#: never cut, then one column each for dataset, bit width, noise and sample count (sortable), then the numbers.
RUNS_PAGE_COLUMNS = {
    "run": st.column_config.TextColumn("run", width=None, help="the model, and any setting that is not the "
                                       "default (hook, pooling, protocol, probe, chat template)"),
    "dataset": st.column_config.TextColumn("dataset", width=None),
    "bit width": st.column_config.TextColumn("bits", width=52),
    "noise": st.column_config.TextColumn("noise", width=None),
    "n": st.column_config.NumberColumn("n", width=48, help="samples"),
    "origin": st.column_config.TextColumn("origin", width=82, help=ORIGIN_HELP),
    "layers": st.column_config.NumberColumn("layers", width=52),
    "jumping point": st.column_config.NumberColumn("jumping", width=62, help="jumping point (layer)"),
    "converging point": st.column_config.NumberColumn("converging", width=80, help="converging point (layer)"),
    "peak accuracy": st.column_config.NumberColumn("peak acc.", width=68, format="%.3f"),
    "created": st.column_config.TextColumn("created", width=118),
}
_OWN_COLUMNS = ("model", "dataset", "quant", "noise", "n")


def runs_page_frame(runs: Sequence[RunResult]) -> pd.DataFrame:
    """One row per run for the Runs page: the model with its non-default settings, then dataset, bit width,
    noise and n in columns of their own (issue 22 item 20), origin, depth metrics and creation time."""
    parts = dict(PARTS)
    rows = []
    for r in runs:
        own = {parts[f](r) for f in _OWN_COLUMNS}
        settings = [p for p in run_name(r).split(" · ") if p not in own]
        rows.append({"run": " · ".join([model_text(r.spec)] + settings), "dataset": str(r.spec.get("dataset")),
                     "bit width": parts["quant"](r), "noise": parts["noise"](r), "n": r.n_samples,
                     "origin": run_origin(r), "layers": r.n_layers, "jumping point": r.depth.jumping_point,
                     "converging point": r.depth.converging_point, "peak accuracy": round(r.depth.peak_accuracy, 3),
                     "created": created_text(r)})
    return pd.DataFrame(rows, columns=list(RUNS_PAGE_COLUMNS))


def runs_dataframe(frame: pd.DataFrame, **kwargs) -> None:
    """``st.dataframe`` of a :func:`runs_frame` with column widths that fit the page."""
    columns = {**RUNS_COLUMNS, **RUNS_PAGE_COLUMNS} if "dataset" in frame.columns else RUNS_COLUMNS
    st.dataframe(frame, hide_index=True, width="stretch", placeholder="–",  # no jumping point: not acquired
                 column_config={k: v for k, v in columns.items() if k in frame.columns}, **kwargs)


def runs_static_table(frame: pd.DataFrame) -> None:
    """A short :func:`runs_frame` as ``st.table``: long names wrap, nothing is ever cut off."""
    shown = frame.astype(object)
    for col in ("jumping point", "converging point"):  # None means "not acquired"
        shown[col] = ["–" if pd.isna(v) else str(int(v)) for v in frame[col]]
    shown["peak accuracy"] = [f"{v:.3f}" for v in frame["peak accuracy"]]
    for col in ("run", "origin"):  # st.table renders Markdown in its cells: names from imports are shown literally
        if col in shown.columns:
            shown[col] = [escape_markdown(v) for v in shown[col]]
    st.table(shown, hide_index=True)


def _layer_txt(run: RunResult, layer: int | None) -> str:
    return "not acquired" if layer is None else f"layer {layer}"


def headline(run: RunResult) -> None:
    """The depth metrics as st.metric tiles."""
    d = run.depth
    c = st.columns(4)
    rel = d.relative(d.jumping_point)
    c[0].metric("Jumping point", _layer_txt(run, d.jumping_point),
                help="first layer where the concept becomes clearly readable",
                delta=None if rel is None else f"{rel:.0%} of depth", delta_color="off", delta_arrow="off")
    rel = d.relative(d.converging_point)
    c[1].metric("Converging point", _layer_txt(run, d.converging_point),
                help="layer after which accuracy stops improving",
                delta=None if rel is None else f"{rel:.0%} of depth", delta_color="off", delta_arrow="off")
    peak_layer = d.peak_layer if d.peak_layer is not None else max(run.layers, key=lambda s: s.accuracy).layer
    c[2].metric("Peak accuracy", f"{d.peak_accuracy:.3f}", delta=f"layer {peak_layer}", delta_color="off",
                delta_arrow="off")
    c[3].metric("Chance", f"{d.chance:.3f}", help="share of the larger class",
                delta=f"{run.n_samples} samples · {run.n_layers} layers", delta_color="off", delta_arrow="off")


def show_run(run: RunResult, *, key: str = "run") -> None:
    """Headline numbers, the layer curves with downloads and note, and the per-layer table."""
    st.subheader(escape_markdown(run.label))
    headline(run)
    below = below_chance_message(run)
    if below:  # a finding, not only "not acquired" (issue 22 item 18)
        st.warning(below, icon=":material/trending_down:")
    x = st.radio("x-axis", ["layer", "relative depth"], horizontal=True, key=f"x-{key}")
    fig = layer_curves(run, x="relative" if x == "relative depth" else "layer")
    figure_with_downloads(fig, f"curves-{run.spec.get('dataset')}-{run.key[:8]}",
                          note=what_this_shows("curves", run), key=f"curves-{key}")
    with st.expander("Per-layer table", expanded=False):
        st.dataframe(layer_table(run).round(4), hide_index=True, width="stretch")
    t = run.timing or {}
    bits = [f"{k[:-2].replace('_', ' ')} {v:.1f} s" for k, v in t.items()
            if isinstance(v, (int, float)) and not isinstance(v, bool) and k.endswith("_s") and not k.endswith("per_s")]
    if isinstance(t.get("prompts_per_s"), (int, float)) and t.get("prompts_per_s"):
        bits.append(f"{t['prompts_per_s']:.1f} prompts/s")
    if t.get("cached"):
        bits.insert(0, "from cache")
    if bits:
        st.caption(" · ".join(bits))


def filter_runs(runs: Sequence[RunResult], *, key: str = "filters") -> list[RunResult]:
    """Multiselect filters by model, dataset, bit width and noise (empty = all)."""
    def text(run: RunResult, field: str) -> str:  # one model name whatever bit width its label carries
        return model_text(run.spec) if field == "model_label" else str(run.spec.get(field))

    def values(field: str) -> list:
        return sorted({text(r, field) for r in runs})

    c = st.columns(4)
    chosen = {}
    for col, (field, label) in zip(c, (("model_label", "Model"), ("dataset", "Dataset"), ("quant", "Bit width"),
                                       ("noise", "Noise"))):
        chosen[field] = col.multiselect(label, values(field), key=f"{key}-{field}", placeholder="all")
    return [r for r in runs if all(not v or text(r, f) in v for f, v in chosen.items())]


def pick_runs(runs: Sequence[RunResult], *, key: str, label: str = "Runs to overlay", shown: int = 6) -> list[RunResult]:
    """A multiselect over ``runs`` (newest first), the newest ``shown`` picked at first. Runs that appear later
    (a grid computed on the page, a run from another tab) are added to the selection at once instead of waiting
    for a reload, which left a widget's earlier choice without them (issue 22 item 22)."""
    by_key = {r.key: r for r in runs}
    keys, seen_key = list(by_key), f"{key}__seen"
    seen = st.session_state.get(seen_key)
    if key not in st.session_state:
        st.session_state[key] = keys[:shown]
    elif seen is not None:
        new = [k for k in keys if k not in seen]
        kept = [k for k in st.session_state[key] if k in by_key]
        st.session_state[key] = new + [k for k in kept if k not in new]
    st.session_state[seen_key] = keys
    picked = st.multiselect(label, keys, format_func=lambda k: run_option(by_key[k]), key=key)
    return [by_key[k] for k in picked]


def label_names(run: RunResult) -> tuple[str, str]:
    """Class names of the run's dataset from the catalog, else ("0", "1")."""
    name = str(run.spec.get("dataset", "")).lower()
    try:
        for info in catalog():
            if info.name.lower() == name:
                return tuple(str(x) for x in info.label_names)
    except Exception:  # the catalog is a nicety here
        pass
    return ("0", "1")


def runs_or_notice(empty_message: str, *, stop: bool = True) -> list:
    """Every cached run, newest first; with none, show ``empty_message`` (and stop the page).

    A failure to read the cache shows as an error and counts as no runs.
    """
    runs = []
    with show_errors("could not list cached runs"):
        runs = cached_runs()
    if not runs:
        st.info(empty_message)
        if stop:
            st.stop()
    return runs
