"""Difference curves: a bit width or noise setting minus the float32 clean run of the same model + dataset."""

from __future__ import annotations

import math
from statistics import NormalDist
from typing import Any, Mapping, Sequence

import plotly.graph_objects as go

from ..results.labels import run_labels, setting_label
from ..results.run import RunResult
from .curves import METRIC_NAMES, x_values
from .theme import color, paper_theme, rgba, title_above_plot

#: What the default band is, for the legend and the page.
NORMAL_METHOD = "95% interval, normal approximation (runs treated as independent)"


def eval_count(run: RunResult) -> int | None:
    """How many samples a run's scores were measured on: ``extra["n_eval"]``, else what its protocol
    implies (the 40% test split of ``paper``, every sample out-of-fold under ``cv``)."""
    n = run.extra.get("n_eval")
    if n:
        return int(n)
    if not run.n_samples:
        return None
    return run.n_samples if run.spec.get("protocol") == "cv" else math.ceil(0.4 * run.n_samples)


def difference_interval(run: RunResult, base: RunResult, *, metric: str = "accuracy",
                        level: float = 0.95) -> dict[int, tuple[float, float]] | None:
    """Per-layer interval of ``run − base`` for accuracy: {layer: (lo, hi)}, or None.

    Normal approximation for the difference of two independent proportions,
    ``d ± z·sqrt(p1(1−p1)/n1 + p2(1−p2)/n2)`` with n the evaluation counts. Two runs that
    scored the same samples are paired, and this interval is then wider than a paired one
    (conservative). F1 and ROC-AUC are not proportions: None.
    """
    if metric != "accuracy":
        return None
    n1, n2 = eval_count(run), eval_count(base)
    if not n1 or not n2:
        return None
    z = NormalDist().inv_cdf(0.5 + level / 2)
    base_acc = dict(zip(base.layer_numbers, base.metric("accuracy")))
    out = {}
    for layer, p1 in zip(run.layer_numbers, run.metric("accuracy")):
        p2 = base_acc.get(layer)
        if p1 is None or p2 is None:
            continue
        se = math.sqrt(max(p1 * (1 - p1), 0.0) / n1 + max(p2 * (1 - p2), 0.0) / n2)
        out[layer] = (p1 - p2 - z * se, p1 - p2 + z * se)
    return out


def difference_curves(pairs: Sequence[tuple[RunResult, RunResult]], *, metric: str = "accuracy",
                      x: str = "layer", title: str | None = None,
                      intervals: Sequence[Mapping[int, tuple[float, float]] | None] | None = None,
                      interval_method: str | Sequence[str | None] | None = None,
                      paired: Sequence[Any] | None = None) -> go.Figure:
    """``run − baseline`` per layer for each (run, baseline) pair; layers present in both only.

    Positive means the setting scores higher than float32 clean.

    intervals : one ``{layer: (lo, hi)}`` per pair (None for no band), drawn as a shaded band
        around the curve. Default: :func:`difference_interval` (accuracy only), described by
        :data:`NORMAL_METHOD`; pass ``interval_method`` to name another (e.g. a paired interval),
        one name for all pairs or one per pair.
    paired : one :class:`concept_depth.paired.PairedComparison` (or None) per pair, for accuracy:
        its paired bootstrap interval becomes that pair's band (unless ``intervals`` is given),
        layers beyond noise (Holm-adjusted McNemar) are filled markers, the others open ones,
        and the hover shows each layer's interval and p-value. Pairs without one keep the
        default band.
    """
    if metric not in METRIC_NAMES:
        raise ValueError(f"unknown metric {metric!r}")
    pairs = list(pairs)
    paired = list(paired) if paired is not None and metric == "accuracy" else [None] * len(pairs)
    if len(paired) != len(pairs):
        raise ValueError(f"paired: one per pair ({len(pairs)}), got {len(paired)}")
    intervals, methods = _bands(pairs, paired, metric, intervals, interval_method)
    names = run_labels([run for run, _ in pairs])
    fig = go.Figure()
    named_bands: set[str] = set()
    for i, ((run, base), bounds, method, pc) in enumerate(zip(pairs, intervals, methods, paired)):
        xs, ys, layers = _differences(run, base, metric, x)
        name = f"{_pair_label(names, i, run, len(pairs))} − 32-bit clean"
        if bounds:
            method = method or "interval"
            fig.add_traces(_band_traces(xs, layers, bounds, color(i), i, run, name, method,
                                        named=method not in named_bands))
            named_bands.add(method)
        fig.add_trace(_difference_trace(xs, ys, layers, color(i), i, run, base, name, pc))
    if any(pc is not None for pc in paired):
        fig.add_traces(_noise_key(next(pc for pc in paired if pc is not None)))
    fig.add_hline(y=0, line=dict(color="#444", width=1))
    paper_theme(fig)
    sub = names.common if len(pairs) > 1 else (pairs[0][0].label if pairs else "")
    # Long run names: legend below the plot, always shown (even for one curve).
    fig.update_layout(showlegend=True, legend=dict(orientation="h", yanchor="top", y=-0.22, x=0, xanchor="left"),
                      margin=dict(b=140),
                      title=title or (f"Change in {METRIC_NAMES[metric]} against float32 clean"
                                      + (f"<br><sup>{sub}</sup>" if sub else "")),
                      xaxis_title="relative depth (layer / layers)" if x == "relative" else "layer",
                      yaxis_title=f"Δ {METRIC_NAMES[metric]} (setting − 32-bit clean)")
    title_above_plot(fig)
    used = [m for m, b in zip(methods, intervals) if b]
    fig.layout.meta = {"interval_method": (used[0] if len(set(used)) == 1 else "; ".join(dict.fromkeys(used)))
                       if used else None}
    return fig


def _bands(pairs, paired, metric, intervals, interval_method) -> tuple[list, list]:
    """Each pair's band ``{layer: (lo, hi)}`` (or None) and the name of its method."""
    if intervals is None:
        intervals = [pc.intervals() if pc is not None else difference_interval(run, base, metric=metric)
                     for pc, (run, base) in zip(paired, pairs)]
        methods = [pc.method if pc is not None else (interval_method or NORMAL_METHOD) for pc in paired]
    else:
        methods = (list(interval_method) if isinstance(interval_method, (list, tuple))
                   else [interval_method] * len(pairs))
    if len(intervals) != len(pairs):
        raise ValueError(f"intervals: one per pair ({len(pairs)}), got {len(intervals)}")
    if len(methods) != len(pairs):
        raise ValueError(f"interval_method: one per pair ({len(pairs)}), got {len(methods)}")
    return list(intervals), methods


def _differences(run: RunResult, base: RunResult, metric: str, x: str) -> tuple[list, list, list]:
    """x values, ``run − base`` and layer numbers of the layers both runs scored."""
    base_vals = dict(zip(base.layer_numbers, base.metric(metric)))
    xs, ys, layers = [], [], []
    for xv, layer, val in zip(x_values(run, x), run.layer_numbers, run.metric(metric)):
        if layer in base_vals and val is not None and base_vals[layer] is not None:
            xs.append(xv)
            ys.append(val - base_vals[layer])
            layers.append(layer)
    return xs, ys, layers


def _pair_label(names, i: int, run: RunResult, n_pairs: int) -> str:
    """What names pair ``i``: what differs between the runs (with its setting), or the setting alone."""
    label = names.labels[i] if n_pairs > 1 else setting_label(run)
    if n_pairs > 1 and setting_label(run) not in label:
        label = f"{label} ({setting_label(run)})"
    return label


def _band_traces(xs, layers, bounds, c: str, i: int, run: RunResult, name: str, method: str,
                 named: bool) -> list[go.Scatter]:
    """A pair's interval: an invisible upper edge, then the lower edge filled up to it (named once per method)."""
    bx = [xv for xv, layer in zip(xs, layers) if layer in bounds]
    lo = [bounds[layer][0] for layer in layers if layer in bounds]
    hi = [bounds[layer][1] for layer in layers if layer in bounds]
    return [go.Scatter(x=bx, y=hi, mode="lines", line=dict(width=0), hoverinfo="skip",
                       showlegend=False, legendgroup=f"pair{i}", name=f"{name} upper",
                       meta={"role": "interval-upper", "run": run.key}),
            go.Scatter(x=bx, y=lo, mode="lines", line=dict(width=0), fill="tonexty", fillcolor=rgba(c, 0.18),
                       hoverinfo="skip", legendgroup=f"pair{i}", name=method,
                       showlegend=named, meta={"role": "interval", "run": run.key, "method": method})]


def _difference_trace(xs, ys, layers, c: str, i: int, run: RunResult, base: RunResult, name: str,
                      pc: Any) -> go.Scatter:
    """The difference curve; with a paired comparison, filled markers on layers beyond noise, open ones else."""
    marker: dict = dict(size=5)
    hover = "layer %{customdata}<br>Δ %{y:+.3f}<extra></extra>"
    custom: list = layers
    meta = {"role": "difference", "run": run.key, "baseline": base.key}
    if pc is not None:
        rows = {d.layer: d for d in pc.layers}
        beyond = [bool(rows[l].beyond_noise) if l in rows else False for l in layers]
        marker = dict(size=[9 if b else 7 for b in beyond], line=dict(color=c, width=1.5),
                      symbol=["circle" if b else "circle-open" for b in beyond])
        custom = [[l, *(_paired_hover(rows.get(l)))] for l in layers]
        hover = ("layer %{customdata[0]}<br>Δ %{y:+.3f} %{customdata[1]}<br>%{customdata[2]}"
                 "<extra></extra>")
        meta["beyond_noise"] = [l for l, b in zip(layers, beyond) if b]
    return go.Scatter(x=xs, y=ys, mode="lines+markers", name=name, customdata=custom,
                      line=dict(color=c, width=2.2), marker=marker, legendgroup=f"pair{i}",
                      meta=meta, hovertemplate=hover)


def _noise_key(test: Any) -> list[go.Scatter]:
    """Legend key for the markers: filled = beyond noise, open = within noise."""
    return [go.Scatter(x=[None], y=[None], mode="markers", name=text, hoverinfo="skip",
                       marker=dict(size=8, color="#444", symbol="circle" if filled else "circle-open"),
                       meta={"role": "noise-key"})
            for filled, text in ((True, f"beyond noise ({test.test}, Holm-adjusted p < {test.alpha:g})"),
                                 (False, "within noise"))]


def _paired_hover(row) -> tuple[str, str]:
    if row is None:
        return "", ""
    verdict = "beyond noise" if row.beyond_noise else "within noise"
    return (f"[{row.low:+.3f}, {row.high:+.3f}]",
            f"McNemar p = {row.p_value:.2g} (Holm {row.p_adjusted:.2g}): {verdict}; "
            f"{row.b_only} only right here, {row.a_only} only in float32 clean")
