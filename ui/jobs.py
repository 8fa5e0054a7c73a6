"""The one way a page runs a long job: a Cancel button, one progress bar per stage, errors in place.

Every long job of every page (probe runs, the quick start, expression analyses, dataset
downloads) goes through :func:`run_job`. While it works, the page shows a Cancel button and
a bar per stage with its text and share of the time; when it ends, both are removed and one
line with the time each stage took stays.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Callable, Sequence, TypeVar

import streamlit as st

import concept_depth as cd
from concept_depth.analyses.probe import attach_outcomes
from concept_depth.core.progress import ProgressEvent
from concept_depth.workflows.comparison import rerun_spec
from concept_depth.workflows.families import compare_models

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


def run_analysis(spec, *, key: str, what: str):
    """The app's run block of every analysis: ``cd.compute(spec)`` (the analysis the spec declares) through
    :func:`run_job`, with the app's cached model; a cached spec returns at once. The result, or None."""
    return run_job(lambda progress: cd.compute(spec, store=get_store(), model_loader=loader_for(progress),
                                               progress=progress), key=key, what=what)


def execute_run(spec: cd.RunSpec, *, key: str = "run") -> cd.RunResult | None:
    """A probe run through :func:`run_analysis`."""
    return run_analysis(spec, key=key, what="run")


def execute_grid(items: Sequence, *, key: str = "grid"):
    """``compare_models(items)`` through :func:`run_job`: a bar over the grid's runs, and the bars of
    the run in hand, their text naming it. Cached runs come back at once; a failed run does not
    stop the others.

    Returns (ModelComparison or None on error or cancel, the line saying how long each stage took),
    so a page that reruns to redraw itself can still show that line.
    """
    seen = []

    def work(progress):
        seen.append(progress)
        progress_for, on_outcome = grid_callbacks(progress, items)
        progress(ProgressEvent("grid", 0, len(items), unit="runs"))
        return compare_models(items, store=get_store(), model_loader=loader_for(progress), progress_for=progress_for,
                              on_outcome=on_outcome)

    comparison = run_job(work, key=key, what="grid")
    return comparison, (seen[0].summary() if seen else None)


def grid_item_name(item) -> str:
    """``model · dataset`` of a grid item (its names are model, bit width, dataset, noise)."""
    return f"{item.names[0]} · {item.names[2]}"


def grid_callbacks(progress: Callable[[ProgressEvent], object], items: Sequence):
    """``(progress_for, on_outcome)`` for ``compare_models``: each run's events carry its name, and the grid's bar
    names the run in hand when it starts ("now ...") and the one just finished, never a finished one as if it
    were still running (the bar said the previous run's dataset while the next one ran)."""
    total = len(items)

    def progress_for(i, item):
        progress(ProgressEvent("grid", i - 1, total, unit="runs", detail=f"now {grid_item_name(item)}"))
        return lambda event: progress(replace(event, detail=grid_item_name(item) + (f": {event.detail}" if event.detail
                                                                                   else "")))

    def on_outcome(i, outcome):
        progress(ProgressEvent("grid", i, total, unit="runs", detail=f"finished {grid_item_name(outcome.item)}"))

    return progress_for, on_outcome


def rerun_pair(base: cd.RunResult, run: cd.RunResult, *, protocol: str = "cv",
               key: str = "rerun-pair") -> tuple[cd.RunResult, cd.RunResult] | None:
    """Both runs of a pair again under ``protocol`` (same samples and settings) through :func:`run_job`;
    runs already cached return at once. ``(base, run)`` under that protocol, or None on error."""

    def work(progress):
        store = get_store()
        specs = [rerun_spec(r, store=store, protocol=protocol) for r in (base, run)]
        return tuple(cd.compute(s, store=store, model_loader=loader_for(progress), progress=progress) for s in specs)

    return run_job(work, key=key, what=f"{protocol} comparison")


def refit_runs(runs, *, key: str = "refit") -> list[cd.RunResult] | None:
    """Per-sample outcomes for runs made before they were stored, refitted from their cached vectors
    (and stored with them), through :func:`run_job`."""

    def work(progress):
        out = []
        for i, r in enumerate(runs):
            out.append(attach_outcomes(get_store(), r, lambda done, total, _i=i: progress(ProgressEvent(
                stage="probe", done=done, total=total, unit="layers", detail=f"refitting run {_i + 1} of {len(runs)}"))))
        return out

    return run_job(work, key=key, what="refitting the probes")


def show_cancelled_notice() -> None:
    """After a Cancel click, say what happened (the click itself stopped the run)."""
    if consume_cancel():
        st.warning("Cancelled. Work already finished is cached; run again to resume.")
