"""PCA scatter of one layer, its play-through animation, and a small-multiples grid."""

from __future__ import annotations

import textwrap
from typing import Mapping, Sequence

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from .pca import PCAProjection
from .theme import color, paper_theme, title_above_plot

WRONG_NAME = "probe wrong (held-out)"


#: Said wherever a layer's vectors are all the same point.
ONE_POINT = "every prompt has the same vector here, so all draw as one dot"
ONE_POINT_WHY = ("at layer 0 (the token embeddings) this happens when every prompt ends in the same token: "
                 "the last-token vector is then that token's embedding, whatever the text")


def share(fraction: float) -> str:
    """A variance share that never reads 0% unless it is zero: 42%, 3.4%, 0.27%, <0.01%."""
    pct = 100 * float(fraction)
    if pct <= 0:
        return "0%"
    if pct >= 10:
        return f"{pct:.0f}%"
    if pct >= 1:
        return f"{pct:.1f}%"
    return f"{pct:.2f}%" if pct >= 0.01 else "<0.01%"


#: What a UMAP view says of its axes (they carry no unit and no share of variance).
UMAP_NOTE = "UMAP (seeded): neighbours kept together; axes have no units, distances between clusters mean little"


def _axis_title(i: int, proj: PCAProjection) -> str:
    if proj.method == "umap":
        return f"UMAP {i + 1}" + (" (one point)" if proj.degenerate else "")
    if proj.degenerate:
        return f"PC{i + 1} (no variance: one point)"
    return f"PC{i + 1} ({share(proj.explained[i])} of variance)"


def _hover_text(text: str, limit: int = 320, width: int = 72) -> str:
    """The sample's text for a hover label: whitespace tidied, cut at ``limit``, wrapped with <br>. A text
    already in lines (joined with ``<br>``, e.g. a question and its options) keeps them, each wrapped."""
    if "<br>" in str(text):
        return "<br>".join(_hover_text(line, limit, width) for line in str(text).split("<br>"))
    text = " ".join(str(text).split())
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    return "<br>".join(textwrap.wrap(text, width)) or text


def _traces(proj: PCAProjection, labels: np.ndarray, prompts: Sequence[str] | None, proba: np.ndarray | None,
            wrong: np.ndarray | None, label_names: Sequence[str], marker_size: int = 7,
            showlegend: bool = True) -> list[go.Scatter]:
    """One trace per class plus one (possibly empty) trace of wrong held-out points."""
    labels = np.asarray(labels)
    n = len(labels)
    prompts = [_hover_text(p) for p in prompts] if prompts is not None else [""] * n
    conf = np.asarray(proba, dtype=float) if proba is not None else np.full(n, np.nan)
    out = []
    pos = str(label_names[1])

    def probe_text(i: int, cls: int) -> str:
        if proba is None:
            return ""
        if not np.isfinite(conf[i]):
            return "training sample (no held-out prediction)"
        true_conf = conf[i] if cls == 1 else 1 - conf[i]
        return f"P({pos}) = {conf[i]:.2f}; confidence in the true label {true_conf:.2f}"

    for cls in (0, 1):
        idx = np.flatnonzero(labels == cls)
        # customdata: prompt, the probe's view of this sample, P(class 1)
        cd = [[prompts[i], probe_text(i, cls), conf[i]] for i in idx]
        hover = "%{customdata[0]}<br>label: " + str(label_names[cls])
        if proba is not None:
            hover += "<br>%{customdata[1]}"
        out.append(go.Scatter(
            x=proj.coords[idx, 0], y=proj.coords[idx, 1], mode="markers", name=str(label_names[cls]),
            marker=dict(color=color(cls), size=marker_size, opacity=0.75, line=dict(width=0.5, color="white")),
            customdata=cd, hovertemplate=hover + "<extra></extra>", showlegend=showlegend,
            legendgroup=f"class{cls}", meta={"role": "class", "class": cls},
        ))
    widx = np.flatnonzero(np.asarray(wrong, dtype=bool)) if wrong is not None else np.array([], dtype=int)
    out.append(go.Scatter(
        x=proj.coords[widx, 0], y=proj.coords[widx, 1], mode="markers", name=WRONG_NAME,
        marker=dict(symbol="x-thin-open", size=marker_size + 5, color="#000000", line=dict(width=1.8, color="#000000")),
        customdata=[[prompts[i], conf[i]] for i in widx], showlegend=showlegend, legendgroup="wrong",
        hovertemplate="%{customdata[0]}<br>probe wrong; P(" + str(label_names[1]) + ") = %{customdata[1]:.2f}<extra></extra>",
        meta={"role": "wrong"},
    ))
    return out


def pca_scatter(proj: PCAProjection, labels: np.ndarray, *, prompts: Sequence[str] | None = None,
                proba: np.ndarray | None = None, wrong: np.ndarray | None = None,
                label_names: Sequence[str] = ("0", "1"), layer: int | None = None,
                title: str | None = None) -> go.Figure:
    """2-D PCA of one layer, coloured by label.

    proj: coords [N, 2]; labels [N] 0/1; prompts [N] for hover; proba [N] the probe's P(class 1);
    wrong [N] bool, held-out points the probe gets wrong (drawn with an x outline).
    """
    fig = go.Figure(_traces(proj, labels, prompts, proba, wrong, label_names))
    what = "UMAP" if proj.method == "umap" else "PCA"
    title = title or (f"Layer {layer}: {what} of the layer vectors" if layer is not None else what)
    if proj.method == "umap":
        title += f"<br><sup>{UMAP_NOTE}</sup>"
    if proj.degenerate:  # explain the single dot where the reader sees it
        title += f"<br><sup>{ONE_POINT}</sup>"
    fig.update_layout(title=title, xaxis_title=_axis_title(0, proj), yaxis_title=_axis_title(1, proj),
                      legend=dict(itemsizing="constant"))
    fig.layout.meta = {"degenerate": proj.degenerate}
    return paper_theme(fig)


def _ranges(projs: Mapping[int, PCAProjection]) -> tuple[list[float], list[float]]:
    allc = np.concatenate([p.coords[:, :2] for p in projs.values()], 0)
    lo, hi = allc.min(0), allc.max(0)
    pad = (hi - lo) * 0.05 + 1e-6
    return [float(lo[0] - pad[0]), float(hi[0] + pad[0])], [float(lo[1] - pad[1]), float(hi[1] + pad[1])]


def pca_animation(projs: Mapping[int, PCAProjection], labels: np.ndarray, *, prompts: Sequence[str] | None = None,
                  probas: Mapping[int, np.ndarray] | None = None, wrongs: Mapping[int, np.ndarray] | None = None,
                  label_names: Sequence[str] = ("0", "1"), start_layer: int | None = None,
                  frame_ms: int = 600, title: str | None = None) -> go.Figure:
    """One frame per layer with a play button and a layer slider.

    With per-layer bases the axis ranges differ a lot between layers, so each frame sets
    its own axis titles (explained variance) and the axes autoscale; with a shared basis use
    the fixed ranges this function sets when the spread is similar. ``title`` (e.g. the run's
    model · dataset label) heads every frame's title, followed by the layer.
    """
    layers = sorted(projs)
    if not layers:
        raise ValueError("no layers to animate")
    start = start_layer if start_layer in projs else layers[0]

    def data(layer: int) -> list[go.Scatter]:
        return _traces(projs[layer], labels, prompts, probas.get(layer) if probas else None,
                       wrongs.get(layer) if wrongs else None, label_names)

    def frame_title(layer: int) -> str:
        head = f"{title}: layer {layer}" if title else f"Layer {layer}: PCA of the layer vectors"
        return head + (f"<br><sup>{ONE_POINT}</sup>" if projs[layer].degenerate else "")

    frames = [go.Frame(name=str(layer), data=data(layer), layout=go.Layout(
        title_text=frame_title(layer),
        xaxis=dict(title_text=_axis_title(0, projs[layer]), range=_ranges({0: projs[layer]})[0]),
        yaxis=dict(title_text=_axis_title(1, projs[layer]), range=_ranges({0: projs[layer]})[1])))
        for layer in layers]
    fig = go.Figure(data=data(start), frames=frames)
    xr, yr = _ranges({0: projs[start]})
    slider = dict(active=layers.index(start), currentvalue=dict(prefix="layer "), pad=dict(t=50, b=10),
                  x=0.14, len=0.86, y=0, yanchor="top", xanchor="left",
                  steps=[dict(method="animate", label=str(layer),
                              args=[[str(layer)], dict(mode="immediate", frame=dict(duration=0, redraw=True),
                                                       transition=dict(duration=0))]) for layer in layers])
    buttons = [dict(label="▶ play", method="animate",
                    args=[None, dict(frame=dict(duration=frame_ms, redraw=True), transition=dict(duration=0),
                                     fromcurrent=True, mode="immediate")]),
               dict(label="❚❚ pause", method="animate",
                    args=[[None], dict(frame=dict(duration=0, redraw=False), mode="immediate")])]
    fig.update_layout(
        title=frame_title(start),
        xaxis=dict(title_text=_axis_title(0, projs[start]), range=xr),
        yaxis=dict(title_text=_axis_title(1, projs[start]), range=yr),
        sliders=[slider],
        updatemenus=[dict(type="buttons", direction="left", x=0.13, y=0, xanchor="right", yanchor="top",
                          pad=dict(t=75, r=10), showactive=False, buttons=buttons)],
        margin=dict(b=140),
    )
    paper_theme(fig)
    fig.update_layout(margin=dict(b=140))
    # room for the longest frame title (a one-point layer adds a line)
    title_above_plot(fig, lines=max(frame_title(layer).count("<br>") + 1 for layer in layers))
    return fig


def pca_grid(projs: Mapping[int, PCAProjection], labels: np.ndarray, *, layers: Sequence[int] | None = None,
             wrongs: Mapping[int, np.ndarray] | None = None, prompts: Sequence[str] | None = None,
             label_names: Sequence[str] = ("0", "1"), cols: int = 4, shared_basis: bool = False,
             title: str | None = None) -> go.Figure:
    """Small multiples: one PCA panel per chosen layer (the paper-figure view).

    Each panel's subtitle gives the layer and its explained variance (PC1 / PC2).
    """
    layers = [l for l in (layers if layers is not None else sorted(projs)) if l in projs]
    if not layers:
        raise ValueError("no layers to draw")
    cols = max(1, min(cols, len(layers)))
    rows = (len(layers) + cols - 1) // cols
    umap = all(projs[l].method == "umap" for l in layers)
    titles = [f"layer {l} · one point" if projs[l].degenerate else f"layer {l}" if umap else
              f"layer {l} · {share(projs[l].explained[0])} / {share(projs[l].explained[1])}" for l in layers]
    fig = make_subplots(rows=rows, cols=cols, subplot_titles=titles,
                        horizontal_spacing=0.04, vertical_spacing=0.12 if rows > 1 else 0.08)
    for k, layer in enumerate(layers):
        r, c = k // cols + 1, k % cols + 1
        for tr in _traces(projs[layer], labels, prompts, None, wrongs.get(layer) if wrongs else None,
                          label_names, marker_size=5, showlegend=(k == 0)):
            fig.add_trace(tr, row=r, col=c)
    lines = [title or ("UMAP" if umap else "PCA") + " of chosen layers",
             f"<sup>{UMAP_NOTE} · one embedding per layer</sup>" if umap else
             "<sup>one PCA basis shared by all layers · panels: share of each layer's variance on PC1 / PC2</sup>"
             if shared_basis else "<sup>PCA per layer · panels: share of variance on PC1 / PC2</sup>"]
    if any(projs[l].degenerate for l in layers):
        lines.append(f"<sup>one point: {ONE_POINT}</sup>")
    # Short lines (the name, then the basis in small type) so the title is never cut off.
    fig.update_layout(title_text="<br>".join(lines), height=max(340, 270 * rows + 20 * len(lines)),
                      legend=dict(orientation="h", y=-0.08))
    paper_theme(fig)
    title_above_plot(fig, clearance=30)  # clear of the panel subtitles
    fig.update_xaxes(showticklabels=False, ticks="")
    fig.update_yaxes(showticklabels=False, ticks="")
    for ann in fig.layout.annotations:
        ann.font = dict(size=12)
    return fig
