"""Progress display: engine ProgressEvents -> one ``st.progress`` bar per stage, with the stage's
text, rate, ETA and its share of the time so far; the cancel flag.

Stages arrive in the order the engine works: ``load`` (with ``convert`` inside it on a first
use of the embedded model), ``extract``, ``probe``, ``expression``, ``download``. The time
between two events is booked to the stage of the later one, so the shares add up to the
whole wait and a long model conversion shows as what it is.
"""

from __future__ import annotations

import time

import streamlit as st

from concept_depth.core.progress import ProgressEvent

CANCEL_KEY = "_cd_cancel_requested"
STAGE_TEXT = {"prepare": "reading the dataset and the cache", "load": "loading the model",
              "convert": "converting the embedded model (first use only)", "extract": "extracting layer vectors",
              "probe": "training probes", "expression": "scoring answers", "download": "downloading datasets",
              "grid": "runs of the grid"}


def fmt_seconds(seconds: float | None) -> str:
    if seconds is None:
        return "…"
    if seconds < 0.5:
        return "<1 s"
    seconds = int(round(seconds))
    return f"{seconds // 60} min {seconds % 60:02d} s" if seconds >= 60 else f"{seconds} s"


def request_cancel() -> None:
    """on_click of a Cancel button: the click itself stops the running script; this flag tells the rerun."""
    st.session_state[CANCEL_KEY] = True


def consume_cancel() -> bool:
    """True once after a cancel was requested."""
    return bool(st.session_state.pop(CANCEL_KEY, False))


def stage_name(stage: str) -> str:
    return STAGE_TEXT.get(stage, stage)


def bar_head(stage: str, detail: str | None) -> str:
    """A bar's text before its count: the stage, then the engine's detail, never the same words twice.

    A detail may be ``who: what`` (a grid names the run in hand); a ``what`` that is the stage's own text, or
    says the same thing more precisely ("loading the weights" for "loading the model"), replaces the stage's
    text instead of following it ("loading the model: loading the model…").
    """
    text = stage_name(stage)
    if not detail:
        return text
    who, _, what = detail.rpartition(": ")
    if what.split()[:1] == text.split()[:1]:  # same verb: the detail says it (keeping "(first use only)")
        text, what = what + (text[text.index(" ("):] if " (" in text else ""), ""
    return " · ".join([text] + [p for p in (who, what) if p]).replace(" · ", ": ", 1)


class StreamlitProgress:
    """Callable for the engine's ``progress=``: one bar per stage and a line with each stage's share.

    Returns False (cancel) when the cancel flag is set, so an engine loop that checks its
    callback stops at the next batch; finished work stays cached.
    """

    def __init__(self, container=None, *, clock=time.perf_counter) -> None:
        self.container = container if container is not None else st.container()
        self.clock = clock
        self.started = clock()
        self.last = self.started
        self.seconds: dict[str, float] = {}  # stage -> time booked to it
        self.header = self.container.empty()
        self.bars: dict[str, object] = {}
        self.events: list[ProgressEvent] = []
        self.header.caption(f"Starting: {stage_name('prepare')}…")

    # ---- the engine's callback --------------------------------------------------------------
    def __call__(self, event: ProgressEvent) -> bool:
        now = self.clock()
        if not self.events:  # the wait before the first event: dataset, fingerprint, cache look-up
            self.seconds["prepare"] = now - self.last
        else:
            self.seconds[event.stage] = self.seconds.get(event.stage, 0.0) + (now - self.last)
        self.seconds.setdefault(event.stage, 0.0)
        self.last = now
        self.events.append(event)
        bar = self.bars.get(event.stage)
        if bar is None:
            bar = self.bars[event.stage] = self.container.progress(0.0, text=self.bar_text(event))
        bar.progress(event.fraction, text=self.bar_text(event))
        self.header.caption(self.shares_line(running=event.stage if event.done < event.total else None))
        return not st.session_state.get(CANCEL_KEY, False)

    # ---- text -----------------------------------------------------------------------------
    def bar_text(self, event: ProgressEvent) -> str:
        """``extracting layer vectors: 120/200 prompts · 14.2 prompts/s · ETA 6 s`` (+ the engine's detail)."""
        head = bar_head(event.stage, event.detail)
        finished = event.done >= event.total
        if event.total <= 1 and event.unit in ("model", "file"):  # a single step: no count
            return head + (" · done" if finished else "…")
        text = f"{head} · {event.done}/{event.total} {event.unit}"
        if event.rate:
            text += f" · {event.rate:.1f} {event.unit}/s"
        if finished:
            return text + " · done"
        return text + (f" · ETA {fmt_seconds(event.eta_s)}" if event.eta_s is not None else "")

    def total_seconds(self) -> float:
        return sum(self.seconds.values())

    def shares_line(self, running: str | None = None) -> str:
        """``1 min 20 s so far: converting … 59 s (74%) · loading the model 3 s (4%) · …``."""
        total = self.total_seconds()
        parts = []
        for stage, sec in self.seconds.items():
            if stage == "prepare" and sec < 0.5:  # a quick start-up is not worth a mention
                continue
            share = f" ({sec / total:.0%})" if total > 0 else ""
            parts.append(f"{stage_name(stage)} {fmt_seconds(sec)}{share}")
        head = f"{fmt_seconds(total)} so far" if running else f"took {fmt_seconds(total)}"
        return head + (": " + " · ".join(parts) if parts else "")

    def summary(self) -> str | None:
        """One line for after the job: total time and each stage's share (None when nothing ran)."""
        if not self.events:
            return None
        return self.shares_line().capitalize()
