"""Shared helpers for the AppTest files (no tests here): env, cached runs, chart contents."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from streamlit.testing.v1 import AppTest

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:  # the pages import `ui` from the repository root
    sys.path.insert(0, str(REPO))


def set_env(monkeypatch, cache: Path) -> None:
    monkeypatch.setenv("CONCEPT_DEPTH_CACHE", str(cache))
    monkeypatch.setenv("CONCEPT_DEPTH_TEST_MODELS", "1")
    monkeypatch.setenv("CONCEPT_DEPTH_QUICKSTART_MODEL", "tiny:llama")
    monkeypatch.chdir(REPO)


def open_page(page: str | None = None, timeout: float = 90) -> AppTest:
    """Run app.py (navigation included), then switch to ``page`` (e.g. ``pages/probe.py``)."""
    at = AppTest.from_file(str(REPO / "app.py"), default_timeout=timeout)
    at.run()
    if page:
        at.switch_page(page)
        at.run()
    return at


def charts(at: AppTest) -> list[dict]:
    """The figures of every st.plotly_chart on the page, as plotly JSON dicts."""
    return [json.loads(c.proto.spec) for c in at.get("plotly_chart")]


def trace_names(fig: dict) -> list[str]:
    return [t.get("name", "") for t in fig.get("data", [])]


def make_runs(cache: Path) -> list:
    """Two tiny-model runs in ``cache``: float32 clean and with the paper's noise (about 10 s)."""
    from concept_depth.pipeline import run_probe
    from concept_depth.specs import DatasetSpec, ExtractionSpec, ModelSpec, NoiseSpec, RunSpec
    from concept_depth.store import Store

    store = Store(cache)
    out = []
    for noise in ("none", "paper"):
        ds = DatasetSpec(name="builtin-coinflip", limit=40, noise=NoiseSpec(kind=noise))
        out.append(run_probe(RunSpec(extraction=ExtractionSpec(model=ModelSpec(source="tiny:llama"), dataset=ds)),
                             store=store))
    return out
