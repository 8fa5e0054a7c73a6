"""Progress on stderr for the CLI and ``cd.*(progress=True)``: tqdm bars on a terminal, plain lines elsewhere.

tqdm draws nothing when its stream is not a terminal (``2>&1 | tee log``, a batch job, nohup, most
notebooks), so a long run printed nothing for minutes. There each stage gets a plain line when it starts
(and when its step changes, e.g. "converting the tokenizer"), then one every ``interval_s`` seconds (15 by
default) with count, rate and ETA, and one when a stage that took that long ends; no carriage returns or
escape codes, so a log file reads line by line. ``disable=True`` prints nothing; ``disable=False`` draws
the tqdm bar even into a pipe.
"""

from __future__ import annotations

import sys
import time
from typing import Callable, TextIO

from tqdm import tqdm

#: Seconds between two plain progress lines of one stage.
INTERVAL_S = 15.0


def is_terminal(stream: TextIO) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):  # no isatty, or a closed stream
        return False


class PlainLines:
    """The plain-line reporter of one stage at a time (see the module docstring)."""

    def __init__(self, stream: Callable[[], TextIO], prefix: str = "", interval_s: float = INTERVAL_S,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.stream = stream
        self.prefix = prefix
        self.interval_s = interval_s
        self.clock = clock
        self.stage: str | None = None
        self.detail: str | None = None
        self.started = self.said = 0.0

    def __call__(self, event, unit: str | None = None, desc: str | None = None) -> None:
        now = self.clock()
        stage, detail = desc or event.stage, getattr(event, "detail", None)
        unit = unit or event.unit
        if stage != self.stage:
            self.stage, self.detail, self.started = stage, detail, now
            self._say(event, unit, now)
        elif event.done >= event.total > 0:
            if now - self.started >= self.interval_s:
                self._say(event, unit, now, end=True)
        elif (detail and detail != self.detail) or now - self.said >= self.interval_s:
            self.detail = detail or self.detail
            self._say(event, unit, now)
        if event.done >= event.total:
            self.stage = None  # the next event, even of the same stage, starts afresh

    def _say(self, event, unit: str, now: float, end: bool = False) -> None:
        self.said = now
        detail = getattr(event, "detail", None) or (self.detail if not end else None)
        parts = [f"{event.done}/{event.total} {unit}".rstrip()
                 + (f" ({100 * event.done / event.total:.0f}%)" if event.total > 1 else "")]
        if end:
            parts.append(f"done in {_clock(now - self.started)}")
        else:
            rate, eta = getattr(event, "rate", None), getattr(event, "eta_s", None)
            if rate:
                parts.append(f"{rate:.1f} {unit}/s")
            if eta is not None and event.done < event.total:
                parts.append(f"ETA {_clock(eta)}")
        head = f"{self.prefix}{self.stage}" + (f": {detail}" if detail else "")
        stream = self.stream()
        stream.write(" · ".join([head, *parts]) + "\n")
        stream.flush()


class TqdmProgress:
    """Progress callback: one tqdm bar per stage on a terminal, plain lines elsewhere (module docstring).

    ``stream`` defaults to ``sys.stderr`` as it is when an event comes; ``interval_s`` and ``clock`` pace
    the plain lines."""

    def __init__(self, prefix: str = "", disable: bool | None = None, *, stream: TextIO | None = None,
                 interval_s: float = INTERVAL_S, clock: Callable[[], float] = time.monotonic) -> None:
        self.prefix = prefix
        self.disable = disable
        self._stream = stream
        self.bar = None
        self.stage = None
        self.lines = (PlainLines(self._out, prefix, interval_s, clock)
                      if disable is None and not is_terminal(self._out()) else None)

    def _out(self) -> TextIO:
        return self._stream if self._stream is not None else sys.stderr

    def __call__(self, event) -> bool:
        if self.lines is not None:
            self.lines(event)
            return True
        detail = getattr(event, "detail", None)
        desc = f"{self.prefix}{event.stage}: {detail}" if detail else f"{self.prefix}{event.stage}"
        if event.stage != self.stage or self.bar is None:
            self.close()
            self.stage = event.stage
            self.bar = tqdm(total=event.total, desc=desc, unit=f" {event.unit}",
                            file=self._out(), leave=False, disable=self.disable, dynamic_ncols=True)
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


class RunsBar:
    """One bar over a sweep's runs (``stage="sweep"`` events), showing the events' own ETA, which
    counts only runs computed now (not the cached ones that came back at once); plain lines where the
    stream is not a terminal. ``write`` prints a line above the bar."""

    def __init__(self, disable: bool | None = None, *, stream: TextIO | None = None,
                 interval_s: float = INTERVAL_S, clock: Callable[[], float] = time.monotonic) -> None:
        self.disable = disable
        self._stream = stream
        self.bar = None
        self.lines = (PlainLines(self._out, "", interval_s, clock)
                      if disable is None and not is_terminal(self._out()) else None)

    def _out(self) -> TextIO:
        return self._stream if self._stream is not None else sys.stderr

    def __call__(self, event) -> bool:
        if self.lines is not None:
            self.lines(event, unit="runs", desc="runs")
            return True
        if self.bar is None:
            self.bar = tqdm(total=event.total, desc="runs", unit=" runs", file=self._out(), disable=self.disable,
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


__all__ = ["TqdmProgress", "RunsBar", "PlainLines", "INTERVAL_S", "is_terminal"]
