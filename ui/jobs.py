"""The one way a page runs a long job: a Cancel button, one progress bar per stage, errors in place.

Every long job of every page (probe runs, the quick start, expression analyses, dataset
downloads) goes through :func:`run_job`. While it works, the page shows a Cancel button and
a bar per stage with its text and share of the time; when it ends, both are removed and one
line with the time each stage took stays.
"""

from __future__ import annotations

from typing import Callable, TypeVar

import streamlit as st

from concept_depth.pipeline import run_probe
from concept_depth.results import RunResult
from concept_depth.specs import RunSpec

from .engine import bump_data_version, get_store, loader_for
from .errors import show_errors
from .progress import StreamlitProgress, consume_cancel, request_cancel

T = TypeVar("T")


def run_job(work: Callable[[StreamlitProgress], T], *, key: str, what: str,
            changes_data: bool = True) -> T | None:
    """Run ``work(progress)`` under a Cancel button and progress bars; the result, or None on error.

    ``progress`` is the engine's ``progress=`` callback (see :class:`StreamlitProgress`).
    Engine errors show as one ``st.error`` line headed ``what``. Clicking Cancel stops the
    script (Streamlit interrupts it at the next progress update) and the next rerun says so
    (:func:`show_cancelled_notice`); work already finished stays cached. ``changes_data``:
    refresh the pages' run listings afterwards.
    """
    slot = st.empty()  # emptied when the job ends: no Cancel button and no finished bars stay
    area = slot.container()
    area.button("Cancel", key=f"cancel-{key}", on_click=request_cancel, help="stop after the current batch")
    progress = StreamlitProgress(area)
    result = None
    try:
        with show_errors(f"{what} failed"):
            result = work(progress)
            if changes_data:
                bump_data_version()
    finally:
        slot.empty()
    summary = progress.summary()
    if summary and result is not None:
        st.caption(summary)
    return result


def execute_run(spec: RunSpec, *, key: str = "run") -> RunResult | None:
    """``run_probe(spec)`` through :func:`run_job`, with the app's cached model (a cached spec returns at once)."""
    return run_job(lambda progress: run_probe(spec, store=get_store(), model_loader=loader_for(progress),
                                              progress=progress),
                   key=key, what="run")


def show_cancelled_notice() -> None:
    """After a Cancel click, say what happened (the click itself stopped the run)."""
    if consume_cancel():
        st.warning("Cancelled. Work already finished is cached; run again to resume.")
