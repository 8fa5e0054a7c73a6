"""Progress bars and result output shared by the CLI commands."""

from __future__ import annotations

import argparse
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterator

from tqdm import tqdm

from ..core.files import write_atomic


class TqdmProgress:
    """Progress callback drawing one tqdm bar per stage on stderr."""

    def __init__(self, prefix: str = "", disable: bool | None = None) -> None:
        self.prefix = prefix
        self.disable = disable
        self.bar = None
        self.stage = None

    def __call__(self, event) -> bool:

        detail = getattr(event, "detail", None)
        desc = f"{self.prefix}{event.stage}: {detail}" if detail else f"{self.prefix}{event.stage}"
        if event.stage != self.stage or self.bar is None:
            self.close()
            self.stage = event.stage
            self.bar = tqdm(total=event.total, desc=desc, unit=f" {event.unit}",
                            file=sys.stderr, leave=False, disable=self.disable, dynamic_ncols=True)
        self.bar.total = event.total
        self.bar.n = event.done
        if detail:  # stage text stays until the next one replaces it
            self.bar.set_description_str(desc, refresh=False)
        self.bar.refresh()
        if event.done >= event.total:
            self.close()
        return True

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None
            self.stage = None


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


class RunsBar:
    """One bar over a sweep's runs (``stage="sweep"`` events), showing the events' own ETA, which
    counts only runs computed now (not the cached ones that came back at once). ``write`` prints a
    line above the bar."""

    def __init__(self, disable: bool | None = None) -> None:
        self.disable = disable
        self.bar = None

    def __call__(self, event) -> bool:

        if self.bar is None:
            self.bar = tqdm(total=event.total, desc="runs", unit=" runs", file=sys.stderr, disable=self.disable,
                            dynamic_ncols=True, bar_format="{desc}: {percentage:3.0f}%|{bar}| {n}/{total} "
                                                           "[{elapsed}{postfix}]")
        self.bar.n = event.done
        eta = getattr(event, "eta_s", None)
        self.bar.set_postfix_str(f"ETA {_clock(eta)}" if eta is not None and event.done < event.total else "",
                                 refresh=False)
        self.bar.refresh()
        return True

    def write(self, line: str, err: bool = False) -> None:

        tqdm.write(line, file=sys.stderr if err else sys.stdout)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None


def _clock(seconds: float) -> str:
    s = int(round(seconds))
    return f"{s // 3600}:{s % 3600 // 60:02d}:{s % 60:02d}" if s >= 3600 else f"{s // 60:02d}:{s % 60:02d}"
