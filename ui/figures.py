"""Render a figure with its "what this shows" note and PNG / SVG / PDF downloads."""

from __future__ import annotations

import re

import plotly.graph_objects as go
import plotly.io as pio
import streamlit as st

from concept_depth.export.figures import figure_to_bytes, plotly_config

MIME = {"png": "image/png", "svg": "image/svg+xml", "pdf": "application/pdf"}


def _slug(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", name).strip("-") or "figure"


def _render(fig_json: str, fmt: str, width_in: float, height_in: float, dpi: int) -> bytes:
    # Called only when the user clicks (deferred download), so reruns stay fast.
    return figure_to_bytes(pio.from_json(fig_json), fmt, width_in, height_in, dpi)


def figure_with_downloads(fig: go.Figure, name: str, *, note: str | None = None, key: str | None = None,
                          height: int | None = None, size_in: tuple[float, float] = (6.5, 4.0)) -> None:
    """``st.plotly_chart`` (camera button saves SVG at scale 4), a "what this shows" expander,
    and a download popover: size in inches (default ``size_in``), DPI, then PNG / SVG / PDF
    rendered on click by kaleido."""
    slug = _slug(name)
    key = key or slug
    if height:
        fig.update_layout(height=height)
    st.plotly_chart(fig, config=plotly_config(slug), key=f"chart-{key}", theme=None)
    # one row that wraps: the Download button keeps its whole label however narrow the figure's column
    # (a fixed 3:1 split cut it to "Down…" beside another figure)
    row = st.container(horizontal=True, vertical_alignment="top")
    if note:
        with row.expander("What this shows"):
            st.markdown(note)
    with row.popover("Download", icon=":material/download:", width="content",
                     help="PNG, SVG or PDF at a size in inches"):
        w = st.number_input("width (inches)", 1.0, 20.0, float(size_in[0]), 0.25, key=f"w-{key}")
        h = st.number_input("height (inches)", 1.0, 20.0, float(size_in[1]), 0.25, key=f"h-{key}")
        dpi = st.number_input("DPI (PNG)", 72, 1200, 300, 50, key=f"dpi-{key}")
        fig_json = fig.to_json()
        for fmt in ("png", "svg", "pdf"):
            st.download_button(
                fmt.upper(), data=lambda fmt=fmt: _render(fig_json, fmt, w, h, int(dpi)),
                file_name=f"{slug}.{fmt}", mime=MIME[fmt], key=f"dl-{fmt}-{key}", on_click="ignore",
                width="stretch",
            )
