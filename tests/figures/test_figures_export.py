import os
import shutil

import plotly.graph_objects as go
import pytest

from concept_depth.core.errors import BadInputError
from concept_depth.export.figures import figure_to_bytes, format_from_path, plotly_config
from concept_depth.figures import layer_curves

needs_chrome = pytest.mark.skipif(
    not (os.path.exists("/usr/bin/chromium") or shutil.which("chromium") or os.environ.get("BROWSER_PATH"))
    and not os.environ.get("CI"), reason="no Chrome/Chromium for kaleido")


@needs_chrome
def test_export_png_svg_pdf_have_the_right_magic_numbers(make_run):
    from concept_depth.export.figures import export_session

    fig = layer_curves(make_run(cv=True))
    with export_session():  # one browser for the three exports
        png, svg, pdf = (figure_to_bytes(fig, fmt, width_in=3.0, height_in=2.0, dpi=200)
                         for fmt in ("png", "svg", "pdf"))
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    assert _dpi(png) == pytest.approx((200, 200), abs=0.5)  # pHYs: a document places it at 3 x 2 inches
    # PNG size follows inches x dpi: IHDR width/height at bytes 16..24
    assert int.from_bytes(png[16:20], "big") == 600 and int.from_bytes(png[20:24], "big") == 400
    assert b"<svg" in svg[:400] and b"jumping" in svg
    assert pdf.startswith(b"%PDF")
    # the caller's figure is untouched (still interactive size)
    assert fig.layout.width is None


def _dpi(png: bytes):
    import io

    from PIL import Image

    return Image.open(io.BytesIO(png)).info.get("dpi")


def test_png_gets_its_dpi_stored_without_changing_pixels():
    import io

    from PIL import Image

    from concept_depth.export.figures import with_png_dpi

    buf = io.BytesIO()
    Image.new("RGB", (30, 20), (10, 20, 30)).save(buf, format="PNG")
    assert _dpi(buf.getvalue()) is None
    out = with_png_dpi(buf.getvalue(), 600)
    assert _dpi(out) == pytest.approx((600, 600), abs=0.5) and b"pHYs" in out
    assert Image.open(io.BytesIO(out)).getpixel((5, 5)) == (10, 20, 30)


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
