"""Progress bars (``--quiet``) and result output (``--out``, ``--json``) shared by the CLI commands."""

from __future__ import annotations

import argparse
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterator

from ..core.files import write_atomic
from ..core.progress_bars import RunsBar, TqdmProgress


@contextmanager
def progress_bar(args: argparse.Namespace, prefix: str = "") -> Iterator[TqdmProgress]:
    """A :class:`TqdmProgress` honouring ``--quiet``, closed however the block ends."""
    bar = TqdmProgress(prefix=prefix, disable=getattr(args, "quiet", False) or None)
    try:
        yield bar
    finally:
        bar.close()


def write_json(text: str, path: str | Path) -> Path:
    return write_atomic(Path(path), text)


def emit_result(result, args: argparse.Namespace, format_table: Callable[[object], str]) -> None:
    """Write ``--out``, then print either the JSON (``--json``) or the text table."""
    if args.out:
        write_json(result.to_json(), args.out)
    if args.json:
        print(result.to_json())
    else:
        print(format_table(result))
        if args.out:
            print(f"wrote {args.out}")


__all__ = ["TqdmProgress", "RunsBar", "progress_bar", "write_json", "emit_result"]
