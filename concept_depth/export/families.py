"""Files of a models x datasets grid: the panels figure, the heatmap and the depth table."""

from __future__ import annotations

from pathlib import Path

from ..core.files import write_atomic
from ..workflows.families import TABLE_COLUMNS, ModelComparison
from .csv_text import rows_csv
from .figures import CSS_DPI, figure_to_bytes, format_from_path


def write_outputs(comparison: ModelComparison, *, figure: str | None = None, heatmap: str | None = None,
                  value: str = "jumping_point", metric: str = "accuracy", x: str = "relative", width: float = 10.0,
                  height: float | None = None, dpi: int = 300, out: str | None = None) -> list[str]:
    """Write the panels figure, the heatmap of ``value`` (PNG/SVG/PDF by extension) and the table
    (CSV) where paths are given; one ``wrote ...`` line each. ``height`` None: from the panel rows."""


    lines = []
    if out:
        write_atomic(Path(out), rows_csv(comparison.table(), TABLE_COLUMNS))
        lines.append(f"wrote {out} ({len(comparison.runs)} rows)")
    if not comparison.runs:
        return lines
    figures = []
    if figure:
        figures.append((figure, comparison.figure(metric=metric, x=x)))
    if heatmap:
        figures.append((heatmap, comparison.heatmap(value=value, relative=x == "relative" or value == "peak_accuracy")))
    for path, fig in figures:
        h = height or max(3.0, (fig.layout.height or 400) / CSS_DPI)
        data = figure_to_bytes(fig, format_from_path(str(path)), width_in=width, height_in=h, dpi=dpi)
        write_atomic(Path(path), data)
        lines.append(f"wrote {path} ({len(data)} bytes)")
    return lines
