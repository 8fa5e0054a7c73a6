"""Where the paper's datasets come from: the note beside the dataset picker and the download button."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Sequence

import streamlit as st

from concept_depth.datasets.download import DownloadReport, download_paper_datasets
from concept_depth.datasets.sources import DATA_DIR_ENV

from .engine import get_store, refresh_catalog
from .jobs import run_job

_MESSAGE_KEY = "_cd_download_message"


def location_text(cache_dir: str | os.PathLike) -> str:
    """Markdown: the order in which paper dataset files are looked for, with this machine's paths."""
    data_dir = os.environ.get(DATA_DIR_ENV)
    where = f"`{data_dir}`" if data_dir else "not set here"
    return (f"Paper datasets are read from `${DATA_DIR_ENV}` ({where}), then from "
            f"`{Path(cache_dir).resolve() / 'datasets'}`; a file found in neither is downloaded on first use "
            "(Luckfort/CD at a pinned commit, IMDb from the Hugging Face hub), checksum-verified and kept there.")


def report_message(report: DownloadReport, cache_dir: str | os.PathLike) -> tuple[str, str]:
    """(level, markdown) for a download report: ``success``, ``warning`` (some failed) or ``error`` (none came)."""
    target = Path(cache_dir).resolve() / "datasets"
    if not report.failed:
        got = (f"downloaded {len(report.downloaded)} file(s) into `{target}`" if report.downloaded
               else "nothing to download")
        return "success", f"All {len(report.found) + len(report.downloaded)} paper dataset files are here ({got})."
    names = ", ".join(name for name, _ in report.failed)
    first = report.failed[0][1]
    offline = ("No network here, it seems. " if not report.downloaded else "")
    text = (f"{offline}Could not download {len(report.failed)} file(s): {names}. To work offline, put these "
            f"files in a folder and set `{DATA_DIR_ENV}` to it (then restart the app), or copy them into "
            f"`{target}`.\n\nFirst error: {first}")
    return ("error" if not report.downloaded else "warning"), text


def dataset_location_note(paper_infos: Sequence) -> None:
    """Caption saying where paper datasets are looked for; a one-click download of the missing ones."""
    store = get_store()
    message = st.session_state.pop(_MESSAGE_KEY, None)
    if message:
        getattr(st, message[0])(message[1])
    st.caption(location_text(store.directory))
    missing = [d.name for d in paper_infos if not d.available]
    if not missing:
        return
    if st.button(f"Download the paper datasets ({len(missing)} missing)", key="download_datasets",
                 help="fetch every missing paper dataset file now (same sources and checksums as a first use)"):
        report = run_job(lambda progress: download_paper_datasets(store.directory, progress),
                         key="download", what="download", changes_data=False)
        if report is not None:
            st.session_state[_MESSAGE_KEY] = report_message(report, store.directory)
            refresh_catalog()
            st.rerun()
