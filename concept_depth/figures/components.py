"""Component curves: probe accuracy on the residual stream, the attention outputs and the MLP outputs
of one model and dataset, overlaid (which part of each block writes the concept)."""

from __future__ import annotations

from typing import Sequence

import plotly.graph_objects as go

from ..results.run import RunResult
from .curves import METRIC_NAMES, whole_layer_ticks, x_values
from .theme import DASHES, SYMBOLS, color, paper_theme

#: Legend names and drawing order of the hooks.
COMPONENT_NAMES = {"residual": "residual stream", "attn_out": "attention output", "mlp_out": "MLP output",
                   "post_attention_layernorm": "post_attention_layernorm (reference hook)"}


def component_curves(runs: Sequence[RunResult], *, metric: str = "accuracy", x: str = "layer",
                     show_control: bool = False, title: str | None = None) -> go.Figure:
    """One curve per run, named by its hook (runs of one model and dataset under different hooks).

    residual layer l is the stream after block l (0 = embeddings); attn_out / mlp_out layer l is
    what block l's attention / MLP adds to it, so at each layer the three read the same depth.
    """
    if metric not in METRIC_NAMES:
        raise ValueError(f"unknown metric {metric!r}; choose from {sorted(METRIC_NAMES)}")
    rank = {h: i for i, h in enumerate(COMPONENT_NAMES)}  # drawn residual, attention, MLP, others
    runs = sorted(runs, key=lambda r: rank.get(str(r.spec.get("hook", "residual")), len(rank)))
    fig = go.Figure()
    for i, run in enumerate(runs):
        hook = str(run.spec.get("hook", "residual"))
        name = COMPONENT_NAMES.get(hook, hook)
        xs = x_values(run, x)
        fig.add_trace(go.Scatter(
            x=xs, y=run.metric(metric), mode="lines+markers", name=name,
            line=dict(color=color(i), width=2.2, dash=DASHES[i % len(DASHES)]),
            marker=dict(size=6, symbol=SYMBOLS[i % len(SYMBOLS)], color=color(i)),
            customdata=run.layer_numbers, meta={"role": "component", "hook": hook, "run": run.key},
            hovertemplate="layer %{customdata}<br>" + METRIC_NAMES[metric] + " %{y:.3f}<extra>" + name + "</extra>"))
        controls = run.metric("control_accuracy")
        if show_control and any(v is not None for v in controls):
            fig.add_trace(go.Scatter(x=xs, y=controls, mode="lines", name=f"{name} · control",
                                     line=dict(color=color(i), width=1, dash="dot"), showlegend=False,
                                     meta={"role": "control", "hook": hook}))
    if runs and runs[0].depth.chance:
        fig.add_hline(y=runs[0].depth.chance, line=dict(color="#999999", width=1, dash="dot"),
                      annotation_text=f"chance {runs[0].depth.chance:.2f}", annotation_position="bottom right")
    if title is None and runs:
        s = runs[0].spec
        title = f"{s.get('dataset')}: where the concept is written<br><sub>{s.get('model_label') or s.get('model')}</sub>"
    fig.update_layout(title=title, xaxis_title="relative depth (layer / layers)" if x == "relative" else
                      "layer (block l; residual 0 = embeddings)", yaxis_title=f"{METRIC_NAMES[metric]} (held-out)",
                      hovermode="x unified")
    paper_theme(fig)
    lows = [v for r in runs for v in r.metric(metric) if v is not None]
    fig.update_yaxes(range=[min([0.4] + lows) - 0.02, 1.02])
    if x == "layer" and runs:
        whole_layer_ticks(fig, max(max(r.layer_numbers) for r in runs))
    return fig
