"""Difference curves: a bit width or noise setting minus the float32 clean run of the same model + dataset."""

from __future__ import annotations

from typing import Iterable, Sequence

import plotly.graph_objects as go

from ..results import RunResult
from .curves import METRIC_NAMES, x_values
from .theme import color, paper_theme

#: Spec fields that must match for two runs to be comparable (everything but quant and noise).
MATCH_FIELDS = ("model", "model_revision", "dataset", "hook", "pooling", "limit", "max_tokens",
                "protocol", "probe", "prompt", "variant")


def is_baseline(run: RunResult) -> bool:
    """True for a float32 run without noise."""
    return int(run.spec.get("quant", 32)) == 32 and run.spec.get("noise", "none") in (None, "none")


def find_baseline(run: RunResult, candidates: Iterable[RunResult]) -> RunResult | None:
    """The float32 clean run with the same model, dataset and settings as ``run`` (newest first), or None."""
    for cand in candidates:
        if cand.key != run.key and is_baseline(cand) and all(
                cand.spec.get(f) == run.spec.get(f) for f in MATCH_FIELDS):
            return cand
    return None


def setting_label(run: RunResult) -> str:
    """What differs from the baseline, e.g. ``8-bit`` or ``32-bit, paper noise (seed 0)``."""
    s = run.spec
    noise = s.get("noise", "none")
    txt = f"{s.get('quant', 32)}-bit"
    if noise not in (None, "none"):
        strength = s.get("noise_strength")
        txt += f", {noise} noise" + (f" {strength:g}" if strength else "") + f" (seed {s.get('noise_seed', 0)})"
    return txt


def difference_curves(pairs: Sequence[tuple[RunResult, RunResult]], *, metric: str = "accuracy",
                      x: str = "layer", title: str | None = None) -> go.Figure:
    """``run − baseline`` per layer for each (run, baseline) pair; layers present in both only.

    Positive means the setting scores higher than float32 clean.
    """
    if metric not in METRIC_NAMES:
        raise ValueError(f"unknown metric {metric!r}")
    fig = go.Figure()
    for i, (run, base) in enumerate(pairs):
        base_vals = dict(zip(base.layer_numbers, base.metric(metric)))
        xs_all = x_values(run, x)
        xs, ys, layers = [], [], []
        for xv, layer, val in zip(xs_all, run.layer_numbers, run.metric(metric)):
            if layer in base_vals and val is not None and base_vals[layer] is not None:
                xs.append(xv)
                ys.append(val - base_vals[layer])
                layers.append(layer)
        name = f"{run.spec.get('model_label') or run.spec.get('model')} · {run.spec.get('dataset')}: {setting_label(run)} − 32-bit clean"
        fig.add_trace(go.Scatter(x=xs, y=ys, mode="lines+markers", name=name, customdata=layers,
                                 line=dict(color=color(i), width=2.2), marker=dict(size=5),
                                 meta={"role": "difference", "run": run.key, "baseline": base.key},
                                 hovertemplate="layer %{customdata}<br>Δ %{y:+.3f}<extra></extra>"))
    fig.add_hline(y=0, line=dict(color="#444", width=1))
    paper_theme(fig)
    # Long run names: legend below the plot, always shown (even for one curve).
    fig.update_layout(showlegend=True, legend=dict(orientation="h", yanchor="top", y=-0.22, x=0, xanchor="left"),
                      margin=dict(b=120),title=title or f"Change in {METRIC_NAMES[metric]} against float32 clean",
                      xaxis_title="relative depth (layer / layers)" if x == "relative" else "layer",
                      yaxis_title=f"Δ {METRIC_NAMES[metric]} (setting − 32-bit clean)")
    return fig


def pair_with_baselines(runs: Sequence[RunResult], pool: Sequence[RunResult]) -> list[tuple[RunResult, RunResult]]:
    """Every non-baseline run in ``runs`` that has a baseline in ``pool``, paired with it."""
    out = []
    for run in runs:
        if is_baseline(run):
            continue
        base = find_baseline(run, pool)
        if base is not None:
            out.append((run, base))
    return out
