"""Cognition versus expression figures: pure functions, ExpressionResult(s) in, ``go.Figure`` out.

- :func:`gap_figure`: probe accuracy and logit-lens answer accuracy per layer, gap shaded.
- :func:`shots_figure`: answer accuracy (and pass@1) against the number of examples k.
- :func:`pass_at_n_figure`: pass@n against n, one curve per k.
- :func:`probe_vs_answer_scatter`: best probe accuracy against answer accuracy across
  cached results (model x dataset), Pearson r in the title.

A multiple-choice result draws its letter reading as the answer, its option-text reading beside it,
chance at the mean of 1/k and a uniform guesser over each question's k options instead of a coin flipper.
"""

from __future__ import annotations

import math
from typing import Any, Sequence

import numpy as np
import plotly.graph_objects as go
from scipy.stats import pearsonr

from ..results.labels import run_labels
from .curves import whole_layer_ticks
from .theme import DASHES, SYMBOLS, color, paper_theme


def _rgba(hex_color: str, alpha: float) -> str:
    h = hex_color.lstrip("#")
    return f"rgba({int(h[0:2], 16)},{int(h[2:4], 16)},{int(h[4:6], 16)},{alpha})"


def _chance(result: Any) -> float | None:
    """Majority-class rate of the evaluated labels; multiple choice: mean 1/k over the questions."""
    mc = getattr(result, "multiple_choice", None)
    if mc is not None:
        return float(mc["chance"])
    labels = np.asarray(result.labels)
    return float(max(labels.mean(), 1 - labels.mean())) if labels.size else None


def _is_choice(result: Any) -> bool:
    return getattr(result, "multiple_choice", None) is not None


def _as_list(results: Any) -> list:
    return list(results) if isinstance(results, (list, tuple)) else [results]


def _short_label(result: Any) -> str:
    s = result.spec
    return f"{s.get('model_label') or s.get('model')} · {s.get('dataset')}"


def _names(results: list) -> list[str]:
    """Trace names: only the settings that differ between the results (e.g. the dataset alone)."""
    return list(run_labels(results).labels)


# legend under the x-axis title, so long trace names never cover the title or the curves
_BELOW = dict(orientation="h", yanchor="top", y=-0.3, xanchor="left", x=0)


def _finish(fig: go.Figure) -> go.Figure:
    """Paper theme plus room under the plot for the legend."""
    paper_theme(fig)
    fig.update_layout(margin=dict(b=130))
    return fig


def _chance_line(fig: go.Figure, chance: float | None, xs: Sequence[float], per_question: bool = False) -> None:
    """A dotted chance line named in the legend (a label on the plot would sit on the curves)."""
    if chance is not None and len(xs):
        name = f"chance {chance:.2f}" + (" (mean 1/k)" if per_question else "")
        fig.add_trace(_reference_line(xs, chance, name, "#888", "dot", "chance"))


def _reference_line(xs: Sequence[float], y: float, name: str, line_color: str, dash: str, role: str) -> go.Scatter:
    """A horizontal reference line over the x range, labelled in the legend, not on the data."""
    return go.Scatter(x=[min(xs), max(xs)], y=[y, y], mode="lines", name=name, hoverinfo="skip",
                      line=dict(color=line_color, dash=dash, width=1.2), meta={"role": role, "y": y})


def gap_figure(result: Any, *, title: str | None = None) -> go.Figure:
    """Probe accuracy (solid) and logit-lens answer accuracy (dashed) per layer; the gap between them shaded.

    x: layer l = 0..L (0 = embeddings); y: accuracy on held-out samples.
    """
    layers = [r["layer"] for r in result.layers]
    lens = [r["lens_accuracy"] for r in result.layers]
    probe = [r["probe_accuracy"] for r in result.layers]
    fig = go.Figure()
    has_probe = any(p is not None for p in probe)
    if has_probe:
        fig.add_trace(go.Scatter(x=layers, y=probe, name="probe (what the layer knows)", mode="lines+markers",
                                 line=dict(color=color(0), width=2.5), marker=dict(symbol=SYMBOLS[0], size=7),
                                 hovertemplate="layer %{x}<br>probe %{y:.3f}<extra></extra>"))
    choice = _is_choice(result)
    fig.add_trace(go.Scatter(
        x=layers, y=lens, mode="lines+markers",
        name="letter lens (what the layer would answer)" if choice else "logit lens (what the layer would answer)",
        line=dict(color=color(1), width=2.5, dash=DASHES[1]), marker=dict(symbol=SYMBOLS[1], size=7),
        fill="tonexty" if has_probe else None, fillcolor=_rgba(color(0), 0.15),
        customdata=[r.get("gap") for r in result.layers],
        hovertemplate="layer %{x}<br>lens %{y:.3f}<br>gap %{customdata:.3f}<extra></extra>" if has_probe else
        "layer %{x}<br>lens %{y:.3f}<extra></extra>"))
    if has_probe:  # a legend entry that names the shading
        fig.add_trace(go.Scatter(x=[None], y=[None], mode="markers", name="gap (probe − lens)",
                                 marker=dict(symbol="square", size=12, color=_rgba(color(0), 0.3))))
    if choice:
        _option_text_trace(fig, result, layers)
    _chance_line(fig, _chance(result), layers, per_question=choice)
    s = result.summary
    gap_txt = f" · gap {s['gap']:+.3f}" if s.get("gap") is not None else ""
    fig.update_layout(
        title=title or (f"Probe vs logit lens · {result.spec.get('dataset')}{gap_txt}"
                        f"<br><sup>{result.spec.get('model_label') or result.spec.get('model')}</sup>"),
        xaxis_title="layer (0 = embeddings)", yaxis_title="accuracy", hovermode="x unified",
        legend=dict(_BELOW, traceorder="normal"))  # a filled trace would otherwise reverse the order
    fig.update_yaxes(range=[0, 1.02])
    _finish(fig)
    return whole_layer_ticks(fig, max(layers)) if layers else fig


def _option_text_trace(fig: go.Figure, result: Any, layers: list[int]) -> None:
    """The option-text reading of a multiple-choice result: through the lens at every layer when it was
    read so, else the model's own (last layer) as one marker."""
    text = [r.get("text_lens_accuracy") for r in result.layers]
    style = dict(color=color(2), width=2, dash=DASHES[2])
    if any(t is not None for t in text):
        fig.add_trace(go.Scatter(x=layers, y=text, mode="lines+markers", name="option-text lens (log-likelihood per "
                                 "character)", line=style, marker=dict(symbol=SYMBOLS[2], size=6),
                                 hovertemplate="layer %{x}<br>option text %{y:.3f}<extra></extra>"))
        return
    acc = result.summary.get("text_accuracy")
    if acc is not None and layers:
        fig.add_trace(go.Scatter(x=[max(layers)], y=[acc], mode="markers", name=f"option text (model's own) {acc:.2f}",
                                 marker=dict(symbol=SYMBOLS[2], size=11, color=color(2)),
                                 hovertemplate="last layer<br>option text %{y:.3f}<extra></extra>"))


def shots_figure(results: Any, *, show_pass1: bool = True, title: str | None = None) -> go.Figure:
    """Answer accuracy (greedy, solid) and pass@1 (dotted) against k examples, one colour per result.

    A dashed horizontal line marks each result's best probe accuracy (the ceiling the answers aim at).
    """
    fig = go.Figure()
    ks_all: set[int] = set()
    results = _as_list(results)
    names = _names(results)
    for i, r in enumerate(results):
        ks = [s["k"] for s in r.shots]
        ks_all.update(ks)
        name = names[i] if len(results) > 1 else ("letter accuracy" if _is_choice(r) else "answer accuracy")
        fig.add_trace(go.Scatter(x=ks, y=[s["accuracy"] for s in r.shots], mode="lines+markers", name=name,
                                 line=dict(color=color(i), width=2.5), marker=dict(symbol=SYMBOLS[i % 6], size=8),
                                 hovertemplate="k=%{x}<br>accuracy %{y:.3f}<extra></extra>"))
        if _is_choice(r):
            fig.add_trace(go.Scatter(x=ks, y=[s.get("text_accuracy") for s in r.shots], mode="lines+markers",
                                     name=f"{name}: option text" if len(results) > 1 else "option-text accuracy",
                                     line=dict(color=color(i), width=2, dash=DASHES[3 % len(DASHES)]),
                                     marker=dict(symbol=SYMBOLS[(i + 3) % 6], size=7),
                                     hovertemplate="k=%{x}<br>option text %{y:.3f}<extra></extra>"))
        if show_pass1:
            fig.add_trace(go.Scatter(x=ks, y=[s["pass1"] for s in r.shots], mode="lines",
                                     name=f"{name}: pass@1" if len(results) > 1 else "pass@1 (sampled answer)",
                                     line=dict(color=color(i), width=1.5, dash=DASHES[2]),
                                     hovertemplate="k=%{x}<br>pass@1 %{y:.3f}<extra></extra>"))
        best = r.summary.get("best_probe_accuracy")
        if best is not None:
            fig.add_trace(go.Scatter(x=[min(ks), max(ks)], y=[best, best], mode="lines",
                                     name=f"{name}: best probe" if len(results) > 1 else "best probe accuracy",
                                     line=dict(color=color(i), width=1, dash=DASHES[1]), hoverinfo="skip"))
    if len(results) == 1:
        _chance_line(fig, _chance(results[0]), sorted(ks_all), per_question=_is_choice(results[0]))
    models = {r.spec.get("model_label") or r.spec.get("model") for r in results}
    sub = _short_label(results[0]) if len(results) == 1 else (models.pop() if len(models) == 1 else "")
    fig.update_layout(title=title or "Answer accuracy vs examples in the prompt" + (f"<br><sup>{sub}</sup>" if sub else ""),
                      xaxis_title="examples in the prompt (k)", yaxis_title="accuracy", legend=_BELOW)
    fig.update_xaxes(tickmode="array", tickvals=sorted(ks_all))
    fig.update_yaxes(range=[0, 1.02])
    return _finish(fig)


def _guesser_traces(fig: go.Figure, result: Any, ns: list[int]) -> None:
    """The curves of a model that knows nothing: a coin flipper for two answers (pass@n = 1 - 0.5^n, maj@n =
    0.5); for multiple choice a uniform guesser over each question's k options (pass@n = mean 1 - (1 - 1/k)^n,
    maj@n = mean 1/k)."""
    mc = getattr(result, "multiple_choice", None)
    if mc is None:
        pass_y, maj_y = [1.0 - 0.5 ** n for n in ns], 0.5
        pass_name, maj_name, who = "coin flipper: pass@n = 1 − 0.5ⁿ", "coin flipper: maj@n = 0.5", "coin flipper"
    else:
        stored = list(mc.get("guesser_pass_at_n") or [])
        k = np.asarray(mc.get("n_options") or [], dtype=float)
        pass_y = [stored[n - 1] if n <= len(stored) else float(np.mean(1 - (1 - 1 / k) ** n)) for n in ns]
        maj_y = float(mc["chance"])
        pass_name = "uniform guesser: pass@n = 1 − (1 − 1/k)ⁿ"
        maj_name, who = f"uniform guesser: maj@n = {maj_y:.2f} (mean 1/k)", "uniform guesser"
    fig.add_trace(go.Scatter(x=ns, y=pass_y, mode="lines", name=pass_name, legendgroup="coin",
                             line=dict(color="#888", width=1.5, dash="dashdot"),
                             hovertemplate=f"{who}<br>n=%{{x}}<br>pass@n %{{y:.5f}}<extra></extra>"))
    fig.add_trace(go.Scatter(x=ns, y=[maj_y] * len(ns), mode="lines", name=maj_name,
                             legendgroup="coin", line=dict(color="#888", width=1, dash="dot"),
                             hovertemplate=f"{who}<br>n=%{{x}}<br>maj@n {maj_y:.3f}<extra></extra>"))


def pass_at_n_figure(result: Any, *, ks: Sequence[int] | None = None, title: str | None = None) -> go.Figure:
    """pass@n (exact, from the answer distribution) against n, one curve per k examples, with
    majority-vote accuracy maj@n (thin dotted, same colour) and the curves of a model that knows
    nothing: a coin flipper for two answers (pass@n = 1 - 0.5^n, maj@n = 0.5), a uniform guesser
    over each question's k options for multiple choice (pass@n = mean 1 - (1 - 1/k)^n, maj@n =
    mean 1/k). pass@n near 1 alone says nothing."""
    fig = go.Figure()
    entries = [s for s in result.shots if ks is None or s["k"] in ks]
    max_n = 1
    for i, s in enumerate(entries):
        ns = list(range(1, len(s["pass_at_n"]) + 1))
        max_n = max(max_n, len(ns))
        fig.add_trace(go.Scatter(x=ns, y=s["pass_at_n"], mode="lines+markers", name=f"k = {s['k']}",
                                 line=dict(color=color(i), width=2, dash=DASHES[i % len(DASHES)]),
                                 marker=dict(symbol=SYMBOLS[i % 6], size=6), legendgroup=f"k{s['k']}",
                                 hovertemplate=f"k={s['k']}<br>n=%{{x}}<br>pass@n %{{y:.3f}}<extra></extra>"))
        maj = s.get("maj_at_n") or []
        if maj:
            fig.add_trace(go.Scatter(x=[m["n"] for m in maj], y=[m["maj"] for m in maj], mode="lines+markers",
                                     name=f"k = {s['k']}: maj@n (majority vote)", legendgroup=f"k{s['k']}",
                                     showlegend=False,  # one "dotted = maj@n" key below, not one entry per k
                                     line=dict(color=color(i), width=1, dash="dot"),
                                     marker=dict(symbol=SYMBOLS[i % 6], size=5, opacity=0.6),
                                     hovertemplate=f"k={s['k']}<br>n=%{{x}}<br>maj@n %{{y:.3f}}<extra></extra>"))
    if any(s.get("maj_at_n") for s in entries):
        fig.add_trace(go.Scatter(x=[None], y=[None], mode="lines", name="dotted, same colour: maj@n (majority vote)",
                                 line=dict(color="#444", width=1, dash="dot"), hoverinfo="skip"))
    _guesser_traces(fig, result, list(range(1, max_n + 1)))
    best = result.summary.get("best_probe_accuracy")
    n_all = [n for s in entries for n in range(1, len(s["pass_at_n"]) + 1)]
    if best is not None and n_all:  # named in the legend, not written over the curves
        fig.add_trace(_reference_line(n_all, best, f"best probe accuracy {best:.2f}", "#444", "dash", "best-probe"))
    what = "pass@n and maj@n of sampled letters" if _is_choice(result) else "pass@n"
    fig.update_layout(title=title or f"{what}<br><sup>{_short_label(result)}</sup>", xaxis_title="answers sampled (n)",
                      yaxis_title="accuracy", legend=_BELOW)
    fig.update_xaxes(type="log", tickmode="array", tickvals=[1, 2, 4, 8, 16, 32, 64])
    fig.update_yaxes(range=[0, 1.02])
    return _finish(fig)


def pearson(x: Sequence[float], y: Sequence[float]) -> tuple[float | None, float | None]:
    """(r, p) of scipy.stats.pearsonr, or (None, None) with fewer than 3 points or a constant side."""
    if len(x) < 3 or np.ptp(np.asarray(x, dtype=float)) == 0 or np.ptp(np.asarray(y, dtype=float)) == 0:
        return None, None

    res = pearsonr(np.asarray(x, dtype=float), np.asarray(y, dtype=float))
    r, p = float(res[0]), float(res[1])
    return (None, None) if math.isnan(r) else (r, p)


def probe_vs_answer_scatter(results: Sequence[Any], *, title: str | None = None) -> go.Figure:
    """Best probe accuracy (x) against zero-shot answer accuracy (y), one point per result.

    Points below the diagonal are concepts the model knows better than it says. Results
    without a probe curve are left out; several results of the same model, bit width, dataset
    and noise count once (the newest). Title: Pearson r (needs 3+ points that vary).
    """
    newest: dict[tuple, Any] = {}
    for r in results:
        if r.summary.get("best_probe_accuracy") is None:
            continue
        s = r.spec
        k = (s.get("model_fingerprint") or s.get("model"), s.get("quant"), s.get("dataset"), s.get("noise"))
        if k not in newest or r.created_ts > newest[k].created_ts:
            newest[k] = r
    pts = list(newest.values())
    x = [r.summary["best_probe_accuracy"] for r in pts]
    y = [r.summary["final_answer_accuracy"] for r in pts]
    models = sorted({r.spec.get("model_label") or r.spec.get("model") for r in pts})
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=[0, 1], y=[0, 1], mode="lines", name="answer = probe",
                             line=dict(color="#888", dash="dot", width=1), hoverinfo="skip"))
    for i, m in enumerate(models):
        mine = [r for r in pts if (r.spec.get("model_label") or r.spec.get("model")) == m]
        fig.add_trace(go.Scatter(
            x=[r.summary["best_probe_accuracy"] for r in mine], y=[r.summary["final_answer_accuracy"] for r in mine],
            mode="markers+text", name=m, text=[r.spec.get("dataset") for r in mine], textposition="top center",
            marker=dict(color=color(i), symbol=SYMBOLS[i % 6], size=10),
            hovertemplate="%{text}<br>best probe %{x:.3f}<br>answer %{y:.3f}<extra>" + m + "</extra>"))
    r, p = pearson(x, y)
    if r is None and len(pts) >= 3:
        stat = f"Pearson r undefined: one axis is constant (n = {len(pts)})"
    elif r is None:
        stat = f"Pearson r needs ≥3 points (have {len(pts)})"
    else:
        stat = f"Pearson r = {r:.2f} (p = {p:.2g}, n = {len(pts)})"
    fig.update_layout(title=title or f"Knowing vs saying<br><sup>{stat}</sup>", xaxis_title="best probe accuracy",
                      yaxis_title="answer accuracy (zero-shot)", legend=_BELOW)
    fig.update_xaxes(range=[min([0.3] + [v - 0.05 for v in x]), 1.02])  # multiple choice: chance can be 0.2
    fig.update_yaxes(range=[0, 1.02])
    fig.layout.meta = {"pearson_r": r, "pearson_p": p, "n_points": len(pts)}
    return _finish(fig)
