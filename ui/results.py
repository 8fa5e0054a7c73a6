"""Render one run (headline depth metrics, curves, per-layer table) and pick runs from the cache."""

from __future__ import annotations

from typing import Sequence

import streamlit as st

from concept_depth.figures import layer_curves, what_this_shows
from concept_depth.figures.bundle import layer_table
from concept_depth.results import RunResult

from .figures import figure_with_downloads
from .text import escape_markdown


def run_option(run: RunResult) -> str:
    """One line naming a run in pickers."""
    s = run.spec
    extra = f" · {s.get('hook')}" if s.get("hook") not in (None, "residual") else ""
    extra += f" · {s.get('protocol')}" if s.get("protocol") not in (None, "paper") else ""
    return f"{run.label}{extra} · n={run.n_samples} · {run.created[:16].replace('T', ' ')} · {run.key[:8]}"


def _layer_txt(run: RunResult, layer: int | None) -> str:
    if layer is None:
        return "not acquired"
    return f"layer {layer}"


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
    def values(field: str) -> list:
        return sorted({str(r.spec.get(field)) for r in runs})

    c = st.columns(4)
    chosen = {}
    for col, (field, label) in zip(c, (("model_label", "Model"), ("dataset", "Dataset"), ("quant", "Bit width"),
                                       ("noise", "Noise"))):
        chosen[field] = col.multiselect(label, values(field), key=f"{key}-{field}", placeholder="all")
    return [r for r in runs if all(not v or str(r.spec.get(f)) in v for f, v in chosen.items())]


def label_names(run: RunResult) -> tuple[str, str]:
    """Class names of the run's dataset from the catalog, else ("0", "1")."""
    from .engine import catalog

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
    from .engine import cached_runs
    from .errors import show_errors

    runs = []
    with show_errors("could not list cached runs"):
        runs = cached_runs()
    if not runs:
        st.info(empty_message)
        if stop:
            st.stop()
    return runs
