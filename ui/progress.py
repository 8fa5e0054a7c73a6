"""Progress bar adapter: engine ProgressEvents -> ``st.progress`` with rate and ETA; cancel flag."""

from __future__ import annotations

import streamlit as st

from concept_depth.progress import ProgressEvent

CANCEL_KEY = "_cd_cancel_requested"
STAGE_TEXT = {"load": "loading model", "extract": "extracting layer vectors", "probe": "training probes",
              "expression": "scoring answers"}


def _fmt_s(seconds: float | None) -> str:
    if seconds is None:
        return "…"
    seconds = int(round(seconds))
    return f"{seconds // 60} min {seconds % 60:02d} s" if seconds >= 60 else f"{seconds} s"


def request_cancel() -> None:
    """on_click of a Cancel button: the click itself stops the running script; this flag tells the rerun."""
    st.session_state[CANCEL_KEY] = True


def consume_cancel() -> bool:
    """True once after a cancel was requested."""
    return bool(st.session_state.pop(CANCEL_KEY, False))


class StreamlitProgress:
    """Callable for the engine's ``progress=``: one bar per stage, text with count, rate and ETA.

    Returns False (cancel) when the cancel flag is set, so an engine loop that checks its
    callback stops at the next batch; finished work stays cached.
    """

    def __init__(self, container=None) -> None:
        self.container = container if container is not None else st.container()
        self.bars: dict[str, object] = {}
        self.events: list[ProgressEvent] = []

    def __call__(self, event: ProgressEvent) -> bool:
        self.events.append(event)
        text = (f"{STAGE_TEXT.get(event.stage, event.stage)}: {event.done}/{event.total} {event.unit}"
                + (f" · {event.rate:.1f} {event.unit}/s" if event.rate else "")
                + (f" · ETA {_fmt_s(event.eta_s)}" if event.done < event.total else " · done"))
        bar = self.bars.get(event.stage)
        if bar is None:
            bar = self.bars[event.stage] = self.container.progress(0.0, text=text)
        bar.progress(event.fraction, text=text)
        return not st.session_state.get(CANCEL_KEY, False)
