"""Figures of a bit width against float32: fidelity of the vectors, and the shift of the depth metrics.

Pure functions: tables and comparisons in, ``go.Figure`` out.
"""

from __future__ import annotations

from typing import Any, Mapping, Sequence

import plotly.graph_objects as go
from plotly.subplots import make_subplots

from .theme import DASHES, color, paper_theme, title_above_plot

SHIFT_NAMES = {"jumping_point": "jumping point", "converging_point": "converging point", "peak_layer": "peak layer"}


def fidelity_figure(tables: Sequence[tuple[str, Mapping[str, Any]]], *, title: str | None = None) -> go.Figure:
    """Per layer, how far each bit width's vectors are from float32's.

    tables : ``(label, fidelity table)`` per bit width, a table as stored in a result's
        ``extra["fidelity"]`` (``{"layers": [{"layer", "cosine_mean", "cosine_min", "max_sd",
        "mean_sd"}, ...]}``).

    Top panel: mean cosine to float32 (solid) and the smallest (dotted). Bottom panel: the
    largest (dashed) and mean (solid) deviation in standard deviations of each dimension over
    the float32 samples, on a log axis.
    """
    fig = make_subplots(rows=2, cols=1, shared_xaxes=True, vertical_spacing=0.1,
                        subplot_titles=("cosine to float32", "deviation from float32 (SD of each dimension)"))
    for i, (label, table) in enumerate(tables):
        rows = sorted((r for r in (table or {}).get("layers") or [] if isinstance(r, dict) and "layer" in r),
                      key=lambda r: r["layer"])
        layers = [r["layer"] for r in rows]
        c = color(i)
        for field, dash, part, row in (("cosine_mean", "solid", "mean cosine", 1),
                                       ("cosine_min", "dot", "smallest cosine", 1),
                                       ("max_sd", "dash", "largest deviation", 2),
                                       ("mean_sd", "solid", "mean deviation", 2)):
            fig.add_trace(go.Scatter(
                x=layers, y=[r.get(field) for r in rows], mode="lines+markers", name=f"{label}: {part}",
                line=dict(color=c, dash=dash, width=2), marker=dict(size=4), legendgroup=label,
                meta={"role": field, "label": label},
                hovertemplate=f"{label}<br>layer %{{x}}<br>{part} %{{y:.4g}}<extra></extra>"), row=row, col=1)
    paper_theme(fig)
    fig.update_yaxes(title_text="cosine", row=1, col=1)
    fig.update_yaxes(title_text="|Δ| / SD", type="log", dtick=1, row=2, col=1)  # ticks at powers of ten only
    fig.update_xaxes(title_text="layer", row=2, col=1)
    fig.update_layout(title=title or "Fidelity of low bit widths to float32, per layer", height=620,
                      legend=dict(orientation="h", yanchor="top", y=-0.16, x=0, xanchor="left"),
                      margin=dict(b=170))
    title_above_plot(fig, clearance=30)
    return fig


def depth_shift_figure(comparisons: Sequence[tuple[str, Any]], *, title: str | None = None) -> go.Figure:
    """The shift of jumping point, converging point and peak layer (run − float32 clean), with intervals.

    comparisons : ``(label, PairedComparison)`` per pair. One marker per metric and pair at its
    shift in layers, with its paired bootstrap interval as error bars; a metric that is not
    defined (concept not acquired in a run) is left out and named in the hover of the others.
    """
    fig = go.Figure()
    metrics = list(SHIFT_NAMES)
    for i, (label, pc) in enumerate(comparisons):
        xs, ys, lo, hi, text = [], [], [], [], []
        for s in pc.shifts:
            if s.shift is None:
                continue
            xs.append(s.shift)
            ys.append(SHIFT_NAMES.get(s.metric, s.metric))
            low = s.low if s.low is not None else s.shift
            high = s.high if s.high is not None else s.shift
            lo.append(s.shift - low)
            hi.append(high - s.shift)
            text.append(f"{s.b} − {s.a} = {s.shift:+d} layers, interval [{low:+.1f}, {high:+.1f}]"
                        f" ({s.defined_share:.0%} of resamples defined)")
        fig.add_trace(go.Scatter(
            x=xs, y=ys, mode="markers", name=label, text=text, marker=dict(size=10, color=color(i),
                                                                          symbol=["circle", "square", "diamond"][i % 3]),
            error_x=dict(type="data", symmetric=False, array=hi, arrayminus=lo, color=color(i), thickness=1.5),
            meta={"role": "shift", "label": label}, hovertemplate="%{y}<br>%{text}<extra>" + label + "</extra>"))
    fig.add_vline(x=0, line=dict(color="#444", width=1, dash=DASHES[1]))
    paper_theme(fig)
    method = next((pc.method for _, pc in comparisons), "")
    fig.update_layout(title=title or ("Shift of the depth metrics against float32 clean"
                                      + (f"<br><sup>{method}</sup>" if method else "")),
                      xaxis_title="shift in layers (setting − 32-bit clean)", height=360,
                      yaxis=dict(categoryorder="array", categoryarray=[SHIFT_NAMES[m] for m in reversed(metrics)]),
                      legend=dict(orientation="v", yanchor="top", y=1, x=1.02, xanchor="left"), margin=dict(r=110))
    title_above_plot(fig)
    return fig
