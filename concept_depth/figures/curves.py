"""Layer curves: probe Acc / F1 / AUC against layer, for one run or several overlaid."""

from __future__ import annotations

from typing import Sequence

import plotly.graph_objects as go

from ..results.labels import run_labels
from ..results.run import RunResult
from .theme import DASHES, SYMBOLS, color, paper_theme, rgba, title_above_plot

METRIC_NAMES = {"accuracy": "Accuracy", "f1": "F1", "auc": "ROC-AUC"}


def x_values(run: RunResult, x: str) -> list[float]:
    """Layer numbers (``x="layer"``) or relative depth layer / n_layers (``x="relative"``)."""
    if x == "relative":
        n = run.n_layers or max(run.layer_numbers) or 1
        return [layer / n for layer in run.layer_numbers]
    if x != "layer":
        raise ValueError(f"x must be 'layer' or 'relative', got {x!r}")
    return [float(layer) for layer in run.layer_numbers]


def _x_of(run: RunResult, layer: int, x: str) -> float:
    return layer / (run.n_layers or 1) if x == "relative" else float(layer)


def whole_layer_ticks(fig: go.Figure, top_layer: int) -> go.Figure:
    """Ticks on whole layers only (at most about 12 of them), never 0.5 or 1.5."""
    return fig.update_xaxes(tick0=0, dtick=max(1, -(-int(top_layer) // 12)))

#: The depth markers: symbol, legend name and the short in-plot label of each point.
MARKERS = {"jumping_point": ("triangle-up", "jumping point", "J"),
           "converging_point": ("diamond", "converging point", "C")}


#: Where the in-plot labels of the depth markers sit: just above the plot's frame (y = 1.02, the top of the
#: score axis), at the marker's x, so they never sit on a curve or a marker; room kept for them above the plot.
LABEL_Y = 1.02
LABEL_CLEARANCE = 30


def depth_markers(run: RunResult, x: str, *, c: str = "#000000", text: bool = True, name_prefix: str = "",
                  group: str | None = None, label_y: float = LABEL_Y) -> list[go.Scatter]:
    """Markers at the jumping (▲ J) and converging (◆ C) points on the accuracy curve.

    When both fall on one layer they are one marker (★) labelled ``J = C = 11``, so neither
    hides the other. With ``text`` each marker's label (its ``text``) is drawn above the plot's
    frame at ``label_y`` (the top of the score axis), joined to its marker by a faint dotted
    line: the left marker's label ends at its x, the right one's starts there, so two markers on
    neighbouring layers never print on top of each other, and no label sits on a curve.
    """
    acc = dict(zip(run.layer_numbers, run.metric("accuracy")))
    points = {f: getattr(run.depth, f) for f in MARKERS}
    points = {f: layer for f, layer in points.items() if layer is not None and layer in acc}
    jp, cp = points.get("jumping_point"), points.get("converging_point")
    if jp is not None and jp == cp:
        items = [("both", jp, "star", "jumping = converging point", f"J = C = {jp}", "top center")]
    else:
        left = min(points.values()) if points else None  # J before C, except on odd curves
        items = [(f, layer, MARKERS[f][0], MARKERS[f][1], f"{MARKERS[f][2]} = {layer}",
                  "top center" if len(points) == 1 else ("top left" if layer == left else "top right"))
                 for f, layer in points.items()]
    out = []
    for field, layer, symbol, label, short, position in items:
        roles = ("jumping_point", "converging_point") if field == "both" else (field,)
        xv, yv = _x_of(run, layer, x), acc[layer]
        guide, label_trace = _depth_label(xv, yv, short, position, c, field, layer, label_y) if text else (None, None)
        if guide is not None:
            out.append(guide)  # under its marker
        out.append(go.Scatter(
            x=[xv], y=[yv], mode="markers", name=f"{name_prefix}{label} (layer {layer})",
            marker=dict(symbol=symbol, size=15 if field == "both" else 14, color="white",
                        line=dict(color=c, width=2.5)),
            text=[short], cliponaxis=False,  # a marker at accuracy 1.0 is drawn whole, over the frame
            meta={"role": field, "roles": list(roles), "layer": layer, "run": run.key},
            showlegend=group is None, legendgroup=group,
            hovertemplate=f"{label}: layer {layer}<br>accuracy %{{y:.3f}}<extra></extra>",
        ))
        if label_trace is not None:
            out.append(label_trace)
    return out


def _depth_label(xv: float, yv: float, short: str, position: str, c: str, field: str, layer: int,
                 label_y: float) -> tuple[go.Scatter, go.Scatter]:
    """A faint dotted line from a depth marker up to the frame, and the marker's label above it at ``label_y``."""
    return (go.Scatter(x=[xv, xv], y=[yv, label_y], mode="lines", line=dict(color="#999999", width=1, dash="dot"),
                       hoverinfo="skip", showlegend=False, cliponaxis=False,
                       meta={"role": "depth-guide", "for": field, "layer": layer}),
            go.Scatter(x=[xv], y=[label_y], mode="text", text=[short], textposition=position,
                       textfont=dict(size=12, color=c), cliponaxis=False, hoverinfo="skip", showlegend=False,
                       meta={"role": "depth-label", "for": field, "layer": layer}))


def chance_traces(runs: Sequence[RunResult], x: str, names: Sequence[str] | None = None) -> list[go.Scatter]:
    """One dotted chance line per distinct chance level, named in the legend (never on the curves).

    ``names``: the runs' legend labels; with several levels each line says which runs it belongs to.
    """
    levels: dict[float, list[int]] = {}
    for i, run in enumerate(runs):
        if run.depth.chance:
            levels.setdefault(round(float(run.depth.chance), 4), []).append(i)
    xs = [v for run in runs for v in x_values(run, x)]
    if not levels or not xs:
        return []
    out = []
    crowded = [level for level, idx in levels.items() if len(idx) > 2]
    for level, idx in sorted(levels.items()):
        own = len(levels) > 1 and names is not None
        line_color = color(idx[0]) if own and len(idx) == 1 else "#888888"
        if not own:
            whose = ""
        elif len(idx) <= 2:
            whose = f" ({', '.join(names[i] for i in idx)})"
        else:  # a long list of names would fill the legend: count them
            whose = f" (the other {len(idx)} runs)" if len(crowded) == 1 else f" ({len(idx)} runs)"
        name = f"chance {level:.2f}{whose}"
        out.append(go.Scatter(x=[min(xs), max(xs)], y=[level, level], mode="lines", name=name,
                              line=dict(color=line_color, width=1.2, dash="dot"), hoverinfo="skip",
                              showlegend=True, meta={"role": "chance", "chance": level,
                                                     "runs": [runs[i].key for i in idx]}))
    return out


def layer_curves(runs: RunResult | Sequence[RunResult], *, metrics: Sequence[str] = ("accuracy", "f1", "auc"),
                 x: str = "layer", show_bands: bool = True, show_control: bool = True,
                 show_points: bool = True, show_chance: bool = True, title: str | None = None) -> go.Figure:
    """Probe scores against layer.

    Parameters
    ----------
    runs : one RunResult or several (overlaid; colour = run, dash = metric).
    metrics : any of ``accuracy``, ``f1``, ``auc``.
    x : ``layer`` (layer number) or ``relative`` (layer / n_layers, so models of different depth line up).
    show_bands : ±1 standard deviation band (only where the run has ``*_std``, i.e. k-fold).
    show_control : the control-task accuracy (shuffled labels) as a dashed grey-ish curve.
    show_points : markers at the jumping and converging points (of the accuracy curve).
    """
    runs = [runs] if isinstance(runs, RunResult) else list(runs)
    for m in metrics:
        if m not in METRIC_NAMES:
            raise ValueError(f"unknown metric {m!r}; choose from {sorted(METRIC_NAMES)}")
    fig = go.Figure()
    single = len(runs) == 1
    labels = run_labels(runs)
    names = list(labels.labels)
    for ri, run in enumerate(runs):
        fig.add_traces(_run_traces(run, ri, names, metrics, x, single, show_bands, show_control, show_points))
    if show_chance and runs:
        fig.add_traces(chance_traces(runs, x, names if not single else None))
    if title is None and runs:
        title = labels.common if single else "Probe scores by layer" + (  # one run: its name, n included
            f"<br><sup>{labels.common}</sup>" if labels.common else "")
    fig.update_layout(title=title, xaxis_title=_x_title(runs, x), yaxis_title="score (held-out)",
                      hovermode="closest", legend=dict(orientation="v"))
    lows = [v for r in runs for m in metrics for v in r.metric(m) if v is not None]
    paper_theme(fig)
    fig.update_yaxes(range=[min([0.4] + lows) - 0.02, LABEL_Y])
    if x == "layer" and runs:
        whole_layer_ticks(fig, max(max(r.layer_numbers) for r in runs))
    if single and any((t.meta or {}).get("role") == "depth-label" for t in fig.data):
        title_above_plot(fig, clearance=LABEL_CLEARANCE)  # the depth labels sit between frame and title
    if not single:
        _overlay_layout(fig, runs, metrics, show_points, show_control)
    return fig


def _run_traces(run: RunResult, ri: int, names: Sequence[str], metrics: Sequence[str], x: str, single: bool,
                show_bands: bool, show_control: bool, show_points: bool) -> list[go.Scatter]:
    """Run ``ri``'s curves: per metric its band and line, then its control curve and depth markers."""
    xs = x_values(run, x)
    out: list[go.Scatter] = []
    for mi, metric in enumerate(metrics):
        c = color(mi if single else ri)
        name = METRIC_NAMES[metric] if single else f"{names[ri]} · {METRIC_NAMES[metric]}"
        group = f"run{ri}-{metric}" if single else f"run{ri}"
        if show_bands:
            out += _band_traces(run, metric, xs, c, name, group)
        out.append(go.Scatter(
            x=xs, y=run.metric(metric), mode="lines+markers", name=name if single else names[ri], legendgroup=group,
            showlegend=single or mi == 0,
            line=dict(color=c, width=2.2, dash=DASHES[mi % len(DASHES)] if not single else "solid"),
            marker=dict(size=5, symbol=SYMBOLS[mi % len(SYMBOLS)], color=c),
            customdata=run.layer_numbers, meta={"role": "metric", "metric": metric, "run": run.key},
            hovertemplate="layer %{customdata}<br>" + METRIC_NAMES[metric] + " %{y:.3f}<extra>" + name + "</extra>",
        ))
    if show_control:
        out += _control_traces(run, ri, names, xs, single)
    if show_points:
        out += depth_markers(run, x, c="#000000" if single else color(ri), text=single,
                             name_prefix="" if single else f"{names[ri]} · ", group=None if single else f"run{ri}")
    return out


def _band_traces(run: RunResult, metric: str, xs: list[float], c: str, name: str, group: str) -> list[go.Scatter]:
    """The ±1 standard deviation band of ``metric`` (k-fold runs only): an invisible upper edge, then the
    lower edge filled up to it."""
    ys, stds = run.metric(metric), run.metric(f"{metric}_std")
    if not any(s is not None for s in stds):
        return []
    upper = [y + s for y, s in zip(ys, stds)]
    lower = [y - s for y, s in zip(ys, stds)]
    return [go.Scatter(x=xs, y=upper, mode="lines", line=dict(width=0), hoverinfo="skip", showlegend=False,
                       legendgroup=group, name=f"{name} +1 sd", meta={"role": "band-upper"}),
            go.Scatter(x=xs, y=lower, mode="lines", line=dict(width=0), fill="tonexty", fillcolor=rgba(c, 0.18),
                       hoverinfo="skip", showlegend=False, legendgroup=group, name=f"{name} ±1 sd",
                       meta={"role": "band"})]


def _control_traces(run: RunResult, ri: int, names: Sequence[str], xs: list[float], single: bool) -> list[go.Scatter]:
    """The control-task accuracy (shuffled labels), dashed; none when the run has no control."""
    controls = run.metric("control_accuracy")
    if not any(v is not None for v in controls):
        return []
    c = "#666666" if single else color(ri)
    return [go.Scatter(
        x=xs, y=controls, mode="lines", name="control task (shuffled labels)" if single else f"{names[ri]} · control",
        line=dict(color=c, width=1.6 if single else 1.0, dash="dash"), meta={"role": "control", "run": run.key},
        showlegend=single, legendgroup=None if single else f"run{ri}",
        hovertemplate="layer %{x}<br>control accuracy %{y:.3f}<extra></extra>",
    )]


def _x_title(runs: Sequence[RunResult], x: str) -> str:
    if x == "relative":
        return "relative depth (layer / layers)"
    if not runs:
        return "layer"
    return "layer (0 = embeddings)" if runs[0].spec.get("hook", "residual") == "residual" else "layer (block index)"


def _overlay_layout(fig: go.Figure, runs: Sequence[RunResult], metrics: Sequence[str], show_points: bool,
                    show_control: bool) -> None:
    """Several runs: one legend entry per run, below the plot; a key to the line styles on top."""
    styles = ["solid", "dashed", "dotted"]
    key = ", ".join(f"{METRIC_NAMES[m]} {styles[i % 3]}" for i, m in enumerate(metrics)) if len(metrics) > 1 else ""
    marks = ("▲ jumping, ◆ converging point, ★ both" if show_points else "")
    ctrl = "thin dashes: control" if show_control and any(
        v is not None for r in runs for v in r.metric("control_accuracy")) else ""
    note = " · ".join(t for t in (key, marks, ctrl) if t)
    if note:
        fig.add_annotation(text=note, xref="paper", yref="paper", x=0, y=1.0, xanchor="left", yanchor="bottom",
                           showarrow=False, font=dict(size=11, color="#555"))
    # the key sits just above the plot, the title above the key
    fig.update_layout(legend=dict(orientation="h", yanchor="top", y=-0.3, x=0, xanchor="left"),
                      margin=dict(b=110 + 22 * ((len(runs) + 1) // 2)))
    title_above_plot(fig, clearance=28 if note else 12)
