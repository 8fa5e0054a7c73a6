"""Figures of a bit width against float32: fidelity of the vectors, and the shift of the depth metrics.

Pure functions: tables and comparisons in, ``go.Figure`` out.
"""

from __future__ import annotations

import math
from typing import Any, Mapping, Sequence

import plotly.graph_objects as go
from plotly.subplots import make_subplots

from .theme import DASHES, color, paper_theme, title_above_plot

SHIFT_NAMES = {"jumping_point": "jumping point", "converging_point": "converging point", "peak_layer": "peak layer"}


#: Each fidelity quantity: (table field, line dash, marker symbol, name, panel row). Every quantity has its own
#: style, so the two means (cosine above, deviation below) never look alike in the legend.
FIDELITY_PARTS = (("cosine_mean", "solid", "circle", "mean cosine", 1),
                  ("cosine_min", "dot", "triangle-down", "smallest cosine", 1),
                  ("max_sd", "dash", "triangle-up", "largest deviation", 2),
                  ("mean_sd", "dashdot", "square", "mean deviation", 2))


def fidelity_figure(tables: Sequence[tuple[str, Mapping[str, Any]]], *, title: str | None = None) -> go.Figure:
    """Per layer, how far each bit width's vectors are from float32's.

    tables : ``(label, fidelity table)`` per bit width, a table as stored in a result's
        ``extra["fidelity"]`` (``{"layers": [{"layer", "cosine_mean", "cosine_min", "max_sd",
        "mean_sd"}, ...]}``).

    Top panel: mean cosine to float32 (solid) and the smallest (dotted). Bottom panel: the
    largest (dashed) and mean (dash-dot) deviation in standard deviations of each dimension over
    the float32 samples, on a log axis with at least three ticks. Colour = bit width; with one
    bit width the legend names the quantities and the title the bit width.
    """
    fig = make_subplots(rows=2, cols=1, shared_xaxes=True, vertical_spacing=0.1,
                        subplot_titles=("cosine to float32", "deviation from float32 (SD of each dimension)"))
    deviations: list[float] = []
    for i, (label, table) in enumerate(tables):
        rows = sorted((r for r in (table or {}).get("layers") or [] if isinstance(r, dict) and "layer" in r),
                      key=lambda r: r["layer"])
        layers = [r["layer"] for r in rows]
        for field, dash, symbol, part, row in FIDELITY_PARTS:
            ys = [r.get(field) for r in rows]
            if row == 2:
                deviations += [float(v) for v in ys if isinstance(v, (int, float)) and v > 0]
            fig.add_trace(go.Scatter(
                x=layers, y=ys, mode="lines+markers", name=f"{label}: {part}" if len(tables) > 1 else part,
                line=dict(color=color(i), dash=dash, width=2), marker=dict(size=6, symbol=symbol),
                legendgroup=label, meta={"role": field, "label": label},
                hovertemplate=f"{label}<br>layer %{{x}}<br>{part} %{{y:.4g}}<extra></extra>"), row=row, col=1)
    paper_theme(fig)
    fig.update_yaxes(title_text="cosine", row=1, col=1)
    fig.update_yaxes(title_text="|Δ| / SD", type="log", tickvals=log_ticks(deviations), row=2, col=1)
    fig.update_xaxes(title_text="layer", row=2, col=1)
    one = tables[0][0] if len(tables) == 1 else None
    fig.update_layout(title=title or ("Fidelity of low bit widths to float32, per layer"
                                      + (f"<br><sup>{one}</sup>" if one else "")), height=620,
                      legend=dict(orientation="h", yanchor="top", y=-0.16, x=0, xanchor="left"),
                      margin=dict(b=170))
    title_above_plot(fig, clearance=30)
    return fig


def log_ticks(values: Sequence[float], at_least: int = 3) -> list[float]:
    """Ticks of a log axis over ``values``: powers of ten, then 1-2-5 steps or finer, until at least
    ``at_least`` fall inside the data's range (one power of ten alone left a panel with one tick)."""
    positive = [v for v in values if v > 0]
    if not positive:
        return [0.01, 0.1, 1.0]
    lo, hi = min(positive), max(positive)
    first, last = math.floor(math.log10(lo)), math.ceil(math.log10(hi))
    for steps in ((1,), (1, 2, 5), (1, 1.5, 2, 3, 5, 7), tuple(range(1, 10))):
        ticks = [m * 10 ** e for e in range(first, last + 1) for m in steps]
        inside = [t for t in ticks if lo * 0.999 <= t <= hi * 1.001]
        if len(inside) >= at_least:
            return inside
    return sorted({lo, math.sqrt(lo * hi), hi})


def depth_shift_figure(comparisons: Sequence[tuple[str, Any]], *, title: str | None = None) -> go.Figure:
    """The shift of jumping point, converging point and peak layer (run − float32 clean), with intervals.

    comparisons : ``(label, PairedComparison)`` per pair. One marker per metric and pair at its
    shift in layers, with its paired bootstrap interval as error bars; a metric that is not
    defined (concept not acquired in a run) is left out and named in the hover of the others.
    With several pairs each metric's row holds them one under another (in the order given), so
    one pair's interval never hides another's.
    """
    fig = go.Figure()
    metrics = list(SHIFT_NAMES)
    n = len(comparisons)
    for i, (label, pc) in enumerate(comparisons):
        xs, ys, lo, hi, text = [], [], [], [], []
        for s in pc.shifts:
            if s.shift is None:
                continue
            xs.append(s.shift)
            name = SHIFT_NAMES.get(s.metric, s.metric)
            # one pair: the metric's row; several: the row, each pair a step below the one before
            ys.append(name if n == 1 else _row(metrics, s.metric) + _offset(i, n))
            low = s.low if s.low is not None else s.shift
            high = s.high if s.high is not None else s.shift
            lo.append(s.shift - low)
            hi.append(high - s.shift)
            text.append(f"{name}: {s.b} − {s.a} = {s.shift:+d} layers, interval [{low:+.1f}, {high:+.1f}]"
                        f" ({s.defined_share:.0%} of resamples defined)")
        fig.add_trace(go.Scatter(
            x=xs, y=ys, mode="markers", name=label, text=text, marker=dict(size=10, color=color(i),
                                                                          symbol=["circle", "square", "diamond"][i % 3]),
            error_x=dict(type="data", symmetric=False, array=hi, arrayminus=lo, color=color(i), thickness=1.5),
            meta={"role": "shift", "label": label}, hovertemplate="%{text}<extra>" + label + "</extra>"))
    fig.add_vline(x=0, line=dict(color="#444", width=1, dash=DASHES[1]))
    paper_theme(fig)
    method = next((pc.method for _, pc in comparisons), "")
    rows = [SHIFT_NAMES[m] for m in reversed(metrics)]
    yaxis = (dict(categoryorder="array", categoryarray=rows) if n <= 1 else
             dict(tickvals=[_row(metrics, m) for m in metrics], ticktext=[SHIFT_NAMES[m] for m in metrics],
                  range=[-0.6, len(metrics) - 0.4], showgrid=False, zeroline=False))
    fig.update_layout(title=title or ("Shift of the depth metrics against float32 clean"
                                      + (f"<br><sup>{method}</sup>" if method else "")),
                      xaxis_title="shift in layers (setting − 32-bit clean)", height=360 if n <= 2 else 360 + 40 * n,
                      yaxis=yaxis,
                      legend=dict(orientation="v", yanchor="top", y=1, x=1.02, xanchor="left"), margin=dict(r=110))
    title_above_plot(fig)
    return fig


def _row(metrics: Sequence[str], metric: str) -> float:
    """The y of a metric's row (the first metric on top)."""
    return float(len(metrics) - 1 - metrics.index(metric)) if metric in metrics else -1.0


def _offset(i: int, n: int) -> float:
    """Pair ``i`` of ``n``'s place inside its row: spread over 0.5 of the row's height, first on top."""
    return 0.25 - 0.5 * i / (n - 1) if n > 1 else 0.0
