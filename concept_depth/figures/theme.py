"""Paper theme: white background, readable fonts, a colour-blind-safe palette.

Why Okabe-Ito: its eight colours stay distinguishable under the common colour-vision
deficiencies and in greyscale print (together with dashes and marker symbols).
"""

from __future__ import annotations

import plotly.graph_objects as go

#: Okabe & Ito (2008) colour-blind-safe palette, black last.
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000")
#: Sequential colour scale readable by colour-blind viewers (heatmaps).
SEQUENTIAL = "Cividis"
#: Diverging scale for signed values (difference heatmaps).
DIVERGING = "RdBu"
#: Line dashes and marker symbols used to tell metrics apart without colour.
DASHES = ("solid", "dash", "dot", "dashdot", "longdash", "longdashdot")
SYMBOLS = ("circle", "square", "diamond", "triangle-up", "cross", "star")
FONT_FAMILY = "Arial, Helvetica, sans-serif"
BASE_FONT_SIZE = 14


def rgba(hex_color: str, alpha: float) -> str:
    """``#0072B2`` -> ``rgba(0,114,178,alpha)`` (bands and shading)."""
    h = hex_color.lstrip("#")
    return f"rgba({int(h[0:2], 16)},{int(h[2:4], 16)},{int(h[4:6], 16)},{alpha})"


#: Height of each title line after the first (``<br><sup>…``) and of the first line, in pixels.
TITLE_LINE_PX = 17
TITLE_FIRST_PX = 24


def title_above_plot(fig: go.Figure, lines: int | None = None, clearance: int | None = None) -> go.Figure:
    """Put the title just above the plot area with a top margin that holds all its lines.

    Plotly anchors a title by its first line and hangs further lines below it, so the first
    line goes ``clearance + 17 px`` per extra line above the plot, and the top margin grows
    with the lines (``lines``, default: counted in the title text). ``clearance``: room kept
    free right above the plot (a key, subplot titles); default 12 px, or what the figure set
    before (remembered in ``title.pad.t``, which a bottom-anchored title does not use).
    """
    text = fig.layout.title.text or ""
    lines = lines or text.count("<br>") + 1
    remembered = fig.layout.title.pad.t
    clearance = clearance if clearance is not None else (remembered if remembered is not None else 12)
    below = clearance + TITLE_LINE_PX * (lines - 1)
    fig.update_layout(title=dict(automargin=False, yref="paper", y=1, yanchor="bottom",
                                 pad=dict(t=clearance, b=below)),
                      margin=dict(t=below + TITLE_FIRST_PX + 8 if text else max(clearance + 8, 30)))
    return fig


def colorbar(title: str) -> dict:
    """A heatmap's colour bar: its title runs along the bar's right side, so it never meets the top tick
    label (a title on top ran into the "1" of a 0-1 scale)."""
    return dict(title=dict(text=title, side="right", font=dict(size=12)), ticks="outside", ticklen=4)


def color(i: int) -> str:
    """The i-th palette colour (wrapping)."""
    return PALETTE[i % len(PALETTE)]


def paper_theme(fig: go.Figure, *, font_size: int = BASE_FONT_SIZE) -> go.Figure:
    """Apply the paper look in place and return ``fig`` (white, thin grey grid, 12-14 pt text)."""
    axis = dict(showline=True, linecolor="#444", linewidth=1, mirror=True, ticks="outside",
                gridcolor="#e5e5e5", zeroline=False, title_font=dict(size=font_size),
                tickfont=dict(size=font_size - 2))
    fig.update_layout(
        template="simple_white",
        paper_bgcolor="white", plot_bgcolor="white",
        font=dict(family=FONT_FAMILY, size=font_size, color="#222"),
        title_font=dict(size=font_size + 2),
        legend=dict(font=dict(size=font_size - 2), bgcolor="rgba(255,255,255,0.8)"),
        colorway=list(PALETTE),
        hoverlabel=dict(font_size=font_size - 2),
    )
    m = fig.layout.margin  # keep margins a figure set for itself (e.g. room for a legend below)
    fig.update_layout(margin=dict(l=m.l if m.l is not None else 70, r=m.r if m.r is not None else 30,
                                  b=m.b if m.b is not None else 60))
    title_above_plot(fig)  # sets the top margin
    fig.update_xaxes(**axis, showgrid=True)
    fig.update_yaxes(**axis, showgrid=True)
    return fig
