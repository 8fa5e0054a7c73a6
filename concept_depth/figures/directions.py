"""Direction-stability figures: layer x layer cosine of probe directions, and settings against the reference."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from .curves import whole_layer_ticks
from .theme import DIVERGING, color, colorbar, paper_theme, title_above_plot


def layer_cosine_heatmap(result, setting: int | str = 0, *, title: str | None = None) -> go.Figure:
    """Cosine between the probe directions of every pair of layers of one setting (symmetric, 1 on the diagonal).

    The scale runs from -1 (opposite) through 0 (unrelated) to 1 (the same direction).
    """
    i = result.settings.index(setting) if isinstance(setting, str) else int(setting)
    z = result.layer_matrix(i)
    layers = list(result.layers)
    fig = go.Figure(go.Heatmap(
        z=z, x=layers, y=layers, colorscale=DIVERGING, zmin=-1.0, zmax=1.0, zmid=0.0,
        colorbar=colorbar("cosine"),
        hovertemplate="layer %{y} · layer %{x}<br>cosine %{z:.3f}<extra></extra>",
        meta={"role": "layer-cosine", "setting": result.settings[i]}))
    s = result.spec
    fig.update_layout(title=title or f"Probe directions across layers<br><sub>{s.get('model_label') or s.get('model')}"
                                     f" · {s.get('dataset')} · {result.settings[i]}</sub>",
                      xaxis_title="layer", yaxis_title="layer", width=None)
    paper_theme(fig)
    fig.update_xaxes(showgrid=False, constrain="domain")
    fig.update_yaxes(showgrid=False, autorange="reversed", scaleanchor="x", constrain="domain")
    if layers:
        whole_layer_ticks(fig, max(layers))
        fig.update_yaxes(tick0=0, dtick=max(1, -(-int(max(layers)) // 12)))
    return fig


def setting_cosine_curves(result, *, title: str | None = None) -> go.Figure:
    """Top: cosine, per layer, between each setting's direction and the reference's (first setting).
    Bottom: each setting's own held-out accuracy (solid) and that of the reference probe applied to
    the setting's vectors (dashed): equal = the direction did not move; the reference probe far
    worse = it moved; both low = the concept is blurred."""
    layers = list(result.layers)
    fig = make_subplots(rows=2, cols=1, shared_xaxes=True, vertical_spacing=0.1, row_heights=[0.5, 0.5],
                        subplot_titles=("direction vs the reference", "held-out accuracy"))
    cos = np.asarray(result.setting_cosine, dtype=float)
    own = np.asarray(result.own_accuracy, dtype=float)
    cross = np.asarray(result.cross_accuracy, dtype=float)
    ref = result.settings[0]
    for t, name in enumerate(result.settings):
        c = color(t)
        if t > 0:
            fig.add_trace(go.Scatter(x=layers, y=cos[0, t], mode="lines+markers", name=f"{name} vs {ref}",
                                     line=dict(color=c, width=2.2), meta={"role": "cosine", "setting": name},
                                     legendgroup=name), row=1, col=1)
        fig.add_trace(go.Scatter(x=layers, y=own[t], mode="lines", name=f"{name}: own probe",
                                 line=dict(color=c, width=2), meta={"role": "own-accuracy", "setting": name},
                                 legendgroup=name), row=2, col=1)
        if t > 0:
            fig.add_trace(go.Scatter(x=layers, y=cross[0, t], mode="lines", name=f"{name}: {ref} probe",
                                     line=dict(color=c, width=1.6, dash="dash"),
                                     meta={"role": "cross-accuracy", "setting": name}, legendgroup=name),
                          row=2, col=1)
    fig.add_hline(y=result.chance_cosine, line=dict(color="#999999", width=1, dash="dot"), row=1, col=1,
                  annotation_text="random directions", annotation_position="top right")
    s = result.spec
    fig.update_layout(title=title or "Does the setting move the concept direction or blur it?<br>"
                                     f"<sub>{s.get('model_label') or s.get('model')} · {s.get('dataset')}</sub>",
                      legend=dict(orientation="h", yanchor="top", y=-0.2, x=0, xanchor="left"),
                      margin=dict(b=200))
    paper_theme(fig)
    title_above_plot(fig, clearance=30)  # clear of the panel titles
    fig.update_yaxes(title_text="cosine", range=[-0.05, 1.05], row=1, col=1)
    fig.update_yaxes(title_text="accuracy", row=2, col=1)
    fig.update_xaxes(title_text="layer", row=2, col=1)
    if layers:
        whole_layer_ticks(fig, max(layers))
    return fig
