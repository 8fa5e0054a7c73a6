"""The checkpoint-series figure: a pure function, a CheckpointSeries in, ``go.Figure`` out.

x: the stages in training order (categories, never re-sorted). Top: cognition (the best probe
accuracy over layers, solid ●) and expression (the model's zero-shot answer accuracy, dashed ■)
per stage, one colour per dataset, with each dataset's chance level. Bottom: the jumping point
(▲, the first layer that reads the concept; empty where it is not acquired). The title gives each
dataset's correlation of the two over stages, as computed by the series
(:meth:`~concept_depth.workflows.series.CheckpointSeries.correlation`); this module computes nothing.
"""

from __future__ import annotations

from typing import Any

import plotly.graph_objects as go
from plotly.subplots import make_subplots

from ..workflows.series import CheckpointSeries
from .theme import color, paper_theme

#: The "what this shows" note of the figure (app and docs).
SERIES_NOTE = (
    "One model at several training stages, left to right in training order. **Cognition** (solid, ●) is the best "
    "accuracy a linear probe reaches on any layer of that checkpoint; **expression** (dashed, ■) is how often the "
    "checkpoint's own zero-shot answer (the next-token probabilities of the two answer words) is right, on the "
    "samples not held out as examples. The lower panel shows the **jumping point** (▲): the first layer that "
    "reads the concept (empty where the concept is not acquired). The title gives, per dataset, the Pearson and "
    "Spearman correlation of cognition and expression over the stages that have both, with their number: "
    "with fewer than 3 stages, or a value that does not change, it is undefined. A probe that reads a concept "
    "long before the answers get it right is the cognition-expression gap of arXiv 2405.16964.")

_BELOW = dict(orientation="h", yanchor="top", y=-0.18, xanchor="left", x=0)


def _hover(row: dict[str, Any], what: str) -> str:
    revision = f" @ {row['revision']}" if row.get("revision") else ""
    lines = [f"<b>{row['stage']}</b> · {row['dataset']}", f"{row['model']}{revision}"]
    if what == "cognition":
        jump = row["jumping_point"] if row["jumping_point"] is not None else "not acquired"
        lines += [f"best probe accuracy {row['best_probe_accuracy']:.3f} at layer {row['best_probe_layer']}",
                  f"jumping point {jump}", f"{row['samples']} samples"]
    elif what == "expression":
        lines += [f"answer accuracy {row['answer_accuracy']:.3f}", f"{row['n_eval']} evaluated"]
        if row.get("gap") is not None:
            lines.append(f"gap (probe − answer) {row['gap']:+.3f}")
    else:
        lines += [f"jumping point layer {row['jumping_point']} of {row['layers']}"]
    return "<br>".join(lines)


def _trace(rows: list[dict], key: str, what: str, name: str, c: str, dash: str, symbol: str, group: str,
           dataset: str) -> go.Scatter:
    return go.Scatter(
        x=[r["stage"] for r in rows], y=[r[key] for r in rows], mode="lines+markers", name=name, legendgroup=group,
        line=dict(color=c, dash=dash, width=2), marker=dict(symbol=symbol, size=9, color=c),
        hovertext=[_hover(r, what) if r[key] is not None else f"{r['stage']}: {r.get('error') or 'no value'}"
                   for r in rows], hoverinfo="text",
        meta={"role": what, "dataset": dataset})


def series_figure(series: CheckpointSeries, *, title: str | None = None) -> go.Figure:
    """Cognition and expression per stage (top) and the jumping point (bottom); correlations in the title.

    Every trace carries ``meta = {"role": "cognition" | "expression" | "jumping_point" | "chance", "dataset"}``;
    ``layout.meta["correlations"]`` holds the correlations drawn (``StageCorrelation.to_dict()``).
    """
    stages = series.stage_names
    table = series.table()
    several = len(series.datasets) > 1
    fig = make_subplots(rows=2, cols=1, shared_xaxes=True, vertical_spacing=0.08, row_heights=[0.68, 0.32])
    correlations = [series.correlation(d) for d in series.datasets]
    top_layer = 1
    for i, dataset in enumerate(series.datasets):
        rows = [r for r in table if r["dataset"] == dataset]
        c, prefix = color(i), (f"{dataset}: " if several else "")
        fig.add_trace(_trace(rows, "best_probe_accuracy", "cognition", f"{prefix}cognition (best probe accuracy)",
                             c, "solid", "circle", dataset, dataset), row=1, col=1)
        fig.add_trace(_trace(rows, "answer_accuracy", "expression", f"{prefix}expression (answer accuracy)",
                             c, "dash", "square", dataset, dataset), row=1, col=1)
        fig.add_trace(_trace(rows, "jumping_point", "jumping_point", f"{prefix}jumping point", c, "dot",
                             "triangle-up", dataset, dataset), row=2, col=1)
        chance = next((r["chance"] for r in rows if r["chance"] is not None), None)
        if chance is not None and stages:
            fig.add_trace(go.Scatter(x=[stages[0], stages[-1]], y=[chance, chance], mode="lines",
                                     name=f"{prefix}chance {chance:.2f}", legendgroup=dataset, hoverinfo="skip",
                                     line=dict(color="#888" if not several else c, dash="dot", width=1.2),
                                     meta={"role": "chance", "dataset": dataset, "y": chance}), row=1, col=1)
        top_layer = max([top_layer] + [r["layers"] for r in rows if r["layers"] is not None])
    lines = [f"{c.dataset + ': ' if several else ''}cognition vs expression: {c.text}" for c in correlations]
    head = title or "Checkpoint series: cognition and expression per stage"
    fig.update_layout(title=dict(text=head + "".join(f"<br><sup>{line}</sup>" for line in lines), x=0.01),
                      legend=_BELOW, height=560 + 22 * len(series.datasets),
                      meta={"correlations": [c.to_dict() for c in correlations], "stages": stages})
    fig.update_xaxes(type="category", categoryorder="array", categoryarray=stages)
    fig.update_xaxes(title_text="training stage", row=2, col=1)
    fig.update_yaxes(title_text="accuracy", range=[0, 1.05], row=1, col=1)
    fig.update_yaxes(title_text="jumping point (layer)", range=[-0.3, top_layer + 0.3], tick0=0,
                     dtick=max(1, -(-int(top_layer) // 6)), row=2, col=1)
    paper_theme(fig)
    fig.update_layout(margin=dict(b=150))
    return fig


__all__ = ["series_figure", "SERIES_NOTE"]
