"""Files of a checkpoint series: its table (CSV) or the whole series (JSON), and its figure."""

from __future__ import annotations

from pathlib import Path

from ..core.files import write_atomic
from ..workflows.series import SERIES_COLUMNS, CheckpointSeries
from .csv_text import rows_csv
from .figures import write_figure

#: What ``--out`` of a series may end in: the table as CSV, or the series as JSON.
OUT_SUFFIXES = (".csv", ".json")


def series_csv(series: CheckpointSeries) -> str:
    """The table (:data:`SERIES_COLUMNS`), one row per stage and dataset, empty cells for missing values."""
    return rows_csv(series.table(), SERIES_COLUMNS)


def write_series_outputs(series: CheckpointSeries, *, out: str | None = None, figure: str | None = None,
                         width: float = 7.0, height: float = 5.5, dpi: int = 300) -> list[str]:
    """Write ``out`` (.csv: the table; .json: stages, table, correlations, failures) and ``figure``
    (.png, .svg or .pdf, ``width`` x ``height`` inches) where given; one ``wrote ...`` line each."""
    lines = []
    if out:
        json_out = Path(out).suffix.lower() == ".json"
        write_atomic(Path(out), series.to_json() + "\n" if json_out else series_csv(series))
        lines.append(f"wrote {out} ({'the series' if json_out else f'{len(series.table())} rows'})")
    if figure and series.runs:
        path = write_figure(series.figure(), figure, width_in=width, height_in=height, dpi=dpi)
        lines.append(f"wrote {path} ({path.stat().st_size} bytes)")
    return lines


__all__ = ["OUT_SUFFIXES", "series_csv", "write_series_outputs"]
