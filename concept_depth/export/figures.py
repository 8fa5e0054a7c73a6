"""Static export of figures (kaleido 1.x + Chrome) and the interactive toolbar config.

kaleido 1.x drives a headless Chrome through choreographer, which looks for the browser
in ``$BROWSER_PATH`` first, then on ``PATH`` (``chromium``, ``google-chrome`` ...). On
Debian the browser is ``/usr/bin/chromium``; we point ``BROWSER_PATH`` at it when the
variable is unset so the export also works where PATH is minimal.
"""

from __future__ import annotations

import io
import os
import warnings
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator, Sequence

import plotly.graph_objects as go
import plotly.io as pio
from PIL import Image

from ..core.errors import BadInputError, UnavailableError
from ..core.files import write_atomic
from ..figures.theme import paper_theme

FORMATS = ("png", "svg", "pdf")
#: Plotly lays figures out in CSS pixels: 96 per inch.
CSS_DPI = 96
_DEBIAN_CHROMIUM = "/usr/bin/chromium"


def _ensure_browser() -> None:
    if not os.environ.get("BROWSER_PATH") and os.path.exists(_DEBIAN_CHROMIUM):
        os.environ["BROWSER_PATH"] = _DEBIAN_CHROMIUM


def figure_to_bytes(fig: go.Figure, fmt: str = "png", width_in: float = 6.5, height_in: float = 4.0,
                    dpi: int = 300, theme: bool = True) -> bytes:
    """Render ``fig`` to PNG, SVG or PDF bytes at ``width_in`` × ``height_in`` inches.

    PNG gets ``dpi`` pixels per inch; SVG and PDF are vector (dpi does not apply). The figure
    is copied, so the caller's one keeps its interactive size.
    """
    fmt = fmt.lower().lstrip(".")
    if fmt not in FORMATS:
        raise BadInputError(f"figure format must be one of {', '.join(FORMATS)}, got {fmt!r}")
    if width_in <= 0 or height_in <= 0 or dpi <= 0:
        raise BadInputError("figure width, height and dpi must be positive")
    out = go.Figure(fig)
    if theme:
        paper_theme(out)
    # Animation controls make no sense on paper.
    out.update_layout(updatemenus=[], sliders=[])
    out.frames = []
    _ensure_browser()
    try:
        with warnings.catch_warnings():  # kaleido warns that kopts are ignored while a session is open
            warnings.simplefilter("ignore", UserWarning)
            data = pio.to_image(out, format=fmt, width=int(round(width_in * CSS_DPI)),
                                height=int(round(height_in * CSS_DPI)),
                                scale=(dpi / CSS_DPI) if fmt == "png" else 1)
    except Exception as exc:  # kaleido raises several unrelated types when Chrome is missing or crashes
        raise UnavailableError(
            f"static figure export failed ({type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}); "
            "it needs Chrome or Chromium: install it or set BROWSER_PATH") from exc
    return with_png_dpi(data, dpi) if fmt == "png" else data


def with_png_dpi(png: bytes, dpi: int) -> bytes:
    """The PNG with its resolution stored (pHYs chunk), so a document places it at its size in inches.

    kaleido writes no pHYs chunk; without it LaTeX and word processors assume 72 or 96 DPI and
    show a 300-DPI figure three to four times too large. Re-saving through Pillow is lossless.
    """

    with Image.open(io.BytesIO(png)) as img:
        buf = io.BytesIO()
        img.save(buf, format="PNG", dpi=(dpi, dpi), optimize=False)
    return buf.getvalue()


@contextmanager
def export_session() -> Iterator[None]:
    """Keep one headless Chrome open for several exports (a fresh one costs seconds each)."""
    import kaleido  # optional heavy dependency: only to write PNG, SVG or PDF

    _ensure_browser()
    started = False
    try:
        kaleido.start_sync_server(silence_warnings=True)
        started = True
    except Exception:  # fall back to one browser per figure
        pass
    try:
        yield
    finally:
        if started:
            kaleido.stop_sync_server(silence_warnings=True)


def figures_to_bytes(figs: Sequence[go.Figure], fmt: str = "svg", **kwargs) -> list[bytes]:
    """Render several figures in one browser session (same options as :func:`figure_to_bytes`)."""
    with export_session():
        return [figure_to_bytes(f, fmt, **kwargs) for f in figs]


def plotly_config(filename: str = "concept-depth-figure", scale: int = 4) -> dict:
    """Config for ``st.plotly_chart`` / ``fig.show``: the camera button saves SVG at high scale."""
    return {
        "displaylogo": False,
        "toImageButtonOptions": {"format": "svg", "filename": filename, "scale": scale},
        "modeBarButtonsToRemove": ["lasso2d", "select2d"],
    }


def format_from_path(path: str) -> str:
    """``fig.svg`` -> ``svg``; BadInputError for other extensions."""
    ext = os.path.splitext(str(path))[1].lower().lstrip(".")
    if ext not in FORMATS:
        raise BadInputError(f"figure file must end in .png, .svg or .pdf, got {path!r}")
    return ext


def write_figure(fig: go.Figure, path: str | os.PathLike, *, width_in: float = 6.5, height_in: float = 4.5,
                 dpi: int = 300) -> Path:
    """Write ``fig`` to ``path`` in the paper theme (format from the extension: .png, .svg or .pdf)."""
    data = figure_to_bytes(fig, format_from_path(str(path)), width_in=width_in, height_in=height_in, dpi=dpi)
    return write_atomic(Path(path), data)  # a full disk leaves the old file, never a cut-off one
