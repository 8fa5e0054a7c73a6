"""The Runs page's list of sweeps with their progress (records the CLI's ``sweep`` keeps in the store)."""

from __future__ import annotations

import time

import pandas as pd
import streamlit as st

from concept_depth.storage.sweep_records import list_sweeps

from .errors import show_errors
from .text import escape_markdown

#: Sweeps listed (newest first) and how often the list refreshes itself while one runs.
SHOWN = 5
REFRESH_S = 5

#: Column widths (pixels) that fit a 1280-pixel window, as the runs table below.
SWEEP_COLUMNS = {
    "started": st.column_config.TextColumn("started", width=118),
    "where": st.column_config.TextColumn("where", width=72, help="serial, or on Ray (local runtime or a cluster)"),
    "sweep": st.column_config.TextColumn("sweep", width=215, help="models · datasets · bit widths · noise"),
    "progress": st.column_config.ProgressColumn("progress", width=100, min_value=0.0, max_value=1.0,
                                                format="percent", help="finished runs (landed or failed) of all"),
    "runs": st.column_config.TextColumn("runs", width=62, help="landed / total (of which cached)"),
    "failed": st.column_config.NumberColumn("failed", width=48),
    "state": st.column_config.TextColumn("state", width=72, help="running, finished, interrupted, or stopped "
                                         "(its process is gone; run it again to resume)"),
    "updated": st.column_config.TextColumn("updated", width=82),
}


def _ago(ts: float | None) -> str:
    if not ts:
        return "–"
    s = max(0, int(time.time() - float(ts)))
    return f"{s} s ago" if s < 120 else f"{s // 60} min ago" if s < 7200 else f"{s // 3600} h ago"


def sweeps_frame(records: list[dict]) -> pd.DataFrame:
    """One row per sweep record: what it sweeps, where, progress, state."""
    rows = []
    for r in records:
        spec = r.get("spec") or {}
        total = max(1, int(r.get("total") or 0))
        finished = int(r.get("done") or 0) + int(r.get("failed") or 0)
        cached = f" ({r['cached']} cached)" if r.get("cached") else ""
        rows.append({
            "started": str(r.get("started", ""))[:16].replace("T", " "), "where": r.get("where", ""),
            "sweep": " · ".join(str(spec.get(k, "")) for k in ("model", "dataset", "quant", "noise")),
            "progress": finished / total, "runs": f"{r.get('done', 0)}/{r.get('total', 0)}{cached}",
            "failed": int(r.get("failed") or 0), "state": r.get("state", ""), "updated": _ago(r.get("updated_ts")),
        })
    return pd.DataFrame(rows, columns=list(SWEEP_COLUMNS))


def _sweeps(store) -> None:
    records = []
    with show_errors("could not read the sweep records"):
        records = list_sweeps(store, SHOWN)
    if not records:
        return
    st.subheader("Sweeps")
    st.dataframe(sweeps_frame(records), hide_index=True, width="stretch", column_config=SWEEP_COLUMNS)
    failures = [(r, f) for r in records for f in r.get("failures") or []]
    if failures:
        with st.expander(f"Failed runs ({len(failures)})"):
            for r, f in failures:
                st.markdown(f"- `{escape_markdown(f.get('run', ''))}`: {escape_markdown(f.get('error', ''))}")
    if any(r["state"] == "running" for r in records):
        st.caption(f"A sweep is running: this list refreshes every {REFRESH_S} s; runs land in the table below "
                   "as they finish.")
        if st.button("Show the runs landed so far", key="sweeps_reload"):
            st.rerun()


def sweeps_panel(store) -> None:
    """The newest sweeps with their progress; refreshes itself every :data:`REFRESH_S` s while one runs."""
    running = False
    with show_errors("could not read the sweep records"):
        running = any(r["state"] == "running" for r in list_sweeps(store, SHOWN))
    if running:
        st.fragment(run_every=REFRESH_S)(_sweeps)(store)
    else:
        _sweeps(store)
