"""Run a probe from a page: progress bars with ETA, a Cancel button, errors shown in place."""

from __future__ import annotations

import streamlit as st

from concept_depth.results import RunResult
from concept_depth.specs import RunSpec

from .engine import bump_data_version, engine, get_store, model_loader
from .errors import show_errors
from .progress import StreamlitProgress, consume_cancel, request_cancel


def execute_run(spec: RunSpec, *, key: str = "run") -> RunResult | None:
    """``run_probe(spec)`` with the cached model loader and a progress bar.

    A cached spec returns at once. Clicking Cancel stops the script (Streamlit interrupts
    it at the next progress update) and the next rerun says so; finished layers stay cached.
    A second tab asking for the same spec blocks on the store's per-key lock, then reads
    the cached result.
    """
    run_probe = engine("pipeline", "run_probe")
    slot = st.empty()  # emptied when the run ends, removing the Cancel button and the bars
    area = slot.container()
    area.button("Cancel", key=f"cancel-{key}", on_click=request_cancel, help="stop after the current batch")
    progress = StreamlitProgress(area)
    result = None
    with show_errors("run failed"):
        with st.spinner("Running (a cached spec returns at once)…"):
            result = run_probe(spec, store=get_store(), model_loader=model_loader, progress=progress)
        bump_data_version()
    slot.empty()
    return result


def show_cancelled_notice() -> None:
    """After a Cancel click, say what happened (the click itself stopped the run)."""
    if consume_cancel():
        st.warning("Run cancelled. Layers already extracted are cached; run again to resume.")
