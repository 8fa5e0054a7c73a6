import os
import shutil

import plotly.graph_objects as go
import pytest

from concept_depth.errors import BadInputError
from concept_depth.figures import figure_to_bytes, layer_curves, plotly_config
from concept_depth.figures.export import format_from_path

needs_chrome = pytest.mark.skipif(
    not (os.path.exists("/usr/bin/chromium") or shutil.which("chromium") or os.environ.get("BROWSER_PATH"))
    and not os.environ.get("CI"), reason="no Chrome/Chromium for kaleido")


@needs_chrome
def test_export_png_svg_pdf_have_the_right_magic_numbers(make_run):
    from concept_depth.figures.export import export_session

    fig = layer_curves(make_run(cv=True))
    with export_session():  # one browser for the three exports
        png, svg, pdf = (figure_to_bytes(fig, fmt, width_in=3.0, height_in=2.0, dpi=200)
                         for fmt in ("png", "svg", "pdf"))
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    # PNG size follows inches x dpi: IHDR width/height at bytes 16..24
    assert int.from_bytes(png[16:20], "big") == 600 and int.from_bytes(png[20:24], "big") == 400
    assert b"<svg" in svg[:400] and b"jumping" in svg
    assert pdf.startswith(b"%PDF")
    # the caller's figure is untouched (still interactive size)
    assert fig.layout.width is None


def test_export_rejects_bad_format_and_sizes():
    with pytest.raises(BadInputError):
        figure_to_bytes(go.Figure(), "jpg")
    with pytest.raises(BadInputError):
        figure_to_bytes(go.Figure(), "png", width_in=0)
    assert format_from_path("out/fig.SVG") == "svg"
    with pytest.raises(BadInputError):
        format_from_path("fig.gif")


def test_plotly_config_camera_button_exports_svg_at_high_scale():
    cfg = plotly_config("curves")
    assert cfg["toImageButtonOptions"] == {"format": "svg", "filename": "curves", "scale": 4}
