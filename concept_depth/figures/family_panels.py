"""The paper's comparison layout: one panel per dataset, one curve per model, x = relative depth.

Jin et al. (arXiv 2404.07066) compare model families by drawing, for each dataset, every
model's layer-wise probe accuracy against *relative* depth (layer / number of layers), so an
18-block Gemma and a 30-block SmolLM2 line up. :func:`family_panels` draws that from cached
runs; the model x dataset heatmaps of the same runs are :func:`~.heatmaps.depth_heatmap`.
"""

from __future__ import annotations

import math
from typing import Sequence

import plotly.graph_objects as go
from plotly.subplots import make_subplots

from ..results.labels import series_labels
from ..results.run import RunResult
from .curves import METRIC_NAMES, depth_markers, x_values
from .heatmaps import dataset_order
from .theme import color, paper_theme, title_above_plot

#: Legend key of the depth markers (drawn without text in the panels: labels of several models would collide).
MARKER_KEY = (("triangle-up", "jumping point"), ("diamond", "converging point"),
              ("star", "jumping = converging point"))
MARKER_ROLES = ("jumping_point", "converging_point", "both")


def _panel_title(name: str, category: str | None) -> str:
    return f"{name} <span style='font-size:11px;color:#666'>({category})</span>" if category else name


def family_panels(runs: Sequence[RunResult], *, metric: str = "accuracy", x: str = "relative",
                  cols: int | None = None, show_points: bool = True, show_chance: bool = True,
                  title: str | None = None) -> go.Figure:
    """One panel per dataset (ordered by category), one curve per model, with depth markers.

    Parameters
    ----------
    runs : RunResults of several models and datasets. Where two runs share a dataset and
        every setting that names a curve, the first one given is drawn (pass newest first).
    metric : ``accuracy``, ``f1`` or ``auc`` (markers sit on the accuracy curve, so they are
        drawn for ``accuracy`` only).
    x : ``relative`` (layer / layers, the paper's axis) or ``layer``.
    cols : panels per row (default: up to 4).
    show_points : the jumping (▲) and converging (◆) points, ★ where they fall on one layer;
        markers only, keyed once in the legend, so labels of several models never collide.
    show_chance : each panel's chance level (majority class of its held-out samples), dotted,
        one legend entry for all panels.

    Curves keep one colour per model in every panel; the legend names each model once.
    """
    if metric not in METRIC_NAMES:
        raise ValueError(f"unknown metric {metric!r}; choose from {sorted(METRIC_NAMES)}")
    if not runs:
        raise ValueError("no runs to draw")
    labels = series_labels(runs)
    datasets = dataset_order(runs)
    series = list(dict.fromkeys(labels.labels))  # curve names in the order the runs came
    cells: dict[tuple[str, str], RunResult] = {}
    for run, name in zip(runs, labels.labels):
        cells.setdefault((str(run.spec.get("dataset")), name), run)
    cats = {str(r.spec.get("dataset")): r.spec.get("category") for r in runs}
    cols = max(1, min(cols or 4, len(datasets)))
    rows = math.ceil(len(datasets) / cols)
    fig = make_subplots(rows=rows, cols=cols, shared_yaxes=True,
                        subplot_titles=[_panel_title(d, cats.get(d)) for d in datasets],
                        horizontal_spacing=0.035, vertical_spacing=0.16 if rows > 1 else 0.1)
    lows: list[float] = []
    shown: set[int] = set()  # curves already named in the legend
    chance_shown = False
    for p, dataset in enumerate(datasets):
        r, c = p // cols + 1, p % cols + 1
        in_panel = [(s, cells[(dataset, name)]) for s, name in enumerate(series) if (dataset, name) in cells]
        for tr in _panel_traces(dataset, in_panel, series, metric, x, show_points, shown, lows):
            fig.add_trace(tr, row=r, col=c)
        if show_chance:
            for tr in _panel_chance(dataset, in_panel, x, not chance_shown, lows):
                fig.add_trace(tr, row=r, col=c)
                chance_shown = True
    if show_points and metric == "accuracy":
        drawn = {t.marker.symbol for t in fig.data if (t.meta or {}).get("role") in MARKER_ROLES}
        for tr in _marker_key(drawn):
            fig.add_trace(tr, row=1, col=1)
    head = title or (f"Probe {'accuracy' if metric == 'accuracy' else METRIC_NAMES[metric]} by "
                     + ("relative depth" if x == "relative" else "layer") + ", one panel per dataset")
    common = labels.common
    fig.update_layout(title_text=head + (f"<br><sup>{common}</sup>" if common and not title else ""),
                      height=max(380, 290 * rows + 190), hovermode="closest")
    _panels_layout(fig, len(series), len(datasets), rows, cols, metric, x, show_chance, lows)
    fig.layout.meta = {"datasets": datasets, "series": series}
    return fig


def _panel_traces(dataset: str, in_panel: Sequence[tuple[int, RunResult]], series: Sequence[str], metric: str,
                  x: str, show_points: bool, shown: set[int], lows: list[float]) -> list[go.Scatter]:
    """One dataset's panel: each model's curve (named in the legend the first time) and its depth markers.
    Adds the curves' values to ``lows`` and the series named to ``shown``."""
    out: list[go.Scatter] = []
    for s, run in in_panel:
        name = series[s]
        ys = run.metric(metric)
        lows += [v for v in ys if v is not None]
        out.append(go.Scatter(
            x=x_values(run, x), y=ys, mode="lines+markers", name=name, legendgroup=f"series{s}",
            showlegend=s not in shown,
            line=dict(color=color(s), width=2), marker=dict(size=4, color=color(s)),
            customdata=run.layer_numbers,
            meta={"role": "metric", "metric": metric, "run": run.key, "dataset": dataset, "series": name},
            hovertemplate=f"{name}<br>{dataset}: layer %{{customdata}} of {run.n_layers}<br>"
                          f"{METRIC_NAMES[metric]} %{{y:.3f}}<extra></extra>"))
        shown.add(s)
        if show_points and metric == "accuracy":
            for tr in depth_markers(run, x, c=color(s), text=False, name_prefix=f"{name} · {dataset} · ",
                                    group=f"series{s}"):
                tr.marker.size = 11
                tr.meta = dict(tr.meta, dataset=dataset, series=name)
                out.append(tr)
    return out


def _panel_chance(dataset: str, in_panel: Sequence[tuple[int, RunResult]], x: str, named: bool,
                  lows: list[float]) -> list[go.Scatter]:
    """The panel's chance level(s), dotted; only the first line of the figure is named in the legend."""
    xs = [v for _, run in in_panel for v in x_values(run, x)]
    out = []
    for level in sorted({round(float(run.depth.chance), 4) for _, run in in_panel if run.depth.chance}):
        out.append(go.Scatter(
            x=[min(xs), max(xs)], y=[level, level], mode="lines", name="chance (majority class, per panel)",
            legendgroup="chance", showlegend=named and not out, line=dict(color="#888888", width=1.2, dash="dot"),
            hovertemplate=f"chance {level:.2f}<extra>{dataset}</extra>",
            meta={"role": "chance", "chance": level, "dataset": dataset}))
        lows.append(level)
    return out


def _marker_key(drawn: set[str]) -> list[go.Scatter]:
    """The key of the markers ``drawn`` (their symbols): legend entries with no data, none for a marker no
    panel shows."""
    return [go.Scatter(x=[None], y=[None], mode="markers", name=text,
                       marker=dict(symbol=symbol, size=11, color="white", line=dict(color="#444", width=2)),
                       hoverinfo="skip", meta={"role": "key"}) for symbol, text in MARKER_KEY if symbol in drawn]


def _panels_layout(fig: go.Figure, n_series: int, n_panels: int, rows: int, cols: int, metric: str, x: str,
                   show_chance: bool, lows: Sequence[float]) -> None:
    """Theme, the legend at the foot, shared y range, x ticks, axis titles on the outer panels only."""
    paper_theme(fig)
    keys = sum(1 for t in fig.data if (t.meta or {}).get("role") == "key")
    legend_rows = math.ceil((n_series + (1 if show_chance else 0) + keys) / 3)
    fig.update_layout(margin=dict(b=84 + 22 * legend_rows))
    title_above_plot(fig, clearance=30)  # clear of the panel titles
    # the legend at the foot of the figure, under the bottom axis titles, whatever size it is exported at
    fig.update_layout(legend=dict(orientation="h", yref="container", y=0.005, yanchor="bottom", x=0,
                                  xanchor="left"))
    low = min([0.4] + list(lows)) - 0.02
    fig.update_yaxes(range=[low, 1.02])
    if x == "relative":
        fig.update_xaxes(range=[-0.03, 1.03], tickvals=[0, 0.25, 0.5, 0.75, 1], ticktext=["0", ".25", ".5", ".75", "1"])
    x_title = "relative depth (layer / layers)" if x == "relative" else "layer"
    for k in range(n_panels, rows * cols):  # empty slots of the last row
        fig.update_xaxes(visible=False, row=k // cols + 1, col=k % cols + 1)
        fig.update_yaxes(visible=False, row=k // cols + 1, col=k % cols + 1)
    for k in range(n_panels):
        r, c = k // cols + 1, k % cols + 1
        if r == rows or k + cols >= n_panels:  # bottom panel of its column
            fig.update_xaxes(title_text=x_title, row=r, col=c)
        if c == 1:
            fig.update_yaxes(title_text=f"{METRIC_NAMES[metric]} (held-out)", row=r, col=c)
    for ann in fig.layout.annotations:
        ann.font = dict(size=13)
