"""Fixtures of the app tests: environment, AppTest pages, chart contents, cached tiny runs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def set_env(monkeypatch):
    """``set_env(cache)``: the app reads ``cache``, shows tiny test models and quick-starts on tiny:llama."""

    def apply(cache: Path) -> None:
        monkeypatch.setenv("CONCEPT_DEPTH_CACHE", str(cache))
        monkeypatch.setenv("CONCEPT_DEPTH_TEST_MODELS", "1")
        monkeypatch.setenv("CONCEPT_DEPTH_QUICKSTART_MODEL", "tiny:llama")
        monkeypatch.chdir(REPO)
    return apply


def _open_page(page: str | None = None, timeout: float = 90) -> AppTest:
    at = AppTest.from_file(str(REPO / "app.py"), default_timeout=timeout)
    at.run()
    if page:
        at.switch_page(page)
        at.run()
    return at


@pytest.fixture
def open_page():
    """``open_page(page=None)``: run app.py (navigation included), then switch to ``page``."""
    return _open_page


def _charts(at: AppTest) -> list[dict]:
    return [json.loads(c.proto.spec) for c in at.get("plotly_chart")]


@pytest.fixture
def charts():
    """``charts(at)``: the figures of every st.plotly_chart on the page, as plotly JSON dicts."""
    return _charts


def _pick_tiny(at: AppTest, model: str = "tiny:llama", limit: int = 40, limit_key: str = "limit") -> AppTest:
    at.selectbox(key="model_choice").select(f"{model} (random test model)").run()
    at.selectbox(key="dataset_Built-in (no download)").set_value("builtin-coinflip").run()
    at.number_input(key=limit_key).set_value(limit)
    return at


@pytest.fixture
def pick_tiny():
    """``pick_tiny(at, model="tiny:llama", limit=40, limit_key="limit")``: a tiny random model on
    builtin-coinflip at ``limit`` samples, picked on the Probe or expression page (not run)."""
    return _pick_tiny


@pytest.fixture
def trace_names():
    """``trace_names(fig)``: the trace names of a plotly JSON figure."""
    return lambda fig: [t.get("name", "") for t in fig.get("data", [])]


def _make_runs(cache: Path) -> list:
    from concept_depth.analyses.probe import run_probe
    from concept_depth.core.specs import DatasetSpec, ExtractionSpec, ModelSpec, NoiseSpec, RunSpec
    from concept_depth.storage.store import Store

    store = Store(cache)
    out = []
    for noise in ("none", "paper"):
        ds = DatasetSpec(name="builtin-coinflip", limit=40, noise=NoiseSpec(kind=noise))
        out.append(run_probe(RunSpec(extraction=ExtractionSpec(model=ModelSpec(source="tiny:llama"), dataset=ds)),
                             store=store))
    return out


@pytest.fixture(scope="session")
def make_runs():
    """``make_runs(cache)``: two tiny-model runs in ``cache``, float32 clean and paper noise."""
    return _make_runs
