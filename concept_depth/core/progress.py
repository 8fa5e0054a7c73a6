"""Progress reporting shared by the CLI (a text bar) and the app (``st.progress``).

Long computations take an optional ``progress`` callable. They call it with a
:class:`ProgressEvent`; if it returns ``False`` the computation stops and raises
:class:`~concept_depth.errors.Cancelled` (work already finished stays cached).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Callable, Optional

from .errors import Cancelled


@dataclass(frozen=True)
class ProgressEvent:
    stage: str  # "load", "extract", "probe", "expression", ...
    done: int
    total: int
    rate: float | None = None  # items per second
    eta_s: float | None = None
    unit: str = "prompts"
    detail: str | None = None  # what is being done now, e.g. "converting the tokenizer"

    @property
    def fraction(self) -> float:
        return 0.0 if self.total <= 0 else min(1.0, self.done / self.total)


ProgressCallback = Callable[[ProgressEvent], Optional[bool]]


class ProgressTracker:
    """Turns ``done`` counts into events with rate and ETA and honours cancellation.

    ``start_done`` is what was already finished before (e.g. resumed from cache); the
    rate counts only work done in this process.
    """

    def __init__(self, callback: ProgressCallback | None, stage: str, total: int,
                 unit: str = "prompts", start_done: int = 0) -> None:
        self.callback = callback
        self.stage = stage
        self.total = total
        self.unit = unit
        self.start_done = start_done
        self.t0 = time.perf_counter()

    def update(self, done: int) -> None:
        if self.callback is None:
            return
        elapsed = time.perf_counter() - self.t0
        fresh = done - self.start_done
        rate = fresh / elapsed if elapsed > 0 and fresh > 0 else None
        eta = (self.total - done) / rate if rate else None
        event = ProgressEvent(self.stage, done, self.total, rate, eta, self.unit)
        if self.callback(event) is False:
            raise Cancelled(f"{self.stage} cancelled at {done}/{self.total} {self.unit}")
