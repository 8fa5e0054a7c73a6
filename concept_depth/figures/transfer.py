"""Transfer figures: the train x test matrix at one layer, and each ordered pair's score across layers."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from ..stats.depth import below_chance_p_value
from .curves import whole_layer_ticks
from .theme import DASHES, DIVERGING, SYMBOLS, color, colorbar, paper_theme, title_above_plot

METRIC_NAMES = {"accuracy": "accuracy", "auc": "ROC-AUC"}
#: Marks a cell whose accuracy is below chance beyond the binomial test.
BELOW = "▼"
BELOW_NOTE = (f"{BELOW} below chance beyond the binomial test: the probe reads that dataset backwards "
              "(likely a split that separates paired items; --group-col)")


def below_chance_cells(result, layer: int, alpha: float = 0.05) -> list[tuple[int, int]]:
    """(train, test) cells of ``layer`` whose accuracy on the test dataset's held-out split is below its chance
    beyond the one-sided binomial test, Bonferroni-adjusted over the cells (issue 22 item 18)."""
    z = result.matrix(int(layer), "accuracy")
    k = z.size
    chance, n_test = list(result.chance or []), list(result.n_test or [])
    out = []
    for (a, b), v in np.ndenumerate(z):
        if np.isnan(v) or b >= len(chance) or b >= len(n_test) or not n_test[b] or v >= chance[b]:
            continue
        if below_chance_p_value(float(v), int(n_test[b]), float(chance[b])) * k < alpha:
            out.append((int(a), int(b)))
    return out


def transfer_heatmap(result, layer: int | None = None, *, metric: str = "accuracy", title: str | None = None) -> go.Figure:
    """Rows = dataset the probe was trained on, columns = dataset it was tested on (held-out split).

    ``layer`` None: the layer with the best mean off-diagonal accuracy. Colours are centred on 0.5
    (blue above, red below), so a probe that reads the other dataset backwards stands out.
    """
    if layer is None:
        layer = result.summary.get("best_transfer_layer")
        if layer is None:
            layer = result.layers[-1]
    z = result.matrix(int(layer), metric)
    names = list(result.datasets)
    text = [["–" if np.isnan(v) else f"{v:.2f}" for v in row] for row in z]
    below = below_chance_cells(result, int(layer)) if metric == "accuracy" else []
    for a, b in below:
        text[a][b] += f" {BELOW}"
    fig = go.Figure(go.Heatmap(
        z=z, x=names, y=names, text=text, texttemplate="%{text}", colorscale=DIVERGING, zmin=0.0, zmax=1.0,
        zmid=0.5, colorbar=colorbar(METRIC_NAMES[metric]), hoverongaps=False,
        hovertemplate="trained on %{y}<br>tested on %{x}<br>" + METRIC_NAMES[metric] + " %{text}<extra></extra>",
        meta={"role": "transfer", "layer": int(layer), "metric": metric, "below_chance": [list(c) for c in below]}))
    s = result.spec
    fig.update_layout(title=title or f"Transfer at layer {layer}<br><sub>{s.get('model_label') or s.get('model')} · "
                                     f"{s.get('probe_name', s.get('probe'))}</sub>"
                                     + (f"<br><sub>{BELOW_NOTE}</sub>" if below else ""),
                      xaxis_title="tested on (held-out split)", yaxis_title="trained on (training split)")
    paper_theme(fig)
    if below:
        title_above_plot(fig)  # three title lines
    fig.update_xaxes(showgrid=False, side="bottom")
    fig.update_yaxes(showgrid=False, autorange="reversed")
    return fig


def transfer_curves(result, *, metric: str = "accuracy", title: str | None = None) -> go.Figure:
    """Score of every ordered pair A -> B against layer: colour = trained on, line style = tested on;
    the A -> A curves (the ordinary probe) are drawn thick."""
    names = list(result.datasets)
    fig = go.Figure()
    xs = list(result.layers)
    for a, train in enumerate(names):
        for b, test in enumerate(names):
            ys = result.curve(train, test, metric)
            same = a == b
            fig.add_trace(go.Scatter(
                x=xs, y=ys, mode="lines+markers", name=f"{train} → {test}",
                line=dict(color=color(a), width=3 if same else 1.6, dash="solid" if same else DASHES[1 + b % 5]),
                marker=dict(size=5 if same else 4, symbol=SYMBOLS[b % len(SYMBOLS)], color=color(a)),
                meta={"role": "pair", "train": train, "test": test},
                hovertemplate="layer %{x}<br>" + METRIC_NAMES[metric] + " %{y:.3f}<extra>" + f"{train} → {test}"
                              + "</extra>"))
    if xs:  # in the legend, never a label on the curves
        fig.add_trace(go.Scatter(x=[min(xs), max(xs)], y=[0.5, 0.5], mode="lines", name="0.5 (chance, balanced)",
                                 line=dict(color="#999999", width=1, dash="dot"), hoverinfo="skip",
                                 meta={"role": "chance"}))
    model = result.spec.get("model_label") or result.spec.get("model")
    fig.update_layout(title=title or f"Train on A, test on B, by layer<br><sub>{model}</sub>", xaxis_title="layer (0 = embeddings)"
                      if result.spec.get("hook", "residual") == "residual" else "layer (block index)",
                      yaxis_title=f"{METRIC_NAMES[metric]} on B's held-out split")
    paper_theme(fig)
    fig.update_yaxes(range=[0, 1.02])
    if xs:
        whole_layer_ticks(fig, max(xs))
    return fig
