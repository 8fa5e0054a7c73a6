"""Steering figure: how far a push along the probe direction moves the model's answer, layer by layer,
against a random push of the same size, above the probe's accuracy curve (readable vs used)."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from .curves import whole_layer_ticks
from .theme import paper_theme, title_above_plot

#: Blues for pushes towards class 1, oranges/reds for pushes towards class 0 (colour-blind safe pairs).
_POSITIVE = ("#56B4E9", "#0072B2", "#003E6B", "#001F36")
_NEGATIVE = ("#E69F00", "#D55E00", "#8B3A00", "#4A1F00")


def alpha_colors(alphas) -> dict[float, str]:
    """Colour per alpha: darker for stronger pushes, blue for positive, orange for negative."""
    out = {}
    pos = sorted(a for a in alphas if a > 0)
    neg = sorted((a for a in alphas if a < 0), reverse=True)
    for group, palette in ((pos, _POSITIVE), (neg, _NEGATIVE)):
        for i, a in enumerate(group):
            out[a] = palette[min(i, len(palette) - 1)]
    for a in alphas:
        out.setdefault(a, "#666666")
    return out


def metric_title(result, metric: str) -> str:
    words = result.answer.get("words") or ["class 0", "class 1"]
    names = result.spec.get("label_names") or ["class 0", "class 1"]
    p = f"p({words[1]})"
    return {"delta_class1": f"Δ {p} on {names[1]} samples", "delta_class0": f"Δ {p} on {names[0]} samples",
            "delta_all": f"Δ {p} on all held-out samples", "flipped": "share of answers changed",
            "accuracy": "answer accuracy after steering"}[metric]


def steering_figure(result, *, metric: str = "delta_class1", show_random: bool = True,
                    title: str | None = None) -> go.Figure:
    """Top: effect of steering at each layer, one line per alpha (probe direction solid with ±1 SE
    bars, random direction of the same norm dashed). Bottom: the held-out accuracy of the probe
    whose direction is pushed (where the concept is readable)."""
    layers = list(result.layers)
    fig = make_subplots(rows=2, cols=1, shared_xaxes=True, vertical_spacing=0.12, row_heights=[0.68, 0.32],
                        subplot_titles=(metric_title(result, metric), "probe accuracy (readable)"))
    colors = alpha_colors(result.alphas)
    sem_key = f"{metric}_sem" if metric.startswith("delta") else None
    for ai, alpha in enumerate(result.alphas):
        c = colors[alpha]
        label = f"α = {alpha:+g}"
        for direction, dash, width in (("probe", "solid", 2.4), ("random", "dash", 1.4)):
            if direction == "random" and not show_random:
                continue
            ys = np.asarray(result.effects[direction][metric], dtype=float)[:, ai]
            err = (dict(type="data", array=np.asarray(result.effects[direction][sem_key], dtype=float)[:, ai],
                        visible=True, thickness=1, width=2, color=c) if sem_key and direction == "probe" else None)
            fig.add_trace(go.Scatter(
                x=layers, y=ys, error_y=err, mode="lines+markers" if direction == "probe" else "lines",
                name=f"{label} · {'probe direction' if direction == 'probe' else 'random direction'}",
                line=dict(color=c, width=width, dash=dash), marker=dict(size=5, color=c), legendgroup=label,
                meta={"role": direction, "alpha": alpha, "metric": metric},
                hovertemplate="layer %{x}<br>%{y:.3f}<extra>" + f"{label} · {direction}</extra>"), row=1, col=1)
    if metric.startswith("delta"):
        fig.add_hline(y=0, line=dict(color="#999999", width=1), row=1, col=1)
    fig.add_trace(go.Scatter(x=layers, y=result.probe_accuracy, mode="lines+markers", name="probe accuracy",
                             line=dict(color="#000000", width=2), marker=dict(size=5, color="#000000"),
                             meta={"role": "probe-accuracy"}), row=2, col=1)
    s = result.spec
    fig.update_layout(title=title or f"Steering along the {s.get('probe', 'probe')} direction (solid) and a random "
                                     f"one (dashed)<br><sub>{s.get('model_label') or s.get('model')} · "
                                     f"{s.get('dataset')}</sub>",
                      legend=dict(orientation="h", yanchor="top", y=-0.2, x=0, xanchor="left"),
                      margin=dict(b=190), hovermode="closest")
    paper_theme(fig)
    title_above_plot(fig, clearance=30)  # clear of the panel titles
    fig.update_yaxes(title_text=metric_title(result, metric).split(" on ")[0], row=1, col=1)
    low = min([0.4] + [v for v in result.probe_accuracy if v is not None])
    fig.update_yaxes(title_text="accuracy", range=[low - 0.02, 1.02], row=2, col=1)
    fig.update_xaxes(title_text="layer steered (0 = embeddings)", row=2, col=1)
    if layers:
        whole_layer_ticks(fig, max(layers))
    return fig
