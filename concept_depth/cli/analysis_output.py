"""Output options and helpers shared by the ``transfer``, ``directions`` and ``steer`` commands."""

from __future__ import annotations

import argparse
import math
from pathlib import Path

from ..core.files import write_atomic
from ..export.figures import figure_to_bytes, format_from_path


def add_output_options(p: argparse.ArgumentParser, figure_help: str) -> None:
    p.add_argument("--out", default=None, help="write the result JSON to this file")
    p.add_argument("--json", action="store_true", help="print the result JSON instead of the table")
    p.add_argument("--figure", default=None, help=f"also write {figure_help} to FILE.svg, .png or .pdf")
    p.add_argument("--quiet", action="store_true", help="no progress bars")


def add_run_options(p: argparse.ArgumentParser, batch_size: int = 16) -> None:
    p.add_argument("--batch-size", type=int, default=batch_size, help="prompts per forward pass (does not change results)")
    p.add_argument("--device", default=None, help="cpu, cuda, ... (default: cuda if available)")
    p.add_argument("--cache-dir", default=None, help="cache directory (default $CONCEPT_DEPTH_CACHE or ./cache)")


def write_figure(fig, path: str | Path, width_in: float = 6.5, height_in: float = 4.5, dpi: int = 300) -> Path:
    """Write a plotly figure to ``path`` (format from the extension) in the paper theme."""

    data = figure_to_bytes(fig, format_from_path(str(path)), width_in=width_in, height_in=height_in, dpi=dpi)
    return write_atomic(Path(path), data)


def fmt(x, digits: int = 3, signed: bool = False) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "-"
    return f"{x:+.{digits}f}" if signed else f"{x:.{digits}f}"


def timing_line(result) -> str:
    if result.cached:
        return "timing: cached result"
    parts = [f"{k[:-2].replace('_', ' ')} {v:.1f}s" for k, v in result.timing.items()
             if k.endswith("_s") and not k.endswith("per_s") and isinstance(v, (int, float))]
    return "timing: " + ", ".join(parts)
